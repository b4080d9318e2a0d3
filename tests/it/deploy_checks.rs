//! Answers that would break a deployment: each is refused at the answer
//! (exit 2, one line naming it, nothing written) or made right, and what
//! is made right is read back by the consumers' own rules (kubectl
//! kustomize, tree-sitter-bicep, hcl-rs, the az CLI's parsing, git).

use crate::common::az;
use crate::common::bicep;
use crate::common::shell;

use std::path::Path;

use crate::common::*;

/// `sets` is refused with exit 2 and one line naming `key`; nothing is written.
fn assert_refused(sets: &[&str], key: &str) -> String {
    let tmp = tempdir();
    let dir = tmp.path().join("x");
    let out = init(&dir, sets);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{sets:?} not refused: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{sets:?}: one line: {err}");
    assert!(
        err.contains(&format!("'{key}'")),
        "{sets:?}: names {key}: {err}"
    );
    assert!(!dir.exists(), "{sets:?}: nothing written");
    err
}

#[test]
fn answers_that_break_a_deployment_are_refused_at_the_answer() {
    let long_env = format!("environments={}", "e".repeat(46));
    let long_config = format!("config_name={}", "c".repeat(56));
    let long_addon_config = format!("config_name={}", "c".repeat(58));
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["iac=bicep", &long_env], "environments", "64"),
        (vec!["iac=az-cli", &long_config], "config_names", "63"),
        (
            vec![
                "iac=bicep,az-cli",
                "pod_identity=aks-addon",
                &long_addon_config,
            ],
            "config_names",
            "63",
        ),
        (
            vec!["crds=remote", "crds_version=v1.7.5"],
            "crds_version",
            "v1.8.0",
        ),
        (
            vec!["crds=remote", "crds_version=v1.5.5"],
            "crds_version",
            "v1.8.0",
        ),
        (
            vec!["crds=remote", "crds_version=v9.9.9"],
            "crds_version",
            "v1.8.17",
        ),
        (vec!["config_scope=namespace"], "config_scope", "cluster"),
        (
            vec!["pod_identity=aks-addon", "crds=remote"],
            "crds",
            "pod_identity",
        ),
        (
            vec!["environments=staging,production", "resource_groups=rg-a"],
            "resource_groups",
            "one resource group per environment",
        ),
    ];
    for (sets, key, reason) in cases {
        let err = assert_refused(&sets, key);
        assert!(err.contains(reason), "{sets:?}: {err}");
    }
}

