//! Property tests of the kustomization patcher over generated kustomization
//! texts (styles, comments, blank lines, CRLF, BOM, final newline) and over
//! arbitrary bytes: it never panics, and its output is the input plus
//! exactly one entry, or a clear refusal. (fuzz/ holds the cargo-fuzz target.)

use crate::common::patch_check;

use flux_scaffold::kustomize::add_resources;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

#[test]
fn the_generator_mostly_makes_valid_yaml() {
    let mut runner = proptest::test_runner::TestRunner::default();
    let mut valid = 0;
    for _ in 0..200 {
        let text = kustomization().new_tree(&mut runner).unwrap().current();
        valid += usize::from(
            serde_yaml::from_str::<serde_yaml::Value>(text.trim_start_matches('\u{feff}')).is_ok(),
        );
    }
    assert!(
        valid > 150,
        "only {valid} of 200 generated files are valid YAML"
    );
}

#[derive(Debug, Clone)]
enum Style {
    Flush,
    Indented(usize),
    Flow,
    EmptyValue,
    Missing,
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.yaml)?",
        "\\.\\./[a-z]{1,6}/",
        Just("flux-exception.yaml".to_string()),
        "https://example\\.com/[a-z]{1,5}\\.yaml",
    ]
}

fn quoted(s: String, q: u8) -> String {
    match q {
        1 => format!("\"{s}\""),
        2 => format!("'{s}'"),
        _ => s,
    }
}

prop_compose! {
    fn kustomization()(
        bom in any::<bool>(),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        doc_start in any::<bool>(),
        style in prop_oneof![Just(Style::Flush), (1usize..5).prop_map(Style::Indented), Just(Style::Flow), Just(Style::EmptyValue), Just(Style::Missing)],
        items in prop::collection::vec((item(), 0u8..3), 0..5),
        comment_after_key in any::<bool>(),
        comment_between in prop::option::of(0usize..5),
        blank_between in prop::option::of(0usize..5),
        trailing_spaces in any::<bool>(),
        before in prop::sample::subsequence(vec!["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "namespace: demo", "# leading comment", ""], 0..5),
        after in prop::sample::subsequence(vec!["images:\n  - name: nginx\n    newTag: \"1.2\"", "patches:\n- path: patch.yaml\n  target:\n    kind: Deployment", "commonLabels:\n  app: x", "# trailing comment", ""], 0..5),
    ) -> String {
        let mut lines: Vec<String> = Vec::new();
        if doc_start { lines.push("---".into()); }
        lines.extend(before.iter().map(|s| s.to_string()));
        let items: Vec<String> = items.into_iter().map(|(s, q)| quoted(s, q)).collect();
        let key = if comment_after_key { "resources: # the list".to_string() } else { "resources:".to_string() };
        match style {
            Style::Flush | Style::Indented(_) if !items.is_empty() => {
                let pad = match style { Style::Indented(n) => " ".repeat(n), _ => String::new() };
                lines.push(key);
                for (i, it) in items.iter().enumerate() {
                    if comment_between == Some(i) { lines.push(format!("{pad}# - commented.yaml")); }
                    if blank_between == Some(i) { lines.push(String::new()); }
                    lines.push(format!("{pad}- {it}{}", if trailing_spaces { "  " } else { "" }));
                }
            }
            Style::Flow => lines.push(format!("resources: [{}]", items.join(", "))),
            Style::Missing => {}
            _ => lines.push(key),
        }
        lines.extend(after.iter().map(|s| s.to_string()));
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join("\n").replace('\n', eol);
        if final_newline { text.push_str(eol); }
        if bom { text.insert(0, '\u{feff}'); }
        text
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn generated_kustomizations_are_patched_exactly(text in kustomization()) {
        if serde_yaml::from_str::<serde_yaml::Value>(text.trim_start_matches('\u{feff}')).is_err() {
            return Ok(());
        }
        let refused = patch_check::check("generated", text.as_bytes());
        prop_assert!(refused.is_none(), "refused {:?}: {:?}", text, refused);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Some(why) = patch_check::check("bytes", &bytes) {
            prop_assert!(!why.is_empty());
        }
    }

    #[test]
    fn arbitrary_yaml_like_text_never_panics(text in "(resources|kind|[ -]|:|\\[|\\]|,|#|'|\"|\n|\r\n|a|  |---|\\.\\.\\.|&x|\\*x|\\{|\\}|\\|)*") {
        let _ = add_resources(text.as_bytes(), &["flux-exception.yaml".to_string()]);
        if let Some(why) = patch_check::check("text", text.as_bytes()) {
            prop_assert!(!why.is_empty());
        }
    }
}
