//! Faults and concurrency: a failed write leaves every file as it was, a
//! killed run leaves each file wholly old or wholly new, two runs never
//! interleave, and CRLF, BOM and non-UTF-8 files are never mangled.

mod common;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use common::*;
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
    fails: Box<dyn Fn(usize) -> bool>,
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
    fn write_atomic(&mut self, path: &Path, bytes: &[u8], executable: bool) -> io::Result<()> {
        self.step(path)?;
        self.real.write_atomic(path, bytes, executable)
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

#[test]
fn a_failure_at_any_step_rolls_everything_back() {
    // How many operations a full run takes.
    let tmp = tempfile::tempdir().unwrap();
    let root = prepared_repo(tmp.path());
    let mut counter = Faulty::counting();
    session::init(&request(&root, &[]), &mut NoPrompt, &mut counter).unwrap();
    let total = counter.n;
    assert!(total > 10, "{total}");

    for at in 0..total {
        let tmp = tempfile::tempdir().unwrap();
        let root = prepared_repo(tmp.path());
        let before = snapshot(&root);
        let mut fs = Faulty::fail_once(at);
        let err = session::init(&request(&root, &[]), &mut NoPrompt, &mut fs).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Io, "{err}");
        assert_eq!(err.exit_code(), 3);
        assert!(
            err.message.contains("injected fault")
                && err.message.contains(&root.display().to_string()),
            "names path and cause: {err}"
        );
        assert_eq!(snapshot(&root), before, "step {at}: every file as it was");
        assert!(!root.join(".flux-scaffold").exists(), "step {at}: no state");
        assert!(
            !root.join("prerequisites").exists(),
            "step {at}: created folders removed"
        );
    }
}

#[test]
fn a_failed_regen_leaves_files_and_state_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let root = prepared_repo(tmp.path());
    session::init(&request(&root, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    let before = snapshot(&root);
    let req = Request {
        dir: root.clone(),
        sets: vec!["crds=remote".into(), "iac=terraform".into()],
        ..Request::default()
    };
    let mut counter = Faulty::counting();
    let tmp2 = tempfile::tempdir().unwrap();
    let copy = tmp2.path().join("repo");
    copy_dir(&root, &copy);
    session::regen(
        &Request {
            dir: copy.clone(),
            ..req.clone()
        },
        &mut counter,
    )
    .unwrap();
    for at in 0..counter.n {
        let mut fs = Faulty::fail_once(at);
        let err = session::regen(&req, &mut fs).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Io);
        assert_eq!(snapshot(&root), before, "step {at}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in tree(from) {
        let dst = to.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dst).unwrap();
    }
}

#[test]
fn a_killed_run_leaves_each_file_wholly_old_or_new() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = prepared_repo(tmp.path());
    let old = snapshot(&reference);
    session::init(&request(&reference, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    let new = snapshot(&reference);
    let mut counter = Faulty::counting();
    let probe = prepared_repo(&tmp.path().join("probe"));
    session::init(&request(&probe, &[]), &mut NoPrompt, &mut counter).unwrap();

    for k in 0..counter.n {
        let tmp = tempfile::tempdir().unwrap();
        let root = prepared_repo(tmp.path());
        // Dies after k operations: nothing after that happens, not even rollback.
        let mut fs = Faulty::killed_after(k);
        let _ = session::init(&request(&root, &[]), &mut NoPrompt, &mut fs);
        let now = snapshot(&root);
        for (path, bytes) in &now {
            assert!(
                old.get(path) == Some(bytes) || new.get(path) == Some(bytes),
                "after {k} steps {path} is neither old nor new"
            );
            assert!(!path.contains(".tmp"), "temporary file left: {path}");
        }
        // The state never claims a file was written when it was not.
        for (path, bytes) in &now {
            if let Some(file) = path
                .strip_prefix(".flux-scaffold/base/")
                .and_then(|p| p.strip_suffix(".base"))
            {
                assert_eq!(
                    now.get(file),
                    Some(bytes),
                    "after {k} steps the base of {file} is ahead of the file"
                );
            }
        }
        if now.contains_key(".flux-scaffold/files.yaml") {
            for (path, bytes) in &new {
                if !path.starts_with(".flux-scaffold") {
                    assert_eq!(now.get(path), Some(bytes), "state written before {path}");
                }
            }
        }
    }
}

#[test]
fn a_file_where_a_folder_must_go_fails_with_exit_3_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = prepared_repo(tmp.path());
    // `prerequisites` is a file, so the folder cannot be made; files sorted
    // before it (iac/) are written first and must be rolled back.
    std::fs::write(root.join("prerequisites"), "not a folder\n").unwrap();
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("prerequisites") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(snapshot(&root), before);
    assert!(!root.join("iac").exists());
}

