//! Pod Identity itself through Flux (`pod_identity_release`): the
//! infrastructure stage as kubectl builds it, the HelmRelease checked
//! against the chart it installs (tests/fixtures/aad-pod-identity-chart-4.1.18,
//! vendored from Azure/aad-pod-identity at v1.8.17), and the `auto` choice.

use std::path::Path;

use crate::common::*;
use serde_yaml::Value;

const CHART: &str = "tests/fixtures/aad-pod-identity-chart-4.1.18";

fn fixture(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(CHART).join(name);
    serde_yaml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// Every leaf key path of a values mapping, as `a.b.c`.
fn leaf_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v.as_mapping() {
        Some(m) if !m.is_empty() => {
            for (k, v) in m {
                let k = k.as_str().unwrap();
                let p = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(v, &p, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.as_mapping()?.get(k))
}

#[test]
fn infrastructure_builds_with_the_release_and_the_exception() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["iac=bicep"]);
    let docs = documents(&kustomize_build(&tmp.path().join("infrastructure")));
    let repos = kind(&docs, "HelmRepository");
    let releases = kind(&docs, "HelmRelease");
    assert_eq!((repos.len(), releases.len()), (1, 1), "{docs:?}");
    assert_eq!(kind(&docs, "AzurePodIdentityException").len(), 2);
    let (repo, rel) = (repos[0], releases[0]);
    assert_eq!(repo["apiVersion"], "source.toolkit.fluxcd.io/v1");
    assert_eq!(rel["apiVersion"], "helm.toolkit.fluxcd.io/v2");
    // Multi-tenancy: the release's source in its own namespace, which is
    // the configuration's.
    assert_eq!(repo["metadata"]["namespace"], "cluster-config");
    assert_eq!(rel["metadata"]["namespace"], "cluster-config");
    let src = &rel["spec"]["chart"]["spec"]["sourceRef"];
    assert_eq!(src["kind"], "HelmRepository");
    assert_eq!(src["name"], repo["metadata"]["name"]);
    assert!(
        src.get("namespace").is_none(),
        "no cross-namespace reference"
    );
    assert_eq!(rel["spec"]["targetNamespace"], "aad-pod-identity");
    assert_eq!(rel["spec"]["install"]["createNamespace"], true);
    for e in kind(&docs, "AzurePodIdentityException") {
        assert_eq!(e["metadata"]["namespace"], "flux-system");
    }
}

#[test]
fn the_release_matches_the_chart_it_installs() {
    let chart = fixture("Chart.yaml");
    let values = fixture("values.yaml");
    let index = fixture("index-entry.yaml");
    for (kubenet, allowed) in [("azure", false), ("kubenet", true)] {
        let tmp = tempfile::tempdir().unwrap();
        let net = format!("network_plugin={kubenet}");
        generate(
            tmp.path(),
            &["iac=az-cli", &net, "pod_identity_namespace=pod-identity"],
        );
        let docs = documents(&read(
            tmp.path(),
            "infrastructure/pod-identity-release.yaml",
        ));
        let rel = kind(&docs, "HelmRelease")[0];
        let repo = kind(&docs, "HelmRepository")[0];
        let spec = &rel["spec"]["chart"]["spec"];
        assert_eq!(spec["chart"], chart["name"]);
        assert_eq!(spec["version"], chart["version"]);
        assert_eq!(chart["appVersion"], "1.8.17");
        assert_eq!(values["nmi"]["tag"], "v1.8.17");
        assert_eq!(values["mic"]["tag"], "v1.8.17");
        // The repository URL serves this version of the chart.
        let entry = &index["entries"]["aad-pod-identity"][0];
        assert_eq!(entry["version"], chart["version"]);
        let url = repo["spec"]["url"].as_str().unwrap();
        let tgz = entry["urls"][0].as_str().unwrap();
        assert_eq!(tgz, format!("{url}/aad-pod-identity-4.1.18.tgz"));
        // Every value set is a key of the chart's values.yaml, of its type.
        let mut set = Vec::new();
        leaf_paths(&rel["spec"]["values"], "", &mut set);
        assert!(!set.is_empty());
        for path in &set {
            let theirs = lookup(&values, path)
                .unwrap_or_else(|| panic!("{path} is not a value of the chart"));
            let ours = lookup(&rel["spec"]["values"], path).unwrap();
            assert_eq!(
                std::mem::discriminant(ours),
                std::mem::discriminant(theirs),
                "{path}: {ours:?} vs the chart's {theirs:?}"
            );
        }
        assert_eq!(
            rel["spec"]["values"]["nmi"]["allowNetworkPluginKubenet"],
            allowed
        );
        assert_eq!(rel["spec"]["values"]["nmi"]["micNamespace"], "pod-identity");
        assert_eq!(rel["spec"]["targetNamespace"], "pod-identity");
        // The prerequisites stage owns the CRDs: helm-controller neither
        // installs nor replaces the chart's copy (its crds/ folder).
        assert_eq!(rel["spec"]["install"]["crds"], "Skip");
        assert_eq!(rel["spec"]["upgrade"]["crds"], "Skip");
        let prereqs = kustomize_build(&tmp.path().join("prerequisites"));
        assert_eq!(
            documents(&prereqs)
                .iter()
                .filter(|d| d["kind"] == "CustomResourceDefinition")
                .count(),
            4
        );
    }
}

#[test]
fn the_file_says_why_the_order_holds() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &[]);
    let text = read(tmp.path(), "infrastructure/pod-identity-release.yaml");
    for says in [
        "prerequisites stage",
        "applied together",
        "NMI starts only once",
        "aks-addon-exception in kube-system",
        "none of them covers the Flux pods",
        "multi-tenancy",
    ] {
        assert!(text.contains(says), "{says}");
    }
}

