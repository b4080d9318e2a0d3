//! Template packs: the manifest (`pack.yaml`) and where its files come from,
//! either embedded in the binary or a folder on disk (`--pack DIR`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::{Error, Result};
pub use crate::manifest::{
    AutoCandidate, AutoSpec, Check, FileSpec, Manifest, Ownership, PatchSpec, ProvidedBy, Question,
    QuestionType, StageSpec,
};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The pack `init` uses when none is named.
pub const DEFAULT_PACK: &str = "aks-flux-pod-identity";

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
    crate::pack_schema::read(text, origin)
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
