//! Nothing outside the target, ever, whatever the source of a path: a
//! hostile pack, a tampered `.flux-scaffold/` arriving in a pull request,
//! special files where files are expected, templates that never end.

use std::path::Path;

use crate::common::*;

/// Every file below `dir`, for "nothing written here" checks.
fn count(dir: &Path) -> usize {
    tree(dir).len()
}

#[test]
fn backslashes_never_reach_the_file_system() {
    for (path, sets) in [
        ("..\\outside\\x.txt", &[][..]),
        ("\\tmp\\abs.txt", &[]),
        ("{{ name }}/x.txt", &["name=..\\outside\\a"]),
        ("sub\\..\\..\\outside.txt", &[]),
    ] {
        let tmp = tempdir();
        let p = tmp.path().join("pack");
        one_file_pack(&p, path);
        let target = tmp.path().join("a/target");
        let out = run_pack(&p, &target, sets);
        refused(&out, "backslash");
        assert!(!target.exists(), "{path}");
        assert_eq!(count(tmp.path()), 2, "{path}: only the pack's own files");
    }
}

#[test]
fn a_patch_path_with_backslashes_cannot_reach_another_repository() {
    let tmp = tempdir();
    let other = tmp.path().join("other-repo");
    std::fs::create_dir_all(&other).unwrap();
    let kust = "resources:\n  - a.yaml\n";
    std::fs::write(other.join("kustomization.yaml"), kust).unwrap();
    let p = tmp.path().join("pack");
    hostile_pack(
        &p,
        "  - path: \"..\\\\other-repo\\\\kustomization.yaml\"\n    ownership: patch\n    patch:\n      kustomize-resources: [evil.yaml]\n",
        &[],
    );
    let out = run_pack(&p, &tmp.path().join("target"), &[]);
    refused(&out, "backslash");
    assert_eq!(
        std::fs::read_to_string(other.join("kustomization.yaml")).unwrap(),
        kust
    );
}

#[test]
fn names_longer_than_the_file_system_allows_are_bad_input() {
    let tmp = tempdir();
    let p = tmp.path().join("pack");
    let long = "n".repeat(256);
    one_file_pack(&p, &format!("dir/{long}"));
    let target = tmp.path().join("target");
    refused(&run_pack(&p, &target, &[]), "longer than 255 bytes");
    assert!(!target.exists());
}

#[test]
fn names_of_255_bytes_are_written() {
    let tmp = tempdir();
    let p = tmp.path().join("pack");
    let long = "n".repeat(255);
    one_file_pack(&p, &format!("dir/{long}"));
    let target = tmp.path().join("target");
    let out = run_pack(&p, &target, &[]);
    assert_success(&out);
    assert_eq!(
        std::fs::read_to_string(target.join("dir").join(&long)).unwrap(),
        "x\n"
    );
    // Its base is recorded, and a second run changes nothing.
    let again = run_pack(&p, &target, &[]);
    assert_success(&again);
    assert_success(&regen_check(&target));
}

#[test]
fn reserved_names_are_refused_in_any_case() {
    for path in [
        ".GIT/hooks/pre-commit",
        "x/.Git/config",
        ".FLUX-SCAFFOLD/files.yaml",
    ] {
        let tmp = tempdir();
        let p = tmp.path().join("pack");
        one_file_pack(&p, path);
        let target = tmp.path().join("target");
        refused(&run_pack(&p, &target, &[]), "enters .git or .flux-scaffold");
        assert!(!target.exists(), "{path}");
    }
}

/// A layout made by init, and a victim file beside it, outside the repo.
fn layout_and_victim(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = tmp.join("repo");
    assert_success(&init(&root, &[]));
    let victim = tmp.join("victim.txt");
    std::fs::write(&victim, "not yours\n").unwrap();
    (root, victim)
}

/// Add an entry to `files.yaml` as a pull request could, with a base that
/// matches the victim, so the old code took it for an unedited file it may
/// remove.
fn tamper(root: &Path, entry: &str, victim: &Path) {
    let files = root.join(".flux-scaffold/files.yaml");
    let content = std::fs::read(victim).unwrap_or_default();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&content))
    };
    let text = std::fs::read_to_string(&files).unwrap();
    let text = text.replacen(
        "files:\n",
        &format!("files:\n  {entry:?}:\n    ownership: managed\n    sha256: {sha}\n"),
        1,
    );
    std::fs::write(&files, text).unwrap();
    let base = root.join(format!(".flux-scaffold/base/{entry}.base"));
    if let Some(parent) = base.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let _ = std::fs::write(&base, &content);
    }
}

#[test]
fn a_tampered_files_yaml_is_refused_before_any_read_or_delete() {
    let tmp = tempdir();
    for (i, entry) in [
        "{victim}",
        "../victim.txt",
        "infrastructure/../../victim.txt",
    ]
    .into_iter()
    .enumerate()
    {
        let case = tmp.path().join(i.to_string());
        let (root, victim) = layout_and_victim(&case);
        let entry = entry.replace("{victim}", &victim.display().to_string());
        tamper(&root, &entry, &victim);
        for args in [
            &["regen"][..],
            &["regen", "--check"],
            &["regen", "--dry-run"],
        ] {
            let out = bin().args(args).arg(&root).output().unwrap();
            refused(&out, ".flux-scaffold/files.yaml");
            let err = stderr(&out);
            assert!(
                !err.contains("not yours"),
                "the victim is never read: {err}"
            );
            assert_eq!(
                std::fs::read_to_string(&victim).unwrap(),
                "not yours\n",
                "{entry}: never deleted"
            );
        }
    }
}

