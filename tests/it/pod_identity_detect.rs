//! Pod Identity installed other ways than a HelmRelease of the chart by
//! name: `pod_identity_release=auto` must see each and install no second
//! copy, and doctor must see each as an install (FS001 names it while no
//! exception leaves Flux alone).

use crate::common::*;

const OCI_REPOSITORY: &str = "apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata:
  name: pod-identity
  namespace: flux-system
spec:
  interval: 1h
  url: oci://registry.example.com/charts/aad-pod-identity
  ref:
    tag: 4.1.18
";

const CHART_REF: &str = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: pod-identity
  namespace: flux-system
spec:
  interval: 1h
  releaseName: aad-pod-identity
  targetNamespace: kube-system
  chartRef:
    kind: OCIRepository
    name: pod-identity
";

const GIT_SOURCE: &str = "apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: aad-pod-identity
  namespace: flux-system
spec:
  interval: 1h
  url: https://github.com/Azure/aad-pod-identity
  ref:
    tag: v1.8.17
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: aad-pod-identity
  namespace: flux-system
spec:
  interval: 1h
  path: ./deploy/infra
  prune: true
  sourceRef:
    kind: GitRepository
    name: aad-pod-identity
";

const TERRAFORM: &str = r#"resource "helm_release" "pod_identity" {
  name       = "aad-pod-identity"
  repository = "https://raw.githubusercontent.com/Azure/aad-pod-identity/master/charts"
  chart      = "aad-pod-identity"
  version    = "4.1.18"
  namespace  = "kube-system"
}
"#;

/// A workload of the upstream manifests running `image`.
fn workload(kind: &str, name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: default
spec:
  selector:
    matchLabels:
      component: {name}
  template:
    metadata:
      labels:
        component: {name}
    spec:
      containers:
      - name: {name}
        image: \"{image}\"
"
    )
}

/// Doctor sees the install at `file` (FS001, as nothing leaves Flux
/// alone yet); init with `auto` installs no second copy and says why.
fn detected(files: &[(&str, &str)], file: &str) {
    let repo = files
        .iter()
        .fold(Repo::new(), |r, (path, text)| r.file(path, text));
    let report = Test::new()
        .arg("doctor")
        .arg(repo.path())
        .args(&["--format", "json"])
        .run()
        .json();
    let fs001: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "FS001")
        .collect();
    assert_eq!(fs001.len(), 1, "{report:#}");
    assert_eq!(fs001[0]["file"], file, "{report:#}");
    // And nothing else: the upstream repository's paths are not this one's.
    assert_eq!(report["summary"]["errors"], 1, "{report:#}");
    let out = repo.init(&["iac=flux"]).success().stdout();
    assert!(
        !repo
            .join("infrastructure/pod-identity-release.yaml")
            .exists(),
        "{out}"
    );
    assert!(
        out.contains("already has Pod Identity") && out.contains(file),
        "{out}"
    );
}

#[test]
fn a_kustomize_helm_charts_entry() {
    let k = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
helmCharts:
- name: aad-pod-identity
  repo: https://raw.githubusercontent.com/Azure/aad-pod-identity/master/charts
  version: 4.1.18
  releaseName: aad-pod-identity
  namespace: kube-system
";
    detected(
        &[("platform/kustomization.yaml", k)],
        "platform/kustomization.yaml",
    );
}

#[test]
fn a_helm_release_with_a_chart_ref_to_an_oci_repository() {
    detected(
        &[
            ("platform/sources/oci.yaml", OCI_REPOSITORY),
            ("platform/release.yaml", CHART_REF),
        ],
        "platform/release.yaml",
    );
}

#[test]
fn a_chart_ref_to_another_chart_is_no_install() {
    let other = OCI_REPOSITORY.replace("charts/aad-pod-identity", "charts/podinfo");
    let repo = Repo::new()
        .file("platform/sources/oci.yaml", &other)
        .file("platform/release.yaml", CHART_REF);
    repo.init(&["iac=flux"]).success();
    assert!(
        repo.join("infrastructure/pod-identity-release.yaml")
            .exists()
    );
}

#[test]
fn the_upstream_nmi_and_mic_workloads() {
    let nmi = workload(
        "DaemonSet",
        "nmi",
        "mcr.microsoft.com/oss/azure/aad-pod-identity/nmi:v1.8.17",
    );
    detected(&[("platform/nmi.yaml", &nmi)], "platform/nmi.yaml");
    let mic = workload(
        "Deployment",
        "mic",
        "mcr.microsoft.com/oss/azure/aad-pod-identity/mic:v1.8.17",
    );
    detected(&[("platform/mic.yaml", &mic)], "platform/mic.yaml");
}

#[test]
fn a_kustomization_listing_the_upstream_manifests() {
    let k = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- https://raw.githubusercontent.com/Azure/aad-pod-identity/v1.8.17/deploy/infra/deployment-rbac.yaml
";
    detected(
        &[("platform/kustomization.yaml", k)],
        "platform/kustomization.yaml",
    );
}

#[test]
fn a_terraform_helm_release() {
    detected(
        &[("terraform/pod-identity.tf", TERRAFORM)],
        "terraform/pod-identity.tf",
    );
}

#[test]
fn a_flux_source_of_the_upstream_repository() {
    detected(
        &[("clusters/prod/pod-identity.yaml", GIT_SOURCE)],
        "clusters/prod/pod-identity.yaml",
    );
}
