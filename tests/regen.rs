//! `regen` after an upgrade, with a pack on disk at version 1 and then 2
//! (tests/fixtures/regen-pack-v1 and -v2): every outcome of the merge, the
//! drift check, moved defaults, and broken state.

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn fixture(v: u8) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/regen-pack-v{v}"))
}

fn init_v1(root: &Path, sets: &[&str]) {
    let mut c = bin();
    c.args(["init", "--no-input", "--pack"])
        .arg(fixture(1))
        .arg(root);
    for s in sets {
        c.arg("--set").arg(s);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn regen(root: &Path, args: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.arg("regen").arg(root).args(args);
    c.output().unwrap()
}

fn regen_v2(root: &Path, args: &[&str]) -> std::process::Output {
    let v2 = fixture(2);
    let mut all = vec!["--pack", v2.to_str().unwrap()];
    all.extend_from_slice(args);
    regen(root, &all)
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let text = read(root, rel);
    assert!(text.contains(from), "{rel} lacks {from:?}");
    std::fs::write(root.join(rel), text.replacen(from, to, 1)).unwrap();
}

fn json_report(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
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
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_report(&out);
    assert_eq!(action(&r, "app/config.yaml"), "update");
    assert_eq!(action(&r, "app/stable.yaml"), "unchanged");
    assert!(read(tmp.path(), "app/config.yaml").contains("tier: gold"));
    assert_eq!(r["pack"]["version"], "2");
    let state = read(tmp.path(), ".flux-scaffold/answers.yaml");
    assert!(state.contains("version: '2'"), "{state}");
}

#[test]
fn user_edit_is_kept_when_the_template_did_not_change() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    edit(tmp.path(), "app/stable.yaml", "in both versions", "mine");
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert!(out.status.success());
    assert_eq!(action(&json_report(&out), "app/stable.yaml"), "keep");
    assert!(read(tmp.path(), "app/stable.yaml").contains("mine"));
}

#[test]
fn edits_in_different_parts_merge_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    edit(
        tmp.path(),
        "app/config.yaml",
        "  four: \"4\"",
        "  four: mine",
    );
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(action(&json_report(&out), "app/config.yaml"), "merge");
    let text = read(tmp.path(), "app/config.yaml");
    assert!(
        text.contains("four: mine") && text.contains("tier: gold"),
        "{text}"
    );
    assert!(!text.contains("<<<<<<<"));
    // The merged file is the user's now; the next regen has nothing to do.
    let again = regen_v2(tmp.path(), &["--format", "json"]);
    assert!(again.status.success());
    assert_eq!(action(&json_report(&again), "app/config.yaml"), "keep");
}

#[test]
fn overlapping_edits_give_markers_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    edit(
        tmp.path(),
        "app/config.yaml",
        "  tier: bronze",
        "  tier: silver",
    );
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_report(&out);
    assert_eq!(action(&r, "app/config.yaml"), "conflict");
    let f = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "app/config.yaml")
        .unwrap();
    assert_eq!(f["conflicts"], 1);
    let text = read(tmp.path(), "app/config.yaml");
    assert!(
        text.contains(
            "<<<<<<< yours\n  tier: silver\n=======\n  tier: gold\n>>>>>>> flux-scaffold\n"
        ),
        "{text}"
    );
    // Until the markers are resolved, regen keeps failing and says why.
    let again = regen_v2(tmp.path(), &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("conflict markers remain"));
    edit(
        tmp.path(),
        "app/config.yaml",
        "<<<<<<< yours\n  tier: silver\n=======\n  tier: gold\n>>>>>>> flux-scaffold\n",
        "  tier: silver\n",
    );
    assert_eq!(regen_v2(tmp.path(), &[]).status.code(), Some(0));
}

#[test]
fn force_takes_the_new_render() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    edit(
        tmp.path(),
        "app/config.yaml",
        "  tier: bronze",
        "  tier: silver",
    );
    let out = regen_v2(tmp.path(), &["--force"]);
    assert!(out.status.success());
    assert!(read(tmp.path(), "app/config.yaml").contains("tier: gold"));
}

