//! `migrate apply`, step 1: Workload Identity beside Pod Identity, written
//! from what discovery maps. Every stage builds with kubectl kustomize, the
//! workloads' pods get the label and service account, the user's manifests
//! are left as they were, and the infrastructure code is checked by its
//! consumers' rules: Bicep against the ARM swagger, Terraform against the
//! azurerm schema, az through the shell splitter.

use crate::common;
use crate::common::bicep;
use crate::common::flux;
use crate::common::wi;
use crate::common::wi_apply;

use std::collections::{BTreeMap, BTreeSet};

use crate::common::read;
use serde_json::Value;
use wi_apply::*;

use std::path::Path;

#[test]
fn step_1_builds_and_puts_the_workloads_on_workload_identity() {
    let dir = wi::copy_of("wi-migration");
    let before = snapshot(dir.path());
    migrate(dir.path(), &[]);
    assert_workloads(dir.path(), false);
    // The user's files: manifests unchanged, kustomizations only gained lines.
    let after = snapshot(dir.path());
    for (path, old) in &before {
        let new = &after[path];
        if path.ends_with("kustomization.yaml") {
            assert!(new.starts_with(old), "{path} changed beyond its end");
        } else {
            assert_eq!(new, old, "{path} was rewritten");
        }
    }
    // The team's own ServiceAccount is patched, not declared twice.
    let billing = read(dir.path(), "apps/staging/billing/kustomization.yaml");
    assert!(
        billing.contains("- path: wi-serviceaccount-billing-sync-billing.yaml"),
        "{billing}"
    );
    assert!(
        !billing.contains("- wi-serviceaccount-billing-sync-billing.yaml"),
        "{billing}"
    );
    // Pod Identity still runs: nothing it applied is gone.
    let infra = flux::build(dir.path(), "infrastructure").unwrap();
    let kinds: BTreeSet<&str> = infra.iter().filter_map(|o| o["kind"].as_str()).collect();
    assert!(kinds.contains("AzureIdentity") && kinds.contains("AzurePodIdentityException"));
    // A second run changes no byte.
    let again = migrate(dir.path(), &[]);
    assert_eq!(changed(&snapshot(dir.path()), &after), Vec::<String>::new());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"));
    // And plain regen agrees.
    assert!(common::regen_check(dir.path()).status.success());
}

