//! What Flux applies from a folder of the repository, read offline.
//!
//! A folder with a kustomization file is built the way kustomize builds it:
//! its `resources` (also `bases` and `components`) are files of Kubernetes
//! objects, folders with a kustomization of their own, or remote URLs; a
//! `namespace:` moves every namespaced object it builds. A folder with none
//! is what Flux's generator (fluxcd/pkg `kustomize/kustomize_generator.go`)
//! makes of it: every `.yaml`/`.yml` file in the folder and, walking down in
//! name order, in plain sub-folders (hidden ones too), each of which must
//! decode as Kubernetes objects or the whole build fails; a sub-folder with
//! its own kustomization file is taken as one unit and not walked.
//!
//! The model is the planner's invariant (a run never drops what a stage
//! applied, never leaves an entry pointing at nothing) and the base of
//! `doctor`. It never fetches remote resources: they are kept as URLs.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::error::Result;
use crate::kustomize;
use crate::tree::Tree;

/// Where a resource comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A file of the repository, by path from the root.
    File(String),
    /// A remote resource, as written in the kustomization.
    Remote(String),
}

impl Source {
    pub fn display(&self) -> &str {
        match self {
            Source::File(p) | Source::Remote(p) => p,
        }
    }
}

/// One Kubernetes object a build yields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// The namespace the object declares in its file.
    pub declared_namespace: Option<String>,
    /// The namespace it is applied in, after every `namespace:` override.
    pub namespace: Option<String>,
    /// The file it comes from.
    pub file: String,
    /// Why its namespace cannot be known offline (a patch, replacement or
    /// transformer that touches namespaces, a remote component), if so.
    pub namespace_unknown: Option<String>,
}

impl Object {
    /// kustomize's identity of the object: two with one id fail the build.
    pub fn id(&self) -> String {
        let group = self.api_version.split_once('/').map_or("", |(g, _)| g);
        format!(
            "{}{}/{}{}",
            self.kind,
            if group.is_empty() {
                String::new()
            } else {
                format!(".{group}")
            },
            self.namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default(),
            self.name
        )
    }
}

/// What Flux applies from one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Build {
    /// Every file and remote URL the build takes objects from.
    pub sources: BTreeSet<Source>,
    pub objects: Vec<Object>,
    /// Why Flux would fail to build the folder; empty when it builds.
    pub errors: Vec<String>,
    /// The folder has no kustomization file: Flux generates one.
    pub generated: bool,
    /// The folder does not exist (or holds nothing Git keeps).
    pub missing: bool,
    /// Every file the build read and every folder it listed: a change to
    /// none of them (nor a file added to such a folder) leaves it as it is.
    pub read: BTreeSet<String>,
}

impl Build {
    pub fn builds(&self) -> bool {
        self.errors.is_empty()
    }

    /// Whether a change to the file at `path` can change this build.
    pub fn depends_on(&self, path: &str) -> bool {
        // The file itself, or any folder above it that the build listed
        // (a new folder below a listed one changes what that listing shows).
        let mut p = path;
        loop {
            if self.read.contains(p) {
                return true;
            }
            match p.rsplit_once('/') {
                Some((d, _)) => p = d,
                None => return self.read.contains(""),
            }
        }
    }
}

/// A tree that notes every path read or listed through it.
struct Recording<'a> {
    tree: &'a dyn Tree,
    read: std::cell::RefCell<BTreeSet<String>>,
}

impl Tree for Recording<'_> {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        self.read.borrow_mut().insert(rel.to_string());
        self.tree.read(rel)
    }

    fn list(&self, rel: &str) -> Result<Vec<crate::tree::Entry>> {
        self.read.borrow_mut().insert(rel.to_string());
        self.tree.list(rel)
    }
}

