//! Carry out a plan: every file written atomically (a temporary file
//! created exclusively, then renamed), files first and state last, and all
//! of it rolled back when any write fails, so the folder is left wholly as
//! it was.
//!
//! A run first writes a journal (`.flux-scaffold/journal`: every step's
//! path, the bytes before and a hash of the bytes after) and removes it
//! last. A run killed in between leaves the journal behind; the next run
//! ([`recover`], under the lock) undoes every step whose file still holds
//! what the killed run wrote, so it starts again from a state it trusts:
//! no half-recorded bases, no conflict markers merged twice, no orphans.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Action, Plan};
use crate::state;
use crate::tree::{DiskTree, Tree};

/// Where temporary files are made: inside the state folder, so the
/// generated `.gitignore` keeps a killed run's leftovers out of commits
/// and the next run finds and removes them.
pub const STAGING: &str = ".flux-scaffold/tmp";
/// The journal of a run in progress.
pub const JOURNAL: &str = ".flux-scaffold/journal";
/// How temporary file names start (then random characters, then `.tmp`).
pub const TMP_PREFIX: &str = ".flux-scaffold-";

/// The file system operations a run needs, behind a trait so tests can
/// inject a failure at any step.
pub trait Fs {
    fn create_dir(&mut self, path: &Path) -> std::io::Result<()>;
    /// Write `bytes` to `path` atomically, through a temporary file made
    /// in the folder `staging`.
    fn write_atomic(
        &mut self,
        staging: &Path,
        path: &Path,
        bytes: &[u8],
        executable: bool,
    ) -> std::io::Result<()>;
    fn remove_file(&mut self, path: &Path) -> std::io::Result<()>;
    fn remove_dir(&mut self, path: &Path) -> std::io::Result<()>;
}

/// The real file system.
pub struct RealFs;

impl Fs for RealFs {
    fn create_dir(&mut self, path: &Path) -> std::io::Result<()> {
        fs::create_dir(path)
    }

    fn write_atomic(
        &mut self,
        staging: &Path,
        path: &Path,
        bytes: &[u8],
        executable: bool,
    ) -> std::io::Result<()> {
        // A link inside the target (checked by `DiskTree::resolve`) stays a
        // link: the file it names is replaced.
        let dest = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
            _ => path.to_path_buf(),
        };
        let existing = fs::metadata(&dest).ok().map(|m| m.permissions());
        let replacing = existing.is_some();
        let tmp = temp_with(staging, bytes, existing, executable, replacing)?;
        match tmp.persist(&dest) {
            Ok(_) => Ok(()),
            // The destination is on another file system than the state
            // folder: stage beside it instead.
            Err(e) if e.error.raw_os_error() == Some(libc::EXDEV) => {
                let dir = dest.parent().unwrap_or(Path::new("."));
                let existing = fs::metadata(&dest).ok().map(|m| m.permissions());
                let tmp = temp_with(dir, bytes, existing, executable, replacing)?;
                tmp.persist(&dest).map(|_| ()).map_err(|e| e.error)
            }
            Err(e) => Err(e.error),
        }
    }

    fn remove_file(&mut self, path: &Path) -> std::io::Result<()> {
        fs::remove_file(path)
    }

    fn remove_dir(&mut self, path: &Path) -> std::io::Result<()> {
        fs::remove_dir(path)
    }
}

/// A temporary file in `dir` holding `bytes`: created exclusively under a
/// random name (`O_EXCL`, so no planted file or link is ever opened), its
/// mode set on the open file. Removed again if dropped unpersisted.
pub(crate) fn temp_with(
    dir: &Path,
    bytes: &[u8],
    existing: Option<fs::Permissions>,
    executable: bool,
    sync: bool,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    set_mode(tmp.as_file(), existing, executable)?;
    tmp.write_all(bytes)?;
    // Replacing a file puts the user's content at stake: make the new
    // bytes durable before the rename. A new file risks nothing.
    if sync {
        tmp.as_file().sync_all()?;
    }
    Ok(tmp)
}

