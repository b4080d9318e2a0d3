//! The record in `.flux-scaffold/` is written in a deliberate order
//! (`plan::plan_state`): `.gitignore`, bases, `files.yaml`, bases removed,
//! `answers.yaml` last. A run that stops after any state write, with no
//! rollback, leaves a record a reader without the lock can trust: no
//! entry points at a missing or stale base, and `answers.yaml` is there
//! only when everything else it stands for is.

use std::io;
use std::path::{Path, PathBuf};

use crate::common::*;
use flux_scaffold::answers::NoPrompt;
use flux_scaffold::apply::{Fs, RealFs};
use flux_scaffold::pack::Ownership;
use flux_scaffold::session::{self, Request};
use flux_scaffold::state;
use flux_scaffold::tree::DiskTree;

/// The real file system, logging the paths written or removed under the
/// layout; every operation from `stop_at` on fails, as if the process died.
struct Recording {
    root: PathBuf,
    log: Vec<String>,
    ops: usize,
    stop_at: usize,
}

impl Recording {
    fn new(root: &Path, stop_at: usize) -> Self {
        Recording {
            root: root.canonicalize().unwrap(),
            log: Vec::new(),
            ops: 0,
            stop_at,
        }
    }

    fn op(&mut self, path: &Path, sign: &str) -> io::Result<()> {
        if self.ops >= self.stop_at {
            return Err(io::Error::other("stopped"));
        }
        self.ops += 1;
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        self.log.push(format!("{sign}{}", rel.display()));
        Ok(())
    }
}

impl Fs for Recording {
    fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        self.op(path, "d ")?;
        RealFs.create_dir(path)
    }
    fn write_atomic(&mut self, staging: &Path, path: &Path, b: &[u8], x: bool) -> io::Result<()> {
        self.op(path, "+ ")?;
        RealFs.write_atomic(staging, path, b, x)
    }
    fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        self.op(path, "- ")?;
        RealFs.remove_file(path)
    }
    fn remove_dir(&mut self, path: &Path) -> io::Result<()> {
        self.op(path, "d-")?;
        RealFs.remove_dir(path)
    }
}

fn init_req(root: &Path) -> Request {
    Request {
        dir: root.to_path_buf(),
        sets: REQUIRED.iter().map(|s| s.to_string()).collect(),
        ..Request::default()
    }
}

/// A regen that stops producing the az CLI script (a managed file with a
/// base) and changes the Bicep files.
fn regen_req(root: &Path) -> Request {
    Request {
        dir: root.to_path_buf(),
        sets: vec!["iac=bicep".into(), "flux_namespace=flux-ext".into()],
        ..Request::default()
    }
}

/// Where each kind of state step comes in `log` (file writes and state).
fn kinds(log: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for entry in log {
        let (sign, path) = entry.split_at(2);
        let kind = match path {
            ".flux-scaffold/.gitignore" => "gitignore",
            ".flux-scaffold/files.yaml" => "files.yaml",
            ".flux-scaffold/answers.yaml" => "answers.yaml",
            p if p.starts_with(".flux-scaffold/base/") && sign == "+ " => "base written",
            p if p.starts_with(".flux-scaffold/base/") && sign == "- " => "base removed",
            p if p.starts_with(".flux-scaffold") || sign != "+ " => continue,
            _ => "output",
        };
        if out.last() != Some(&kind) {
            out.push(kind);
        }
    }
    out
}

#[test]
fn state_is_written_after_the_files_bases_first_answers_last() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    flux2_example(&root);
    let mut fs = Recording::new(&root, usize::MAX);
    session::init(&init_req(&root), &mut NoPrompt, &mut fs).unwrap();
    assert_eq!(
        kinds(&fs.log),
        [
            "output",
            "gitignore",
            "base written",
            "files.yaml",
            "answers.yaml"
        ]
    );
    let mut fs = Recording::new(&root, usize::MAX);
    session::regen(&regen_req(&root), &mut fs).unwrap();
    assert_eq!(
        kinds(&fs.log),
        [
            "output",
            "base written",
            "files.yaml",
            "base removed",
            "answers.yaml"
        ],
        "{:#?}",
        fs.log
    );
}

/// What a reader without the lock finds: every managed entry of
/// files.yaml has its base on disk, and one that does not (yet) hold what
/// the entry's hash says is not trusted by `state::load`; the run's new
/// answers.yaml is there only beside its new files.yaml.
fn assert_consistent(root: &Path, at: usize, last: &(String, String)) {
    let read = |p: &str| std::fs::read_to_string(root.join(p)).ok();
    let (answers, files) = (read(state::ANSWERS), read(state::FILES));
    if answers.as_ref() == Some(&last.0) {
        assert_eq!(files.as_ref(), Some(&last.1), "stop at {at}");
    }
    let Some(files) = files else { return };
    let loaded = state::load(&DiskTree::new(root)).unwrap();
    let files = state::FilesFile::parse(&files, "files").unwrap();
    for (path, rec) in &files.files {
        if rec.ownership != Ownership::Managed {
            continue;
        }
        let base = std::fs::read(root.join(state::base_path(path))).unwrap_or_else(|_| {
            panic!("stop at {at}: files.yaml names {path}, whose base is missing")
        });
        if rec.sha256.as_deref() != Some(state::sha256(&base).as_str()) {
            let trusted = loaded.as_ref().and_then(|s| s.base.get(path));
            assert_eq!(
                trusted, None,
                "stop at {at}: a stale base of {path} is trusted"
            );
        }
    }
}

/// Runs `run` on a copy of `template` stopped after each of its steps
/// from the first state write on (no rollback: as if the process died),
/// and checks what is left each time.
fn stop_everywhere(tmp: &Path, template: &Path, run: impl Fn(&Path, &mut Recording)) {
    let full = tmp.join("full");
    copy_tree(template, &full);
    let mut fs = Recording::new(&full, usize::MAX);
    run(&full, &mut fs);
    let read = |p: &str| std::fs::read_to_string(full.join(p)).unwrap();
    let last = (read(state::ANSWERS), read(state::FILES));
    let first_state = fs
        .log
        .iter()
        .position(|l| {
            l.contains(".flux-scaffold/") && !l.contains("/tmp") && !l.contains("journal")
        })
        .unwrap();
    for stop in first_state..=fs.log.len() {
        let root = tmp.join(format!("stop-{stop}"));
        copy_tree(template, &root);
        run(&root, &mut Recording::new(&root, stop));
        assert_consistent(&root, stop, &last);
    }
}

#[test]
fn a_run_stopped_after_any_state_write_leaves_a_record_readers_can_trust() {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    flux2_example(&fresh);
    stop_everywhere(&tmp.path().join("init"), &fresh, |root, fs| {
        let _ = session::init(&init_req(root), &mut NoPrompt, fs);
    });
    let layout = tmp.path().join("layout");
    copy_tree(&fresh, &layout);
    session::init(&init_req(&layout), &mut NoPrompt, &mut RealFs).unwrap();
    stop_everywhere(&tmp.path().join("regen"), &layout, |root, fs| {
        let _ = session::regen(&regen_req(root), fs);
        // The layout keeps a record through every stop of a regen.
        let loaded = state::load(&DiskTree::new(root)).unwrap();
        assert!(loaded.is_some(), "the layout lost its record");
    });
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in tree(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dest).unwrap();
    }
}