/// The kustomization file of `dir`, if it has one (an error when it has
/// more than one: kustomize refuses that).
pub fn kustomization_file(
    tree: &dyn Tree,
    dir: &str,
) -> Result<std::result::Result<Option<String>, String>> {
    let names: BTreeSet<String> = tree
        .list(dir)?
        .into_iter()
        .filter(|e| !e.is_dir)
        .map(|e| e.name)
        .collect();
    let found: Vec<String> = kustomize::FILE_NAMES
        .iter()
        .filter(|n| names.contains(**n))
        .map(|n| join(dir, n))
        .collect();
    Ok(match found.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next()),
        _ => Err(format!(
            "{} holds more than one kustomization file ({})",
            shown(dir),
            found.join(", ")
        )),
    })
}

/// What Flux applies from `dir` (a path from the repository root).
pub fn build(tree: &dyn Tree, dir: &str) -> Result<Build> {
    let rec = Recording {
        tree,
        read: Default::default(),
    };
    let mut out = build_in(&rec, tree, dir)?;
    out.read = rec.read.into_inner();
    Ok(out)
}

/// `raw` is the same tree, unrecorded: the symbolic-link checks list every
/// folder up to the root, which no change below a stage can alter.
fn build_in(tree: &dyn Tree, raw: &dyn Tree, dir: &str) -> Result<Build> {
    let mut b = Builder {
        tree,
        raw,
        filter: Artifact::of(raw, dir)?,
        out: Build::default(),
        visiting: Vec::new(),
    };
    let entries = tree.list(dir)?;
    if entries.is_empty() {
        b.out.missing = true;
        b.out.generated = true;
        b.out.errors.push(format!(
            "{} does not exist (or is empty, which Git does not keep)",
            shown(dir)
        ));
        return Ok(b.out);
    }
    match kustomization_file(tree, dir)? {
        Err(e) => b.out.errors.push(e),
        Ok(Some(_)) => {
            let objects = b.kustomization(dir)?;
            b.out.objects = objects;
        }
        Ok(None) => {
            b.out.generated = true;
            match generated_entries(tree, dir)? {
                Err(e) => b.out.errors.push(e),
                Ok(list) => {
                    let mut objects = Vec::new();
                    for entry in list {
                        objects.extend(b.resource(dir, &entry, &join(dir, "(generated)"))?);
                    }
                    b.out.objects = objects;
                }
            }
        }
    }
    b.check_ids();
    Ok(b.out)
}

/// The namespace a namespaced object declared in `ns` would end in once its
/// file is added to the kustomization of `dir`, when that differs from `ns`
/// (a `namespace:` override, a component's, a NamespaceTransformer).
/// `Err` when the kustomization cannot take an entry at all.
pub fn moves_new_object(
    tree: &dyn Tree,
    dir: &str,
    ns: &str,
) -> Result<std::result::Result<Option<String>, String>> {
    const PROBE: &str = "flux-scaffold-namespace-probe.yaml";
    let probe = join(dir, PROBE);
    let mut changes = BTreeMap::new();
    changes.insert(
        probe.clone(),
        Some(
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flux-scaffold-probe\n  namespace: {ns}\n")
                .into_bytes(),
        ),
    );
    if let Ok(Some(file)) = kustomization_file(tree, dir)? {
        let bytes = tree.read(&file)?.unwrap_or_default();
        match kustomize::add_resources(&bytes, &[PROBE.to_string()]) {
            Ok(kustomize::Patched::Changed(b)) => {
                changes.insert(file, Some(b));
            }
            Ok(kustomize::Patched::Unchanged) => {}
            Err(why) => return Ok(Err(why)),
        }
    }
    let after = crate::tree::Overlay {
        base: tree,
        changes,
    };
    let b = build(&after, dir)?;
    let found = b.objects.iter().find(|o| o.file == probe);
    if let Some(why) = found.and_then(|o| o.namespace_unknown.clone()) {
        return Ok(Ok(Some(format!("a namespace it cannot tell ({why})"))));
    }
    Ok(Ok(found
        .and_then(|o| o.namespace.clone())
        .filter(|n| n != ns)))
}

