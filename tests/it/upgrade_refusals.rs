//! `packs upgrade` on packs whose renames would clash or whose list
//! defaults would change their items: refused with one line naming the
//! file or question, every file left as it was; and its summary line.

use std::path::Path;

use crate::common::*;

fn upgrade(dir: &Path) -> std::process::Output {
    bin().args(["packs", "upgrade"]).arg(dir).output().unwrap()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .map(|rel| (rel.clone(), std::fs::read(dir.join(&rel)).unwrap()))
        .collect()
}

#[test]
fn clashing_or_doubly_spelled_templates_are_refused_before_any_write() {
    let tmp = tempfile::tempdir().unwrap();
    let old = ("t/old.yaml", "a: 1\n");
    // The same bytes, so the rename's own "exists and differs" check passes.
    let same = ("t/old.yaml.tera", "a: 1\n");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        // The rename would chain: t/old.yaml.tera is a template already.
        (
            "  - template: t/old.yaml\n    path: a.yaml\n  - template: t/old.yaml.tera\n    path: b.yaml\n",
            &[old, same],
            "'t/old.yaml' would be renamed 't/old.yaml.tera', which the pack already uses",
        ),
        // The copy would point at nothing once the template is renamed.
        (
            "  - template: t/old.yaml\n    path: a.yaml\n  - copy: t/old.yaml\n    path: b.yaml\n",
            &[old],
            "'t/old.yaml' is both a template and a copied file",
        ),
        // One file spelled two ways: renamed once, removed twice.
        (
            "  - template: ./t/old.yaml\n    path: a.yaml\n  - template: t//old.yaml\n    path: b.yaml\n",
            &[old],
            "is not written plainly (write it 't/old.yaml')",
        ),
    ];
    for (n, (files, templates, says)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(format!("pack{n}"));
        hostile_pack(&dir, files, templates);
        let before = snapshot(&dir);
        refused(&upgrade(&dir), says);
        assert_eq!(before, snapshot(&dir), "case {n} changed the pack");
    }
}

#[test]
fn list_defaults_that_interpolate_a_list_answer_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let questions = "questions:\n  - key: base\n    prompt: Base?\n    type: string\n    list: true\n    default: a,b\n  - key: more\n    prompt: More?\n    type: string\n    list: true\n";
    let defaults = [
        "'{{ base }},c'",
        "'{% for e in base %}{{ e }}-{{ base }}{% if not loop.last %},{% endif %}{% endfor %}'",
    ];
    for (n, default) in defaults.into_iter().enumerate() {
        let dir = tmp.path().join(format!("pack{n}"));
        hostile_pack(
            &dir,
            "  - template: t.txt\n    path: out.txt\n",
            &[("t.txt", "{{ more | join(sep=\";\") }}\n")],
        );
        let yaml = dir.join("pack.yaml");
        let text = std::fs::read_to_string(&yaml).unwrap().replace(
            "questions:\n",
            &format!("{questions}    default: {default}\n"),
        );
        std::fs::write(&yaml, text).unwrap();
        let before = snapshot(&dir);
        let out = upgrade(&dir);
        refused(&out, "the default of 'more'");
        assert!(stderr(&out).contains("'base'"), "{}", stderr(&out));
        assert_eq!(before, snapshot(&dir));
    }
}

#[test]
fn one_renamed_template_is_counted_in_the_singular() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pack");
    one_file_pack(&dir, "out.txt");
    let out = upgrade(&dir);
    assert_success(&out);
    assert!(
        stderr(&out).contains("(1 template renamed *.tera)"),
        "{}",
        stderr(&out)
    );
}
