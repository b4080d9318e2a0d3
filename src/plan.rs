//! Compare what a pack renders with what is on disk and what was last
//! written, and decide what to do with every file. Pure: reads through a
//! [`Tree`], writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::applied;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::kustomize::{self, Patched};
use crate::merge;
use crate::pack::Ownership;
use crate::render::Rendered;
use crate::stages;
use crate::state::{self, AnswersFile, FileRecord, FilesFile, Stage, State};
use crate::tree::{Overlay, Tree};

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Written where nothing was.
    Create,
    /// Replaced: the user had not edited it.
    Update,
    /// A user's kustomization gains entries.
    Patch,
    /// The user's edits and the template's changes combined cleanly.
    Merge,
    /// Written with conflict markers where both sides changed the same lines.
    Conflict,
    /// Removed: no longer produced, never edited.
    Remove,
    /// Already as it should be.
    Unchanged,
    /// Left as the user has it.
    Keep,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Patch => "patch",
            Action::Merge => "merge",
            Action::Conflict => "conflict",
            Action::Remove => "remove",
            Action::Unchanged => "unchanged",
            Action::Keep => "keep",
        }
    }

    /// Whether the action changes the file on disk.
    pub fn writes(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Keep)
    }
}

/// The decision for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOp {
    pub path: String,
    pub ownership: Ownership,
    pub action: Action,
    /// Content on disk before the run.
    pub old: Option<Vec<u8>>,
    /// Content after the run (None for remove, keep and unchanged).
    pub new: Option<Vec<u8>>,
    pub executable: bool,
    /// Why, in a few words, when the action alone does not say.
    pub note: Option<String>,
    /// Number of conflicting regions (conflict only).
    pub conflicts: usize,
}

/// A state file to write (`new` Some) or remove (`new` None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    pub path: String,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub files: Vec<FileOp>,
    /// Changes to `.flux-scaffold/`, applied after the files.
    pub state: Vec<StateWrite>,
    /// What the user should know beyond the files' actions.
    pub notices: Vec<String>,
    /// Why the plan must not be written: what Flux applies would lose a
    /// resource, or a stage would not build. A run with any writes nothing.
    pub refusals: Vec<String>,
}

impl Plan {
    /// Whether a file holds conflicts: new ones, or markers left unresolved.
    pub fn has_conflicts(&self) -> bool {
        self.files
            .iter()
            .any(|f| f.conflicts > 0 || f.action == Action::Conflict)
    }

