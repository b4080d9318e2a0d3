//! `init` on the Helm path: every generated kustomize folder builds with
//! kubectl, reruns change nothing, and bad answers write nothing.

use std::path::Path;

use crate::common::*;

const PINNED: &str = "https://raw.githubusercontent.com/Azure/aad-pod-identity/v1.8.17/charts/aad-pod-identity/crds/crd.yaml";

fn exceptions(built: &str) -> Vec<serde_yaml::Value> {
    documents(built)
        .into_iter()
        .filter(|d| d["kind"] == "AzurePodIdentityException")
        .collect()
}

fn check_infrastructure(root: &Path, expect_example: bool) {
    let built = kustomize_build(&root.join("infrastructure"));
    let ex = exceptions(&built);
    assert_eq!(ex.len(), 2, "{built}");
    let mut labels: Vec<&str> = ex
        .iter()
        .map(|d| {
            assert_eq!(d["apiVersion"], "aadpodidentity.k8s.io/v1");
            assert_eq!(d["metadata"]["namespace"], "flux-system");
            d["spec"]["podLabels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap()
        })
        .collect();
    labels.sort();
    assert_eq!(labels, ["flux-extension", "microsoft.flux"]);
    if expect_example {
        let kinds: Vec<String> = documents(&built)
            .iter()
            .map(|d| d["kind"].as_str().unwrap().to_string())
            .collect();
        assert!(
            kinds.iter().filter(|k| *k == "HelmRelease").count() == 2,
            "{kinds:?}"
        );
        assert!(kinds.contains(&"HelmRepository".to_string()));
    }
}

/// The CRDs must match the upstream file: kinds, group, versions, scope, names, schema.
fn check_crds(built: &str) {
    let crds = documents(built);
    assert_eq!(crds.len(), 4);
    for c in &crds {
        assert_eq!(c["kind"], "CustomResourceDefinition");
        assert_eq!(
            c["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"],
            "disabled"
        );
    }
    let shared = shared();
    let text = std::fs::read_to_string(
        shared.join("reference/aad-pod-identity-v1.8.17-charts-crds-crd.yaml"),
    )
    .unwrap();
    let upstream = documents(&text);
    assert!(!upstream.is_empty(), "the upstream CRDs were read");
    for (ours, theirs) in crds.iter().zip(&upstream) {
        assert_eq!(
            ours["spec"], theirs["spec"],
            "CRD spec differs from upstream"
        );
        assert_eq!(ours["metadata"]["name"], theirs["metadata"]["name"]);
    }
}

fn run_case(crds: &str, example: bool) {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    if example {
        flux2_example(&root);
    }
    let out = init(&root, &[&format!("crds={crds}")]);
    assert_success(&out);
    check_infrastructure(&root, example);
    let prereqs = root.join("prerequisites");
    let kust = std::fs::read_to_string(prereqs.join("kustomization.yaml")).unwrap();
    let data: serde_yaml::Value = serde_yaml::from_str(&kust).unwrap();
    if crds == "vendored" {
        assert_eq!(data["resources"][0], "pod-identity-crds.yaml");
        check_crds(&kustomize_build(&prereqs));
    } else {
        // Build everything but the fetch: the pinned URL replaced by the same file, locally.
        assert_eq!(data["resources"].as_sequence().unwrap().len(), 1);
        assert_eq!(data["resources"][0], PINNED);
        assert!(!root.join("prerequisites/pod-identity-crds.yaml").exists());
        let offline = tmp.path().join("offline");
        std::fs::create_dir(&offline).unwrap();
        std::fs::write(
            offline.join("kustomization.yaml"),
            kust.replace(PINNED, "crd.yaml"),
        )
        .unwrap();
        std::fs::write(
            offline.join("crd.yaml"),
            flux_scaffold::pack::Pack::builtin("aks-flux-pod-identity")
                .unwrap()
                .read("files/pod-identity-crds-v1.8.17.yaml")
                .unwrap(),
        )
        .unwrap();
        check_crds(&kustomize_build(&offline));
    }
    if example {
        let infra =
            std::fs::read_to_string(root.join("infrastructure/kustomization.yaml")).unwrap();
        assert_eq!(
            infra,
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sources\n  - nginx\n  - redis\n  - flux-exception.yaml\n"
        );
    }
}

#[test]
fn vendored_on_empty_dir() {
    run_case("vendored", false);
}

#[test]
fn remote_on_empty_dir() {
    run_case("remote", false);
}

#[test]
fn vendored_on_flux2_example() {
    run_case("vendored", true);
}

#[test]
fn remote_on_flux2_example() {
    run_case("remote", true);
}

#[test]
fn remote_pins_the_chosen_tag() {
    let tmp = tempdir();
    let out = init(tmp.path(), &["crds=remote", "crds_version=v1.8.16"]);
    assert!(out.status.success());
    let kust =
        std::fs::read_to_string(tmp.path().join("prerequisites/kustomization.yaml")).unwrap();
    assert!(kust.contains("/aad-pod-identity/v1.8.16/charts/"), "{kust}");
    // A vendored copy exists for v1.8.17 only.
    let tmp2 = tempdir();
    let out = init(
        &tmp2.path().join("x"),
        &["crds=vendored", "crds_version=v1.8.16"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("crds_version"));
    assert!(!tmp2.path().join("x").exists());
}

fn mtimes(root: &Path) -> Vec<(String, std::time::SystemTime)> {
    let mut all = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<(String, std::time::SystemTime)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            out.push((
                p.display().to_string(),
                e.metadata().unwrap().modified().unwrap(),
            ));
            if p.is_dir() {
                walk(&p, out);
            }
        }
    }
    walk(root, &mut all);
    all.sort();
    all
}