#[test]
fn a_state_entry_naming_a_device_is_refused_without_reading_it() {
    let tmp = tempdir();
    let (root, victim) = layout_and_victim(tmp.path());
    tamper(&root, "/dev/zero", &victim);
    let out = regen_check(&root);
    refused(&out, ".flux-scaffold/files.yaml");
}

#[cfg(unix)]
#[test]
fn fifos_where_files_are_expected_are_refused_without_blocking() {
    // A kustomization the tool patches.
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("infrastructure")).unwrap();
    mkfifo(&root.join("infrastructure/kustomization.yaml"));
    refused(&init(&root, &[]), "not a regular file");

    // A managed file, and a recorded base.
    let root = tmp.path().join("repo2");
    assert_success(&init(&root, &[]));
    let managed = root.join("infrastructure/flux-exception.yaml");
    std::fs::remove_file(&managed).unwrap();
    mkfifo(&managed);
    refused(&regen_check(&root), "not a regular file");
    std::fs::remove_file(&managed).unwrap();
    Test::new().arg("regen").arg("--force").arg(&root).success();
    let base = root.join(".flux-scaffold/base/infrastructure/flux-exception.yaml.base");
    std::fs::remove_file(&base).unwrap();
    mkfifo(&base);
    refused(&regen_check(&root), "not a regular file");

    // A pack's template, its pack.yaml, and an answers file.
    let p = tmp.path().join("pack");
    hostile_pack(&p, "  - template: t.txt\n    path: x.txt\n", &[]);
    mkfifo(&p.join("t.txt"));
    refused(
        &run_pack(&p, &tmp.path().join("t1"), &[]),
        "not a regular file",
    );
    let p2 = tmp.path().join("pack2");
    std::fs::create_dir_all(&p2).unwrap();
    mkfifo(&p2.join("pack.yaml"));
    refused(
        &run_pack(&p2, &tmp.path().join("t2"), &[]),
        "not a regular file",
    );
    let answers = tmp.path().join("answers.yaml");
    mkfifo(&answers);
    let out = init_cmd(
        &tmp.path().join("t3"),
        &["--answers", answers.to_str().unwrap()],
        &[],
    )
    .output()
    .unwrap();
    refused(&out, "not a regular file");
    assert!(!tmp.path().join("t3").exists());
}

#[cfg(unix)]
#[test]
fn a_pack_yaml_linked_out_of_the_pack_is_not_read() {
    let tmp = tempdir();
    let secret = tmp.path().join("secret.yaml");
    std::fs::write(&secret, "name: s3cr3t-token\n").unwrap();
    let p = tmp.path().join("pack");
    std::fs::create_dir_all(&p).unwrap();
    std::os::unix::fs::symlink(&secret, p.join("pack.yaml")).unwrap();
    let target = tmp.path().join("t");
    let mut show = bin();
    show.args(["packs", "show"]).arg(&p);
    let mut init = bin();
    init.args(["init", "--no-input", "--pack"])
        .arg(&p)
        .arg(&target);
    for mut cmd in [show, init] {
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("links outside the pack"), "{err}");
        assert!(!err.contains("s3cr3t") && !stdout(&out).contains("s3cr3t"));
    }
}

#[test]
fn endless_templates_stop_with_a_clear_error() {
    let bombs = [
        // Nested loops that write nothing: ten billion iterations.
        "{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}",
        // A loop inside the bound that writes more than a file may hold.
        "{% for i in range(end=1000000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
    ];
    for (i, bomb) in bombs.into_iter().enumerate() {
        let tmp = tempdir();
        let p = tmp.path().join("pack");
        hostile_pack(
            &p,
            "  - template: t.txt\n    path: x.txt\n",
            &[("t.txt", bomb)],
        );
        let target = tmp.path().join("target");
        let out = run_pack(&p, &target, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{i}: {err}");
        assert!(err.contains("exceed"), "{i}: {err}");
        assert!(!target.exists());
    }
    // In a path template too.
    let tmp = tempdir();
    let p = tmp.path().join("pack");
    hostile_pack(
        &p,
        "  - template: t.txt\n    path: \"{% for i in range(end=100000) %}{% for j in range(end=100000) %}{% endfor %}{% endfor %}x.txt\"\n",
        &[("t.txt", "x\n")],
    );
    let out = run_pack(&p, &tmp.path().join("target"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exceed"));
}

#[test]
fn state_from_any_newer_or_unknown_version_is_refused() {
    for version in ["v2.0.0", "99999999999999999999999.0.0", "1.0.0", "next"] {
        let tmp = tempdir();
        let root = tmp.path().join("repo");
        assert_success(&init(&root, &[]));
        let f = root.join(".flux-scaffold/answers.yaml");
        let text = std::fs::read_to_string(&f).unwrap().replace(
            &format!("tool_version: {}", env!("CARGO_PKG_VERSION")),
            &format!("tool_version: {version}"),
        );
        std::fs::write(&f, text).unwrap();
        let out = regen_check(&root);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{version}: {err}");
        assert!(err.contains("newer than this"), "{version}: {err}");
    }
}

#[test]
fn a_duplicate_key_in_an_answers_file_is_an_error() {
    let tmp = tempdir();
    let answers = tmp.path().join("answers.yaml");
    std::fs::write(&answers, "cluster_name: aks-one\ncluster_name: aks-two\n").unwrap();
    let target = tmp.path().join("t");
    let out = init_cmd(&target, &["--answers", answers.to_str().unwrap()], &[])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cluster_name") && err.contains("answers.yaml"),
        "{err}"
    );
    assert!(!target.exists());
}
