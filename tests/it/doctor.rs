//! `flux-scaffold doctor`: every rule fires on a repository broken in its
//! way and on nothing else; generated layouts and the real-world corpus
//! raise no error; the article's repository shows every mistake it has.

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

#[test]
fn the_good_repository_is_clean() {
    let tmp = broken(&[]);
    let (code, findings) = doctor(tmp.path(), &["--fail-on", "note"]);
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(code, 0);
}

#[test]
fn fs001_pod_identity_without_an_exception() {
    let kust = "resources:\n- pod-identity.yaml\n";
    let tmp = broken(&[
        ("infrastructure/flux-exception.yaml", None),
        ("infrastructure/kustomization.yaml", Some(kust)),
    ]);
    let f = only("FS001", tmp.path());
    assert_eq!(f[0]["file"], "infrastructure/pod-identity.yaml");
    assert_eq!(f[0]["line"], 10);
    assert_eq!(f[0]["command"], "flux-scaffold init .");
    // Without Pod Identity, no exception is needed.
    let tmp = broken(&[
        ("infrastructure/flux-exception.yaml", None),
        ("infrastructure/pod-identity.yaml", None),
        ("infrastructure/kustomization.yaml", Some("resources: []\n")),
    ]);
    assert!(doctor(tmp.path(), &[]).1.is_empty());
}

#[test]
fn fs002_an_exception_moved_by_a_namespace_override() {
    let kust = replace(
        "infrastructure/kustomization.yaml",
        "resources:",
        "namespace: infra\nresources:",
    );
    let tmp = broken(&[("infrastructure/kustomization.yaml", Some(&kust))]);
    let f = only("FS002", tmp.path());
    assert_eq!(f.len(), 2);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("Flux applies it in infra")
    );
    // Through a parent kustomization's override too.
    let tmp = broken(&[
        (
            "infrastructure/kustomization.yaml",
            Some("resources:\n- pod-identity.yaml\n- exceptions\n"),
        ),
        (
            "infrastructure/exceptions/kustomization.yaml",
            Some("resources:\n- ../flux-exception.yaml\n"),
        ),
        (
            "infrastructure/kustomization.yaml",
            Some("namespace: infra\nresources:\n- pod-identity.yaml\n- exceptions\n"),
        ),
    ]);
    assert_eq!(only("FS002", tmp.path()).len(), 2);
    // An override in a kustomization that does not include the exception does nothing.
    let tmp = broken(&[(
        "apps/kustomization.yaml",
        Some("namespace: apps\nresources: []\n"),
    )]);
    assert!(doctor(tmp.path(), &[]).1.is_empty());
}

#[test]
fn fs003_exception_labels_that_match_no_flux_pod() {
    let ex = EXCEPTIONS
        .replace("app.kubernetes.io/name: flux-extension", "app: flux")
        .replace("app.kubernetes.io/name: microsoft.flux", "app: flux-agent");
    let tmp = broken(&[("infrastructure/flux-exception.yaml", Some(&ex))]);
    let f = only("FS003", tmp.path());
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0]["file"].as_str(), f[0]["line"].as_u64()),
        (Some("infrastructure/flux-exception.yaml"), Some(4))
    );
    // Upstream Flux's labels are right for upstream Flux (Flux objects, no extension).
    let ex = EXCEPTIONS.replace(
        "app.kubernetes.io/name: flux-extension",
        "app.kubernetes.io/part-of: flux",
    );
    let (_, f) = doctor(
        broken(&[("infrastructure/flux-exception.yaml", Some(&ex))]).path(),
        &[],
    );
    assert_eq!(
        rules(&f),
        BTreeSet::from(["FS003".to_string(), "FS004".to_string()]),
        "the extension's pods do not carry part-of"
    );
    // Upstream Flux (Flux objects, no extension): part-of: flux is right.
    let flux = UPSTREAM_FLUX;
    let ex = EXCEPTIONS
        .replace(
            "app.kubernetes.io/name: flux-extension",
            "app.kubernetes.io/part-of: flux",
        )
        .replace(
            "app.kubernetes.io/name: microsoft.flux",
            "app.kubernetes.io/component: kustomize-controller",
        );
    let tmp = broken(&[
        ("iac/flux.sh", None),
        ("clusters/prod/flux.yaml", Some(flux)),
        ("infrastructure/flux-exception.yaml", Some(&ex)),
    ]);
    let (_, f) = doctor(tmp.path(), &["--fail-on", "note"]);
    assert!(f.is_empty(), "{f:#?}");
    // And there, the extension's labels match nothing.
    let tmp = broken(&[
        ("iac/flux.sh", None),
        ("clusters/prod/flux.yaml", Some(flux)),
    ]);
    assert_eq!(only("FS003", tmp.path()).len(), 2);
}

