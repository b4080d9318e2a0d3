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
/// sorted. Hidden folders such as `.git`, vendored trees, and folders the
/// `.gitignore` files on the way ignore are not searched.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>> {
    if !root.is_dir() {
        return Err(Error::input(format!("{} is not a folder", root.display())));
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), Vec::<Ignore>::new())];
    while let Some((dir, mut ignores)) = stack.pop() {
        if dir.join(state::ANSWERS).is_file() {
            out.push(dir.clone());
        }
        if let Some(ig) = Ignore::read(&dir) {
            ignores.push(ig);
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
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let path = entry.path();
            if ignores.iter().any(|ig| ig.ignores(&path)) {
                continue;
            }
            stack.push((path, ignores.clone()));
        }
    }
    out.sort();
    Ok(out)
}

/// The folder patterns of one `.gitignore`. Negations (`!pattern`) are
/// not supported: their lines are skipped.
#[derive(Clone)]
struct Ignore {
    base: PathBuf,
    patterns: Vec<regex::Regex>,
}

impl Ignore {
    fn read(dir: &Path) -> Option<Ignore> {
        let text = std::fs::read_to_string(dir.join(".gitignore")).ok()?;
        let patterns: Vec<regex::Regex> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
            .filter_map(|l| regex::Regex::new(&glob_regex(l)).ok())
            .collect();
        (!patterns.is_empty()).then(|| Ignore {
            base: dir.to_path_buf(),
            patterns,
        })
    }

    fn ignores(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.base) else {
            return false;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        self.patterns.iter().any(|p| p.is_match(&rel))
    }
}

/// A gitignore pattern as a regular expression over a folder's path
/// relative to the `.gitignore`: anchored when it holds a `/`, else
/// matching the last part at any depth.
fn glob_regex(pattern: &str) -> String {
    let p = pattern.trim_end_matches('/');
    let anchored = p.trim_start_matches('/').contains('/') || p.starts_with('/');
    let p = p.trim_start_matches('/');
    let mut re = String::from(if anchored { "^" } else { "^(?:.*/)?" });
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                re.push_str(".*");
                i += 1;
                if chars.get(i + 1) == Some(&'/') {
                    i += 1;
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => re.push('['),
            ']' => re.push(']'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    re
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

#[cfg(test)]
mod tests {
    use super::glob_regex;

    fn m(pattern: &str, path: &str) -> bool {
        regex::Regex::new(&glob_regex(pattern))
            .unwrap()
            .is_match(path)
    }

    #[test]
    fn gitignore_patterns() {
        assert!(m("build/", "build"));
        assert!(m("build", "a/b/build"));
        assert!(!m("/build", "a/build"));
        assert!(m("/build", "build"));
        assert!(m("clusters/tmp-*", "clusters/tmp-1"));
        assert!(!m("clusters/tmp-*", "x/clusters/tmp-1"));
        assert!(m("**/scratch", "a/b/scratch"));
        assert!(!m("build", "builder"));
    }
}