#[cfg(unix)]
fn set_mode(
    file: &fs::File,
    existing: Option<fs::Permissions>,
    executable: bool,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match existing {
        Some(p) => p.mode() & 0o7777,
        None if executable => 0o755,
        None => 0o644,
    };
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &fs::File, _: Option<fs::Permissions>, _: bool) -> std::io::Result<()> {
    Ok(())
}

/// One step done, with what undoes it.
enum Undo {
    /// Put the old bytes back, if the file still holds what was written.
    Restore(PathBuf, Vec<u8>, Option<Vec<u8>>),
    Remove(PathBuf),
    RemoveDir(PathBuf),
}

/// The journal of a run: enough to undo every step of a run that died.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    /// Folders the run creates, parents first.
    dirs: Vec<String>,
    steps: Vec<JournalStep>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalStep {
    path: String,
    /// The bytes before, hex-encoded; None when there was no file.
    old: Option<String>,
    /// SHA-256 of the bytes after; None when the step removes the file.
    new: Option<String>,
}

/// One step of a plan: a file to write (`new` Some) or remove.
struct Step<'a> {
    rel: &'a str,
    old: Option<&'a [u8]>,
    new: Option<&'a [u8]>,
    executable: bool,
}

/// Apply `plan` under `tree`'s root. On failure every completed step is
/// undone and the error names the path and the cause. A file that changed
/// since it was planned (an editor saving meanwhile) stops the run as a
/// conflict, with every step undone: nothing of the user's is lost.
pub fn apply(plan: &Plan, tree: &DiskTree, fs: &mut dyn Fs) -> Result<()> {
    let steps: Vec<Step<'_>> = plan
        .files
        .iter()
        .filter(|f| f.action.writes())
        .map(|f| Step {
            rel: f.path.as_str(),
            old: f.old.as_deref(),
            new: if f.action == Action::Remove {
                None
            } else {
                f.new.as_deref()
            },
            executable: f.executable,
        })
        .chain(plan.state.iter().map(|s| Step {
            rel: s.path.as_str(),
            old: s.old.as_deref(),
            new: s.new.as_deref(),
            executable: false,
        }))
        .collect();
    let mut done: Vec<Undo> = Vec::new();
    run(&steps, tree, fs, &mut done).map_err(|e| {
        let failed = rollback(tree, fs, done);
        with_rollback_failures(e, &failed)
    })
}

