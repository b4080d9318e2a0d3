//! The ways a YAML file installs Pod Identity other than a HelmRelease of
//! the chart by name: a kustomize `helmCharts:` entry, a kustomization
//! listing the upstream `deploy/infra/` manifests, the NMI and MIC
//! workloads themselves, a GitRepository of the upstream repository, and a
//! HelmRelease whose `chartRef` names an OCIRepository of the chart (the
//! last resolved by [`chart_refs`] once every file is read). A Flux
//! Kustomization of the upstream repository is no stage of this one
//! ([`foreign_stages`]).

use super::{Doc, Facts, Install};
use crate::doctor::text;

/// A HelmRelease `chartRef` to an OCIRepository, resolved after the scan.
#[derive(Debug, Clone)]
pub struct OciRef {
    pub install: Install,
    pub name: String,
    pub namespace: Option<String>,
}

/// The installs one document makes, if any.
pub(super) fn document(path: &str, name: &str, text: &str, doc: &Doc, facts: &mut Facts) {
    let at = |needle: &str| text::line_of(text, needle, doc.line);
    let mut found = |needle: &str, what: String| {
        facts.installs.push(Install {
            file: path.to_string(),
            line: at(needle),
            what,
            helm: false,
        })
    };
    if crate::kustomize::FILE_NAMES.contains(&name) {
        for chart in helm_charts(doc) {
            found(
                &format!("name: {chart}"),
                format!("the kustomization's helmCharts inflates the {chart} chart"),
            );
        }
        for (_, entry) in crate::applied::entries_of(&doc.value) {
            if upstream_repo(&entry) && entry.contains("/deploy/infra") {
                found(
                    &entry,
                    format!("the kustomization applies the upstream manifests {entry}"),
                );
            }
        }
    }
    for image in images(doc) {
        let lower = image.to_lowercase();
        if ["aad-pod-identity/nmi", "aad-pod-identity/mic"]
            .iter()
            .any(|c| lower.contains(c))
        {
            found(
                &image,
                format!("{} {} runs {image}", doc.kind(), doc.name()),
            );
        }
    }
    match (doc.group(), doc.kind()) {
        ("source.toolkit.fluxcd.io", "GitRepository") => {
            if let Some(url) = doc.str_at(&["spec", "url"]).filter(|u| upstream_repo(u)) {
                found(
                    url,
                    format!(
                        "GitRepository {} fetches {url} for Flux to apply",
                        doc.name()
                    ),
                );
            }
        }
        ("helm.toolkit.fluxcd.io", "HelmRelease") => oci_ref(path, text, doc, facts),
        _ => {}
    }
}

/// The names of the `helmCharts:` entries that are the aad-pod-identity chart.
fn helm_charts(doc: &Doc) -> Vec<String> {
    doc.at(&["helmCharts"])
        .and_then(|h| h.as_sequence())
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name")?.as_str())
        .filter(|n| *n == "aad-pod-identity")
        .map(str::to_string)
        .collect()
}

/// The container images of a workload or a Pod.
fn images(doc: &Doc) -> Vec<String> {
    let mut out = Vec::new();
    for spec in [&["spec", "template", "spec"][..], &["spec"][..]] {
        for list in ["initContainers", "containers"] {
            let mut path = spec.to_vec();
            path.push(list);
            let Some(seq) = doc.at(&path).and_then(|c| c.as_sequence()) else {
                continue;
            };
            out.extend(
                seq.iter()
                    .filter_map(|c| c.get("image")?.as_str())
                    .map(str::to_string),
            );
        }
    }
    out
}

/// Whether `url` points into Azure/aad-pod-identity on GitHub (HTTPS, SSH,
/// raw files or kustomize's remote form).
pub fn upstream_repo(url: &str) -> bool {
    let u = url.to_lowercase().replace("github.com:", "github.com/");
    [
        "github.com/azure/aad-pod-identity",
        "raw.githubusercontent.com/azure/aad-pod-identity",
    ]
    .iter()
    .any(|r| {
        u.split_once(r)
            .is_some_and(|(_, rest)| rest.is_empty() || rest.starts_with(['/', '?', '.']))
    })
}

/// A HelmRelease's `chartRef` to an OCIRepository, kept until the scan ends.
fn oci_ref(path: &str, text: &str, doc: &Doc, facts: &mut Facts) {
    let Some(r) = doc.at(&["spec", "chartRef"]) else {
        return;
    };
    let field = |k: &str| r.get(k).and_then(|v| v.as_str());
    if field("kind") != Some("OCIRepository") {
        return;
    }
    let Some(name) = field("name") else { return };
    facts.oci_refs.push(OciRef {
        install: Install {
            file: path.to_string(),
            line: text::line_of(text, "chartRef", doc.line),
            what: format!(
                "HelmRelease {} installs the aad-pod-identity chart from OCIRepository {name}",
                doc.name()
            ),
            helm: true,
        },
        name: name.to_string(),
        namespace: field("namespace")
            .or_else(|| doc.str_at(&["metadata", "namespace"]))
            .map(str::to_string),
    });
}

/// The chartRefs whose OCIRepository's URL is the aad-pod-identity chart,
/// added to the installs once every file is read.
pub fn chart_refs(facts: &mut Facts) {
    let found: Vec<Install> = facts
        .oci_refs
        .iter()
        .filter(|r| {
            facts.docs.iter().any(|d| {
                d.group() == "source.toolkit.fluxcd.io"
                    && d.kind() == "OCIRepository"
                    && d.name() == r.name
                    && same_namespace(d.str_at(&["metadata", "namespace"]), r.namespace.as_deref())
                    && d.str_at(&["spec", "url"])
                        .is_some_and(|u| u.contains("aad-pod-identity"))
            })
        })
        .map(|r| r.install.clone())
        .collect();
    facts.installs.extend(found);
}

/// Drops the stages Flux takes from the upstream repository: their paths
/// are in Azure/aad-pod-identity, not here.
pub fn foreign_stages(facts: &mut Facts) {
    let flux = |d: &Doc, kind: &str| d.kind() == kind && d.group().ends_with(".toolkit.fluxcd.io");
    fn ns(d: &Doc) -> Option<&str> {
        d.str_at(&["metadata", "namespace"])
    }
    let upstream: Vec<&Doc> = facts
        .docs
        .iter()
        .filter(|d| flux(d, "GitRepository"))
        .filter(|d| d.str_at(&["spec", "url"]).is_some_and(upstream_repo))
        .collect();
    let foreign: Vec<(String, String)> = facts
        .docs
        .iter()
        .filter(|d| flux(d, "Kustomization"))
        .filter(|d| {
            let r = |k: &str| d.str_at(&["spec", "sourceRef", k]);
            r("kind") == Some("GitRepository")
                && upstream.iter().any(|g| {
                    Some(g.name()) == r("name") && same_namespace(ns(g), r("namespace").or(ns(d)))
                })
        })
        .map(|d| (d.file.clone(), d.name().to_string()))
        .collect();
    facts
        .stages
        .retain(|s| !foreign.iter().any(|(f, n)| *f == s.file && *n == s.name));
}

/// Namespaces that may be the same: equal, or one left to the apply.
fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}