#[test]
fn plain_flux_puts_the_release_in_the_flux_namespace() {
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["iac=flux", "flux_namespace=gitops"]);
    let docs = documents(&kustomize_build(&tmp.path().join("infrastructure")));
    for d in kind(&docs, "HelmRelease")
        .into_iter()
        .chain(kind(&docs, "HelmRepository"))
    {
        assert_eq!(d["metadata"]["namespace"], "gitops");
    }
}

#[test]
fn a_namespace_override_in_infrastructure_moves_both_to_prerequisites() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    put(
        root,
        "infrastructure/kustomization.yaml",
        "namespace: infra\nresources: []\n",
    );
    let out = init(root, &["pod_identity_release=flux"]);
    assert_success(&out);
    assert!(
        !root
            .join("infrastructure/pod-identity-release.yaml")
            .exists()
    );
    let docs = documents(&kustomize_build(&root.join("prerequisites")));
    assert_eq!(kind(&docs, "HelmRelease").len(), 1);
    assert_eq!(kind(&docs, "AzurePodIdentityException").len(), 2);
    assert_eq!(
        kind(&docs, "HelmRelease")[0]["metadata"]["namespace"],
        "cluster-config"
    );
}

/// Write `text` to `rel` below `root`, making its folder.
fn put(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tools\n";

fn has_release(root: &Path) -> bool {
    root.join("infrastructure/pod-identity-release.yaml")
        .exists()
}

#[test]
fn auto_installs_into_a_fresh_folder_only_and_stays() {
    // Fresh: installed, and still there once the folder fills up.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    generate(root, &[]);
    assert!(has_release(root));
    put(root, "infrastructure/ns.yaml", NAMESPACE);
    let k = read(root, "infrastructure/kustomization.yaml");
    put(
        root,
        "infrastructure/kustomization.yaml",
        &k.replace("resources:\n", "resources:\n- ns.yaml\n"),
    );
    assert_eq!(regen_check(root).status.code(), Some(0));
    assert!(has_release(root));

    // A folder already holding the user's resources: not installed, and
    // the report says why and how to have it.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    put(root, "infrastructure/ns.yaml", NAMESPACE);
    let out = init(root, &[]);
    assert_success(&out);
    assert!(!has_release(root));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("--set pod_identity_release=flux"),
        "{report}"
    );
    assert_eq!(regen_check(root).status.code(), Some(0));
}

