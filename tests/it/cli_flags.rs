//! The command line around the core: "did you mean" for answer keys and
//! choice values, errors as JSON with `--format json`, flags that make no
//! sense together refused by the parser, help strings in `packs show`.

use crate::common;

use crate::common::bin;

fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_mistyped_key_or_choice_names_the_closest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let dir = dir.to_str().unwrap();
    let out = run(&["init", "--no-input", dir, "--set", "clustr_name=aks"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean 'cluster_name'?"),
        "{}",
        stderr(&out)
    );
    // Far from every key: the known keys instead.
    let out = run(&["init", "--no-input", dir, "--set", "zzz=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("known: pod_identity, iac"),
        "{}",
        stderr(&out)
    );
    let out = run(&["init", "--no-input", dir, "--set", "iac=bicpe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean 'bicep'?"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("repo").exists());
}

#[test]
fn with_format_json_an_error_is_a_json_object_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    for (args, kind) in [
        (vec!["init", "--no-input", "--format", "json"], "input"),
        (vec!["init", "--format=json", "--no-such-flag"], "usage"),
        (vec!["regen", "--format", "json"], "input"),
    ] {
        let out = bin().args(&args).arg(&dir).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {:?}", out.stdout));
        assert_eq!(v["error"]["kind"], kind, "{v}");
        assert_eq!(v["error"]["exit_code"], 2, "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty());
        // The same line is on stderr.
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
    // Without --format json, stdout stays empty.
    let out = bin()
        .args(["init", "--no-input"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
}

#[test]
fn flags_that_make_no_sense_together_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_str().unwrap();
    for args in [
        vec!["regen", "--jobs", "3", dir],
        vec!["regen", "--check", "--force", dir],
        vec!["regen", "--check", "--dry-run", dir],
        vec!["regen", "--strict", dir],
        vec!["regen", "--all", "--diff", dir],
        vec!["regen", "--all", "--jobs", "0", dir],
        vec!["init", "--yes", "--dry-run", "--no-input", dir],
        vec!["init", "--no-input", "--format", "json", "--diff", dir],
        vec!["regen", "--format", "json", "-q", dir],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?} was accepted");
        assert!(
            stderr(&out).contains("cannot be used with")
                || stderr(&out).contains("required arguments were not provided")
                || stderr(&out).contains("invalid value"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_eq!(common::tree(tmp.path()), Vec::<String>::new());
    }
}

#[test]
fn packs_show_prints_the_help_strings() {
    let out = run(&["packs", "show", "aks-flux-pod-identity"]);
    common::assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("NMI reads exceptions only from the pod's own"),
        "{text}"
    );
    assert!(text.contains("plain Flux Kustomization objects"), "{text}");
}
