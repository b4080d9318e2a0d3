//! `regen --all ROOT`: every layout below a root, one report, one exit code.

use std::path::Path;

use crate::common::*;

fn layout(root: &Path, rel: &str, sets: &[&str]) {
    let out = init(&root.join(rel), sets);
    assert_success(&out);
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
    let tmp = tempdir();
    let root = tmp.path();
    layout(root, "clusters/prod", &[]);
    layout(root, "clusters/staging", &["iac=terraform"]);
    layout(root, "teams/a/gitops", &["pod_identity=aks-addon"]);
    // Not searched: .git, and folders the .gitignore files ignore.
    layout(root, ".git/modules/x", &[]);
    layout(root, "node_modules/pkg", &[]);
    layout(root, "scratch/old", &[]);
    layout(root, "teams/tmp-copy", &[]);
    std::fs::write(
        root.join(".gitignore"),
        "# local\nscratch/\nnode_modules/\n",
    )
    .unwrap();
    std::fs::write(root.join("teams/.gitignore"), "/tmp-*\n").unwrap();

    let ok = all(root, &["--check"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let text = stdout(&ok);
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
    let text = stdout(&broken);
    assert!(
        text.contains("error     teams/a/gitops") && text.contains("drift     clusters/staging"),
        "{text}"
    );
}

#[test]
fn regen_all_updates_every_layout() {
    let tmp = tempdir();
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
    let tmp = tempdir();
    let out = all(tmp.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("0 layouts"));
}

/// The layouts `regen --check --all` reports, by folder.
fn reported(root: &Path) -> (Option<i32>, Vec<String>) {
    let out = all(root, &["--check", "--format", "json"]);
    let r: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    let dirs = r["layouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["dir"].as_str().unwrap().to_string())
        .collect();
    (out.status.code(), dirs)
}

#[test]
fn discovery_follows_gitignore_semantics_and_skips_nothing_else() {
    let tmp = tempdir();
    let root = tmp.path();
    for rel in [
        "clusters/prod",
        "clusters/dev",
        "deep/myscratch",
        "deep/a/b/scratch",
        "target/layout",
        "vendor/layout",
        ".config/layout",
        "teams/new",
        "teams/old",
    ] {
        layout(root, rel, &[]);
    }
    std::fs::write(
        root.join(".gitignore"),
        "clusters/*\n!clusters/prod/\ndeep/**/scratch\n",
    )
    .unwrap();
    std::fs::write(root.join("teams/.gitignore"), "old/\n").unwrap();
    let (code, dirs) = reported(root);
    assert_eq!(code, Some(0));
    assert_eq!(
        dirs,
        [
            ".config/layout",
            "clusters/prod",
            "deep/myscratch",
            "target/layout",
            "teams/new",
            "vendor/layout",
        ]
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_an_error_not_a_skip() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let root = tmp.path();
    layout(root, "readable", &[]);
    layout(root, "locked/inside", &[]);
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads every folder: run as an ordinary user to make one unreadable.
    let mut cmd = if runs_as_root() {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(bin().get_program());
        c
    } else {
        bin()
    };
    let out = cmd
        .env("NO_COLOR", "1")
        .args(["regen", "--check", "--all"])
        .arg(root)
        .output()
        .unwrap();
    std::fs::set_permissions(root.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(3), "{text}{}", stderr(&out));
    assert!(text.contains("error     locked"), "{text}");
    assert!(text.contains("readable"), "{text}");
}

/// Whether the tests run as root (whom no folder permission stops).
fn runs_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0")
}
