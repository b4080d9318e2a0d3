//! The objects Flux applies from a repository's stages, with their bodies.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_yaml::Value;

use super::Unmapped;
use crate::applied::{self, Object};
use crate::doctor;
use crate::error::Result;
use crate::tree::{DiskTree, Tree};

/// An applied object and the document it comes from.
pub struct Found {
    pub object: Object,
    pub body: Value,
}

/// Every stage folder the repository's infrastructure code points Flux at,
/// as folders from the root (stages whose path is computed or leaves the
/// repository are left out).
pub fn stage_dirs(tree: &DiskTree) -> Result<Vec<String>> {
    let mut dirs = BTreeSet::new();
    for (layout, facts) in doctor::layouts(tree)? {
        for stage in &facts.stages {
            if let Some(dir) = stage
                .path
                .as_deref()
                .and_then(|p| doctor::rules::stage_dir(&layout, p))
            {
                dirs.insert(dir);
            }
        }
    }
    Ok(dirs.into_iter().collect())
}

/// Stage folders whose Flux Kustomization changes what the folder builds
/// (`targetNamespace`, its own `patches`), with what it does: discovery
/// reads the folder's build, so what runs there is not what it sees.
pub fn flux_changes(tree: &DiskTree) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (layout, facts) in doctor::layouts(tree)? {
        for stage in &facts.stages {
            let Some(dir) = stage
                .path
                .as_deref()
                .and_then(|p| doctor::rules::stage_dir(&layout, p))
            else {
                continue;
            };
            let what = match (&stage.target_namespace, stage.flux_patches) {
                (Some(ns), _) => format!("moves it to namespace {ns} (targetNamespace)"),
                (None, true) => "patches it (spec.patches)".to_string(),
                (None, false) => continue,
            };
            out.insert(
                dir,
                format!(
                    "the Flux Kustomization {} at {}:{} {what}",
                    stage.name, stage.file, stage.line
                ),
            );
        }
    }
    Ok(out)
}

/// The objects every stage applies, each once, with the stages that do not
/// build reported.
pub fn collect(tree: &dyn Tree, dirs: &[String]) -> Result<(Vec<Found>, Vec<Unmapped>)> {
    let mut seen = BTreeSet::new();
    let mut docs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for dir in dirs {
        let build = applied::build(tree, dir)?;
        for why in &build.errors {
            problems.push(Unmapped {
                object: format!("stage {}", if dir.is_empty() { "." } else { dir }),
                file: dir.clone(),
                reason: format!("it does not build, so what it applies is not known: {why}"),
            });
        }
        for object in build.objects {
            if !seen.insert((object.id(), object.file.clone())) {
                continue;
            }
            if !docs.contains_key(&object.file) {
                docs.insert(object.file.clone(), documents(tree, &object.file)?);
            }
            if let Some(body) = body_of(&docs[&object.file], &object) {
                found.push(Found {
                    body: body.clone(),
                    object,
                });
            }
        }
    }
    Ok((found, problems))
}

/// The documents of a repository file (none for a remote or unreadable one).
fn documents(tree: &dyn Tree, file: &str) -> Result<Vec<Value>> {
    let Some(bytes) = tree.read(file)? else {
        return Ok(Vec::new());
    };
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        match Value::deserialize(doc) {
            Ok(Value::Mapping(m))
                if m.get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List")) =>
            {
                if let Some(Value::Sequence(items)) = m.get("items") {
                    out.extend(items.iter().cloned());
                }
            }
            Ok(v) => out.push(v),
            Err(_) => break,
        }
    }
    Ok(out)
}

fn body_of<'a>(docs: &'a [Value], object: &Object) -> Option<&'a Value> {
    docs.iter().find(|d| {
        str_at(d, &["kind"]) == Some(object.kind.as_str())
            && str_at(d, &["metadata", "name"]) == Some(object.name.as_str())
            && str_at(d, &["metadata", "namespace"]) == object.declared_namespace.as_deref()
    })
}

/// The value at `path` of a mapping, if any.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// The string at `path`, if any.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The string at `path` with keys compared without case, as Go's JSON
/// decoder reads Pod Identity's objects (`ResourceID`, `Selector`…).
pub fn field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| {
        v.as_mapping()?
            .iter()
            .find(|(key, _)| key.as_str().is_some_and(|s| s.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v)
    })
}
