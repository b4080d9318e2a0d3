//! Two runs at once: the lock, stale lock files, waiting then refusing.

use super::*;

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
