//! The infrastructure code: Bicep against tree-sitter-bicep and the ARM
//! schemas, Terraform through hcl-rs, az scripts through a shell's word
//! splitting and the CLI's parsing rules, Flux objects through kubectl.

use crate::common::az;
use crate::common::bicep;
use crate::common::shell;

use std::path::Path;

use crate::common::*;
use serde_json::Value;

const VERSIONS: [&str; 9] = [
    "2025-04-01",
    "2024-11-01",
    "2023-05-01",
    "2022-11-01",
    "2022-07-01",
    "2022-03-01",
    "2024-04-01-preview",
    "2022-01-01-preview",
    "2021-11-01-preview",
];

fn stages(addon: bool) -> Vec<&'static str> {
    if addon {
        vec!["infra", "apps"]
    } else {
        vec!["prereqs", "infra", "apps"]
    }
}

fn flux_config(root: &Path) -> (String, Value) {
    let src = read(root, "iac/flux-configuration.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "flux-configuration.bicep");
    let res = bicep::resources(&tree, &src);
    let (_, ty, body) = res
        .into_iter()
        .find(|(_, t, _)| t.starts_with("Microsoft.KubernetesConfiguration/fluxConfigurations@"))
        .expect("a fluxConfigurations resource");
    (ty, body)
}

#[test]
fn bicep_parses_and_chains_for_every_api_version() {
    for addon in [false, true] {
        for v in VERSIONS {
            let tmp = tempdir();
            let pi = pod_identity(addon);
            generate(
                tmp.path(),
                &["iac=bicep", &format!("bicep_api_version={v}"), pi],
            );
            for f in ["iac/main.bicep", "iac/flux-configuration.bicep"] {
                let src = read(tmp.path(), f);
                bicep::assert_no_errors(&bicep::parse(&src), &src, f);
            }
            let (ty, body) = flux_config(tmp.path());
            assert_eq!(
                ty,
                format!("Microsoft.KubernetesConfiguration/fluxConfigurations@{v}")
            );
            assert_eq!(body["scope"]["expr"], "aks", "scoped to the cluster");
            assert_eq!(body["dependsOn"][0]["expr"], "flux", "after the extension");
            let props = &body["properties"];
            assert_eq!(
                props["gitRepository"]["repositoryRef"],
                serde_json::json!({"branch": "main"})
            );
            let k = props["kustomizations"].as_object().unwrap();
            let mut keys: Vec<&str> = k.keys().map(String::as_str).collect();
            let names = stages(addon);
            let mut expected = names.clone();
            keys.sort();
            expected.sort();
            assert_eq!(keys, expected, "{v}");
            let legacy = v == "2021-11-01-preview" || v == "2022-01-01-preview";
            for (i, name) in names.iter().enumerate() {
                let deps = k[*name]["dependsOn"].as_array().unwrap();
                if i == 0 {
                    assert!(deps.is_empty());
                } else if legacy {
                    assert_eq!(
                        deps,
                        &vec![serde_json::json!({"kustomizationName": names[i - 1]})],
                        "{v}"
                    );
                } else {
                    assert_eq!(deps, &vec![Value::from(names[i - 1])], "{v}");
                }
                let has_wait = k[*name].get("wait").is_some();
                assert_eq!(
                    has_wait,
                    v >= "2023-05-01" && v != "2022-11-01",
                    "{v}: wait"
                );
                assert!(k[*name].get("validation").is_none());
            }
            if addon {
                let src = read(tmp.path(), "iac/pod-identity-exceptions.bicep");
                let tree = bicep::parse(&src);
                bicep::assert_no_errors(&tree, &src, "pod-identity-exceptions.bicep");
                let outs = bicep::outputs(&tree, &src);
                let ex = outs[0].1.as_array().unwrap();
                assert_eq!(ex.len(), 2);
                assert_eq!(ex[0]["namespace"], "flux-system");
                assert_eq!(
                    ex[1]["podLabels"]["app.kubernetes.io/name"],
                    "microsoft.flux"
                );
            }
        }
    }
}

/// Resolve `$ref` and merge `allOf` in a swagger schema.
fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        out.extend(resolve(&defs[name], defs));
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            out.extend(resolve(s, defs));
        }
    }
    out.push(schema);
    out
}