#[test]
fn fs004_one_label_value_only() {
    let one = EXCEPTIONS.split("---\n").nth(1).unwrap();
    let tmp = broken(&[("infrastructure/flux-exception.yaml", Some(one))]);
    let f = only("FS004", tmp.path());
    assert_eq!(f[0]["severity"], "warning");
    assert!(f[0]["fix"].as_str().unwrap().contains("flux-extension"));
    // A warning: the default --fail-on error passes, --fail-on warning fails.
    assert_eq!(doctor(tmp.path(), &[]).0, 0);
    assert_eq!(doctor(tmp.path(), &["--fail-on", "warning"]).0, 1);
}

#[test]
fn fs005_fs006_remote_crds_unpinned_or_v1beta1() {
    let remote = |r: &str| {
        format!(
            "commonAnnotations:\n  kustomize.toolkit.fluxcd.io/prune: disabled\nresources:\n- https://raw.githubusercontent.com/Azure/aad-pod-identity/{r}/charts/aad-pod-identity/crds/crd.yaml\n"
        )
    };
    let run = |r: &str| {
        let k = remote(r);
        let tmp = broken(&[
            ("prerequisites/crds.yaml", None),
            ("prerequisites/kustomization.yaml", Some(&k)),
        ]);
        doctor(tmp.path(), &[]).1
    };
    let f = run("master");
    assert_eq!(rules(&f), BTreeSet::from(["FS005".to_string()]), "{f:#?}");
    assert_eq!(
        (f[0]["file"].as_str(), f[0]["line"].as_u64()),
        (Some("prerequisites/kustomization.yaml"), Some(4))
    );
    assert!(f[0]["fix"].as_str().unwrap().contains("/v1.8.17/"));
    assert_eq!(rules(&run("v1.7.5")), BTreeSet::from(["FS006".to_string()]));
    assert_eq!(rules(&run("v1.5.5")), BTreeSet::from(["FS006".to_string()]));
    assert!(run("v1.8.17").is_empty());
    assert!(
        run("${CRDS_VERSION}").is_empty(),
        "an expression is not judged"
    );
    assert!(run("0123456789abcdef0123456789abcdef01234567").is_empty());
}

#[test]
fn fs007_crds_flux_may_prune() {
    let tmp = broken(&[(
        "prerequisites/kustomization.yaml",
        Some("resources:\n- crds.yaml\n"),
    )]);
    let f = only("FS007", tmp.path());
    assert_eq!(f.len(), 2);
    // The annotation on the CRD itself is enough.
    let crds = CRDS.replace(
        "metadata:\n",
        "metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n",
    );
    let tmp = broken(&[
        (
            "prerequisites/kustomization.yaml",
            Some("resources:\n- crds.yaml\n"),
        ),
        ("prerequisites/crds.yaml", Some(&crds)),
    ]);
    assert!(doctor(tmp.path(), &[]).1.is_empty());
}

