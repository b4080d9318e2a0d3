//! An exception file that no stage lists protects nothing: doctor judges
//! exceptions by what Flux applies from the stages, once it knows them.

use super::*;

/// The FS001 findings of `doctor DIR`.
fn fs001(dir: &Path) -> Vec<serde_json::Value> {
    let (_, f) = doctor(dir, &[]);
    f.into_iter().filter(|x| x["rule"] == "FS001").collect()
}

const LISTED: &str = "- flux-exception.yaml\n";

#[test]
fn a_generated_layout_whose_exception_is_unlisted_is_told_to_regen() {
    let tmp = tempdir();
    let root = tmp.path();
    generate(root, &[]);
    assert!(fs001(root).is_empty());
    let k = read(root, "infrastructure/kustomization.yaml");
    assert!(k.contains(LISTED), "{k}");
    write_file(
        root,
        "infrastructure/kustomization.yaml",
        &k.replacen(LISTED, "", 1),
    );
    assert!(root.join("infrastructure/flux-exception.yaml").exists());
    let f = fs001(root);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["command"], "flux-scaffold regen .");
    let msg = f[0]["message"].as_str().unwrap();
    assert!(msg.contains("infrastructure/flux-exception.yaml"), "{msg}");
    // What regen writes puts the entry back, and doctor agrees.
    Test::new().arg("regen").arg(root).success();
    assert!(fs001(root).is_empty());
}

#[test]
fn a_layout_below_the_root_is_named_in_the_command() {
    let tmp = tempdir();
    let layout = tmp.path().join("teams/a");
    generate(&layout, &["iac=terraform"]);
    let rel = "teams/a/infrastructure/kustomization.yaml";
    let k = read(tmp.path(), rel);
    write_file(tmp.path(), rel, &k.replacen(LISTED, "", 1));
    let f = fs001(tmp.path());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["command"], "flux-scaffold regen teams/a");
}

#[test]
fn a_hand_made_repository_whose_exception_is_unlisted_is_told_to_init() {
    let kust = "resources:\n- pod-identity.yaml\n";
    let tmp = broken(&[("infrastructure/kustomization.yaml", Some(kust))]);
    let f = only("FS001", tmp.path());
    assert_eq!(f[0]["command"], "flux-scaffold init .");
    // Listed from another stage Flux applies, it counts again.
    let prereqs = "resources:\n- crds.yaml\n- ../infrastructure/flux-exception.yaml\n";
    let tmp = broken(&[
        ("infrastructure/kustomization.yaml", Some(kust)),
        ("prerequisites/kustomization.yaml", Some(prereqs)),
    ]);
    assert!(fs001(tmp.path()).is_empty());
}

#[test]
fn without_a_known_stage_a_declared_exception_still_counts() {
    // No infrastructure code: doctor cannot tell what Flux applies, so it
    // takes the exception where it is declared.
    let tmp = broken(&[("iac/flux.sh", None)]);
    assert!(fs001(tmp.path()).is_empty());
}
