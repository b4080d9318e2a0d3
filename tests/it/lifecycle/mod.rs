//! The repository as Flux applies it, before and after every run: nothing
//! dropped, nothing dangling, every stage pointed at exists and builds.
//! Builds are `kubectl kustomize`, or Flux's generator rule for a folder
//! without a kustomization (tests/it/common/flux.rs), never the tool's model.

mod cases;
mod property;

use crate::common::flux;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: apps\n")
}

fn regen(dir: &Path, args: &[&str]) -> std::process::Output {
    bin().arg("regen").args(args).arg(dir).output().unwrap()
}

/// Every byte of every file below `root`, the state included.
fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn user_ids(root: &Path, stage: &str) -> BTreeSet<flux::Id> {
    flux::user_ids(&flux::build(root, stage).unwrap_or_else(|e| panic!("{e}")))
}

/// Case 1: a folder without a kustomization keeps everything Flux applied.
#[test]
fn init_keeps_what_flux_applied_from_a_folder_without_kustomization() {
    let repo = Repo::new()
        .file("infrastructure/top.yaml", &cm("top"))
        .file("infrastructure/pod-identity/release.yaml", &cm("release"))
        .file("infrastructure/nginx/deploy.yaml", &cm("nginx"))
        .file("clusters/staging/flux-system/gotk-sync.yaml", &cm("sync"))
        .file(
            "clusters/staging/flux-system/gotk-components.yaml",
            &cm("components"),
        );
    let root = repo.path();
    let before_infra = user_ids(root, "infrastructure");
    let before_clusters = user_ids(root, "clusters/staging");
    assert_eq!(before_infra.len(), 3);
    repo.init(&["iac=az-cli,flux"]).success();
    assert_eq!(user_ids(root, "infrastructure"), before_infra);
    assert_eq!(user_ids(root, "clusters/staging"), before_clusters);
    let built = flux::build(root, "infrastructure").unwrap();
    assert_eq!(
        built
            .iter()
            .filter(|o| o["kind"] == "AzurePodIdentityException")
            .count(),
        2
    );
}

/// Case 2: the entry goes with the file it points at.
#[test]
fn regen_removes_the_entry_of_a_file_it_stops_producing() {
    for change in ["pod_identity=aks-addon", "infra_path=platform"] {
        let tmp = tempdir();
        let root = tmp.path();
        if change.starts_with("infra_path") {
            // What the old folder applied is applied by the new one too.
            write_file(root, "platform/top.yaml", &cm("top"));
        }
        let mine = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  # the team's own\n  - top.yaml\n";
        write_file(root, "infrastructure/kustomization.yaml", mine);
        write_file(root, "infrastructure/top.yaml", &cm("top"));
        assert_success(&init(root, &[]));
        assert!(read(root, "infrastructure/kustomization.yaml").contains("flux-exception.yaml"));
        let out = regen(root, &["--set", change]);
        assert_success(&out);
        assert_eq!(
            read(root, "infrastructure/kustomization.yaml"),
            mine,
            "{change}"
        );
        assert!(stdout(&out).contains("removed flux-exception.yaml"));
        flux::build(root, "infrastructure").unwrap();
        for stage in flux::stages(root) {
            flux::build(root, &stage).unwrap_or_else(|e| panic!("{change}: {e}"));
        }
    }
}

/// Case 3: every folder the configuration points at exists and builds, on
/// both Pod Identity paths, for every environment and infrastructure code.
#[test]
fn every_stage_pointed_at_exists_and_builds() {
    for pi in ["helm", "aks-addon"] {
        let tmp = tempdir();
        let root = tmp.path();
        let set = format!("pod_identity={pi}");
        assert_success(&init(
            root,
            &[
                &set,
                "environments=staging,production",
                "iac=az-cli,terraform,flux",
            ],
        ));
        let stages = flux::stages(root);
        assert!(stages.contains("apps/production") && stages.contains("infrastructure"));
        for stage in &stages {
            flux::build(root, stage).unwrap_or_else(|e| panic!("{pi}: {e}"));
        }
        assert_eq!(regen_check(root).status.code(), Some(0));
    }
}

/// Case 4: adding an environment leaves the existing one where it was.
#[test]
fn adding_an_environment_keeps_the_existing_one() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&["iac=az-cli"]).success();
    let before = flux::environments(root);
    assert_eq!(
        before["staging"],
        ("aks-demo".into(), "cluster-config".into())
    );
    let out = regen(root, &["--set", "environments=staging,production"]);
    assert_success(&out);
    let after = flux::environments(root);
    assert_eq!(after["staging"], before["staging"]);
    assert_eq!(
        after["production"],
        (
            "aks-demo-production".into(),
            "cluster-config-production".into()
        )
    );
    let report = stdout(&out);
    assert!(
        report.contains("cluster_names: staging keeps aks-demo"),
        "{report}"
    );
    // Reordered and shrunk, each environment keeps its own values.
    assert_success(&regen(root, &["--set", "environments=production,staging"]));
    assert_eq!(flux::environments(root), after);
    assert_success(&regen(root, &["--set", "environments=production"]));
    assert_eq!(flux::environments(root)["production"], after["production"]);
    // A second identical run changes nothing.
    let snap = snapshot(root);
    assert_success(&regen(root, &[]));
    assert_eq!(snapshot(root), snap);
}

