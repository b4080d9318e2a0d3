use super::*;
use crate::tree::MemTree;

fn tree(files: &[(&str, &str)]) -> MemTree {
    let mut t = MemTree::default();
    for (p, c) in files {
        t.files.insert(p.to_string(), c.as_bytes().to_vec());
    }
    t
}

fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
}

#[test]
fn generator_walks_plain_folders_and_takes_kustomized_ones_whole() {
    let t = tree(&[
        ("infra/top.yaml", &cm("top")),
        ("infra/pod-identity/release.yaml", &cm("release")),
        (
            "infra/nginx/kustomization.yaml",
            "resources: [deploy.yaml]\n",
        ),
        ("infra/nginx/deploy.yaml", &cm("nginx")),
        ("infra/nginx/unused.yaml", &cm("unused")),
        ("infra/README.md", "# not yaml\n"),
    ]);
    assert_eq!(
        generated_entries(&t, "infra").unwrap().unwrap(),
        ["nginx", "pod-identity/release.yaml", "top.yaml"]
    );
    let b = build(&t, "infra").unwrap();
    assert!(b.builds(), "{:?}", b.errors);
    assert!(b.generated);
    let names: Vec<&str> = b.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["nginx", "release", "top"]);
}

#[test]
fn generator_fails_on_a_yaml_file_that_is_not_kubernetes() {
    let t = tree(&[
        ("infra/top.yaml", &cm("top")),
        ("infra/values.yaml", "replicas: 2\n"),
    ]);
    let b = build(&t, "infra").unwrap();
    assert!(!b.builds());
    assert!(b.errors[0].contains("infra/values.yaml"), "{:?}", b.errors);
}

#[test]
fn dangling_entries_duplicates_and_namespaces() {
    let t = tree(&[
        (
            "s/kustomization.yaml",
            "namespace: other\nresources:\n- a.yaml\n- gone.yaml\n- https://example.com/x.yaml\n",
        ),
        ("s/a.yaml", &format!("{}---\n{}", cm("a"), cm("a"))),
    ]);
    let b = build(&t, "s").unwrap();
    assert_eq!(b.errors.len(), 2, "{:?}", b.errors);
    assert!(b.errors.iter().any(|e| e.contains("gone.yaml")));
    assert!(b.errors.iter().any(|e| e.contains("twice")));
    assert!(
        b.objects
            .iter()
            .all(|o| o.namespace.as_deref() == Some("other"))
    );
    assert!(
        b.sources
            .contains(&Source::Remote("https://example.com/x.yaml".into()))
    );
}

#[test]
fn a_missing_folder_does_not_build() {
    let b = build(&MemTree::default(), "apps/staging").unwrap();
    assert!(b.missing && !b.builds());
}
