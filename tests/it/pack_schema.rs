//! Pack format versions: schema/pack.schema.json (checked by the Python
//! `jsonschema` validator, the one editors' YAML language servers follow
//! the same draft of) accepts every built-in pack in schema 2 and refuses
//! broken ones; `packs upgrade` turns a schema 1 pack into a schema 2 one
//! that generates the same bytes for every example; `requires` is held.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::*;

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(json.load(sys.stdin)), key=str)
print("VALID" if not errors else "INVALID: " + errors[0].message)
"#;

/// The JSON Schema's verdict on `doc`: Ok, or the first error. Panics when
/// python3 or its jsonschema module is missing (.ci/run installs it).
fn validate(doc: &serde_json::Value) -> Result<(), String> {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/pack.schema.json");
    let mut child = Command::new("python3")
        .args(["-c", VALIDATE])
        .arg(&schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (with the jsonschema module) is needed: .ci/run installs it");
    let input = serde_json::to_vec(doc).unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the validator failed (pip install jsonschema): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match stdout.trim() {
        "VALID" => Ok(()),
        other => Err(other
            .strip_prefix("INVALID: ")
            .unwrap_or_else(|| panic!("validator said {other:?}"))
            .to_string()),
    }
}

fn yaml_file_as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

fn upgrade(dir: &Path) -> std::process::Output {
    bin().args(["packs", "upgrade"]).arg(dir).output().unwrap()
}

/// Each built-in pack, exported to `tmp` and upgraded to schema 2 (a no-op
/// once the pack is schema 2 in the repository).
fn upgraded_builtins(tmp: &Path) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = tmp.join(&name);
        let export = bin()
            .args(["packs", "export", &name])
            .arg(&dir)
            .output()
            .unwrap();
        assert_success(&export);
        assert_success(&upgrade(&dir));
        out.push(dir);
    }
    assert!(!out.is_empty());
    out
}

#[test]
fn builtin_packs_in_schema_2_validate_against_the_json_schema() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in upgraded_builtins(tmp.path()) {
        let doc = yaml_file_as_json(&dir.join("pack.yaml"));
        assert_eq!(doc["schema"], 2, "{}", dir.display());
        if let Err(e) = validate(&doc) {
            panic!("{}: {e}", dir.display());
        }
    }
}

/// The pack README.md shows pack authors is a valid schema 2 pack.yaml.
#[test]
fn the_readme_example_pack_validates_against_the_json_schema() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let examples: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.contains("schema: 2") && b.contains("questions:"))
        .collect();
    assert_eq!(examples.len(), 1, "one example pack in README.md");
    let doc: serde_json::Value = serde_yaml::from_str(examples[0]).expect("valid YAML");
    validate(&doc).unwrap_or_else(|e| panic!("README's example pack: {e}"));
}

#[test]
fn builtin_packs_name_the_json_schema_for_editors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let yaml = entry.path().join("pack.yaml");
        let text = std::fs::read_to_string(&yaml).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let rel = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{}: no $schema line first", yaml.display()));
        let schema = yaml.parent().unwrap().join(rel);
        assert!(schema.is_file(), "{}", schema.display());
    }
}

#[test]
fn broken_pack_yaml_fails_the_json_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = &upgraded_builtins(tmp.path())[0];
    let good = yaml_file_as_json(&dir.join("pack.yaml"));
    type Breaks = fn(&mut serde_json::Value);
    let broken: [(&str, Breaks); 6] = [
        ("unknown key", |d| d["colour"] = "blue".into()),
        ("wrong type", |d| d["questions"][0]["list"] = "yes".into()),
        ("schema 1 key", |d| {
            d["files"][0]["patch"]["kustomize-resources"] = serde_json::json!(["a"])
        }),
        ("template not *.tera", |d| {
            d["files"][0]["template"] = "gitops/x.yaml".into()
        }),
        ("list default as a string", |d| {
            let q = d["questions"].as_array_mut().unwrap();
            let list = q.iter_mut().find(|q| q["list"] == true).unwrap();
            list["default"] = "a,b".into();
        }),
        ("no schema", |d| {
            d.as_object_mut().unwrap().remove("schema");
        }),
    ];
    for (what, breaks) in broken {
        let mut doc = good.clone();
        breaks(&mut doc);
        assert!(validate(&doc).is_err(), "{what} passed the schema");
    }
}

#[test]
fn upgraded_pack_generates_every_example_byte_for_byte_and_upgrades_once() {
    let tmp = tempfile::tempdir().unwrap();
    let v1 = tmp.path().join("v1");
    // The pack as schema 1, whatever schema the repository holds now.
    let export = bin()
        .args(["packs", "export", "aks-flux-pod-identity"])
        .arg(&v1)
        .output()
        .unwrap();
    assert_success(&export);
    as_schema_1(&v1);
    let v2 = tmp.path().join("v2");
    copy_dir(&v1, &v2);
    assert_success(&upgrade(&v2));
    let before = snapshot(&v2);
    assert_success(&upgrade(&v2));
    assert_eq!(before, snapshot(&v2), "a second upgrade changed the pack");
    assert!(tree(&v2).iter().any(|f| f == "iac/main.bicep.tera"));
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(examples).unwrap().flatten() {
        let answers = entry.path().join("answers.yaml");
        if !answers.is_file() {
            continue;
        }
        seen += 1;
        let builtin = PathBuf::from("aks-flux-pod-identity");
        let generated: Vec<Vec<(String, Vec<u8>)>> = [&v1, &v2, &builtin]
            .iter()
            .enumerate()
            .map(|(n, pack)| {
                let out = tmp.path().join(format!("out-{seen}-{n}"));
                let run = bin()
                    .args(["init", "--no-input", "--quiet", "--pack"])
                    .arg(pack)
                    .arg("--answers")
                    .arg(&answers)
                    .arg(&out)
                    .output()
                    .unwrap();
                assert_success(&run);
                // The record names the pack's folder, which differs.
                let mut files = snapshot(&out);
                files.retain(|(rel, _)| rel != ".flux-scaffold/answers.yaml");
                files
            })
            .collect();
        assert_eq!(generated[0], generated[1], "{}", answers.display());
        assert_eq!(generated[1], generated[2], "{}", answers.display());
    }
    assert_eq!(seen, 4);
}

