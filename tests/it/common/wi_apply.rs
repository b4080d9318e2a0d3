//! Helpers of the migrate apply tests: running the migration on a copy of
//! the fixture, snapshots, the built workloads, the swagger excerpts and the
//! az commands of the generated script.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::{self, bin};
use crate::common::{flux, shell, wi};

pub const SETS: [&str; 3] = [
    "cluster_name=aks-shop",
    "resource_group=rg-shop",
    "iac=bicep,az-cli,terraform",
];

/// The subjects of the fixture's four federated credentials.
pub const SUBJECTS: [&str; 4] = [
    "system:serviceaccount:billing:billing-sync",
    "system:serviceaccount:billing:ledger",
    "system:serviceaccount:orders:orders-api",
    "system:serviceaccount:orders:orders-report",
];

/// `flux-scaffold ARGS DIR --set ...`, which must succeed.
pub fn run(args: &[&str], dir: &Path, sets: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.args(args).arg(dir);
    for s in sets {
        c.arg("--set").arg(s);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn migrate(dir: &Path, extra: &[&str]) -> std::process::Output {
    let sets: Vec<&str> = SETS.iter().chain(extra).copied().collect();
    run(&["migrate", "apply"], dir, &sets)
}

/// Every file of the tree with its bytes.
pub fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    common::tree(root)
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        .map(|p| (p.clone(), std::fs::read(root.join(&p)).unwrap_or_default()))
        .collect()
}

/// The paths whose bytes differ between two snapshots.
pub fn changed(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// (kind, name) → the pod template (or HelmRelease values) as built.
pub fn pods(objects: &[serde_yaml::Value]) -> BTreeMap<(String, String), serde_yaml::Value> {
    let mut out = BTreeMap::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or("").to_string();
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        let t = match kind.as_str() {
            "CronJob" => o["spec"]["jobTemplate"]["spec"]["template"].clone(),
            "HelmRelease" => o["spec"]["values"].clone(),
            _ => o["spec"]["template"].clone(),
        };
        out.insert((kind, name), t);
    }
    out
}

pub fn assert_workloads(root: &Path, step2: bool) {
    for stage in flux::stages(root)
        .into_iter()
        .chain(["apps/staging".to_string()])
    {
        flux::build(root, &stage).unwrap_or_else(|e| panic!("{e}"));
    }
    let objects = flux::build(root, "apps/staging").unwrap();
    let pods = pods(&objects);
    for (kind, name, sa) in [
        ("Deployment", "orders-api", "orders-api"),
        ("Deployment", "orders-worker", "orders-api"),
        ("CronJob", "orders-report", "orders-report"),
        ("StatefulSet", "billing-sync", "billing-sync"),
    ] {
        let t = &pods[&(kind.to_string(), name.to_string())];
        let labels = &t["metadata"]["labels"];
        assert_eq!(
            labels["azure.workload.identity/use"], "true",
            "{kind} {name}"
        );
        assert_eq!(
            labels.get("aadpodidbinding").is_some(),
            !step2,
            "{kind} {name}"
        );
        assert_eq!(t["spec"]["serviceAccountName"], sa, "{kind} {name}");
    }
    let ledger = &pods[&("HelmRelease".to_string(), "ledger".to_string())];
    assert_eq!(ledger["podLabels"]["azure.workload.identity/use"], "true");
    assert_eq!(ledger["podLabels"].get("aadpodidbinding").is_some(), !step2);
    let accounts: BTreeMap<String, String> = objects
        .iter()
        .filter(|o| o["kind"] == "ServiceAccount")
        .map(|o| {
            (
                format!(
                    "{}/{}",
                    o["metadata"]["namespace"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                ),
                o["metadata"]["annotations"]["azure.workload.identity/client-id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let want: BTreeMap<String, String> = [
        (
            "billing/billing-sync",
            "33333333-3333-3333-3333-333333333333",
        ),
        ("billing/ledger", "33333333-3333-3333-3333-333333333333"),
        ("orders/orders-api", "11111111-1111-1111-1111-111111111111"),
        (
            "orders/orders-report",
            "22222222-2222-2222-2222-222222222222",
        ),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(accounts, want);
}

pub fn swagger(name: &str) -> Value {
    let path = wi::fixture("swagger").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The writable property names of a swagger definition.
pub fn writable(s: &Value, def: &str) -> BTreeSet<String> {
    let props = s["definitions"][def]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{def} missing from the swagger excerpt"));
    props
        .iter()
        .filter(|(_, v)| v["readOnly"] != true)
        .map(|(k, _)| k.clone())
        .collect()
}

pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// The az commands of a script, with the issuer variable as the one
/// expansion the script may hold, checked and replaced first.
pub fn az_commands(script: &str) -> Vec<Vec<String>> {
    let capture = regex::Regex::new(
        r#"(?m)^issuer="\$\(az aks show --resource-group [A-Za-z0-9._()-]+ --name [A-Za-z0-9_-]+ --query oidcIssuerProfile\.issuerUrl --output tsv\)"$"#,
    )
    .unwrap();
    assert!(capture.is_match(script), "{script}");
    let plain = capture
        .replace_all(script, "")
        .replace("\"$issuer\"", "ISSUER");
    shell::commands(&plain)
}

pub fn regen(dir: &Path, sets: &[&str]) -> std::process::Output {
    run(&["regen"], dir, sets)
}
