//! The pack's answers derived from a discovery: what `migrate apply` gives
//! the `aks-workload-identity` pack (recorded in `.flux-scaffold/`, so regen
//! renders the same without discovering again).

use std::collections::BTreeSet;

use super::{Credential, Discovery, Workload};

/// The folder a file is in ("" for the root).
pub fn folder(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `--set` flags (`key=v1,v2`) for the mapping of `d`. Fields are joined by
/// `|`; discovery reported every value holding `|` or `,`.
pub fn sets(d: &Discovery) -> Vec<String> {
    let mut credentials = Vec::new();
    let mut accounts = Vec::new();
    let mut workloads = Vec::new();
    let mut dirs = BTreeSet::new();
    for c in &d.credentials {
        credentials.push(credential_fields(c));
        accounts.push(account_fields(c, &mut dirs));
        for w in &c.workloads {
            dirs.insert(folder(&w.file).to_string());
            workloads.push(workload(w));
        }
    }
    workloads.sort();
    let retire: Vec<String> = d
        .retire
        .iter()
        .filter(|r| !r.entry.contains([',', '|']) && !r.folder.contains([',', '|']))
        .map(|r| {
            dirs.insert(r.folder.clone());
            format!("{}|{}", r.folder, r.entry)
        })
        .collect();
    let subscriptions: BTreeSet<&str> = d
        .credentials
        .iter()
        .map(|c| c.resource_id.subscription.as_str())
        .collect();
    let mut out = vec![
        format!(
            "wi_subscriptions={}",
            subscriptions.into_iter().collect::<Vec<_>>().join(",")
        ),
        format!("wi_credentials={}", credentials.join(",")),
        format!("wi_accounts={}", accounts.join(",")),
        format!("wi_workloads={}", workloads.join(",")),
        format!("wi_dirs={}", dirs.into_iter().collect::<Vec<_>>().join(",")),
        format!(
            "wi_stages={}",
            d.stages
                .iter()
                .filter(|s| !s.is_empty() && !s.contains(','))
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        ),
    ];
    // Workloads left on Pod Identity: step 2 is refused while there are any.
    let unmapped = d
        .unmapped
        .iter()
        .filter(|u| !u.object.starts_with("AzureIdentity"))
        .count();
    out.push(format!("wi_unmapped={unmapped}"));
    if !retire.is_empty() {
        out.push("wi_retiring=true".into());
        out.push(format!("wi_retire={}", retire.join(",")));
    }
    out
}

/// A credential's fields: the identity's subscription, group and name,
/// then the namespace and service account it trusts.
fn credential_fields(c: &crate::migrate::Credential) -> String {
    let r = &c.resource_id;
    [
        r.subscription.as_str(),
        &r.resource_group,
        &r.name,
        &c.namespace,
        &c.service_account,
    ]
    .join("|")
}

/// A ServiceAccount's fields: the folder it is written or patched in, its
/// namespace, name and client id, the namespace it is declared in and
/// whether it is new or patched; its folder joins `dirs`.
fn account_fields(c: &crate::migrate::Credential, dirs: &mut BTreeSet<String>) -> String {
    let (home, declared_ns, how) = match &c.declared {
        Some(d) => (
            folder(&d.file),
            d.namespace.as_deref().unwrap_or(""),
            "patch",
        ),
        None => (account_folder(c), c.namespace.as_str(), "new"),
    };
    dirs.insert(home.to_string());
    [
        home,
        &c.namespace,
        &c.service_account,
        &c.client_id,
        declared_ns,
        how,
    ]
    .join("|")
}

/// Where a credential's ServiceAccount is written: beside its first
/// workload (the workloads are sorted).
fn account_folder(c: &Credential) -> &str {
    c.workloads.first().map_or("", |w| folder(&w.file))
}

fn workload(w: &Workload) -> String {
    [
        folder(&w.file),
        &w.api_version,
        &w.kind,
        &w.name,
        w.declared_namespace.as_deref().unwrap_or(""),
        w.service_account.as_deref().unwrap_or(""),
        &w.values_path.join("."),
    ]
    .join("|")
}

/// Why a workload's values cannot travel in an answer, if so.
pub fn unfit(w: &Workload) -> Option<String> {
    let bad = |s: &str| s.contains(['|', ',']);
    let fields = [folder(&w.file), w.api_version.as_str(), w.name.as_str()];
    if fields.iter().any(|s| bad(s)) {
        return Some("its folder or name holds '|' or ',', which this tool does not write".into());
    }
    if w.values_path.iter().any(|k| k.contains(['.', '|', ','])) {
        return Some(
            "a key on the way to its aadpodidbinding value holds '.', '|' or ',', which this \
             tool does not write"
                .into(),
        );
    }
    None
}
