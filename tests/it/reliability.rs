//! Faults and concurrency: a failed write leaves every file as it was, a
//! killed run leaves each file wholly old or wholly new, two runs never
//! interleave, and CRLF, BOM and non-UTF-8 files are never mangled.

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

#[test]
fn a_failure_at_any_step_rolls_everything_back() {
    // How many operations a full run takes.
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    let mut counter = Faulty::counting();
    session::init(&request(&root, &[]), &mut NoPrompt, &mut counter).unwrap();
    let total = counter.n;
    assert!(total > 10, "{total}");

    for at in 0..total {
        let tmp = tempdir();
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
    let tmp = tempdir();
    let root = initialized_repo(tmp.path());
    let before = snapshot(&root);
    let req = Request {
        dir: root.clone(),
        sets: vec!["crds=remote".into(), "iac=terraform".into()],
        ..Request::default()
    };
    let mut counter = Faulty::counting();
    let tmp2 = tempdir();
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

/// Whether `path` is what a killed run may leave for the next to repair:
/// its journal or a temporary file in the staging folder.
fn repair_leftover(path: &str) -> bool {
    path == ".flux-scaffold/journal" || path.starts_with(".flux-scaffold/tmp/")
}

#[test]
fn a_killed_run_leaves_each_file_wholly_old_or_new_and_the_next_run_repairs_it() {
    let tmp = tempdir();
    let reference = prepared_repo(tmp.path());
    let old = snapshot(&reference);
    session::init(&request(&reference, &[]), &mut NoPrompt, &mut RealFs).unwrap();
    let new = snapshot(&reference);
    let mut counter = Faulty::counting();
    let probe = prepared_repo(&tmp.path().join("probe"));
    session::init(&request(&probe, &[]), &mut NoPrompt, &mut counter).unwrap();

    for k in 0..counter.n {
        let tmp = tempdir();
        let root = prepared_repo(tmp.path());
        // Dies after k operations: nothing after that happens, not even rollback.
        let mut fs = Faulty::killed_after(k);
        let _ = session::init(&request(&root, &[]), &mut NoPrompt, &mut fs);
        let now = snapshot(&root);
        for (path, bytes) in now.iter().filter(|(p, _)| !repair_leftover(p)) {
            assert!(
                old.get(path) == Some(bytes) || new.get(path) == Some(bytes),
                "after {k} steps {path} is neither old nor new"
            );
            assert!(
                !path.contains(".tmp"),
                "temporary file outside staging: {path}"
            );
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
        // The next run repairs whatever was left and ends exactly where an
        // uninterrupted run does: no leftovers, no conflicts.
        let again = session::init(&request(&root, &[]), &mut NoPrompt, &mut RealFs)
            .unwrap_or_else(|e| panic!("after a kill at step {k}: {e}"));
        assert!(!again.plan.has_conflicts(), "step {k}");
        assert_eq!(snapshot(&root), new, "after a kill at step {k}");
    }
}

/// A layout where regen with `flux_namespace=flux-ext` merges one edited
/// file with a conflict (the Bicep configuration, which Flux does not
/// build) and updates the rest; returns (root, request).
fn conflicting_regen(tmp: &Path) -> (PathBuf, Request) {
    let root = initialized_repo(tmp);
    let f = root.join("iac/flux-configuration.bicep");
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("releaseNamespace: 'flux-system'"), "{text}");
    std::fs::write(
        &f,
        text.replacen(
            "releaseNamespace: 'flux-system'",
            "releaseNamespace: 'my-edit'",
            1,
        ),
    )
    .unwrap();
    (root.clone(), namespace_change(&root))
}

#[test]
fn a_regen_killed_at_any_step_is_repaired_by_the_next_without_fake_or_nested_conflicts() {
    let tmp = tempdir();
    let (reference, req) = conflicting_regen(&tmp.path().join("reference"));
    let mut counter = Faulty::counting();
    let done = session::regen(&req, &mut counter).unwrap();
    assert!(
        done.plan.has_conflicts(),
        "the scenario has one real conflict"
    );
    let expected = snapshot(&reference);
    let markers = |snap: &BTreeMap<String, Vec<u8>>| -> usize {
        snap.iter()
            .filter(|(p, _)| !p.starts_with(".flux-scaffold"))
            .map(|(_, b)| String::from_utf8_lossy(b).matches("<<<<<<<").count())
            .sum()
    };
    assert_eq!(markers(&expected), 1);

    for k in 0..counter.n {
        let tmp = tempdir();
        let (root, req) = conflicting_regen(tmp.path());
        let _ = session::regen(&req, &mut Faulty::killed_after(k));
        let again = session::regen(&req, &mut RealFs)
            .unwrap_or_else(|e| panic!("after a kill at step {k}: {e}"));
        let now = snapshot(&root);
        assert_eq!(
            markers(&now),
            1,
            "after a kill at step {k}: one conflict, not nested"
        );
        assert_eq!(
            again.plan.files.iter().filter(|f| f.conflicts > 0).count(),
            1,
            "after a kill at step {k}: no fake conflicts"
        );
        assert_eq!(
            now, expected,
            "after a kill at step {k}: as an uninterrupted run"
        );
    }
}

#[test]
fn a_file_saved_between_plan_and_write_is_never_overwritten() {
    let tmp = tempdir();
    let root = initialized_repo(tmp.path());
    let target = root.join("infrastructure/flux-exception.yaml");
    let before = snapshot(&root);
    let req = namespace_change(&root);
    // An editor saves the file just as the run starts writing, after the
    // plan was made.
    let saved_by = target.clone();
    let mut fs = Faulty {
        n: 0,
        fails: Box::new(move |i| {
            if i == 0 {
                std::fs::write(&saved_by, "# saved by an editor meanwhile\n").unwrap();
            }
            false
        }),
        real: RealFs,
    };
    let err = session::regen(&req, &mut fs).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert!(err.message.contains("flux-exception.yaml"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "# saved by an editor meanwhile\n",
        "the editor's save is kept"
    );
    let mut expected = before;
    expected.insert(
        "infrastructure/flux-exception.yaml".into(),
        b"# saved by an editor meanwhile\n".to_vec(),
    );
    assert_eq!(snapshot(&root), expected, "everything else as it was");
}

#[cfg(unix)]
#[test]
fn a_planted_temporary_file_link_redirects_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    let root = initialized_repo(tmp.path());
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "victim\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Links at the exact names the temporary files of this process had,
    // beside every file the run rewrites and in the state folder.
    let pid = std::process::id();
    let mut planted = Vec::new();
    for rel in tree(&root) {
        let p = root.join(&rel);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let link = p
            .parent()
            .unwrap()
            .join(format!(".{name}.flux-scaffold-{pid}.tmp"));
        if !link.exists() {
            std::os::unix::fs::symlink(&victim, &link).unwrap();
            planted.push(link);
        }
    }
    let req = namespace_change(&root);
    session::regen(&req, &mut RealFs).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim\n");
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the victim's mode is unchanged");
    let written = root.join("infrastructure/flux-exception.yaml");
    assert!(std::fs::symlink_metadata(&written).unwrap().is_file());
    assert!(
        std::fs::read_to_string(&written)
            .unwrap()
            .contains("flux-ext")
    );
    assert!(
        planted.iter().all(|l| std::fs::symlink_metadata(l).is_ok()),
        "the planted links were not written through"
    );
}

#[cfg(unix)]
#[test]
fn a_committed_staging_link_is_refused() {
    let tmp = tempdir();
    let root = initialized_repo(tmp.path());
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A pull request commits `.flux-scaffold/tmp` as a link out of the repo.
    std::os::unix::fs::symlink(&outside, root.join(".flux-scaffold/tmp")).unwrap();
    let out = bin()
        .args(["regen", "--set", "flux_namespace=flux-ext"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn leftovers_of_a_killed_run_are_removed_and_ignored_by_git() {
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    assert_success(&init(&root, &[]));
    let ignore = std::fs::read_to_string(root.join(".flux-scaffold/.gitignore")).unwrap();
    for pattern in ["lock", "journal", "tmp/"] {
        assert!(
            ignore.lines().any(|l| l == pattern),
            "{pattern} in {ignore}"
        );
    }
    let left = root.join(".flux-scaffold/tmp/.flux-scaffold-AbC123.tmp");
    std::fs::create_dir_all(left.parent().unwrap()).unwrap();
    std::fs::write(&left, "half written").unwrap();
    let out = bin()
        .args(["regen", "--set", "flux_namespace=flux-ext"])
        .arg(&root)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(
        !left.exists(),
        "the next run removes a killed run's temporary file"
    );
    assert!(
        !tree(&root).iter().any(|p| p.ends_with(".tmp")),
        "{:?}",
        tree(&root)
    );
}

#[cfg(unix)]
#[test]
fn a_patched_kustomization_that_is_a_link_inside_the_repo_stays_a_link() {
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    let kust = root.join("infrastructure/kustomization.yaml");
    let real = root.join("infrastructure/base.yaml");
    std::fs::rename(&kust, &real).unwrap();
    std::os::unix::fs::symlink("base.yaml", &kust).unwrap();
    assert_success(&init(&root, &[]));
    assert!(
        std::fs::symlink_metadata(&kust)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .contains("flux-exception.yaml")
    );
}

#[test]
fn a_file_where_a_folder_must_go_fails_with_exit_3_and_changes_nothing() {
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    // `prerequisites` is a file, so the folder cannot be made; files sorted
    // before it (iac/) are written first and must be rolled back.
    std::fs::write(root.join("prerequisites"), "not a folder\n").unwrap();
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("prerequisites") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(snapshot(&root), before);
    assert!(!root.join("iac").exists());
}

#[test]
fn a_folder_where_a_file_must_go_fails_with_exit_3() {
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    std::fs::create_dir_all(root.join("infrastructure/flux-exception.yaml")).unwrap();
    let before = snapshot(&root);
    let out = init(&root, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("flux-exception.yaml"));
    assert_eq!(snapshot(&root), before);
}

#[test]
fn two_runs_at_once_never_interleave() {
    for _ in 0..5 {
        let tmp = tempdir();
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
            stderr(&a),
            stderr(&b)
        );
        let single = tempdir();
        let reference = prepared_repo(single.path());
        assert!(init(&reference, &[]).status.success());
        assert_eq!(snapshot(&root), snapshot(&reference));
        assert!(!root.join(".flux-scaffold/lock").exists());
    }
}

#[test]
fn runs_racing_on_a_stale_lock_are_serialized() {
    // A lock file left by a run killed at any moment (empty, or naming a
    // process that is gone) must neither block nor be shared: three runs
    // with different answers at once, many rounds, each ending exactly as
    // one run alone with the winner's answers would.
    for round in 0..12 {
        let tmp = tempdir();
        let root = prepared_repo(tmp.path());
        assert_success(&init(&root, &[]));
        let stale = if round % 2 == 0 { "" } else { "999999999\n" };
        std::fs::write(root.join(".flux-scaffold/lock"), stale).unwrap();
        let children: Vec<_> = ["ns-a", "ns-b", "ns-c"]
            .iter()
            .map(|ns| {
                bin()
                    .args(["regen", "--set", &format!("flux_namespace={ns}")])
                    .arg(&root)
                    .env("FLUX_SCAFFOLD_LOCK_WAIT", "600")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert_success(&out);
        }
        let answers = std::fs::read_to_string(root.join(".flux-scaffold/answers.yaml")).unwrap();
        let winner = ["ns-a", "ns-b", "ns-c"]
            .into_iter()
            .find(|ns| answers.contains(&format!("flux_namespace: {ns}")))
            .unwrap_or_else(|| panic!("{answers}"));
        let single = tempdir();
        let reference = prepared_repo(single.path());
        assert_success(&init(&reference, &[&format!("flux_namespace={winner}")]));
        let mut now = snapshot(&root);
        let mut want = snapshot(&reference);
        // The answers record which ones were given, not defaulted.
        now.remove(".flux-scaffold/answers.yaml");
        want.remove(".flux-scaffold/answers.yaml");
        assert_eq!(now, want, "round {round}");
        assert!(
            now.values()
                .all(|b| !String::from_utf8_lossy(b).contains("<<<<<<<")),
            "round {round}: no conflict markers"
        );
    }
}

#[test]
fn a_held_lock_is_waited_for_then_refused() {
    let tmp = tempdir();
    let root = prepared_repo(tmp.path());
    std::fs::create_dir_all(root.join(".flux-scaffold")).unwrap();
    // Held by a live process: this test's, with the kernel's lock.
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(root.join(".flux-scaffold/lock"))
        .unwrap();
    held.lock().unwrap();
    let before = snapshot(&root);
    let mut held_run = Test::new().args(&["init", "--no-input"]).arg(&root);
    for s in REQUIRED {
        held_run = held_run.set(s);
    }
    let err = held_run
        .env("FLUX_SCAFFOLD_LOCK_WAIT", "1")
        .code(3)
        .stderr_has(".flux-scaffold/lock")
        .stderr();
    assert!(
        err.contains("another flux-scaffold run") && err.contains(".flux-scaffold/lock"),
        "{err}"
    );
    assert_eq!(snapshot(&root), before);
    // Released (as the kernel does when its process dies): the next run goes.
    drop(held);
    assert_success(&init(&root, &[]));
    assert!(!root.join(".flux-scaffold/lock").exists());
}

#[cfg(unix)]
#[test]
fn a_lock_that_is_a_link_or_a_fifo_is_refused_without_reading_or_blocking() {
    let tmp = tempdir();
    let secret = tmp.path().join("environ");
    std::fs::write(&secret, "AZURE_CLIENT_SECRET=hunter2\n").unwrap();
    let missing = tmp.path().join("created-outside");
    for (i, plant) in ["link", "dangling", "fifo"].into_iter().enumerate() {
        let root = prepared_repo(&tmp.path().join(i.to_string()));
        assert_success(&init(&root, &[]));
        let lock = root.join(".flux-scaffold/lock");
        match plant {
            "link" => std::os::unix::fs::symlink(&secret, &lock).unwrap(),
            "dangling" => std::os::unix::fs::symlink(&missing, &lock).unwrap(),
            _ => {
                let st = std::process::Command::new("mkfifo")
                    .arg(&lock)
                    .status()
                    .unwrap();
                assert!(st.success());
            }
        }
        let out = bin()
            .args(["regen", "--set", "flux_namespace=flux-ext"])
            .arg(&root)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{plant}: {err}");
        assert!(err.contains(".flux-scaffold/lock"), "{err}");
        assert!(
            !err.contains("hunter2"),
            "{plant}: the lock's target is never read"
        );
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap(),
            "AZURE_CLIENT_SECRET=hunter2\n"
        );
        assert!(
            !missing.exists(),
            "{plant}: nothing created through the link"
        );
    }
}

#[test]
fn crlf_checkout_is_not_an_edit() {
    let tmp = tempdir();
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
    assert_success(&out);
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
    let tmp = tempdir();
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
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("infrastructure")).unwrap();
    std::fs::write(
        root.join("infrastructure/kustomization.yaml"),
        b"resources:\n- caf\xe9.yaml\n",
    )
    .unwrap();
    let before = snapshot(&root);
    // Asked to patch it (auto would put the exception in the prerequisites
    // stage instead, leaving this file alone).
    let out = init(&root, &["exception_stage=infra"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not UTF-8"));
    assert_eq!(snapshot(&root), before);
}
