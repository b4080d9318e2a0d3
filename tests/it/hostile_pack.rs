//! A pack loaded with --pack cannot write outside the target folder (by
//! `..`, absolute paths, answers used in paths, or symlinks in the target)
//! and cannot read outside its own folder.

use crate::common::*;

#[test]
fn output_paths_stay_inside_the_target() {
    let cases: &[(&str, &[&str])] = &[
        ("../outside.txt", &[]),
        ("/tmp/absolute.txt", &[]),
        ("a/../../outside.txt", &[]),
        ("{{ name }}/x.txt", &["name=../.."]),
        ("{{ name }}", &["name=/etc/passwd"]),
        (".git/hooks/pre-commit", &[]),
        ("vendored/.git/hooks/pre-commit", &[]),
        (".flux-scaffold/answers.yaml", &[]),
    ];
    for (path, sets) in cases {
        let tmp = tempdir();
        let p = tmp.path().join("pack");
        hostile_pack(
            &p,
            &format!("  - template: t.txt\n    path: {path:?}\n"),
            &[("t.txt", "x\n")],
        );
        let target = tmp.path().join("a/b/target");
        let out = run_pack(&p, &target, sets);
        refused(&out, "not inside the target folder");
        assert!(!target.exists(), "{path}");
        assert!(
            !tmp.path().join("outside.txt").exists() && !tmp.path().join("a/outside.txt").exists()
        );
    }
}

#[test]
fn pack_reads_stay_inside_the_pack() {
    let tmp = tempdir();
    std::fs::write(tmp.path().join("secret.txt"), "secret\n").unwrap();
    for (spec, says) in [
        (
            "  - template: ../secret.txt\n    path: x.txt\n",
            "outside the pack",
        ),
        (
            "  - copy: /etc/hostname\n    path: x.txt\n",
            "outside the pack",
        ),
        (
            "  - copy: link.txt\n    path: x.txt\n",
            "links outside the pack",
        ),
        ("  - template: inc.txt\n    path: x.txt\n", "inc.txt"),
    ] {
        let p = tmp.path().join(format!("pack-{}", spec.len()));
        hostile_pack(
            &p,
            spec,
            &[("inc.txt", "{% include \"../secret.txt\" %}\n")],
        );
        #[cfg(unix)]
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), p.join("link.txt")).unwrap();
        let target = tmp.path().join(format!("target-{}", spec.len()));
        let out = run_pack(&p, &target, &[]);
        refused(&out, says);
        assert!(!target.exists());
    }
}

#[cfg(unix)]
#[test]
fn symlinks_in_the_target_that_lead_outside_are_refused() {
    let tmp = tempdir();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let target = tmp.path().join("repo");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("infrastructure")).unwrap();
    let out = init(&target, &[]);
    refused(&out, "symbolic link");
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert!(!target.join("prerequisites").exists());
    // A link that stays inside the target is fine.
    let inside = tempdir();
    let repo = inside.path().join("repo");
    std::fs::create_dir_all(repo.join("real-infra")).unwrap();
    std::os::unix::fs::symlink(repo.join("real-infra"), repo.join("infrastructure")).unwrap();
    assert!(init(&repo, &[]).status.success());
    assert!(repo.join("real-infra/flux-exception.yaml").exists());
}

#[test]
fn a_broken_manifest_is_a_clear_error() {
    let tmp = tempdir();
    let p = tmp.path().join("pack");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(
        p.join("pack.yaml"),
        "name: x\nversion: \"1\"\nfiles:\n  - template: a\n    path: b\n    surprise: 1\n",
    )
    .unwrap();
    let out = run_pack(&p, &tmp.path().join("t"), &[]);
    refused(&out, "surprise");
}