#[test]
fn check_catches_a_hand_edit_and_passes_when_current() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let v1 = fixture(1);
    let ok = regen(tmp.path(), &["--check", "--pack", v1.to_str().unwrap()]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // Without --pack, regen finds the pack recorded in the state.
    assert_eq!(regen(tmp.path(), &["--check"]).status.code(), Some(0));
    edit(
        tmp.path(),
        "app/stable.yaml",
        "in both versions",
        "hand edit",
    );
    let before = tree(tmp.path());
    // A kept edit is no drift: regen would write nothing. --strict counts it.
    assert_eq!(regen(tmp.path(), &["--check"]).status.code(), Some(0));
    let drift = regen(tmp.path(), &["--check", "--strict"]);
    assert_eq!(drift.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&drift.stderr).contains("app/stable.yaml"));
    assert!(
        read(tmp.path(), "app/stable.yaml").contains("hand edit"),
        "check writes nothing"
    );
    assert_eq!(tree(tmp.path()), before);
    // A newer pack is drift too.
    let tmp2 = tempfile::tempdir().unwrap();
    init_v1(tmp2.path(), &[]);
    let out = regen_v2(tmp2.path(), &["--check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json_report(&out);
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
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &["name=beta"]);
    let out = regen_v2(tmp.path(), &[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("default   replicas: 1 -> 2"), "{text}");
    assert!(
        !text.contains("default   name"),
        "a given answer does not move: {text}"
    );
    let config = read(tmp.path(), "app/config.yaml");
    assert!(
        config.contains("name: beta") && config.contains("replicas: \"2\""),
        "{config}"
    );
    let json = regen_v2(tmp.path(), &["--format", "json"]);
    assert_eq!(
        json_report(&json)["moved_defaults"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "moved once"
    );
}

#[test]
fn files_no_longer_produced_are_removed_unless_edited() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert_eq!(action(&json_report(&out), "app/old.yaml"), "remove");
    assert!(!tmp.path().join("app/old.yaml").exists());
    assert!(
        !tmp.path()
            .join(".flux-scaffold/base/app/old.yaml.base")
            .exists()
    );

    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    edit(tmp.path(), "app/old.yaml", "name: old", "name: kept");
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert_eq!(action(&json_report(&out), "app/old.yaml"), "keep");
    assert!(read(tmp.path(), "app/old.yaml").contains("kept"));
}

#[test]
fn set_changes_an_answer() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let out = regen(tmp.path(), &["--set", "extra=true"]);
    assert!(out.status.success());
    assert!(tmp.path().join("app/extra.yaml").exists());
    let state = read(tmp.path(), ".flux-scaffold/answers.yaml");
    assert!(state.contains("extra: true"));
    // Recorded: the next regen keeps it without flags.
    assert_eq!(regen(tmp.path(), &["--check"]).status.code(), Some(0));
}

#[test]
fn patched_entries_are_ensured_again() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    std::fs::write(
        tmp.path().join("app/kustomization.yaml"),
        "# mine\nresources:\n- config.yaml\n",
    )
    .unwrap();
    let out = regen(tmp.path(), &[]);
    assert!(out.status.success());
    assert_eq!(
        read(tmp.path(), "app/kustomization.yaml"),
        "# mine\nresources:\n- config.yaml\n- stable.yaml\n"
    );
    kustomize_build(&tmp.path().join("app"));
}

#[test]
fn once_files_stay_the_users() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    std::fs::write(tmp.path().join("NOTES.md"), "my notes\n").unwrap();
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert!(out.status.success());
    assert_eq!(action(&json_report(&out), "NOTES.md"), "keep");
    assert_eq!(read(tmp.path(), "NOTES.md"), "my notes\n");
}

