//! The stage invariant of every run: what Flux applies from each folder
//! the configuration points it at (the pack's stages, now and as recorded),
//! compared before and after a plan through [`applied`]. A plan that drops a
//! resource the tool does not own, adds a build error, moves the tool's
//! objects out of their namespace, or moves a stage away from what it
//! applied carries refusals; what was broken before is reported.

use std::collections::BTreeSet;

use crate::applied;
use crate::error::Result;
use crate::state::Stage;
use crate::tree::Overlay;

/// Stages the configuration no longer points at. Flux prunes what such a
/// stage applied: moving or dropping one that applied resources not the
/// tool's own is refused unless every one of them is applied by a stage
/// after the run (the user moved them along); a stage that goes with its
/// item (an environment removed) is reported.
pub fn check_left_stages(
    after: &Overlay<'_>,
    recorded: &[Stage],
    now: &[Stage],
    owned: &BTreeSet<&str>,
    refusals: &mut Vec<String>,
    notices: &mut Vec<String>,
) -> Result<()> {
    let mut applied_after: Option<Applied> = None;
    for old in recorded {
        let moved_to = now.iter().find(|s| s.name == old.name);
        match moved_to {
            Some(s) if s.path == old.path => continue,
            // Gone, but its folder is still applied as another stage.
            None if now.iter().any(|s| s.path == old.path) => continue,
            _ => {}
        }
        let b = applied::build(after.base, &old.path)?;
        let theirs: Vec<&applied::Object> = b
            .objects
            .iter()
            .filter(|o| !owned.contains(o.file.as_str()))
            .collect();
        let remote: Vec<&str> = b
            .sources
            .iter()
            .filter(|s| matches!(s, applied::Source::Remote(_)) && !owned.contains(s.display()))
            .map(applied::Source::display)
            .collect();
        if theirs.is_empty() && remote.is_empty() {
            continue;
        }
        if moved_to.is_none() && old.per_item {
            notices.push(format!(
                "{} is gone from the configuration: the code no longer declares its flux configuration ({} stays in the repository); Terraform destroys it on apply and Flux then prunes what it applied, with Bicep or az delete it yourself",
                old.name, old.path
            ));
            continue;
        }
        // A stage that moved must apply, from its new folder, what it
        // applied from the old one (each configuration prunes on its own);
        // a stage that left must have its objects applied by some stage.
        let lost = match moved_to {
            Some(s) => applied_by(after, [s])?.lost(&theirs, &remote),
            None => {
                if applied_after.is_none() {
                    applied_after = Some(applied_by(after, now)?);
                }
                applied_after
                    .as_ref()
                    .map_or_else(Vec::new, |a| a.lost(&theirs, &remote))
            }
        };
        if !lost.is_empty() {
            refusals.push(left_refusal(old, moved_to, &lost));
        }
    }
    Ok(())
}

/// What some stages apply after the run: object ids and remote sources.
#[derive(Default)]
struct Applied {
    ids: BTreeSet<String>,
    urls: BTreeSet<String>,
}

impl Applied {
    /// Of `theirs` and `remote`, what these stages no longer apply, sorted.
    fn lost(&self, theirs: &[&applied::Object], remote: &[&str]) -> Vec<String> {
        let mut lost: Vec<String> = theirs
            .iter()
            .filter(|o| !self.ids.contains(&o.id()))
            .map(|o| format!("{} {}", o.kind, o.name))
            .collect();
        lost.extend(
            remote
                .iter()
                .filter(|u| !self.urls.contains(**u))
                .map(|u| u.to_string()),
        );
        lost.sort();
        lost.dedup();
        lost
    }
}

fn applied_by<'s>(
    after: &Overlay<'_>,
    stages: impl IntoIterator<Item = &'s Stage>,
) -> Result<Applied> {
    let mut out = Applied::default();
    for s in stages {
        let a = applied::build(after, &s.path)?;
        out.ids.extend(a.objects.iter().map(applied::Object::id));
        out.urls
            .extend(a.sources.iter().map(|s| s.display().to_string()));
    }
    Ok(out)
}

fn left_refusal(old: &Stage, moved_to: Option<&Stage>, lost: &[String]) -> String {
    let how = match moved_to {
        Some(s) => format!(
            "stage {} would move from {} to {}",
            old.name, old.path, s.path
        ),
        None => format!(
            "stage {} ({}) would leave the configuration",
            old.name, old.path
        ),
    };
    format!(
        "{how}, and Flux would prune what only it applied: {}; move those into the new folder first, or out of {}",
        lost.join(", "),
        old.path
    )
}

/// Compare what Flux applies from `dir` before and after the run.
pub fn check_stage(
    after: &Overlay<'_>,
    dir: &str,
    current: bool,
    owned: &BTreeSet<&str>,
    refusals: &mut Vec<String>,
    notices: &mut Vec<String>,
) -> Result<()> {
    let b = applied::build(after.base, dir)?;
    if !after.changes.keys().any(|p| b.depends_on(p)) {
        // Nothing this build reads changes: it stays as it is.
        if current && !b.builds() {
            notices.push(format!(
                "Flux cannot build {}: {}",
                if dir.is_empty() { "." } else { dir },
                b.errors.join("; ")
            ));
        }
        return Ok(());
    }
    let a = applied::build(after, dir)?;
    let shown = if dir.is_empty() { "." } else { dir };
    let lost: Vec<&str> = b
        .sources
        .difference(&a.sources)
        .filter(|s| !owned.contains(s.display()))
        .map(applied::Source::display)
        .collect();
    if !lost.is_empty() {
        refusals.push(format!(
            "Flux would stop applying {} from {shown} (with prune, it deletes what they hold)",
            lost.join(", ")
        ));
    }
    let new_errors: Vec<&String> = a
        .errors
        .iter()
        .filter(|e| b.missing || !b.errors.contains(e))
        .collect();
    if !new_errors.is_empty() && (current || b.builds()) {
        refusals.push(format!(
            "after this run Flux could not build {shown}: {}",
            new_errors
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    } else if current && !a.builds() {
        notices.push(format!(
            "Flux cannot build {shown}, before this run and after it: {}",
            a.errors.join("; ")
        ));
    }
    for o in &a.objects {
        if owned.contains(o.file.as_str())
            && let Some(why) = &o.namespace_unknown
        {
            refusals.push(format!(
                "{shown} may move {} {} out of {}: {why}; choose another stage for it (exception_stage=prereqs) or keep namespaces out of those",
                o.kind,
                o.name,
                o.declared_namespace.as_deref().unwrap_or("its namespace")
            ));
            continue;
        }
        if owned.contains(o.file.as_str()) && o.namespace != o.declared_namespace {
            refusals.push(format!(
                "{shown} would move {} {} from {} to {}: a namespace override applies to it",
                o.kind,
                o.name,
                o.declared_namespace
                    .as_deref()
                    .unwrap_or("its default namespace"),
                o.namespace.as_deref().unwrap_or("none")
            ));
        }
    }
    Ok(())
}
