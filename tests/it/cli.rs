//! The command line as a tool among others: packs commands, completions,
//! man page, --version, JSON output, NO_COLOR, quiet, help examples.

use crate::common::*;

/// The standard output of `flux-scaffold ARGS`, which must succeed.
fn output_of(args: &[&str]) -> String {
    Test::new().args(args).success().stdout()
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "-F _flux_scaffold_complete flux-scaffold"),
        ("zsh", "#compdef flux-scaffold"),
        ("fish", "--command flux-scaffold"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer"),
    ] {
        let text = output_of(&["completions", shell]);
        assert!(text.contains(marker), "{shell}");
        // Completions come from the program itself (tests/completion.rs).
        assert!(text.contains("COMPLETE"), "{shell} calls the program back");
    }
    let bash = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bash.path(), output_of(&["completions", "bash"])).unwrap();
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(bash.path())
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn man_page() {
    let man = output_of(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH flux-scaffold"),
        "{}",
        &man[..200.min(man.len())]
    );
    assert!(man.contains("init") && man.contains("regen"));
}

#[test]
fn version_names_the_packs() {
    let v = output_of(&["--version"]);
    assert!(
        v.contains(env!("CARGO_PKG_VERSION")) && v.contains("aks-flux-pod-identity 1"),
        "{v}"
    );
}

#[test]
fn help_ends_with_examples() {
    for cmd in [
        &["--help"][..],
        &["init", "--help"],
        &["regen", "--help"],
        &["packs", "--help"],
        &["packs", "list", "--help"],
        &["packs", "show", "--help"],
        &["packs", "export", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let text = output_of(cmd);
        assert!(text.contains("Examples:\n  "), "{cmd:?}");
        assert!(
            text.trim_end()
                .lines()
                .last()
                .unwrap()
                .contains("flux-scaffold"),
            "{cmd:?}"
        );
    }
}

#[test]
fn packs_list_and_show() {
    let list = output_of(&["packs", "list"]);
    assert!(list.starts_with("aks-flux-pod-identity 1"));
    let json: serde_json::Value =
        serde_json::from_str(&output_of(&["packs", "list", "--format", "json"])).unwrap();
    assert_eq!(json[0]["name"], "aks-flux-pod-identity");
    let show = output_of(&["packs", "show", "aks-flux-pod-identity"]);
    for key in [
        "pod_identity",
        "crds_version",
        "git_url",
        "required",
        "managed",
        "patch",
        "{{ infra_path }}/kustomization.yaml",
    ] {
        assert!(show.contains(key), "{key} in {show}");
    }
    let shown: serde_json::Value = serde_json::from_str(&output_of(&[
        "packs",
        "show",
        "aks-flux-pod-identity",
        "--format",
        "json",
    ]))
    .unwrap();
    assert!(
        shown["questions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["key"] == "iac" && q["type"] == "multi-choice")
    );
    let missing = bin().args(["packs", "show", "nope"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn exported_pack_gives_the_same_output() {
    let tmp = tempdir();
    let pack = tmp.path().join("my-pack");
    let out = bin()
        .args(["packs", "export", "aks-flux-pod-identity"])
        .arg(&pack)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(pack.join("pack.yaml").is_file());
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    assert!(
        init(&a, &["iac=bicep,az-cli,terraform,flux"])
            .status
            .success()
    );
    let pack_arg = pack.to_str().unwrap();
    let out = init_cmd(
        &b,
        &["--pack", pack_arg],
        &["iac=bicep,az-cli,terraform,flux"],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let files = tree(&a);
    assert_eq!(files, tree(&b));
    for f in files
        .iter()
        .filter(|f| f.as_str() != ".flux-scaffold/answers.yaml")
    {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    // Exporting into a folder that holds something is refused.
    let again = bin()
        .args(["packs", "export", "aks-flux-pod-identity"])
        .arg(&pack)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn json_report_has_the_documented_fields() {
    let tmp = tempdir();
    let out = init_cmd(tmp.path(), &["--format", "json"], &[])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in [
        "command",
        "dir",
        "pack",
        "dry_run",
        "written",
        "files",
        "moved_defaults",
        "dropped_answers",
    ] {
        assert!(r.get(field).is_some(), "{field}");
    }
    assert_eq!(r["command"], "init");
    assert_eq!(r["written"], true);
    for f in r["files"].as_array().unwrap() {
        assert_eq!(f["outcome"], f["action"]);
        for field in ["path", "action", "outcome", "ownership", "conflicts"] {
            assert!(f.get(field).is_some(), "{field}");
        }
    }
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", stderr(&out));
}

#[test]
fn no_color_and_quiet() {
    let tmp = tempdir();
    let out = init(tmp.path(), &[]);
    assert!(
        !out.stdout.contains(&0x1b),
        "no escape codes under NO_COLOR"
    );
    let quiet = init_cmd(tmp.path(), &["-q"], &[]).output().unwrap();
    assert!(quiet.status.success());
    assert!(
        quiet.stdout.is_empty(),
        "quiet prints only changes: {}",
        stdout(&quiet)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = bin().args(["init", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin()
        .args(["init", "--no-input", "--set", "novalue"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("key=value"));
}
