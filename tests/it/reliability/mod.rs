//! Faults and concurrency: a failed write leaves every file as it was, a
//! killed run leaves each file wholly old or wholly new, two runs never
//! interleave, and CRLF, BOM and non-UTF-8 files are never mangled.

mod faults;
mod files;
mod locks;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::common::*;
use flux_scaffold::answers::NoPrompt;
use flux_scaffold::apply::{Fs, RealFs};
use flux_scaffold::error::ErrorKind;
use flux_scaffold::session::{self, Request};

/// Every file under `root` with its bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(root)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(root.join(&p)).unwrap();
            (p, b)
        })
        .collect()
}

fn request(root: &Path, sets: &[&str]) -> Request {
    Request {
        dir: root.to_path_buf(),
        sets: REQUIRED.iter().chain(sets).map(|s| s.to_string()).collect(),
        ..Request::default()
    }
}

/// A file system that counts operations and fails the ones `fails` picks,
/// by their index.
struct Faulty {
    n: usize,
    fails: Box<dyn FnMut(usize) -> bool>,
    real: RealFs,
}

impl Faulty {
    /// Every operation works; counts them.
    fn counting() -> Self {
        Faulty {
            n: 0,
            fails: Box::new(|_| false),
            real: RealFs,
        }
    }

    /// Operation `at` fails once; the rest, rollback included, work.
    fn fail_once(at: usize) -> Self {
        Faulty {
            n: 0,
            fails: Box::new(move |i| i == at),
            real: RealFs,
        }
    }

    /// Every operation after the first `k` fails, as if the process had
    /// died: not even the rollback happens.
    fn killed_after(k: usize) -> Self {
        Faulty {
            n: 0,
            fails: Box::new(move |i| i >= k),
            real: RealFs,
        }
    }

    fn step(&mut self, what: &Path) -> io::Result<()> {
        let i = self.n;
        self.n += 1;
        if (self.fails)(i) {
            return Err(io::Error::other(format!(
                "injected fault at {}",
                what.display()
            )));
        }
        Ok(())
    }
}

impl Fs for Faulty {
    fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        self.step(path)?;
        self.real.create_dir(path)
    }
    fn write_atomic(
        &mut self,
        staging: &Path,
        path: &Path,
        bytes: &[u8],
        executable: bool,
    ) -> io::Result<()> {
        self.step(path)?;
        self.real.write_atomic(staging, path, bytes, executable)
    }
    fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        self.step(path)?;
        self.real.remove_file(path)
    }
    fn remove_dir(&mut self, path: &Path) -> io::Result<()> {
        self.step(path)?;
        self.real.remove_dir(path)
    }
}

fn prepared_repo(tmp: &Path) -> PathBuf {
    let root = tmp.join("repo");
    flux2_example(&root);
    root
}

/// [`prepared_repo`] after a successful init.
fn initialized_repo(tmp: &Path) -> PathBuf {
    let root = prepared_repo(tmp);
    session::init(&request(&root, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    root
}

/// A regen of `root` that changes one answer (and so several files).
fn namespace_change(root: &Path) -> Request {
    Request {
        dir: root.to_path_buf(),
        sets: vec!["flux_namespace=flux-ext".into()],
        ..Request::default()
    }
}
