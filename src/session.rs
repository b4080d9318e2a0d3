//! The commands' core: gather answers, render, plan, and apply. Never
//! prompts (a [`Prompter`] is passed in) and never prints (it returns an
//! [`Outcome`] for the report).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::answers::{self, Answers, Prompter, Raw, Value};
use crate::apply::{self, Fs};
use crate::error::{Error, Result};
use crate::lock::Lock;
use crate::pack::{DEFAULT_PACK, Pack};
use crate::plan::{self, Action, Plan};
use crate::rekey;
use crate::render;
use crate::state::{self, AnswersFile, PackRef, State};
use crate::tree::DiskTree;

pub use crate::state::load as load_state;

/// What a writing command was asked to do.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub dir: PathBuf,
    /// `--pack`: a built-in name or a folder.
    pub pack: Option<String>,
    /// `--set key=value`, in order.
    pub sets: Vec<String>,
    /// `--answers FILE`.
    pub answers_file: Option<PathBuf>,
    pub dry_run: bool,
    pub force: bool,
    /// regen --check: report drift, write nothing.
    pub check: bool,
    /// With `check`: managed files that differ from their render (kept
    /// edits) are drift too.
    pub strict: bool,
}

/// What a run did or would do.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub pack: PackRef,
    pub answers: Answers,
    pub plan: Plan,
    /// Whether the plan was written.
    pub applied: bool,
    /// Defaults that moved since the last run: (key, old, new).
    pub moved_defaults: Vec<(String, Value, Value)>,
    /// Recorded answers the pack no longer asks, dropped.
    pub dropped_answers: Vec<String>,
    /// What the user should know beyond the files' actions (kept values,
    /// removed entries, stages that do not build).
    pub notices: Vec<String>,
    /// `regen --check --strict`: kept edits count as drift too.
    pub strict: bool,
    /// After a writing `init`: what to do next, and how to recover a
    /// cluster where Flux is stuck (empty otherwise).
    pub next_steps: Vec<crate::steps::Step>,
}

impl Outcome {
    /// What `regen --check` fails on: files `regen` would write, and
    /// conflicts left unresolved; with `strict`, also every managed file
    /// that differs from its render (kept edits).
    pub fn drift(&self) -> Vec<&plan::FileOp> {
        let strict = self.strict;
        self.plan
            .files
            .iter()
            .filter(|f| {
                f.action.writes()
                    || f.conflicts > 0
                    || (strict
                        && f.ownership == crate::pack::Ownership::Managed
                        && f.action != Action::Unchanged)
            })
            .collect()
    }

    /// Whether `regen --check` fails: drift, or only `.flux-scaffold/` to rewrite.
    pub fn check_fails(&self) -> bool {
        !self.drift().is_empty() || !self.plan.state.is_empty()
    }
}

/// `init`: answers from flags, an answers file, the prompter and defaults.
pub fn init(req: &Request, prompter: &mut dyn Prompter, fs: &mut dyn Fs) -> Result<Outcome> {
    let tree = DiskTree::new(&req.dir);
    repair(req, &tree, fs)?;
    let previous = load_state(&tree)?;
    let pack = Pack::load(req.pack.as_deref().unwrap_or(DEFAULT_PACK))?;
    let user_given = given_answers(req)?;
    let mut given = user_given.clone();
    if let Some(prev) = &previous {
        refuse_changed_given(prev, &pack, &user_given)?;
        // Recorded answers stand unless given again, and are not asked.
        let recorded = prev.answers.answers.iter().chain(&prev.answers.defaults);
        for (k, v) in recorded {
            if !given.contains_key(k) && pack.manifest.questions.iter().any(|q| &q.key == k) {
                given.insert(
                    k.clone(),
                    Raw::Yaml(serde_yaml::to_value(v).unwrap_or_default()),
                );
            }
        }
    }
    let mut answers = answers::resolve(&pack.manifest, &given, prompter)?;
    answers::refuse_unused(&pack.manifest, &user_given, &answers)?;
    if let Some(prev) = &previous {
        refuse_changed_answers(prev, &pack, &answers)?;
        // The same answers: each keeps the form and standing it has in the
        // record (a multi-choice given in another order is the same choice).
        for (k, v) in prev.answers.answers.iter().chain(&prev.answers.defaults) {
            let now = answers.values.get(k);
            if now != Some(v) && same_answer(question(&pack, k), now, Some(v)) {
                answers.values.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &prev.answers.defaults {
            if answers.values.get(k) == Some(v) {
                answers.defaulted.insert(k.clone());
            }
        }
    }
    let run = Run {
        pack_ref: pack_ref(&pack, pack_path(&pack, req)),
        pack: &pack,
        answers,
        previous: previous.as_ref(),
        // On an initialised folder (same answers, or refused above), init
        // is regen: edits are merged against their recorded base, never
        // adopted over it.
        opts: plan::Options {
            force: req.force,
            merge: previous.is_some(),
            record: true,
        },
        moved_defaults: Vec::new(),
        dropped_answers: Vec::new(),
        notices: Vec::new(),
        next_steps: true,
    };
    finish(req, &tree, run, fs)
}

fn question<'p>(pack: &'p Pack, key: &str) -> Option<&'p crate::pack::Question> {
    pack.manifest.questions.iter().find(|q| q.key == key)
}

