use super::*;

type Edit = fn(&[u8], &[String]) -> Result<Patched, String>;

/// The text after `edit` with the entry flux-exception.yaml.
fn edited(edit: Edit, input: &str) -> String {
    match edit(input.as_bytes(), &["flux-exception.yaml".to_string()]).unwrap() {
        Patched::Changed(b) => String::from_utf8(b).unwrap(),
        Patched::Unchanged => input.to_string(),
    }
}

fn patch(input: &str) -> String {
    edited(add_resources, input)
}

fn unpatch(input: &str) -> String {
    edited(remove_resources, input)
}

#[test]
fn block_list_indented() {
    let input = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sources\n  - nginx # web\n\n# trailing\n";
    assert_eq!(
        patch(input),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - sources\n  - nginx # web\n  - flux-exception.yaml\n\n# trailing\n"
    );
}

#[test]
fn flush_list_crlf_without_final_newline() {
    let input = "resources:\r\n- a\r\n- b";
    assert_eq!(
        patch(input),
        "resources:\r\n- a\r\n- b\r\n- flux-exception.yaml"
    );
}

#[test]
fn flow_list_and_missing_key() {
    assert_eq!(
        patch("resources: [a, b]\n"),
        "resources: [a, b, flux-exception.yaml]\n"
    );
    assert_eq!(
        patch("resources: []\n"),
        "resources: [flux-exception.yaml]\n"
    );
    assert_eq!(
        patch("---\nkind: Kustomization\n"),
        "---\nkind: Kustomization\nresources:\n- flux-exception.yaml\n"
    );
}

#[test]
fn present_entry_is_left_alone() {
    let input = "resources:\n- ./flux-exception.yaml\n";
    assert_eq!(
        add_resources(input.as_bytes(), &["flux-exception.yaml".into()]).unwrap(),
        Patched::Unchanged
    );
}

#[test]
fn only_the_first_document_is_read_and_patched() {
    assert_eq!(
        patch("---\nresources:\n- a\n---\nkind: Other\n"),
        "---\nresources:\n- a\n- flux-exception.yaml\n---\nkind: Other\n"
    );
    assert_eq!(
        patch("resources: [a]\n...\n---\nb: 2\n"),
        "resources: [a, flux-exception.yaml]\n...\n---\nb: 2\n"
    );
}

#[test]
fn siblings_with_dot_slash_get_one_too() {
    assert_eq!(
        patch("resources:\n- ./a\n- ./b/\n"),
        "resources:\n- ./a\n- ./b/\n- ./flux-exception.yaml\n"
    );
}

#[test]
fn quoted_items_keep_their_style() {
    assert_eq!(
        patch("resources:\n- \"a\"\n"),
        "resources:\n- \"a\"\n- \"flux-exception.yaml\"\n"
    );
}

#[test]
fn removal_takes_only_the_entry() {
    assert_eq!(
        unpatch("resources:\n  - a # mine\n  - flux-exception.yaml\n\n# end\n"),
        "resources:\n  - a # mine\n\n# end\n"
    );
    assert_eq!(
        unpatch("kind: Kustomization\r\nresources: # list\r\n- ./flux-exception.yaml\r\n"),
        "kind: Kustomization\r\nresources: [] # list\r\n"
    );
    assert_eq!(
        unpatch("resources: [a, flux-exception.yaml, b]\n"),
        "resources: [a, b]\n"
    );
    assert_eq!(
        unpatch("resources: [a, \"flux-exception.yaml\"]\n"),
        "resources: [a]\n"
    );
    assert_eq!(
        unpatch("resources: [flux-exception.yaml]\n"),
        "resources: []\n"
    );
    assert_eq!(unpatch("resources: [a]\n"), "resources: [a]\n");
    for input in [
        "resources:\n- a\n",
        "resources: [b, a]\n",
        "resources:\n  - 'a'\n",
    ] {
        let added = patch(input);
        assert_eq!(unpatch(&added), input, "add then remove is the identity");
    }
}

#[test]
fn a_flux_object_is_not_a_kustomization() {
    let flux =
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: x\n";
    let e = add_resources(flux.as_bytes(), &["x.yaml".into()]).unwrap_err();
    assert!(e.contains("kustomize.toolkit.fluxcd.io/v1"), "{e}");
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\n";
    assert!(add_resources(pvc.as_bytes(), &["x.yaml".into()]).is_err());
}

#[test]
fn refusals() {
    let e = |s: &str| add_resources(s.as_bytes(), &["x.yaml".into()]).unwrap_err();
    assert!(e("resources: [a]\nresources: [b]\n").contains("more than once"));
    assert!(e("resources: foo\n").contains("not a list"));
    assert!(e("- a\n").contains("not a mapping"));
    assert!(e("base: &b {namespace: x}\n<<: *b\nresources: [a]\n").contains("merge key"));
}
