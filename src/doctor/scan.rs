//! What each file of the repository says about the deployment: the stages
//! the infrastructure code points Flux at, where Pod Identity is installed,
//! the exceptions declared, and the az `--kustomization` words as written.

use std::sync::LazyLock;

use super::text::{self, Bicep, Value, Word};

/// A kustomization of a flux configuration: a folder Flux is pointed at.
#[derive(Debug, Clone)]
pub struct Stage {
    pub file: String,
    pub line: usize,
    /// The configuration it belongs to (dependsOn names are within it).
    pub config: String,
    pub name: String,
    /// The path as written; None when it is computed (`${...}`).
    pub path: Option<String>,
    pub depends_on: Vec<String>,
    pub target_namespace: Option<String>,
}

/// Where an AzurePodIdentityException is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A Kubernetes object in a YAML file.
    Yaml,
    /// `az aks pod-identity exception add`.
    Az,
    /// An entry of the cluster's `podIdentityProfile.userAssignedIdentityExceptions`.
    Bicep,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub file: String,
    pub line: usize,
    pub form: Form,
    pub name: String,
    pub namespace: Option<String>,
    pub labels: Vec<(String, String)>,
}

/// Something that installs or enables Pod Identity.
#[derive(Debug, Clone)]
pub struct Install {
    pub file: String,
    pub line: usize,
    pub what: String,
    /// Installed by Flux from the repository (the Helm chart), so its CRDs
    /// must come from an earlier stage.
    pub helm: bool,
}

/// One `key=value` word of an az `--kustomization`, or a duration option.
#[derive(Debug, Clone)]
pub struct AzValue {
    pub file: String,
    pub key: String,
    pub word: Word,
}

/// A Bicep fluxConfigurations kustomization field worth a version check.
#[derive(Debug, Clone)]
pub struct BicepField {
    pub file: String,
    pub line: usize,
    pub api_version: String,
    pub kustomization: String,
    /// `dependsOn-object`, `dependsOn-string`, `wait`, `postBuild`, `validation`.
    pub field: &'static str,
}

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct Doc {
    pub file: String,
    pub line: usize,
    pub value: serde_yaml::Value,
}

impl Doc {
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.value;
        for p in path {
            v = v.get(*p)?;
        }
        v.as_str()
    }

    pub fn kind(&self) -> &str {
        self.str_at(&["kind"]).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"]).unwrap_or("")
    }

    pub fn group(&self) -> &str {
        let api = self.str_at(&["apiVersion"]).unwrap_or("");
        api.split_once('/').map_or("", |(g, _)| g)
    }
}

/// Everything doctor read in a set of files.
#[derive(Debug, Default)]
pub struct Facts {
    pub stages: Vec<Stage>,
    pub exceptions: Vec<Exception>,
    pub installs: Vec<Install>,
    pub flux_namespaces: Vec<String>,
    /// The AKS Flux extension is used (Bicep, az or Terraform).
    pub extension: bool,
    /// Flux `Kustomization` objects are in the repository.
    pub flux_objects: bool,
    pub az_values: Vec<AzValue>,
    pub bicep_fields: Vec<BicepField>,
    pub docs: Vec<Doc>,
    /// The article's kustomization typos: file, line, what is wrong.
    pub typos: Vec<(String, usize, String)>,
    pub remote_crds: Vec<RemoteCrds>,
    /// Infrastructure code (Bicep, Terraform, shell) as written, by path.
    pub iac: Vec<(String, String)>,
}

/// A reference to the aad-pod-identity CRD file by URL.
#[derive(Debug, Clone)]
pub struct RemoteCrds {
    pub file: String,
    pub line: usize,
    pub url: String,
    /// The Git ref in the URL (tag, branch or commit).
    pub git_ref: String,
    /// The file that lists it also sets `kustomize.toolkit.fluxcd.io/prune: disabled`.
    pub prune_disabled: bool,
}

/// The Git ref of an aad-pod-identity CRD URL, when `url` is one.
pub fn crd_url_ref(url: &str) -> Option<&str> {
    let rest = url
        .split_once("raw.githubusercontent.com/Azure/aad-pod-identity/")
        .or_else(|| url.split_once("github.com/Azure/aad-pod-identity/raw/"))?
        .1;
    let (git_ref, file) = rest.split_once('/')?;
    file.contains("crd").then_some(git_ref)
}

/// The annotation that keeps Flux from pruning an object.
pub const PRUNE_DISABLED: &str = "kustomize.toolkit.fluxcd.io/prune";

