//! The rules of the move to Workload Identity (FS019–FS021): pods still
//! labelled for Pod Identity once it is gone, service accounts no federated
//! credential trusts, and clusters with workload identity but no OIDC issuer.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml::Value;

use super::objects::{self, at, str_at};
use super::{CLIENT_ID_ANNOTATION, POD_IDENTITY_LABEL, workload};
use crate::applied::Build;
use crate::doctor::report::Finding;
use crate::doctor::scan::Facts;
use crate::doctor::text;
use crate::error::Result;
use crate::tree::Tree;

/// Every finding of the migration rules for one layout, whose stages are
/// the folders `dirs` with their builds. doctor runs it as one of its extra
/// rules (`doctor::run_with`), so doctor need not know the migration.
pub fn check(tree: &dyn Tree, facts: &Facts, builds: &[(String, Build)]) -> Result<Vec<Finding>> {
    let dirs: Vec<String> = builds.iter().map(|(d, _)| d.clone()).collect();
    let (found, _) = objects::collect(tree, &dirs)?;
    let mut out = Vec::new();
    // Installed: by infrastructure code, or by manifests a stage applies
    // (a file left in the repository after its entry went does not count).
    let applied = |file: &str| {
        builds.iter().any(|(_, b)| {
            b.sources
                .contains(&crate::applied::Source::File(file.to_string()))
        })
    };
    let installed = facts
        .installs
        .iter()
        .any(|i| !(i.file.ends_with(".yaml") || i.file.ends_with(".yml")) || applied(&i.file))
        || builds.iter().any(|(_, b)| {
            b.objects
                .iter()
                .any(|o| o.api_version.starts_with("aadpodidentity.k8s.io/"))
        });
    for f in &found {
        if !installed
            && let Some(w) = workload::of(f)
            && !removed_by_patch(tree, &w)?
        {
            let line = line_in(tree, &w.file, POD_IDENTITY_LABEL)?;
            out.push(
                Finding::new(
                    "FS019",
                    &w.file,
                    line,
                    format!(
                        "{} still labels its pods {POD_IDENTITY_LABEL}: {}, but nothing here installs Pod Identity any more",
                        w.display(),
                        w.selector
                    ),
                )
                .fix("remove the label (a strategic-merge patch setting it to null does; flux-scaffold's migration step 2 writes one)"),
            );
        }
        if f.object.kind == "ServiceAccount"
            && let Some(client) = at(&f.body, &["metadata", "annotations", CLIENT_ID_ANNOTATION])
        {
            let ns = f.object.namespace.as_deref().unwrap_or("default");
            let subject = format!("system:serviceaccount:{ns}:{}", f.object.name);
            if !facts.iac.iter().any(|(_, t)| t.contains(&subject)) {
                let line = line_in(tree, &f.object.file, CLIENT_ID_ANNOTATION)?;
                out.push(
                    Finding::new(
                        "FS020",
                        &f.object.file,
                        line,
                        format!(
                            "ServiceAccount {ns}/{} names client id {} for Workload Identity, but no Bicep, az or Terraform here declares a federated credential with subject {subject}",
                            f.object.name,
                            client.as_str().unwrap_or("?")
                        ),
                    )
                    .fix(format!("declare a federated credential on that identity: issuer the cluster's OIDC issuer URL, subject {subject}, audience api://AzureADTokenExchange")),
                );
            }
        }
    }
    for (path, text) in &facts.iac {
        clusters_without_issuer(path, text, &mut out);
    }
    Ok(out)
}

fn line_in(tree: &dyn Tree, file: &str, needle: &str) -> Result<usize> {
    let text = tree.read(file)?.unwrap_or_default();
    Ok(text::line_of(&String::from_utf8_lossy(&text), needle, 1))
}