/// What Flux's generator lists for a folder with no kustomization file,
/// relative to it and in its order; `Err` says why the generator fails.
pub fn generated_entries(
    tree: &dyn Tree,
    dir: &str,
) -> Result<std::result::Result<Vec<String>, String>> {
    let mut out = Vec::new();
    let filter = Artifact::of(tree, dir)?;
    if let Err(e) = walk(tree, &filter, dir, "", &mut out)? {
        return Ok(Err(e));
    }
    Ok(Ok(out))
}

fn walk(
    tree: &dyn Tree,
    filter: &Artifact,
    root: &str,
    rel: &str,
    out: &mut Vec<String>,
) -> Result<std::result::Result<(), String>> {
    let here = join(root, rel);
    for e in tree.list(&here)? {
        let sub_rel = join(rel, &e.name);
        let sub = join(root, &sub_rel);
        // What the source-controller leaves out of the artifact, Flux never sees.
        if e.symlink || filter.leaves_out(&sub, e.is_dir) {
            continue;
        }
        if e.is_dir {
            match kustomization_file(tree, &sub)? {
                Ok(Some(_)) | Err(_) => out.push(sub_rel),
                Ok(None) => {
                    if let Err(e) = walk(tree, filter, root, &sub_rel, out)? {
                        return Ok(Err(e));
                    }
                }
            }
            continue;
        }
        // Go's filepath.Ext: the suffix from the last dot, case-sensitive.
        if !(e.name.ends_with(".yaml") || e.name.ends_with(".yml")) {
            continue;
        }
        let bytes = tree.read(&sub)?.unwrap_or_default();
        if let Err(why) = objects_of(&bytes, &sub) {
            return Ok(Err(format!(
                "Flux's generated kustomization fails on {sub}: {why}"
            )));
        }
        out.push(sub_rel);
    }
    Ok(Ok(()))
}

/// The objects of a file of Kubernetes YAML, the way kustomize reads it:
/// empty documents are skipped; every other needs a `kind` and, unless it
/// is a `...List`, a `metadata.name`; a List's items are taken one by one.
pub fn objects_of(bytes: &[u8], file: &str) -> std::result::Result<Vec<Object>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|_| "it is not UTF-8 text".to_string())?;
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let value =
            serde_yaml::Value::deserialize(doc).map_err(|e| format!("invalid YAML ({e})"))?;
        push_object(&value, file, &mut out)?;
    }
    Ok(out)
}

fn push_object(
    value: &serde_yaml::Value,
    file: &str,
    out: &mut Vec<Object>,
) -> std::result::Result<(), String> {
    let map = match value {
        serde_yaml::Value::Null => return Ok(()),
        serde_yaml::Value::Mapping(m) if m.is_empty() => return Ok(()),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("a document is not a mapping".into()),
    };
    let text = |v: Option<&serde_yaml::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    let kind = text(map.get("kind")).unwrap_or_default();
    if kind.is_empty() {
        return Err("an object has no kind".into());
    }
    if kind.ends_with("List") {
        if let Some(serde_yaml::Value::Sequence(items)) = map.get("items") {
            for item in items {
                push_object(item, file, out)?;
            }
        }
        return Ok(());
    }
    let meta = map.get("metadata");
    let name = text(meta.and_then(|m| m.get("name"))).unwrap_or_default();
    if name.is_empty() {
        return Err(format!("a {kind} has no metadata.name"));
    }
    let ns = text(meta.and_then(|m| m.get("namespace"))).filter(|n| !n.is_empty());
    out.push(Object {
        api_version: text(map.get("apiVersion")).unwrap_or_default(),
        kind,
        name,
        declared_namespace: ns.clone(),
        namespace: ns,
        file: file.to_string(),
        namespace_unknown: None,
    });
    Ok(())
}

/// What a `namespace:` override does: every namespaced object moves there.
fn set_namespace(objects: &mut [Object], ns: &str) {
    for o in objects {
        if !cluster_scoped(&o.kind) {
            o.namespace = Some(ns.to_string());
        }
    }
}

