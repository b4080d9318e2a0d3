//! `.flux-scaffold/lock`: one writing run per layout at a time. The lock is
//! the kernel's advisory lock (`flock`) on that file, so it dies with its
//! process: no pid is written, nothing stale is ever taken over, and the
//! file's contents are never read. A second run waits for the first, then
//! refuses with a clear message.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::state;

pub struct Lock {
    path: PathBuf,
    /// The locked file, held open for as long as the lock.
    file: Option<File>,
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
            file: None,
            created: Vec::new(),
        };
        let start = Instant::now();
        let limit = wait_limit();
        loop {
            lock.make_dirs(&dir)?;
            let file = match open_no_follow(&lock.path) {
                Ok(f) => f,
                // Another run removed the folder it had made: make it again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(lock.refuse(&e)),
            };
            match file.try_lock() {
                Ok(()) => {
                    // The holder before us may have removed the file after we
                    // opened it: the lock is ours only if the path still
                    // names the file we locked.
                    if same_file(&file, &lock.path) {
                        lock.file = Some(file);
                        return Ok(lock);
                    }
                }
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= limit {
                        return Err(Error::new(
                            ErrorKind::Io,
                            format!(
                                "another flux-scaffold run is writing here ({} is locked); waited {}s",
                                lock.path.display(),
                                limit.as_secs()
                            ),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&lock.path, "lock", &e)),
            }
        }
    }

    /// The error for a lock path that cannot be opened: a symbolic link or
    /// a special file there is refused (exit 2) without following or
    /// blocking on it, and without reading it.
    fn refuse(&self, e: &std::io::Error) -> Error {
        let special = e.kind() == std::io::ErrorKind::InvalidInput
            || e.raw_os_error() == Some(libc::ELOOP)
            || e.raw_os_error() == Some(libc::ENXIO);
        if special {
            Error::input(format!(
                "{} is not a regular file (a symbolic link, FIFO or device); refusing to use it as the lock: remove it",
                self.path.display()
            ))
        } else {
            Error::io(&self.path, "open lock", e)
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
        // The state folder itself must not be a link leading elsewhere.
        if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::input(format!(
                "{} is a symbolic link; refusing to write through it",
                dir.display()
            )));
        }
        Ok(())
    }
}

/// Open (creating) the lock file without following a symbolic link and
/// without blocking on a FIFO; anything but a regular file is refused.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = opts.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::ErrorKind::InvalidInput.into());
    }
    Ok(file)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.is_file()
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            // Removed while still held, so a run that opened this file
            // before sees, once it has the lock, that the path moved on.
            // Nothing can report from a drop, and a lock file left behind
            // is harmless: the lock is the held file lock, not the file,
            // and git ignores it.
            std::fs::remove_file(&self.path).ok();
            drop(file);
        }
        // The folders made to hold the lock; one left (empty, or holding
        // what another run put there since) is harmless, as above.
        for d in self.created.iter().rev() {
            std::fs::remove_dir(d).ok();
        }
    }
}
