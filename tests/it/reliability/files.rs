//! Files changed under the run, planted links, leftovers, links and odd files where folders go.

use super::*;

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
