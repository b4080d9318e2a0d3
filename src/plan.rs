//! Compare what a pack renders with what is on disk and what was last
//! written, and decide what to do with every file. Pure: reads through a
//! [`Tree`], writes nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::kustomize::{self, Patched};
use crate::merge;
use crate::pack::Ownership;
use crate::render::Rendered;
use crate::state::{self, AnswersFile, FileRecord, FilesFile, State};
use crate::tree::Tree;

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Written where nothing was.
    Create,
    /// Replaced: the user had not edited it.
    Update,
    /// A user's kustomization gains entries.
    Patch,
    /// The user's edits and the template's changes combined cleanly.
    Merge,
    /// Written with conflict markers where both sides changed the same lines.
    Conflict,
    /// Removed: no longer produced, never edited.
    Remove,
    /// Already as it should be.
    Unchanged,
    /// Left as the user has it.
    Keep,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Patch => "patch",
            Action::Merge => "merge",
            Action::Conflict => "conflict",
            Action::Remove => "remove",
            Action::Unchanged => "unchanged",
            Action::Keep => "keep",
        }
    }

    /// Whether the action changes the file on disk.
    pub fn writes(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Keep)
    }
}

/// The decision for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOp {
    pub path: String,
    pub ownership: Ownership,
    pub action: Action,
    /// Content on disk before the run.
    pub old: Option<Vec<u8>>,
    /// Content after the run (None for remove, keep and unchanged).
    pub new: Option<Vec<u8>>,
    pub executable: bool,
    /// Why, in a few words, when the action alone does not say.
    pub note: Option<String>,
    /// Number of conflicting regions (conflict only).
    pub conflicts: usize,
}

/// A state file to write (`new` Some) or remove (`new` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub files: Vec<FileOp>,
    /// Changes to `.flux-scaffold/`, applied after the files.
    pub state: Vec<StateWrite>,
}

impl Plan {
    /// Whether a file holds conflicts: new ones, or markers left unresolved.
    pub fn has_conflicts(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.conflicts > 0 || f.action == Action::Conflict)
    }

    /// Whether running the plan would change anything on disk.
    pub fn changes_anything(&self) -> bool {
        self.files.iter().any(|f| f.action.writes()) || !self.state.is_empty()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Take the new render over the user's edits.
    pub force: bool,
    /// Three-way merge edited files (regen); otherwise an edited file is a
    /// conflict that stops the run (init).
    pub merge: bool,
    /// Plan the new state too; a drift check, which never writes, skips it.
    pub record: bool,
}

