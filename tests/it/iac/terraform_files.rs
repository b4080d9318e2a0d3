//! Terraform through hcl-rs: chains, providers, name limits.

use super::*;

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