/// Whether two values are the same answer to `q`: a multi-choice in any
/// order, a bare git ref and its `branch:` form.
fn same_answer(q: Option<&crate::pack::Question>, a: Option<&Value>, b: Option<&Value>) -> bool {
    use crate::pack::QuestionType::{GitRef, MultiChoice};
    match (q.map(|q| q.kind), a, b) {
        (Some(MultiChoice), Some(Value::List(x)), Some(Value::List(y))) => {
            x.len() == y.len() && x.iter().all(|v| y.contains(v))
        }
        (Some(GitRef), Some(Value::Str(x)), Some(Value::Str(y))) => {
            crate::validate::git_ref(x).ok() == crate::validate::git_ref(y).ok()
        }
        _ => a == b,
    }
}

/// `init` never replaces recorded answers: the keys whose answer `now`
/// gives differs from the record are refused, named with both values.
fn refuse_changed<'k>(
    prev: &State,
    pack: &Pack,
    keys: impl IntoIterator<Item = &'k String>,
    now: impl Fn(&str) -> Option<Value>,
) -> Result<()> {
    let rec = &prev.answers;
    let show = |v: Option<&Value>| v.map_or("(none)".to_string(), Value::to_flag_text);
    let mut differ = Vec::new();
    for k in keys {
        let was = rec.answers.get(k).or_else(|| rec.defaults.get(k));
        let now = now(k);
        if !same_answer(question(pack, k), now.as_ref(), was) {
            differ.push(format!(
                "{k} (recorded {}, now {})",
                show(was),
                show(now.as_ref())
            ));
        }
    }
    if differ.is_empty() {
        return Ok(());
    }
    Err(Error::input(format!(
        "this folder is already initialised and these answers differ from the record: {}; change them with `flux-scaffold regen --set key=value`",
        differ.join(", ")
    )))
}

/// The answers given to `init` that differ from the record, refused before
/// anything is derived from them (an answer that does not parse is left to
/// the run to report).
fn refuse_changed_given(prev: &State, pack: &Pack, given: &BTreeMap<String, Raw>) -> Result<()> {
    let parsed = |k: &str| {
        let q = question(pack, k)?;
        answers::parse(q, given.get(k)?).ok()
    };
    let keys: Vec<&String> = given.keys().filter(|k| parsed(k).is_some()).collect();
    refuse_changed(prev, pack, keys, parsed)
}

/// Every resolved answer, derived ones included, against the record.
fn refuse_changed_answers(prev: &State, pack: &Pack, answers: &Answers) -> Result<()> {
    let rec = &prev.answers;
    if rec.pack.name != pack.manifest.name {
        return Err(Error::input(format!(
            "this folder was initialised with pack '{}', not '{}': use `flux-scaffold regen --pack` to change it",
            rec.pack.name, pack.manifest.name
        )));
    }
    let keys: std::collections::BTreeSet<&String> = answers
        .values
        .keys()
        .chain(rec.answers.keys())
        .chain(rec.defaults.keys())
        .collect();
    refuse_changed(prev, pack, keys, |k| answers.values.get(k).cloned())
}