#[test]
fn fs008_a_stage_path_that_does_not_exist() {
    let az = AZ.replace("path=./apps ", "path=./apps/staging ");
    let tmp = broken(&[("iac/flux.sh", Some(&az))]);
    let f = only("FS008", tmp.path());
    assert_eq!(
        (f[0]["file"].as_str(), f[0]["line"].as_u64()),
        (Some("iac/flux.sh"), Some(6))
    );
}

#[test]
fn fs009_a_stage_that_does_not_build() {
    let k = replace(
        "infrastructure/kustomization.yaml",
        "- flux-exception.yaml\n",
        "- flux-exception.yaml\n- gone.yaml\n",
    );
    let tmp = broken(&[("infrastructure/kustomization.yaml", Some(&k))]);
    let f = only("FS009", tmp.path());
    assert_eq!(
        (f[0]["file"].as_str(), f[0]["line"].as_u64()),
        (Some("infrastructure/kustomization.yaml"), Some(4))
    );
    // A duplicate id: the same exception twice in one stage.
    let k = replace(
        "infrastructure/kustomization.yaml",
        "- flux-exception.yaml\n",
        "- flux-exception.yaml\n- again.yaml\n",
    );
    let tmp = broken(&[
        ("infrastructure/kustomization.yaml", Some(&k)),
        (
            "infrastructure/again.yaml",
            Some(EXCEPTIONS.split("---\n").next().unwrap()),
        ),
    ]);
    let f = only("FS009", tmp.path());
    assert!(
        f[0]["message"].as_str().unwrap().contains("twice"),
        "{f:#?}"
    );
}

#[test]
fn fs010_depends_on_with_quotes_or_brackets() {
    let az = AZ.replace("depends_on=prereqs", "dependsOn=[\"prereqs\"]");
    let f = only_az("FS010", &az);
    assert_eq!(
        f[0]["severity"], "warning",
        "bash strips the quotes: fragile, not broken"
    );
    // Single-quoted, the double quotes reach az and stay in the name.
    let az = AZ.replace("depends_on=infra", "'depends_on=[\"infra\"]'");
    let f = only_az("FS010", &az);
    assert_eq!(f[0]["severity"], "error");
    assert!(
        f[0]["message"].as_str().unwrap().contains("\\\"infra\\\""),
        "{f:#?}"
    );
    assert_eq!(
        doctor(broken(&[("iac/flux.sh", Some(&az))]).path(), &[]).0,
        1
    );
}

#[test]
fn fs011_prune_false_is_sent_as_true() {
    let az = AZ.replace(
        "path=./apps depends_on=infra prune=true",
        "path=./apps depends_on=infra prune=false",
    );
    only_az("FS011", &az);
}

#[test]
fn fs012_the_help_spelling_of_disable_health_check() {
    let az = AZ.replace(
        "sync_interval=10m",
        "sync_interval=10m disable_health_check=true",
    );
    only_az("FS012", &az);
    let az = AZ.replace(
        "sync_interval=10m",
        "sync_interval=10m disable-health-check=true",
    );
    assert!(with_az(&az).is_empty());
}

#[test]
fn fs013_durations_az_misreads() {
    for bad in ["30s1m", "500ms", "1h1h"] {
        let az = AZ.replace("sync_interval=10m", &format!("sync_interval={bad}"));
        only_az("FS013", &az);
    }
    let az = AZ.replace("--interval 10m", "--interval 1h1h");
    only_az("FS013", &az);
    let az = AZ.replace("sync_interval=10m", "sync_interval=1m30s");
    assert!(with_az(&az).is_empty());
}

#[test]
fn fs014_the_articles_kustomization_typos() {
    let tmp = broken(&[
        ("apps/kustomization.yaml", None),
        (
            "apps/customization.yaml",
            Some(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Customization\nresources: []\n",
            ),
        ),
    ]);
    let f = only("FS014", tmp.path());
    assert_eq!(f.len(), 2, "the file name and the kind: {f:#?}");
}

