use super::*;
use crate::answers::Answers;
use crate::state::PackRef;
use crate::tree::MemTree;

fn rendered(path: &str, ownership: Ownership, content: &str) -> Rendered {
    Rendered {
        path: path.into(),
        ownership,
        content: content.as_bytes().to_vec(),
        resources: if ownership == Ownership::Patch {
            vec!["x.yaml".into()]
        } else {
            Vec::new()
        },
        keep_namespace: None,
        provided_by: Vec::new(),
        retire: Vec::new(),
        executable: false,
    }
}

fn answers_file() -> AnswersFile {
    AnswersFile::new(
        PackRef {
            name: "p".into(),
            version: "1".into(),
            path: None,
        },
        &Answers::default(),
    )
}

fn run(files: &[Rendered], tree: &MemTree, previous: Option<&State>, merge: bool) -> Plan {
    plan(
        files,
        &[],
        previous,
        &answers_file(),
        tree,
        Options {
            force: false,
            merge,
            record: true,
        },
    )
    .unwrap()
}

fn action(p: &Plan, path: &str) -> Action {
    p.files.iter().find(|f| f.path == path).unwrap().action
}

#[test]
fn empty_tree_creates_everything_and_records_state() {
    let files = [
        rendered("a/m.yaml", Ownership::Managed, "m\n"),
        rendered("a/o.md", Ownership::Once, "o\n"),
        rendered("a/kustomization.yaml", Ownership::Patch, ""),
    ];
    let p = run(&files, &MemTree::default(), None, false);
    assert!(p.files.iter().all(|f| f.action == Action::Create));
    let kust = p
        .files
        .iter()
        .find(|f| f.path == "a/kustomization.yaml")
        .unwrap();
    assert!(String::from_utf8_lossy(kust.new.as_ref().unwrap()).contains("- x.yaml"));
    let state: Vec<&str> = p.state.iter().map(|s| s.path.as_str()).collect();
    assert!(state.contains(&".flux-scaffold/answers.yaml"));
    assert!(state.contains(&".flux-scaffold/base/a/m.yaml.base"));
    assert!(
        !state.iter().any(|s| s.contains("o.md")),
        "once files keep no base"
    );
}

#[test]
fn init_adopts_a_file_it_did_not_write() {
    let mut tree = MemTree::default();
    tree.files.insert("m.yaml".into(), b"theirs\n".to_vec());
    let p = run(
        &[rendered("m.yaml", Ownership::Managed, "ours\n")],
        &tree,
        None,
        false,
    );
    let f = &p.files[0];
    assert_eq!(f.action, Action::Keep);
    assert_eq!(
        f.new.as_deref(),
        Some(&b"ours\n"[..]),
        "the render, for the diff"
    );
    let base = p
        .state
        .iter()
        .find(|s| s.path.ends_with("m.yaml.base"))
        .unwrap();
    assert_eq!(
        base.new.as_deref(),
        Some(&b"ours\n"[..]),
        "the render is the base"
    );
}

#[test]
fn stage_folders_are_created_and_checked() {
    let mut tree = MemTree::default();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
    tree.files
        .insert("infra/sub/a.yaml".into(), cm.as_bytes().to_vec());
    let p = plan(
        &[
            rendered("infra/kustomization.yaml", Ownership::Patch, ""),
            rendered(
                "infra/x.yaml",
                Ownership::Managed,
                &cm.replace("a\n", "x\n"),
            ),
        ],
        &["apps/x", "infra"].map(|p| Stage {
            name: p.into(),
            path: p.into(),
            per_item: false,
        }),
        None,
        &answers_file(),
        &tree,
        Options::default(),
    )
    .unwrap();
    assert!(p.refusals.is_empty(), "{:?}", p.refusals);
    assert_eq!(action(&p, "apps/x/kustomization.yaml"), Action::Create);
    let k = p
        .files
        .iter()
        .find(|f| f.path == "infra/kustomization.yaml")
        .unwrap();
    let text = String::from_utf8_lossy(k.new.as_ref().unwrap()).to_string();
    assert!(text.contains("- sub/a.yaml\n- x.yaml\n"), "{text}");
}

#[test]
fn regen_outcomes_against_the_base() {
    let mut tree = MemTree::default();
    let mut base = BTreeMap::new();
    for (path, disk, old) in [
        ("untouched.yaml", "v1\n", "v1\n"),
        ("edited.yaml", "mine\n", "v1\n"),
        ("both.yaml", "a\nb\nc\nD\ne\n", "a\nb\nc\nd\ne\n"),
    ] {
        tree.files.insert(path.into(), disk.as_bytes().to_vec());
        base.insert(path.to_string(), old.as_bytes().to_vec());
    }
    let previous = State {
        answers: answers_file(),
        files: FilesFile {
            files: base
                .keys()
                .map(|k| {
                    (
                        k.clone(),
                        FileRecord {
                            ownership: Ownership::Managed,
                            sha256: None,
                            resources: Vec::new(),
                        },
                    )
                })
                .collect(),
            stages: Vec::new(),
        },
        base,
    };
    let files = [
        rendered("untouched.yaml", Ownership::Managed, "v2\n"),
        rendered("edited.yaml", Ownership::Managed, "v1\n"),
        rendered("both.yaml", Ownership::Managed, "A\nb\nc\nd\ne\n"),
    ];
    let p = run(&files, &tree, Some(&previous), true);
    assert_eq!(action(&p, "untouched.yaml"), Action::Update);
    assert_eq!(action(&p, "edited.yaml"), Action::Keep);
    assert_eq!(action(&p, "both.yaml"), Action::Merge);
    let merged = p.files.iter().find(|f| f.path == "both.yaml").unwrap();
    assert_eq!(merged.new.as_deref(), Some(&b"A\nb\nc\nD\ne\n"[..]));
}

#[test]
fn identical_rerun_plans_nothing() {
    let files = [rendered("m.yaml", Ownership::Managed, "m\n")];
    let first = run(&files, &MemTree::default(), None, false);
    let mut tree = MemTree::default();
    tree.files.insert("m.yaml".into(), b"m\n".to_vec());
    for s in &first.state {
        tree.files.insert(s.path.clone(), s.new.clone().unwrap());
    }
    let prev = crate::state::load(&tree).unwrap();
    let second = run(&files, &tree, prev.as_ref(), false);
    assert!(!second.changes_anything(), "{second:?}");
}
