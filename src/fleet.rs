//! Every layout under a root at once (`regen --all`): discovery of each
//! `.flux-scaffold/` folder, and the runs spread over the machine's cores.
//! One result per layout, in path order.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::apply::RealFs;
use crate::error::{Error, Result};
use crate::session::{self, Outcome, Request};
use crate::state;

/// Every layout root below `root` (a folder holding `.flux-scaffold/answers.yaml`),
/// sorted, and the folders that could not be read, each with its error.
/// Folders are searched as Git would list them: `.git` is never entered,
/// and what the `.gitignore` files on the way ignore (with Git's own
/// semantics: `**`, `!` negations, nested files, via the `ignore` crate) is
/// skipped. Symbolic links are not followed: a layout is where it is.
pub fn discover(root: &Path) -> Result<Discovery> {
    if !root.is_dir() {
        return Err(Error::input(format!("{} is not a folder", root.display())));
    }
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .git_ignore(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != state::DIR)
        .build();
    let mut found = Vec::new();
    let mut unreadable = Vec::new();
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_dir())
                    && e.path().join(state::ANSWERS).is_file()
                {
                    found.push(e.path().to_path_buf());
                }
            }
            Err(e) => {
                let (path, message) = walk_error(&e);
                let path = path.unwrap_or_else(|| root.to_path_buf());
                let err = Error::new(
                    crate::error::ErrorKind::Io,
                    format!("cannot read folder {}: {message}", path.display()),
                );
                unreadable.push(LayoutResult {
                    dir: path,
                    result: Err(err),
                });
            }
        }
    }
    found.sort();
    Ok(Discovery {
        layouts: found,
        unreadable,
    })
}

/// What [`discover`] found: the layouts, and the folders it could not read
/// (each an error result of its own).
pub struct Discovery {
    pub layouts: Vec<PathBuf>,
    pub unreadable: Vec<LayoutResult>,
}

/// The folder an error of the walk is about, and its cause.
fn walk_error(e: &ignore::Error) -> (Option<PathBuf>, String) {
    match e {
        ignore::Error::WithPath { path, err } => (Some(path.clone()), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        other => (None, other.to_string()),
    }
}

/// The outcome of one layout of the fleet.
pub struct LayoutResult {
    pub dir: PathBuf,
    pub result: Result<Outcome>,
}

/// Run `regen` (as `req` says: check, dry run or write) on every layout
/// below `req.dir`, on up to `jobs` threads.
pub fn regen_all(req: &Request, jobs: usize) -> Result<Vec<LayoutResult>> {
    let Discovery {
        layouts: dirs,
        unreadable,
    } = discover(&req.dir)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Outcome>>>> =
        Mutex::new((0..dirs.len()).map(|_| None).collect());
    let jobs = jobs.clamp(1, dirs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut fs = RealFs;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(dir) = dirs.get(i) else { break };
                    let one = Request {
                        dir: dir.clone(),
                        ..req.clone()
                    };
                    let r = session::regen(&one, &mut fs);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut all: Vec<LayoutResult> = dirs
        .into_iter()
        .zip(results)
        .map(|(dir, r)| LayoutResult {
            dir,
            result: r.unwrap_or_else(|| Err(Error::input("not run"))),
        })
        .chain(unreadable)
        .collect();
    all.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(all)
}

/// The machine's cores, for `jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
