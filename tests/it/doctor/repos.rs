//! Whole repositories: the article, generated layouts, the corpus, output formats, CI files, monorepos.

use super::*;

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
