//! `regen --all ROOT`: every layout below a root, one report, one exit code.

mod common;

use std::path::Path;

use common::*;

fn layout(root: &Path, rel: &str, sets: &[&str]) {
    let out = init(&root.join(rel), sets);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn all(root: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .args(["regen", "--all"])
        .args(args)
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn check_all_reports_each_layout_and_one_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    layout(root, "clusters/prod", &[]);
    layout(root, "clusters/staging", &["iac=terraform"]);
    layout(root, "teams/a/gitops", &["pod_identity=aks-addon"]);
    // Not searched: hidden folders, vendored trees, ignored folders.
    layout(root, ".git/modules/x", &[]);
    layout(root, "node_modules/pkg", &[]);
    layout(root, "scratch/old", &[]);
    layout(root, "teams/tmp-copy", &[]);
    std::fs::write(root.join(".gitignore"), "# local\nscratch/\n").unwrap();
    std::fs::write(root.join("teams/.gitignore"), "/tmp-*\n").unwrap();

    let ok = all(root, &["--check"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("3 layouts: 3 current, 0 drifted, 0 errors"),
        "{text}"
    );

    let f = root.join("clusters/staging/iac/flux-configuration.tf");
    std::fs::write(&f, std::fs::read_to_string(&f).unwrap() + "# hand edit\n").unwrap();
    // A kept edit is not drift: regen would write nothing.
    assert_eq!(all(root, &["--check"]).status.code(), Some(0));
    let drift = all(root, &["--check", "--strict", "--format", "json"]);
    assert_eq!(drift.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&drift.stdout).unwrap();
    let layouts = r["layouts"].as_array().unwrap();
    assert_eq!(layouts.len(), 3);
    let staging = layouts
        .iter()
        .find(|l| l["dir"] == "clusters/staging")
        .unwrap();
    assert_eq!(staging["status"], "drift");
    assert_eq!(staging["files"][0], "iac/flux-configuration.tf");
    assert_eq!(r["summary"]["drifted"], 1);
    assert!(layouts.iter().filter(|l| l["status"] == "current").count() == 2);
    // --check wrote nothing.
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .ends_with("# hand edit\n")
    );

    // A broken layout is an error for the fleet, and the others still run.
    std::fs::write(
        root.join("teams/a/gitops/.flux-scaffold/answers.yaml"),
        "tool_version: [\n",
    )
    .unwrap();
    let broken = all(root, &["--check", "--strict"]);
    assert_eq!(broken.status.code(), Some(2));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(
        text.contains("error     teams/a/gitops") && text.contains("drift     clusters/staging"),
        "{text}"
    );
}

#[test]
fn regen_all_updates_every_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for i in 0..5 {
        layout(root, &format!("l{i}"), &[]);
    }
    let out = bin()
        .args([
            "regen",
            "--all",
            "--set",
            "flux_namespace=flux-ext",
            "--jobs",
            "2",
        ])
        .arg(root)
        .output()
        .unwrap();
    assert_success(&out);
    for i in 0..5 {
        let ex =
            std::fs::read_to_string(root.join(format!("l{i}/infrastructure/flux-exception.yaml")))
                .unwrap();
        assert!(ex.contains("namespace: flux-ext"));
    }
    assert_eq!(all(root, &["--check"]).status.code(), Some(0));
}

#[test]
fn an_empty_root_has_nothing_to_check() {
    let tmp = tempfile::tempdir().unwrap();
    let out = all(tmp.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 layouts"));
}
