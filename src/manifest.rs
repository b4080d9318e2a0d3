//! The types of `pack.yaml`, as every schema reads into them (see
//! `pack_schema` for what differs between schemas, `pack` for loading).

use serde::{Deserialize, Serialize};

/// The manifest of a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The version of the pack format (absent: 1); see `pack_schema`.
    #[serde(default = "schema_1")]
    pub schema: u32,
    /// The flux-scaffold versions the pack works with, such as `>=0.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Conditions over the answers that make a combination invalid.
    #[serde(default)]
    pub checks: Vec<Check>,
    pub files: Vec<FileSpec>,
    /// The folders the generated configuration points Flux at: each must
    /// exist and build after a run, and no run may drop what they applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSpec>,
    /// What the user does after a writing `init` (and how to recover a
    /// stuck cluster): shell commands built from the answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<StepSpec>,
}

/// One step the report shows after a writing `init`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// `next` (the default) or `recover`.
    #[serde(default = "next_section")]
    pub section: String,
    /// What the step is for (may use answers; not quoted).
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Shell commands, one a line, rendered as a shell script (every value
    /// quoted); blank lines and `#` comments are dropped.
    pub run: String,
}

fn next_section() -> String {
    "next".into()
}

/// A folder Flux applies, declared by the pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// What the stage is for, kept when its folder moves (default: the
    /// path); may use answers and `item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The folder, relative to the target; may use answers.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// One stage per value of this list answer, as `item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
}

/// The type of a question's answer, which decides its validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuestionType {
    String,
    Bool,
    Choice,
    MultiChoice,
    Int,
    Duration,
    K8sName,
    LabelKey,
    #[serde(alias = "label")]
    LabelValue,
    Url,
    Path,
    GitRef,
    /// An Azure resource group name.
    ResourceGroup,
}

impl QuestionType {
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::String => "string",
            QuestionType::Bool => "bool",
            QuestionType::Choice => "choice",
            QuestionType::MultiChoice => "multi-choice",
            QuestionType::Int => "int",
            QuestionType::Duration => "duration",
            QuestionType::K8sName => "k8s-name",
            QuestionType::LabelKey => "label-key",
            QuestionType::LabelValue => "label-value",
            QuestionType::Url => "url",
            QuestionType::Path => "path",
            QuestionType::GitRef => "git-ref",
            QuestionType::ResourceGroup => "resource-group",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub key: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// Allowed values of a choice or multi-choice question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// A list of values of `type` (multi-choice questions are always lists).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub list: bool,
    /// The default; strings may use earlier answers as `{{ key }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_yaml::Value>,
    /// Ask only when this expression over earlier answers is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// A regular expression every value must match in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// For a choice with an `auto` value: how `auto` is resolved against the
    /// repository on every run (the record keeps `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoSpec>,
    /// For a list: its values belong to the items of this other list answer
    /// by position (one per environment, say). When that list changes, each
    /// item keeps its recorded value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyed_by: Option<String>,
    /// Asked in the short interactive session (the others take their
    /// defaults there).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
}

impl Question {
    pub fn is_list(&self) -> bool {
        self.list || self.kind == QuestionType::MultiChoice
    }
}

/// How `auto` is resolved. With `keep_namespace` and `candidates`: the
/// first candidate whose folder keeps a new object in that namespace (no
/// `namespace:` override, component or transformer of its kustomization
/// would move it). With `pod_identity_installed` and `otherwise`: the
/// first when the repository already installs or uses Pod Identity
/// outside the tool's own files (doctor's reading), else the second (where
/// `fresh_folder` applies nothing of the user's, or the second was picked
/// before).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoSpec {
    /// The namespace the objects must keep (may use answers).
    #[serde(
        default,
        alias = "keep-namespace",
        skip_serializing_if = "Option::is_none"
    )]
    pub keep_namespace: Option<String>,
    /// In order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<AutoCandidate>,
    /// The choice when the repository already installs Pod Identity.
    #[serde(
        default,
        alias = "pod-identity-installed",
        skip_serializing_if = "Option::is_none"
    )]
    pub pod_identity_installed: Option<String>,
    /// The choice when it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<String>,
    /// With `otherwise`: a folder (may use answers) that must apply nothing
    /// but the tool's own files for `otherwise` to be picked the first
    /// time; once picked and written, it stays while nothing else installs
    /// Pod Identity.
    #[serde(
        default,
        alias = "fresh-folder",
        skip_serializing_if = "Option::is_none"
    )]
    pub fresh_folder: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoCandidate {
    /// The choice this candidate stands for.
    pub choice: String,
    /// Its folder (may use answers).
    pub folder: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// An expression over the answers; when true, `message` is the error.
    pub fail_when: String,
    pub message: String,
}

/// Who owns an output file after it is first written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Ownership {
    /// Regenerated and merged with the user's edits.
    #[default]
    Managed,
    /// Created if missing, then the user's.
    Once,
    /// A user's file the tool only adds entries to.
    Patch,
}

impl Ownership {
    pub fn name(self) -> &'static str {
        match self {
            Ownership::Managed => "managed",
            Ownership::Once => "once",
            Ownership::Patch => "patch",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// A tera template inside the pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// A file inside the pack copied byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<String>,
    /// The output path, relative to the target folder; may use answers.
    /// In schema 2 it defaults to the template's name without `.tera`
    /// (or the copied file's name).
    #[serde(default)]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Render once per value of this list answer, as `item`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
    #[serde(default)]
    pub ownership: Ownership,
    /// For `patch` files: the entries to ensure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<PatchSpec>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub executable: bool,
}

// The kebab-case aliases are the names of schema 1; `pack_schema` refuses
// them in schema 2.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchSpec {
    /// Entries to ensure in a kustomization's `resources` (may use answers).
    #[serde(default, alias = "kustomize-resources")]
    pub kustomize_resources: Vec<String>,
    /// Strategic-merge patch files to ensure in its `patches` (`- path:`);
    /// an entry may render to several, one per line (may use answers).
    #[serde(
        default,
        alias = "kustomize-patches",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kustomize_patches: Vec<String>,
    /// Entries of the user's to take out of the kustomization when listed:
    /// what the answers retire (an entry may render to several, one per
    /// line). Flux stops applying them; the run says so. Built-in packs only.
    #[serde(
        default,
        alias = "kustomize-retire",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kustomize_retire: Vec<String>,
    /// The namespace the entries must keep: a kustomization whose
    /// `namespace:` would move them elsewhere is refused (may use answers).
    #[serde(
        default,
        alias = "keep-namespace",
        skip_serializing_if = "Option::is_none"
    )]
    pub keep_namespace: Option<String>,
    /// Per entry, regular expressions over existing entries: an entry that
    /// matches one already provides what that entry would (the same CRDs
    /// from another URL, say), so it is not added.
    #[serde(default, alias = "provided-by", skip_serializing_if = "Vec::is_empty")]
    pub provided_by: Vec<ProvidedBy>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidedBy {
    /// The pack's entry (may use answers).
    pub entry: String,
    /// Patterns of existing entries that provide it.
    pub patterns: Vec<String>,
}

/// The schema of a manifest without a `schema` key.
fn schema_1() -> u32 {
    1
}
