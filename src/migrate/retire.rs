//! What step 2 takes out of the user's kustomizations: the `resources`
//! entries that hold Pod Identity and nothing else (its CRDs, its Helm
//! release and repository, AzureIdentity objects and bindings, the Flux
//! exception). An entry that holds anything else is left, and looked into.

use std::collections::BTreeMap;

use super::objects::{Found, str_at};
use crate::applied::{self, Object};
use crate::error::Result;
use crate::kustomize;
use crate::tree::Tree;

/// (kustomization folder, entry as listed) for every entry to retire below
/// the stages, in order.
pub fn entries(
    tree: &dyn Tree,
    stages: &[String],
    found: &[Found],
) -> Result<Vec<(String, String)>> {
    let bodies: BTreeMap<(&str, &str, &str), &Found> = found
        .iter()
        .map(|f| {
            (
                (
                    f.object.file.as_str(),
                    f.object.kind.as_str(),
                    f.object.name.as_str(),
                ),
                f,
            )
        })
        .collect();
    let mut out = Vec::new();
    for dir in stages {
        visit(tree, dir, &bodies, &mut out, 0)?;
    }
    out.sort();
    out.dedup();
    keep_crds_while_used(tree, found, &mut out)?;
    Ok(out)
}

/// The CRDs stay while a Pod Identity object outside what is retired is
/// still applied (a mixed file kept): without them Flux could not apply it.
fn keep_crds_while_used(
    tree: &dyn Tree,
    found: &[Found],
    out: &mut Vec<(String, String)>,
) -> Result<()> {
    let targets: Vec<String> = out
        .iter()
        .filter(|(_, e)| !applied::is_remote(e))
        .map(|(dir, e)| applied::join(dir, e.trim_start_matches("./")))
        .collect();
    let covered = |file: &str| {
        targets
            .iter()
            .any(|t| file == t || file.starts_with(&format!("{t}/")))
    };
    let still_used = found.iter().any(|f| {
        f.object.api_version.starts_with("aadpodidentity.k8s.io/") && !covered(&f.object.file)
    });
    if !still_used {
        return Ok(());
    }
    let mut kept = Vec::new();
    for (dir, e) in out.drain(..) {
        let crds = if applied::is_remote(&e) {
            crate::doctor::scan::crd_url_ref(&e).is_some()
        } else {
            let target = applied::join(&dir, e.trim_start_matches("./"));
            let objects = match tree.read(&target)? {
                Some(bytes) => applied::objects_of(&bytes, &target).unwrap_or_default(),
                None => applied::build(tree, &target)?.objects,
            };
            objects.iter().any(|o| {
                o.kind == "CustomResourceDefinition" && o.name.ends_with(".aadpodidentity.k8s.io")
            })
        };
        if !crds {
            kept.push((dir, e));
        }
    }
    *out = kept;
    Ok(())
}

fn visit(
    tree: &dyn Tree,
    dir: &str,
    bodies: &BTreeMap<(&str, &str, &str), &Found>,
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<()> {
    let Ok(Some(file)) = applied::kustomization_file(tree, dir)? else {
        return Ok(());
    };
    let Some(data) = tree
        .read(&file)?
        .and_then(|b| kustomize::read_kustomization(&b).ok())
    else {
        return Ok(());
    };
    for (field, e) in applied::entries_of(&data) {
        if field != "resources" {
            continue;
        }
        if applied::is_remote(&e) {
            if crate::doctor::scan::crd_url_ref(&e).is_some() {
                out.push((dir.to_string(), e));
            }
            continue;
        }
        let target = applied::join(dir, e.trim_start_matches("./"));
        let objects = match tree.read(&target)? {
            Some(bytes) => applied::objects_of(&bytes, &target).unwrap_or_default(),
            None => {
                let b = applied::build(tree, &target)?;
                if !b.builds() || b.sources.iter().any(|s| matches!(s, applied::Source::Remote(u) if crate::doctor::scan::crd_url_ref(u).is_none())) {
                    continue;
                }
                b.objects
            }
        };
        if !objects.is_empty() && objects.iter().all(|o| pod_identity(o, bodies)) {
            out.push((dir.to_string(), e));
        } else if depth < 16 {
            visit(tree, &target, bodies, out, depth + 1)?;
        }
    }
    Ok(())
}

/// Whether an object is part of Pod Identity: its API group, its CRDs, the
/// aad-pod-identity chart's HelmRelease and a HelmRepository serving it.
fn pod_identity(o: &Object, bodies: &BTreeMap<(&str, &str, &str), &Found>) -> bool {
    let body = bodies.get(&(o.file.as_str(), o.kind.as_str(), o.name.as_str()));
    let at = |path: &[&str]| body.and_then(|f| str_at(&f.body, path));
    o.api_version.starts_with("aadpodidentity.k8s.io/")
        || (o.kind == "CustomResourceDefinition" && o.name.ends_with(".aadpodidentity.k8s.io"))
        || (o.kind == "HelmRelease"
            && at(&["spec", "chart", "spec", "chart"]) == Some("aad-pod-identity"))
        || (o.kind == "HelmRepository"
            && at(&["spec", "url"]).is_some_and(|u| u.contains("aad-pod-identity")))
}