    /// Whether running the plan would change anything on disk.
    pub fn changes_anything(&self) -> bool {
        self.files.iter().any(|f| f.action.writes()) || !self.state.is_empty()
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Take the new render over the user's edits.
    pub force: bool,
    /// Three-way merge edited files against their recorded base (regen, and
    /// init on an initialised folder); otherwise a file that differs from
    /// the render is adopted as the user's edit of it (a first init).
    pub merge: bool,
    /// Plan the new state too; a drift check, which never writes, skips it.
    pub record: bool,
}

/// Plan the run. `stages` are the folders the generated configuration
/// points Flux at; every one must exist and build afterwards, and no stage,
/// now or recorded, may lose a resource that is not the tool's own.
pub fn plan(
    rendered: &[Rendered],
    stage_list: &[Stage],
    previous: Option<&State>,
    answers_file: &AnswersFile,
    tree: &dyn Tree,
    opts: Options,
) -> Result<Plan> {
    let stages: Vec<String> = stage_list.iter().map(|s| s.path.clone()).collect();
    let mut files = Vec::new();
    let mut records = BTreeMap::new();
    let mut base = BTreeMap::new();
    let mut notices = Vec::new();
    let prev_files = previous.map(|s| &s.files.files);

    let mut refusals = Vec::new();
    // What each patch adds; entries something else already provides are
    // skipped, and so are the pack's files they would have listed.
    let mut adds: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    // Managed files the user removed stay removed, and so must their entries.
    let mut hand_removed: BTreeSet<String> = BTreeSet::new();
    for r in rendered
        .iter()
        .filter(|r| r.ownership == Ownership::Managed)
    {
        let recorded = prev_files.is_some_and(|f| f.contains_key(&r.path));
        if opts.merge && !opts.force && recorded && tree.read(&r.path)?.is_none() {
            hand_removed.insert(r.path.clone());
        }
    }
    for r in rendered.iter().filter(|r| r.ownership == Ownership::Patch) {
        let ours = prev_added(prev_files, parent(&r.path), Some(r));
        let (mut add, skip) = provided(r, rendered, &ours, tree, &mut notices)?;
        add.retain(|e| {
            !hand_removed.contains(&applied::join(parent(&r.path), kustomize::entry_path(e)))
        });
        skipped.extend(skip);
        adds.insert(r.path.as_str(), add);
    }

    for r in rendered {
        if r.ownership == Ownership::Patch || skipped.contains(&r.path) {
            continue;
        }
        let recorded_base = previous.and_then(|s| s.base.get(&r.path));
        let was_recorded = prev_files.is_some_and(|f| f.contains_key(&r.path));
        let op = match r.ownership {
            Ownership::Managed => {
                base.insert(r.path.clone(), r.content.clone());
                plan_managed(r, tree.read(&r.path)?, recorded_base, was_recorded, opts)
            }
            _ => plan_once(r, tree.read(&r.path)?),
        };
        if op.note.as_deref() == Some(ADOPTED)
            && let Some(disk) = &op.old
        {
            adoption_gaps(r, disk, &mut notices);
        }
        let known = previous.and_then(|s| {
            let rec = s.files.files.get(&r.path)?;
            (s.base.get(&r.path) == Some(&r.content)).then(|| rec.sha256.clone())?
        });
        let mut rec = record(r.ownership, &r.content, opts);
        if let (Some(h), true) = (known, opts.record) {
            // The recorded base is this content and was checked against
            // this hash when the state was loaded: no need to hash it again.
            rec.sha256 = Some(h);
        } else if opts.record {
            rec.sha256 = Some(state::sha256(&r.content));
        }
        records.insert(op.path.clone(), rec);
        files.push(op);
    }
    if let Some(prev) = previous {
        for (path, rec) in &prev.files.files {
            if records.contains_key(path) || rendered.iter().any(|r| &r.path == path) {
                continue;
            }
            if let Some(op) = plan_dropped(path, rec, prev, tree)? {
                files.push(op);
            }
        }
    }
    let removed: BTreeSet<String> = files
        .iter()
        .filter(|f| f.action == Action::Remove)
        .map(|f| f.path.clone())
        .collect();
    // Flux objects going away take what they applied with them (prune).
    for f in files.iter().filter(|f| f.action == Action::Remove) {
        let flux: Vec<String> = applied::objects_of(f.old.as_deref().unwrap_or_default(), &f.path)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.api_version.starts_with("kustomize.toolkit.fluxcd.io/"))
            .map(|o| o.name)
            .collect();
        if !flux.is_empty() {
            notices.push(format!(
                "removing {} deletes the Flux Kustomizations {} from the cluster that applies it; with prune, Flux then deletes everything they applied",
                f.path,
                flux.join(", ")
            ));
        }
    }
    let produced: BTreeSet<&str> = rendered
        .iter()
        .filter(|r| r.ownership != Ownership::Patch && !skipped.contains(&r.path))
        .map(|r| r.path.as_str())
        .collect();
    let exists_after = |path: &str| -> Result<bool> {
        Ok((produced.contains(path) && !hand_removed.contains(path))
            || (!removed.contains(path) && tree.read(path)?.is_some()))
    };