/// `e`, saying also which undo steps failed, if any: the layout is then
/// part old, part new until the next run, which repairs it from the kept
/// journal.
fn with_rollback_failures(mut e: Error, failed: &[String]) -> Error {
    if let Some(first) = failed.first() {
        let more = match failed.len() - 1 {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        e.message = format!(
            "{}; undoing the run failed too ({first}{more}): {JOURNAL} is kept and the next run puts the rest back",
            e.message
        );
    }
    e
}

fn run(steps: &[Step<'_>], tree: &DiskTree, fs: &mut dyn Fs, done: &mut Vec<Undo>) -> Result<()> {
    let staging = staging_dir(tree, fs, done)?;
    let journal = Journal {
        dirs: missing_dirs(tree, steps),
        steps: steps
            .iter()
            .map(|s| JournalStep {
                path: s.rel.to_string(),
                old: s.old.map(hex::encode),
                new: s.new.map(state::sha256),
            })
            .collect(),
    };
    let journal_path = tree.resolve(JOURNAL)?;
    let text = serde_json::to_vec(&journal).unwrap_or_default();
    fs.write_atomic(&staging, &journal_path, &text, false)
        .map_err(|e| Error::io(&journal_path, "write", &e))?;
    done.push(Undo::Remove(journal_path.clone()));
    for s in steps {
        step(tree, fs, &staging, s, done)?;
    }
    fs.remove_file(&journal_path)
        .map_err(|e| Error::io(&journal_path, "remove", &e))?;
    done.retain(|u| !matches!(u, Undo::Remove(p) if *p == journal_path));
    // The staging folder is left only when it held something before. Not
    // removing it is harmless (git ignores it, and it is where the next run
    // stages anyway), so a failure here must not fail a run whose writes
    // are all done.
    if done
        .iter()
        .any(|u| matches!(u, Undo::RemoveDir(p) if *p == staging))
    {
        std::fs::remove_dir(&staging).ok();
    }
    Ok(())
}

/// The staging folder, made if missing; refused if it is anything but a
/// folder of its own (a committed link there would lead writes elsewhere).
fn staging_dir(tree: &DiskTree, fs: &mut dyn Fs, done: &mut Vec<Undo>) -> Result<PathBuf> {
    let staging = tree.resolve(STAGING)?;
    make_dirs(&staging, fs, done)?;
    for dir in [tree.resolve(state::DIR)?, staging.clone()] {
        let real_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if !real_dir {
            return Err(Error::input(format!(
                "{} is not a folder (a symbolic link?); refusing to write through it",
                dir.display()
            )));
        }
    }
    Ok(staging)
}

/// The folders the steps will create, parents first.
fn missing_dirs(tree: &DiskTree, steps: &[Step<'_>]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for s in steps.iter().filter(|s| s.new.is_some()) {
        let mut dir = s.rel;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if !tree.root().join(parent).is_dir() {
                out.insert(parent.to_string());
            }
            dir = parent;
        }
    }
    let mut dirs: Vec<String> = out.into_iter().collect();
    dirs.sort_by_key(|d| d.matches('/').count());
    dirs
}

fn step(
    tree: &DiskTree,
    fs: &mut dyn Fs,
    staging: &Path,
    s: &Step<'_>,
    done: &mut Vec<Undo>,
) -> Result<()> {
    let path = tree.resolve(s.rel)?;
    if let Some(parent) = path.parent() {
        make_dirs(parent, fs, done)?;
    }
    if path.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("cannot write {}: a folder stands there", path.display()),
        ));
    }
    // Compare and swap: the file must still hold what the plan was made
    // from, or someone (an editor, another tool) changed it meanwhile.
    if tree.read(s.rel)?.as_deref() != s.old {
        return Err(Error::conflict(format!(
            "{} changed while flux-scaffold was writing; nothing was written (run it again)",
            path.display()
        )));
    }
    match s.new {
        Some(bytes) => {
            fs.write_atomic(staging, &path, bytes, s.executable)
                .map_err(|e| Error::io(&path, "write", &e))?;
            done.push(match s.old {
                Some(o) => Undo::Restore(path, o.to_vec(), Some(bytes.to_vec())),
                None => Undo::Remove(path),
            });
        }
        None => {
            fs.remove_file(&path)
                .map_err(|e| Error::io(&path, "remove", &e))?;
            if let Some(o) = s.old {
                done.push(Undo::Restore(path, o.to_vec(), None));
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

/// Undo the steps done, newest first. A file is put back only while it
/// still holds what this run wrote: a later edit by someone else stays.
/// Returns the steps that failed; if any did, the journal (and the folders
/// holding it) is kept, so the next run can finish the job (`recover`).
fn rollback(tree: &DiskTree, fs: &mut dyn Fs, done: Vec<Undo>) -> Vec<String> {
    let staging = tree.root().join(STAGING);
    let staging_ok = staging.is_dir();
    let journal = tree.root().join(JOURNAL);
    let mut failed = Vec::new();
    for undo in done.into_iter().rev() {
        let keep_journal = !failed.is_empty();
        let (what, path, result) = match undo {
            Undo::Restore(p, old, written) => {
                let now = crate::tree::read_regular(&p).ok();
                if now != written {
                    continue;
                }
                let dir = if staging_ok {
                    staging.clone()
                } else {
                    p.parent().unwrap_or(Path::new(".")).to_path_buf()
                };
                let result = fs.write_atomic(&dir, &p, &old, false);
                ("restore", p, result)
            }
            Undo::Remove(p) if keep_journal && p == journal => continue,
            Undo::Remove(p) => {
                let result = fs.remove_file(&p);
                ("remove", p, result)
            }
            Undo::RemoveDir(p) if keep_journal && journal.starts_with(&p) => continue,
            Undo::RemoveDir(p) => {
                let result = fs.remove_dir(&p);
                ("remove folder", p, result)
            }
        };
        if let Err(e) = result {
            failed.push(format!("cannot {what} {}: {e}", path.display()));
        }
    }
    failed
}

/// Whether a run was killed here: a journal or a temporary file is left.
pub fn interrupted(root: &Path) -> bool {
    let root_dir = root.join(state::DIR);
    fs::symlink_metadata(root_dir.join("journal")).is_ok()
        || fs::read_dir(root_dir.join("tmp")).is_ok_and(|mut d| d.next().is_some())
}

/// Repair what a killed run left (call under the lock): undo every step
/// of its journal whose file still holds what it wrote, remove the folders
/// it made if empty, its temporary files and the journal. Afterwards the
/// layout is as it was before that run, except for files changed since.
pub fn recover(tree: &DiskTree, fs: &mut dyn Fs) -> Result<()> {
    let journal_path = tree.resolve(JOURNAL)?;
    if let Some(bytes) = tree.read(JOURNAL)? {
        let bad = |why: String| {
            Error::input(format!(
                "{JOURNAL}: {why}; it is what a killed run left: remove it to go on"
            ))
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        for s in &journal.steps {
            check_state_path(&s.path).map_err(|why| bad(format!("entry '{}' {why}", s.path)))?;
        }
        for d in &journal.dirs {
            check_state_path(d).map_err(|why| bad(format!("folder '{d}' {why}")))?;
        }
        let staging = staging_dir(tree, fs, &mut Vec::new())?;
        for s in journal.steps.iter().rev() {
            let path = tree.resolve(&s.path)?;
            let now = tree.read(&s.path)?;
            let ours = match (&now, &s.new) {
                (Some(b), Some(h)) => state::sha256(b) == *h,
                (None, None) => true,
                _ => false,
            };
            if !ours {
                continue;
            }
            match &s.old {
                Some(hex_old) => {
                    let old = hex::decode(hex_old).map_err(|e| bad(e.to_string()))?;
                    if now.as_deref() != Some(old.as_slice()) {
                        fs.write_atomic(&staging, &path, &old, false)
                            .map_err(|e| Error::io(&path, "restore", &e))?;
                    }
                }
                None => {
                    if now.is_some() {
                        fs.remove_file(&path)
                            .map_err(|e| Error::io(&path, "remove", &e))?;
                    }
                }
            }
        }
        for d in journal.dirs.iter().rev() {
            let dir = tree.resolve(d)?;
            if std::fs::read_dir(&dir).is_ok_and(|mut e| e.next().is_none()) {
                fs.remove_dir(&dir)
                    .map_err(|e| Error::io(&dir, "remove folder", &e))?;
            }
        }
        fs.remove_file(&journal_path)
            .map_err(|e| Error::io(&journal_path, "remove", &e))?;
    }
    clean_staging(tree, fs)
}

/// Remove the temporary files a killed run left in the staging folder.
/// Only names this tool makes are touched; a link is removed, never followed.
fn clean_staging(tree: &DiskTree, fs: &mut dyn Fs) -> Result<()> {
    for e in tree.list(STAGING)? {
        if !e.is_dir && e.name.starts_with(TMP_PREFIX) && e.name.ends_with(".tmp") {
            let path = tree.resolve(&format!("{STAGING}/{}", e.name))?;
            fs.remove_file(&path)
                .map_err(|e| Error::io(&path, "remove", &e))?;
        }
    }
    Ok(())
}

/// A path a journal may name: an output path, or one inside the state
/// folder (never `.git`).
fn check_state_path(p: &str) -> std::result::Result<(), String> {
    match p.strip_prefix(".flux-scaffold/") {
        Some(rest) => crate::tree::check_output(rest),
        None => crate::tree::check_output(p),
    }
}