/// Rewrite the pack in `dir` as schema 1, if it is not: templates without
/// `.tera`, kebab-case keys, and list defaults that use answers as the
/// comma-joined strings schema 1 wrote, with `{% if %}` and `{% for %}`.
fn as_schema_1(dir: &Path) {
    let text = std::fs::read_to_string(dir.join("pack.yaml")).unwrap();
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let map = doc.as_mapping_mut().unwrap();
    if map.remove("schema").is_none() {
        return;
    }
    map.remove("requires");
    for q in map["questions"].as_sequence_mut().unwrap() {
        if let Some(auto) = q.get_mut("auto").and_then(|a| a.as_mapping_mut()) {
            kebab(auto, "keep_namespace");
        }
        if let Some(items) = q.get("default").and_then(|d| d.as_sequence())
            && items
                .iter()
                .any(|i| i.is_mapping() || i.as_str().is_some_and(|s| s.contains("{{")))
        {
            let joined: Vec<String> = items.iter().map(schema_1_item).collect();
            q["default"] = joined.join(",").into();
        }
    }
    for f in map["files"].as_sequence_mut().unwrap() {
        if let Some(patch) = f.get_mut("patch").and_then(|p| p.as_mapping_mut()) {
            for key in ["kustomize_resources", "keep_namespace", "provided_by"] {
                kebab(patch, key);
            }
        }
        if let Some(t) = f
            .get("template")
            .and_then(|t| t.as_str())
            .map(str::to_string)
        {
            let old = t.strip_suffix(".tera").unwrap().to_string();
            if dir.join(&t).exists() {
                std::fs::rename(dir.join(&t), dir.join(&old)).unwrap();
            }
            f["template"] = old.into();
        }
    }
    std::fs::write(dir.join("pack.yaml"), serde_yaml::to_string(&doc).unwrap()).unwrap();
}

fn kebab(map: &mut serde_yaml::Mapping, key: &str) {
    if let Some(v) = map.remove(key) {
        map.insert(key.replace('_', "-").into(), v);
    }
}

/// A schema 2 list item as a piece of a schema 1 default.
fn schema_1_item(item: &serde_yaml::Value) -> String {
    let Some(spec) = item.as_mapping() else {
        return item.as_str().unwrap().to_string();
    };
    let text = |k: &str| spec.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut piece = text("value").unwrap();
    if let Some(list) = text("each") {
        piece = format!(
            "{{% for item in {list} %}}{piece}{{% if not loop.last %}},{{% endif %}}{{% endfor %}}"
        );
    }
    match text("when") {
        Some(when) => format!("{{% if {when} %}}{piece}{{% endif %}}"),
        None => piece,
    }
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .map(|rel| (rel.clone(), std::fs::read(dir.join(&rel)).unwrap()))
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in tree(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dest).unwrap();
    }
}

/// A [`hostile_pack`] writing `t.txt` as listed in `files`, its pack.yaml
/// edited by `edit`; returns the pack.yaml written.
fn edited_pack(dir: &Path, files: &str, edit: impl Fn(&str) -> String) -> String {
    hostile_pack(dir, files, &[("t.txt", "x\n")]);
    let text = edit(&std::fs::read_to_string(dir.join("pack.yaml")).unwrap());
    std::fs::write(dir.join("pack.yaml"), &text).unwrap();
    text
}

/// The `files:` of a pack writing its `t.txt` to `out.txt`.
const ONE_FILE: &str = "  - template: t.txt\n    path: out.txt\n";

#[test]
fn a_pack_for_a_newer_tool_is_refused_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    edited_pack(&pack, ONE_FILE, |t| format!("requires: \">=99.0\"\n{t}"));
    let target = tmp.path().join("target");
    refused(
        &run_pack(&pack, &target, &[]),
        "requires flux-scaffold >=99.0",
    );
    assert!(!target.exists(), "nothing written");
}

#[test]
fn schema_2_refuses_schema_1_spellings() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (ONE_FILE, "must be named *.tera"),
        (
            "  - path: k/kustomization.yaml\n    ownership: patch\n    patch:\n      kustomize-resources: [a.yaml]\n",
            "'kustomize-resources' is schema 1's spelling",
        ),
    ];
    for (n, (files, says)) in cases.into_iter().enumerate() {
        let pack = tmp.path().join(format!("pack{n}"));
        edited_pack(&pack, files, |t| format!("schema: 2\n{t}"));
        refused(&run_pack(&pack, &tmp.path().join("t"), &[]), says);
    }
}

#[test]
fn upgrade_refuses_what_it_cannot_convert_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    let text = edited_pack(&pack, ONE_FILE, |t| {
        t.replace(
            "questions:\n",
            "questions:\n  - key: names\n    prompt: Names?\n    type: string\n    list: true\n    default: 'a{% if name == \"ok\" %}b{% endif %}'\n",
        )
    });
    refused(&upgrade(&pack), "the default of 'names'");
    let after = std::fs::read_to_string(pack.join("pack.yaml")).unwrap();
    assert_eq!(after, text);
    assert_eq!(tree(&pack), ["pack.yaml", "t.txt"]);
}