/// Read one file into `facts`.
pub fn file(path: &str, text: &str, facts: &mut Facts) {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "bicep" | "tf" | "sh" | "bash" | "zsh") {
        facts.iac.push((path.to_string(), text.to_string()));
    }
    match ext {
        "yaml" | "yml" => yaml(path, name, text, facts),
        "bicep" => bicep(path, text, facts),
        "tf" => terraform(path, text, facts),
        "sh" | "bash" | "zsh" => shell(path, text, facts),
        _ => {}
    }
}

fn yaml(path: &str, name: &str, text: &str, facts: &mut Facts) {
    if name.eq_ignore_ascii_case("customization.yaml")
        || name.eq_ignore_ascii_case("customization.yml")
    {
        facts.typos.push((
            path.to_string(),
            1,
            format!("{name} is not a kustomization file name: kustomize reads kustomization.yaml, kustomization.yml or Kustomization, so Flux ignores this file's list and applies the folder as a plain folder"),
        ));
    }
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
    for (line, chunk) in docs {
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
                let labels = doc
                    .value
                    .get("spec")
                    .and_then(|s| s.get("podLabels"))
                    .and_then(|l| l.as_mapping())
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| {
                                Some((k.as_str()?.to_string(), scalar(v)?))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let name = doc.name().to_string();
                facts.exceptions.push(Exception {
                    file: path.to_string(),
                    line: text::line_of(text, &format!("name: {name}"), line),
                    form: Form::Yaml,
                    name,
                    namespace: doc.str_at(&["metadata", "namespace"]).map(str::to_string),
                    labels,
                });
            }
            ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                facts.flux_objects = true;
                if let Some(ns) = doc.str_at(&["metadata", "namespace"]) {
                    facts.flux_namespaces.push(ns.to_string());
                }
                let depends_on = doc
                    .value
                    .get("spec")
                    .and_then(|s| s.get("dependsOn"))
                    .and_then(|d| d.as_sequence())
                    .map(|s| {
                        s.iter()
                            .filter_map(|d| d.get("name")?.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(p) = doc.str_at(&["spec", "path"]) {
                    facts.stages.push(Stage {
                        file: path.to_string(),
                        line: text::line_of(text, "path:", line),
                        config: format!(
                            "flux#{}",
                            doc.str_at(&["metadata", "namespace"]).unwrap_or("")
                        ),
                        name: doc.name().to_string(),
                        path: Some(p.to_string()),
                        depends_on,
                        target_namespace: doc
                            .str_at(&["spec", "targetNamespace"])
                            .map(str::to_string),
                    });
                }
            }
            _ => {}
        }
        facts.docs.push(doc);
    }
}

fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn bicep(path: &str, text: &str, facts: &mut Facts) {
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
        let line = |off: usize| text::line_at(text, off);
        let props = value.get("properties");
        match rtype {
            "Microsoft.KubernetesConfiguration/fluxConfigurations" => {
                facts.extension = true;
                let config = format!("{path}#{}", line(line_start));
                if let Some(Value::Object(ks)) = props.and_then(|p| p.get("kustomizations")) {
                    for (kname, koff, k) in ks {
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
                                    facts.bicep_fields.push(BicepField {
                                        file: path.to_string(),
                                        line: line(k.key_offset("dependsOn").unwrap_or(*koff)),
                                        api_version: version.to_string(),
                                        kustomization: kname.clone(),
                                        field,
                                    });
                                }
                            }
                        }
                        for field in ["wait", "postBuild", "validation"] {
                            if let Some(off) = k.key_offset(field) {
                                facts.bicep_fields.push(BicepField {
                                    file: path.to_string(),
                                    line: line(off),
                                    api_version: version.to_string(),
                                    kustomization: kname.clone(),
                                    field,
                                });
                            }
                        }
                        let p = k.get("path").and_then(Value::str);
                        facts.stages.push(Stage {
                            file: path.to_string(),
                            line: line(k.key_offset("path").unwrap_or(*koff)),
                            config: config.clone(),
                            name: kname.clone(),
                            path: p.filter(|p| !p.contains("${")).map(str::to_string),
                            depends_on: deps,
                            target_namespace: None,
                        });
                    }
                }
            }
            "Microsoft.KubernetesConfiguration/extensions" => {
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
            _ => {}
        }
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
}

fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        out.push((at, l.trim_end_matches('\n')));
        at += l.len();
    }
    out
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

fn terraform(path: &str, text: &str, facts: &mut Facts) {
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
        if !t.contains("\"azurerm_kubernetes_flux_configuration\"") {
            continue;
        }
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
            });
        }
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

