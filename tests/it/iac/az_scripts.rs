//! az scripts through a shell's word splitting and the CLI's parsing rules.

use super::*;

fn bash_n(path: &Path) {
    let out = std::process::Command::new("bash")
        .arg("-n")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash -n {}: {}",
        path.display(),
        stderr(&out)
    );
}

#[test]
fn az_scripts_parse_as_the_cli_parses_them() {
    for addon in [false, true] {
        for n in 1..=3 {
            for git_ref in ["main", "tag:v1.0.0", "semver:>=1.0.0 <2.0.0"] {
                let tmp = tempdir();
                let pi = pod_identity(addon);
                let r = format!("git_ref={git_ref}");
                generate(
                    tmp.path(),
                    &["iac=az-cli", &env_sets(n), pi, &r, "prune=false"],
                );
                let script = tmp.path().join("iac/flux-configuration.sh");
                bash_n(&script);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    assert!(
                        std::fs::metadata(&script).unwrap().permissions().mode() & 0o111 != 0,
                        "executable"
                    );
                }
                let text = read(tmp.path(), "iac/flux-configuration.sh");
                assert!(text.contains("set -euo pipefail"));
                let cmds: Vec<Vec<String>> = shell::commands(&text)
                    .into_iter()
                    .filter(|c| c[0] == "az")
                    .collect();
                assert_eq!(cmds.len(), n);
                for (e, words) in cmds.iter().enumerate() {
                    assert_eq!(&words[1..4], ["k8s-configuration", "flux", "create"]);
                    assert_eq!(
                        az::flag(words, &["-t", "--cluster-type"]),
                        Some("managedClusters")
                    );
                    for f in [
                        "--resource-group",
                        "--cluster-name",
                        "--name",
                        "--namespace",
                        "--url",
                        "--scope",
                    ] {
                        assert!(az::flag(words, &[f]).is_some(), "{f}");
                    }
                    let refs: Vec<&String> = words
                        .iter()
                        .filter(|w| {
                            ["--branch", "--tag", "--semver", "--commit"].contains(&w.as_str())
                        })
                        .collect();
                    assert_eq!(refs.len(), 1, "exactly one git ref flag");
                    let (kind, value) = git_ref.split_once(':').unwrap_or(("branch", git_ref));
                    assert_eq!(az::flag(words, &[&format!("--{kind}")]), Some(value));
                    let ks: Vec<az::Kustomization> = az::kustomization_groups(words)
                        .iter()
                        .map(|g| az::parse_kustomization(g).unwrap())
                        .collect();
                    let names: Vec<&str> = ks.iter().map(|k| k.name.as_str()).collect();
                    assert_eq!(names, stages(addon));
                    for (i, k) in ks.iter().enumerate() {
                        if i == 0 {
                            assert!(k.depends_on.is_empty());
                        } else {
                            assert_eq!(k.depends_on, vec![ks[i - 1].name.clone()]);
                        }
                        assert!(!k.prune, "prune=false is not written");
                        assert!(!words.iter().any(|w| w.starts_with("prune=")));
                    }
                    let apps = ks.last().unwrap();
                    let env = ["staging", "production", "dev"][e];
                    assert_eq!(apps.path, format!("./apps/{env}"));
                    assert!(!addon || !text.contains("prereqs"));
                }
                if addon {
                    let p = tmp.path().join("iac/pod-identity-exception.sh");
                    bash_n(&p);
                    let cmds =
                        shell::exception_adds(&read(tmp.path(), "iac/pod-identity-exception.sh"));
                    let adds: Vec<&Vec<String>> = cmds.iter().collect();
                    assert_eq!(adds.len(), 2 * n, "one per label per cluster");
                    for w in adds {
                        assert_eq!(&w[1..5], ["aks", "pod-identity", "exception", "add"]);
                        assert_eq!(az::flag(w, &["--namespace"]), Some("flux-system"));
                        for f in ["--resource-group", "--cluster-name", "--name"] {
                            assert!(az::flag(w, &[f]).is_some(), "{f}");
                        }
                        let label = az::flag(w, &["--pod-labels"]).unwrap();
                        assert!(label.starts_with("app.kubernetes.io/name="), "{label}");
                    }
                    let ex = documents(&read(
                        tmp.path(),
                        "pod-identity-exception/flux-exception.yaml",
                    ));
                    assert_eq!(ex.len(), 2);
                }
            }
        }
    }
}