#[test]
fn fs015_one_exception_name_twice() {
    let tmp = broken(&[
        (
            "apps/kustomization.yaml",
            Some("resources:\n- flux-exception.yaml\n"),
        ),
        (
            "apps/flux-exception.yaml",
            Some(EXCEPTIONS.split("---\n").next().unwrap()),
        ),
    ]);
    let f = only("FS015", tmp.path());
    assert_eq!(f[0]["file"], "infrastructure/flux-exception.yaml");
}

#[test]
fn fs016_crds_in_the_stage_that_uses_them() {
    let k = "commonAnnotations:\n  kustomize.toolkit.fluxcd.io/prune: disabled\nresources:\n- ../prerequisites/crds.yaml\n- pod-identity.yaml\n- flux-exception.yaml\n";
    let tmp = broken(&[
        ("infrastructure/kustomization.yaml", Some(k)),
        ("prerequisites/kustomization.yaml", Some("resources: []\n")),
    ]);
    let f = only("FS016", tmp.path());
    assert_eq!(f.len(), 2);
}

#[test]
fn fs017_no_ordering_puts_the_crds_first() {
    let az = AZ.replace(
        "path=./infrastructure depends_on=prereqs",
        "path=./infrastructure",
    );
    let f = only_az("FS017", &az);
    assert_eq!(
        (f[0]["file"].as_str(), f[0]["line"].as_u64()),
        (Some("iac/flux.sh"), Some(5))
    );
    // Transitive dependencies count.
    let az = AZ
        .replace(
            "path=./infrastructure depends_on=prereqs",
            "path=./infrastructure depends_on=mid",
        )
        .replace(
            "--kustomization name=apps",
            "--kustomization name=mid path=./apps depends_on=prereqs --kustomization name=apps",
        );
    assert!(with_az(&az).is_empty());
}

#[test]
fn fs018_bicep_shapes_per_api_version() {
    let bicep = |version: &str, infra_deps: &str, extra: &str| {
        format!(
            "resource fluxConfig 'Microsoft.KubernetesConfiguration/fluxConfigurations@{version}' = {{
  name: 'config'
  properties: {{
    kustomizations: {{
      prereqs: {{
        path: './prerequisites'
        dependsOn: []{extra}
      }}
      infra: {{
        path: './infrastructure'
        dependsOn: [
          {infra_deps}
        ]
      }}
    }}
  }}
}}
"
        )
    };
    let obj = "{\n            kustomizationName: 'prereqs'\n          }";
    let run = |b: String| doctor(broken(&[("iac/flux.bicep", Some(&b))]).path(), &[]).1;
    let f = run(bicep("2022-03-01", obj, ""));
    assert_eq!(rules(&f), BTreeSet::from(["FS018".to_string()]), "{f:#?}");
    assert_eq!(f[0]["line"], 11);
    assert_eq!(
        rules(&run(bicep("2021-11-01-preview", "'prereqs'", ""))),
        BTreeSet::from(["FS018".to_string()])
    );
    assert_eq!(
        rules(&run(bicep(
            "2022-11-01",
            "'prereqs'",
            "\n        wait: true"
        ))),
        BTreeSet::from(["FS018".to_string()])
    );
    assert!(
        run(bicep(
            "2021-11-01-preview",
            obj,
            "\n        validation: 'none'"
        ))
        .is_empty()
    );
    assert!(run(bicep("2025-04-01", "'prereqs'", "\n        wait: true")).is_empty());
}

