//! A user's kustomization: which entries this run adds (unless something
//! already provides them), which it takes out, and the patched bytes.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, FileOp, parent};
use crate::applied;
use crate::error::{Error, Result};
use crate::kustomize::{self, Patched};
use crate::pack::Ownership;
use crate::render::Rendered;
use crate::state::FileRecord;
use crate::tree::Tree;

/// The entries this tool added to the kustomization of `dir` in earlier runs.
pub(super) fn prev_added(
    prev_files: Option<&BTreeMap<String, FileRecord>>,
    dir: &str,
    r: Option<&Rendered>,
) -> Vec<String> {
    prev_files
        .into_iter()
        .flatten()
        .filter(|(p, _)| parent(p) == dir)
        .flat_map(|(p, rec)| match rec.ownership {
            Ownership::Patch => rec.resources.clone(),
            // Written whole by an earlier version: every entry it wants is its own.
            _ if r.is_some_and(|r| r.path == *p) => {
                r.map(|r| r.resources.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// The entries of patch `r` to add, and the pack's files not to write
/// because an entry already in the kustomization provides what they hold
/// (a matching `provided_by` pattern, or the same objects from another file).
/// A `patches` item changes objects listed elsewhere: it provides none.
pub(super) fn provided(
    r: &Rendered,
    rendered: &[Rendered],
    ours_before: &[String],
    tree: &dyn Tree,
    notices: &mut Vec<String>,
) -> Result<(Vec<String>, Vec<String>)> {
    let dir = parent(&r.path);
    let Ok(Some(file)) = applied::kustomization_file(tree, dir)? else {
        return Ok((r.resources.clone(), Vec::new()));
    };
    let data = tree
        .read(&file)?
        .and_then(|b| kustomize::read_kustomization(&b).ok());
    let Some(data) = data else {
        return Ok((r.resources.clone(), Vec::new()));
    };
    let listed: Vec<String> = applied::entries_of(&data)
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let mut built = None;
    let (mut add, mut skip) = (Vec::new(), Vec::new());
    for e in &r.resources {
        let target = applied::join(dir, kustomize::entry_path(e));
        if e.starts_with(kustomize::PATCH_ENTRY)
            || listed.iter().any(|x| kustomize::same_entry(x, e))
        {
            add.push(e.clone());
            continue;
        }
        let patterns: Vec<&String> = r
            .provided_by
            .iter()
            .filter(|(entry, _)| entry == e)
            .flat_map(|(_, p)| p)
            .collect();
        let by_pattern = listed.iter().find(|x| {
            !ours_before.contains(x)
                && patterns
                    .iter()
                    .any(|p| regex::Regex::new(p).is_ok_and(|re| re.is_match(x)))
        });
        let ours = rendered
            .iter()
            .find(|o| o.path == target)
            .and_then(|o| applied::objects_of(&o.content, &target).ok())
            .unwrap_or_default();
        if built.is_none() {
            built = Some(applied::build(tree, dir)?);
        }
        let theirs: BTreeSet<String> = built
            .as_ref()
            .map_or(&[][..], |b| &b.objects[..])
            .iter()
            .filter(|o| o.file != target)
            .map(applied::Object::id)
            .collect();
        let by_objects = !ours.is_empty() && ours.iter().all(|o| theirs.contains(&o.id()));
        match (by_pattern, by_objects) {
            (Some(x), _) => notices.push(format!(
                "{file} already lists {x}, which provides what {e} holds: {e} not added{}",
                if x.contains("/master/") || x.contains("/main/") {
                    " (that entry follows a branch, not a release: pin it by hand)"
                } else {
                    ""
                }
            )),
            (None, true) => notices.push(format!(
                "{file} already applies every object of {e}: {e} not added"
            )),
            (None, false) => {
                add.push(e.clone());
                continue;
            }
        }
        skip.push(target);
    }
    Ok((add, skip))
}

/// A patched kustomization, and the entries this run inserts.
pub(super) struct PatchOp {
    pub(super) file: FileOp,
    pub(super) inserted: Vec<String>,
}

/// Ensure `add` and take out `drop` in the kustomization of `dir`; `r` is
/// the pack's patch there, if it still has one. None when nothing is there
/// to patch.
pub(super) fn plan_patch(
    dir: &str,
    r: Option<&Rendered>,
    add: &[String],
    drop: &[String],
    tree: &dyn Tree,
) -> Result<Option<PatchOp>> {
    let found = applied::kustomization_file(tree, dir)?
        .map_err(|e| Error::input(format!("{e}; kustomize refuses that too")))?;
    let mut o = untouched_patch();
    let Some(path) = found else {
        return Ok(r
            .map(|r| create_kustomization(dir, r, add, tree))
            .transpose()?
            .flatten());
    };
    let bytes = tree.read(&path)?.unwrap_or_default();
    o.path = path;
    if let Some(ns) = r.and_then(|r| r.keep_namespace.as_ref())
        && let Some(other) = kustomize::namespace_override(&bytes).filter(|n| n != ns)
    {
        return Err(Error::input(format!(
            "{}: its `namespace: {other}` would move {} out of {ns}, where it must stay; use a folder without a namespace override (answer infra_path), or drop the override",
            o.path,
            add.join(", ")
        )));
    }
    let refused = |why: String, what: &str| {
        Error::input(format!(
            "{}: cannot {what} safely: {why}; edit its resources by hand",
            o.path
        ))
    };
    let listed: Vec<String> = kustomize::read_kustomization(&bytes)
        .map(|d| {
            applied::entries_of(&d)
                .into_iter()
                .map(|(_, e)| e)
                .collect()
        })
        .unwrap_or_default();
    let inserted: Vec<String> = add
        .iter()
        .filter(|e| !listed.iter().any(|x| kustomize::same_entry(x, e)))
        .cloned()
        .collect();
    let mut new = bytes.clone();
    if !add.is_empty() {
        match kustomize::add_resources(&new, add) {
            Ok(Patched::Changed(b)) => new = b,
            Ok(Patched::Unchanged) => {}
            Err(why) => return Err(refused(why, &format!("add {}", add.join(", ")))),
        }
    }
    if !drop.is_empty() {
        match kustomize::remove_resources(&new, drop) {
            Ok(Patched::Changed(b)) => new = b,
            Ok(Patched::Unchanged) => {}
            Err(why) => return Err(refused(why, &format!("remove {}", drop.join(", ")))),
        }
    }
    if new != bytes {
        o.action = Action::Patch;
        o.new = Some(new);
    }
    o.old = Some(bytes);
    Ok(Some(PatchOp { file: o, inserted }))
}

/// The kustomization written into `dir`, which has none: what Flux's
/// generator applied from the folder, then this run's entries.
fn create_kustomization(
    dir: &str,
    r: &Rendered,
    add: &[String],
    tree: &dyn Tree,
) -> Result<Option<PatchOp>> {
    let shown = if dir.is_empty() { "." } else { dir };
    let mut o = untouched_patch();
    // Flux applied what its generator takes from the folder: list all of it.
    let existing = applied::generated_entries(tree, dir)?.map_err(|why| {
        Error::input(format!(
            "{shown} has no kustomization file and {why}; fix that file or write {shown}/kustomization.yaml yourself"
        ))
    })?;
    let existing: Vec<String> = existing.into_iter().filter(|e| !add.contains(e)).collect();
    let content = if r.content.is_empty() {
        let mut entries = existing.clone();
        entries.extend(add.iter().cloned());
        kustomize::new_kustomization(&entries).into_bytes()
    } else {
        match kustomize::add_resources(&r.content, &existing) {
            Ok(Patched::Changed(b)) => b,
            Ok(Patched::Unchanged) => r.content.clone(),
            Err(why) => return Err(Error::input(format!("{}: {why}", r.path))),
        }
    };
    o.path = r.path.clone();
    o.action = Action::Create;
    o.new = Some(content);
    if !existing.is_empty() {
        o.note = Some(format!(
            "lists what Flux applied from the folder: {}",
            existing.join(", ")
        ));
    }
    Ok(Some(PatchOp {
        file: o,
        inserted: add.to_vec(),
    }))
}

/// Take the entries `r` retires out of the kustomization of `dir` where it
/// lists them; `retired` gains the sources Flux stops applying.
pub(super) fn retire(
    dir: &str,
    r: &Rendered,
    tree: &dyn Tree,
    drop: &mut Vec<String>,
    retired: &mut Vec<String>,
    notices: &mut Vec<String>,
) -> Result<Vec<String>> {
    if r.retire.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(Some(file)) = applied::kustomization_file(tree, dir)? else {
        return Ok(Vec::new());
    };
    let Some(data) = tree
        .read(&file)?
        .and_then(|b| kustomize::read_kustomization(&b).ok())
    else {
        return Ok(Vec::new());
    };
    let mut gone = Vec::new();
    for (field, x) in applied::entries_of(&data) {
        if field != "resources" || !r.retire.iter().any(|e| kustomize::same_entry(&x, e)) {
            continue;
        }
        if applied::is_remote(&x) {
            retired.push(x.clone());
        } else {
            let target = applied::join(dir, x.trim_start_matches("./"));
            let b = applied::build(tree, &target)?;
            retired.push(target);
            retired.extend(b.sources.iter().map(|s| s.display().to_string()));
        }
        if !drop.contains(&x) {
            drop.push(x.clone());
        }
        gone.push(x);
    }
    if !gone.is_empty() {
        notices.push(format!(
            "{file}: retired {} (Flux stops applying {}; with prune it deletes what {} held)",
            gone.join(", "),
            if gone.len() == 1 { "it" } else { "them" },
            if gone.len() == 1 { "it" } else { "they" },
        ));
    }
    Ok(gone)
}

/// A patched kustomization left as it is, until the plan says otherwise.
fn untouched_patch() -> FileOp {
    FileOp {
        path: String::new(),
        ownership: Ownership::Patch,
        action: Action::Unchanged,
        old: None,
        new: None,
        executable: false,
        note: None,
        conflicts: 0,
    }
}
