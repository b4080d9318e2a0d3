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

/// Folders never searched for layouts.
const SKIP: [&str; 4] = ["node_modules", "target", "vendor", "third_party"];

/// Every layout root below `root` (a folder holding `.flux-scaffold/answers.yaml`),
/// sorted; hidden folders such as `.git` are not searched.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>> {
    if !root.is_dir() {
        return Err(Error::input(format!("{} is not a folder", root.display())));
    }
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join(state::ANSWERS).is_file() {
            out.push(dir.clone());
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if dir == root => return Err(Error::io(&dir, "read folder", &e)),
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || SKIP.contains(&name.as_ref()) {
                continue;
            }
            // Symbolic links are not followed: a layout is where it is.
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The outcome of one layout of the fleet.
pub struct LayoutResult {
    pub dir: PathBuf,
    pub result: Result<Outcome>,
}

/// Run `regen` (as `req` says: check, dry run or write) on every layout
/// below `req.dir`, on up to `jobs` threads.
pub fn regen_all(req: &Request, jobs: usize) -> Result<Vec<LayoutResult>> {
    let dirs = discover(&req.dir)?;
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
    Ok(dirs
        .into_iter()
        .zip(results)
        .map(|(dir, r)| LayoutResult {
            dir,
            result: r.unwrap_or_else(|| Err(Error::input("not run"))),
        })
        .collect())
}

/// The machine's cores, for `jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