/// Plan the run.
pub fn plan(
    rendered: &[Rendered],
    previous: Option<&State>,
    answers_file: &AnswersFile,
    tree: &dyn Tree,
    opts: Options,
) -> Result<Plan> {
    let mut files = Vec::new();
    let mut records = BTreeMap::new();
    let mut base = BTreeMap::new();
    for r in rendered {
        let recorded_base = previous.and_then(|s| s.base.get(&r.path));
        let was_recorded = previous.is_some_and(|s| s.files.files.contains_key(&r.path));
        let op = match r.ownership {
            Ownership::Managed => {
                base.insert(r.path.clone(), r.content.clone());
                plan_managed(r, tree.read(&r.path)?, recorded_base, was_recorded, opts)
            }
            Ownership::Once => plan_once(r, tree.read(&r.path)?),
            Ownership::Patch => plan_patch(r, tree)?,
        };
        let record = FileRecord {
            ownership: r.ownership,
            sha256: (opts.record && r.ownership != Ownership::Patch)
                .then(|| state::sha256(&r.content)),
            resources: r.resources.clone(),
        };
        records.insert(op.path.clone(), record);
        files.push(op);
    }
    if let Some(prev) = previous {
        for (path, rec) in &prev.files.files {
            if records.contains_key(path) {
                continue;
            }
            if let Some(op) = plan_dropped(path, rec, prev, tree)? {
                files.push(op);
            }
        }
    }
    if !opts.merge && !opts.force {
        let conflicts: Vec<&str> = files
            .iter()
            .filter(|f| f.action == Action::Conflict)
            .map(|f| f.path.as_str())
            .collect();
        if !conflicts.is_empty() {
            return Err(Error::conflict(format!(
                "these files differ from what flux-scaffold would write and it did not write them as they are: {} (see the differences with --dry-run; merge your edits with `flux-scaffold regen`; overwrite with --force)",
                conflicts.join(", ")
            )));
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let new_state = State {
        answers: answers_file.clone(),
        files: FilesFile { files: records },
        base,
    };
    let state = if opts.record {
        plan_state(previous, &new_state, tree)?
    } else {
        Vec::new()
    };
    Ok(Plan { files, state })
}

fn op(r: &Rendered, action: Action, old: Option<Vec<u8>>, new: Option<Vec<u8>>) -> FileOp {
    FileOp {
        path: r.path.clone(),
        ownership: r.ownership,
        action,
        old,
        new,
        executable: r.executable,
        note: None,
        conflicts: 0,
    }
}

fn with_note(mut op: FileOp, note: &str) -> FileOp {
    op.note = Some(note.to_string());
    op
}

fn plan_managed(
    r: &Rendered,
    disk: Option<Vec<u8>>,
    base: Option<&Vec<u8>>,
    was_recorded: bool,
    opts: Options,
) -> FileOp {
    let new = r.content.clone();
    let Some(disk) = disk else {
        if opts.merge && was_recorded && !opts.force {
            return with_note(
                op(r, Action::Keep, None, None),
                "removed by hand; left removed (--force restores it)",
            );
        }
        return op(r, Action::Create, None, Some(new));
    };
    // Compare in LF form when the file on disk is CRLF or has a BOM (e.g.
    // a checkout with core.autocrlf) and write back in its own dialect.
    let dialect = if Dialect::of(&new).is_plain() {
        Dialect::of(&disk)
    } else {
        Dialect::default()
    };
    let ours = dialect.normalize(&disk);
    let out = |bytes: Vec<u8>| Some(dialect.apply(&bytes));
    if ours == new {
        return op(r, Action::Unchanged, Some(disk), None);
    }
    if opts.force {
        return with_note(op(r, Action::Update, Some(disk), out(new)), "forced");
    }
    match base {
        Some(b) if *b == ours => op(r, Action::Update, Some(disk), out(new)),
        Some(b) if *b == new => {
            let markers = merge::conflict_markers(&ours);
            let note = if markers > 0 {
                "conflict markers remain"
            } else {
                "your edits kept"
            };
            let mut o = with_note(op(r, Action::Keep, Some(disk), None), note);
            o.conflicts = markers;
            o
        }
        Some(b) if opts.merge => {
            let merged = merge::three_way(b, &ours, &new);
            let action = if merged.conflicts > 0 {
                Action::Conflict
            } else {
                Action::Merge
            };
            let mut o = op(r, action, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts;
            o
        }
        // No trustworthy base: init stops (nothing is written); regen keeps
        // both sides in conflict markers, so the user's text is never lost.
        None if opts.merge => {
            let merged = merge::three_way(b"", &ours, &new);
            let mut o = op(r, Action::Conflict, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts.max(1);
            with_note(o, "no record of what was last written; both kept")
        }
        _ => with_note(
            op(r, Action::Conflict, Some(disk), Some(new)),
            "exists with other content",
        ),
    }
}

fn plan_once(r: &Rendered, disk: Option<Vec<u8>>) -> FileOp {
    match disk {
        None => op(r, Action::Create, None, Some(r.content.clone())),
        Some(d) if d == r.content => op(r, Action::Unchanged, Some(d), None),
        Some(d) => with_note(op(r, Action::Keep, Some(d), None), "yours once created"),
    }
}

fn plan_patch(r: &Rendered, tree: &dyn Tree) -> Result<FileOp> {
    let dir = r.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let join = |name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    let mut found = Vec::new();
    for name in kustomize::FILE_NAMES {
        if let Some(bytes) = tree.read(&join(name))? {
            found.push((join(name), bytes));
        }
    }
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        return Err(Error::input(format!(
            "{} holds more than one kustomization file ({}); kustomize refuses that too",
            if dir.is_empty() { "." } else { dir },
            names.join(", ")
        )));
    }
    let mut o = op(r, Action::Create, None, None);
    match found.pop() {
        None => {
            let mut entries = existing_entries(tree, dir, &r.resources)?;
            entries.extend(r.resources.iter().cloned());
            o.new = Some(kustomize::new_kustomization(&entries).into_bytes());
            if entries.len() > r.resources.len() {
                o.note = Some("lists what the folder already held".into());
            }
        }
        Some((path, bytes)) => {
            o.path = path;
            if let Some(ns) = &r.keep_namespace
                && let Some(other) = kustomize::namespace_override(&bytes).filter(|n| n != ns)
            {
                return Err(Error::input(format!(
                    "{}: its `namespace: {other}` would move {} out of {ns}, where it must stay; use a folder without a namespace override (answer infra_path), or drop the override",
                    o.path,
                    r.resources.join(", ")
                )));
            }
            match kustomize::add_resources(&bytes, &r.resources) {
                Ok(Patched::Unchanged) => o.action = Action::Unchanged,
                Ok(Patched::Changed(new)) => {
                    o.action = Action::Patch;
                    o.new = Some(new);
                }
                Err(why) => {
                    return Err(Error::input(format!(
                        "{}: cannot add {} safely: {why}; add it to resources by hand",
                        o.path,
                        r.resources.join(", ")
                    )));
                }
            }
            o.old = Some(bytes);
        }
    }
    Ok(o)
}

/// What a folder without a kustomization already holds that kustomize can
/// include: manifests beside it and sub-folders with a kustomization.
fn existing_entries(tree: &dyn Tree, dir: &str, ours: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in tree.list(dir)? {
        if e.name.starts_with('.') || ours.contains(&e.name) {
            continue;
        }
        let sub = if dir.is_empty() {
            e.name.clone()
        } else {
            format!("{dir}/{}", e.name)
        };
        if e.is_dir {
            let mut has = false;
            for n in kustomize::FILE_NAMES {
                has |= tree.read(&format!("{sub}/{n}"))?.is_some();
            }
            if has {
                out.push(e.name);
            }
        } else if (e.name.ends_with(".yaml") || e.name.ends_with(".yml"))
            && tree.read(&sub)?.is_some_and(|b| kustomize::is_manifest(&b))
        {
            out.push(e.name);
        }
    }
    Ok(out)
}

fn plan_dropped(
    path: &str,
    rec: &FileRecord,
    prev: &State,
    tree: &dyn Tree,
) -> Result<Option<FileOp>> {
    if rec.ownership != Ownership::Managed {
        return Ok(None);
    }
    let Some(disk) = tree.read(path)? else {
        return Ok(None);
    };
    let unedited = prev.base.get(path) == Some(&disk);
    Ok(Some(FileOp {
        path: path.to_string(),
        ownership: rec.ownership,
        action: if unedited {
            Action::Remove
        } else {
            Action::Keep
        },
        old: Some(disk),
        new: None,
        executable: false,
        note: Some(if unedited {
            "no longer produced".into()
        } else {
            "no longer produced; kept because you edited it".into()
        }),
        conflicts: 0,
    }))
}

fn plan_state(previous: Option<&State>, new: &State, tree: &dyn Tree) -> Result<Vec<StateWrite>> {
    let mut wanted: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    wanted.insert(state::ANSWERS.into(), new.answers.to_yaml().into_bytes());
    wanted.insert(state::FILES.into(), new.files.to_yaml().into_bytes());
    wanted.insert(
        state::GITIGNORE.into(),
        state::GITIGNORE_TEXT.as_bytes().to_vec(),
    );
    for (path, content) in &new.base {
        wanted.insert(state::base_path(path), content.clone());
    }
    let mut out = Vec::new();
    for (path, content) in wanted {
        let old = tree.read(&path)?;
        if old.as_ref() != Some(&content) {
            out.push(StateWrite {
                path,
                old,
                new: Some(content),
            });
        }
    }
    if let Some(prev) = previous {
        for path in prev.base.keys() {
            if !new.base.contains_key(path) {
                let p = state::base_path(path);
                let old = tree.read(&p)?;
                if old.is_some() {
                    out.push(StateWrite {
                        path: p,
                        old,
                        new: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
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
    fn init_refuses_a_file_it_did_not_write() {
        let mut tree = MemTree::default();
        tree.files.insert("m.yaml".into(), b"theirs\n".to_vec());
        let err = plan(
            &[rendered("m.yaml", Ownership::Managed, "ours\n")],
            None,
            &answers_file(),
            &tree,
            Options {
                force: false,
                merge: false,
                record: true,
            },
        )
        .unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::Conflict);
        assert!(err.message.contains("m.yaml"));
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
        let prev = crate::session::load_state(&tree).unwrap();
        let second = run(&files, &tree, prev.as_ref(), false);
        assert!(!second.changes_anything(), "{second:?}");
    }
}