/// `regen`: the recorded answers (changed by `--set`), the pack as it is now,
/// merged with the user's edits.
pub fn regen(req: &Request, fs: &mut dyn Fs) -> Result<Outcome> {
    if !req.dir.join(state::ANSWERS).is_file() {
        return Err(Error::input(format!(
            "{} has no {}: run `flux-scaffold init` there first",
            req.dir.display(),
            state::ANSWERS
        )));
    }
    let tree = DiskTree::new(&req.dir);
    repair(req, &tree, fs)?;
    let previous = load_state(&tree)?.ok_or_else(|| {
        Error::input(format!(
            "{} has no {}: run `flux-scaffold init` there first",
            req.dir.display(),
            state::ANSWERS
        ))
    })?;
    let (pack, path) = regen_pack(req, &previous)?;
    let known: Vec<&str> = pack
        .manifest
        .questions
        .iter()
        .map(|q| q.key.as_str())
        .collect();
    let mut given: BTreeMap<String, Raw> = BTreeMap::new();
    let mut dropped_answers = Vec::new();
    for (k, v) in &previous.answers.answers {
        if known.contains(&k.as_str()) {
            let yaml = serde_yaml::to_value(v).unwrap_or(serde_yaml::Value::Null);
            given.insert(k.clone(), Raw::Yaml(yaml));
        } else {
            dropped_answers.push(k.clone());
        }
    }
    let set_now = given_answers(req)?;
    // Values keyed by another list (one per environment) whose keys change:
    // first the new defaults, then each key that existed keeps its value.
    let rekeyed = rekey::find(&pack.manifest, &previous.answers, &set_now);
    for r in &rekeyed {
        given.remove(&r.key);
    }
    given.extend(set_now.clone());
    let mut answers = answers::resolve(&pack.manifest, &given, &mut answers::NoPrompt)?;
    let mut notices = Vec::new();
    if rekey::keep_values(&rekeyed, &answers, &mut given, &mut notices) {
        answers = answers::resolve(&pack.manifest, &given, &mut answers::NoPrompt)?;
    }
    answers::refuse_unused(&pack.manifest, &set_now, &answers)?;
    let moved_defaults = previous
        .answers
        .defaults
        .iter()
        .filter(|(k, _)| answers.defaulted.contains(*k))
        .filter_map(|(k, old)| {
            let new = answers.values.get(k)?;
            (new != old).then(|| (k.clone(), old.clone(), new.clone()))
        })
        .collect();
    let run = Run {
        pack_ref: pack_ref(&pack, path),
        pack: &pack,
        answers,
        previous: Some(&previous),
        opts: plan::Options {
            force: req.force,
            merge: true,
            record: true,
        },
        moved_defaults,
        dropped_answers,
        notices,
        next_steps: false,
    };
    finish(req, &tree, run, fs)
}

/// The pack a regen runs: `--pack`, or the one the state records (a
/// folder in the repository, or a built-in pack by name).
fn regen_pack(req: &Request, previous: &State) -> Result<(Pack, Option<String>)> {
    let recorded = &previous.answers.pack;
    Ok(match (&req.pack, &recorded.path) {
        (Some(spec), _) => {
            let pack = Pack::load(spec)?;
            let path = pack_path(&pack, req);
            (pack, path)
        }
        (None, Some(path)) => {
            let pack = Pack::from_dir(&req.dir.join(path)).map_err(|e| {
                Error::input(format!(
                    "{}: the pack it was made with ({path}) cannot be loaded ({e}); pass --pack DIR",
                    state::ANSWERS
                ))
            })?;
            (pack, Some(path.clone()))
        }
        (None, None) => (Pack::builtin(&recorded.name)?, None),
    })
}

/// Undo what a killed run left half done (see [`apply::recover`]), under
/// the lock, before anything is planned. A run that only looks repairs
/// nothing.
fn repair(req: &Request, tree: &DiskTree, fs: &mut dyn Fs) -> Result<()> {
    if !req.dry_run && !req.check && apply::interrupted(&req.dir) {
        let _lock = Lock::acquire(&req.dir)?;
        apply::recover(tree, fs)?;
    }
    Ok(())
}

/// Everything a run has decided before rendering.
struct Run<'a> {
    pack: &'a Pack,
    pack_ref: PackRef,
    answers: Answers,
    previous: Option<&'a State>,
    opts: plan::Options,
    moved_defaults: Vec<(String, Value, Value)>,
    dropped_answers: Vec<String>,
    notices: Vec<String>,
    /// `init`: the pack's next steps once the plan is written.
    next_steps: bool,
}

fn pack_ref(pack: &Pack, path: Option<String>) -> PackRef {
    PackRef {
        name: pack.manifest.name.clone(),
        version: pack.manifest.version.clone(),
        path,
    }
}

