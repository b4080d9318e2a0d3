//! Flux objects through kubectl, one module per environment, the extension beside the exception, durations read alike by every consumer.

use super::bicep_files::check_schema;
use super::*;

#[test]
fn prune_true_is_written_only_when_true() {
    let tmp = tempdir();
    generate(tmp.path(), &["iac=az-cli"]);
    let text = read(tmp.path(), "iac/flux-configuration.sh");
    let cmd = shell::commands(&text)
        .into_iter()
        .find(|c| c[0] == "az")
        .unwrap();
    for g in az::kustomization_groups(&cmd) {
        assert!(g.contains(&"prune=true".to_string()));
        assert!(az::parse_kustomization(&g).unwrap().prune);
    }
}

#[test]
fn flux_objects_build_and_chain() {
    for addon in [false, true] {
        for n in 1..=3 {
            let tmp = tempdir();
            let pi = pod_identity(addon);
            generate(tmp.path(), &["iac=flux", &env_sets(n), pi]);
            for env in &["staging", "production", "dev"][..n] {
                let built = kustomize_build(&tmp.path().join("clusters").join(env));
                let docs = documents(&built);
                let by_name =
                    |name: &str| docs.iter().find(|d| d["metadata"]["name"] == name).unwrap();
                let names = stages(addon);
                assert_eq!(docs.len(), names.len());
                for (i, name) in names.iter().enumerate() {
                    let d = by_name(name);
                    assert_eq!(d["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
                    assert_eq!(d["kind"], "Kustomization");
                    assert_eq!(d["spec"]["sourceRef"]["kind"], "GitRepository");
                    assert_eq!(d["spec"]["prune"], true);
                    assert_eq!(d["spec"]["interval"], "10m");
                    let deps = d["spec"].get("dependsOn");
                    if i == 0 {
                        assert!(deps.is_none());
                    } else {
                        assert_eq!(deps.unwrap()[0]["name"], names[i - 1]);
                    }
                }
                assert_eq!(by_name("apps")["spec"]["path"], format!("./apps/{env}"));
            }
        }
    }
}

#[test]
fn flux_objects_join_an_existing_bootstrap() {
    let tmp = tempdir();
    let dir = tmp.path().join("clusters/staging");
    std::fs::create_dir_all(dir.join("flux-system")).unwrap();
    std::fs::write(
        dir.join("flux-system/kustomization.yaml"),
        "resources:\n- gotk.yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("flux-system/gotk.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n",
    )
    .unwrap();
    generate(tmp.path(), &["iac=flux"]);
    let built = kustomize_build(&dir);
    let kinds: Vec<String> = documents(&built)
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains(&"Namespace".to_string()),
        "the bootstrap stays included: {kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "Kustomization").count(), 3);
}

#[test]
fn bicep_main_has_one_module_per_environment() {
    for n in 1..=3 {
        let tmp = tempdir();
        generate(tmp.path(), &["iac=bicep", &env_sets(n)]);
        let src = read(tmp.path(), "iac/main.bicep");
        let tree = bicep::parse(&src);
        bicep::assert_no_errors(&tree, &src, "main.bicep");
        let mods = bicep::modules(&tree, &src);
        assert_eq!(mods.len(), n);
        let mut names = std::collections::BTreeSet::new();
        for (i, (_, path, body)) in mods.iter().enumerate() {
            assert_eq!(path, "flux-configuration.bicep");
            let env = ["staging", "production", "dev"][i];
            assert!(
                names.insert(body["name"].as_str().unwrap().to_string()),
                "deployment names unique"
            );
            assert_eq!(body["params"]["appsPath"], format!("apps/{env}"));
            let config = body["params"]["configurationName"].as_str().unwrap();
            if n == 1 {
                assert_eq!(config, "cluster-config");
                assert_eq!(body["params"]["clusterName"], "aks-demo");
            } else {
                assert_eq!(config, format!("cluster-config-{env}"));
                assert_eq!(body["params"]["clusterName"], format!("aks-demo-{env}"));
            }
        }
    }
}

#[test]
fn the_extension_runs_where_the_exception_lives() {
    let tmp = tempdir();
    generate(
        tmp.path(),
        &["iac=bicep,az-cli,terraform", "flux_namespace=flux-ext"],
    );
    let src = read(tmp.path(), "iac/flux-configuration.bicep");
    let ext = bicep::resource_body(
        &src,
        "flux-configuration.bicep",
        "Microsoft.KubernetesConfiguration/extensions@",
    );
    assert_eq!(ext["properties"]["extensionType"], "microsoft.flux");
    assert_eq!(
        ext["properties"]["scope"]["cluster"]["releaseNamespace"],
        "flux-ext"
    );
    let body: hcl::Body = hcl::from_str(&read(tmp.path(), "iac/flux-configuration.tf")).unwrap();
    let ext = body
        .blocks()
        .find(|b| b.labels()[0].as_str() == "azurerm_kubernetes_cluster_extension")
        .unwrap();
    let ns = ext
        .body()
        .attributes()
        .find(|a| a.key() == "release_namespace")
        .unwrap();
    assert_eq!(ns.expr(), &hcl::Expression::from("flux-ext"));
    let script = read(tmp.path(), "iac/flux-configuration.sh");
    let cmds = shell::commands(&script);
    let create = cmds
        .iter()
        .find(|c| c.len() > 2 && c[1] == "k8s-extension")
        .expect("extension created first");
    assert_eq!(az::flag(create, &["--release-namespace"]), Some("flux-ext"));
    assert_eq!(
        az::flag(create, &["--extension-type"]),
        Some("microsoft.flux")
    );
    let pos = |sub: &str| {
        cmds.iter()
            .position(|c| c.len() > 1 && c[1] == sub)
            .unwrap()
    };
    assert!(pos("k8s-extension") < pos("k8s-configuration"));
    // With the default namespace the CLI's own install is enough.
    let tmp2 = tempdir();
    generate(tmp2.path(), &["iac=az-cli"]);
    assert!(!read(tmp2.path(), "iac/flux-configuration.sh").contains("k8s-extension"));
}

/// Calibrates the schema check on real files: every flux configuration in
/// ../shared/corpus/bicep written for a version whose schema is in
/// ../shared/reference passes it, so the check is not stricter than ARM.
#[test]
fn schema_check_accepts_real_world_bicep() {
    let shared = shared();
    let mut checked = 0;
    for entry in std::fs::read_dir(shared.join("corpus/bicep"))
        .unwrap()
        .flatten()
    {
        let src = std::fs::read_to_string(entry.path()).unwrap();
        let tree = bicep::parse(&src);
        for (_, ty, body) in bicep::resources(&tree, &src) {
            let file = match ty.as_str() {
                "Microsoft.KubernetesConfiguration/fluxConfigurations@2025-04-01" => {
                    "kubernetesconfiguration-fluxconfiguration-2025-04-01.swagger.json"
                }
                "Microsoft.KubernetesConfiguration/fluxConfigurations@2021-11-01-preview" => {
                    "kubernetesconfiguration-fluxconfiguration-2021-11-01-preview.swagger.json"
                }
                _ => continue,
            };
            if !body["properties"].is_object() {
                continue;
            }
            let swagger: Value = serde_json::from_str(
                &std::fs::read_to_string(shared.join("reference").join(file)).unwrap(),
            )
            .unwrap();
            let defs = &swagger["definitions"];
            check_schema(
                &format!("{} properties", entry.file_name().to_string_lossy()),
                &body["properties"],
                &defs["FluxConfiguration"]["properties"]["properties"],
                defs,
            );
            checked += 1;
        }
    }
    eprintln!("{checked} real-world flux configurations checked");
    assert!(checked > 0);
}

/// Every interval in the Terraform file, by attribute name, in order.
fn terraform_seconds(body: &hcl::Body) -> Vec<(String, u64)> {
    fn walk(body: &hcl::Body, out: &mut Vec<(String, u64)>) {
        for a in body.attributes() {
            if a.key().ends_with("_in_seconds")
                && let hcl::Expression::Number(n) = a.expr()
            {
                out.push((a.key().to_string(), n.as_u64().unwrap()));
            }
        }
        for b in body.blocks() {
            walk(b.body(), out);
        }
    }
    let mut out = Vec::new();
    walk(body, &mut out);
    out
}

/// The az CLI reads a duration by its own rule (az::seconds), Bicep and
/// Terraform get seconds, Flux a Go duration: all four must agree, for
/// answers in any Go form.
#[test]
fn durations_are_read_alike_by_bicep_terraform_az_and_flux() {
    assert_eq!(az::seconds("500ms"), 30_000, "the rule as az applies it");
    assert_eq!(az::seconds("30s1m"), 30);
    assert_eq!(az::seconds("1h1h"), 3600);
    for (given, secs) in [
        ("30s1m", 90),
        ("1h1h", 7200),
        ("2000ms", 2),
        ("90m", 5400),
        ("35791394s", 35_791_394),
    ] {
        let tmp = tempdir();
        let sets = [
            "iac=bicep,az-cli,terraform,flux".to_string(),
            format!("sync_interval={given}"),
            format!("retry_interval={given}"),
            format!("timeout={given}"),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        generate(tmp.path(), &sets);
        let (_, body) = flux_config(tmp.path());
        let props = &body["properties"];
        assert_eq!(props["gitRepository"]["syncIntervalInSeconds"], secs);
        assert_eq!(props["gitRepository"]["timeoutInSeconds"], secs);
        for (name, k) in props["kustomizations"].as_object().unwrap() {
            for f in [
                "syncIntervalInSeconds",
                "retryIntervalInSeconds",
                "timeoutInSeconds",
            ] {
                assert_eq!(k[f], secs, "{given}: bicep {name}.{f}");
            }
        }
        let tf: hcl::Body = hcl::from_str(&read(tmp.path(), "iac/flux-configuration.tf")).unwrap();
        let tf = terraform_seconds(&tf);
        assert_eq!(tf.len(), 2 + 3 * 3);
        for (attr, v) in tf {
            assert_eq!(v, secs, "{given}: terraform {attr}");
        }
        let script = read(tmp.path(), "iac/flux-configuration.sh");
        let cmd = shell::commands(&script)
            .into_iter()
            .find(|c| c.len() > 1 && c[1] == "k8s-configuration")
            .unwrap();
        for f in ["--interval", "--timeout"] {
            assert_eq!(
                az::seconds(az::flag(&cmd, &[f]).unwrap()),
                secs,
                "{given}: az {f}"
            );
        }
        for g in az::kustomization_groups(&cmd) {
            let k = az::parse_kustomization(&g).unwrap();
            for v in [k.sync_interval, k.retry_interval, k.timeout] {
                assert_eq!(az::seconds(&v.unwrap()), secs, "{given}: az {g:?}");
            }
        }
        let built = kustomize_build(&tmp.path().join("clusters/staging"));
        for d in documents(&built) {
            for f in ["interval", "retryInterval", "timeout"] {
                let v = d["spec"][f].as_str().unwrap();
                assert_eq!(az::seconds(v), secs, "{given}: flux {f} {v}");
            }
        }
    }
}

/// Durations the consumers cannot hold are refused at the answer.
#[test]
fn durations_outside_whole_seconds_1_to_35791394_are_refused() {
    for (key, bad) in [
        ("sync_interval", "500ms"),
        ("retry_interval", "1500ms"),
        ("timeout", "0s"),
        ("sync_interval", "35791395s"),
        ("timeout", "9999999999999999999h"),
    ] {
        let tmp = tempdir();
        let set = format!("{key}={bad}");
        let out = init(&tmp.path().join("x"), &["iac=terraform", &set]);
        assert_eq!(out.status.code(), Some(2), "{set}");
        let err = stderr(&out);
        assert!(
            err.contains(key) && err.trim().lines().count() == 1,
            "{err}"
        );
        assert!(!tmp.path().join("x").exists());
    }
}