/// Whether a strategic-merge patch in the workload's kustomization sets
/// its pods' `aadpodidbinding` to null (which removes it).
fn removed_by_patch(tree: &dyn Tree, w: &super::Workload) -> Result<bool> {
    let dir = super::answers::folder(&w.file);
    let Ok(Some(k)) = crate::applied::kustomization_file(tree, dir)? else {
        return Ok(false);
    };
    let data = tree
        .read(&k)?
        .and_then(|b| crate::kustomize::read_kustomization(&b).ok())
        .unwrap_or(Value::Null);
    let Some(Value::Sequence(items)) = data.get("patches") else {
        return Ok(false);
    };
    let mut labels: Vec<&str> = match w.kind.as_str() {
        "HelmRelease" => vec!["spec", "values"],
        "CronJob" => vec![
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
        ],
        _ => vec!["spec", "template", "metadata", "labels"],
    };
    labels.extend(w.values_path.iter().map(String::as_str));
    labels.push(POD_IDENTITY_LABEL);
    for item in items {
        let Some(path) = item.get("path").and_then(Value::as_str) else {
            continue;
        };
        let file = crate::applied::join(dir, path.trim_start_matches("./"));
        let Some(bytes) = tree.read(&file)? else {
            continue;
        };
        for doc in serde_yaml::Deserializer::from_str(&String::from_utf8_lossy(&bytes)) {
            let Ok(v) = <Value as serde::Deserialize>::deserialize(doc) else {
                break;
            };
            let target = str_at(&v, &["kind"]) == Some(w.kind.as_str())
                && str_at(&v, &["metadata", "name"]) == Some(w.name.as_str());
            if target && matches!(at(&v, &labels), Some(Value::Null)) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

static WI_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"workloadIdentity\s*[:=]\s*\{\s*enabled\s*[:=]\s*true|workload_identity_enabled\s*=\s*true")
        .unwrap()
});
static ISSUER_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"oidcIssuerProfile\s*[:=]\s*\{[^}]*enabled\s*[:=]\s*true|oidc_issuer_enabled\s*=\s*true",
    )
    .unwrap()
});

/// FS021 for one file: Bicep, Terraform (azurerm and azapi) blocks and az
/// commands that turn workload identity on without the OIDC issuer.
fn clusters_without_issuer(path: &str, raw: &str, out: &mut Vec<Finding>) {
    let finding = |line: usize| {
        Finding::new(
            "FS021",
            path,
            line,
            "this cluster gets workload identity but not the OIDC issuer: no federated credential can trust it, and AKS refuses the change".to_string(),
        )
        .fix("turn the OIDC issuer on with it (oidcIssuerProfile.enabled, oidc_issuer_enabled, az --enable-oidc-issuer)")
    };
    if path.ends_with(".sh") || path.ends_with(".bash") || path.ends_with(".zsh") {
        let cmds = text::shell_commands(raw);
        let has = |c: &[text::Word], f: &str| c.iter().any(|w| w.value == f);
        let issuer_somewhere = cmds.iter().any(|c| {
            c.len() > 2
                && c[0].value == "az"
                && c[1].value == "aks"
                && has(c, "--enable-oidc-issuer")
        });
        for c in &cmds {
            let aks = c.len() > 2 && c[0].value == "az" && c[1].value == "aks";
            if aks && has(c, "--enable-workload-identity") && !issuer_somewhere {
                out.push(finding(c[0].line));
            }
        }
        return;
    }
    let hcl = path.ends_with(".tf");
    let text = text::blank_comments(raw, if hcl { b'"' } else { b'\'' }, hcl);
    for m in WI_ON.find_iter(&text) {
        let Some((start, end)) = block_around(&text, m.start()) else {
            continue;
        };
        if !ISSUER_ON.is_match(&text[start..end]) {
            out.push(finding(text::line_at(&text, m.start())));
        }
    }
}

/// The top-level block (from a `resource` line at column 0 to the next `}`
/// at column 0) holding `offset`, if any.
fn block_around(text: &str, offset: usize) -> Option<(usize, usize)> {
    let start = text[..offset]
        .rfind("\nresource ")
        .map(|i| i + 1)
        .or_else(|| text.starts_with("resource ").then_some(0))?;
    let end = text[offset..]
        .find("\n}")
        .map_or(text.len(), |i| offset + i + 2);
    Some((start, end))
}
