//! `migrate plan` output: text and JSON.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Credential, Discovery};

/// The mapping as text: identity → namespace → service account →
/// workloads, then what cannot be mapped and why.
pub fn text(d: &Discovery) -> String {
    let mut s = String::new();
    let stages: Vec<&str> = d
        .stages
        .iter()
        .map(|p| if p.is_empty() { "." } else { p.as_str() })
        .collect();
    let _ = writeln!(s, "Stages read: {}", stages.join(", "));
    let mut by_identity: BTreeMap<&str, Vec<&Credential>> = BTreeMap::new();
    for c in &d.credentials {
        by_identity.entry(&c.identity).or_default().push(c);
    }
    if by_identity.is_empty() {
        let _ = writeln!(s, "\nNo workload can be moved to Workload Identity.");
    }
    for (identity, creds) in &by_identity {
        let r = &creds[0].resource_id;
        let _ = writeln!(
            s,
            "\nAzureIdentity {identity}: client id {}, identity {} in resource group {}",
            creds[0].client_id, r.name, r.resource_group
        );
        let mut last_ns = "";
        for c in creds {
            if c.namespace != last_ns {
                let _ = writeln!(s, "  namespace {}", c.namespace);
                last_ns = &c.namespace;
            }
            let _ = writeln!(
                s,
                "    service account {} (subject {})",
                c.service_account,
                c.subject()
            );
            for w in &c.workloads {
                let _ = writeln!(s, "      {} {} ({})", w.kind, w.name, w.file);
            }
        }
    }
    if !d.retire.is_empty() {
        let _ = writeln!(
            s,
            "\nStep 2 (regen --set migration_step=2) takes Pod Identity out of:"
        );
        for r in &d.retire {
            let folder = if r.folder.is_empty() { "." } else { &r.folder };
            let _ = writeln!(s, "  {folder}: {}", r.entry);
        }
    }
    if !d.unmapped.is_empty() {
        let _ = writeln!(
            s,
            "\nCannot map (nothing is guessed; fix these, then run again):"
        );
        for u in &d.unmapped {
            let _ = writeln!(s, "  {} ({}): {}", u.object, u.file, u.reason);
        }
    }
    s
}

/// The discovery as one JSON document.
pub fn json(d: &Discovery) -> String {
    let credentials: Vec<serde_json::Value> = d
        .credentials
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["subject"] = c.subject().into();
            v
        })
        .collect();
    let doc = serde_json::json!({
        "command": "migrate plan",
        "stages": d.stages,
        "identities": d.identities,
        "bindings": d.bindings,
        "credentials": credentials,
        "unmapped": d.unmapped,
        "retire": d.retire,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