#[test]
fn second_run_writes_nothing() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    flux2_example(&root);
    assert!(init(&root, &[]).status.success());
    let before = mtimes(&root);
    let bytes_before: Vec<Vec<u8>> = tree(&root)
        .iter()
        .map(|p| std::fs::read(root.join(p)).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = init_cmd(&root, &["--format", "json"], &[])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["written"], false);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 8, "{report}");
    assert!(files.iter().all(|f| f["action"] == "unchanged"), "{report}");
    assert_eq!(mtimes(&root), before);
    let bytes_after: Vec<Vec<u8>> = tree(&root)
        .iter()
        .map(|p| std::fs::read(root.join(p)).unwrap())
        .collect();
    assert_eq!(bytes_before, bytes_after);
}

#[test]
fn dry_run_writes_nothing_and_shows_diffs() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    flux2_example(&root);
    let before = tree(&root);
    let out = init_cmd(&root, &["--dry-run"], &[]).output().unwrap();
    assert!(out.status.success());
    let stdout = stdout(&out);
    assert!(
        stdout.contains("+++ b/infrastructure/kustomization.yaml"),
        "{stdout}"
    );
    assert!(stdout.contains("+  - flux-exception.yaml"), "{stdout}");
    assert!(stdout.contains("dry run: nothing written"));
    assert_eq!(tree(&root), before);
    assert!(!root.join(".flux-scaffold").exists());
}

#[test]
fn bad_answers_exit_2_and_write_nothing() {
    let cases: &[(&str, &str)] = &[
        ("flux_namespace=Flux-System", "flux_namespace"),
        (
            "flux_namespace=a-namespace-name-that-is-far-too-long-for-kubernetes-to-accept-it",
            "flux_namespace",
        ),
        ("prereqs_path=../x", "prereqs_path"),
        ("infra_path=/abs", "infra_path"),
        ("flux_pod_labels=bad label", "flux_pod_labels"),
        (
            "flux_pod_label_key=app.kubernetes.io/",
            "flux_pod_label_key",
        ),
        ("config_name=a\nb", "config_name"),
        ("flux_pod_labels=it's", "flux_pod_labels"),
        ("config_namespace={{ x }}", "config_namespace"),
        ("flux_pod_labels=a#b", "flux_pod_labels"),
        ("git_url=not a url", "git_url"),
        ("git_ref=commit:abc", "git_ref"),
        ("crds=sideways", "crds"),
        ("iac=bicep,cdk", "iac"),
        ("no_such_answer=1", "no_such_answer"),
        ("prereqs_path=infrastructure", "prereqs_path"),
        ("apps_path=infrastructure", "apps_paths"),
    ];
    for (set, key) in cases {
        let tmp = tempdir();
        let root = tmp.path().join("repo");
        let out = init(&root, &[set]);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{set}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{set}: one line: {stderr}"
        );
        assert!(stderr.contains(key), "{set}: names {key}: {stderr}");
        assert!(!root.exists(), "{set}: nothing written");
    }
}

