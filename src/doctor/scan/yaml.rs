//! YAML files: the article's kustomization typos, remote CRD URLs, Pod
//! Identity objects and installs, and Flux `Kustomization` stages.

use super::{Doc, Exception, Facts, Form, Install, PRUNE_DISABLED, RemoteCrds, Stage, crd_url_ref};
use crate::doctor::text;

pub(super) fn yaml(path: &str, name: &str, text: &str, facts: &mut Facts) {
    if name.eq_ignore_ascii_case("customization.yaml")
        || name.eq_ignore_ascii_case("customization.yml")
    {
        facts.typos.push((
            path.to_string(),
            1,
            format!("{name} is not a kustomization file name: kustomize reads kustomization.yaml, kustomization.yml or Kustomization, so Flux ignores this file's list and applies the folder as a plain folder"),
        ));
    }
    remote_crds(path, text, facts);
    for (line, chunk) in documents(text) {
        let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&chunk) else {
            continue;
        };
        if !value.is_mapping() {
            continue;
        }
        let doc = Doc {
            file: path.to_string(),
            line,
            value,
        };
        document(path, text, &doc, facts);
        super::installs::document(path, name, text, &doc, facts);
        facts.docs.push(doc);
    }
}

/// The lines that name an aad-pod-identity CRD URL.
fn remote_crds(path: &str, text: &str, facts: &mut Facts) {
    let prune_disabled = text.lines().any(|l| {
        l.trim_start().starts_with(&format!("{PRUNE_DISABLED}:")) && l.contains("disabled")
    });
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start().trim_start_matches("- ").trim();
        if t.starts_with('#') {
            continue;
        }
        let url = t.trim_matches(['"', '\'']);
        if let Some(git_ref) = crd_url_ref(url) {
            facts.remote_crds.push(RemoteCrds {
                file: path.to_string(),
                line: i + 1,
                url: url.to_string(),
                git_ref: git_ref.to_string(),
                prune_disabled,
            });
        }
    }
}

/// The documents of a YAML file (BOM dropped): first line and text.
fn documents(text: &str) -> Vec<(usize, String)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut start = 1;
    let mut chunk = String::new();
    let mut docs = Vec::new();
    for (i, l) in body.lines().enumerate() {
        if l.starts_with("---") {
            docs.push((start, std::mem::take(&mut chunk)));
            start = i + 2;
        } else {
            chunk.push_str(l);
            chunk.push('\n');
        }
    }
    docs.push((start, chunk));
    docs
}

/// What one document says: a typo, an install, an exception or a stage.
fn document(path: &str, text: &str, doc: &Doc, facts: &mut Facts) {
    let line = doc.line;
    let at = |needle: &str| text::line_of(text, needle, line);
    match (doc.group(), doc.kind()) {
        (_, "Customization") => facts.typos.push((
            path.to_string(),
            at("Customization"),
            "kind: Customization is not a kustomize kind (the article's typo): kustomize wants kind: Kustomization".into(),
        )),
        (_, "HelmRelease") => {
            let chart = doc
                .str_at(&["spec", "chart", "spec", "chart"])
                .unwrap_or("");
            if chart.contains("aad-pod-identity") {
                facts.installs.push(Install {
                    file: path.to_string(),
                    line: at("chart: aad-pod-identity"),
                    what: format!("HelmRelease {} installs the aad-pod-identity chart", doc.name()),
                    helm: true,
                });
            }
        }
        ("aadpodidentity.k8s.io", "AzureIdentity" | "AzureIdentityBinding") => {
            facts.installs.push(Install {
                file: path.to_string(),
                line: at(doc.kind()),
                what: format!("{} {} needs Pod Identity", doc.kind(), doc.name()),
                helm: false,
            })
        }
        ("aadpodidentity.k8s.io", "AzurePodIdentityException") => {
            facts.exceptions.push(exception(path, text, doc));
        }
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
            facts.flux_objects = true;
            if let Some(ns) = doc.str_at(&["metadata", "namespace"]) {
                facts.flux_namespaces.push(ns.to_string());
            }
            facts.stages.extend(flux_stage(path, text, doc));
        }
        _ => {}
    }
}

/// An `AzurePodIdentityException` object.
fn exception(path: &str, text: &str, doc: &Doc) -> Exception {
    let labels = doc
        .at(&["spec", "podLabels"])
        .and_then(|l| l.as_mapping())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(v)?)))
                .collect()
        })
        .unwrap_or_default();
    let name = doc.name().to_string();
    Exception {
        file: path.to_string(),
        line: text::line_of(text, &format!("name: {name}"), doc.line),
        form: Form::Yaml,
        name,
        namespace: doc.str_at(&["metadata", "namespace"]).map(str::to_string),
        labels,
    }
}

/// The stage of a Flux `Kustomization` object, when it has a path.
fn flux_stage(path: &str, text: &str, doc: &Doc) -> Option<Stage> {
    let depends_on = doc
        .at(&["spec", "dependsOn"])
        .and_then(|d| d.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|d| d.get("name")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let p = doc.str_at(&["spec", "path"])?;
    Some(Stage {
        file: path.to_string(),
        line: text::line_of(text, "path:", doc.line),
        config: format!(
            "flux#{}",
            doc.str_at(&["metadata", "namespace"]).unwrap_or("")
        ),
        name: doc.name().to_string(),
        path: Some(p.to_string()),
        depends_on,
        target_namespace: doc.str_at(&["spec", "targetNamespace"]).map(str::to_string),
        flux_patches: doc.at(&["spec", "patches"]).is_some(),
    })
}

fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