#[test]
fn the_article_as_a_repository() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/article");
    let (code, f) = doctor(&dir, &[]);
    assert_eq!(code, 1);
    let fired = rules(&f);
    let has = |rule: &str, file: &str, text: &str| {
        f.iter().any(|x| {
            x["rule"] == rule && x["file"] == file && x["message"].as_str().unwrap().contains(text)
        })
    };
    // The unpinned master URL.
    assert!(
        has("FS005", "prerequisites/customization.yaml", "master"),
        "{f:#?}"
    );
    // customization.yaml and kind: Customization, in both folders.
    for folder in ["prerequisites", "infrastructure"] {
        let file = format!("{folder}/customization.yaml");
        assert!(has("FS014", &file, "customization.yaml is not"), "{f:#?}");
        assert!(has("FS014", &file, "kind: Customization"), "{f:#?}");
    }
    // One label only: the exception for flux-extension is missing.
    assert!(has(
        "FS004",
        "infrastructure/flux-exception.yaml",
        "microsoft.flux only"
    ));
    assert!(
        f.iter()
            .any(|x| x["rule"] == "FS004" && x["fix"].as_str().unwrap().contains("flux-extension"))
    );
    // The quote-fragile dependsOn=["prereqs"].
    assert!(has("FS010", "iac/flux.sh", "dependsOn=[\"prereqs\"]"));
    // And the CRDs Flux may prune.
    assert!(fired.contains("FS007"));
    // The article's Bicep is right for its preview version.
    assert!(!fired.contains("FS018"));
}

#[test]
fn generated_layouts_have_no_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).unwrap().flatten() {
        let tree = entry.path().join("tree");
        if tree.is_dir() {
            seen += 1;
            let (code, f) = doctor(&tree, &["--fail-on", "note"]);
            assert!(f.is_empty() && code == 0, "{}: {f:#?}", tree.display());
        }
    }
    assert!(seen >= 4);
    // The variants of the fleet benchmark too, generated now.
    for sets in [
        &["iac=terraform", "crds=remote"][..],
        &["iac=flux", "environments=staging,production"],
        &["pod_identity=aks-addon", "iac=terraform"],
        &["iac=bicep", "bicep_api_version=2022-01-01-preview"],
        &["iac=bicep,az-cli,terraform,flux"],
        &["iac=flux", "crds=remote"],
    ] {
        let tmp = tempdir();
        generate(tmp.path(), sets);
        let (_, f) = doctor(tmp.path(), &["--fail-on", "note"]);
        assert!(f.is_empty(), "{sets:?}: {f:#?}");
    }
}

/// The rule that needs the rest of a repository: a corpus file comes
/// alone, so every stage path it names is missing.
const NEEDS_THE_REPOSITORY: [&str; 1] = ["FS008"];

/// Warnings the corpus raises, each true of its file.
const CORPUS_WARNINGS: [(&str, &str); 1] = [(
    "FS010",
    "dependsOn=[\"infra\"] and dependsOn=\\[\"infra\"\\] (Microsoft's docs, the article): bash strips the quotes, another shell would not",
)];

#[test]
fn the_corpus_raises_no_error() {
    let shared = shared();
    let corpus = shared.join("corpus");
    let mut runs = 0;
    let mut stages_seen = 0;
    let mut check = |name: &str, text: &str| {
        let tmp = tempdir();
        write(tmp.path(), &[(name, text)]);
        let (_, f) = doctor(tmp.path(), &[]);
        runs += 1;
        for x in f {
            let rule = x["rule"].as_str().unwrap();
            if x["severity"] == "error" {
                assert!(NEEDS_THE_REPOSITORY.contains(&rule), "{name}: {x:#}");
                stages_seen += 1;
            } else {
                assert!(
                    CORPUS_WARNINGS.iter().any(|(r, _)| *r == rule),
                    "{name}: unlisted warning {x:#}"
                );
            }
        }
    };
    for (folder, as_name) in [
        ("kustomization", ""),
        ("bicep", "main.bicep"),
        ("terraform", "main.tf"),
    ] {
        for e in std::fs::read_dir(corpus.join(folder)).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let saved = e.file_name().to_string_lossy().into_owned();
            let name = if as_name.is_empty() {
                saved.rsplit("__").next().unwrap().to_string()
            } else {
                as_name.to_string()
            };
            check(&name, &text);
        }
    }
    // The az command blocks, one script each.
    let az = std::fs::read_to_string(corpus.join("docs/az_cli_examples.txt")).unwrap();
    for block in az.split("### SOURCE").skip(1) {
        let body: String = block.lines().skip(1).map(|l| format!("{l}\n")).collect();
        check("flux.sh", &body);
    }
    assert!(runs > 60, "{runs}");
    // The stages of the Bicep, Terraform and az files were read.
    assert!(stages_seen > 40, "{stages_seen}");
}

