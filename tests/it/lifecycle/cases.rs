//! The cases the hostile reviews found: moves, components, patches, artifacts, removals.

use super::*;

/// The tool's own remote CRD entry is the tool's to swap or remove.
#[test]
fn remote_crds_can_be_switched_back_and_repinned() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&["iac=az-cli"]).success();
    assert_success(&regen(root, &["--set", "crds=remote"]));
    assert_success(&regen(root, &["--set", "crds_version=v1.8.16"]));
    let k = repo.read("prerequisites/kustomization.yaml");
    assert!(
        k.contains("v1.8.16/charts") && !k.contains("v1.8.17"),
        "{k}"
    );
    assert_success(&regen(
        root,
        &["--set", "crds=vendored", "--set", "crds_version=v1.8.17"],
    ));
    let k = repo.read("prerequisites/kustomization.yaml");
    assert!(
        !k.contains("https://") && k.contains("pod-identity-crds.yaml"),
        "{k}"
    );
    assert_success(&regen(root, &["--set", "crds=remote"]));
    assert_success(&regen(root, &["--set", "pod_identity=aks-addon"]));
    for stage in flux::stages(root) {
        flux::build(root, &stage).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A component's `namespace:` moves everything its includer builds.
#[test]
fn a_component_that_moves_the_exceptions_is_refused() {
    let repo = Repo::new()
        .file(
            "infrastructure/kustomization.yaml",
            "resources:\n- top.yaml\ncomponents:\n- comp\n",
        )
        .file("infrastructure/top.yaml", &cm("top"))
        .file(
            "infrastructure/comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: infra\n",
        );
    let root = repo.path();
    // What kubectl does with it: the top ConfigMap lands in infra.
    let built = flux::build(root, "infrastructure").unwrap();
    assert_eq!(built[0]["metadata"]["namespace"], "infra");
    let snap = snapshot(root);
    let out = init(root, &["exception_stage=infra"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("AzurePodIdentityException") && err.contains("infra"),
        "{err}"
    );
    assert_eq!(snapshot(root), snap);
    // auto puts it where nothing moves it.
    repo.init(&[]).success();
    let built = flux::build(root, "prerequisites").unwrap();
    let ex: Vec<_> = built
        .iter()
        .filter(|o| o["kind"] == "AzurePodIdentityException")
        .collect();
    assert_eq!(ex.len(), 2);
    assert!(
        ex.iter()
            .all(|o| o["metadata"]["namespace"] == "flux-system")
    );
}

/// Moving a stage's folder would make Flux prune what only the old one applied.
#[test]
fn moving_a_stage_away_from_the_users_resources_is_refused() {
    let repo = Repo::new().file("infrastructure/release.yaml", &cm("release"));
    let root = repo.path();
    repo.init(&["iac=az-cli"]).success();
    let snap = snapshot(root);
    let out = regen(root, &["--set", "infra_path=platform"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("ConfigMap release") && err.contains("platform"),
        "{err}"
    );
    assert_eq!(snapshot(root), snap);
    // Moved along by the user first, the same change goes through.
    repo.write("platform/release.yaml", &cm("release"));
    std::fs::remove_file(root.join("infrastructure/release.yaml")).unwrap();
    repo.write(
        "infrastructure/kustomization.yaml",
        &repo
            .read("infrastructure/kustomization.yaml")
            .replace("- release.yaml\n", ""),
    );
    assert_success(&regen(root, &["--set", "infra_path=platform"]));
    assert!(
        user_ids(root, "platform")
            .iter()
            .any(|(_, _, n)| n == "release")
    );
    // Removing an environment is said, not refused.
    repo.write("apps/staging/app.yaml", &cm("app"));
    repo.write(
        "apps/staging/kustomization.yaml",
        "resources:\n- app.yaml\n",
    );
    assert_success(&regen(root, &["--set", "environments=staging,production"]));
    let out = regen(root, &["--set", "environments=production"]);
    assert_success(&out);
    assert!(stdout(&out).contains("apps/staging is gone"));
}

/// init again with the recorded answers merges like regen: a template
/// change reaches an edited file, and its base is not replaced.
#[test]
fn init_again_never_replaces_a_base() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&[]).success();
    let f = "infrastructure/flux-exception.yaml";
    repo.write(f, &(repo.read(f) + "# mine\n"));
    let snap = snapshot(root);
    repo.init(&[]).success();
    repo.init(&["iac=az-cli,bicep"]).success();
    // A bare name is a branch: the same answer as the recorded branch:main.
    repo.init(&["git_ref=main"]).success();
    assert_eq!(
        snapshot(root),
        snap,
        "the same answers, in any order: nothing written"
    );
    assert_eq!(regen_check(root).status.code(), Some(0));
}

/// An entry the user wrote before the tool wrote the file goes with it.
#[test]
fn an_entry_listed_by_hand_goes_with_the_file() {
    let repo = Repo::new()
        .file(
            "infrastructure/kustomization.yaml",
            "resources:\n- top.yaml\n- ./flux-exception.yaml\n",
        )
        .file("infrastructure/top.yaml", &cm("top"));
    let root = repo.path();
    repo.init(&[]).success();
    assert_success(&regen(root, &["--set", "pod_identity=aks-addon"]));
    assert_eq!(
        repo.read("infrastructure/kustomization.yaml"),
        "resources:\n- top.yaml\n"
    );
}

/// Flux never sees what its source-controller leaves out of the artifact:
/// symbolic links, `.sourceignore` patterns, its default exclusions.
#[test]
fn what_the_artifact_leaves_out_is_not_listed() {
    let repo = Repo::new().file("infrastructure/real/a.yaml", &cm("a"));
    let root = repo.path();
    std::os::unix::fs::symlink("real", root.join("infrastructure/link")).unwrap();
    repo.write("infrastructure/tests/fixture.yaml", "not: kubernetes\n");
    repo.write("infrastructure/.sops.yaml", "creation_rules: []\n");
    repo.write(".sourceignore", "# test fixtures\ninfrastructure/tests/\n");
    // A .sourceignore below the root scopes its patterns to its folder.
    repo.write("infrastructure/real/.sourceignore", "skip.yaml\n");
    repo.write("infrastructure/real/deeper/skip.yaml", "not: kubernetes\n");
    repo.write("infrastructure/skip.yaml", &cm("kept"));
    repo.init(&[]).success();
    let k = repo.read("infrastructure/kustomization.yaml");
    assert_eq!(
        k,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- real/a.yaml\n- skip.yaml\n- flux-exception.yaml\n"
    );
    flux::build(root, "infrastructure").unwrap();
    // An entry through a symbolic link points at nothing Flux has: a stage
    // broken before the run is reported (the run did not break it).
    repo.write(
        "infrastructure/kustomization.yaml",
        &k.replace("- real/a.yaml\n", "- link/a.yaml\n"),
    );
    let out = regen(root, &["--set", "pod_identity=aks-addon"]);
    assert_success(&out);
    let report = stdout(&out);
    assert!(
        report.contains("Flux cannot build infrastructure") && report.contains("symbolic link"),
        "{report}"
    );
}

// ---------------------------------------------------------------------------
// Found by a second hostile review.

/// The CRD URL a hand-made prerequisites kustomization lists provides the
/// CRDs, never the exception that auto puts beside them.
#[test]
fn an_article_prerequisites_stage_still_gets_the_exception() {
    let repo = Repo::new()
        .file(
            "prerequisites/kustomization.yaml",
            &ARTICLE_PREREQS.replace("namespace: pod-identity\n", ""),
        )
        .file(
            "infrastructure/kustomization.yaml",
            "namespace: infra\nresources: []\n",
        );
    let root = repo.path();
    repo.init(&[]).success();
    let k = repo.read("prerequisites/kustomization.yaml");
    assert!(
        k.contains("- flux-exception.yaml") && !k.contains("pod-identity-crds.yaml"),
        "{k}"
    );
    assert!(root.join("prerequisites/flux-exception.yaml").exists());
}

/// Patches or replacements that touch namespaces cannot be worked out
/// offline: auto keeps the exception away from them.
#[test]
fn patches_that_touch_namespaces_keep_the_exception_out() {
    let repo = Repo::new();
    let root = repo.path();
    let k = "resources:\n- top.yaml\npatches:\n- target:\n    name: \".*\"\n  patch: |-\n    - op: replace\n      path: /metadata/namespace\n      value: infra\n";
    repo.write("infrastructure/kustomization.yaml", k);
    repo.write("infrastructure/top.yaml", &cm("top"));
    assert_eq!(
        init(root, &["exception_stage=infra"]).status.code(),
        Some(2)
    );
    repo.init(&[]).success();
    assert_eq!(repo.read("infrastructure/kustomization.yaml"), k);
    let built = flux::build(root, "prerequisites").unwrap();
    assert!(
        built
            .iter()
            .any(|o| o["kind"] == "AzurePodIdentityException"
                && o["metadata"]["namespace"] == "flux-system")
    );
}

/// Each environment's apps stage keeps what it applied: swapping folders
/// between environments would prune both.
#[test]
fn swapping_apps_folders_between_environments_is_refused() {
    let repo = Repo::new();
    let root = repo.path();
    assert_success(&init(
        root,
        &["iac=az-cli", "environments=staging,production"],
    ));
    repo.write(
        "apps/staging/kustomization.yaml",
        "resources:\n- app.yaml\n",
    );
    repo.write("apps/staging/app.yaml", &cm("stg-app"));
    let out = regen(root, &["--set", "apps_paths=apps/production,apps/staging"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stg-app"));
}

/// A file of the tool's that the user removed takes its entry with it.
#[test]
fn a_file_removed_by_hand_takes_its_entry() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&["iac=az-cli"]).success();
    std::fs::remove_file(root.join("infrastructure/flux-exception.yaml")).unwrap();
    assert_eq!(regen_check(root).status.code(), Some(1));
    assert_success(&regen(root, &[]));
    assert!(
        !repo
            .read("infrastructure/kustomization.yaml")
            .contains("flux-exception")
    );
    flux::build(root, "infrastructure").unwrap();
    assert_eq!(regen_check(root).status.code(), Some(0));
}
