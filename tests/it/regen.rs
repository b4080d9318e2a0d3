//! `regen` after an upgrade, with a pack on disk at version 1 and then 2
//! (tests/fixtures/regen-pack-v1 and -v2): every outcome of the merge, the
//! drift check, moved defaults, and broken state.

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::*;

fn fixture(v: u8) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/regen-pack-v{v}"))
}

/// A repository initialised from the version 1 fixture pack with `sets`.
fn v1_repo(sets: &[&str]) -> Repo {
    let repo = Repo::new();
    let mut t = Test::new()
        .args(&["init", "--no-input", "--pack"])
        .arg(fixture(1))
        .arg(repo.path());
    for s in sets {
        t = t.set(s);
    }
    t.success();
    repo
}

fn regen(root: &Path, args: &[&str]) -> std::process::Output {
    Test::new().arg("regen").arg(root).args(args).run().0
}

fn regen_v2(root: &Path, args: &[&str]) -> std::process::Output {
    let v2 = fixture(2);
    let mut all = vec!["--pack", v2.to_str().unwrap()];
    all.extend_from_slice(args);
    regen(root, &all)
}

fn action<'a>(report: &'a serde_json::Value, path: &str) -> &'a str {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in {report}"))["action"]
        .as_str()
        .unwrap()
}

#[test]
fn untouched_file_is_updated() {
    let repo = v1_repo(&[]);
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_success(&out);
    let r = json(&out);
    assert_eq!(action(&r, "app/config.yaml"), "update");
    assert_eq!(action(&r, "app/stable.yaml"), "unchanged");
    assert!(repo.read("app/config.yaml").contains("tier: gold"));
    assert_eq!(r["pack"]["version"], "2");
    let state = repo.read(".flux-scaffold/answers.yaml");
    assert!(state.contains("version: '2'"), "{state}");
}

#[test]
fn user_edit_is_kept_when_the_template_did_not_change() {
    let repo = v1_repo(&[]);
    repo.edit("app/stable.yaml", "in both versions", "mine");
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert!(out.status.success());
    assert_eq!(action(&json(&out), "app/stable.yaml"), "keep");
    assert!(repo.read("app/stable.yaml").contains("mine"));
}

#[test]
fn edits_in_different_parts_merge_cleanly() {
    let repo = v1_repo(&[]);
    repo.edit("app/config.yaml", "  four: \"4\"", "  four: mine");
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_success(&out);
    assert_eq!(action(&json(&out), "app/config.yaml"), "merge");
    let text = repo.read("app/config.yaml");
    assert!(
        text.contains("four: mine") && text.contains("tier: gold"),
        "{text}"
    );
    assert!(!text.contains("<<<<<<<"));
    // The merged file is the user's now; the next regen has nothing to do.
    let again = regen_v2(repo.path(), &["--format", "json"]);
    assert!(again.status.success());
    assert_eq!(action(&json(&again), "app/config.yaml"), "keep");
}

#[test]
fn overlapping_edits_give_markers_and_exit_1() {
    let repo = v1_repo(&[]);
    repo.edit("app/config.yaml", "  tier: bronze", "  tier: silver");
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    assert_eq!(action(&r, "app/config.yaml"), "conflict");
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "app/config.yaml")
        .unwrap();
    assert_eq!(f["conflicts"], 1);
    let text = repo.read("app/config.yaml");
    assert!(
        text.contains(
            "<<<<<<< yours\n  tier: silver\n=======\n  tier: gold\n>>>>>>> flux-scaffold\n"
        ),
        "{text}"
    );
    // Until the markers are resolved, regen keeps failing and says why.
    let again = regen_v2(repo.path(), &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stdout(&again).contains("conflict markers remain"));
    repo.edit(
        "app/config.yaml",
        "<<<<<<< yours\n  tier: silver\n=======\n  tier: gold\n>>>>>>> flux-scaffold\n",
        "  tier: silver\n",
    );
    assert_eq!(regen_v2(repo.path(), &[]).status.code(), Some(0));
}

#[test]
fn force_takes_the_new_render() {
    let repo = v1_repo(&[]);
    repo.edit("app/config.yaml", "  tier: bronze", "  tier: silver");
    let out = regen_v2(repo.path(), &["--force"]);
    assert!(out.status.success());
    assert!(repo.read("app/config.yaml").contains("tier: gold"));
}

