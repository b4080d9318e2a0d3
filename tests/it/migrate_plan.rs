//! `migrate plan`: discovery of Pod Identity through what Flux applies, the
//! mapping identity → namespace → service account → workloads, and what
//! cannot be mapped (reported, never guessed).

use crate::common::wi;

use std::path::Path;

use crate::common::bin;
use serde_json::Value;
use wi::fixture;

fn plan_json(dir: &Path) -> (i32, Value) {
    let out = bin()
        .args(["migrate", "plan", "--format", "json"])
        .arg(dir)
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap_or(-1), v)
}

/// (identity, namespace, service account, [kind name]) per credential.
fn mapping(v: &Value) -> Vec<(String, String, String, Vec<String>)> {
    v["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let workloads = c["workloads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    format!(
                        "{} {}",
                        w["kind"].as_str().unwrap(),
                        w["name"].as_str().unwrap()
                    )
                })
                .collect();
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (
                s("identity"),
                s("namespace"),
                s("service_account"),
                workloads,
            )
        })
        .collect()
}

#[test]
fn maps_three_identities_two_namespaces_five_workloads() {
    let (code, v) = plan_json(&fixture("wi-migration"));
    assert_eq!(code, 0, "{v:#}");
    let got = mapping(&v);
    let want = vec![
        (
            "billing/billing",
            "billing",
            "billing-sync",
            vec!["StatefulSet billing-sync"],
        ),
        (
            "billing/billing",
            "billing",
            "ledger",
            vec!["HelmRelease ledger"],
        ),
        (
            "orders/orders-api",
            "orders",
            "orders-api",
            vec!["Deployment orders-api", "Deployment orders-worker"],
        ),
        (
            "orders/orders-report",
            "orders",
            "orders-report",
            vec!["CronJob orders-report"],
        ),
    ];
    let want: Vec<_> = want
        .into_iter()
        .map(|(a, b, c, d)| {
            (
                a.into(),
                b.into(),
                c.into(),
                d.into_iter().map(String::from).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(v["unmapped"], serde_json::json!([]));
    let orders = &v["credentials"][2];
    assert_eq!(orders["subject"], "system:serviceaccount:orders:orders-api");
    assert_eq!(orders["client_id"], "11111111-1111-1111-1111-111111111111");
    assert_eq!(orders["resource_id"]["resource_group"], "rg-identities");
    assert_eq!(orders["resource_id"]["name"], "id-orders-api");
    // Keys in the case Go's decoder accepts (ResourceID, ClientID) are read.
    assert_eq!(
        v["credentials"][3]["client_id"],
        "22222222-2222-2222-2222-222222222222"
    );
    // The StatefulSet's account is the team's own: patched where it is.
    assert_eq!(
        v["credentials"][0]["declared"]["file"],
        "apps/staging/billing/sync.yaml"
    );
    assert!(v["credentials"][1].get("declared").is_none());
    assert_eq!(
        v["credentials"][1]["workloads"][0]["values_path"],
        serde_json::json!(["podLabels"])
    );
}

#[test]
fn text_names_identity_namespace_service_account_workloads() {
    let out = bin()
        .args(["migrate", "plan"])
        .arg(fixture("wi-migration"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "AzureIdentity orders/orders-api: client id 11111111-1111-1111-1111-111111111111",
        "  namespace orders",
        "    service account orders-api (subject system:serviceaccount:orders:orders-api)",
        "      Deployment orders-worker (apps/staging/orders/worker.yaml)",
        "      HelmRelease ledger (apps/staging/billing/ledger.yaml)",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}\n{text}");
    }
}

#[test]
fn reports_what_it_cannot_map_and_guesses_nothing() {
    let (code, v) = plan_json(&fixture("wi-unmappable"));
    assert_eq!(code, 1, "something unmapped is exit 1");
    let got = mapping(&v);
    assert_eq!(
        got,
        vec![(
            "team/orders".to_string(),
            "team".to_string(),
            "ok".to_string(),
            vec!["Deployment ok".to_string()]
        )]
    );
    let reasons: Vec<(String, String)> = v["unmapped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["object"].as_str().unwrap().into(),
                u["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |object: &str, says: &str| {
        assert!(
            reasons.iter().any(|(o, r)| o == object && r.contains(says)),
            "{object}: {says}\n{reasons:#?}"
        )
    };
    has(
        "Deployment team/lonely",
        "no AzureIdentityBinding has selector 'nobody'",
    );
    has(
        "Deployment team/both",
        "bound to 2 identities (team/first, team/second)",
    );
    has("Job team/no-sa", "default service account");
    has("AzureIdentity team/sp", "type is 1");
    has("Deployment team/legacy", "team/sp cannot be migrated");
    has("HelmRelease team/chart-sa", "serviceAccount.name");
    // Nothing unmapped shows up in a credential.
    let mapped: Vec<String> = got.iter().flat_map(|c| c.3.clone()).collect();
    for w in ["lonely", "both", "no-sa", "legacy", "chart-sa"] {
        assert!(!mapped.iter().any(|m| m.ends_with(&format!(" {w}"))));
    }
}

#[test]
fn a_service_account_two_identities_need_is_reported() {
    let dir = wi::copy_of("wi-migration");
    // The worker moves to the report's identity but keeps the API's account.
    let worker = dir.path().join("apps/staging/orders/worker.yaml");
    let text = std::fs::read_to_string(&worker).unwrap();
    std::fs::write(
        &worker,
        text.replace(
            "aadpodidbinding: orders-api",
            "aadpodidbinding: orders-report",
        ),
    )
    .unwrap();
    let (code, v) = plan_json(dir.path());
    assert_eq!(code, 1);
    let got = mapping(&v);
    assert!(got.iter().all(|c| c.2 != "orders-api"), "{got:?}");
    let unmapped = v["unmapped"].to_string();
    assert!(
        unmapped.contains("Deployment orders/orders-worker"),
        "{unmapped}"
    );
    assert!(unmapped.contains("service account orders/orders-api is used with 2 identities"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["migrate", "plan"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no stage found"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let out = bin()
        .args(["migrate", "plan"])
        .arg(dir.path().join("nothing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Stages, but nothing to map: apply says so and writes nothing.
    std::fs::create_dir_all(dir.path().join("apps")).unwrap();
    std::fs::write(
        dir.path().join("apps/kustomization.yaml"),
        "resources: []\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("iac")).unwrap();
    std::fs::copy(
        fixture("wi-unmappable").join("iac/flux.sh"),
        dir.path().join("iac/flux.sh"),
    )
    .unwrap();
    let out = bin()
        .args([
            "migrate",
            "apply",
            "--set",
            "cluster_name=a",
            "--set",
            "resource_group=b",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nothing to migrate"), "{err}");
    assert!(!dir.path().join(".flux-scaffold").exists());
}

#[test]
fn twins_that_would_share_a_patch_file_are_reported() {
    let dir = wi::copy_of("wi-migration");
    let api = dir.path().join("apps/staging/orders/api.yaml");
    let text = std::fs::read_to_string(&api).unwrap();
    // The same Deployment in a second namespace, in the same file.
    let twin = text.replace("namespace: orders", "namespace: billing");
    std::fs::write(&api, format!("{text}---\n{twin}")).unwrap();
    let (code, v) = plan_json(dir.path());
    assert_eq!(code, 1);
    let got = mapping(&v);
    assert!(
        got.iter()
            .flat_map(|c| c.3.iter())
            .all(|w| w != "Deployment orders-api"),
        "{got:?}"
    );
    let unmapped = v["unmapped"].to_string();
    for ns in ["orders", "billing"] {
        assert!(
            unmapped.contains(&format!("Deployment {ns}/orders-api")),
            "{unmapped}"
        );
    }
    assert!(unmapped.contains("same patch file"), "{unmapped}");
}
