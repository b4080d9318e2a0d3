//! `migrate`, step 2 (`regen --set migration_step=2`) and several
//! environments: the pods and the repository leave Pod Identity, every stage
//! still builds, nothing else drops out.

use crate::common;
use crate::common::bicep;
use crate::common::flux;
use crate::common::wi;
use crate::common::wi_apply;

use std::collections::{BTreeMap, BTreeSet};

use crate::common::read;
use serde_json::Value;
use wi_apply::*;

#[test]
fn step_2_takes_the_pods_and_the_repository_off_pod_identity() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &["pod_identity_addon=true"]);
    let apps_before: BTreeSet<flux::Id> = flux::build(dir.path(), "apps/staging")
        .unwrap()
        .iter()
        .map(flux::id)
        .collect();
    let out = regen(dir.path(), &["migration_step=2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("retired pod-identity, flux-exception.yaml, identities.yaml"),
        "{text}"
    );
    // Every stage builds; the pods carry no aadpodidbinding any more.
    assert_workloads(dir.path(), true);
    // Pod Identity is gone from what Flux applies, and nothing else is.
    for stage in ["prerequisites", "infrastructure"] {
        let objects = flux::build(dir.path(), stage).unwrap();
        assert!(objects.is_empty(), "{stage}: {objects:?}");
    }
    let apps_after: BTreeSet<flux::Id> = flux::build(dir.path(), "apps/staging")
        .unwrap()
        .iter()
        .map(flux::id)
        .collect();
    assert_eq!(apps_after, apps_before);
    // The retired files stay in the repository (the user deletes them).
    assert!(dir.path().join("infrastructure/identities.yaml").is_file());
    // The add-on goes off with the cluster settings.
    let script = read(dir.path(), "iac/workload-identity.sh");
    let disable: Vec<Vec<String>> = az_commands(&script)
        .into_iter()
        .filter(|c| c.iter().any(|w| w == "--disable-pod-identity"))
        .collect();
    assert_eq!(disable.len(), 1, "{script}");
    let src = read(dir.path(), "iac/workload-identity-cluster.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "workload-identity-cluster.bicep");
    let outputs: BTreeMap<String, Value> = bicep::outputs(&tree, &src).into_iter().collect();
    let aks = swagger("managedclusters-2024-09-01.excerpt.json");
    let profile = &outputs["podIdentityProfile"];
    assert!(keys(profile).is_subset(&writable(&aks, "ManagedClusterPodIdentityProfile")));
    assert_eq!(profile["enabled"], false);
    // Nothing left to do: regen and migrate apply (which keeps the
    // recorded mapping) change no byte.
    let after = snapshot(dir.path());
    assert!(common::regen_check(dir.path()).status.success());
    migrate(dir.path(), &["pod_identity_addon=true"]);
    assert_eq!(changed(&snapshot(dir.path()), &after), Vec::<String>::new());
    // Back to step 1 the patches keep the label again, but the retired
    // entries were the user's: they are not put back by guess.
    regen(dir.path(), &["migration_step=1"]);
    let infra = read(dir.path(), "infrastructure/kustomization.yaml");
    assert!(!infra.contains("identities.yaml"), "{infra}");
    for stage in flux::stages(dir.path()) {
        flux::build(dir.path(), &stage).unwrap();
    }
}

#[test]
fn every_environment_gets_its_credentials_written_one_at_a_time() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &["environments=staging,production"]);
    let src = read(dir.path(), "iac/workload-identity.bicep");
    let tree = bicep::parse(&src);
    bicep::assert_no_errors(&tree, &src, "workload-identity.bicep");
    let modules = bicep::modules(&tree, &src);
    assert_eq!(modules.len(), 8);
    // One chain through both clusters: the same identities take them all.
    for (i, (_, _, body)) in modules.iter().enumerate().skip(1) {
        assert_eq!(body["dependsOn"][0]["expr"], modules[i - 1].0.as_str());
    }
    let names: BTreeSet<&str> = modules
        .iter()
        .map(|(_, _, b)| b["params"]["credentialName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(
        names.contains("aks-shop-production-orders-orders-api"),
        "{names:?}"
    );
    let body: hcl::Body = hcl::from_str(&read(dir.path(), "iac/workload-identity.tf")).unwrap();
    let credentials: Vec<&hcl::Block> = body
        .blocks()
        .filter(|b| {
            b.labels().first().map(|l| l.as_str()) == Some("azurerm_federated_identity_credential")
        })
        .collect();
    assert_eq!(credentials.len(), 8);
    let az = az_commands(&read(dir.path(), "iac/workload-identity.sh"));
    let updates = az
        .iter()
        .filter(|c| c[0] == "az" && c[1] == "aks" && c[2] == "update")
        .count();
    assert_eq!(updates, 2);
}

#[test]
fn the_migration_sidecar_is_asked_for_on_the_pod_templates() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), &["sidecar=true"]);
    let objects = flux::build(dir.path(), "apps/staging").unwrap();
    let pods = pods(&objects);
    for ((kind, name), t) in &pods {
        let annotation =
            &t["metadata"]["annotations"]["azure.workload.identity/inject-proxy-sidecar"];
        match kind.as_str() {
            "Deployment" | "StatefulSet" | "CronJob" => {
                assert_eq!(annotation, "true", "{kind} {name}")
            }
            _ => assert!(annotation.is_null(), "{kind} {name}"),
        }
    }
}