#[test]
fn sarif_has_the_2_1_0_required_fields() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/article");
    let out = bin()
        .args(["doctor", "--format", "sarif"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "flux-scaffold");
    let rules = driver["rules"].as_array().unwrap();
    assert!(rules.len() >= 18);
    for r in rules {
        assert!(r["id"].as_str().unwrap().starts_with("FS"));
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["none", "note", "warning", "error"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(dir.join(uri).is_file(), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn text_output_and_exit_codes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/article");
    let out = bin().arg("doctor").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        !text.contains('\x1b'),
        "NO_COLOR and no terminal: no colour"
    );
    assert!(
        text.contains("\n  prerequisites/customization.yaml:5 error FS005:"),
        "{text}"
    );
    assert!(text.contains("    fix: "));
    assert_eq!(doctor(&dir, &["--fail-on", "never"]).0, 0);
    let missing = bin()
        .args(["doctor", "/nonexistent/doctor-dir"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let bad = bin()
        .args(["doctor", "--format", "xml", "."])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn fs002_through_target_namespace_and_merge_keys() {
    let flux = &format!("{UPSTREAM_FLUX}  targetNamespace: platform\n");
    let ex = EXCEPTIONS
        .replace(
            "app.kubernetes.io/name: flux-extension",
            "app.kubernetes.io/part-of: flux",
        )
        .replace(
            "app.kubernetes.io/name: microsoft.flux",
            "app.kubernetes.io/part-of: flux",
        );
    let ex = ex.replace("name: microsoft-flux-exception", "name: second-exception");
    let tmp = broken(&[
        ("iac/flux.sh", None),
        ("clusters/prod/flux.yaml", Some(flux)),
        ("infrastructure/flux-exception.yaml", Some(&ex)),
    ]);
    let f = only("FS002", tmp.path());
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("applies it in platform")
    );
    // A top-level YAML merge key (which can bring a namespace in) is not
    // resolved by the model: the stage is reported as unreadable instead.
    let k = "base: &base\n  namespace: infra\n<<: *base\nresources:\n- pod-identity.yaml\n- flux-exception.yaml\n";
    let (_, f) = doctor(
        broken(&[("infrastructure/kustomization.yaml", Some(k))]).path(),
        &[],
    );
    assert_eq!(rules(&f), BTreeSet::from(["FS009".to_string()]), "{f:#?}");
    assert!(f[0]["message"].as_str().unwrap().contains("merge key"));
}

#[test]
fn fs001_with_the_aks_add_on() {
    let cluster = |exceptions: &str| {
        format!(
            "resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' = {{
  name: 'aks'
  properties: {{
    podIdentityProfile: {{
      enabled: true
      userAssignedIdentityExceptions: [{exceptions}]
    }}
  }}
}}
"
        )
    };
    let base: &[(&str, Option<&str>)] = &[
        ("infrastructure/flux-exception.yaml", None),
        ("infrastructure/pod-identity.yaml", None),
        ("infrastructure/kustomization.yaml", Some("resources: []\n")),
        ("prerequisites/crds.yaml", None),
        ("prerequisites/kustomization.yaml", Some("resources: []\n")),
    ];
    let with = |file: &str, text: &str| {
        let mut changes = base.to_vec();
        changes.push((file, Some(text)));
        doctor(broken(&changes).path(), &[]).1
    };
    let f = with("iac/cluster.bicep", &cluster(""));
    assert_eq!(rules(&f), BTreeSet::from(["FS001".to_string()]), "{f:#?}");
    assert_eq!(f[0]["line"], 4);
    let both = "
      {
        name: 'flux-extension-exception'
        namespace: 'flux-system'
        podLabels: { 'app.kubernetes.io/name': 'flux-extension' }
      }
      {
        name: 'microsoft-flux-exception'
        namespace: 'flux-system'
        podLabels: { 'app.kubernetes.io/name': 'microsoft.flux' }
      }
    ";
    assert!(with("iac/cluster.bicep", &cluster(both)).is_empty());
    // In a comment it enables nothing.
    assert!(with("iac/cluster.bicep", &format!("/*\n{}*/\n", cluster(""))).is_empty());
    let f = with(
        "iac/cluster.sh",
        "az aks update -g rg -n aks --enable-pod-identity\n",
    );
    assert_eq!(rules(&f), BTreeSet::from(["FS001".to_string()]), "{f:#?}");
    let script = "az aks update -g rg -n aks --enable-pod-identity
az aks pod-identity exception add -g rg --cluster-name aks --namespace flux-system --name a --pod-labels app.kubernetes.io/name=flux-extension
az aks pod-identity exception add -g rg --cluster-name aks --namespace flux-system --name b --pod-labels app.kubernetes.io/name=microsoft.flux
";
    assert!(with("iac/cluster.sh", script).is_empty());
    // The same name added twice: az appends without checking.
    let twice = script.replace("--name b", "--name a");
    let f = with("iac/cluster.sh", &twice);
    assert_eq!(rules(&f), BTreeSet::from(["FS015".to_string()]), "{f:#?}");
}

#[test]
fn the_add_on_through_terraform_azapi() {
    let tf = |exceptions: &str| {
        format!(
            "resource \"azapi_update_resource\" \"x\" {{
  type = \"Microsoft.ContainerService/managedClusters@2024-09-01\"
  body = {{
    properties = {{
      podIdentityProfile = {{
        userAssignedIdentityExceptions = [{exceptions}]
      }}
    }}
  }}
}}
"
        )
    };
    let run = |text: &str| {
        let tmp = broken(&[
            ("infrastructure/flux-exception.yaml", None),
            ("infrastructure/pod-identity.yaml", None),
            ("infrastructure/kustomization.yaml", Some("resources: []\n")),
            ("iac/cluster.tf", Some(text)),
        ]);
        doctor(tmp.path(), &[]).1
    };
    let f = run(&tf(""));
    assert_eq!(rules(&f), BTreeSet::from(["FS001".to_string()]), "{f:#?}");
    let both = "
          {
            name      = \"flux-extension-exception\"
            namespace = \"flux-system\"
            podLabels = { \"app.kubernetes.io/name\" = \"flux-extension\" }
          },
          {
            name      = \"microsoft-flux-exception\"
            namespace = \"flux-system\"
            podLabels = { \"app.kubernetes.io/name\" = \"microsoft.flux\" }
          },
        ";
    assert!(run(&tf(both)).is_empty());
    let f = run(&tf(
        &both.replace("namespace = \"flux-system\"", "namespace = \"default\"")
    ));
    assert_eq!(rules(&f), BTreeSet::from(["FS002".to_string()]), "{f:#?}");
}

#[test]
fn ci_files_name_the_commands_they_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let hooks = hooks.as_sequence().unwrap();
    let hook = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    for (id, entry) in [
        ("flux-scaffold-doctor", "flux-scaffold doctor"),
        ("flux-scaffold-check", "flux-scaffold regen --check --all"),
    ] {
        let h = hook(id);
        assert_eq!(h["entry"].as_str(), Some(entry));
        assert_eq!(h["pass_filenames"].as_bool(), Some(false));
        for key in ["name", "language"] {
            assert!(h[key].as_str().is_some(), "{id}: {key}");
        }
        // The hook's command line parses as the binary's.
        let args: Vec<String> = entry
            .split(' ')
            .skip(1)
            .map(str::to_string)
            .chain(
                h["args"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .map(|a| a.as_str().unwrap().to_string()),
            )
            .collect();
        let tmp = broken(&[]);
        let out = bin().args(&args).current_dir(tmp.path()).output().unwrap();
        assert_ne!(out.status.code(), Some(2), "{id}: {}", stderr(&out));
    }
    let wf: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join("examples/ci/github-actions-doctor.yml")).unwrap(),
    )
    .unwrap();
    let steps = wf["jobs"]["doctor"]["steps"].as_sequence().unwrap();
    let run = |needle: &str| {
        steps
            .iter()
            .any(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
    };
    assert!(run("flux-scaffold doctor --format sarif"));
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
            && s["with"]["sarif_file"].as_str() == Some("doctor.sarif")
    }));
    assert_eq!(wf["permissions"]["security-events"].as_str(), Some("write"));
}