fn mark_unknown(objects: &mut [Object], why: &str) {
    for o in objects {
        if !cluster_scoped(&o.kind) && o.namespace_unknown.is_none() {
            o.namespace_unknown = Some(why.to_string());
        }
    }
}

/// Kinds a `namespace:` override leaves alone.
fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "CustomResourceDefinition"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "PersistentVolume"
            | "StorageClass"
            | "PriorityClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
            | "IngressClass"
            | "RuntimeClass"
            | "CSIDriver"
            | "CSINode"
            | "VolumeSnapshotClass"
            | "PodSecurityPolicy"
            | "ClusterIssuer"
            | "Node"
    )
}

/// Whether a `resources` entry names a remote resource rather than a path.
pub fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
}

/// The kustomization entries that point at files (`resources`, `bases`,
/// `components`), by field.
pub fn entries_of(data: &serde_yaml::Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for field in ["resources", "bases", "components"] {
        if let Some(serde_yaml::Value::Sequence(items)) = data.get(field) {
            for i in items {
                if let Some(s) = i.as_str() {
                    out.push((field, s.to_string()));
                }
            }
        }
    }
    out
}

/// What Flux's source-controller leaves out of the artifact it serves:
/// symbolic links, its default exclusions (fluxcd/pkg `sourceignore`) and
/// the patterns of the `.sourceignore` files, each scoped to its folder.
pub struct Artifact {
    ignore: ignore::gitignore::Gitignore,
}

/// fluxcd/pkg sourceignore: ExcludeVCS, ExcludeExt, ExcludeCI, ExcludeExtra.
const SOURCE_IGNORE_DEFAULTS: &[&str] = &[
    ".git/",
    ".gitignore",
    ".gitmodules",
    ".gitattributes",
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

impl Artifact {
    /// The filter for building `dir`: the default exclusions, and the
    /// `.sourceignore` files of the root, of every folder above `dir`, and
    /// of every folder below it, each scoped to its folder (fluxcd/pkg
    /// `sourceignore.LoadIgnorePatterns`).
    pub fn of(tree: &dyn Tree, dir: &str) -> Result<Artifact> {
        let mut b = ignore::gitignore::GitignoreBuilder::new("/");
        for p in SOURCE_IGNORE_DEFAULTS {
            let _ = b.add_line(None, p);
        }
        let mut folders = vec![String::new()];
        let mut at = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            at = join(&at, part);
            folders.push(at.clone());
        }
        let mut below = vec![dir.to_string()];
        while let Some(d) = below.pop() {
            for e in tree.list(&d)? {
                if e.is_dir && !e.symlink && e.name != ".git" {
                    let sub = join(&d, &e.name);
                    folders.push(sub.clone());
                    below.push(sub);
                }
            }
        }
        folders.sort();
        folders.dedup();
        for folder in folders {
            let Some(bytes) = tree.read(&join(&folder, ".sourceignore"))? else {
                continue;
            };
            for line in String::from_utf8_lossy(&bytes).lines() {
                if !line.starts_with('#') && !line.trim().is_empty() {
                    let _ = b.add_line(None, &scoped(&folder, line));
                }
            }
        }
        Ok(Artifact {
            ignore: b
                .build()
                .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty()),
        })
    }

    /// Whether the file or folder at `path` (from the root) is left out.
    pub fn leaves_out(&self, path: &str, is_dir: bool) -> bool {
        self.ignore
            .matched_path_or_any_parents(std::path::Path::new("/").join(path), is_dir)
            .is_ignore()
    }
}

/// A `.sourceignore` line of `folder`, as a pattern from the root: one
/// without an inner slash matches at any depth below its folder.
fn scoped(folder: &str, line: &str) -> String {
    if folder.is_empty() {
        return line.to_string();
    }
    let (neg, body) = match line.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", line),
    };
    let dir_only = body.ends_with('/');
    let core = body.trim_end_matches('/');
    let anchored = core.trim_start_matches('/').contains('/') || core.starts_with('/');
    let pattern = if anchored {
        format!("/{folder}/{}", core.trim_start_matches('/'))
    } else {
        format!("/{folder}/**/{core}")
    };
    format!("{neg}{pattern}{}", if dir_only { "/" } else { "" })
}

