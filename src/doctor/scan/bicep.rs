//! Bicep files: fluxConfigurations kustomizations (stages and fields worth
//! a version check), the Flux extension, Pod Identity profiles and their
//! exceptions.

use super::{BicepField, Exception, Facts, Form, Install, Stage, line_offsets};
use crate::doctor::text::{self, Bicep, Value};

pub(super) fn bicep(path: &str, text: &str, facts: &mut Facts) {
    let clean = text::blank_comments(text, b'\'', false);
    let mut search = 0;
    // Each top-level declaration with a literal: resource, output, var, module.
    for (line_start, l) in line_offsets(&clean) {
        let trimmed = l.trim_start();
        let decl = ["resource ", "output ", "var ", "module "]
            .iter()
            .any(|d| trimmed.starts_with(d));
        if !decl || line_start < search {
            continue;
        }
        let Some(eq) = l.find('=') else { continue };
        let after = line_start + eq + 1;
        let rest = &clean[after..];
        let Some(open) = rest.find(['{', '[']) else {
            continue;
        };
        let mut reader = Bicep::new(&clean, after + open);
        let value = reader.value();
        search = reader.pos;
        let type_name = l
            .split('\'')
            .nth(1)
            .filter(|_| trimmed.starts_with("resource "))
            .unwrap_or("");
        let (rtype, version) = type_name.split_once('@').unwrap_or((type_name, ""));
        let props = value.get("properties");
        match rtype {
            "Microsoft.KubernetesConfiguration/fluxConfigurations" => {
                facts.extension = true;
                let config = format!("{path}#{}", text::line_at(text, line_start));
                if let Some(Value::Object(ks)) = props.and_then(|p| p.get("kustomizations")) {
                    for (kname, koff, k) in ks {
                        let at = Kustomization {
                            path,
                            text,
                            version,
                            name: kname,
                            offset: *koff,
                        };
                        kustomization(&at, &config, k, facts);
                    }
                }
            }
            "Microsoft.KubernetesConfiguration/extensions" => flux_extension(props, facts),
            _ => {}
        }
        pod_identity(path, text, &value, facts);
    }
}

/// Where a fluxConfigurations kustomization is written.
struct Kustomization<'a> {
    path: &'a str,
    text: &'a str,
    /// The resource's API version.
    version: &'a str,
    name: &'a str,
    /// Offset of its key.
    offset: usize,
}

impl Kustomization<'_> {
    fn field(&self, off: usize, field: &'static str) -> BicepField {
        BicepField {
            file: self.path.to_string(),
            line: text::line_at(self.text, off),
            api_version: self.version.to_string(),
            kustomization: self.name.to_string(),
            field,
        }
    }
}

/// One kustomization of a fluxConfigurations resource: its stage and the
/// fields whose shape depends on the API version.
fn kustomization(at: &Kustomization, config: &str, k: &Value, facts: &mut Facts) {
    let mut deps = Vec::new();
    if let Some(Value::Array(items)) = k.get("dependsOn") {
        for item in items {
            let (dep, field) = match item {
                Value::Str(s, _) => (Some(s.clone()), "dependsOn-string"),
                Value::Object(_) => (
                    item.get("kustomizationName")
                        .and_then(Value::str)
                        .map(str::to_string),
                    "dependsOn-object",
                ),
                _ => (None, ""),
            };
            deps.extend(dep);
            if !field.is_empty() {
                let off = k.key_offset("dependsOn").unwrap_or(at.offset);
                facts.bicep_fields.push(at.field(off, field));
            }
        }
    }
    for field in ["wait", "postBuild", "validation"] {
        if let Some(off) = k.key_offset(field) {
            facts.bicep_fields.push(at.field(off, field));
        }
    }
    let p = k.get("path").and_then(Value::str);
    facts.stages.push(Stage {
        file: at.path.to_string(),
        line: text::line_at(at.text, k.key_offset("path").unwrap_or(at.offset)),
        config: config.to_string(),
        name: at.name.to_string(),
        path: p.filter(|p| !p.contains("${")).map(str::to_string),
        depends_on: deps,
        target_namespace: None,
        flux_patches: false,
    });
}

/// A `Microsoft.KubernetesConfiguration/extensions` resource: the Flux
/// extension and its release namespace.
fn flux_extension(props: Option<&Value>, facts: &mut Facts) {
    let ext = props
        .and_then(|p| p.get("extensionType"))
        .and_then(Value::str)
        .unwrap_or("");
    if ext.eq_ignore_ascii_case("microsoft.flux") {
        facts.extension = true;
        if let Some(ns) = props
            .and_then(|p| p.get("scope"))
            .and_then(|s| s.get("cluster"))
            .and_then(|c| c.get("releaseNamespace"))
            .and_then(Value::str)
        {
            facts.flux_namespaces.push(ns.to_string());
        }
    }
}

/// Pod Identity profiles that are not disabled, and exceptions (objects
/// with `podLabels`), anywhere in a declaration.
fn pod_identity(path: &str, text: &str, value: &Value, facts: &mut Facts) {
    let line = |off: usize| text::line_at(text, off);
    let mut objects = Vec::new();
    value.objects(&mut objects);
    for o in objects {
        if let (Some(profile), Some(off)) = (
            o.get("podIdentityProfile"),
            o.key_offset("podIdentityProfile"),
        ) && !matches!(profile.get("enabled"), Some(Value::Other(v, _)) if v == "false")
        {
            facts.installs.push(Install {
                file: path.to_string(),
                line: line(off),
                what: "podIdentityProfile enables the AKS Pod Identity add-on".into(),
                helm: false,
            });
        }
        if let Some(Value::Object(labels)) = o.get("podLabels") {
            facts.exceptions.push(Exception {
                file: path.to_string(),
                line: line(
                    o.key_offset("name")
                        .unwrap_or(labels.first().map_or(0, |l| l.1)),
                ),
                form: Form::Bicep,
                name: o.get("name").and_then(Value::str).unwrap_or("").to_string(),
                namespace: o.get("namespace").and_then(Value::str).map(str::to_string),
                labels: labels
                    .iter()
                    .filter_map(|(k, _, v)| Some((k.clone(), v.str()?.to_string())))
                    .collect(),
            });
        }
    }
}
