//! `.flux-scaffold/lock`: one writing run per layout at a time. A second run
//! waits for the first, then refuses with a clear message; a lock left by a
//! process that no longer exists is taken over.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::state;

pub struct Lock {
    path: PathBuf,
    /// Folders created to hold the lock, removed again if left empty.
    created: Vec<PathBuf>,
}

/// How long a run waits for another to finish: `FLUX_SCAFFOLD_LOCK_WAIT`
/// seconds, 10 by default.
fn wait_limit() -> Duration {
    let secs = std::env::var("FLUX_SCAFFOLD_LOCK_WAIT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(10);
    Duration::from_secs(secs)
}

impl Lock {
    pub fn acquire(root: &Path) -> Result<Lock> {
        let dir = root.join(state::DIR);
        let mut lock = Lock {
            path: dir.join("lock"),
            created: Vec::new(),
        };
        let start = Instant::now();
        let limit = wait_limit();
        loop {
            lock.make_dirs(&dir)?;
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock.path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(lock);
                }
                // Another run removed the folder it had made: make it again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&lock.path).unwrap_or_default();
                    let pid = holder.trim().to_string();
                    if !pid.is_empty() && !alive(&pid) {
                        let _ = std::fs::remove_file(&lock.path);
                        continue;
                    }
                    if start.elapsed() >= limit {
                        let path = std::mem::take(&mut lock.path);
                        drop(lock);
                        return Err(Error {
                            kind: ErrorKind::Io,
                            message: format!(
                                "another flux-scaffold run is writing here ({} is held by process {}); waited {}s; remove the file if no such run exists",
                                path.display(),
                                if pid.is_empty() { "?" } else { &pid },
                                limit.as_secs()
                            ),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(e) => return Err(Error::io(&lock.path, "create lock", &e)),
            }
        }
    }

    /// Create the missing folders up to `dir`, remembering those this run made.
    fn make_dirs(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if d.as_os_str().is_empty() || d.is_dir() {
                break;
            }
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        for d in missing.into_iter().rev() {
            match std::fs::create_dir(&d) {
                Ok(()) => self.created.push(d),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
                Err(e) => return Err(Error::io(&d, "create folder", &e)),
            }
        }
        Ok(())
    }
}

/// Whether a process with this id exists (Linux: /proc; elsewhere assume so).
fn alive(pid: &str) -> bool {
    if !pid.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    proc.join(pid).exists()
}

impl Drop for Lock {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
        for d in self.created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}
