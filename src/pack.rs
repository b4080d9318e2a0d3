//! Template packs: the manifest (`pack.yaml`) and where its files come from,
//! either embedded in the binary or a folder on disk (`--pack DIR`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The pack `init` uses when none is named.
pub const DEFAULT_PACK: &str = "aks-flux-pod-identity";

/// The manifest of a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
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
}

impl Question {
    pub fn is_list(&self) -> bool {
        self.list || self.kind == QuestionType::MultiChoice
    }
}

/// `auto` picks the first candidate whose folder keeps a new object in
/// `keep_namespace` (no `namespace:` override, component or transformer of
/// its kustomization would move it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AutoSpec {
    /// The namespace the objects must keep (may use answers).
    pub keep_namespace: String,
    /// In order of preference.
    pub candidates: Vec<AutoCandidate>,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PatchSpec {
    /// Entries to ensure in a kustomization's `resources` (may use answers).
    #[serde(default)]
    pub kustomize_resources: Vec<String>,
    /// Strategic-merge patch files to ensure in its `patches` (`- path:`);
    /// an entry may render to several, one per line (may use answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kustomize_patches: Vec<String>,
    /// Entries of the user's to take out of the kustomization when listed:
    /// what the answers retire (an entry may render to several, one per
    /// line). Flux stops applying them; the run says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kustomize_retire: Vec<String>,
    /// The namespace the entries must keep: a kustomization whose
    /// `namespace:` would move them elsewhere is refused (may use answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_namespace: Option<String>,
    /// Per entry, regular expressions over existing entries: an entry that
    /// matches one already provides what that entry would (the same CRDs
    /// from another URL, say), so it is not added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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

/// A loaded pack: its manifest and access to its files.
#[derive(Debug, Clone)]
pub struct Pack {
    pub manifest: Manifest,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Builtin(&'static Dir<'static>),
    Disk(PathBuf),
}

impl Pack {
    /// A pack embedded in the binary.
    pub fn builtin(name: &str) -> Result<Pack> {
        static LOADED: std::sync::Mutex<BTreeMap<String, Pack>> =
            std::sync::Mutex::new(BTreeMap::new());
        if let Some(p) = LOADED.lock().ok().and_then(|m| m.get(name).cloned()) {
            return Ok(p);
        }
        let pack = Pack::load_builtin(name)?;
        if let Ok(mut m) = LOADED.lock() {
            m.insert(name.to_string(), pack.clone());
        }
        Ok(pack)
    }

    fn load_builtin(name: &str) -> Result<Pack> {
        let dir = BUILTIN.get_dir(name).ok_or_else(|| {
            Error::input(format!(
                "unknown pack '{name}' (built-in packs: {})",
                builtin_names().join(", ")
            ))
        })?;
        let text = dir
            .get_file(format!("{name}/pack.yaml"))
            .and_then(|f| f.contents_utf8())
            .ok_or_else(|| Error::input(format!("built-in pack '{name}' has no pack.yaml")))?;
        let manifest = parse_manifest(text, &format!("{name}/pack.yaml"))?;
        Pack::new(manifest, Source::Builtin(dir))
    }

    /// A pack in a folder on disk.
    pub fn from_dir(dir: &Path) -> Result<Pack> {
        let root = dir
            .canonicalize()
            .map_err(|e| Error::input(format!("pack folder {}: {e}", dir.display())))?;
        let path = root.join("pack.yaml");
        // Confined like every other pack file: a pack.yaml linked out of
        // the pack is refused before a byte of it is read.
        let real = path
            .canonicalize()
            .map_err(|e| Error::input(format!("cannot read {}: {e}", path.display())))?;
        if !real.starts_with(&root) {
            return Err(Error::input(format!(
                "{} links outside the pack; refusing to read it",
                path.display()
            )));
        }
        let bytes = crate::tree::read_regular(&real)
            .map_err(|e| Error::input(format!("cannot read {}: {e}", path.display())))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::input(format!("{}: is not UTF-8", path.display())))?;
        let manifest = parse_manifest(&text, &path.display().to_string())?;
        Pack::new(manifest, Source::Disk(root))
    }

    /// The pack named by `--pack`: a folder if one exists there, else a built-in name.
    pub fn load(spec: &str) -> Result<Pack> {
        let path = Path::new(spec);
        if spec.contains('/') || path.join("pack.yaml").is_file() {
            Pack::from_dir(path)
        } else {
            Pack::builtin(spec)
        }
    }

    fn new(manifest: Manifest, source: Source) -> Result<Pack> {
        let pack = Pack { manifest, source };
        pack.check_manifest()?;
        Ok(pack)
    }

    /// Identifies the pack's templates within one process, for caches.
    pub fn cache_key(&self) -> String {
        match &self.source {
            Source::Builtin(_) => {
                format!("builtin:{}:{}", self.manifest.name, self.manifest.version)
            }
            Source::Disk(root) => format!("disk:{}", root.display()),
        }
    }

    pub fn is_builtin(&self) -> bool {
        matches!(self.source, Source::Builtin(_))
    }

    /// Read a file of the pack, refusing any path that leaves the pack.
    pub fn read(&self, rel: &str) -> Result<Vec<u8>> {
        let rel_path = safe_relative(rel).ok_or_else(|| {
            Error::input(format!(
                "pack '{}': file '{rel}' is outside the pack",
                self.manifest.name
            ))
        })?;
        match &self.source {
            Source::Builtin(dir) => {
                let full = format!("{}/{}", dir.path().display(), rel_path.display());
                dir.get_file(&full)
                    .map(|f| f.contents().to_vec())
                    .ok_or_else(|| self.missing(rel))
            }
            Source::Disk(root) => {
                let full = root.join(&rel_path);
                let real = full.canonicalize().map_err(|_| self.missing(rel))?;
                if !real.starts_with(root) {
                    return Err(Error::input(format!(
                        "pack '{}': file '{rel}' links outside the pack",
                        self.manifest.name
                    )));
                }
                crate::tree::read_regular(&real).map_err(|e| crate::tree::read_error(&real, &e))
            }
        }
    }

    fn missing(&self, rel: &str) -> Error {
        Error::input(format!("pack '{}' has no file '{rel}'", self.manifest.name))
    }

    /// Every file of the pack, as (relative path, bytes), sorted.
    pub fn all_files(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        match &self.source {
            Source::Builtin(dir) => collect_builtin(dir, dir.path(), &mut out),
            Source::Disk(root) => collect_disk(root, root, &mut out)?,
        }
        out.sort();
        Ok(out)
    }

    fn check_manifest(&self) -> Result<()> {
        let m = &self.manifest;
        let name = &m.name;
        let mut seen = BTreeSet::new();
        for q in &m.questions {
            if !is_identifier(&q.key) {
                return Err(Error::input(format!(
                    "pack '{name}': question key '{}' must be letters, digits and _",
                    q.key
                )));
            }
            if !seen.insert(q.key.as_str()) {
                return Err(Error::input(format!(
                    "pack '{name}': question '{}' is declared twice",
                    q.key
                )));
            }
            let needs_choices = matches!(q.kind, QuestionType::Choice | QuestionType::MultiChoice);
            if needs_choices == q.choices.is_empty() {
                return Err(Error::input(format!(
                    "pack '{name}': question '{}': choices go with choice and multi-choice questions only",
                    q.key
                )));
            }
        }
        for f in &m.files {
            let sources = usize::from(f.template.is_some()) + usize::from(f.copy.is_some());
            let ok = match f.ownership {
                // A patch file's template, if any, is what a new file starts from.
                Ownership::Patch => f.copy.is_none() && f.patch.is_some(),
                _ => sources == 1 && f.patch.is_none(),
            };
            if !ok {
                return Err(Error::input(format!(
                    "pack '{name}': file '{}' needs exactly one of template or copy (or, for ownership patch, a patch and at most a template)",
                    f.path
                )));
            }
            if let Some(each) = &f.each
                && !m.questions.iter().any(|q| &q.key == each && q.is_list())
            {
                return Err(Error::input(format!(
                    "pack '{name}': file '{}': each '{each}' is not a list question",
                    f.path
                )));
            }
        }
        let is_list = |key: &str| m.questions.iter().any(|q| q.key == key && q.is_list());
        for st in &m.stages {
            if let Some(each) = &st.each
                && !is_list(each)
            {
                return Err(Error::input(format!(
                    "pack '{name}': stage '{}': each '{each}' is not a list question",
                    st.path
                )));
            }
        }
        for q in &m.questions {
            if let Some(k) = &q.keyed_by
                && (!q.is_list() || !is_list(k))
            {
                return Err(Error::input(format!(
                    "pack '{name}': question '{}': keyed_by '{k}' needs both to be list questions",
                    q.key
                )));
            }
        }
        Ok(())
    }
}