#[test]
fn auto_leaves_a_repository_that_installs_pod_identity_alone() {
    // The article's repository: a HelmRelease of the chart of its own.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("platform")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/article/infrastructure/pod-identity/release.yaml"),
        root.join("platform/release.yaml"),
    )
    .unwrap();
    let out = init(root, &[]);
    assert_success(&out);
    assert!(!has_release(root));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("already has Pod Identity") && report.contains("platform/release.yaml"),
        "{report}"
    );
    // Given explicitly, it is installed; none never is.
    let tmp = tempfile::tempdir().unwrap();
    generate(tmp.path(), &["pod_identity_release=none"]);
    assert!(!has_release(tmp.path()));
    let k = read(tmp.path(), "infrastructure/kustomization.yaml");
    assert!(!k.contains("pod-identity-release"), "{k}");
}

#[test]
fn choosing_none_later_removes_the_release_and_its_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    generate(root, &[]);
    let out = bin()
        .args(["regen", "--set", "pod_identity_release=none"])
        .arg(root)
        .output()
        .unwrap();
    assert_success(&out);
    assert!(!has_release(root));
    let docs = documents(&kustomize_build(&root.join("infrastructure")));
    assert!(kind(&docs, "HelmRelease").is_empty());
    assert_eq!(kind(&docs, "AzurePodIdentityException").len(), 2);
}

#[test]
fn a_layout_from_before_the_question_is_not_given_a_release() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    generate(root, &["pod_identity_release=none"]);
    // As recorded by a version that did not ask it.
    let state = read(root, ".flux-scaffold/answers.yaml");
    let older: String = state
        .lines()
        .filter(|l| {
            !l.contains("pod_identity_release")
                && !l.contains("pod_identity_namespace")
                && !l.contains("network_plugin")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    put(root, ".flux-scaffold/answers.yaml", &older);
    let out = bin().arg("regen").arg(root).output().unwrap();
    assert_success(&out);
    assert!(!has_release(root));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("before the question existed"), "{report}");
    assert_eq!(regen_check(root).status.code(), Some(0), "and it stays so");
}

#[test]
fn the_release_follows_the_exception_when_it_moves_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    generate(root, &[]);
    assert!(has_release(root));
    let k = read(root, "infrastructure/kustomization.yaml");
    put(
        root,
        "infrastructure/kustomization.yaml",
        &format!("namespace: infra\n{k}"),
    );
    let out = bin().arg("regen").arg(root).output().unwrap();
    assert_success(&out);
    assert!(!has_release(root));
    let docs = documents(&kustomize_build(&root.join("prerequisites")));
    assert_eq!(
        kind(&docs, "HelmRelease").len(),
        1,
        "still installed, from prerequisites"
    );
    assert_eq!(regen_check(root).status.code(), Some(0));
}

/// An edited release kept through `none` is the user's file; choosing
/// `flux` again adopts it as their edit of the render instead of writing
/// conflict markers Flux could not build.
#[test]
fn flux_again_after_none_adopts_the_edited_release() {
    let repo = Repo::new();
    repo.init(&[]).success();
    repo.edit(
        "infrastructure/pod-identity-release.yaml",
        "interval: 10m",
        "interval: 20m",
    );
    let none = repo
        .regen(&["--set", "pod_identity_release=none"])
        .success();
    let said = none.stdout() + &none.stderr();
    assert!(said.contains("Flux keeps applying it"), "{said}");
    repo.regen(&["--set", "pod_identity_release=flux"])
        .success()
        .stdout_has("adopted as your edit");
    let release = repo.read("infrastructure/pod-identity-release.yaml");
    assert!(
        release.contains("interval: 20m") && !release.contains("<<<<<<<"),
        "{release}"
    );
    repo.regen(&["--check"]).success();
    kustomize_build(&repo.join("infrastructure"));
}

/// Switching to the AKS add-on takes the exception out of Flux's hands:
/// the run says Flux prunes it and that it must be in place first.
#[test]
fn switching_to_the_add_on_warns_that_flux_prunes_the_exception() {
    let repo = Repo::new();
    repo.init(&[]).success();
    let ran = repo.regen(&["--set", "pod_identity=aks-addon"]).success();
    let said = ran.stdout() + &ran.stderr();
    assert!(
        said.contains("lets Flux prune the AzurePodIdentityException"),
        "{said}"
    );
}