#[test]
fn the_limits_themselves_are_accepted() {
    let tmp = tempdir();
    let env = "e".repeat(45);
    let envs = format!("environments={env}");
    let config = format!("config_name={}", "c".repeat(55));
    generate(tmp.path(), &["iac=bicep,az-cli", &envs, &config]);
    let src = read(tmp.path(), "iac/main.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "main.bicep");
    for (_, _, body) in bicep::modules(&tree, &src) {
        let name = body["name"].as_str().unwrap();
        assert_eq!(name.len(), 64, "{name}");
    }
    let script = read(tmp.path(), "iac/flux-configuration.sh");
    let cmd = shell::commands(&script)
        .into_iter()
        .find(|c| c.len() > 1 && c[1] == "k8s-configuration")
        .unwrap();
    let config = az::flag(&cmd, &["--name"]).unwrap();
    for g in az::kustomization_groups(&cmd) {
        let k = az::parse_kustomization(&g).unwrap();
        let in_cluster = format!("{config}-{}", k.name);
        assert!(in_cluster.len() <= 63, "{in_cluster}");
    }
    // The add-on has no prereqs stage: two more characters are free.
    let tmp = tempdir();
    let config = format!("config_name={}", "c".repeat(57));
    generate(
        tmp.path(),
        &["iac=az-cli", "pod_identity=aks-addon", &config],
    );
    // The older releases with v1 CRDs are accepted, remote only.
    let tmp = tempdir();
    generate(tmp.path(), &["crds=remote", "crds_version=v1.8.0"]);
    assert!(read(tmp.path(), "prerequisites/kustomization.yaml").contains("/v1.8.0/"));
    // A namespace-scoped configuration is fine with the add-on.
    let tmp = tempdir();
    generate(
        tmp.path(),
        &[
            "iac=bicep",
            "pod_identity=aks-addon",
            "config_scope=namespace",
        ],
    );
}

#[test]
fn an_empty_label_value_is_refused() {
    let tmp = tempdir();
    let answers = tmp.path().join("answers.yaml");
    std::fs::write(&answers, "flux_pod_labels: ['', microsoft.flux]\n").unwrap();
    let dir = tmp.path().join("x");
    let out = init_cmd(&dir, &["--answers", answers.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("'flux_pod_labels'") && err.contains("empty"),
        "{err}"
    );
    assert!(!dir.exists());
}

/// Exception names from every output, in order.
fn exception_names(root: &Path, addon: bool) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    let yaml = if addon {
        read(root, "pod-identity-exception/flux-exception.yaml")
    } else {
        kustomize_build(&root.join("infrastructure"))
    };
    let docs = documents(&yaml);
    all.push(
        docs.iter()
            .filter(|d| d["kind"] == "AzurePodIdentityException")
            .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
            .collect(),
    );
    if addon {
        let src = read(root, "iac/pod-identity-exceptions.bicep");
        let tree = bicep::parse(&src);
        bicep::assert_no_errors(&tree, &src, "pod-identity-exceptions.bicep");
        let outs = bicep::outputs(&tree, &src);
        all.push(
            outs[0]
                .1
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect(),
        );
        let cmds = shell::exception_adds(&read(root, "iac/pod-identity-exception.sh"));
        all.push(
            cmds.iter()
                .map(|c| az::flag(c, &["--name"]).unwrap().to_string())
                .collect(),
        );
        let tf: serde_json::Value =
            hcl::from_str(&read(root, "iac/flux-configuration.tf")).unwrap();
        let ex = &tf["resource"]["azapi_update_resource"]["flux_exceptions_staging"]["body"]["properties"]
            ["podIdentityProfile"]["userAssignedIdentityExceptions"];
        all.push(
            ex.as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect(),
        );
    }
    all
}

#[test]
fn colliding_label_values_get_unique_valid_exception_names() {
    let re = regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    for labels in [
        "microsoft.flux,microsoft-flux",
        "Flux,flux",
        "flux_x,flux.x,flux-x",
    ] {
        let n = labels.split(',').count();
        for addon in [false, true] {
            let tmp = tempdir();
            let set = format!("flux_pod_labels={labels}");
            let pi = if addon {
                "pod_identity=aks-addon"
            } else {
                "pod_identity=helm"
            };
            generate(tmp.path(), &["iac=bicep,az-cli,terraform", &set, pi]);
            let lists = exception_names(tmp.path(), addon);
            for names in &lists {
                assert_eq!(names.len(), n, "{labels}: {lists:?}");
                let unique: std::collections::BTreeSet<&String> = names.iter().collect();
                assert_eq!(unique.len(), n, "{labels}: names unique: {names:?}");
                for name in names {
                    assert!(re.is_match(name) && name.len() <= 63, "{name}");
                }
                assert_eq!(names, &lists[0], "the same names everywhere");
            }
        }
    }
}

#[test]
fn plain_flux_excepts_upstream_flux_pods() {
    let tmp = tempdir();
    generate(tmp.path(), &["iac=flux"]);
    let text = read(tmp.path(), "infrastructure/flux-exception.yaml");
    for controller in [
        "source-controller",
        "kustomize-controller",
        "helm-controller",
    ] {
        assert!(
            text.contains(controller),
            "names the pods it excepts: {text}"
        );
    }
    let docs = documents(&kustomize_build(&tmp.path().join("infrastructure")));
    let ex: Vec<&serde_yaml::Value> = docs
        .iter()
        .filter(|d| d["kind"] == "AzurePodIdentityException")
        .collect();
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0]["metadata"]["namespace"], "flux-system");
    let labels = ex[0]["spec"]["podLabels"].as_mapping().unwrap();
    assert_eq!(labels.len(), 1);
    assert_eq!(labels["app.kubernetes.io/part-of"], "flux");
    // With the extension the extension's labels stay the default.
    let tmp = tempdir();
    generate(tmp.path(), &["iac=terraform,flux"]);
    let docs = documents(&kustomize_build(&tmp.path().join("infrastructure")));
    let values: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "AzurePodIdentityException")
        .map(|d| {
            d["spec"]["podLabels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(values, ["flux-extension", "microsoft.flux"]);
}

fn hcl_body(root: &Path, rel: &str) -> serde_json::Value {
    hcl::from_str(&read(root, rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn terraform_with_the_addon_orders_the_extension_after_the_exception() {
    let tmp = tempdir();
    generate(
        tmp.path(),
        &[
            "iac=terraform",
            "pod_identity=aks-addon",
            "environments=staging,production",
        ],
    );
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    let yaml = documents(&read(
        tmp.path(),
        "pod-identity-exception/flux-exception.yaml",
    ));
    for env in ["staging", "production"] {
        let update = &tf["resource"]["azapi_update_resource"][format!("flux_exceptions_{env}")];
        assert_eq!(
            update["type"],
            "Microsoft.ContainerService/managedClusters@2024-09-01"
        );
        assert_eq!(
            update["resource_id"],
            format!("${{data.azurerm_kubernetes_cluster.{env}.id}}")
        );
        let ex =
            update["body"]["properties"]["podIdentityProfile"]["userAssignedIdentityExceptions"]
                .as_array()
                .unwrap();
        assert_eq!(ex.len(), yaml.len());
        for (e, y) in ex.iter().zip(&yaml) {
            assert_eq!(e["name"], y["metadata"]["name"].as_str().unwrap());
            assert_eq!(e["namespace"], "flux-system");
            assert_eq!(
                e["podLabels"]["app.kubernetes.io/name"],
                y["spec"]["podLabels"]["app.kubernetes.io/name"]
                    .as_str()
                    .unwrap()
            );
        }
        let ext = &tf["resource"]["azurerm_kubernetes_cluster_extension"][format!("flux_{env}")];
        assert_eq!(
            ext["depends_on"],
            serde_json::json!([format!("${{azapi_update_resource.flux_exceptions_{env}}}")])
        );
    }
    // Helm: no azapi resource, the extension stands alone.
    let tmp = tempdir();
    generate(tmp.path(), &["iac=terraform"]);
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    assert!(tf["resource"].get("azapi_update_resource").is_none());
}

#[test]
fn terraform_output_declares_its_providers_once() {
    let tmp = tempdir();
    generate(tmp.path(), &["iac=terraform", "pod_identity=aks-addon"]);
    let providers = hcl_body(tmp.path(), "iac/providers.tf");
    let required = &providers["terraform"]["required_providers"];
    assert_eq!(required["azurerm"]["source"], "hashicorp/azurerm");
    assert_eq!(required["azapi"]["source"], "Azure/azapi");
    assert!(providers["provider"]["azurerm"]["features"].is_object());
    assert!(providers["provider"].get("azapi").is_some());
    // Every resource and data source in the folder has its provider declared.
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    for kind in ["resource", "data"] {
        for ty in tf[kind].as_object().unwrap().keys() {
            let provider = ty.split('_').next().unwrap();
            assert!(
                required.get(provider).is_some(),
                "{ty}: provider {provider}"
            );
        }
    }
    // It is the user's after the first run: an edit survives regen.
    let p = tmp.path().join("iac/providers.tf");
    let edited = format!(
        "{}# backend of my own\n",
        read(tmp.path(), "iac/providers.tf")
    );
    std::fs::write(&p, &edited).unwrap();
    let out = bin().arg("regen").arg(tmp.path()).output().unwrap();
    assert_success(&out);
    assert_eq!(read(tmp.path(), "iac/providers.tf"), edited);
}

#[test]
fn an_installed_flux_extension_is_referenced_not_declared() {
    let tmp = tempdir();
    generate(
        tmp.path(),
        &[
            "iac=bicep,az-cli,terraform",
            "flux_extension=existing",
            "flux_extension_name=flux-ext",
            "flux_namespace=flux-ns",
        ],
    );
    let src = read(tmp.path(), "iac/flux-configuration.bicep");
    let ext = bicep::resource_body(
        &src,
        "flux-configuration.bicep",
        "Microsoft.KubernetesConfiguration/extensions@",
    );
    assert_eq!(ext["name"], "flux-ext");
    assert!(ext.get("properties").is_none(), "not declared: {ext}");
    assert!(
        src.contains("Microsoft.KubernetesConfiguration/extensions@2025-03-01' existing = {"),
        "an existing reference"
    );
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    assert!(
        tf["resource"]
            .get("azurerm_kubernetes_cluster_extension")
            .is_none()
    );
    assert!(
        tf["resource"]["azurerm_kubernetes_flux_configuration"]["staging"]
            .get("depends_on")
            .is_none()
    );
    let cmds = shell::commands(&read(tmp.path(), "iac/flux-configuration.sh"));
    assert!(
        !cmds.iter().any(|c| c.len() > 1 && c[1] == "k8s-extension"),
        "az creates no extension, even in another namespace"
    );
    assert!(
        cmds.iter()
            .any(|c| c.len() > 1 && c[1] == "k8s-configuration")
    );
}

#[test]
fn each_environment_has_its_resource_group() {
    let tmp = tempdir();
    generate(
        tmp.path(),
        &[
            "iac=bicep,az-cli,terraform",
            "pod_identity=aks-addon",
            "environments=staging,production",
            "resource_groups=rg-demo,rg-prod",
        ],
    );
    let groups = [("staging", "rg-demo"), ("production", "rg-prod")];
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    for (env, rg) in groups {
        assert_eq!(
            tf["data"]["azurerm_kubernetes_cluster"][env]["resource_group_name"],
            rg
        );
    }
    for file in ["iac/flux-configuration.sh", "iac/pod-identity-exception.sh"] {
        let text = read(tmp.path(), file);
        let cmds: Vec<Vec<String>> = if file.ends_with("exception.sh") {
            shell::exception_adds(&text)
        } else {
            shell::commands(&text)
                .into_iter()
                .filter(|c| c[0] == "az")
                .collect()
        };
        assert!(!cmds.is_empty());
        for c in cmds {
            let cluster = az::flag(&c, &["--cluster-name"]).unwrap();
            let rg = az::flag(&c, &["--resource-group"]).unwrap();
            let env = cluster.strip_prefix("aks-demo-").unwrap();
            let expected = groups.iter().find(|(e, _)| *e == env).unwrap().1;
            assert_eq!(rg, expected, "{file}: {cluster}");
        }
    }
    let src = read(tmp.path(), "iac/main.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "main.bicep");
    let mods = bicep::modules(&tree, &src);
    assert!(
        mods[0].2.get("scope").is_none(),
        "the deployment's own group"
    );
    assert_eq!(mods[1].2["scope"]["expr"], "resourceGroup('rg-prod')");
    // By default every environment uses the one answer, shared.
    let tmp = tempdir();
    generate(
        tmp.path(),
        &["iac=terraform", "environments=staging,production"],
    );
    let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
    for env in ["staging", "production"] {
        assert_eq!(
            tf["data"]["azurerm_kubernetes_cluster"][env]["resource_group_name"],
            "rg-demo"
        );
    }
}

/// Whether git itself takes `name` as a branch name.
fn git_accepts(name: &str) -> bool {
    std::process::Command::new("git")
        .args(["check-ref-format", "--branch", name])
        .current_dir(std::env::temp_dir())
        .output()
        .expect("git is installed")
        .status
        .success()
}

#[test]
fn branch_names_follow_gits_own_rules() {
    let names = [
        "it's",
        "feature/\"quoted\"",
        "a$b",
        "a{b}",
        "we`ird",
        "release/1.0",
        "a@b",
        "a..b",
        "a@{1}",
        "a b",
        "a~1",
        "a^",
        "a?",
        "a*",
        "a[b",
        "a\\b",
        "-a",
        ".a",
        "a/.b",
        "a.lock",
        "a/",
        "a//b",
        "a.",
        "@",
        "HEAD",
    ];
    for name in names {
        let accepted = git_accepts(name);
        let tmp = tempdir();
        let set = format!("git_ref=branch:{name}");
        let out = init(tmp.path(), &["iac=bicep,az-cli,terraform", &set]);
        assert_eq!(
            out.status.success(),
            accepted,
            "{name:?}: git {} it: {}",
            if accepted { "accepts" } else { "refuses" },
            stderr(&out)
        );
        if !accepted {
            assert_eq!(out.status.code(), Some(2));
            continue;
        }
        let cmds = shell::commands(&read(tmp.path(), "iac/flux-configuration.sh"));
        let cmd = cmds
            .iter()
            .find(|c| c.len() > 1 && c[1] == "k8s-configuration")
            .unwrap();
        assert_eq!(az::flag(cmd, &["--branch"]), Some(name));
        let body = bicep::resource_body(
            &read(tmp.path(), "iac/flux-configuration.bicep"),
            "flux-configuration.bicep",
            "Microsoft.KubernetesConfiguration/fluxConfigurations@",
        );
        assert_eq!(
            body["properties"]["gitRepository"]["repositoryRef"]["branch"],
            name
        );
        let tf = hcl_body(tmp.path(), "iac/flux-configuration.tf");
        assert_eq!(
            tf["resource"]["azurerm_kubernetes_flux_configuration"]["staging"]["git_repository"]["reference_value"],
            name
        );
    }
}

#[test]
fn merge_keys_in_the_infrastructure_kustomization_are_refused() {
    for text in [
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n<<: {namespace: infra}\nresources:\n- sources\n",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n<<: {resources: [sources]}\n",
    ] {
        let tmp = tempdir();
        flux2_example(tmp.path());
        let p = tmp.path().join("infrastructure/kustomization.yaml");
        std::fs::write(&p, text).unwrap();
        // Asked to patch it, the tool refuses.
        let out = init(tmp.path(), &["exception_stage=infra"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("merge key") && err.contains("infrastructure/kustomization.yaml"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text, "left as it was");
        assert!(
            !tmp.path()
                .join("infrastructure/flux-exception.yaml")
                .exists()
        );
        // By default it finds the place that needs no such patch.
        let out = init(tmp.path(), &[]);
        assert_success(&out);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), text, "left as it was");
        assert!(
            tmp.path()
                .join("prerequisites/flux-exception.yaml")
                .exists()
        );
    }
}
