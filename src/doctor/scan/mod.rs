//! What each file of the repository says about the deployment: the stages
//! the infrastructure code points Flux at, where Pod Identity is installed,
//! the exceptions declared, and the az `--kustomization` words as written.
//!
//! This file holds the facts and [`file`], which hands each file to the
//! reader of its language (one file each: YAML, Bicep, Terraform, shell).

mod bicep;
mod installs;
mod shell;
mod terraform;
mod yaml;

use super::text::Word;

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
    /// A Flux Kustomization's own `spec.patches`: it changes what the
    /// folder's build yields.
    pub flux_patches: bool,
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
    /// The value at `path` (mapping keys from the top).
    pub fn at(&self, path: &[&str]) -> Option<&serde_yaml::Value> {
        let mut v = &self.value;
        for p in path {
            v = v.get(*p)?;
        }
        Some(v)
    }

    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)?.as_str()
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
    /// HelmRelease chartRefs to OCIRepositories, until [`finish`].
    pub oci_refs: Vec<installs::OciRef>,
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
        "yaml" | "yml" => yaml::yaml(path, name, text, facts),
        "bicep" => bicep::bicep(path, text, facts),
        "tf" => terraform::terraform(path, text, facts),
        "sh" | "bash" | "zsh" => shell::shell(path, text, facts),
        _ => {}
    }
}

/// What needs every file read: the installs through a chartRef, and the
/// stages that are the upstream repository's, not this one's.
pub fn finish(facts: &mut Facts) {
    installs::chart_refs(facts);
    installs::foreign_stages(facts);
}

/// Each line of `text` (without its newline) with its byte offset.
fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        out.push((at, l.trim_end_matches('\n')));
        at += l.len();
    }
    out
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