/// Check a JSON value against a swagger schema: every key known and
/// writable, every type right.
fn check_schema(path: &str, value: &Value, schema: &Value, defs: &Value) {
    let parts = resolve(schema, defs);
    let ty = parts
        .iter()
        .find_map(|p| p.get("type").and_then(Value::as_str));
    let enums: Vec<&Value> = parts.iter().filter_map(|p| p.get("enum")).collect();
    if let (Some(e), Some(s)) = (enums.first(), value.as_str()) {
        assert!(
            e.as_array().unwrap().iter().any(|x| x == s),
            "{path}: {s} not in {e}"
        );
    }
    match value {
        Value::Object(map) if map.contains_key("expr") && map.len() == 1 => {}
        Value::Object(map) => {
            assert!(
                ty.is_none() || ty == Some("object"),
                "{path}: object where {ty:?}"
            );
            for (k, v) in map {
                let prop = parts
                    .iter()
                    .find_map(|p| p.get("properties").and_then(|ps| ps.get(k)));
                let prop = prop.or_else(|| {
                    parts
                        .iter()
                        .find_map(|p| p.get("additionalProperties").filter(|a| a.is_object()))
                });
                let prop = prop.unwrap_or_else(|| panic!("{path}.{k}: not in the schema"));
                assert!(
                    prop.get("readOnly") != Some(&Value::Bool(true)),
                    "{path}.{k}: read-only"
                );
                check_schema(&format!("{path}.{k}"), v, prop, defs);
            }
        }
        Value::Array(items) => {
            assert_eq!(ty, Some("array"), "{path}");
            let item_schema = parts.iter().find_map(|p| p.get("items")).unwrap();
            for (i, v) in items.iter().enumerate() {
                check_schema(&format!("{path}[{i}]"), v, item_schema, defs);
            }
        }
        Value::String(_) => assert_eq!(ty.unwrap_or("string"), "string", "{path}"),
        Value::Number(_) => assert_eq!(ty, Some("integer"), "{path}"),
        Value::Bool(_) => assert_eq!(ty, Some("boolean"), "{path}"),
        Value::Null => panic!("{path}: null"),
    }
}

#[test]
fn bicep_matches_the_arm_schemas() {
    let shared = shared();
    for (v, file) in [
        (
            "2025-04-01",
            "kubernetesconfiguration-fluxconfiguration-2025-04-01.swagger.json",
        ),
        (
            "2021-11-01-preview",
            "kubernetesconfiguration-fluxconfiguration-2021-11-01-preview.swagger.json",
        ),
    ] {
        let swagger: Value = serde_json::from_str(
            &std::fs::read_to_string(shared.join("reference").join(file)).unwrap(),
        )
        .unwrap();
        let defs = &swagger["definitions"];
        for sets in [
            vec!["iac=bicep", "git_ref=tag:v1.2.3"],
            vec![
                "iac=bicep",
                "git_ref=semver:>=1.0.0 <2.0.0",
                "pod_identity=aks-addon",
                "prune=false",
            ],
            vec![
                "iac=bicep",
                "git_ref=commit:0123456789abcdef0123456789abcdef01234567",
                // A namespace-scoped configuration is refused with Helm.
                "pod_identity=aks-addon",
                "config_scope=namespace",
            ],
        ] {
            let tmp = tempdir();
            let mut sets = sets.clone();
            let version = format!("bicep_api_version={v}");
            sets.push(&version);
            generate(tmp.path(), &sets);
            let (_, body) = flux_config(tmp.path());
            check_schema(
                &format!("{v} properties"),
                &body["properties"],
                &defs["FluxConfiguration"]["properties"]["properties"],
                defs,
            );
            let r = body["properties"]["gitRepository"]["repositoryRef"]
                .as_object()
                .unwrap();
            assert_eq!(r.len(), 1, "exactly one of branch, tag, semver, commit");
        }
    }
}