fn collect_builtin(dir: &Dir<'static>, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for f in dir.files() {
        if let Ok(rel) = f.path().strip_prefix(root) {
            out.push((
                rel.to_string_lossy().replace('\\', "/"),
                f.contents().to_vec(),
            ));
        }
    }
    for d in dir.dirs() {
        collect_builtin(d, root, out);
    }
}

fn collect_disk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "read folder", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "read folder", &e))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| Error::io(&path, "stat", &e))?;
        if meta.is_dir() {
            collect_disk(&path, root, out)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let bytes =
                crate::tree::read_regular(&path).map_err(|e| crate::tree::read_error(&path, &e))?;
            out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
        }
    }
    Ok(())
}

fn parse_manifest(text: &str, origin: &str) -> Result<Manifest> {
    serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))
}

/// Names of the built-in packs, sorted.
pub fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTIN
        .dirs()
        .filter(|d| d.get_file(d.path().join("pack.yaml")).is_some())
        .map(|d| d.path().display().to_string())
        .collect();
    names.sort();
    names
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `rel` as a relative path with no `..`, root or prefix, or None.
pub fn safe_relative(rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pack_loads() {
        let pack = Pack::builtin(DEFAULT_PACK).unwrap();
        assert_eq!(pack.manifest.name, DEFAULT_PACK);
        assert!(builtin_names().contains(&DEFAULT_PACK.to_string()));
    }

    #[test]
    fn paths_leaving_the_pack_are_refused() {
        assert!(safe_relative("../x").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative("a/../../b").is_none());
        assert_eq!(safe_relative("./a/b").unwrap(), PathBuf::from("a/b"));
    }
}
