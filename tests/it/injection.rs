//! Answer values are data, never structure: property tests put generated
//! text (quotes, colons, #, newlines, {{, ${, backticks, non-ASCII) into
//! YAML, Bicep, HCL and shell outputs, parse each, and find the value
//! exactly where it was put, with the document's shape unchanged. The
//! default pack's typed answers are fuzzed through the real binary too.

use crate::common::{self, stderr, tempdir};

use crate::common::bicep;
use crate::common::shell;

use std::collections::BTreeMap;
use std::path::Path;

use flux_scaffold::answers::{self, NoPrompt, Raw};
use flux_scaffold::pack::Pack;
use flux_scaffold::render;
use proptest::prelude::*;

fn tricky() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "'",
        "\"",
        ":",
        ": ",
        "#",
        " #",
        "\n",
        "\r\n",
        "\t",
        "{{",
        "}}",
        "{%",
        "${",
        "%{",
        "$(",
        "`",
        "\\",
        "\\n",
        "-",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a",
        "*a",
        "!!str",
        "|",
        ">",
        "@",
        "%",
        "?",
        "yes",
        "null",
        "~",
        "0x1F",
        "1e3",
        "é",
        "中文",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "\u{1F600}",
        "\u{7f}",
        "\u{9b}",
        " ",
        "a",
        "Z",
        "9",
        "--",
        "EOF",
        "'\\''",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

fn render_probe(text: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/injection-pack");
    let pack = Pack::from_dir(&dir).unwrap();
    let mut given = BTreeMap::new();
    given.insert("text".to_string(), Raw::Text(text.to_string()));
    let a = answers::resolve(&pack.manifest, &given, &mut NoPrompt).unwrap();
    render::render(&pack, &a)
        .unwrap()
        .into_iter()
        .map(|r| (r.path, String::from_utf8(r.content).unwrap()))
        .collect()
}

fn check_yaml(text: &str, out: &str) {
    let v: serde_yaml::Value = serde_yaml::from_str(out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let m = v.as_mapping().unwrap();
    assert_eq!(
        m.len(),
        if ["kind", "text", "nested", "end"]
            .iter()
            .any(|k| format!("key-{text}") == *k)
        {
            4
        } else {
            5
        },
        "shape changed:\n{out}"
    );
    assert_eq!(v["kind"], "Probe");
    assert_eq!(v["text"].as_str(), Some(text), "{out}");
    assert_eq!(v["nested"]["list"][0].as_str(), Some(text));
    assert_eq!(
        v["nested"]["list"][1].as_str(),
        Some(format!("prefix-{text}").as_str())
    );
    assert_eq!(v["nested"]["list"].as_sequence().unwrap().len(), 2);
    assert_eq!(
        m.get(format!("key-{text}").as_str())
            .and_then(|x| x.as_str()),
        Some("value")
    );
    assert_eq!(v["end"], "marker");
}

fn check_bicep(text: &str, out: &str) {
    let tree = bicep::parse(out);
    bicep::assert_no_errors(&tree, out, "out.bicep");
    assert!(
        bicep::interpolated_strings(tree.root_node(), out).is_empty(),
        "an answer became an interpolation:\n{out}"
    );
    let root = tree.root_node();
    let mut cursor = root.walk();
    let decls: Vec<_> = root.named_children(&mut cursor).collect();
    assert_eq!(decls.len(), 2, "shape changed:\n{out}");
    let var = decls
        .iter()
        .find(|n| n.kind() == "variable_declaration")
        .expect("var");
    let mut c2 = var.walk();
    let obj = var
        .named_children(&mut c2)
        .find(|n| n.kind() == "object")
        .unwrap();
    let o = bicep::to_json(obj, out);
    let map = o.as_object().unwrap();
    assert_eq!(
        map.len(),
        if text == "text" || text == "joined" || text == "end" {
            3
        } else {
            4
        },
        "{out}"
    );
    assert_eq!(o["end"], "marker");
    assert_eq!(
        o["joined"].as_str(),
        Some(format!("{text}-suffix").as_str())
    );
    if !["joined", "end"].contains(&text) {
        assert_eq!(o["text"].as_str(), Some(text), "{out}");
    }
    let param = decls
        .iter()
        .find(|n| n.kind() == "parameter_declaration")
        .expect("param");
    let mut c3 = param.walk();
    let s = param
        .named_children(&mut c3)
        .find(|n| n.kind() == "string")
        .unwrap();
    assert_eq!(bicep::string_value(s, out), text);
}

fn check_hcl(text: &str, out: &str) {
    let v: serde_json::Value = hcl::eval::from_str(out, &hcl::eval::Context::new())
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    let locals = &v["locals"];
    assert_eq!(locals.as_object().unwrap().len(), 3, "{out}");
    assert_eq!(locals["text"].as_str(), Some(text), "{out}");
    assert_eq!(
        locals["joined"].as_str(),
        Some(format!("{text}-suffix").as_str())
    );
    assert_eq!(locals["end"], "marker");
}

fn check_shell(text: &str, out: &str) {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), out).unwrap();
    let run = std::process::Command::new("bash")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}\n{out}", stderr(&run));
    let words: Vec<String> = run
        .stdout
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect();
    let expected: Vec<String> = [text.to_string(), format!("--flag={text}"), "end".into()]
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(words, expected, "{out}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn free_text_is_data_in_every_language(text in tricky()) {
        let out = render_probe(&text);
        check_yaml(&text, &out["out.yaml"]);
        check_bicep(&text, &out["out.bicep"]);
        check_hcl(&text, &out["out.tf"]);
        check_shell(&text, &out["out.sh"]);
    }

    #[test]
    fn quoting_round_trips(text in any::<String>()) {
        let y = flux_scaffold::escape::yaml(&text);
        let v: serde_yaml::Value = serde_yaml::from_str(&format!("k: {y}\n")).unwrap();
        prop_assert_eq!(v["k"].as_str(), Some(text.as_str()));
        let h: serde_json::Value = hcl::eval::from_str(&format!("k = {}\n", flux_scaffold::escape::hcl(&text)), &hcl::eval::Context::new()).unwrap();
        prop_assert_eq!(h["k"].as_str(), Some(text.as_str()));
        let b = format!("var k = {}\n", flux_scaffold::escape::bicep(&text));
        let tree = bicep::parse(&b);
        prop_assert!(!tree.root_node().has_error(), "{}", b);
        prop_assert!(bicep::interpolated_strings(tree.root_node(), &b).is_empty(), "{}", b);
        let root = tree.root_node();
        let var = root.named_child(0).unwrap();
        let s = var.named_child(1).unwrap();
        prop_assert_eq!(bicep::string_value(s, &b), text);
    }
}

