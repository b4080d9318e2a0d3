//! `auto` choices, resolved against the repository before every render
//! (the record keeps `auto`): where a new object keeps its namespace
//! (`keep_namespace`), or whether the repository already installs Pod
//! Identity (`pod-identity-installed`).

use crate::answers::{Answers, Value};
use crate::error::{Error, Result};
use crate::pack::{AutoSpec, Ownership, Pack, Question};
use crate::state::State;
use crate::tree::Tree;

/// The answers to render with: each `auto` choice resolved, with a notice
/// when it picks other than its first candidate, or finds Pod Identity
/// installed or the folder in use.
pub fn resolve(
    pack: &Pack,
    answers: &Answers,
    tree: &dyn Tree,
    previous: Option<&State>,
) -> Result<(Answers, Vec<String>)> {
    let mut out = answers.clone();
    let mut notes = Vec::new();
    let ctx = crate::expr::context(&pack.manifest, answers);
    for q in &pack.manifest.questions {
        let Some(auto) = &q.auto else { continue };
        if answers.values.get(&q.key) != Some(&Value::Str("auto".into())) {
            continue;
        }
        let text = |t: &str| {
            crate::expr::render_text(t, &ctx).map_err(|e| {
                Error::input(format!(
                    "pack '{}': {}: auto: {e}",
                    pack.manifest.name, q.key
                ))
            })
        };
        let choice = match (
            &auto.keep_namespace,
            &auto.pod_identity_installed,
            &auto.otherwise,
        ) {
            (Some(ns), _, _) => by_namespace(q, auto, &text(ns)?, &text, tree, &mut notes)?,
            (None, Some(found), Some(otherwise)) => {
                let fresh = auto.fresh_folder.as_deref().map(text).transpose()?;
                let run = Ctx {
                    pack,
                    answers: &out,
                    tree,
                    previous,
                };
                by_installs(&run, q, (found, otherwise), fresh.as_deref(), &mut notes)?
            }
            _ => {
                return Err(Error::input(format!(
                    "pack '{}': {}: auto needs keep_namespace and candidates, or pod_identity_installed and otherwise",
                    pack.manifest.name, q.key
                )));
            }
        };
        out.values.insert(q.key.clone(), Value::Str(choice));
    }
    Ok((out, notes))
}

/// `auto` by namespace: the first candidate folder that keeps a new object
/// in `ns`.
fn by_namespace(
    q: &Question,
    auto: &AutoSpec,
    ns: &str,
    text: &dyn Fn(&str) -> Result<String>,
    tree: &dyn Tree,
    notes: &mut Vec<String>,
) -> Result<String> {
    let mut why = Vec::new();
    for c in &auto.candidates {
        let folder = text(&c.folder)?;
        match crate::applied::moves_new_object(tree, &folder, ns)? {
            Ok(None) => {
                if !why.is_empty() {
                    notes.push(format!(
                        "{} (auto): {}, in {folder}, since {}",
                        q.key,
                        c.choice,
                        why.join("; ")
                    ));
                }
                return Ok(c.choice.clone());
            }
            Ok(Some(other)) => why.push(format!("{folder} would move it to {other}")),
            Err(e) => why.push(format!("{folder}/kustomization: {e}")),
        }
    }
    Err(Error::input(format!(
        "answer '{}' (auto): no folder keeps its objects in {ns}: {}; drop one namespace override, or choose with --set {}=...",
        q.key,
        why.join("; "),
        q.key
    )))
}

/// What a resolution by installs reads.
struct Ctx<'a> {
    pack: &'a Pack,
    /// The answers with the earlier `auto` choices resolved.
    answers: &'a Answers,
    tree: &'a dyn Tree,
    previous: Option<&'a State>,
}

/// `auto` by what the repository installs, decided on the first run and
/// then kept. A recorded layout keeps what it was written with: `otherwise`
/// while a file only it produces is recorded as the tool's own (by file
/// name: a stage folder may have moved since), else `found` (also for a
/// layout recorded before the question existed: an upgrade never starts
/// installing something by itself). A first run picks `found` when a file
/// of the repository installs or uses Pod Identity, or `fresh` already
/// applies the user's resources; else `otherwise`.
fn by_installs(
    run: &Ctx<'_>,
    q: &Question,
    (found, otherwise): (&str, &str),
    fresh: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<String> {
    let without = rendered(run, q, found)?;
    if let Some(p) = run.previous {
        let name = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
        let only: Vec<String> = rendered(run, q, otherwise)?
            .iter()
            .filter(|f| !without.contains(f))
            .map(|f| name(f))
            .collect();
        let mut recorded = p
            .files
            .files
            .iter()
            .filter(|(_, r)| r.ownership != Ownership::Patch);
        if recorded.any(|(f, _)| only.contains(&name(f))) {
            return Ok(otherwise.to_string());
        }
        if !p.answers.answers.contains_key(&q.key) && !p.answers.defaults.contains_key(&q.key) {
            notes.push(format!(
                "{} (auto): {found}, as this layout was before the question existed; --set {}={otherwise} to change it",
                q.key, q.key
            ));
        }
        return Ok(found.to_string());
    }
    let installs =
        crate::doctor::pod_identity_installs(run.tree, &|p| without.iter().any(|w| w == p))?;
    if let Some(first) = installs.first() {
        notes.push(format!(
            "{} (auto): {found}, since the repository already has Pod Identity ({}:{}: {}); --set {}={otherwise} to install it here too",
            q.key, first.file, first.line, first.what, q.key
        ));
        return Ok(found.to_string());
    }
    let Some(folder) = fresh else {
        return Ok(otherwise.to_string());
    };
    // Files the tool is about to adopt (written by hand where it writes
    // its own) are not the user's resources.
    let build = crate::applied::build(run.tree, folder)?;
    let theirs: Vec<&str> = build
        .objects
        .iter()
        .filter(|o| !without.contains(&o.file))
        .map(|o| o.file.as_str())
        .collect();
    if build.missing || (theirs.is_empty() && build.errors.is_empty()) {
        return Ok(otherwise.to_string());
    }
    notes.push(format!(
        "{} (auto): {found}, since {folder} already applies your resources ({}); --set {}={otherwise} to install Pod Identity there",
        q.key,
        theirs.first().copied().unwrap_or("a stage that does not build"),
        q.key
    ));
    Ok(found.to_string())
}

/// The paths of the files the tool writes and owns with `choice` for `q`.
fn rendered(run: &Ctx<'_>, q: &Question, choice: &str) -> Result<Vec<String>> {
    let mut a = run.answers.clone();
    a.values.insert(q.key.clone(), Value::Str(choice.into()));
    Ok(crate::render::render(run.pack, &a)?
        .into_iter()
        .filter(|r| r.ownership != Ownership::Patch)
        .map(|r| r.path)
        .collect())
}