/// The credential module checked against the swagger: one resource of its
/// API version with the properties it allows and requires; its parameters.
fn credential_module(root: &Path, msi: &Value) -> BTreeSet<String> {
    // The credential module: one resource of the swagger's API version.
    let src = read(root, "iac/federated-credentials.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "federated-credentials.bicep");
    let (_, ty, body) = bicep::resources(&tree, &src)
        .into_iter()
        .find(|(_, t, _)| t.contains("/federatedIdentityCredentials@"))
        .expect("a federated credential resource");
    let version = msi["info"]["version"].as_str().unwrap();
    assert_eq!(
        ty,
        format!(
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@{version}"
        )
    );
    let props = keys(&body["properties"]);
    let allowed = writable(msi, "FederatedIdentityCredentialProperties");
    let required: BTreeSet<String> =
        msi["definitions"]["FederatedIdentityCredentialProperties"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    assert!(props.is_subset(&allowed), "{props:?} not in {allowed:?}");
    assert!(
        required.is_subset(&props),
        "{required:?} missing from {props:?}"
    );
    assert_eq!(
        body["properties"]["audiences"],
        serde_json::json!(["api://AzureADTokenExchange"])
    );
    let params: BTreeSet<String> = src
        .lines()
        .filter_map(|l| l.strip_prefix("param "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    params
}

#[test]
fn bicep_matches_the_arm_swagger() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &[]);
    let msi = swagger("managedidentity-2023-01-31.excerpt.json");
    let aks = swagger("managedclusters-2024-09-01.excerpt.json");
    let name_re = regex::Regex::new(
        msi["parameters"]["FederatedIdentityCredentialResourceNameParameter"]["pattern"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let params = credential_module(dir.path(), &msi);
    // The main file: one module call per credential, every parameter given.
    let src = read(dir.path(), "iac/workload-identity.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "workload-identity.bicep");
    let modules = bicep::modules(&tree, &src);
    assert_eq!(modules.len(), 4);
    let mut subjects = BTreeSet::new();
    for (sym, path, body) in &modules {
        assert_eq!(path, "federated-credentials.bicep");
        assert_eq!(keys(&body["params"]), params, "{sym}");
        let name = body["params"]["credentialName"].as_str().unwrap();
        assert!(name_re.is_match(name), "{name}");
        assert_eq!(
            body["params"]["issuer"]["expr"],
            "aks_staging.properties.oidcIssuerProfile.issuerURL"
        );
        subjects.insert(body["params"]["subject"].as_str().unwrap().to_string());
    }
    assert_eq!(subjects, SUBJECTS.iter().map(|s| s.to_string()).collect());
    // Written one at a time: each module after the one before.
    for (i, (_, _, body)) in modules.iter().enumerate().skip(1) {
        assert_eq!(body["dependsOn"][0]["expr"], modules[i - 1].0.as_str());
    }
    // The cluster settings, as the managedClusters profiles.
    let src = read(dir.path(), "iac/workload-identity-cluster.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "workload-identity-cluster.bicep");
    let outputs: BTreeMap<String, Value> = bicep::outputs(&tree, &src).into_iter().collect();
    let oidc = &outputs["oidcIssuerProfile"];
    assert!(keys(oidc).is_subset(&writable(&aks, "ManagedClusterOIDCIssuerProfile")));
    assert_eq!(oidc["enabled"], true);
    let security = &outputs["securityProfile"];
    assert!(keys(security).is_subset(&writable(&aks, "ManagedClusterSecurityProfile")));
    let wi = &security["workloadIdentity"];
    assert!(keys(wi).is_subset(&writable(
        &aks,
        "ManagedClusterSecurityProfileWorkloadIdentity"
    )));
    assert_eq!(wi["enabled"], true);
}

/// The keys and values of an HCL object expression.
fn object(e: &hcl::Expression) -> BTreeMap<String, &hcl::Expression> {
    let hcl::Expression::Object(o) = e else {
        panic!("not an object: {e:?}")
    };
    o.iter()
        .map(|(k, v)| {
            let key = match k {
                hcl::ObjectKey::Identifier(i) => i.to_string(),
                hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
                other => panic!("{other:?}"),
            };
            (key, v)
        })
        .collect()
}

/// The azurerm_federated_identity_credential arguments of the provider
/// version providers.tf pins (~> 4.0: parent_id; 5.x renames it
/// user_assigned_identity_id): all required.
const FIC_ARGUMENTS: [&str; 6] = [
    "audience",
    "issuer",
    "name",
    "parent_id",
    "resource_group_name",
    "subject",
];

#[test]
fn terraform_parses_and_uses_the_azurerm_arguments() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &[]);
    let body: hcl::Body = hcl::from_str(&read(dir.path(), "iac/workload-identity.tf")).unwrap();
    let providers = read(dir.path(), "iac/providers.tf");
    let _: hcl::Body = hcl::from_str(&providers).unwrap();
    assert!(providers.contains("version = \"~> 4.0\""), "{providers}");
    let aks = swagger("managedclusters-2024-09-01.excerpt.json");
    let mut subjects = BTreeSet::new();
    let mut credentials = 0;
    let mut providers_used = Vec::new();
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        let attrs: BTreeMap<&str, &hcl::Expression> = block
            .body()
            .attributes()
            .map(|a| (a.key(), a.expr()))
            .collect();
        match (block.identifier(), labels.first().copied()) {
            ("resource", Some("azurerm_federated_identity_credential")) => {
                credentials += 1;
                let args: BTreeSet<&str> = attrs
                    .keys()
                    .copied()
                    .filter(|k| !["depends_on", "provider"].contains(k))
                    .collect();
                assert_eq!(args, FIC_ARGUMENTS.into_iter().collect(), "{labels:?}");
                if let hcl::Expression::String(s) = attrs["subject"] {
                    subjects.insert(s.clone());
                }
                let parent = match attrs["parent_id"] {
                    hcl::Expression::String(s) => s.clone(),
                    other => panic!("{other:?}"),
                };
                assert!(
                    parent.contains("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/")
                );
                // azurerm writes it in its provider's subscription: the identity's.
                let provider = hcl::format::to_string(attrs["provider"]).unwrap();
                let sub = parent.split('/').nth(2).unwrap().to_string();
                providers_used.push((provider, sub));
            }
            ("resource", Some("azapi_update_resource")) => {
                let props = &object(attrs["body"])["properties"];
                let oidc = object(object(props)["oidcIssuerProfile"]);
                let wi = object(object(object(props)["securityProfile"])["workloadIdentity"]);
                let names = |m: &BTreeMap<String, &hcl::Expression>| {
                    m.keys().cloned().collect::<BTreeSet<_>>()
                };
                assert!(names(&oidc).is_subset(&writable(&aks, "ManagedClusterOIDCIssuerProfile")));
                assert!(names(&wi).is_subset(&writable(
                    &aks,
                    "ManagedClusterSecurityProfileWorkloadIdentity"
                )));
                assert_eq!(oidc["enabled"], &hcl::Expression::Bool(true));
                assert_eq!(wi["enabled"], &hcl::Expression::Bool(true));
            }
            _ => {}
        }
    }
    assert_eq!(credentials, 4);
    let aliases: BTreeMap<String, String> = body
        .blocks()
        .filter(|b| b.identifier() == "provider")
        .map(|b| {
            let attr = |k: &str| match b.body().attributes().find(|a| a.key() == k).unwrap().expr()
            {
                hcl::Expression::String(s) => s.clone(),
                other => panic!("{other:?}"),
            };
            (
                format!("azurerm.{}", attr("alias")),
                attr("subscription_id"),
            )
        })
        .collect();
    assert_eq!(aliases.len(), 2, "{aliases:?}");
    for (provider, sub) in &providers_used {
        assert_eq!(aliases.get(provider), Some(sub), "{provider}: {aliases:?}");
    }
    assert_eq!(subjects, SUBJECTS.iter().map(|s| s.to_string()).collect());
}

#[test]
fn az_commands_use_the_cli_flags() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &[]);
    let path = dir.path().join("iac/workload-identity.sh");
    let out = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let commands = az_commands(&read(dir.path(), "iac/workload-identity.sh"));
    let flags = |c: &[String]| -> BTreeSet<String> {
        c.iter().filter(|w| w.starts_with("--")).cloned().collect()
    };
    let mut subjects = BTreeSet::new();
    let mut updates = 0;
    for c in commands.iter().filter(|c| c[0] == "az") {
        match (c[1].as_str(), c[2].as_str()) {
            ("aks", "update") => {
                updates += 1;
                let want: BTreeSet<String> = [
                    "--resource-group",
                    "--name",
                    "--enable-oidc-issuer",
                    "--enable-workload-identity",
                ]
                .map(String::from)
                .into();
                assert_eq!(flags(c), want);
            }
            ("identity", "federated-credential") => {
                assert_eq!(c[3], "create");
                let want: BTreeSet<String> = [
                    "--subscription",
                    "--resource-group",
                    "--identity-name",
                    "--name",
                    "--issuer",
                    "--subject",
                    "--audiences",
                ]
                .map(String::from)
                .into();
                assert_eq!(flags(c), want);
                let value = |f: &str| c[c.iter().position(|w| w == f).unwrap() + 1].clone();
                assert_eq!(value("--issuer"), "ISSUER");
                assert_eq!(value("--audiences"), "api://AzureADTokenExchange");
                subjects.insert(value("--subject"));
            }
            other => panic!("unexpected az command {other:?}"),
        }
    }
    assert_eq!(updates, 1);
    assert_eq!(subjects, SUBJECTS.iter().map(|s| s.to_string()).collect());
}

#[test]
fn unmappable_workloads_are_reported_and_left_alone() {
    let dir = wi::copy_of("wi-unmappable");
    let before = snapshot(dir.path());
    let out = migrate(dir.path(), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    for w in [
        "team/lonely",
        "team/both",
        "team/no-sa",
        "team/legacy",
        "team/chart-sa",
    ] {
        assert!(text.contains(w), "{w}\n{text}");
    }
    let after = snapshot(dir.path());
    let new: Vec<&String> = after
        .keys()
        .filter(|k| !before.contains_key(*k) && !k.starts_with(".flux-scaffold"))
        .collect();
    let patches: Vec<&&String> = new.iter().filter(|p| p.contains("wi-patch-")).collect();
    assert_eq!(patches.len(), 1, "{new:?}");
    assert!(patches[0].ends_with("wi-patch-deployment-ok.yaml"));
    flux::build(dir.path(), "apps").unwrap();
}
