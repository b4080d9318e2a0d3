//! A failure or a kill at every step of a run: rolled back, or repaired by the next run.

use super::*;

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
