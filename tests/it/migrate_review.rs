//! What a hostile review of the migration found: workloads a kustomization
//! or a Flux Kustomization changes on the way, credentials whose names
//! would collide, CRDs retired while their objects stay, and a step 2 that
//! would leave unmapped workloads without an identity.

use std::path::Path;

use crate::common::wi::copy_of;
use crate::common::{Test, read, write_file};

fn plan(dir: &Path) -> serde_json::Value {
    Test::new()
        .args(&["migrate", "plan", "--format", "json"])
        .arg(dir)
        .run()
        .json()
}

/// The unmapped objects and their reasons, as text.
fn unmapped(v: &serde_json::Value) -> String {
    v["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| format!("{}: {}\n", u["object"], u["reason"]))
        .collect()
}

fn mapped(v: &serde_json::Value, workload: &str) -> bool {
    v["credentials"].as_array().unwrap().iter().any(|c| {
        c["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["name"] == workload)
    })
}

fn apply(dir: &Path) -> crate::common::Test {
    Test::new().args(&["migrate", "apply"]).arg(dir).args(&[
        "--set",
        "cluster_name=aks-shop",
        "--set",
        "resource_group=rg-shop",
    ])
}

fn step_2(dir: &Path) -> crate::common::Test {
    Test::new()
        .arg("regen")
        .arg(dir)
        .args(&["--set", "migration_step=2"])
}

#[test]
fn a_workload_its_kustomization_patches_is_reported_not_mapped() {
    let tmp = copy_of("wi-migration");
    let root = tmp.path();
    let k = "apps/staging/orders/kustomization.yaml";
    write_file(
        root,
        k,
        &format!("{}patches:\n  - path: mine.yaml\n", read(root, k)),
    );
    write_file(
        root,
        "apps/staging/orders/mine.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders-api\n  namespace: orders\nspec:\n  template:\n    spec:\n      serviceAccountName: from-patch\n",
    );
    let v = plan(root);
    assert!(!mapped(&v, "orders-api"), "{v}");
    assert!(
        unmapped(&v).contains("has patches that may change it"),
        "{v}"
    );
}

#[test]
fn a_flux_target_namespace_is_reported_not_mapped() {
    let tmp = copy_of("wi-migration");
    let root = tmp.path();
    write_file(
        root,
        "iac/flux-configuration.sh",
        &read(root, "iac/flux-configuration.sh").replace(
            "--kustomization name=apps path=./apps/staging depends_on=infra prune=true",
            "--kustomization name=apps path=./clusters depends_on=infra prune=true",
        ),
    );
    write_file(
        root,
        "clusters/orders.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: orders\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/staging/orders\n  prune: true\n  targetNamespace: orders-live\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    let v = plan(root);
    assert!(!mapped(&v, "orders-api"), "{v}");
    assert!(unmapped(&v).contains("targetNamespace"), "{v}");
}

#[test]
fn credentials_whose_names_would_collide_are_reported() {
    let tmp = copy_of("wi-migration");
    let root = tmp.path();
    // orders/x-api and orders-x/api both name a credential "orders-x-api".
    let api = "apps/staging/orders/api.yaml";
    write_file(
        root,
        api,
        &read(root, api).replace(
            "serviceAccountName: orders-api",
            "serviceAccountName: x-api",
        ),
    );
    let k = "apps/staging/orders/kustomization.yaml";
    write_file(root, k, &format!("{}  - twin.yaml\n", read(root, k)));
    write_file(
        root,
        "apps/staging/orders/twin.yaml",
        &read(root, api)
            .replace("name: orders-api\n", "name: orders-twin\n")
            .replace("namespace: orders\n", "namespace: orders-x\n")
            .replace("serviceAccountName: x-api", "serviceAccountName: api"),
    );
    let v = plan(root);
    let text = unmapped(&v);
    assert!(text.contains("would have the name of another"), "{text}");
    assert!(
        !mapped(&v, "orders-twin") && !mapped(&v, "orders-api"),
        "{v}"
    );
}

#[test]
fn step_2_is_refused_while_a_workload_is_left_on_pod_identity() {
    let tmp = copy_of("wi-migration");
    let root = tmp.path();
    // A workload with no service account of its own cannot be mapped.
    let report = "apps/staging/orders/report.yaml";
    let text = read(root, report);
    let without: String = text
        .lines()
        .filter(|l| !l.contains("serviceAccountName"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(text, without, "the fixture's report names its account");
    write_file(root, report, &without);
    apply(root).success().stdout_has("Not migrated");
    let before = read(root, "infrastructure/kustomization.yaml");
    step_2(root).refused("still rely on Pod Identity");
    assert_eq!(read(root, "infrastructure/kustomization.yaml"), before);
}

#[test]
fn the_crds_stay_while_a_kept_file_still_applies_pod_identity_objects() {
    let tmp = copy_of("wi-migration");
    let root = tmp.path();
    let ids = "infrastructure/identities.yaml";
    write_file(
        root,
        ids,
        &format!(
            "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep-me\n  namespace: orders\n",
            read(root, ids)
        ),
    );
    apply(root).success();
    step_2(root).success();
    // identities.yaml holds a ConfigMap too, so it stays, and so must the
    // CRDs its AzureIdentity objects need.
    assert!(read(root, "infrastructure/kustomization.yaml").contains("identities.yaml"));
    let prereqs = read(root, "prerequisites/kustomization.yaml");
    assert!(
        prereqs.contains("aad-pod-identity") || prereqs.contains("crd"),
        "{prereqs}"
    );
}
