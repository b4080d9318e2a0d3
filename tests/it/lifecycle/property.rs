//! Random repositories and init/regen sequences, each step judged by kubectl kustomize and the generator rule.

use super::*;

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
