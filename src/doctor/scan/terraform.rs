//! Terraform files: the Flux extension, `azurerm_kubernetes_flux_configuration`
//! kustomizations (stages), and azapi Pod Identity profiles with their
//! exceptions.

use std::sync::LazyLock;

use super::{Exception, Facts, Form, Install, Stage, line_offsets};
use crate::doctor::text;

pub(super) fn terraform(path: &str, text: &str, facts: &mut Facts) {
    let clean = text::blank_comments(text, b'"', true);
    let attr = |block: &str, key: &str| -> Option<String> {
        block.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
    };
    for (start, l) in line_offsets(&clean) {
        let t = l.trim_start();
        if !t.starts_with("resource ") {
            continue;
        }
        let Some(open) = l.find('{') else { continue };
        let end = block_end(&clean, start + open);
        let body = &clean[start + open..end];
        if t.contains("\"azurerm_kubernetes_cluster_extension\"")
            && attr(body, "extension_type").as_deref() == Some("microsoft.flux")
        {
            facts.extension = true;
            if let Some(ns) = attr(body, "release_namespace") {
                facts.flux_namespaces.push(ns);
            }
        }
        if t.contains("\"helm_release\"")
            && attr(body, "chart").is_some_and(|c| c.contains("aad-pod-identity"))
        {
            let off = line_offsets(body)
                .into_iter()
                .find(|(_, l)| l.split_once('=').is_some_and(|(k, _)| k.trim() == "chart"))
                .map_or(start, |(o, _)| start + open + o);
            facts.installs.push(Install {
                file: path.to_string(),
                line: text::line_at(text, off),
                what: "helm_release installs the aad-pod-identity chart".into(),
                helm: false,
            });
        }
        if body.contains("podIdentityProfile") {
            let off = start + open + body.find("podIdentityProfile").unwrap_or(0);
            facts.installs.push(Install {
                file: path.to_string(),
                line: text::line_at(text, off),
                what: "podIdentityProfile enables the AKS Pod Identity add-on".into(),
                helm: false,
            });
            hcl_exceptions(path, text, start + open, body, facts);
        }
        if t.contains("\"azurerm_kubernetes_flux_configuration\"") {
            flux_configuration(path, text, start, open, body, facts);
        }
    }
}

/// The stages an `azurerm_kubernetes_flux_configuration` block declares
/// (its `kustomizations` blocks); the block's body is `body`, opening at
/// `start + open` in `text`.
fn flux_configuration(
    path: &str,
    text: &str,
    start: usize,
    open: usize,
    body: &str,
    facts: &mut Facts,
) {
    let attr = |block: &str, key: &str| -> Option<String> {
        block.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
        })
    };
    facts.extension = true;
    let config = format!("{path}#{}", text::line_at(text, start));
    let mut from = 0;
    while let Some(k) = body[from..].find("kustomizations") {
        let kat = from + k;
        let Some(kopen) = body[kat..].find('{').map(|o| kat + o) else {
            break;
        };
        let kend = block_end(body, kopen);
        let kb = &body[kopen..kend];
        from = kend;
        let deps = kb
            .lines()
            .find(|l| l.trim_start().starts_with("depends_on"))
            .map(|l| {
                l.split_once('=')
                    .map_or("", |(_, v)| v)
                    .trim()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let path_off = kb.find("path").unwrap_or(0);
        facts.stages.push(Stage {
            file: path.to_string(),
            line: text::line_at(text, start + open + kopen + path_off),
            config: config.clone(),
            name: attr(kb, "name").unwrap_or_default(),
            path: attr(kb, "path").filter(|p| !p.contains("${")),
            depends_on: deps,
            target_namespace: None,
            flux_patches: false,
        });
    }
}

/// The `userAssignedIdentityExceptions` entries of an azapi body: objects
/// with `podLabels = { "k" = "v" }`, `name` and `namespace`.
fn hcl_exceptions(path: &str, text: &str, at: usize, body: &str, facts: &mut Facts) {
    static LABELS: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#"podLabels\s*=\s*\{([^}]*)\}"#).expect("valid"));
    static PAIR: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#""?([^"\s=]+)"?\s*=\s*"([^"]*)""#).expect("valid"));
    for m in LABELS.captures_iter(body) {
        let whole = m.get(0).expect("match");
        let from = body[..whole.start()]
            .rfind("},")
            .max(body[..whole.start()].rfind('['))
            .unwrap_or(0);
        let to = body[whole.end()..]
            .find('}')
            .map_or(body.len(), |e| whole.end() + e);
        let window = &body[from..to];
        let field = |key: &str| {
            window.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key)
                    .then(|| v.trim().trim_end_matches(',').trim_matches('"').to_string())
            })
        };
        facts.exceptions.push(Exception {
            file: path.to_string(),
            line: text::line_at(text, at + whole.start()),
            form: Form::Bicep,
            name: field("name").unwrap_or_default(),
            namespace: field("namespace"),
            labels: PAIR
                .captures_iter(&m[1])
                .map(|c| (c[1].to_string(), c[2].to_string()))
                .collect(),
        });
    }
}

/// The `{ ... }` block whose opening brace is at `open`; the end offset.
fn block_end(text: &str, open: usize) -> usize {
    let b = text.as_bytes();
    let mut depth = 0;
    let mut i = open;
    let mut in_str = false;
    while i < b.len() {
        match b[i] {
            b'"' => in_str = !in_str,
            b'\\' if in_str => i += 1,
            b'{' if !in_str => depth += 1,
            b'}' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}