    // Patched kustomizations: this run's entries in, and out again the
    // entries this tool added whose file it no longer produces.
    let mut dirs: BTreeMap<String, Option<&Rendered>> = BTreeMap::new();
    for r in rendered.iter().filter(|r| r.ownership == Ownership::Patch) {
        dirs.insert(parent(&r.path).to_string(), Some(r));
    }
    for (path, rec) in prev_files.into_iter().flatten() {
        if rec.ownership == Ownership::Patch {
            dirs.entry(parent(path).to_string()).or_insert(None);
        }
    }
    // What the answers retire from the user's kustomizations: Flux stops
    // applying it, by the user's choice (its sources count as the tool's).
    let mut retired: Vec<String> = Vec::new();
    for (dir, r) in dirs {
        let wanted: &[String] = r.map_or(&[], |r| &r.resources);
        let prev_added = prev_added(prev_files, &dir, r);
        let mut drop = Vec::new();
        for e in &prev_added {
            if !wanted.contains(e) && !exists_after(&applied::join(&dir, kustomize::entry_path(e)))?
            {
                drop.push(e.clone());
            }
        }
        // An entry of the user's that points at a file this run removes
        // (listed by hand before the tool wrote the file) goes with it too.
        if let Ok(Some(k)) = applied::kustomization_file(tree, &dir)?
            && let Some(data) = tree
                .read(&k)?
                .and_then(|b| kustomize::read_kustomization(&b).ok())
        {
            let entries = applied::entries_of(&data).into_iter().map(|(_, e)| e);
            for e in entries.chain(kustomize::patch_entries(&data)) {
                let target =
                    applied::join(&dir, kustomize::entry_path(&e).trim_start_matches("./"));
                if (removed.contains(&target) || hand_removed.contains(&target))
                    && !drop.iter().any(|d| kustomize::same_entry(d, &e))
                {
                    drop.push(e);
                }
            }
        }
        let gone = match r {
            Some(r) => retire(&dir, r, tree, &mut drop, &mut retired, &mut notices)?,
            None => Vec::new(),
        };
        let add = r
            .and_then(|r| adds.get(r.path.as_str()))
            .cloned()
            .unwrap_or_default();
        // A kustomization this tool cannot patch is a refusal: a dry run
        // still shows the rest of the plan.
        let op = match plan_patch(&dir, r, &add, &drop, tree) {
            Ok(Some(op)) => op,
            Ok(None) => continue,
            Err(e) if e.kind == crate::error::ErrorKind::Input => {
                refusals.push(e.message);
                continue;
            }
            Err(e) => return Err(e),
        };
        let mut added: Vec<String> = prev_added
            .iter()
            .filter(|e| wanted.contains(e))
            .cloned()
            .collect();
        for e in op.inserted.iter() {
            if !added.contains(e) {
                added.push(e.clone());
            }
        }
        if r.is_some() || !added.is_empty() {
            records.insert(
                op.file.path.clone(),
                FileRecord {
                    ownership: Ownership::Patch,
                    sha256: None,
                    resources: added,
                },
            );
        }
        let unproduced: Vec<&String> = drop.iter().filter(|e| !gone.contains(e)).collect();
        if !unproduced.is_empty() && op.file.action.writes() {
            notices.push(format!(
                "{}: removed {} (no longer produced)",
                op.file.path,
                unproduced
                    .iter()
                    .map(|e| match e.strip_prefix(kustomize::PATCH_ENTRY) {
                        Some(p) => format!("{p} (patches)"),
                        None => e.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        files.push(op.file);
    }

    // Stage folders that would not exist: a minimal kustomization, yours once created.
    let mut overlay = overlay_of(tree, &files);
    for dir in &stages {
        let file = applied::join(dir, "kustomization.yaml");
        let recorded_once = prev_files
            .and_then(|f| f.get(&file))
            .is_some_and(|r| r.ownership == Ownership::Once);
        let has_file = matches!(
            applied::kustomization_file(&overlay, dir)?,
            Ok(Some(_)) | Err(_)
        );
        let empty = !has_file
            && matches!(applied::generated_entries(&overlay, dir)?, Ok(l) if l.is_empty());
        if !(empty || (recorded_once && tree.read(&file)?.is_some())) || records.contains_key(&file)
        {
            continue;
        }
        let r = Rendered {
            path: file.clone(),
            ownership: Ownership::Once,
            content: STAGE_KUSTOMIZATION.as_bytes().to_vec(),
            resources: Vec::new(),
            keep_namespace: None,
            provided_by: Vec::new(),
            retire: Vec::new(),
            executable: false,
        };
        let op = with_note(
            plan_once(&r, tree.read(&file)?),
            "a stage folder Flux is pointed at",
        );
        records.insert(file.clone(), record(Ownership::Once, &r.content, opts));
        if let Some(new) = &op.new {
            overlay.changes.insert(file, Some(new.clone()));
        }
        files.push(op);
    }

    let mut checked: BTreeSet<&str> = stages.iter().map(String::as_str).collect();
    if let Some(prev) = previous {
        checked.extend(prev.files.stages.iter().map(|s| s.path.as_str()));
    }
    // The tool's own: files it writes or wrote, and remote entries it added.
    let all_records = records.iter().chain(prev_files.into_iter().flatten());
    let mut owned: BTreeSet<&str> = BTreeSet::new();
    for (path, rec) in all_records {
        if rec.ownership == Ownership::Patch {
            owned.extend(
                rec.resources
                    .iter()
                    .filter(|e| applied::is_remote(e))
                    .map(String::as_str),
            );
        } else {
            owned.insert(path.as_str());
        }
    }
    owned.extend(retired.iter().map(String::as_str));
    // With nothing to change, every stage stays as it is.
    if !overlay.changes.is_empty() {
        for dir in checked {
            let current = stages.iter().any(|s| s == dir);
            stages::check_stage(&overlay, dir, current, &owned, &mut refusals, &mut notices)?;
        }
    }
    if let Some(prev) = previous {
        stages::check_left_stages(
            &overlay,
            &prev.files.stages,
            stage_list,
            &owned,
            &mut refusals,
            &mut notices,
        )?;
    }

    files.sort_by(|a, b| a.path.cmp(&b.path));
    let new_state = State {
        answers: answers_file.clone(),
        files: FilesFile {
            files: records,
            stages: stage_list.to_vec(),
        },
        base,
    };
    let state = if opts.record {
        plan_state(previous, &new_state, tree)?
    } else {
        Vec::new()
    };
    Ok(Plan {
        files,
        state,
        notices,
        refusals,
    })
}

const ADOPTED: &str = "yours: adopted as your edit of the render; --dry-run shows the differences";

/// What an adopted file lacks of the render, in objects: each a notice.
fn adoption_gaps(r: &Rendered, disk: &[u8], notices: &mut Vec<String>) {
    let (Ok(ours), Ok(theirs)) = (
        applied::objects_of(&r.content, &r.path),
        applied::objects_of(disk, &r.path),
    ) else {
        return;
    };
    let have: BTreeSet<String> = theirs.iter().map(applied::Object::id).collect();
    let missing: Vec<String> = ours
        .iter()
        .filter(|o| !have.contains(&o.id()))
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    if !missing.is_empty() {
        notices.push(format!(
            "{} (yours, kept) lacks {} that flux-scaffold would write: add them, or run `flux-scaffold regen --force` to take the render",
            r.path,
            missing.join(", ")
        ));
    }
}

/// The entries this tool added to the kustomization of `dir` in earlier runs.
fn prev_added(
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

/// The kustomization written into a stage folder that has nothing for Flux.
pub const STAGE_KUSTOMIZATION: &str = "# Created by flux-scaffold: the flux configuration points Flux at this folder,\n# which must exist. Yours from now on: list what this stage applies.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";

fn record(ownership: Ownership, content: &[u8], opts: Options) -> FileRecord {
    FileRecord {
        ownership,
        sha256: (opts.record && ownership != Ownership::Managed).then(|| state::sha256(content)),
        resources: Vec::new(),
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The tree as it will be after `files` are written.
fn overlay_of<'a>(tree: &'a dyn Tree, files: &[FileOp]) -> Overlay<'a> {
    let changes = files
        .iter()
        .filter(|f| f.action.writes())
        .map(|f| {
            let content = if f.action == Action::Remove {
                None
            } else {
                f.new.clone()
            };
            (f.path.clone(), content)
        })
        .collect();
    Overlay {
        base: tree,
        changes,
    }
}

/// The entries of patch `r` to add, and the pack's files not to write
/// because an entry already in the kustomization provides what they hold
/// (a matching `provided_by` pattern, or the same objects from another file).
/// A `patches` item changes objects listed elsewhere: it provides none.
fn provided(
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

/// Take the entries `r` retires out of the kustomization of `dir` where it
/// lists them; `retired` gains the sources Flux stops applying.
fn retire(
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

/// A patched kustomization, and the entries this run inserts.
struct PatchOp {
    file: FileOp,
    inserted: Vec<String>,
}

/// Ensure `add` and take out `drop` in the kustomization of `dir`; `r` is
/// the pack's patch there, if it still has one. None when nothing is there
/// to patch.
fn plan_patch(
    dir: &str,
    r: Option<&Rendered>,
    add: &[String],
    drop: &[String],
    tree: &dyn Tree,
) -> Result<Option<PatchOp>> {
    let shown = if dir.is_empty() { "." } else { dir };
    let found = applied::kustomization_file(tree, dir)?
        .map_err(|e| Error::input(format!("{e}; kustomize refuses that too")))?;
    let mut o = FileOp {
        path: String::new(),
        ownership: Ownership::Patch,
        action: Action::Unchanged,
        old: None,
        new: None,
        executable: false,
        note: None,
        conflicts: 0,
    };
    let Some(path) = found else {
        let Some(r) = r else { return Ok(None) };
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
        return Ok(Some(PatchOp {
            file: o,
            inserted: add.to_vec(),
        }));
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

fn op(r: &Rendered, action: Action, old: Option<Vec<u8>>, new: Option<Vec<u8>>) -> FileOp {
    FileOp {
        path: r.path.clone(),
        ownership: r.ownership,
        action,
        old,
        new,
        executable: r.executable,
        note: None,
        conflicts: 0,
    }
}

fn with_note(mut op: FileOp, note: &str) -> FileOp {
    op.note = Some(note.to_string());
    op
}

fn plan_managed(
    r: &Rendered,
    disk: Option<Vec<u8>>,
    base: Option<&Vec<u8>>,
    was_recorded: bool,
    opts: Options,
) -> FileOp {
    let new = r.content.clone();
    let Some(disk) = disk else {
        if opts.merge && was_recorded && !opts.force {
            return with_note(
                op(r, Action::Keep, None, None),
                "removed by hand; left removed (--force restores it)",
            );
        }
        return op(r, Action::Create, None, Some(new));
    };
    // Compare in LF form when the file on disk is CRLF or has a BOM (e.g.
    // a checkout with core.autocrlf) and write back in its own dialect.
    let dialect = if Dialect::of(&new).is_plain() {
        Dialect::of(&disk)
    } else {
        Dialect::default()
    };
    let ours = dialect.normalize(&disk);
    let out = |bytes: Vec<u8>| Some(dialect.apply(&bytes));
    if ours == new {
        return op(r, Action::Unchanged, Some(disk), None);
    }
    if opts.force {
        return with_note(op(r, Action::Update, Some(disk), out(new)), "forced");
    }
    match base {
        Some(b) if *b == ours => op(r, Action::Update, Some(disk), out(new)),
        Some(b) if *b == new => {
            let markers = merge::conflict_markers(&ours);
            let note = if markers > 0 {
                "conflict markers remain"
            } else {
                "your edits kept"
            };
            let mut o = with_note(op(r, Action::Keep, Some(disk), None), note);
            o.conflicts = markers;
            o
        }
        Some(b) if opts.merge => {
            let merged = merge::three_way(b, &ours, &new);
            let action = if merged.conflicts > 0 {
                Action::Conflict
            } else {
                Action::Merge
            };
            let mut o = op(r, action, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts;
            o
        }
        // No trustworthy base: both sides are kept in conflict markers, so
        // the user's text is never lost.
        None if opts.merge => {
            let merged = merge::three_way(b"", &ours, &new);
            let mut o = op(r, Action::Conflict, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts.max(1);
            with_note(o, "no record of what was last written; both kept")
        }
        // Adoption: a file this tool did not write (by hand, or after the
        // article) stays as it is, as the user's edit of the render; the
        // render is recorded as its base, so regen merges against it later.
        _ => with_note(op(r, Action::Keep, Some(disk), out(new)), ADOPTED),
    }
}

fn plan_once(r: &Rendered, disk: Option<Vec<u8>>) -> FileOp {
    match disk {
        None => op(r, Action::Create, None, Some(r.content.clone())),
        Some(d) if d == r.content => op(r, Action::Unchanged, Some(d), None),
        Some(d) => with_note(op(r, Action::Keep, Some(d), None), "yours once created"),
    }
}

fn plan_dropped(
    path: &str,
    rec: &FileRecord,
    prev: &State,
    tree: &dyn Tree,
) -> Result<Option<FileOp>> {
    if rec.ownership != Ownership::Managed {
        return Ok(None);
    }
    let Some(disk) = tree.read(path)? else {
        return Ok(None);
    };
    let unedited = prev.base.get(path) == Some(&disk);
    Ok(Some(FileOp {
        path: path.to_string(),
        ownership: rec.ownership,
        action: if unedited {
            Action::Remove
        } else {
            Action::Keep
        },
        old: Some(disk),
        new: None,
        executable: false,
        note: Some(if unedited {
            "no longer produced".into()
        } else {
            "no longer produced; kept because you edited it".into()
        }),
        conflicts: 0,
    }))
}

fn plan_state(previous: Option<&State>, new: &State, tree: &dyn Tree) -> Result<Vec<StateWrite>> {
    let mut wanted: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    wanted.insert(state::ANSWERS.into(), new.answers.to_yaml().into_bytes());
    wanted.insert(state::FILES.into(), new.files.to_yaml().into_bytes());
    wanted.insert(
        state::GITIGNORE.into(),
        state::GITIGNORE_TEXT.as_bytes().to_vec(),
    );
    for (path, content) in &new.base {
        wanted.insert(state::base_path(path), content.clone());
    }
    let mut out = Vec::new();
    for (path, content) in wanted {
        let old = tree.read(&path)?;
        if old.as_ref() != Some(&content) {
            out.push(StateWrite {
                path,
                old,
                new: Some(content),
            });
        }
    }
    if let Some(prev) = previous {
        for path in prev.base.keys() {
            if !new.base.contains_key(path) {
                let p = state::base_path(path);
                let old = tree.read(&p)?;
                if old.is_some() {
                    out.push(StateWrite {
                        path: p,
                        old,
                        new: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Answers;
    use crate::state::PackRef;
    use crate::tree::MemTree;

    fn rendered(path: &str, ownership: Ownership, content: &str) -> Rendered {
        Rendered {
            path: path.into(),
            ownership,
            content: content.as_bytes().to_vec(),
            resources: if ownership == Ownership::Patch {
                vec!["x.yaml".into()]
            } else {
                Vec::new()
            },
            keep_namespace: None,
            provided_by: Vec::new(),
            retire: Vec::new(),
            executable: false,
        }
    }

    fn answers_file() -> AnswersFile {
        AnswersFile::new(
            PackRef {
                name: "p".into(),
                version: "1".into(),
                path: None,
            },
            &Answers::default(),
        )
    }

    fn run(files: &[Rendered], tree: &MemTree, previous: Option<&State>, merge: bool) -> Plan {
        plan(
            files,
            &[],
            previous,
            &answers_file(),
            tree,
            Options {
                force: false,
                merge,
                record: true,
            },
        )
        .unwrap()
    }

    fn action(p: &Plan, path: &str) -> Action {
        p.files.iter().find(|f| f.path == path).unwrap().action
    }

    #[test]
    fn empty_tree_creates_everything_and_records_state() {
        let files = [
            rendered("a/m.yaml", Ownership::Managed, "m\n"),
            rendered("a/o.md", Ownership::Once, "o\n"),
            rendered("a/kustomization.yaml", Ownership::Patch, ""),
        ];
        let p = run(&files, &MemTree::default(), None, false);
        assert!(p.files.iter().all(|f| f.action == Action::Create));
        let kust = p
            .files
            .iter()
            .find(|f| f.path == "a/kustomization.yaml")
            .unwrap();
        assert!(String::from_utf8_lossy(kust.new.as_ref().unwrap()).contains("- x.yaml"));
        let state: Vec<&str> = p.state.iter().map(|s| s.path.as_str()).collect();
        assert!(state.contains(&".flux-scaffold/answers.yaml"));
        assert!(state.contains(&".flux-scaffold/base/a/m.yaml.base"));
        assert!(
            !state.iter().any(|s| s.contains("o.md")),
            "once files keep no base"
        );
    }

    #[test]
    fn init_adopts_a_file_it_did_not_write() {
        let mut tree = MemTree::default();
        tree.files.insert("m.yaml".into(), b"theirs\n".to_vec());
        let p = run(
            &[rendered("m.yaml", Ownership::Managed, "ours\n")],
            &tree,
            None,
            false,
        );
        let f = &p.files[0];
        assert_eq!(f.action, Action::Keep);
        assert_eq!(
            f.new.as_deref(),
            Some(&b"ours\n"[..]),
            "the render, for the diff"
        );
        let base = p
            .state
            .iter()
            .find(|s| s.path.ends_with("m.yaml.base"))
            .unwrap();
        assert_eq!(
            base.new.as_deref(),
            Some(&b"ours\n"[..]),
            "the render is the base"
        );
    }

    #[test]
    fn stage_folders_are_created_and_checked() {
        let mut tree = MemTree::default();
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        tree.files
            .insert("infra/sub/a.yaml".into(), cm.as_bytes().to_vec());
        let p = plan(
            &[
                rendered("infra/kustomization.yaml", Ownership::Patch, ""),
                rendered(
                    "infra/x.yaml",
                    Ownership::Managed,
                    &cm.replace("a\n", "x\n"),
                ),
            ],
            &["apps/x", "infra"].map(|p| Stage {
                name: p.into(),
                path: p.into(),
                per_item: false,
            }),
            None,
            &answers_file(),
            &tree,
            Options::default(),
        )
        .unwrap();
        assert!(p.refusals.is_empty(), "{:?}", p.refusals);
        assert_eq!(action(&p, "apps/x/kustomization.yaml"), Action::Create);
        let k = p
            .files
            .iter()
            .find(|f| f.path == "infra/kustomization.yaml")
            .unwrap();
        let text = String::from_utf8_lossy(k.new.as_ref().unwrap()).to_string();
        assert!(text.contains("- sub/a.yaml\n- x.yaml\n"), "{text}");
    }

    #[test]
    fn regen_outcomes_against_the_base() {
        let mut tree = MemTree::default();
        let mut base = BTreeMap::new();
        for (path, disk, old) in [
            ("untouched.yaml", "v1\n", "v1\n"),
            ("edited.yaml", "mine\n", "v1\n"),
            ("both.yaml", "a\nb\nc\nD\ne\n", "a\nb\nc\nd\ne\n"),
        ] {
            tree.files.insert(path.into(), disk.as_bytes().to_vec());
            base.insert(path.to_string(), old.as_bytes().to_vec());
        }
        let previous = State {
            answers: answers_file(),
            files: FilesFile {
                files: base
                    .keys()
                    .map(|k| {
                        (
                            k.clone(),
                            FileRecord {
                                ownership: Ownership::Managed,
                                sha256: None,
                                resources: Vec::new(),
                            },
                        )
                    })
                    .collect(),
                stages: Vec::new(),
            },
            base,
        };
        let files = [
            rendered("untouched.yaml", Ownership::Managed, "v2\n"),
            rendered("edited.yaml", Ownership::Managed, "v1\n"),
            rendered("both.yaml", Ownership::Managed, "A\nb\nc\nd\ne\n"),
        ];
        let p = run(&files, &tree, Some(&previous), true);
        assert_eq!(action(&p, "untouched.yaml"), Action::Update);
        assert_eq!(action(&p, "edited.yaml"), Action::Keep);
        assert_eq!(action(&p, "both.yaml"), Action::Merge);
        let merged = p.files.iter().find(|f| f.path == "both.yaml").unwrap();
        assert_eq!(merged.new.as_deref(), Some(&b"A\nb\nc\nD\ne\n"[..]));
    }

    #[test]
    fn identical_rerun_plans_nothing() {
        let files = [rendered("m.yaml", Ownership::Managed, "m\n")];
        let first = run(&files, &MemTree::default(), None, false);
        let mut tree = MemTree::default();
        tree.files.insert("m.yaml".into(), b"m\n".to_vec());
        for s in &first.state {
            tree.files.insert(s.path.clone(), s.new.clone().unwrap());
        }
        let prev = crate::session::load_state(&tree).unwrap();
        let second = run(&files, &tree, prev.as_ref(), false);
        assert!(!second.changes_anything(), "{second:?}");
    }
}
