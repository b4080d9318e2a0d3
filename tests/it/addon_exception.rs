//! The add-on's exception script is safe to run again: against a stub `az`
//! that keeps each cluster's exceptions as the real one does (`exception
//! add` appends without checking; `exception list` returns the cluster,
//! whose podIdentityProfile holds them), two runs leave one exception per
//! name, and every call passes the CLI's rules.

use crate::common::az;
use crate::common::shell;
use crate::common::stubs;

use std::path::Path;

use crate::common::*;

/// The query the script reads the list with, and the one it must use: the
/// stub answers it with `namespace<TAB>name` rows, as az's tsv output does.
const QUERY: &str = "podIdentityProfile.userAssignedIdentityExceptions[].[namespace, name]";

/// A stub az keeping one state file per cluster under `state`.
fn az_stub(bin: &Path, state: &Path, log: &Path) {
    std::fs::create_dir_all(state).unwrap();
    stubs::stub(
        bin,
        "az",
        &format!(
            r#"state={state}
printf '%s\0' "$@" >> {log}; printf '\n' >> {log}
[ "$1 $2 $3" = "aks pod-identity exception" ] || {{ echo "unexpected: $*" >&2; exit 1; }}
declare -A opt=()
args=("${{@:5}}")
for ((i = 0; i < ${{#args[@]}}; i += 2)); do opt["${{args[i]}}"]="${{args[i+1]}}"; done
file="$state/${{opt[--resource-group]}}.${{opt[--cluster-name]}}"
touch "$file"
case "$4" in
  list)
    [ "${{opt[--query]}}" = '{QUERY}' ] && [ "${{opt[--output]}}" = tsv ] || {{ echo "unexpected query" >&2; exit 1; }}
    cat "$file" ;;
  add)
    printf '%s\t%s\n' "${{opt[--namespace]}}" "${{opt[--name]}}" >> "$file" ;;
  *) exit 1 ;;
esac
"#,
            state = state.display(),
            log = log.display(),
        ),
    );
}

/// The calls the stub saw, each as its exact words.
fn logged(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split('\0')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect()
        })
        .collect()
}

fn rows(state: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(state).unwrap().flatten().collect();
    files.sort_by_key(|e| e.path());
    for e in files {
        let cluster = e.file_name().to_string_lossy().into_owned();
        for l in std::fs::read_to_string(e.path()).unwrap().lines() {
            out.push((cluster.clone(), l.to_string()));
        }
    }
    out
}

#[test]
fn running_the_script_twice_adds_each_exception_once() {
    for (labels, envs) in [
        ("flux_pod_labels=flux-extension", "environments=staging"),
        (
            "flux_pod_labels=flux-extension,microsoft.flux",
            "environments=staging,production",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        generate(
            &root,
            &["pod_identity=aks-addon", "iac=az-cli", labels, envs],
        );
        let script = root.join("iac/pod-identity-exception.sh");
        stubs::bash_n(&script);
        let (bin, state, log) = (
            stubs::bin_dir(tmp.path()),
            tmp.path().join("state"),
            tmp.path().join("az.log"),
        );
        az_stub(&bin, &state, &log);
        let first = stubs::run(&root, &bin, "iac/pod-identity-exception.sh", &[]);
        assert_success(&first);
        let after_one = rows(&state);
        let second = stubs::run(&root, &bin, "iac/pod-identity-exception.sh", &[]);
        assert_success(&second);
        let after_two = rows(&state);
        assert_eq!(after_one, after_two, "the second run added nothing");
        let n_labels = labels.matches(',').count() + 1;
        let n_envs = envs.matches(',').count() + 1;
        assert_eq!(after_two.len(), n_labels * n_envs, "{after_two:?}");
        let mut unique = after_two.clone();
        unique.dedup();
        assert_eq!(unique, after_two, "one exception per name and cluster");
        assert!(
            after_two
                .iter()
                .all(|(_, r)| r.starts_with("flux-system\t"))
        );
        assert!(String::from_utf8_lossy(&second.stdout).contains("already on cluster"));
        // Every add the CLI saw, by its rules.
        let adds: Vec<Vec<String>> = logged(&log)
            .into_iter()
            .filter(|w| w.get(3).map(String::as_str) == Some("add"))
            .collect();
        assert_eq!(adds.len(), n_labels * n_envs, "adds only on the first run");
        for w in &adds {
            assert_eq!(az::flag(w, &["--namespace"]), Some("flux-system"));
            for f in ["--resource-group", "--cluster-name", "--name"] {
                assert!(az::flag(w, &[f]).is_some(), "{f}");
            }
            let label = az::flag(w, &["--pod-labels"]).unwrap();
            assert!(label.starts_with("app.kubernetes.io/name="), "{label}");
        }
    }
}

#[test]
fn the_script_says_who_owns_the_exceptions() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["pod_identity=aks-addon", "iac=bicep,az-cli"]);
    let text = read(tmp.path(), "iac/pod-identity-exception.sh");
    for says in [
        "Safe to run again",
        "podIdentityProfile holds them",
        "rewrites the whole list",
        "iac/pod-identity-exceptions.bicep",
    ] {
        assert!(text.contains(says), "{says}");
    }
    // The helper's calls split as a shell splits them (the values quoted).
    let calls = stubs::command_lines(&text, &["add_exception"]);
    let cmds = shell::commands(&calls);
    assert_eq!(cmds.len(), 2);
    assert!(cmds.iter().all(|c| c.len() == 6));
}

#[test]
fn a_list_that_fails_stops_the_script_before_any_add() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    generate(&root, &["pod_identity=aks-addon", "iac=az-cli"]);
    let bin = stubs::bin_dir(tmp.path());
    let log = tmp.path().join("az.log");
    stubs::stub(
        &bin,
        "az",
        &format!(
            "printf '%s\\n' \"$*\" >> {}\n[ \"$4\" != list ] || exit 1\n",
            log.display()
        ),
    );
    let out = stubs::run(&root, &bin, "iac/pod-identity-exception.sh", &[]);
    assert!(!out.status.success());
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(!calls.contains(" add "), "{calls}");
}
