//! What Flux applies from a folder, seen the way Flux sees it: `kubectl
//! kustomize` (kustomize v5, the library Flux builds with) on a folder with
//! a kustomization file; on a folder without one, the kustomization Flux's
//! generator (fluxcd/pkg kustomize/kustomize_generator.go) writes there
//! first: every .yaml/.yml file, walking plain sub-folders, and each
//! sub-folder with its own kustomization file as one entry. Written apart
//! from the tool's own model, so that the two check each other.

use std::collections::BTreeSet;

use super::{stderr, stdout, tempdir};
use std::path::Path;
use std::process::Command;

/// An object Flux applies: (kind, namespace, name).
pub type Id = (String, String, String);

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn has_kustomization(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|n| dir.join(n).is_file())
}

/// The generator's resource list for `dir`, relative to it.
fn generated(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let mut names: Vec<_> = std::fs::read_dir(dir.join(rel))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        let sub = if rel.is_empty() {
            n.clone()
        } else {
            format!("{rel}/{n}")
        };
        let p = dir.join(&sub);
        if p.is_dir() {
            if has_kustomization(&p) {
                out.push(sub);
            } else {
                generated(dir, &sub, out);
            }
        } else if n.ends_with(".yaml") || n.ends_with(".yml") {
            out.push(sub);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == ".flux-scaffold" || name == ".git" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if src.is_symlink() {
            // The source-controller leaves symbolic links out of the artifact.
            continue;
        }
        if src.is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&src, &dst);
        } else {
            let mut bytes = std::fs::read(&src).unwrap();
            if KUSTOMIZATION_FILES.iter().any(|k| name == *k) {
                // Offline: remote resources are left out of the build.
                let text = String::from_utf8_lossy(&bytes)
                    .lines()
                    .filter(|l| !l.contains("://"))
                    .collect::<Vec<_>>()
                    .join("\n");
                bytes = (text + "\n").into_bytes();
            }
            std::fs::write(&dst, bytes).unwrap();
        }
    }
}

/// Build `stage` of the repository at `root` as Flux would: the objects it
/// applies, or why it fails.
pub fn build(root: &Path, stage: &str) -> Result<Vec<serde_yaml::Value>, String> {
    let dir = root.join(stage);
    if !dir.is_dir() || std::fs::read_dir(&dir).unwrap().next().is_none() {
        return Err(format!("{stage} does not exist"));
    }
    let tmp = tempdir();
    copy_tree(root, tmp.path());
    let copy = tmp.path().join(stage);
    if !has_kustomization(&copy) {
        let mut list = Vec::new();
        generated(&copy, "", &mut list);
        let mut k = String::from("resources:\n");
        for e in list {
            k.push_str(&format!("- ./{e}\n"));
        }
        std::fs::write(copy.join("kustomization.yaml"), k).unwrap();
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&copy)
        .output()
        .expect("kubectl must be installed to run these tests (.ci/run installs it)");
    if !out.status.success() {
        return Err(format!("kubectl kustomize {stage}: {}", stderr(&out)));
    }
    Ok(super::documents(&stdout(&out)))
}

pub fn id(o: &serde_yaml::Value) -> Id {
    let s = |v: &serde_yaml::Value| v.as_str().unwrap_or("").to_string();
    (
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

/// Pod Identity's HelmRepository and HelmRelease as flux-scaffold writes
/// them (`pod_identity_release=flux`).
fn is_own_release(o: &serde_yaml::Value) -> bool {
    let name = o["metadata"]["name"].as_str() == Some("aad-pod-identity");
    match o["kind"].as_str() {
        Some("HelmRepository") => {
            name && o["spec"]["url"].as_str()
                == Some("https://raw.githubusercontent.com/Azure/aad-pod-identity/master/charts")
        }
        Some("HelmRelease") => {
            name && o["spec"]["chart"]["spec"]["version"].as_str() == Some("4.1.18")
        }
        _ => false,
    }
}

/// The ids of `objects`, leaving out the kinds flux-scaffold itself writes.
pub fn user_ids(objects: &[serde_yaml::Value]) -> BTreeSet<Id> {
    objects
        .iter()
        .filter(|o| {
            let kind = o["kind"].as_str().unwrap_or("");
            let api = o["apiVersion"].as_str().unwrap_or("");
            !(kind == "AzurePodIdentityException"
                || kind == "CustomResourceDefinition"
                || api.starts_with("kustomize.toolkit.fluxcd.io/")
                || is_own_release(o))
        })
        .map(id)
        .collect()
}

/// The folders the generated infrastructure code and Flux objects point
/// Flux at, read from the files themselves (az script, Terraform, Bicep,
/// Flux Kustomizations), plus `clusters/<env>` where Flux objects live.
pub fn stages(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    let clean = |p: &str| p.trim_start_matches("./").trim_end_matches('/').to_string();
    let sh = read("iac/flux-configuration.sh");
    for word in sh.split_whitespace() {
        if let Some(p) = word.strip_prefix("path=") {
            out.insert(clean(p));
        }
    }
    let tf = read("iac/flux-configuration.tf");
    for line in tf.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("path") {
            let rest = rest.trim_start();
            if let Some(v) = rest.strip_prefix('=') {
                out.insert(clean(v.trim().trim_matches('"')));
            }
        }
    }
    if let Ok(rd) = std::fs::read_dir(root.join("clusters")) {
        for e in rd.flatten() {
            let f = e.path().join("flux-kustomizations.yaml");
            if let Ok(text) = std::fs::read_to_string(&f) {
                out.insert(format!("clusters/{}", e.file_name().to_string_lossy()));
                for d in super::documents(&text) {
                    if let Some(p) = d["spec"]["path"].as_str() {
                        out.insert(clean(p));
                    }
                }
            }
        }
    }
    out
}

/// Environment → (cluster, flux configuration) from the az script.
pub fn environments(root: &Path) -> std::collections::BTreeMap<String, (String, String)> {
    let sh = std::fs::read_to_string(root.join("iac/flux-configuration.sh")).unwrap_or_default();
    let mut out = std::collections::BTreeMap::new();
    let mut env = None;
    let mut cluster = None;
    for line in sh.lines() {
        let t = line.trim();
        if let Some(e) = t.strip_prefix("# ")
            && !e.contains(' ')
        {
            env = Some(e.to_string());
        } else if let Some(c) = t.strip_prefix("--cluster-name ") {
            cluster = Some(c.trim_end_matches(" \\").to_string());
        } else if let Some(n) = t.strip_prefix("--name ")
            && let (Some(e), Some(c)) = (env.clone(), cluster.take())
        {
            out.insert(e, (c, n.trim_end_matches(" \\").to_string()));
        }
    }
    out
}
