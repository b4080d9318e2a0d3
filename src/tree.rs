//! Read access to the target folder, behind a trait so that planning can be
//! tested on an in-memory tree. Paths are relative, with `/` separators.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The folder the tool keeps its record in (`state::DIR`): walks skip it
/// like `.git`. Named here, below the state module, which reads through a
/// tree.
pub const STATE_DIR: &str = ".flux-scaffold";

/// The longest file or folder name the file systems the tool writes to accept.
pub const NAME_MAX: usize = 255;

/// The one containment rule for a path the tool touches, whatever its
/// source (pack, answers, recorded state, discovery): relative, `/`
/// separators only (no `\\`), no `..` or `.` parts, no empty part, no
/// control character, no part over [`NAME_MAX`] bytes. Returns why not.
pub fn check_relative(rel: &str) -> std::result::Result<(), String> {
    if rel.is_empty() {
        return Err("is empty".into());
    }
    if rel.starts_with('/') {
        return Err("is absolute".into());
    }
    if rel.contains('\\') {
        return Err("holds a backslash".into());
    }
    if rel.chars().any(char::is_control) {
        return Err("holds a control character".into());
    }
    for part in rel.split('/') {
        match part {
            "" => return Err("holds an empty part (`//` or a trailing `/`)".into()),
            "." | ".." => return Err(format!("holds `{part}`")),
            p if p.len() > NAME_MAX => {
                return Err(format!("holds a name longer than {NAME_MAX} bytes"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// [`check_relative`], and no part is a reserved name ([`is_reserved`]):
/// the rule for every path the tool writes as output.
pub fn check_output(rel: &str) -> std::result::Result<(), String> {
    check_relative(rel)?;
    if rel.split('/').any(is_reserved) {
        return Err("enters .git or .flux-scaffold".into());
    }
    Ok(())
}

/// Read a regular file without ever blocking on a special one: opened
/// non-blocking, checked with `fstat` on the open file, so a FIFO, device or
/// socket is refused (kind `InvalidInput`) before a byte is read.
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let mut f = opts.open(path)?;
    let meta = f.metadata()?;
    if meta.is_dir() {
        return Err(std::io::ErrorKind::IsADirectory.into());
    }
    if !meta.is_file() {
        return Err(not_regular());
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.read_to_end(&mut out)?;
    Ok(out)
}

fn not_regular() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file (a FIFO, device or socket); refusing to read it",
    )
}

/// An error from [`read_regular`] as the crate's error: a special file is
/// bad input (exit 2), anything else an I/O failure (exit 3).
pub fn read_error(path: &Path, e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        Error::input(format!("{}: {e}", path.display()))
    } else {
        Error::io(path, "read", e)
    }
}

/// Folder names no answer and no pack may write into: Git's and the
/// tool's own state, in any case (case-insensitive file systems).
pub fn is_reserved(part: &str) -> bool {
    part.eq_ignore_ascii_case(".git") || part.eq_ignore_ascii_case(STATE_DIR)
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    /// A folder, or a symbolic link to one.
    pub is_dir: bool,
    /// A symbolic link (Flux's source-controller leaves these out of the
    /// artifact it serves).
    pub symlink: bool,
}

pub trait Tree {
    /// The bytes of a file, or None when no file is there (nothing, or a
    /// folder).
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

    /// The full path of `rel` (`""` is the root itself), which must pass
    /// [`check_relative`], refusing any symbolic link on the way that leads
    /// outside the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf> {
        if rel.is_empty() {
            return Ok(self.root.clone());
        }
        check_relative(rel)
            .map_err(|why| Error::input(format!("path '{rel}' {why}: refusing to touch it")))?;
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

/// A path looked up in the target (a kustomization entry joined to its
/// folder, say) in the form the containment rule takes: `.` and empty parts
/// dropped, `..` applied. None when it leads above the root or breaks the
/// rule otherwise (a URL, a backslash, a name too long): no file of the
/// target is there, and nothing outside it is ever read.
fn lookup(rel: &str) -> Option<String> {
    let norm = normalize(rel)?;
    (norm.is_empty() || check_relative(&norm).is_ok()).then_some(norm)
}

/// `rel` with `.` and empty parts dropped and `..` applied; None when it is
/// absolute or leads above the root.
pub fn normalize(rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

impl Tree for DiskTree {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        let Some(rel) = lookup(rel) else {
            return Ok(None);
        };
        let path = self.resolve(&rel)?;
        match read_regular(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
            // A folder is not a file: nothing is there to read (a write
            // there is refused by apply, naming the folder).
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(read_error(&path, &e)),
        }
    }

    fn list(&self, rel: &str) -> Result<Vec<Entry>> {
        let Some(rel) = lookup(rel) else {
            return Ok(Vec::new());
        };
        let path = self.resolve(&rel)?;
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
            let symlink = entry.file_type().is_ok_and(|t| t.is_symlink());
            out.push(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir,
                symlink,
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
                    symlink: false,
                },
                None => Entry {
                    name: rest.to_string(),
                    is_dir: false,
                    symlink: false,
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
        let mut out: BTreeMap<String, (bool, bool)> = BTreeMap::new();
        for e in self.base.list(rel)? {
            let path = format!("{prefix}{}", e.name);
            if e.is_dir {
                let touched = self
                    .changes
                    .keys()
                    .any(|k| k.starts_with(&format!("{path}/")));
                if !touched || self.holds_files(&path)? {
                    out.insert(e.name, (true, e.symlink));
                }
            } else if !matches!(self.changes.get(&path), Some(None)) {
                out.insert(e.name, (false, e.symlink));
            }
        }
        for (path, content) in &self.changes {
            if content.is_none() {
                continue;
            }
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((dir, _)) => out.insert(dir.to_string(), (true, false)),
                    None => out.insert(rest.to_string(), (false, false)),
                };
            }
        }
        Ok(out
            .into_iter()
            .map(|(name, (is_dir, symlink))| Entry {
                name,
                is_dir,
                symlink,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_never_leave_the_root() {
        assert_eq!(lookup("a/./b//c").as_deref(), Some("a/b/c"));
        assert_eq!(lookup("a/../b").as_deref(), Some("b"));
        assert_eq!(lookup("a/../../x"), None);
        assert_eq!(lookup("/etc/hostname"), None);
        assert_eq!(lookup("a\\..\\x"), None);
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("outside.txt"), "secret").unwrap();
        let root = tmp.path().join("repo");
        std::fs::create_dir_all(root.join("infra")).unwrap();
        let tree = DiskTree::new(&root);
        // A kustomization entry joined to its folder, as the planner does.
        assert_eq!(tree.read("infra/../../outside.txt").unwrap(), None);
        assert_eq!(tree.read("infra/https://example.com/x.yaml").unwrap(), None);
        assert!(tree.list("infra/../..").unwrap().is_empty());
        assert!(
            tree.resolve("infra/../../outside.txt").is_err(),
            "writes refuse it"
        );
    }
}
