//! The repository as Flux applies it, before and after every run: nothing
//! dropped, nothing dangling, every stage pointed at exists and builds.
//! Builds are `kubectl kustomize`, or Flux's generator rule for a folder
//! without a kustomization (tests/it/common/flux.rs), never the tool's model.

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

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Debug, Clone)]
struct Start {
    /// 0 none, 1 manifests without a kustomization, 2 a kustomization of the user's.
    infra: u8,
    nested: bool,
    article_prereqs: bool,
    /// clusters/staging holds a bootstrap (its own kustomization) or plain files.
    clusters: u8,
    apps: bool,
}

#[derive(Debug, Clone)]
enum Step {
    PodIdentity(&'static str),
    InfraPath(&'static str),
    Environments(Vec<&'static str>),
    Iac(&'static str),
    Crds(&'static str),
}

impl Step {
    fn set(&self) -> String {
        match self {
            Step::PodIdentity(v) => format!("pod_identity={v}"),
            Step::InfraPath(v) => format!("infra_path={v}"),
            Step::Environments(v) => format!("environments={}", v.join(",")),
            Step::Iac(v) => format!("iac={v}"),
            Step::Crds(v) => format!("crds={v}"),
        }
    }
}

fn start() -> impl Strategy<Value = Start> {
    (0u8..3, any::<bool>(), any::<bool>(), 0u8..3, any::<bool>()).prop_map(
        |(infra, nested, article_prereqs, clusters, apps)| Start {
            infra,
            nested,
            article_prereqs,
            clusters,
            apps,
        },
    )
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::sample::select(vec!["helm", "aks-addon"]).prop_map(Step::PodIdentity),
        prop::sample::select(vec!["infrastructure", "platform"]).prop_map(Step::InfraPath),
        prop::sample::subsequence(vec!["staging", "production", "dev"], 1..=3)
            .prop_shuffle()
            .prop_map(Step::Environments),
        prop::sample::select(vec![
            "az-cli",
            "az-cli,flux",
            "az-cli,terraform",
            "bicep,az-cli,flux"
        ])
        .prop_map(Step::Iac),
        prop::sample::select(vec!["vendored", "remote"]).prop_map(Step::Crds),
    ]
}

fn lay_out(root: &Path, s: &Start) {
    if s.infra > 0 {
        write_file(root, "infrastructure/top.yaml", &cm("top"));
        if s.nested {
            write_file(root, "infrastructure/plain/deeper/a.yml", &cm("deep"));
            write_file(
                root,
                "infrastructure/unit/kustomization.yaml",
                "resources:\n- u.yaml\n",
            );
            write_file(root, "infrastructure/unit/u.yaml", &cm("unit"));
            write_file(
                root,
                "infrastructure/unit/not-listed.yaml",
                &cm("not-listed"),
            );
        }
        if s.infra == 2 {
            let mut k = String::from(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - top.yaml # first\n",
            );
            if s.nested {
                k.push_str("  - unit\n  - plain/deeper/a.yml\n");
            }
            write_file(root, "infrastructure/kustomization.yaml", &k);
        }
    }
    if s.article_prereqs {
        write_file(root, "prerequisites/kustomization.yaml", ARTICLE_PREREQS);
    }
    match s.clusters {
        1 => {
            write_file(
                root,
                "clusters/staging/flux-system/kustomization.yaml",
                "resources:\n- gotk.yaml\n",
            );
            write_file(root, "clusters/staging/flux-system/gotk.yaml", &cm("gotk"));
        }
        2 => write_file(root, "clusters/staging/sync/sync.yaml", &cm("sync")),
        _ => {}
    }
    if s.apps {
        write_file(
            root,
            "apps/staging/kustomization.yaml",
            "resources:\n- app.yaml\n",
        );
        write_file(root, "apps/staging/app.yaml", &cm("app"));
    }
}

/// What every stage pointed at applies, by stage; a stage that does not
/// build is an error.
fn applied(
    root: &Path,
    stages: &BTreeSet<String>,
) -> Result<BTreeMap<String, BTreeSet<flux::Id>>, String> {
    let mut out = BTreeMap::new();
    for s in stages {
        let objects = flux::build(root, s)?;
        for o in &objects {
            if o["kind"] == "AzurePodIdentityException"
                && o["metadata"]["namespace"] != "flux-system"
            {
                return Err(format!("{s}: an exception outside flux-system: {o:?}"));
            }
        }
        out.insert(s.clone(), flux::user_ids(&objects));
    }
    Ok(out)
}

fn lifecycle(start: &Start, steps: &[Step], ok_steps: &mut usize) -> Result<(), TestCaseError> {
    let repo = Repo::new();
    let root = repo.path();
    lay_out(root, start);
    // Before init, Flux applies what the folders hold (where they build).
    let initial: BTreeSet<String> = [
        "infrastructure",
        "platform",
        "prerequisites",
        "clusters/staging",
        "apps/staging",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let mut before: BTreeMap<String, BTreeSet<flux::Id>> = initial
        .iter()
        .filter_map(|s| {
            flux::build(root, s)
                .ok()
                .map(|o| (s.clone(), flux::user_ids(&o)))
        })
        .collect();
    let mut envs_before = BTreeMap::new();
    for (i, step) in std::iter::once(None)
        .chain(steps.iter().map(Some))
        .enumerate()
    {
        let snap = snapshot(root);
        let out = match step {
            None => init(root, &["iac=az-cli"]),
            Some(s) => regen(root, &["--set", &s.set()]),
        };
        let what = format!("step {i} ({step:?}) of {start:?} then {steps:?}");
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                prop_assert_eq!(snapshot(root), snap, "a refused run wrote: {}", what);
                continue;
            }
            c => {
                return Err(TestCaseError::fail(format!(
                    "{what}: exit {c:?}: {}",
                    stderr(&out)
                )));
            }
        }
        *ok_steps += 1;
        let stages = flux::stages(root);
        let now =
            applied(root, &stages).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
        // Nothing Flux applied before is lost, in any folder it applied.
        for (stage, ids) in &before {
            let after = match now.get(stage) {
                Some(a) => a.clone(),
                None => match flux::build(root, stage) {
                    Ok(o) => flux::user_ids(&o),
                    Err(e) => return Err(TestCaseError::fail(format!("{what}: {e}"))),
                },
            };
            let lost: Vec<_> = ids.difference(&after).collect();
            prop_assert!(lost.is_empty(), "{}: {} lost {:?}", what, stage, lost);
        }
        // Existing environments keep their cluster and configuration.
        let envs = flux::environments(root);
        for (e, v) in &envs_before {
            if let Some(now) = envs.get(e) {
                prop_assert_eq!(now, v, "{}: environment {} moved", what, e);
            }
        }
        // A removed environment added again is a new one.
        envs_before = envs;
        // A second identical run writes nothing.
        let again = regen(root, &["--check"]);
        prop_assert_eq!(again.status.code(), Some(0), "{}: {}", what, stderr(&again));
        before.extend(now);
    }
    Ok(())
}

#[test]
fn lifecycle_property() {
    let config = Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    };
    // The same cases on every CI run; LIFECYCLE_RANDOM=1 explores new ones.
    let mut runner = if std::env::var_os("LIFECYCLE_RANDOM").is_some() {
        TestRunner::new(config)
    } else {
        TestRunner::new_with_rng(
            config,
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        )
    };
    let ok = std::cell::Cell::new(0usize);
    let total = std::cell::Cell::new(0usize);
    runner
        .run(
            &(start(), prop::collection::vec(step(), 1..5)),
            |(s, steps)| {
                let mut n = 0;
                let r = lifecycle(&s, &steps, &mut n);
                ok.set(ok.get() + n);
                total.set(total.get() + steps.len() + 1);
                r
            },
        )
        .unwrap();
    // Refusals are allowed (with nothing written), but most runs must go through.
    assert!(
        ok.get() * 2 > total.get(),
        "only {} of {} steps ran",
        ok.get(),
        total.get()
    );
}

// ---------------------------------------------------------------------------
// Found by a hostile review.

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