#[test]
fn check_catches_a_hand_edit_and_passes_when_current() {
    let repo = v1_repo(&[]);
    let v1 = fixture(1);
    let ok = regen(repo.path(), &["--check", "--pack", v1.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    // Without --pack, regen finds the pack recorded in the state.
    assert_eq!(regen(repo.path(), &["--check"]).status.code(), Some(0));
    repo.edit("app/stable.yaml", "in both versions", "hand edit");
    let before = tree(repo.path());
    // A kept edit is no drift: regen would write nothing. --strict counts it.
    assert_eq!(regen(repo.path(), &["--check"]).status.code(), Some(0));
    let drift = regen(repo.path(), &["--check", "--strict"]);
    assert_eq!(drift.status.code(), Some(1));
    assert!(stderr(&drift).contains("app/stable.yaml"));
    assert!(
        repo.read("app/stable.yaml").contains("hand edit"),
        "check writes nothing"
    );
    assert_eq!(tree(repo.path()), before);
    // A newer pack is drift too.
    let repo2 = v1_repo(&[]);
    let out = regen_v2(repo2.path(), &["--check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    assert!(
        r["drift"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "app/config.yaml"),
        "{r}"
    );
}

#[test]
fn moved_defaults_are_followed_and_reported_and_given_answers_kept() {
    let repo = v1_repo(&["name=beta"]);
    let out = regen_v2(repo.path(), &[]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("default   replicas: 1 -> 2"), "{text}");
    assert!(
        !text.contains("default   name"),
        "a given answer does not move: {text}"
    );
    let config = repo.read("app/config.yaml");
    assert!(
        config.contains("name: beta") && config.contains("replicas: \"2\""),
        "{config}"
    );
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_eq!(
        json(&out)["moved_defaults"].as_array().unwrap().len(),
        0,
        "moved once"
    );
}

#[test]
fn files_no_longer_produced_are_removed_unless_edited() {
    let repo = v1_repo(&[]);
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_eq!(action(&json(&out), "app/old.yaml"), "remove");
    assert!(!repo.path().join("app/old.yaml").exists());
    assert!(
        !repo
            .path()
            .join(".flux-scaffold/base/app/old.yaml.base")
            .exists()
    );

    let repo = v1_repo(&[]);
    repo.edit("app/old.yaml", "name: old", "name: kept");
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_eq!(action(&json(&out), "app/old.yaml"), "keep");
    assert!(repo.read("app/old.yaml").contains("kept"));
}

#[test]
fn set_changes_an_answer() {
    let repo = v1_repo(&[]);
    let out = regen(repo.path(), &["--set", "extra=true"]);
    assert!(out.status.success());
    assert!(repo.path().join("app/extra.yaml").exists());
    let state = repo.read(".flux-scaffold/answers.yaml");
    assert!(state.contains("extra: true"));
    // Recorded: the next regen keeps it without flags.
    assert_eq!(regen(repo.path(), &["--check"]).status.code(), Some(0));
}

#[test]
fn patched_entries_are_ensured_again() {
    let repo = v1_repo(&[]);
    std::fs::write(
        repo.path().join("app/kustomization.yaml"),
        "# mine\nresources:\n- config.yaml\n",
    )
    .unwrap();
    let out = regen(repo.path(), &[]);
    assert!(out.status.success());
    assert_eq!(
        repo.read("app/kustomization.yaml"),
        "# mine\nresources:\n- config.yaml\n- stable.yaml\n"
    );
    kustomize_build(&repo.path().join("app"));
}

#[test]
fn once_files_stay_the_users() {
    let repo = v1_repo(&[]);
    std::fs::write(repo.path().join("NOTES.md"), "my notes\n").unwrap();
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert!(out.status.success());
    assert_eq!(action(&json(&out), "NOTES.md"), "keep");
    assert_eq!(repo.read("NOTES.md"), "my notes\n");
}

#[test]
fn dry_run_shows_diffs_and_writes_nothing() {
    let repo = v1_repo(&[]);
    let before: Vec<(String, Vec<u8>)> = tree(repo.path())
        .into_iter()
        .map(|p| {
            let b = std::fs::read(repo.path().join(&p)).unwrap();
            (p, b)
        })
        .collect();
    let out = regen_v2(repo.path(), &["--dry-run"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("-  tier: bronze") && text.contains("+  tier: gold"),
        "{text}"
    );
    let after: Vec<(String, Vec<u8>)> = tree(repo.path())
        .into_iter()
        .map(|p| {
            let b = std::fs::read(repo.path().join(&p)).unwrap();
            (p, b)
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn broken_answers_file_names_file_and_line() {
    let repo = v1_repo(&[]);
    let path = repo.path().join(".flux-scaffold/answers.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("answers:", "answers: [unclosed")).unwrap();
    let before = tree(repo.path());
    let out = regen_v2(repo.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".flux-scaffold/answers.yaml") && err.contains("line"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(tree(repo.path()), before);
    assert!(repo.read("app/config.yaml").contains("bronze"));
}

#[test]
fn state_from_a_newer_tool_is_refused() {
    let repo = v1_repo(&[]);
    let path = repo.path().join(".flux-scaffold/answers.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let newer = text.replace(
        &format!("tool_version: {}", env!("CARGO_PKG_VERSION")),
        "tool_version: 999.0.0",
    );
    assert_ne!(text, newer);
    std::fs::write(&path, newer).unwrap();
    let out = regen(repo.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("newer"));
}

#[test]
fn regen_without_state_says_to_init() {
    let repo = Repo::new();
    let out = regen(repo.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("init"));
}

#[test]
fn default_pack_switch_to_remote_crds() {
    let repo = Repo::new();
    assert!(init(repo.path(), &[]).status.success());
    let out = regen(repo.path(), &["--set", "crds=remote", "--format", "json"]);
    assert!(out.status.success());
    let r = json(&out);
    assert_eq!(action(&r, "prerequisites/pod-identity-crds.yaml"), "remove");
    assert_eq!(action(&r, "prerequisites/kustomization.yaml"), "patch");
    let k = repo.read("prerequisites/kustomization.yaml");
    assert!(k.contains("v1.8.17/charts"), "{k}");
    assert!(
        !k.contains("pod-identity-crds.yaml"),
        "the entry goes with its file: {k}"
    );
    assert_eq!(regen(repo.path(), &["--check"]).status.code(), Some(0));
    // Adding a target to iac.
    let out = regen(repo.path(), &["--set", "iac=bicep,az-cli,terraform"]);
    assert!(out.status.success());
    assert!(repo.path().join("iac/flux-configuration.tf").exists());
}

#[test]
fn a_recorded_pack_that_moved_is_named_with_the_way_out() {
    let repo = Repo::new();
    let pack = repo.path().join("pack");
    for rel in common::tree(&fixture(1)) {
        let dst = pack.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(fixture(1).join(&rel), dst).unwrap();
    }
    let root = repo.path().join("repo");
    let out = bin()
        .args(["init", "--no-input", "--pack"])
        .arg(&pack)
        .arg(&root)
        .output()
        .unwrap();
    assert_success(&out);
    std::fs::rename(&pack, repo.path().join("moved")).unwrap();
    let out = regen(&root, &["--check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--pack") && err.contains("answers.yaml"),
        "{err}"
    );
    let moved = repo.path().join("moved");
    // The files are current; only the record of where the pack lives would change.
    let out = regen(&root, &["--check", "--pack", moved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(".flux-scaffold"));
    assert_success(&regen(&root, &["--pack", moved.to_str().unwrap()]));
    assert_eq!(regen(&root, &["--check"]).status.code(), Some(0));
}

#[test]
fn a_tampered_base_is_not_trusted() {
    let repo = v1_repo(&[]);
    // The user edits a file and, by mistake, its base too: the base no
    // longer matches its hash, so the edit must not count as "unedited".
    repo.edit("app/config.yaml", "  tier: bronze", "  tier: silver");
    let base = ".flux-scaffold/base/app/config.yaml.base";
    repo.edit(base, "  tier: bronze", "  tier: silver");
    let out = regen_v2(repo.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(action(&json(&out), "app/config.yaml"), "conflict");
    assert!(
        repo.read("app/config.yaml").contains("tier: silver"),
        "the edit survives"
    );
}
