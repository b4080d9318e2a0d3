//! Compare what a pack renders with what is on disk and what was last
//! written, and decide what to do with every file. Pure: reads through a
//! [`Tree`], writes nothing. This file holds the plan's types and its steps
//! in order; `file_ops` decides one file, `patch` one user kustomization.

mod file_ops;
mod patch;
mod stage_folders;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::applied;
use crate::error::Result;
use crate::kustomize;
use crate::pack::Ownership;
use crate::render::Rendered;
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
    let mut p = Planner {
        rendered,
        previous,
        prev_files: previous.map(|s| &s.files.files),
        tree,
        opts,
        files: Vec::new(),
        records: BTreeMap::new(),
        base: BTreeMap::new(),
        notices: Vec::new(),
        refusals: Vec::new(),
        adds: BTreeMap::new(),
        skipped: BTreeSet::new(),
        hand_removed: BTreeSet::new(),
        retired: Vec::new(),
    };
    p.find_hand_removed()?;
    p.plan_entries_to_add()?;
    p.plan_rendered()?;
    p.plan_no_longer_produced()?;
    let removed: BTreeSet<String> = p
        .files
        .iter()
        .filter(|f| f.action == Action::Remove)
        .map(|f| f.path.clone())
        .collect();
    p.notice_pruned_kustomizations();
    p.plan_patches(&removed)?;
    let stages: Vec<String> = stage_list.iter().map(|s| s.path.clone()).collect();
    let overlay = p.plan_stage_folders(&stages)?;
    p.check_stages(&overlay, stage_list, &stages)?;
    p.finish(answers_file, stage_list)
}

/// One planning run: its inputs and what it has decided so far.
struct Planner<'a> {
    rendered: &'a [Rendered],
    previous: Option<&'a State>,
    prev_files: Option<&'a BTreeMap<String, FileRecord>>,
    tree: &'a dyn Tree,
    opts: Options,
    files: Vec<FileOp>,
    records: BTreeMap<String, FileRecord>,
    base: BTreeMap<String, Vec<u8>>,
    notices: Vec<String>,
    refusals: Vec<String>,
    /// What each patch adds; entries something else already provides are
    /// skipped, and so are the pack's files they would have listed.
    adds: BTreeMap<&'a str, Vec<String>>,
    skipped: BTreeSet<String>,
    /// Managed files the user removed stay removed, and so must their entries.
    hand_removed: BTreeSet<String>,
    /// Sources the answers retire from the user's kustomizations.
    retired: Vec<String>,
}

impl<'a> Planner<'a> {
    fn find_hand_removed(&mut self) -> Result<()> {
        if !self.opts.merge || self.opts.force {
            return Ok(());
        }
        for r in self
            .rendered
            .iter()
            .filter(|r| r.ownership == Ownership::Managed)
        {
            let recorded = self.prev_files.is_some_and(|f| f.contains_key(&r.path));
            if recorded && self.tree.read(&r.path)?.is_none() {
                self.hand_removed.insert(r.path.clone());
            }
        }
        Ok(())
    }

    fn plan_entries_to_add(&mut self) -> Result<()> {
        let rendered = self.rendered;
        for r in rendered.iter().filter(|r| r.ownership == Ownership::Patch) {
            let ours = patch::prev_added(self.prev_files, parent(&r.path), Some(r));
            let (mut add, skip) =
                patch::provided(r, rendered, &ours, self.tree, &mut self.notices)?;
            add.retain(|e| {
                !self
                    .hand_removed
                    .contains(&applied::join(parent(&r.path), kustomize::entry_path(e)))
            });
            self.skipped.extend(skip);
            self.adds.insert(r.path.as_str(), add);
        }
        Ok(())
    }

    /// Every managed and once file the pack renders this run.
    fn plan_rendered(&mut self) -> Result<()> {
        let (previous, opts) = (self.previous, self.opts);
        for r in self.rendered {
            if r.ownership == Ownership::Patch || self.skipped.contains(&r.path) {
                continue;
            }
            let recorded_base = previous.and_then(|s| s.base.get(&r.path));
            let was_recorded = self.prev_files.is_some_and(|f| f.contains_key(&r.path));
            let disk = self.tree.read(&r.path)?;
            let op = match r.ownership {
                Ownership::Managed => {
                    self.base.insert(r.path.clone(), r.content.clone());
                    file_ops::plan_managed(r, disk, recorded_base, was_recorded, opts)
                }
                _ => file_ops::plan_once(r, disk),
            };
            if op.note.as_deref() == Some(file_ops::ADOPTED)
                && let Some(disk) = &op.old
            {
                file_ops::adoption_gaps(r, disk, &mut self.notices);
            }
            let known = previous.and_then(|s| {
                let rec = s.files.files.get(&r.path)?;
                (s.base.get(&r.path) == Some(&r.content)).then(|| rec.sha256.clone())?
            });
            let mut rec = file_ops::record(r.ownership, &r.content, opts);
            if let (Some(h), true) = (known, opts.record) {
                // The recorded base is this content and was checked against
                // this hash when the state was loaded: no need to hash it again.
                rec.sha256 = Some(h);
            } else if opts.record {
                rec.sha256 = Some(state::sha256(&r.content));
            }
            self.records.insert(op.path.clone(), rec);
            self.files.push(op);
        }
        Ok(())
    }