struct Builder<'a> {
    tree: &'a dyn Tree,
    raw: &'a dyn Tree,
    filter: Artifact,
    out: Build,
    visiting: Vec<String>,
}

impl Builder<'_> {
    /// Build the kustomization in `dir`; the objects it yields.
    fn kustomization(&mut self, dir: &str) -> Result<Vec<Object>> {
        if self.visiting.iter().any(|d| d == dir) {
            self.out
                .errors
                .push(format!("{} is included in itself (a cycle)", shown(dir)));
            return Ok(Vec::new());
        }
        let file = match kustomization_file(self.tree, dir)? {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.out.errors.push(format!(
                    "{} is listed as a resource but has no kustomization file",
                    shown(dir)
                ));
                return Ok(Vec::new());
            }
            Err(e) => {
                self.out.errors.push(e);
                return Ok(Vec::new());
            }
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        let data = match kustomize::read_kustomization(&bytes) {
            Ok(d) => d,
            Err(why) => {
                self.out.errors.push(format!("{file}: {why}"));
                return Ok(Vec::new());
            }
        };
        self.visiting.push(dir.to_string());
        let mut objects = Vec::new();
        let entries = entries_of(&data);
        for (_, entry) in entries.iter().filter(|(f, _)| *f != "components") {
            objects.extend(self.resource(dir, entry, &file)?);
        }
        // A component transforms everything its includer accumulated: its
        // `namespace:` moves the includer's objects too.
        for (_, entry) in entries.iter().filter(|(f, _)| *f == "components") {
            objects.extend(self.resource(dir, entry, &file)?);
            let comp = resolve(dir, entry).unwrap_or_default();
            if let Some(ns) = self.namespace_of(&comp)? {
                set_namespace(&mut objects[..], &ns);
            }
        }
        self.visiting.pop();
        for (_, entry) in entries.iter().filter(|(f, _)| *f == "components") {
            let comp = resolve(dir, entry).unwrap_or_default();
            let why = if is_remote(entry) {
                Some(format!("the remote component {entry}"))
            } else {
                self.unknown_namespace_effect(&comp, 0)?
            };
            if let Some(why) = why {
                mark_unknown(&mut objects, &why);
            }
        }
        if let Some(why) = self.touches_namespace(dir, &data)? {
            mark_unknown(&mut objects, &format!("{file}: {why}"));
        }
        self.check_patch_paths(dir, &file, &data)?;
        for ns in self.namespace_transformers(dir, &data)? {
            set_namespace(&mut objects, &ns);
        }
        if let Some(ns) = data.get("namespace").and_then(|n| n.as_str()) {
            set_namespace(&mut objects, ns);
        }
        Ok(objects)
    }

    /// Why `path` is not in Flux's artifact: a symbolic link on the way, or
    /// an ignore pattern; None when it is there (or not there at all).
    fn left_out(&mut self, path: &str) -> Result<Option<&'static str>> {
        let mut at = String::new();
        for part in path.split('/') {
            let parent = at.clone();
            at = join(&at, part);
            let entry = self.raw.list(&parent)?.into_iter().find(|e| e.name == part);
            let Some(e) = entry else { return Ok(None) };
            if e.symlink {
                return Ok(Some("a symbolic link"));
            }
            if self.filter.leaves_out(&at, e.is_dir) {
                return Ok(Some(
                    "ignored by .sourceignore or Flux's default exclusions",
                ));
            }
        }
        Ok(None)
    }

    /// Why the component in `dir` (or one it includes) may move its
    /// includer's objects in ways not modelled here.
    fn unknown_namespace_effect(&mut self, dir: &str, depth: usize) -> Result<Option<String>> {
        let Ok(Some(file)) = kustomization_file(self.tree, dir)? else {
            return Ok(None);
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        let Ok(data) = kustomize::read_kustomization(&bytes) else {
            return Ok(None);
        };
        if let Some(why) = self.touches_namespace(dir, &data)? {
            return Ok(Some(format!("{file}: {why}")));
        }
        for (field, entry) in entries_of(&data) {
            if field != "components" || depth > 8 {
                continue;
            }
            if is_remote(&entry) {
                return Ok(Some(format!("the remote component {entry}")));
            }
            let sub = resolve(dir, &entry).unwrap_or_default();
            if let Some(ns) = self.namespace_of(&sub)? {
                return Ok(Some(format!(
                    "the nested component {sub} sets namespace {ns}"
                )));
            }
            if let Some(why) = self.unknown_namespace_effect(&sub, depth + 1)? {
                return Ok(Some(why));
            }
        }
        Ok(None)
    }

    /// A `patches` or `patchesStrategicMerge` file that does not exist
    /// fails the build, like a `resources` entry pointing at nothing.
    fn check_patch_paths(&mut self, dir: &str, file: &str, data: &serde_yaml::Value) -> Result<()> {
        for field in ["patches", "patchesStrategicMerge"] {
            let Some(serde_yaml::Value::Sequence(items)) = data.get(field) else {
                continue;
            };
            for item in items {
                let path = match field {
                    "patches" => item.get("path").and_then(|p| p.as_str()),
                    _ => item.as_str().filter(|s| !s.contains('\n')),
                };
                let Some(entry) = path else { continue };
                let Some(target) = resolve(dir, entry) else {
                    continue;
                };
                if matches!(self.tree.read(&target), Ok(None)) {
                    self.out.errors.push(format!(
                        "{file}: {field} entry {entry:?} points at nothing ({target} does not exist)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether a kustomization's patches, replacements or transformers
    /// (other than a NamespaceTransformer, which is modelled) mention
    /// namespaces: what they do to them is not worked out here.
    fn touches_namespace(&mut self, dir: &str, data: &serde_yaml::Value) -> Result<Option<String>> {
        for field in [
            "patches",
            "patchesJson6902",
            "patchesStrategicMerge",
            "replacements",
            "transformers",
        ] {
            let Some(serde_yaml::Value::Sequence(items)) = data.get(field) else {
                continue;
            };
            for item in items {
                let mut texts = vec![serde_yaml::to_string(item).unwrap_or_default()];
                let path = item
                    .as_str()
                    .filter(|s| !s.contains('\n'))
                    .or_else(|| item.get("path").and_then(|p| p.as_str()));
                if let Some(p) = path.and_then(|p| resolve(dir, p))
                    && let Some(b) = self.tree.read(&p)?
                {
                    texts.push(String::from_utf8_lossy(&b).into_owned());
                }
                if field == "patches" && item.get("target").is_none() && texts.len() == 2 {
                    // A strategic-merge patch file names its targets by
                    // metadata.namespace; that is identity, not a change.
                    texts[1] = without_target_namespaces(&texts[1]);
                }
                let text = texts.join("\n");
                let namespace_transformer =
                    field == "transformers" && text.contains("NamespaceTransformer");
                if text.contains("namespace") && !namespace_transformer {
                    return Ok(Some(format!(
                        "its {field} touch namespaces, which this tool does not work out"
                    )));
                }
            }
        }
        Ok(None)
    }

    /// The `namespace:` of the kustomization in `dir`, if any.
    fn namespace_of(&mut self, dir: &str) -> Result<Option<String>> {
        let Ok(Some(file)) = kustomization_file(self.tree, dir)? else {
            return Ok(None);
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        Ok(kustomize::read_kustomization(&bytes)
            .ok()
            .and_then(|d| d.get("namespace")?.as_str().map(str::to_string)))
    }

    /// The namespaces set by `NamespaceTransformer`s a kustomization runs
    /// (`transformers:` entries, files or inline).
    fn namespace_transformers(
        &mut self,
        dir: &str,
        data: &serde_yaml::Value,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let Some(serde_yaml::Value::Sequence(items)) = data.get("transformers") else {
            return Ok(out);
        };
        for item in items {
            let Some(entry) = item.as_str() else { continue };
            let text = if entry.contains('\n') {
                entry.to_string()
            } else {
                let Some(path) = resolve(dir, entry) else {
                    continue;
                };
                match self.tree.read(&path)? {
                    Some(b) => String::from_utf8_lossy(&b).into_owned(),
                    None => continue,
                }
            };
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let Ok(v) = serde_yaml::Value::deserialize(doc) else {
                    break;
                };
                if v.get("kind").and_then(|k| k.as_str()) == Some("NamespaceTransformer")
                    && let Some(ns) = v
                        .get("metadata")
                        .and_then(|m| m.get("namespace"))
                        .and_then(|n| n.as_str())
                {
                    out.push(ns.to_string());
                }
            }
        }
        Ok(out)
    }

    /// One entry of `dir`'s kustomization (`from` names it in messages).
    fn resource(&mut self, dir: &str, entry: &str, from: &str) -> Result<Vec<Object>> {
        let Some(path) = resolve(dir, entry) else {
            if is_remote(entry) {
                self.out.sources.insert(Source::Remote(entry.to_string()));
            } else {
                self.out.errors.push(format!(
                    "{from}: entry {entry:?} leads outside the repository"
                ));
            }
            return Ok(Vec::new());
        };
        if let Some(why) = self.left_out(&path)? {
            self.out.errors.push(format!(
                "{from}: entry {entry:?} points at {path}, {why}, which Flux's source-controller leaves out of what it serves"
            ));
            return Ok(Vec::new());
        }
        if !self.tree.list(&path)?.is_empty() {
            return self.kustomization(&path);
        }
        if let Some(bytes) = self.tree.read(&path)? {
            self.out.sources.insert(Source::File(path.clone()));
            return Ok(match objects_of(&bytes, &path) {
                Ok(o) => o,
                Err(why) => {
                    self.out.errors.push(format!("{path}: {why}"));
                    Vec::new()
                }
            });
        }
        if is_remote(entry) {
            self.out.sources.insert(Source::Remote(entry.to_string()));
        } else {
            self.out.errors.push(format!(
                "{from}: entry {entry:?} points at nothing ({path} does not exist)"
            ));
        }
        Ok(Vec::new())
    }

    fn check_ids(&mut self) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for o in &self.out.objects {
            let id = o.id();
            if let Some(first) = seen.get(&id) {
                self.out.errors.push(format!(
                    "{id} is defined twice ({first} and {}): kustomize fails with \"may not add resource with an already registered id\"",
                    o.file
                ));
            } else {
                seen.insert(id, &o.file);
            }
        }
    }
}

/// `entry` of the kustomization in `dir` as a path from the root, or None
/// when it leaves the repository.
fn resolve(dir: &str, entry: &str) -> Option<String> {
    if entry.starts_with('/') || entry.contains("://") {
        return None;
    }
    crate::tree::normalize(&join(dir, entry))
}

pub fn join(dir: &str, name: &str) -> String {
    match (dir.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => dir.to_string(),
        _ => format!("{dir}/{name}"),
    }
}

fn shown(dir: &str) -> &str {
    if dir.is_empty() { "." } else { dir }
}

/// A strategic-merge patch file's text without each object's own
/// `metadata.namespace` (which only says which object it patches); the text
/// as it is when it is not such a file.
fn without_target_namespaces(text: &str) -> String {
    let mut out = String::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let Ok(mut v) = serde_yaml::Value::deserialize(doc) else {
            return text.to_string();
        };
        let named =
            v.get("kind").is_some() && v.get("metadata").and_then(|m| m.get("name")).is_some();
        if !named {
            return text.to_string();
        }
        if let Some(serde_yaml::Value::Mapping(m)) = v.get_mut("metadata") {
            m.remove("namespace");
        }
        out.push_str(&serde_yaml::to_string(&v).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
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
}