#[test]
fn unknown_bicep_version_lists_the_known_ones() {
    let tmp = tempdir();
    let out = init(&tmp.path().join("x"), &["bicep_api_version=2020-01-01"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bicep_api_version")
            && err.contains("2025-04-01")
            && err.contains("2021-11-01-preview"),
        "{err}"
    );
    assert!(!tmp.path().join("x").exists());
}

fn pod_identity(addon: bool) -> &'static str {
    if addon {
        "pod_identity=aks-addon"
    } else {
        "pod_identity=helm"
    }
}

fn env_sets(n: usize) -> String {
    format!(
        "environments={}",
        ["staging", "production", "dev"][..n].join(",")
    )
}

#[test]
fn terraform_parses_and_chains() {
    for addon in [false, true] {
        for n in 1..=3 {
            let tmp = tempdir();
            let pi = pod_identity(addon);
            generate(tmp.path(), &["iac=terraform", &env_sets(n), pi]);
            let body: hcl::Body =
                hcl::from_str(&read(tmp.path(), "iac/flux-configuration.tf")).expect("valid HCL");
            let configs: Vec<&hcl::Block> = body
                .blocks()
                .filter(|b| {
                    b.identifier() == "resource"
                        && b.labels()[0].as_str() == "azurerm_kubernetes_flux_configuration"
                })
                .collect();
            assert_eq!(configs.len(), n);
            let extensions = body
                .blocks()
                .filter(|b| {
                    b.identifier() == "resource"
                        && b.labels()[0].as_str() == "azurerm_kubernetes_cluster_extension"
                })
                .count();
            assert_eq!(extensions, n);
            for c in configs {
                let attr = |name: &str| {
                    c.body()
                        .attributes()
                        .find(|a| a.key() == name)
                        .map(|a| a.expr().clone())
                };
                assert_eq!(
                    attr("scope"),
                    Some(hcl::Expression::from("cluster")),
                    "scope written explicitly"
                );
                let name = match attr("name") {
                    Some(hcl::Expression::String(s)) => s,
                    other => panic!("name {other:?}"),
                };
                assert!(name.len() <= 30);
                assert!(attr("depends_on").is_some(), "depends on the extension");
                let ks: Vec<(String, Vec<String>)> = c
                    .body()
                    .blocks()
                    .filter(|b| b.identifier() == "kustomizations")
                    .map(|k| {
                        let get = |n: &str| {
                            k.body()
                                .attributes()
                                .find(|a| a.key() == n)
                                .map(|a| a.expr().clone())
                        };
                        let name = match get("name") {
                            Some(hcl::Expression::String(s)) => s,
                            other => panic!("{other:?}"),
                        };
                        assert!(name.len() <= 30);
                        let deps = match get("depends_on") {
                            Some(hcl::Expression::Array(a)) => a
                                .into_iter()
                                .map(|e| match e {
                                    hcl::Expression::String(s) => s,
                                    other => panic!("{other:?}"),
                                })
                                .collect(),
                            None => Vec::new(),
                            other => panic!("{other:?}"),
                        };
                        (name, deps)
                    })
                    .collect();
                let names: Vec<&str> = ks.iter().map(|(n, _)| n.as_str()).collect();
                assert_eq!(names, stages(addon));
                for (i, (_, deps)) in ks.iter().enumerate() {
                    let expected: Vec<String> = if i == 0 {
                        vec![]
                    } else {
                        vec![ks[i - 1].0.clone()]
                    };
                    assert_eq!(deps, &expected);
                }
            }
        }
    }
}

#[test]
fn terraform_name_limit_is_checked() {
    let tmp = tempdir();
    let out = init(
        &tmp.path().join("x"),
        &[
            "iac=terraform",
            "environments=staging,production",
            "config_name=a-rather-long-configuration",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("config_names") && err.contains("30"), "{err}");
    assert!(!tmp.path().join("x").exists());
}

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
