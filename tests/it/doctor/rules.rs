//! Each rule fires on a repository broken in its way, and on nothing else.

use super::*;

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