/// Case 5: init never replaces recorded answers.
#[test]
fn init_with_other_answers_is_refused() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&["environments=staging,production"]).success();
    let snap = snapshot(root);
    let out = init(root, &["environments=staging"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("environments") && err.contains("regen --set"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(snapshot(root), snap, "nothing written");
    // The same answers (or none beyond the recorded ones) are a no-op.
    repo.init(&["environments=staging,production"]).success();
    assert_success(
        &bin()
            .args(["init", "--no-input"])
            .arg(root)
            .output()
            .unwrap(),
    );
    assert_eq!(snapshot(root), snap);
}

/// Case 6: `regen --check` agrees with `regen` after a kept edit.
#[test]
fn check_agrees_with_regen_after_a_kept_edit() {
    let repo = Repo::new();
    let root = repo.path();
    repo.init(&[]).success();
    let f = "infrastructure/flux-exception.yaml";
    repo.write(f, &(repo.read(f) + "# reviewed by the platform team\n"));
    let out = regen(root, &[]);
    assert_success(&out);
    assert!(stdout(&out).contains("nothing to do"));
    assert_eq!(regen(root, &["--check"]).status.code(), Some(0));
    let strict = regen(root, &["--check", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(stderr(&strict).contains(f));
    // What regen would write is drift for both.
    repo.write(
        ".flux-scaffold/answers.yaml",
        &repo
            .read(".flux-scaffold/answers.yaml")
            .replace("flux-system", "flux-ext"),
    );
    assert_eq!(regen(root, &["--check"]).status.code(), Some(1));
}

const ARTICLE_PREREQS: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: pod-identity\n\nresources:\n- https://raw.githubusercontent.com/Azure/aad-pod-identity/master/charts/aad-pod-identity/crds/crd.yaml\n";

const ARTICLE_EXCEPTION: &str = "apiVersion: aadpodidentity.k8s.io/v1\nkind: AzurePodIdentityException\nmetadata:\n  name: flux-extension-exception\n  namespace: flux-system\nspec:\n  podLabels:\n    app.kubernetes.io/name: flux-extension\n";

/// Case 7: a repository that followed the article by hand is adopted.
#[test]
fn an_article_layout_is_adopted_without_force() {
    let repo = Repo::new()
        .file("prerequisites/kustomization.yaml", ARTICLE_PREREQS)
        .file("infrastructure/flux-exception.yaml", ARTICLE_EXCEPTION)
        .file("infrastructure/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - flux-exception.yaml\n");
    let root = repo.path();
    let dry = init_cmd(root, &["--dry-run"], &[]).output().unwrap();
    assert_success(&dry);
    let shown = stdout(&dry);
    assert!(
        shown.contains("--- a/infrastructure/flux-exception.yaml"),
        "{shown}"
    );
    let out = init(root, &[]);
    assert_success(&out);
    let report = stdout(&out);
    assert!(
        report.contains("adopted") && report.contains("master"),
        "{report}"
    );
    assert_eq!(
        repo.read("prerequisites/kustomization.yaml"),
        ARTICLE_PREREQS
    );
    assert_eq!(
        repo.read("infrastructure/flux-exception.yaml"),
        ARTICLE_EXCEPTION
    );
    for stage in flux::stages(root) {
        flux::build(root, &stage).unwrap_or_else(|e| panic!("{e}"));
    }
    repo.regen(&[]).success().stdout_has("nothing to do");
    repo.regen(&["--check"]).success();

    // The same CRDs kept in a file of the user's own: not added twice.
    let repo = Repo::new();
    let root = repo.path();
    let crds = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates/aks-flux-pod-identity/files/pod-identity-crds-v1.8.17.yaml"),
    )
    .unwrap();
    repo.write("prerequisites/pod-identity-cards.yaml", &crds);
    let mine = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- pod-identity-cards.yaml\n";
    repo.write("prerequisites/kustomization.yaml", mine);
    repo.init(&[]).success();
    assert_eq!(repo.read("prerequisites/kustomization.yaml"), mine);
    assert!(!root.join("prerequisites/pod-identity-crds.yaml").exists());
    flux::build(root, "prerequisites").unwrap();
}

/// A run that would leave a stage unbuildable is refused with nothing written.
#[test]
fn a_run_that_would_break_a_stage_is_refused() {
    let repo = Repo::new();
    let root = repo.path(); // The team's own exception, under the same name, in another file.
    repo.write(
        "infrastructure/kustomization.yaml",
        "resources:\n- mine.yaml\n",
    );
    repo.write("infrastructure/mine.yaml", ARTICLE_EXCEPTION);
    let snap = snapshot(root);
    let out = init(root, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("flux-extension-exception") && err.contains("twice"),
        "{err}"
    );
    assert_eq!(snapshot(root), snap);
    // A dry run shows the plan and the refusal, exit 2.
    let dry = init_cmd(root, &["--dry-run"], &[]).output().unwrap();
    assert_eq!(dry.status.code(), Some(2));
    assert!(stdout(&dry).contains("refused"));
}

// ---------------------------------------------------------------------------
// The lifecycle property: random starting repositories, random sequences of
// init and regen --set.