fn shell(path: &str, text: &str, facts: &mut Facts) {
    for cmd in text::shell_commands(text) {
        let words: Vec<&str> = cmd.iter().map(|w| w.value.as_str()).collect();
        let Some(az) = words.iter().position(|w| *w == "az") else {
            continue;
        };
        let sub = &words[az + 1..];
        let opt = |names: &[&str]| -> Option<String> {
            cmd.iter().enumerate().find_map(|(i, w)| {
                if let Some((k, v)) = w.value.split_once('=')
                    && names.contains(&k)
                {
                    return Some(v.to_string());
                }
                names
                    .contains(&w.value.as_str())
                    .then(|| cmd.get(i + 1).map(|n| n.value.clone()))
                    .flatten()
            })
        };
        let line = cmd[az].line;
        if sub.starts_with(&["aks", "pod-identity"]) {
            facts.installs.push(Install {
                file: path.to_string(),
                line,
                what: "az aks pod-identity: Pod Identity is the AKS add-on".into(),
                helm: false,
            });
        }
        if sub.starts_with(&["aks", "pod-identity", "exception", "add"]) {
            let labels = cmd
                .iter()
                .skip_while(|w| w.value != "--pod-labels")
                .skip(1)
                .take_while(|w| !w.value.starts_with('-'))
                .filter_map(|w| {
                    let (k, v) = w.value.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect();
            facts.exceptions.push(Exception {
                file: path.to_string(),
                line,
                form: Form::Az,
                name: opt(&["--name", "-n"]).unwrap_or_default(),
                namespace: opt(&["--namespace"]),
                labels,
            });
        }
        if sub.first() == Some(&"aks") && words.contains(&"--enable-pod-identity") {
            facts.installs.push(Install {
                file: path.to_string(),
                line,
                what: "--enable-pod-identity enables the AKS Pod Identity add-on".into(),
                helm: false,
            });
        }
        if sub.starts_with(&["k8s-extension"])
            && opt(&["--extension-type"]).is_some_and(|t| t.eq_ignore_ascii_case("microsoft.flux"))
        {
            facts.extension = true;
            facts.flux_namespaces.extend(opt(&["--release-namespace"]));
        }
        if !(sub.starts_with(&["k8s-configuration", "flux", "create"])
            || sub.starts_with(&["k8s-configuration", "flux", "update"]))
        {
            continue;
        }
        facts.extension = true;
        let config = format!("{path}#{line}");
        for (i, w) in cmd.iter().enumerate() {
            if matches!(
                w.value.as_str(),
                "--interval" | "--timeout" | "--sync-interval"
            ) && let Some(v) = cmd.get(i + 1)
            {
                facts.az_values.push(AzValue {
                    file: path.to_string(),
                    key: w.value.clone(),
                    word: v.clone(),
                });
            }
            if !matches!(w.value.as_str(), "--kustomization" | "-k") {
                continue;
            }
            let kws: Vec<&Word> = cmd[i + 1..]
                .iter()
                .take_while(|w| !w.value.starts_with('-'))
                .collect();
            let get = |key: &[&str]| {
                kws.iter().find_map(|w| {
                    let (k, v) = w.value.split_once('=')?;
                    key.contains(&k).then(|| v.to_string())
                })
            };
            for w in &kws {
                if let Some((k, _)) = w.value.split_once('=') {
                    facts.az_values.push(AzValue {
                        file: path.to_string(),
                        key: k.to_string(),
                        word: (*w).clone(),
                    });
                }
            }
            let deps = get(&DEPENDS_KEYS)
                .map(|d| depends_on_as_read(&d))
                .unwrap_or_default();
            facts.stages.push(Stage {
                file: path.to_string(),
                line: kws
                    .iter()
                    .find(|w| w.value.starts_with("path="))
                    .map_or(w.line, |w| w.line),
                config: config.clone(),
                name: get(&["name"]).unwrap_or_default(),
                path: Some(get(&["path"]).unwrap_or_else(|| ".".into()))
                    .filter(|p| !p.contains('$')),
                depends_on: deps,
                target_namespace: None,
            });
        }
    }
}

/// The keys az reads as a kustomization's dependencies.
pub const DEPENDS_KEYS: [&str; 4] = ["depends_on", "dependsOn", "dependencies", "depends"];

/// The dependency names az makes of a `depends_on` value: one leading `[`
/// and one trailing `]` stripped, split on `,`, nothing else.
pub fn depends_on_as_read(v: &str) -> Vec<String> {
    let v = v.strip_prefix('[').unwrap_or(v);
    let v = v.strip_suffix(']').unwrap_or(v);
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
