//! `iac/recover.sh`, for a cluster where Flux is already stuck: it parses,
//! its az commands pass the CLI's rules, and run against stub kubectl and
//! az it applies the CRDs before the exception (files the run wrote) and,
//! with `--reinstall ENV`, deletes and recreates that environment's flux
//! configuration and extension in order.

use crate::common::az;
use crate::common::shell;
use crate::common::stubs;

use std::path::Path;

use crate::common::*;

fn az_commands(root: &Path) -> Vec<Vec<String>> {
    let script = read(root, "iac/recover.sh");
    shell::commands(&stubs::command_lines(&script, &["az"]))
}

fn sub(w: &[String]) -> String {
    w[1..]
        .iter()
        .map(String::as_str)
        .take_while(|x| !x.starts_with('-'))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_az_commands_pass_the_clis_rules() {
    for iac in ["az-cli", "bicep", "terraform", "bicep,az-cli"] {
        for pod_identity in ["helm", "aks-addon"] {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path();
            let sets = [
                format!("iac={iac}"),
                format!("pod_identity={pod_identity}"),
                "environments=staging,production".into(),
                "resource_group=rg(prod).x".into(),
                "flux_namespace=gitops".into(),
            ];
            let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
            generate(root, &sets);
            stubs::bash_n(&root.join("iac/recover.sh"));
            let cmds = az_commands(root);
            assert!(!cmds.is_empty());
            for w in &cmds {
                assert_eq!(
                    az::flag(w, &["--resource-group"]),
                    Some("rg(prod).x"),
                    "{w:?}"
                );
                let cluster_type = az::flag(w, &["--cluster-type"]);
                let sub = sub(w);
                if sub != "deployment group create" {
                    assert_eq!(cluster_type, Some("managedClusters"), "{w:?}");
                }
                match sub.as_str() {
                    "k8s-configuration flux delete" | "k8s-extension delete" => {
                        assert!(w.contains(&"--yes".to_string()), "{w:?}");
                    }
                    "k8s-extension show" => {}
                    "k8s-extension create" => {
                        assert_eq!(az::flag(w, &["--extension-type"]), Some("microsoft.flux"));
                        assert_eq!(az::flag(w, &["--release-namespace"]), Some("gitops"));
                        assert_eq!(az::flag(w, &["--scope"]), Some("cluster"));
                    }
                    "k8s-configuration flux create" => {
                        let names: Vec<String> = az::kustomization_groups(w)
                            .iter()
                            .map(|g| az::parse_kustomization(g).unwrap().name)
                            .collect();
                        let want: &[&str] = if pod_identity == "helm" {
                            &["prereqs", "infra", "apps"]
                        } else {
                            &["infra", "apps"]
                        };
                        assert_eq!(names, want);
                    }
                    "deployment group create" => {
                        assert_eq!(az::flag(w, &["--template-file"]), Some("iac/main.bicep"));
                    }
                    other => panic!("unexpected az {other}"),
                }
            }
        }
    }
}

/// Stubs for kubectl and az that log their calls; terraform too.
fn stubs_in(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let bin = stubs::bin_dir(tmp);
    let (klog, alog) = (tmp.join("kubectl.log"), tmp.join("az.log"));
    stubs::recorder(&bin, "kubectl", &klog, "aks-demo\n");
    stubs::recorder(&bin, "az", &alog, "Failed\n");
    stubs::recorder(&bin, "terraform", &alog, "");
    (bin, klog, alog)
}

#[test]
fn it_applies_the_crds_then_the_exception() {
    for (sets, crds, exception) in [
        (
            vec!["iac=az-cli"],
            "prerequisites/pod-identity-crds.yaml",
            "infrastructure/flux-exception.yaml",
        ),
        (
            vec!["iac=bicep", "crds=remote", "crds_version=v1.8.16"],
            "https://raw.githubusercontent.com/Azure/aad-pod-identity/v1.8.16/charts/aad-pod-identity/crds/crd.yaml",
            "infrastructure/flux-exception.yaml",
        ),
        (
            vec!["iac=bicep", "pod_identity=aks-addon"],
            "",
            "pod-identity-exception/flux-exception.yaml",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        generate(&root, &sets);
        let (bin, klog, alog) = stubs_in(tmp.path());
        // Run from elsewhere: the script finds the layout itself.
        let out = stubs::run(
            tmp.path(),
            &bin,
            &root.join("iac/recover.sh").display().to_string(),
            &[],
        );
        assert_success(&out);
        let calls = stubs::calls(&klog);
        let applied: Vec<&str> = calls
            .iter()
            .filter(|c| c[0] == "apply")
            .map(|c| c[2].as_str())
            .collect();
        let want: Vec<&str> = [crds, exception]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(applied, want, "{sets:?}");
        for f in applied.iter().filter(|f| !f.starts_with("https://")) {
            assert!(root.join(f).is_file(), "{f}");
        }
        if !crds.is_empty() {
            let wait = calls
                .iter()
                .position(|c| c[0] == "wait")
                .expect("waits for the CRD");
            assert_eq!(wait, 2, "between the CRDs and the exception: {calls:?}");
        }
        assert!(!alog.exists(), "no az without --reinstall");
    }
}

#[test]
fn reinstall_deletes_and_recreates_in_order() {
    for (iac, redeploy) in [
        ("az-cli", "k8s-configuration flux create"),
        ("bicep", "deployment group create"),
        ("terraform", "-chdir=iac apply"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let i = format!("iac={iac}");
        generate(&root, &[&i, "environments=staging,production"]);
        let (bin, _, alog) = stubs_in(tmp.path());
        let bad = stubs::run(&root, &bin, "iac/recover.sh", &["--reinstall", "nowhere"]);
        assert_eq!(bad.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("staging, production"));
        std::fs::remove_file(&alog).ok();
        let out = stubs::run(
            &root,
            &bin,
            "iac/recover.sh",
            &["--reinstall", "production"],
        );
        assert_success(&out);
        let calls: Vec<String> = stubs::calls(&alog).iter().map(|c| c.join(" ")).collect();
        let order = [
            "k8s-extension show",
            "k8s-configuration flux delete",
            "k8s-extension delete",
            redeploy,
        ];
        let mut at = 0;
        for step in order {
            let i = calls[at..]
                .iter()
                .position(|c| c.contains(step))
                .unwrap_or_else(|| panic!("{iac}: {step} after {at} in {calls:?}"));
            at += i + 1;
        }
        assert!(
            calls.iter().all(|c| !c.contains("aks-demo-staging")),
            "only production"
        );
        // Terraform and Bicep declare the extension; recreating it by hand
        // too would make Terraform fail on a resource it did not create.
        let created = calls.iter().any(|c| c.contains("k8s-extension create"));
        assert_eq!(created, iac == "az-cli", "{iac}");
    }
}

#[test]
fn plain_flux_has_no_reinstall() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["iac=flux"]);
    let text = read(tmp.path(), "iac/recover.sh");
    assert!(!text.contains("--reinstall"), "{text}");
    stubs::bash_n(&tmp.path().join("iac/recover.sh"));
}

/// A mistyped argument or environment stops the script before it touches
/// the cluster: nothing is applied to whatever the kubectl context is.
#[test]
fn bad_arguments_are_refused_before_anything_is_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    generate(&root, &["iac=az-cli"]);
    let (bin, klog, alog) = stubs_in(tmp.path());
    let script = root.join("iac/recover.sh").display().to_string();
    for args in [&["--help"][..], &["--reinstall", "prod"], &["--reinstall"]] {
        let out = stubs::run(tmp.path(), &bin, &script, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("usage: bash iac/recover.sh"),
            "{args:?}"
        );
        assert!(
            !klog.exists() && !alog.exists(),
            "{args:?}: the cluster was touched"
        );
    }
    let out = stubs::run(tmp.path(), &bin, &script, &["--reinstall", "staging"]);
    assert_success(&out);
}
