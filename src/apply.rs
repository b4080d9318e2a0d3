//! Carry out a plan: every file written atomically (temporary file, then
//! rename), files first and state last, and all of it rolled back when any
//! write fails, so the folder is left wholly as it was.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::plan::{Action, Plan};
use crate::tree::DiskTree;

/// The file system operations a run needs, behind a trait so tests can
/// inject a failure at any step.
pub trait Fs {
    fn create_dir(&mut self, path: &Path) -> std::io::Result<()>;
    /// Write `bytes` to `path` atomically.
    fn write_atomic(&mut self, path: &Path, bytes: &[u8], executable: bool) -> std::io::Result<()>;
    fn remove_file(&mut self, path: &Path) -> std::io::Result<()>;
    fn remove_dir(&mut self, path: &Path) -> std::io::Result<()>;
}

/// The real file system.
pub struct RealFs;

impl Fs for RealFs {
    fn create_dir(&mut self, path: &Path) -> std::io::Result<()> {
        fs::create_dir(path)
    }

    fn write_atomic(&mut self, path: &Path, bytes: &[u8], executable: bool) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.flux-scaffold-{}.tmp", std::process::id()));
        let result = (|| {
            let perms = match fs::metadata(path) {
                Ok(m) => Some(m.permissions()),
                Err(_) => None,
            };
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            // Replacing a file puts the user's content at stake: make the new
            // bytes durable before the rename. A new file risks nothing.
            if perms.is_some() {
                f.sync_all()?;
            }
            set_mode(&tmp, perms, executable)?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir(&mut self, path: &Path) -> std::io::Result<()> {
        fs::remove_dir(path)
    }
}

#[cfg(unix)]
fn set_mode(
    tmp: &Path,
    existing: Option<fs::Permissions>,
    executable: bool,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match existing {
        Some(p) => p.mode(),
        None if executable => 0o755,
        None => 0o644,
    };
    fs::set_permissions(tmp, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: Option<fs::Permissions>, _: bool) -> std::io::Result<()> {
    Ok(())
}

/// One step done, with what undoes it.
enum Undo {
    Restore(PathBuf, Vec<u8>),
    Remove(PathBuf),
    RemoveDir(PathBuf),
}

/// Apply `plan` under `tree`'s root. On failure every completed step is
/// undone and the error names the path and the cause.
pub fn apply(plan: &Plan, tree: &DiskTree, fs: &mut dyn Fs) -> Result<()> {
    let mut done: Vec<Undo> = Vec::new();
    let steps = plan
        .files
        .iter()
        .filter(|f| f.action.writes())
        .map(|f| {
            (
                f.path.as_str(),
                f.old.as_deref(),
                if f.action == Action::Remove {
                    None
                } else {
                    f.new.as_deref()
                },
                f.executable,
            )
        })
        .chain(
            plan.state
                .iter()
                .map(|s| (s.path.as_str(), s.old.as_deref(), s.new.as_deref(), false)),
        );
    for (rel, old, new, executable) in steps {
        if let Err(e) = step(tree, fs, rel, old, new, executable, &mut done) {
            rollback(fs, done);
            return Err(e);
        }
    }
    Ok(())
}

fn step(
    tree: &DiskTree,
    fs: &mut dyn Fs,
    rel: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    executable: bool,
    done: &mut Vec<Undo>,
) -> Result<()> {
    let path = tree.resolve(rel)?;
    match new {
        Some(bytes) => {
            if let Some(parent) = path.parent() {
                make_dirs(parent, fs, done)?;
            }
            if path.is_dir() {
                return Err(Error {
                    kind: crate::error::ErrorKind::Io,
                    message: format!("cannot write {}: a folder stands there", path.display()),
                });
            }
            fs.write_atomic(&path, bytes, executable)
                .map_err(|e| Error::io(&path, "write", &e))?;
            done.push(match old {
                Some(o) => Undo::Restore(path, o.to_vec()),
                None => Undo::Remove(path),
            });
        }
        None => {
            fs.remove_file(&path)
                .map_err(|e| Error::io(&path, "remove", &e))?;
            if let Some(o) = old {
                done.push(Undo::Restore(path, o.to_vec()));
            }
        }
    }
    Ok(())
}

fn make_dirs(dir: &Path, fs: &mut dyn Fs, done: &mut Vec<Undo>) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dirs(parent, fs, done)?;
    }
    fs.create_dir(dir)
        .map_err(|e| Error::io(dir, "create folder", &e))?;
    done.push(Undo::RemoveDir(dir.to_path_buf()));
    Ok(())
}

fn rollback(fs: &mut dyn Fs, done: Vec<Undo>) {
    for undo in done.into_iter().rev() {
        let _ = match undo {
            Undo::Restore(p, bytes) => fs.write_atomic(&p, &bytes, false),
            Undo::Remove(p) => fs.remove_file(&p),
            Undo::RemoveDir(p) => fs.remove_dir(&p),
        };
    }
}
