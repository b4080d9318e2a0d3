//! The record kept in `.flux-scaffold/` beside the generated files: which
//! pack and answers produced them, and what was last written to each
//! managed file (the base for three-way merges).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::pack::Ownership;
use crate::tree::Tree;
use crate::values::{Answers, Value};

pub const DIR: &str = crate::tree::STATE_DIR;
pub const ANSWERS: &str = ".flux-scaffold/answers.yaml";
pub const FILES: &str = ".flux-scaffold/files.yaml";
pub const BASE: &str = ".flux-scaffold/base";
pub const GITIGNORE: &str = ".flux-scaffold/.gitignore";
/// Keeps a run's lock, journal and temporary files out of commits (a
/// killed run can leave the last two until the next run removes them).
pub const GITIGNORE_TEXT: &str = "# Written by flux-scaffold: commit this folder, but not a run's lock,\n# journal or temporary files.\nlock\njournal\ntmp/\n.flux-scaffold-*.tmp\n";

/// `answers.yaml`: what produced the layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    pub tool_version: String,
    pub pack: PackRef,
    /// Answers the user chose; kept across upgrades.
    #[serde(default)]
    pub answers: BTreeMap<String, Value>,
    /// Answers left at the pack's defaults; they follow new defaults.
    #[serde(default)]
    pub defaults: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackRef {
    pub name: String,
    pub version: String,
    /// The folder of a pack loaded with `--pack`, relative to the layout
    /// root where possible; absent for built-in packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `files.yaml`: every file the tool wrote or patched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesFile {
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
    /// The folders the generated configuration pointed Flux at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<Stage>,
}

/// A folder the generated configuration points Flux at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// What the stage is for (`infra`, `apps/staging`): a stage keeps its
    /// name when its folder moves.
    pub name: String,
    pub path: String,
    /// One of a list answer's items (an environment's): it goes away with
    /// its item.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_item: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    pub ownership: Ownership,
    /// SHA-256 of the content as last written (managed and once files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Entries this tool added to a patched kustomization; it removes each
    /// again when it stops producing the file the entry points at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
}

/// The whole recorded state of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub answers: AnswersFile,
    pub files: FilesFile,
    /// Content as last written, by path, for managed files.
    pub base: BTreeMap<String, Vec<u8>>,
}

impl AnswersFile {
    pub fn new(pack: PackRef, answers: &Answers) -> Self {
        let mut given = BTreeMap::new();
        let mut defaults = BTreeMap::new();
        for (k, v) in &answers.values {
            if answers.defaulted.contains(k) {
                defaults.insert(k.clone(), v.clone());
            } else {
                given.insert(k.clone(), v.clone());
            }
        }
        AnswersFile {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            pack,
            answers: given,
            defaults,
        }
    }

    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!(
            "# Written by flux-scaffold: the answers this layout was generated from.\n\
             # Change one with `flux-scaffold regen --set key=value`.\n{body}"
        )
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))
    }
}

impl FilesFile {
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!("# Written by flux-scaffold: what it last wrote, for regen. Do not edit.\n{body}")
    }

    /// Parse `files.yaml`. It is committed, so a pull request can change
    /// it: every entry must pass the containment rule for output paths, or
    /// the whole file is refused before anything is read or removed.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let files: FilesFile =
            serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))?;
        for path in files
            .files
            .keys()
            .chain(files.stages.iter().map(|s| &s.path))
        {
            crate::tree::check_output(path).map_err(|why| {
                Error::input(format!(
                    "{origin}: entry '{}' {why}; refusing to touch it (was the file edited by hand?)",
                    path.escape_debug()
                ))
            })?;
        }
        Ok(files)
    }
}

