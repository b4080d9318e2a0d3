//! Every examples/*/tree is exactly what the tool generates from the
//! answers.yaml beside it (refresh with scripts/update-examples.sh), and
//! every kustomize folder in it builds.

use std::path::Path;

use crate::common::*;

#[test]
fn examples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let dir = entry.path();
        let answers = dir.join("answers.yaml");
        if !answers.is_file() {
            continue;
        }
        seen += 1;
        let tmp = tempdir();
        let out = bin()
            .args(["init", "--no-input", "--quiet", "--answers"])
            .arg(&answers)
            .arg(tmp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}: {}", dir.display(), stderr(&out));
        let expected = dir.join("tree");
        let stale = format!(
            "{} is stale: run scripts/update-examples.sh",
            expected.display()
        );
        assert_eq!(tree(tmp.path()), tree(&expected), "{stale}");
        for rel in tree(&expected) {
            assert_eq!(
                std::fs::read(tmp.path().join(&rel)).unwrap(),
                std::fs::read(expected.join(&rel)).unwrap(),
                "{rel}: {stale}"
            );
            if rel.ends_with("kustomization.yaml") && !rel.starts_with(".flux-scaffold") {
                let folder = expected.join(&rel).parent().unwrap().to_path_buf();
                let text = std::fs::read_to_string(expected.join(&rel)).unwrap();
                if !text.contains("https://") {
                    kustomize_build(&folder);
                }
            }
        }
    }
    assert_eq!(seen, 4);
}