#[test]
fn a_folder_where_a_file_must_go_fails_with_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let root = prepared_repo(tmp.path());
    std::fs::create_dir_all(root.join("infrastructure/flux-exception.yaml")).unwrap();
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("flux-exception.yaml"));
    assert_eq!(snapshot(&root), before);
}

#[test]
fn two_runs_at_once_never_interleave() {
    for _ in 0..5 {
        let tmp = tempfile::tempdir().unwrap();
        let root = prepared_repo(tmp.path());
        let spawn = || {
            let mut c = init_cmd(&root, &[], &[]);
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        };
        let a = spawn();
        let b = spawn();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(
            a.status.success() && b.status.success(),
            "{} {}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let single = tempfile::tempdir().unwrap();
        let reference = prepared_repo(single.path());
        assert!(init(&reference, &[]).status.success());
        assert_eq!(snapshot(&root), snapshot(&reference));
        assert!(!root.join(".flux-scaffold/lock").exists());
    }
}

#[test]
fn a_held_lock_is_waited_for_then_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = prepared_repo(tmp.path());
    std::fs::create_dir_all(root.join(".flux-scaffold")).unwrap();
    // Held by a live process: this test's.
    std::fs::write(
        root.join(".flux-scaffold/lock"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let before = snapshot(&root);
    let out = init_cmd(&root, &[], &[])
        .env("FLUX_SCAFFOLD_LOCK_WAIT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another flux-scaffold run") && err.contains(".flux-scaffold/lock"),
        "{err}"
    );
    assert_eq!(snapshot(&root), before);
    // A lock left by a process that is gone is taken over.
    std::fs::write(root.join(".flux-scaffold/lock"), "999999999\n").unwrap();
    assert!(init(&root, &[]).status.success());
    assert!(!root.join(".flux-scaffold/lock").exists());
}

#[test]
fn crlf_checkout_is_not_an_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    assert!(init(&root, &[]).status.success());
    // What git does with core.autocrlf=true on checkout.
    for rel in tree(&root) {
        if rel.starts_with(".flux-scaffold") {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&rel)).unwrap();
        std::fs::write(root.join(&rel), text.replace('\n', "\r\n")).unwrap();
    }
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(snapshot(&root), before, "nothing rewritten");
    assert_success(&regen_check(&root));
    // A changed answer is written back in CRLF.
    let out = bin()
        .args(["regen", "--set", "flux_namespace=flux-ext"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let ex = std::fs::read(root.join("infrastructure/flux-exception.yaml")).unwrap();
    let text = String::from_utf8(ex).unwrap();
    assert!(
        text.contains("namespace: flux-ext\r\n") && !text.replace("\r\n", "").contains('\n'),
        "{text:?}"
    );
}

#[test]
fn non_utf8_managed_file_is_never_mangled() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    assert!(init(&root, &[]).status.success());
    let path = root.join("infrastructure/flux-exception.yaml");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"# \xff\xfe latin-1 edit\n");
    std::fs::write(&path, &bytes).unwrap();
    let out = bin()
        .args(["regen", "--set", "flux_namespace=flux-ext"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "reported as a conflict");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "bytes kept exactly");
}

#[test]
fn non_utf8_kustomization_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("infrastructure")).unwrap();
    std::fs::write(
        root.join("infrastructure/kustomization.yaml"),
        b"resources:\n- caf\xe9.yaml\n",
    )
    .unwrap();
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
    assert_eq!(snapshot(&root), before);
}
