//! The kustomization patcher on real files (../shared/corpus) and on styles
//! not in the corpus: the only change is the added entry, added once; a
//! refusal gives a reason and never damages.

use crate::common;

use flux_scaffold::kustomize::{Patched, add_resources};

use crate::common::patch_check;

use patch_check::{ENTRY, check};

#[test]
fn every_corpus_kustomization() {
    let shared = common::shared();
    let dir = shared.join("corpus/kustomization");
    let mut patched = 0;
    let mut refused = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let input = std::fs::read(entry.path()).unwrap();
        match check(&name, &input) {
            None => patched += 1,
            Some(why) => refused.push(format!("{name}: {why}")),
        }
    }
    eprintln!(
        "corpus: {patched} patched or already listing the entry, {} refused",
        refused.len()
    );
    for r in &refused {
        eprintln!("  refused {r}");
    }
    assert!(patched > 0);
    // Every corpus file but the Flux objects stored under the name
    // kustomization.yaml is a plain kustomization: none should need refusing.
    // Those are refused, and the refusal says what they are.
    refused.retain(|r| !r.contains("(kustomize.toolkit.fluxcd.io/"));
    assert!(refused.is_empty(), "{refused:#?}");
}

#[test]
fn styles_beyond_the_corpus() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "flush",
            "resources:\n- a\n- b\n",
            "resources:\n- a\n- b\n- flux-exception.yaml\n",
        ),
        (
            "indented",
            "resources:\n    - a\nkind: Kustomization\n",
            "resources:\n    - a\n    - flux-exception.yaml\nkind: Kustomization\n",
        ),
        (
            "comment after key",
            "resources: # ours\n  - a\n",
            "resources: # ours\n  - a\n  - flux-exception.yaml\n",
        ),
        (
            "commented items",
            "resources:\n  - a\n  # - b\n#- c\n\nimages: []\n",
            "resources:\n  - a\n  - flux-exception.yaml\n  # - b\n#- c\n\nimages: []\n",
        ),
        (
            "flow multi-line",
            "resources: [\n  a,\n  b\n]\n",
            "resources: [\n  a,\n  b, flux-exception.yaml\n]\n",
        ),
        (
            "flow trailing comma",
            "resources: [a, b,]\n",
            "resources: [a, b, flux-exception.yaml]\n",
        ),
        (
            "quoted key",
            "\"resources\":\n- a\n",
            "\"resources\":\n- a\n- flux-exception.yaml\n",
        ),
        (
            "single-quoted items",
            "resources:\n- 'a'\n",
            "resources:\n- 'a'\n- 'flux-exception.yaml'\n",
        ),
        (
            "empty value then key",
            "resources:\nimages: []\n",
            "resources:\n- flux-exception.yaml\nimages: []\n",
        ),
        (
            "no key, indented lists",
            "kind: Kustomization\npatches:\n  - path: p.yaml\n",
            "kind: Kustomization\npatches:\n  - path: p.yaml\nresources:\n  - flux-exception.yaml\n",
        ),
        (
            "no key, no final newline",
            "kind: Kustomization",
            "kind: Kustomization\nresources:\n- flux-exception.yaml",
        ),
        (
            "leading document marker",
            "---\nresources:\n- a\n",
            "---\nresources:\n- a\n- flux-exception.yaml\n",
        ),
        (
            "multi-line item",
            "resources:\n- a\n- >-\n  b\n",
            "resources:\n- a\n- >-\n  b\n- flux-exception.yaml\n",
        ),
        (
            "crlf no final newline",
            "resources:\r\n  - a",
            "resources:\r\n  - a\r\n  - flux-exception.yaml",
        ),
        (
            "bom",
            "\u{feff}resources:\n- a\n",
            "\u{feff}resources:\n- a\n- flux-exception.yaml\n",
        ),
        (
            "trailing spaces",
            "resources:\n- a  \n\n\n",
            "resources:\n- a  \n- flux-exception.yaml\n\n\n",
        ),
        ("empty file", "", "resources:\n- flux-exception.yaml\n"),
        (
            "document end marker",
            "kind: Kustomization\n...\n",
            "kind: Kustomization\nresources:\n- flux-exception.yaml\n...\n",
        ),
        (
            "document end marker after a list",
            "resources:\n- a\n...\n# end\n",
            "resources:\n- a\n- flux-exception.yaml\n...\n# end\n",
        ),
        (
            "comments only",
            "# nothing yet\n",
            "# nothing yet\nresources:\n- flux-exception.yaml\n",
        ),
    ];
    for (name, input, expected) in cases {
        assert!(check(name, input.as_bytes()).is_none(), "{name} refused");
        match add_resources(input.as_bytes(), &[ENTRY.into()]).unwrap() {
            Patched::Changed(out) => {
                assert_eq!(String::from_utf8(out).unwrap(), *expected, "{name}")
            }
            Patched::Unchanged => panic!("{name}: unchanged"),
        }
    }
}

#[test]
fn unsafe_files_are_refused_with_a_reason() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "a key twice (kustomize would take the last silently)",
            b"resources: [a]\nresources: [b]\n",
            "more than once",
        ),
        ("scalar resources", b"resources: a.yaml\n", "not a list"),
        (
            "alias",
            b"x: &r [a]\nresources: *r\n",
            "form this tool does not edit",
        ),
        ("not utf-8", b"resources:\n- \xff\n", "not UTF-8"),
        ("not yaml", b"resources: [a\n", "not valid YAML"),
        (
            "map items",
            b"resources:\n- path: a\n",
            "other than strings",
        ),
        ("top-level list", b"- a\n", "not a mapping"),
    ];
    for (name, input, reason) in cases {
        let why = check(name, input).unwrap_or_else(|| panic!("{name} was not refused"));
        assert!(why.contains(reason), "{name}: {why}");
    }
}