#[test]
fn a_monorepo_is_read_layout_by_layout() {
    let tmp = tempdir();
    generate(&tmp.path().join("teams/a"), &["iac=bicep,az-cli"]);
    generate(
        &tmp.path().join("teams/b/prod"),
        &["iac=terraform", "crds=remote"],
    );
    let (code, f) = doctor(tmp.path(), &["--fail-on", "note"]);
    assert!(f.is_empty() && code == 0, "{f:#?}");
    // Stage paths are read from each layout's root: one broken layout is
    // reported in its own files only.
    std::fs::remove_dir_all(tmp.path().join("teams/b/prod/apps")).unwrap();
    let (_, f) = doctor(tmp.path(), &[]);
    assert_eq!(rules(&f), BTreeSet::from(["FS008".to_string()]), "{f:#?}");
    assert!(
        f.iter()
            .all(|x| x["file"] == "teams/b/prod/iac/flux-configuration.tf")
    );
    assert!(
        f[0].get("command").is_none(),
        "no command writes a user's stage"
    );
    // Commands only where they fix it: regen keeps a user's edits.
    let ex = tmp
        .path()
        .join("teams/a/infrastructure/flux-exception.yaml");
    let text = std::fs::read_to_string(&ex).unwrap();
    let cut = text.rfind("---\n").unwrap();
    std::fs::write(&ex, &text[..cut]).unwrap();
    let (_, f) = doctor(tmp.path(), &["--fail-on", "warning"]);
    let fs004 = f.iter().find(|x| x["rule"] == "FS004").expect("FS004");
    assert!(
        fs004.get("command").is_none(),
        "regen keeps the user's edit"
    );
}

#[test]
fn fs017_a_stage_after_the_chart_has_its_crds() {
    // No CRD stage: the exception beside the chart fails (the article's
    // "trust me, I tried"), an AzureIdentity in a later stage does not.
    let identity = "apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentity
metadata:
  name: app-identity
  namespace: apps
spec:
  type: 0
";
    let tmp = broken(&[
        ("prerequisites/crds.yaml", None),
        ("prerequisites/kustomization.yaml", Some("resources: []\n")),
        (
            "apps/kustomization.yaml",
            Some("resources:\n- identity.yaml\n"),
        ),
        ("apps/identity.yaml", Some(identity)),
    ]);
    let f = only("FS017", tmp.path());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0]["message"].as_str().unwrap().contains("stage infra"));
}

#[test]
fn fs007_leaves_other_crds_alone() {
    let other = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
spec:
  group: cert-manager.io
  names:
    kind: Certificate
  scope: Namespaced
";
    let tmp = broken(&[
        ("apps/kustomization.yaml", Some("resources:\n- crds.yaml\n")),
        ("apps/crds.yaml", Some(other)),
    ]);
    assert!(doctor(tmp.path(), &[]).1.is_empty());
}
