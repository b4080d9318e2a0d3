//! Bicep: tree-sitter-bicep, the chain of kustomizations, the ARM schemas per API version.

use super::*;

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
pub(super) fn resolve<'a>(schema: &'a Value, defs: &'a Value) -> Vec<&'a Value> {
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
pub(super) fn check_schema(path: &str, value: &Value, schema: &Value, defs: &Value) {
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