/// The path of a file's recorded base. The `.base` suffix keeps the copies
/// out of reach of kustomize and of Flux's manifest discovery; a name too
/// long to take the suffix is replaced by its hash.
pub fn base_path(path: &str) -> String {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), path),
    };
    if name.len() + ".base".len() > crate::tree::NAME_MAX {
        format!("{BASE}/{dir}{}.base", sha256(name.as_bytes()))
    } else {
        format!("{BASE}/{path}.base")
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether version `a` is newer than `b`, comparing the first three dotted
/// numbers of each (a leading `v` allowed) as numbers of any size. A
/// version that is not one counts as newer: state from an unknown writer
/// is not trusted.
pub fn newer_than(a: &str, b: &str) -> bool {
    /// The numbers as (length without leading zeros, digits), which order
    /// like the numbers themselves, however long.
    fn parse(s: &str) -> Option<Vec<(usize, String)>> {
        let core = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let core = core.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut out: Vec<(usize, String)> = parts
            .iter()
            .map(|p| {
                (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| {
                    let digits = p.trim_start_matches('0').to_string();
                    (digits.len(), digits)
                })
            })
            .collect::<Option<_>>()?;
        out.resize(3, (0, String::new()));
        Some(out)
    }
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a > b,
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// The recorded state of the layout at `tree`, if any.
pub fn load(tree: &dyn Tree) -> Result<Option<State>> {
    let Some(bytes) = tree.read(ANSWERS)? else {
        return Ok(None);
    };
    let text =
        String::from_utf8(bytes).map_err(|_| Error::input(format!("{}: is not UTF-8", ANSWERS)))?;
    let answers = AnswersFile::parse(&text, ANSWERS)?;
    let tool = env!("CARGO_PKG_VERSION");
    if newer_than(&answers.tool_version, tool) {
        return Err(Error::input(format!(
            "{} was written by flux-scaffold {}, newer than this {tool}: upgrade flux-scaffold",
            ANSWERS, answers.tool_version
        )));
    }
    let files = match tree.read(FILES)? {
        Some(b) => FilesFile::parse(&String::from_utf8_lossy(&b), FILES)?,
        None => FilesFile::default(),
    };
    let mut base = BTreeMap::new();
    for (path, rec) in &files.files {
        // A base that no longer matches its recorded hash is not trusted:
        // without it, an edited file is merged with nothing, never overwritten.
        if rec.ownership == Ownership::Managed
            && let Some(b) = tree.read(&base_path(path))?
            && rec.sha256.as_deref().is_none_or(|h| h == sha256(&b))
        {
            base.insert(path.clone(), b);
        }
    }
    Ok(Some(State {
        answers,
        files,
        base,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(newer_than("0.10.0", "0.9.1"));
        assert!(!newer_than("0.1.0", "0.1.0"));
        assert!(newer_than("v2.0.0", "0.1.0"));
        assert!(newer_than("99999999999999999999999.0.0", "0.1.0"));
        assert!(newer_than("0.1.10", "0.1.9"));
        assert!(!newer_than("0.1", "0.1.0"));
        assert!(newer_than("not-a-version", "0.1.0"));
        assert!(!newer_than("0.0.9-rc.1", "0.1.0"));
    }

    #[test]
    fn tampered_entries_are_refused() {
        for bad in [
            "/etc/hostname",
            "../../etc/hostname",
            "a/../../x",
            "..\\x",
            ".GIT/hooks/x",
        ] {
            let text = format!("files:\n  '{bad}':\n    ownership: managed\n");
            let err = FilesFile::parse(&text, FILES).unwrap_err();
            assert!(err.message.starts_with(FILES), "{err}");
        }
    }

    #[test]
    fn long_names_get_a_base_within_the_limit() {
        let name = "a".repeat(255);
        let p = base_path(&format!("d/{name}"));
        assert!(
            p.rsplit('/').next().unwrap().len() <= crate::tree::NAME_MAX,
            "{p}"
        );
        assert_eq!(base_path("d/x.yaml"), ".flux-scaffold/base/d/x.yaml.base");
    }

    #[test]
    fn answers_round_trip() {
        let mut a = Answers::default();
        a.values.insert("x".into(), Value::Str("y".into()));
        a.values.insert("l".into(), Value::List(vec!["a".into()]));
        a.defaulted.insert("l".into());
        let f = AnswersFile::new(
            PackRef {
                name: "p".into(),
                version: "1".into(),
                path: None,
            },
            &a,
        );
        let back = AnswersFile::parse(&f.to_yaml(), "t").unwrap();
        assert_eq!(back, f);
    }
}