#[test]
fn dry_run_shows_diffs_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let before: Vec<(String, Vec<u8>)> = tree(tmp.path())
        .into_iter()
        .map(|p| {
            let b = std::fs::read(tmp.path().join(&p)).unwrap();
            (p, b)
        })
        .collect();
    let out = regen_v2(tmp.path(), &["--dry-run"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-  tier: bronze") && text.contains("+  tier: gold"),
        "{text}"
    );
    let after: Vec<(String, Vec<u8>)> = tree(tmp.path())
        .into_iter()
        .map(|p| {
            let b = std::fs::read(tmp.path().join(&p)).unwrap();
            (p, b)
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn broken_answers_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let path = tmp.path().join(".flux-scaffold/answers.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("answers:", "answers: [unclosed")).unwrap();
    let before = tree(tmp.path());
    let out = regen_v2(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".flux-scaffold/answers.yaml") && err.contains("line"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(tree(tmp.path()), before);
    assert!(read(tmp.path(), "app/config.yaml").contains("bronze"));
}

#[test]
fn state_from_a_newer_tool_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    let path = tmp.path().join(".flux-scaffold/answers.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let newer = text.replace(
        &format!("tool_version: {}", env!("CARGO_PKG_VERSION")),
        "tool_version: 999.0.0",
    );
    assert_ne!(text, newer);
    std::fs::write(&path, newer).unwrap();
    let out = regen(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer"));
}

#[test]
fn regen_without_state_says_to_init() {
    let tmp = tempfile::tempdir().unwrap();
    let out = regen(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("init"));
}

#[test]
fn default_pack_switch_to_remote_crds() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(init(tmp.path(), &[]).status.success());
    let out = regen(tmp.path(), &["--set", "crds=remote", "--format", "json"]);
    assert!(out.status.success());
    let r = json_report(&out);
    assert_eq!(action(&r, "prerequisites/pod-identity-crds.yaml"), "remove");
    assert_eq!(action(&r, "prerequisites/kustomization.yaml"), "patch");
    let k = read(tmp.path(), "prerequisites/kustomization.yaml");
    assert!(k.contains("v1.8.17/charts"), "{k}");
    assert!(!k.contains("pod-identity-crds.yaml"), "the entry goes with its file: {k}");
    assert_eq!(regen(tmp.path(), &["--check"]).status.code(), Some(0));
    // Adding a target to iac.
    let out = regen(tmp.path(), &["--set", "iac=bicep,az-cli,terraform"]);
    assert!(out.status.success());
    assert!(tmp.path().join("iac/flux-configuration.tf").exists());
}

#[test]
fn a_recorded_pack_that_moved_is_named_with_the_way_out() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    for rel in common::tree(&fixture(1)) {
        let dst = pack.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(fixture(1).join(&rel), dst).unwrap();
    }
    let root = tmp.path().join("repo");
    let out = bin()
        .args(["init", "--no-input", "--pack"])
        .arg(&pack)
        .arg(&root)
        .output()
        .unwrap();
    assert_success(&out);
    std::fs::rename(&pack, tmp.path().join("moved")).unwrap();
    let out = regen(&root, &["--check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--pack") && err.contains("answers.yaml"),
        "{err}"
    );
    let moved = tmp.path().join("moved");
    // The files are current; only the record of where the pack lives would change.
    let out = regen(&root, &["--check", "--pack", moved.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".flux-scaffold"));
    assert_success(&regen(&root, &["--pack", moved.to_str().unwrap()]));
    assert_eq!(regen(&root, &["--check"]).status.code(), Some(0));
}

#[test]
fn a_tampered_base_is_not_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    init_v1(tmp.path(), &[]);
    // The user edits a file and, by mistake, its base too: the base no
    // longer matches its hash, so the edit must not count as "unedited".
    edit(
        tmp.path(),
        "app/config.yaml",
        "  tier: bronze",
        "  tier: silver",
    );
    let base = ".flux-scaffold/base/app/config.yaml.base";
    edit(tmp.path(), base, "  tier: bronze", "  tier: silver");
    let out = regen_v2(tmp.path(), &["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(action(&json_report(&out), "app/config.yaml"), "conflict");
    assert!(
        read(tmp.path(), "app/config.yaml").contains("tier: silver"),
        "the edit survives"
    );
}