    /// Recorded files the pack no longer renders.
    fn plan_no_longer_produced(&mut self) -> Result<()> {
        let Some(prev) = self.previous else {
            return Ok(());
        };
        for (path, rec) in &prev.files.files {
            if self.records.contains_key(path) || self.rendered.iter().any(|r| &r.path == path) {
                continue;
            }
            if let Some(op) = file_ops::plan_dropped(path, rec, prev, self.tree)? {
                if op.action == Action::Keep && self.listed_by_the_tool(path) {
                    self.notices.push(format!(
                        "{path} is no longer produced but kept because you edited it; the tool's entry for it stays in its folder's kustomization, so Flux keeps applying it: delete the file to drop both"
                    ));
                }
                self.files.push(op);
            }
        }
        Ok(())
    }

    /// Whether an entry this tool added to a kustomization names `path`.
    fn listed_by_the_tool(&self, path: &str) -> bool {
        self.prev_files.into_iter().flatten().any(|(k, rec)| {
            rec.ownership == Ownership::Patch
                && rec
                    .resources
                    .iter()
                    .any(|e| applied::join(parent(k), kustomize::entry_path(e)) == path)
        })
    }

    /// Flux objects going away take what they applied with them (prune).
    fn notice_pruned_kustomizations(&mut self) {
        for f in self.files.iter().filter(|f| f.action == Action::Remove) {
            let objects = applied::objects_of(f.old.as_deref().unwrap_or_default(), &f.path)
                .unwrap_or_default();
            let of_kind = |pred: &dyn Fn(&applied::Object) -> bool| -> Vec<String> {
                objects
                    .iter()
                    .filter(|o| pred(o))
                    .map(|o| o.name.clone())
                    .collect()
            };
            let flux = of_kind(&|o| o.api_version.starts_with("kustomize.toolkit.fluxcd.io/"));
            if !flux.is_empty() {
                self.notices.push(format!(
                    "removing {} deletes the Flux Kustomizations {} from the cluster that applies it; with prune, Flux then deletes everything they applied",
                    f.path,
                    flux.join(", ")
                ));
            }
            // NMI intercepts Flux again once Flux prunes its exception.
            let exceptions = of_kind(&|o| o.kind == "AzurePodIdentityException");
            if !exceptions.is_empty() {
                self.notices.push(format!(
                    "removing {} lets Flux prune the AzurePodIdentityException {}: put the exception in place another way before you push (with the AKS add-on, run the generated exception script), or NMI intercepts Flux",
                    f.path,
                    exceptions.join(", ")
                ));
            }
        }
    }

    /// Whether `path` holds a file once the plan is carried out.
    fn exists_after(&self, path: &str, removed: &BTreeSet<String>) -> Result<bool> {
        let produced = self.rendered.iter().any(|r| {
            r.path == path && r.ownership != Ownership::Patch && !self.skipped.contains(&r.path)
        });
        Ok((produced && !self.hand_removed.contains(path))
            || (!removed.contains(path) && self.tree.read(path)?.is_some()))
    }

    /// Patched kustomizations: this run's entries in, and out again the
    /// entries this tool added whose file it no longer produces.
    fn plan_patches(&mut self, removed: &BTreeSet<String>) -> Result<()> {
        let mut dirs: BTreeMap<String, Option<&'a Rendered>> = BTreeMap::new();
        for r in self
            .rendered
            .iter()
            .filter(|r| r.ownership == Ownership::Patch)
        {
            dirs.insert(parent(&r.path).to_string(), Some(r));
        }
        for (path, rec) in self.prev_files.into_iter().flatten() {
            if rec.ownership == Ownership::Patch {
                dirs.entry(parent(path).to_string()).or_insert(None);
            }
        }
        for (dir, r) in dirs {
            self.plan_patch_of(&dir, r, removed)?;
        }
        Ok(())
    }

