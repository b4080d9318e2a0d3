//! A run whose undo fails too says so, keeps its journal, and the next run
//! puts the layout back together; errors carry the OS error they come from.

use std::io;
use std::path::Path;

use crate::common::*;
use flux_scaffold::answers::NoPrompt;
use flux_scaffold::apply::{Fs, RealFs};
use flux_scaffold::error::ErrorKind;
use flux_scaffold::session::{self, Request};

/// The real file system until operation `from`; from then on every write
/// and removal fails, the undo's included (a disk that filled up).
struct FullDisk {
    n: usize,
    from: usize,
}

impl FullDisk {
    fn op(&mut self) -> io::Result<()> {
        self.n += 1;
        if self.n > self.from {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        Ok(())
    }
}

impl Fs for FullDisk {
    fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        self.op()?;
        RealFs.create_dir(path)
    }
    fn write_atomic(&mut self, staging: &Path, path: &Path, b: &[u8], x: bool) -> io::Result<()> {
        self.op()?;
        RealFs.write_atomic(staging, path, b, x)
    }
    fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        self.op()?;
        RealFs.remove_file(path)
    }
    fn remove_dir(&mut self, path: &Path) -> io::Result<()> {
        self.op()?;
        RealFs.remove_dir(path)
    }
}

fn request(root: &Path, sets: &[&str]) -> Request {
    Request {
        dir: root.to_path_buf(),
        sets: REQUIRED.iter().chain(sets).map(|s| s.to_string()).collect(),
        ..Request::default()
    }
}

#[test]
fn a_failed_undo_is_reported_and_the_next_run_repairs_the_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    flux2_example(&clean);
    session::init(&request(&clean, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    let root = tmp.path().join("repo");
    flux2_example(&root);
    // A few files in, the disk fills up, and the undo cannot write either.
    let err = session::init(
        &request(&root, &[]),
        &mut NoPrompt,
        &mut FullDisk { n: 0, from: 8 },
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(err.message.contains("undoing the run failed too"), "{err}");
    assert!(
        err.message.contains(".flux-scaffold/journal is kept"),
        "{err}"
    );
    let source = std::error::Error::source(&err).expect("the OS error as source");
    let os = source.downcast_ref::<io::Error>().unwrap();
    assert_eq!(os.raw_os_error(), Some(libc::ENOSPC));
    assert!(root.join(".flux-scaffold/journal").is_file());
    // The next run repairs from the journal and ends as a clean run does.
    session::init(&request(&root, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    let files = |r: &Path| -> Vec<(String, Vec<u8>)> {
        tree(r)
            .into_iter()
            .map(|p| (p.clone(), std::fs::read(r.join(&p)).unwrap()))
            .collect()
    };
    assert_eq!(files(&root), files(&clean));
}