#[test]
fn missing_answers_are_listed_with_their_flags() {
    let tmp = tempdir();
    let out = bin()
        .args(["init", "--no-input"])
        .arg(tmp.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr(&out);
    for key in ["git_url", "cluster_name", "resource_group"] {
        assert!(stderr.contains(&format!("--set {key}=")), "{stderr}");
    }
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn odd_but_legal_values_round_trip() {
    let tmp = tempdir();
    let out = init(
        tmp.path(),
        &["flux_pod_labels=yes,1.0,null,On", "flux_namespace=123"],
    );
    assert_success(&out);
    let text =
        std::fs::read_to_string(tmp.path().join("infrastructure/flux-exception.yaml")).unwrap();
    let docs = documents(&text);
    let values: Vec<&str> = docs
        .iter()
        .map(|d| {
            d["spec"]["podLabels"]["app.kubernetes.io/name"]
                .as_str()
                .expect("a string, not a bool or number")
        })
        .collect();
    assert_eq!(values, ["yes", "1.0", "null", "On"]);
    assert!(
        docs.iter()
            .all(|d| d["metadata"]["namespace"].as_str() == Some("123"))
    );
    kustomize_build(&tmp.path().join("infrastructure"));
}

#[test]
fn existing_kustomization_yml_is_patched_in_place() {
    let tmp = tempdir();
    let infra = tmp.path().join("infrastructure");
    std::fs::create_dir_all(&infra).unwrap();
    std::fs::write(
        infra.join("kustomization.yml"),
        "resources: [] # none yet\n",
    )
    .unwrap();
    assert!(init(tmp.path(), &[]).status.success());
    assert_eq!(
        std::fs::read_to_string(infra.join("kustomization.yml")).unwrap(),
        "resources: [flux-exception.yaml, pod-identity-release.yaml] # none yet\n"
    );
    assert!(!infra.join("kustomization.yaml").exists());
    kustomize_build(&infra);
}

#[test]
fn two_kustomization_files_are_refused() {
    let repo = Repo::new()
        .file("infrastructure/kustomization.yml", "resources: []\n")
        .file("infrastructure/Kustomization", "resources: []\n");
    repo.init(&[]).refused("more than one kustomization");
    assert!(!repo.join("prerequisites").exists());
}

#[test]
fn folder_without_kustomization_keeps_what_it_held() {
    let tmp = tempdir();
    let infra = tmp.path().join("infrastructure");
    std::fs::create_dir_all(infra.join("redis")).unwrap();
    std::fs::create_dir_all(infra.join("plain/deeper")).unwrap();
    std::fs::write(
        infra.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    )
    .unwrap();
    std::fs::write(
        infra.join("redis/kustomization.yaml"),
        "resources:\n- cm.yaml\n",
    )
    .unwrap();
    std::fs::write(
        infra.join("plain/deeper/sa.yml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: s\n  namespace: x\n",
    )
    .unwrap();
    std::fs::write(infra.join("README.md"), "not yaml, not taken\n").unwrap();
    std::fs::write(
        infra.join("redis/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\n",
    )
    .unwrap();
    // Flux's generator fails on a .yaml file that is not Kubernetes objects:
    // the folder is broken for Flux today, and init says so.
    std::fs::write(infra.join("values.yaml"), "replicas: 2\n").unwrap();
    let out = init(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("infrastructure/values.yaml"), "{err}");
    assert!(
        !tmp.path().join("prerequisites").exists(),
        "nothing written"
    );

    std::fs::remove_file(infra.join("values.yaml")).unwrap();
    assert!(init(tmp.path(), &[]).status.success());
    let built = kustomize_build(&infra);
    let kinds: Vec<String> = documents(&built)
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    for k in ["Namespace", "ConfigMap", "ServiceAccount"] {
        assert!(kinds.contains(&k.to_string()), "{k} dropped: {kinds:?}");
    }
    assert_eq!(exceptions(&built).len(), 2);
}

#[test]
fn a_namespace_override_sends_the_exception_to_the_prerequisites_stage() {
    let with_component = |root: &std::path::Path| {
        let comp = root.join("infrastructure/ns");
        std::fs::create_dir_all(&comp).unwrap();
        std::fs::write(
            comp.join("kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: infra\n",
        )
        .unwrap();
    };
    let styles: [(&str, &str, bool); 4] = [
        (
            "top-level",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: infra\nresources: []\n",
            false,
        ),
        (
            "with labels",
            "namespace: infra\ncommonLabels:\n  team: a\nlabels:\n- pairs:\n    tier: x\nresources: []\n",
            false,
        ),
        ("component", "resources: []\ncomponents:\n- ns\n", true),
        (
            "transformer",
            "resources: []\ntransformers:\n- |-\n  apiVersion: builtin\n  kind: NamespaceTransformer\n  metadata:\n    name: ns\n    namespace: infra\n",
            false,
        ),
    ];
    for (style, text, component) in styles {
        let tmp = tempdir();
        let infra = tmp.path().join("infrastructure");
        std::fs::create_dir_all(&infra).unwrap();
        std::fs::write(infra.join("kustomization.yaml"), text).unwrap();
        if component {
            with_component(tmp.path());
        }
        // Asked for the infrastructure stage, the tool refuses: NMI would not
        // see the exception outside the Flux namespace.
        let out = init(tmp.path(), &["exception_stage=infra"]);
        assert_eq!(out.status.code(), Some(2), "{style}");
        let err = stderr(&out);
        assert!(
            err.contains("infra") && err.contains("flux-system"),
            "{style}: {err}"
        );
        assert!(!tmp.path().join("prerequisites").exists(), "{style}");
        // By default it goes where nothing moves it, and says so.
        let out = init(tmp.path(), &[]);
        assert_success(&out);
        let report = stdout(&out);
        assert!(
            report.contains("exception_stage (auto): prereqs"),
            "{style}: {report}"
        );
        assert_eq!(
            std::fs::read_to_string(infra.join("kustomization.yaml")).unwrap(),
            text,
            "{style}: the user's kustomization is untouched"
        );
        let built = kustomize_build(&tmp.path().join("prerequisites"));
        let ex = exceptions(&built);
        assert_eq!(ex.len(), 2, "{style}");
        assert!(
            ex.iter()
                .all(|e| e["metadata"]["namespace"] == "flux-system"),
            "{style}"
        );
        // The prerequisites stage runs before the infrastructure stage.
        let sh = std::fs::read_to_string(tmp.path().join("iac/flux-configuration.sh")).unwrap();
        assert!(
            sh.contains("name=infra path=./infrastructure depends_on=prereqs"),
            "{sh}"
        );
    }
}

#[test]
fn a_file_it_did_not_write_is_adopted_until_forced() {
    let tmp = tempdir();
    let mine = tmp.path().join("infrastructure/flux-exception.yaml");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, "# my own exception\n").unwrap();
    let out = init(tmp.path(), &[]);
    assert_success(&out);
    let report = stdout(&out);
    assert!(
        report.contains("keep       infrastructure/flux-exception.yaml")
            && report.contains("adopted"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        "# my own exception\n"
    );
    let forced = init_cmd(tmp.path(), &["--force"], &[]).output().unwrap();
    assert_success(&forced);
    assert_eq!(
        exceptions(&kustomize_build(&tmp.path().join("infrastructure"))).len(),
        2
    );
}
