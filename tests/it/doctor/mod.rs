//! `flux-scaffold doctor`: every rule fires on a repository broken in its
//! way and on nothing else; generated layouts and the real-world corpus
//! raise no error; the article's repository shows every mistake it has.

mod repos;
mod rules;
mod unlisted_exception;

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;

/// `doctor --format json DIR ARGS`: exit code and findings.
fn doctor(dir: &Path, args: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let ran = Test::new()
        .arg("doctor")
        .arg(dir)
        .args(&["--format", "json"])
        .args(args)
        .run();
    (
        ran.0.status.code().unwrap_or(-1),
        ran.json()["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    )
}

fn rules(findings: &[serde_json::Value]) -> BTreeSet<String> {
    findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        write_file(root, rel, text);
    }
}

const CRDS: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: azureidentities.aadpodidentity.k8s.io
spec:
  group: aadpodidentity.k8s.io
  names:
    kind: AzureIdentity
  scope: Namespaced
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: azurepodidentityexceptions.aadpodidentity.k8s.io
spec:
  group: aadpodidentity.k8s.io
  names:
    kind: AzurePodIdentityException
  scope: Namespaced
";

const EXCEPTIONS: &str = "apiVersion: aadpodidentity.k8s.io/v1
kind: AzurePodIdentityException
metadata:
  name: flux-extension-exception
  namespace: flux-system
spec:
  podLabels:
    app.kubernetes.io/name: flux-extension
---
apiVersion: aadpodidentity.k8s.io/v1
kind: AzurePodIdentityException
metadata:
  name: microsoft-flux-exception
  namespace: flux-system
spec:
  podLabels:
    app.kubernetes.io/name: microsoft.flux
";

const RELEASE: &str = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: aad-pod-identity
  namespace: kube-system
spec:
  interval: 1h
  chart:
    spec:
      chart: aad-pod-identity
      sourceRef:
        kind: HelmRepository
        name: aad-pod-identity
";

const AZ: &str = "#!/usr/bin/env bash
az k8s-configuration flux create -g rg -c aks -t managedClusters -n config --namespace config \\
  --scope cluster -u https://github.com/contoso/gitops --branch main --interval 10m \\
  --kustomization name=prereqs path=./prerequisites prune=true \\
  --kustomization name=infra path=./infrastructure depends_on=prereqs prune=true \\
  --kustomization name=apps path=./apps depends_on=infra prune=true sync_interval=10m
";

/// Flux Kustomization objects (upstream Flux, no extension) for `good()`'s stages.
const UPSTREAM_FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: prereqs
  namespace: flux-system
spec:
  path: ./prerequisites
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infra
  namespace: flux-system
spec:
  dependsOn:
    - name: prereqs
  path: ./infrastructure
";

/// A hand-made repository with nothing wrong: Helm-installed Pod
/// Identity, CRDs in a protected prerequisites stage, both exceptions.
fn good() -> Vec<(String, String)> {
    [
        ("iac/flux.sh", AZ),
        (
            "prerequisites/kustomization.yaml",
            "commonAnnotations:\n  kustomize.toolkit.fluxcd.io/prune: disabled\nresources:\n- crds.yaml\n",
        ),
        ("prerequisites/crds.yaml", CRDS),
        (
            "infrastructure/kustomization.yaml",
            "resources:\n- pod-identity.yaml\n- flux-exception.yaml\n",
        ),
        ("infrastructure/pod-identity.yaml", RELEASE),
        ("infrastructure/flux-exception.yaml", EXCEPTIONS),
        ("apps/kustomization.yaml", "resources: []\n"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), c.to_string()))
    .collect()
}

/// `good()` with `change` applied (a file's new text, or None to delete it).
fn broken(changes: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let tmp = tempdir();
    let mut files = good();
    for (p, c) in changes {
        files.retain(|(q, _)| q != p);
        if let Some(c) = c {
            files.push((p.to_string(), c.to_string()));
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    write(tmp.path(), &refs);
    tmp
}

fn replace(file: &str, from: &str, to: &str) -> String {
    let text = good()
        .into_iter()
        .find(|(p, _)| p == file)
        .map(|(_, c)| c)
        .unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    text.replacen(from, to, 1)
}

/// Exactly `rule` fires on the repository, and the finding names a line.
fn only(rule: &str, dir: &Path) -> Vec<serde_json::Value> {
    let (_, findings) = doctor(dir, &[]);
    assert_eq!(
        rules(&findings),
        BTreeSet::from([rule.to_string()]),
        "{findings:#?}"
    );
    for f in &findings {
        assert!(f["line"].as_u64().unwrap() >= 1 && !f["fix"].as_str().unwrap().is_empty());
    }
    findings
}

/// The findings on `good()` with `az` as its script.
fn with_az(az: &str) -> Vec<serde_json::Value> {
    doctor(broken(&[("iac/flux.sh", Some(az))]).path(), &[]).1
}

/// Exactly `rule` fires on `good()` with `az` as its script.
fn only_az(rule: &str, az: &str) -> Vec<serde_json::Value> {
    only(rule, broken(&[("iac/flux.sh", Some(az))]).path())
}
