//! `patches:` entries (strategic-merge patch files) added to and removed
//! from a user's kustomization: no other byte changes, the result parses as
//! the same kustomization plus or minus the entries, and what cannot be
//! edited exactly is refused.

use crate::common;

use flux_scaffold::kustomize::{PATCH_ENTRY, Patched, add_resources, remove_resources};

fn entries(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| format!("{PATCH_ENTRY}{p}")).collect()
}

fn add(input: &str, paths: &[&str]) -> String {
    match add_resources(input.as_bytes(), &entries(paths)).unwrap() {
        Patched::Changed(b) => String::from_utf8(b).unwrap(),
        Patched::Unchanged => input.to_string(),
    }
}

fn remove(input: &str, paths: &[&str]) -> String {
    match remove_resources(input.as_bytes(), &entries(paths)).unwrap() {
        Patched::Changed(b) => String::from_utf8(b).unwrap(),
        Patched::Unchanged => input.to_string(),
    }
}

#[test]
fn a_missing_key_is_appended_in_the_file_s_list_style() {
    let input = "resources:\n  - a.yaml # mine\n";
    let out = add(input, &["p.yaml"]);
    assert_eq!(
        out,
        "resources:\n  - a.yaml # mine\npatches:\n  - path: p.yaml\n"
    );
    assert_eq!(remove(&out, &["p.yaml"]), input);
}

#[test]
fn an_existing_list_gains_items_after_its_last_and_keeps_the_rest() {
    let input = "resources:\n- a.yaml\npatches:\n- path: mine.yaml\n  target:\n    kind: Deployment\n# end\nnamespace: x\n";
    let out = add(input, &["p.yaml", "q.yaml"]);
    assert_eq!(
        out,
        "resources:\n- a.yaml\npatches:\n- path: mine.yaml\n  target:\n    kind: Deployment\n- path: p.yaml\n- path: q.yaml\n# end\nnamespace: x\n"
    );
    // Listed already: nothing to do.
    assert_eq!(add(&out, &["./p.yaml"]), out);
    // Removing ours leaves the user's item as it was.
    assert_eq!(remove(&out, &["p.yaml", "q.yaml"]), input);
}

#[test]
fn crlf_and_a_missing_final_newline_are_kept() {
    let input = "resources:\r\n- a.yaml\r\npatches:\r\n- path: mine.yaml";
    let out = add(input, &["p.yaml"]);
    assert_eq!(
        out,
        "resources:\r\n- a.yaml\r\npatches:\r\n- path: mine.yaml\r\n- path: p.yaml"
    );
}

#[test]
fn resources_and_patches_in_one_edit() {
    let input = "resources:\n- a.yaml\n";
    let mut both = entries(&["p.yaml"]);
    both.push("sa.yaml".into());
    let Patched::Changed(out) = add_resources(input.as_bytes(), &both).unwrap() else {
        panic!("unchanged")
    };
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        "resources:\n- a.yaml\n- sa.yaml\npatches:\n- path: p.yaml\n"
    );
    let Patched::Changed(back) = remove_resources(out.as_bytes(), &both).unwrap() else {
        panic!("unchanged")
    };
    assert_eq!(String::from_utf8(back).unwrap(), "resources:\n- a.yaml\n");
}

#[test]
fn forms_it_cannot_edit_exactly_are_refused() {
    for input in [
        "patches: [{path: a.yaml}]\n",
        "patches: {}\n",
        "apiVersion: v1\nkind: ConfigMap\n",
    ] {
        assert!(
            add_resources(input.as_bytes(), &entries(&["p.yaml"])).is_err(),
            "{input}"
        );
    }
    // An item of ours spread over several lines is not removed by guess.
    let input = "patches:\n- path: p.yaml\n  target:\n    kind: Deployment\n";
    assert!(remove_resources(input.as_bytes(), &entries(&["p.yaml"])).is_err());
}

#[test]
fn a_pack_from_disk_may_not_retire_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack");
    common::hostile_pack(
        &pack,
        "  - path: app/kustomization.yaml\n    ownership: patch\n    patch:\n      kustomize-retire: [keep.yaml]\n",
        &[],
    );
    let target = tmp.path().join("repo");
    std::fs::create_dir_all(target.join("app")).unwrap();
    let k = "resources:\n- keep.yaml\n";
    std::fs::write(target.join("app/kustomization.yaml"), k).unwrap();
    std::fs::write(
        target.join("app/keep.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n",
    )
    .unwrap();
    let out = common::run_pack(&pack, &target, &[]);
    common::refused(&out, "kustomize_retire is honoured in built-in packs only");
    assert_eq!(
        std::fs::read_to_string(target.join("app/kustomization.yaml")).unwrap(),
        k
    );
}