/// Render, plan, and (unless only looking) apply. Planning needs no lock;
/// a plan that writes is made again under the layout's lock, against the
/// state as it is then, so two runs never interleave and an identical
/// second run touches nothing at all.
fn finish(req: &Request, tree: &DiskTree, run: Run<'_>, fs: &mut dyn Fs) -> Result<Outcome> {
    let (resolved, auto_notes) = crate::auto::resolve(run.pack, &run.answers, tree, run.previous)?;
    let rendered = render::render(run.pack, &resolved)?;
    let stages = render::stages(run.pack, &resolved)?;
    // Rendered before anything is written, so a pack error writes nothing.
    let steps = if run.next_steps && !req.dry_run && !req.check {
        crate::steps::render(run.pack, &resolved)?
    } else {
        Vec::new()
    };
    let answers_file = AnswersFile::new(run.pack_ref.clone(), &run.answers);
    let writing = !req.dry_run && !req.check;
    let first = plan::plan(
        &rendered,
        &stages,
        run.previous,
        &answers_file,
        tree,
        run.opts,
    )
    .and_then(|p| refuse(&p, req).map(|()| p));
    let mut applied = false;
    let plan = match first {
        // Only looking, or nothing to do with no other run under way: no
        // lock, no write.
        Ok(p) if !writing || (!p.changes_anything() && !apply::interrupted(&req.dir)) => p,
        Err(e) if !writing => return Err(e),
        // Planned without the lock, this run may have read another run's
        // half-written state (a fake conflict, a refusal): whatever it
        // found is decided again under the lock.
        _ => {
            let _lock = Lock::acquire(&req.dir)?;
            let current = load_state(tree)?;
            let plan = plan::plan(
                &rendered,
                &stages,
                current.as_ref(),
                &answers_file,
                tree,
                run.opts,
            )?;
            refuse(&plan, req)?;
            if plan.changes_anything() {
                apply::apply(&plan, tree, fs)?;
                applied = true;
                remove_emptied_folders(&plan, &req.dir);
            }
            plan
        }
    };
    Ok(Outcome {
        pack: run.pack_ref,
        answers: run.answers,
        plan,
        applied,
        moved_defaults: run.moved_defaults,
        dropped_answers: run.dropped_answers,
        notices: run.notices.into_iter().chain(auto_notes).collect(),
        strict: req.strict,
        next_steps: if applied { steps } else { Vec::new() },
    })
}

/// Folders that a removal left empty go too (Git keeps none, and an empty
/// folder left behind reads as a stage that is still there). Best effort,
/// after the plan is written and outside its transaction: only an empty
/// folder can be removed, and one that cannot be stays.
fn remove_emptied_folders(plan: &Plan, root: &Path) {
    for f in plan.files.iter().filter(|f| f.action == Action::Remove) {
        let mut dir = f.path.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if std::fs::remove_dir(root.join(parent)).is_err() {
                break;
            }
            dir = parent;
        }
    }
}

/// A plan with refusals is an error, except in a dry run, which reports
/// it (the command line then exits 2).
fn refuse(plan: &Plan, req: &Request) -> Result<()> {
    if plan.refusals.is_empty() || req.dry_run {
        return Ok(());
    }
    Err(Error::input(format!(
        "refused, nothing written: {}",
        plan.refusals.join("; ")
    )))
}

/// Where a pack loaded from disk lives, relative to the layout when it is inside it.
fn pack_path(pack: &Pack, req: &Request) -> Option<String> {
    if pack.is_builtin() {
        return None;
    }
    let spec = Path::new(req.pack.as_deref()?);
    let abs = spec.canonicalize().ok()?;
    let root = req.dir.canonicalize().ok();
    match root.and_then(|r| abs.strip_prefix(&r).ok().map(Path::to_path_buf)) {
        Some(rel) => Some(rel.to_string_lossy().into_owned()),
        None => Some(abs.to_string_lossy().into_owned()),
    }
}

pub fn given_answers(req: &Request) -> Result<BTreeMap<String, Raw>> {
    let mut given = BTreeMap::new();
    if let Some(path) = &req.answers_file {
        let text = crate::tree::read_regular(path)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "is not UTF-8".to_string()))
            .map_err(|e| {
                Error::input(format!("cannot read answers file {}: {e}", path.display()))
            })?;
        given.extend(answers::parse_answers_file(
            &text,
            &path.display().to_string(),
        )?);
    }
    given.extend(answers::parse_sets(&req.sets)?);
    Ok(given)
}