/// Typed answers of the default pack through the binary: a value is either
/// refused (exit 2, the key named, nothing written) or appears exactly.
#[test]
fn default_pack_answers_are_refused_or_exact() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 48,
        ..ProptestConfig::default()
    });
    let keys = prop::sample::select(vec![
        "flux_namespace",
        "flux_pod_labels",
        "config_name",
        "infra_path",
        "git_url",
        "cluster_name",
        "resource_group",
        "git_ref",
    ]);
    runner
        .run(&(keys, tricky()), |(key, value)| {
            if value.contains(',') && key == "flux_pod_labels" {
                return Ok(());
            }
            let tmp = tempdir();
            let root = tmp.path().join("repo");
            let set = format!("{key}={value}");
            let out = common::init_cmd(&root, &[], &["iac=bicep,az-cli,terraform", &set])
                .output()
                .unwrap();
            let err = stderr(&out);
            if out.status.code() == Some(2) {
                assert!(err.contains(key), "{key}={value:?}: {err}");
                assert_eq!(err.trim_end().lines().count(), 1);
                assert!(!root.exists());
                return Ok(());
            }
            assert!(out.status.success(), "{key}={value:?}: {err}");
            // Accepted: every output still parses.
            let infra = std::fs::read_to_string(
                root.join(if key == "infra_path" {
                    value.trim_start_matches("./").trim_end_matches('/')
                } else {
                    "infrastructure"
                })
                .join("flux-exception.yaml"),
            )
            .unwrap();
            let docs = common::documents(&infra);
            let labels: Vec<&str> = docs
                .iter()
                .map(|d| {
                    d["spec"]["podLabels"]["app.kubernetes.io/name"]
                        .as_str()
                        .unwrap()
                })
                .collect();
            match key {
                // One value given: one exception, holding it exactly.
                "flux_pod_labels" => assert_eq!(labels, [value.trim()]),
                _ => assert_eq!(labels, ["flux-extension", "microsoft.flux"]),
            }
            if key == "flux_namespace" {
                assert!(
                    docs.iter()
                        .all(|d| d["metadata"]["namespace"].as_str() == Some(value.as_str()))
                );
            }
            let b = std::fs::read_to_string(root.join("iac/flux-configuration.bicep")).unwrap();
            bicep::assert_no_errors(&bicep::parse(&b), &b, "flux-configuration.bicep");
            let _: hcl::Body = hcl::from_str(
                &std::fs::read_to_string(root.join("iac/flux-configuration.tf")).unwrap(),
            )
            .unwrap();
            let sh = root.join("iac/flux-configuration.sh");
            assert!(
                std::process::Command::new("bash")
                    .arg("-n")
                    .arg(&sh)
                    .status()
                    .unwrap()
                    .success()
            );
            if key == "git_url" {
                // The URL reaches each target exactly.
                assert!(b.contains(&format!("url: {}", flux_scaffold::escape::bicep(&value))));
                let sh = std::fs::read_to_string(root.join("iac/flux-configuration.sh")).unwrap();
                let words = shell::commands(&sh)
                    .into_iter()
                    .find(|c| c[0] == "az")
                    .unwrap();
                let at = words.iter().position(|w| w == "--url").unwrap();
                assert_eq!(words[at + 1], value);
                let tf = std::fs::read_to_string(root.join("iac/flux-configuration.tf")).unwrap();
                assert!(tf.contains(&format!(
                    "url                      = {}",
                    flux_scaffold::escape::hcl(&value)
                )));
            }
            Ok(())
        })
        .unwrap();
}
