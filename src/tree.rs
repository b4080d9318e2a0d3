//! Read access to the target folder, behind a trait so that planning can be
//! tested on an in-memory tree. Paths are relative, with `/` separators.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
}

pub trait Tree {
    /// The bytes of a file, or None when nothing is there.
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>>;
    /// The entries of a folder, sorted; empty when it does not exist.
    fn list(&self, rel: &str) -> Result<Vec<Entry>>;
}

/// The target folder on disk.
pub struct DiskTree {
    root: PathBuf,
}

impl DiskTree {
    pub fn new(root: &Path) -> Self {
        DiskTree {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The full path of `rel`, refusing any symbolic link on the way that
    /// leads outside the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf> {
        let full = self.root.join(rel);
        let root_real = match self.root.canonicalize() {
            Ok(r) => r,
            Err(_) => return Ok(full),
        };
        let mut cur = self.root.clone();
        for part in Path::new(rel).components() {
            cur.push(part);
            match std::fs::symlink_metadata(&cur) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let real = cur.canonicalize().unwrap_or_default();
                    if !real.starts_with(&root_real) {
                        return Err(Error::input(format!(
                            "{} is a symbolic link that leads outside {}; refusing to follow it",
                            cur.display(),
                            self.root.display()
                        )));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(full)
    }
}

impl Tree for DiskTree {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let path = self.resolve(rel)?;
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
            Err(e) => Err(Error::io(&path, "read", &e)),
        }
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let path = self.resolve(rel)?;
        let rd = match std::fs::read_dir(&path) {
            Ok(rd) => rd,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => return Err(Error::io(&path, "read folder", &e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| Error::io(&path, "read folder", &e))?;
            let is_dir = entry.path().is_dir();
            out.push(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir,
            });
        }
        out.sort();
        Ok(out)
    }
}

/// An in-memory tree for tests: files by path.
#[derive(Debug, Clone, Default)]
pub struct MemTree {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree for MemTree {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.files.get(rel).cloned())
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut out: Vec<Entry> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| match rest.split_once('/') {
                Some((dir, _)) => Entry {
                    name: dir.to_string(),
                    is_dir: true,
                },
                None => Entry {
                    name: rest.to_string(),
                    is_dir: false,
                },
            })
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// A tree as it will be after a plan: the changes over a base tree.
pub struct Overlay<'a> {
    pub base: &'a dyn Tree,
    /// New content by path, or None for a file the plan removes.
    pub changes: BTreeMap<String, Option<Vec<u8>>>,
}

impl Overlay<'_> {
    /// Whether `dir` still holds a file after the changes (Git keeps no
    /// empty folder).
    fn holds_files(&self, dir: &str) -> Result<bool> {
        Ok(!self.list(dir)?.is_empty())
    }
}

impl Tree for Overlay<'_> {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match self.changes.get(rel) {
            Some(c) => Ok(c.clone()),
            None => self.base.read(rel),
        }
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut out: BTreeMap<String, bool> = BTreeMap::new();
        for e in self.base.list(rel)? {
            let path = format!("{prefix}{}", e.name);
            if e.is_dir {
                let touched = self
                    .changes
                    .keys()
                    .any(|k| k.starts_with(&format!("{path}/")));
                if !touched || self.holds_files(&path)? {
                    out.insert(e.name, true);
                }
            } else if !matches!(self.changes.get(&path), Some(None)) {
                out.insert(e.name, false);
            }
        }
        for (path, content) in &self.changes {
            if content.is_none() {
                continue;
            }
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((dir, _)) => out.insert(dir.to_string(), true),
                    None => out.insert(rest.to_string(), false),
                };
            }
        }
        Ok(out
            .into_iter()
            .map(|(name, is_dir)| Entry { name, is_dir })
            .collect())
    }
}