    /// The entries to take out of the kustomization of `dir`: the tool's
    /// whose file goes, and the user's that point at a file this run removes
    /// (listed by hand before the tool wrote the file).
    fn entries_to_drop(
        &self,
        dir: &str,
        wanted: &[String],
        prev_added: &[String],
        removed: &BTreeSet<String>,
    ) -> Result<Vec<String>> {
        let mut drop = Vec::new();
        for e in prev_added {
            if !wanted.contains(e)
                && !self.exists_after(&applied::join(dir, kustomize::entry_path(e)), removed)?
            {
                drop.push(e.clone());
            }
        }
        if let Ok(Some(k)) = applied::kustomization_file(self.tree, dir)?
            && let Some(data) = self
                .tree
                .read(&k)?
                .and_then(|b| kustomize::read_kustomization(&b).ok())
        {
            let entries = applied::entries_of(&data).into_iter().map(|(_, e)| e);
            for e in entries.chain(kustomize::patch_entries(&data)) {
                let target = applied::join(dir, kustomize::entry_path(&e).trim_start_matches("./"));
                if (removed.contains(&target) || self.hand_removed.contains(&target))
                    && !drop.iter().any(|d| kustomize::same_entry(d, &e))
                {
                    drop.push(e);
                }
            }
        }
        Ok(drop)
    }

    fn plan_patch_of(
        &mut self,
        dir: &str,
        r: Option<&'a Rendered>,
        removed: &BTreeSet<String>,
    ) -> Result<()> {
        let wanted: &[String] = r.map_or(&[], |r| &r.resources);
        let prev_added = patch::prev_added(self.prev_files, dir, r);
        let mut drop = self.entries_to_drop(dir, wanted, &prev_added, removed)?;
        // What the answers retire from the user's kustomizations: Flux stops
        // applying it, by the user's choice (its sources count as the tool's).
        let gone = match r {
            Some(r) => patch::retire(
                dir,
                r,
                self.tree,
                &mut drop,
                &mut self.retired,
                &mut self.notices,
            )?,
            None => Vec::new(),
        };
        let add = r
            .and_then(|r| self.adds.get(r.path.as_str()))
            .cloned()
            .unwrap_or_default();
        // A kustomization this tool cannot patch is a refusal: a dry run
        // still shows the rest of the plan.
        let op = match patch::plan_patch(dir, r, &add, &drop, self.tree) {
            Ok(Some(op)) => op,
            Ok(None) => return Ok(()),
            Err(e) if e.kind == crate::error::ErrorKind::Input => {
                self.refusals.push(e.message);
                return Ok(());
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
            self.records.insert(
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
            self.notices.push(format!(
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
        self.files.push(op.file);
        Ok(())
    }

    fn finish(mut self, answers_file: &AnswersFile, stage_list: &[Stage]) -> Result<Plan> {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        let new_state = State {
            answers: answers_file.clone(),
            files: FilesFile {
                files: self.records,
                stages: stage_list.to_vec(),
            },
            base: self.base,
        };
        let state = if self.opts.record {
            plan_state(self.previous, &new_state, self.tree)?
        } else {
            Vec::new()
        };
        Ok(Plan {
            files: self.files,
            state,
            notices: self.notices,
            refusals: self.refusals,
        })
    }
}

/// The kustomization written into a stage folder that has nothing for Flux.
pub const STAGE_KUSTOMIZATION: &str = "# Created by flux-scaffold: the flux configuration points Flux at this folder,\n# which must exist. Yours from now on: list what this stage applies.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";

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

/// The state writes, in the order apply makes them (after every output
/// file, so the record never claims a file that was not written). A run is
/// journaled and undone if it dies, but readers that take no lock (doctor,
/// `regen --check`) and a run whose rollback fails see the steps in this
/// order, so each prefix of it is a consistent record:
/// 1. `.gitignore`, so the run's lock, journal and temporary files are
///    ignored by git before anything else lands in the folder;
/// 2. the bases written, before `files.yaml` names them: a recorded entry
///    never points at a base that is not there yet (a base nothing names is
///    ignored, and `state::load` checks each against its recorded hash);
/// 3. `files.yaml`, which says what the tool owns and may later remove;
/// 4. the bases `files.yaml` stopped naming, removed only once it has;
/// 5. `answers.yaml` last: it is what makes the folder a recorded layout
///    (`state::load` finds none without it), so a run cut short never
///    leaves the new answers claiming files the record does not yet hold.
fn plan_state(previous: Option<&State>, new: &State, tree: &dyn Tree) -> Result<Vec<StateWrite>> {
    let mut wanted: Vec<(String, Option<Vec<u8>>)> = vec![(
        state::GITIGNORE.into(),
        Some(state::GITIGNORE_TEXT.as_bytes().to_vec()),
    )];
    for (path, content) in &new.base {
        wanted.push((state::base_path(path), Some(content.clone())));
    }
    wanted.push((state::FILES.into(), Some(new.files.to_yaml().into_bytes())));
    if let Some(prev) = previous {
        for path in prev.base.keys().filter(|p| !new.base.contains_key(*p)) {
            wanted.push((state::base_path(path), None));
        }
    }
    wanted.push((
        state::ANSWERS.into(),
        Some(new.answers.to_yaml().into_bytes()),
    ));
    let mut out = Vec::new();
    for (path, content) in wanted {
        let old = tree.read(&path)?;
        if old != content {
            out.push(StateWrite {
                path,
                old,
                new: content,
            });
        }
    }
    Ok(out)
}
