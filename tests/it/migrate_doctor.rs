//! doctor's migration rules: FS019 (pods still labelled aadpodidbinding
//! once Pod Identity is gone), FS020 (a service account with a Workload
//! Identity client id that no federated credential trusts), FS021 (workload
//! identity without the OIDC issuer), on the migration fixture.

use crate::common::wi;

use std::path::Path;

use crate::common::bin;
use serde_json::Value;

/// (rule, file) of every finding of doctor on `dir`.
fn findings(dir: &Path) -> Vec<(String, String)> {
    let out = bin()
        .args(["doctor", "--format", "json", "--fail-on", "never"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn of(found: &[(String, String)], rule: &str) -> Vec<String> {
    found
        .iter()
        .filter(|(r, _)| r == rule)
        .map(|(_, f)| f.clone())
        .collect()
}

fn write(root: &Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).unwrap();
}

const SETS: [&str; 3] = [
    "cluster_name=aks-shop",
    "resource_group=rg-shop",
    "iac=bicep,az-cli,terraform",
];

fn migrate(dir: &Path, step2: bool) {
    let mut c = bin();
    c.args(["migrate", "apply"]).arg(dir);
    for s in SETS {
        c.arg("--set").arg(s);
    }
    assert!(c.output().unwrap().status.success());
    if step2 {
        let out = bin()
            .arg("regen")
            .arg(dir)
            .args(["--set", "migration_step=2"])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

#[test]
fn a_migrated_repository_raises_none_of_the_migration_rules() {
    for step2 in [false, true] {
        let dir = wi::copy_of("wi-migration");
        migrate(dir.path(), step2);
        let found = findings(dir.path());
        for rule in ["FS019", "FS020", "FS021"] {
            assert!(
                of(&found, rule).is_empty(),
                "step 2: {step2}: {rule}: {found:?}"
            );
        }
    }
}

#[test]
fn pods_still_labelled_once_pod_identity_is_gone() {
    let dir = wi::copy_of("wi-migration");
    // Pod Identity's entries taken out by hand, the workloads left as they were.
    write(
        dir.path(),
        "infrastructure/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
    write(
        dir.path(),
        "prerequisites/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    );
    // Its files stay in the repository, applied by no stage.
    let mut got = of(&findings(dir.path()), "FS019");
    got.sort();
    assert_eq!(
        got,
        [
            "apps/staging/billing/ledger.yaml",
            "apps/staging/billing/sync.yaml",
            "apps/staging/orders/api.yaml",
            "apps/staging/orders/report.yaml",
            "apps/staging/orders/worker.yaml",
        ]
    );
}

#[test]
fn a_service_account_no_credential_trusts() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), false);
    write(
        dir.path(),
        "apps/staging/orders/extra.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: extra\n  namespace: orders\n  annotations:\n    azure.workload.identity/client-id: 44444444-4444-4444-4444-444444444444\n",
    );
    let k = dir.path().join("apps/staging/orders/kustomization.yaml");
    let text = std::fs::read_to_string(&k).unwrap();
    std::fs::write(
        &k,
        text.replace("  - report.yaml\n", "  - report.yaml\n  - extra.yaml\n"),
    )
    .unwrap();
    assert_eq!(
        of(&findings(dir.path()), "FS020"),
        ["apps/staging/orders/extra.yaml"]
    );
}

#[test]
fn workload_identity_without_the_oidc_issuer() {
    let dir = wi::copy_of("wi-migration");
    write(
        dir.path(),
        "iac/cluster.tf",
        "resource \"azurerm_kubernetes_cluster\" \"aks\" {\n  name = \"aks-shop\"\n  # oidc_issuer_enabled = true\n  workload_identity_enabled = true\n}\n\nresource \"azurerm_kubernetes_cluster\" \"ok\" {\n  oidc_issuer_enabled       = true\n  workload_identity_enabled = true\n}\n",
    );
    write(
        dir.path(),
        "iac/cluster.bicep",
        "resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {\n  name: 'aks-shop'\n  location: 'westeurope'\n  properties: {\n    securityProfile: {\n      workloadIdentity: {\n        enabled: true\n      }\n    }\n  }\n}\n",
    );
    write(
        dir.path(),
        "iac/cluster.sh",
        "#!/usr/bin/env bash\naz aks update --resource-group rg-shop --name aks-shop --enable-workload-identity\n",
    );
    let mut got = of(&findings(dir.path()), "FS021");
    got.sort();
    assert_eq!(
        got,
        ["iac/cluster.bicep", "iac/cluster.sh", "iac/cluster.tf"]
    );
}

#[test]
fn a_patch_entry_pointing_at_nothing_fails_the_stage() {
    let dir = wi::copy_of("wi-migration");
    migrate(dir.path(), false);
    std::fs::remove_file(
        dir.path()
            .join("apps/staging/orders/wi-patch-deployment-orders-api.yaml"),
    )
    .unwrap();
    let found = of(&findings(dir.path()), "FS009");
    assert_eq!(
        found,
        ["apps/staging/orders/kustomization.yaml"],
        "{found:?}"
    );
    // The next runs keep the file removed, as the user chose, and take its
    // entry with it: nothing is left pointing at nothing, run after run.
    for _ in 0..2 {
        let out = bin().arg("regen").arg(dir.path()).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(of(&findings(dir.path()), "FS009").is_empty());
    }
    let k =
        std::fs::read_to_string(dir.path().join("apps/staging/orders/kustomization.yaml")).unwrap();
    assert!(!k.contains("wi-patch-deployment-orders-api.yaml"), "{k}");
    assert!(
        k.contains("- path: wi-patch-deployment-orders-worker.yaml"),
        "{k}"
    );
}
