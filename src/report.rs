//! Turn an outcome into what the user reads: a text summary (with diffs on
//! request) or one JSON document.

use std::fmt::Write;

use serde::Serialize;
use similar::TextDiff;

use crate::plan::{Action, FileOp};
use crate::session::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// What the run did, for the closing line of the text report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Ran: wrote, or had nothing to do.
    Ran,
    /// Looked only (--dry-run, --check).
    DryRun,
    /// Planned, waiting for the user's confirmation.
    Planned,
}

/// Options of the report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub diff: bool,
    pub color: bool,
    pub quiet: bool,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    /// What happens to the file; `outcome` says the same.
    action: Action,
    outcome: Action,
    ownership: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    conflicts: usize,
}

#[derive(Serialize)]
struct JsonMoved<'a> {
    key: &'a str,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'a str,
    dir: String,
    pack: &'a crate::state::PackRef,
    dry_run: bool,
    written: bool,
    files: Vec<JsonFile<'a>>,
    moved_defaults: Vec<JsonMoved<'a>>,
    dropped_answers: &'a [String],
    notices: Vec<&'a str>,
    /// Why the plan was refused (a dry run reports it; exit 2).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    refusals: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<Vec<&'a str>>,
    /// After a writing `init`: what to do next (`section: next`) and how
    /// to recover a cluster where Flux is stuck (`section: recover`).
    next_steps: &'a [crate::steps::Step],
}

/// The JSON document of a run.
pub fn json(
    command: &str,
    dir: &std::path::Path,
    outcome: &Outcome,
    dry_run: bool,
    check: bool,
) -> String {
    let report = JsonReport {
        command,
        dir: dir.display().to_string(),
        pack: &outcome.pack,
        dry_run,
        written: outcome.applied,
        files: outcome
            .plan
            .files
            .iter()
            .map(|f| JsonFile {
                path: &f.path,
                action: f.action,
                outcome: f.action,
                ownership: f.ownership.name(),
                note: f.note.as_deref(),
                conflicts: f.conflicts,
            })
            .collect(),
        moved_defaults: outcome
            .moved_defaults
            .iter()
            .map(|(k, a, b)| JsonMoved {
                key: k,
                from: a.to_flag_text(),
                to: b.to_flag_text(),
            })
            .collect(),
        dropped_answers: &outcome.dropped_answers,
        notices: all_notices(outcome),
        refusals: &outcome.plan.refusals,
        drift: check.then(|| outcome.drift().iter().map(|f| f.path.as_str()).collect()),
        next_steps: &outcome.next_steps,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// The text report: one line per file, then a summary.
pub fn text(outcome: &Outcome, style: Style, stage: Stage) -> String {
    let mut out = String::new();
    for f in &outcome.plan.files {
        if style.quiet && !f.action.writes() && f.action != Action::Conflict {
            continue;
        }
        let action = paint(style.color, f.action, &format!("{:<9}", f.action.name()));
        let _ = write!(out, "{action}  {}", f.path);
        if let Some(n) = &f.note {
            let _ = write!(out, "  ({n})");
        }
        if f.conflicts > 0 {
            let _ = write!(
                out,
                "  [{} conflict{}]",
                f.conflicts,
                if f.conflicts == 1 { "" } else { "s" }
            );
        }
        out.push('\n');
        if style.diff && (f.action.writes() || f.new.is_some()) {
            out.push_str(&diff(f));
        }
    }
    for (k, a, b) in &outcome.moved_defaults {
        let _ = writeln!(
            out,
            "default   {k}: {} -> {}",
            a.to_flag_text(),
            b.to_flag_text()
        );
    }
    for k in &outcome.dropped_answers {
        let _ = writeln!(out, "dropped   answer {k} (the pack no longer asks it)");
    }
    for n in all_notices(outcome) {
        let _ = writeln!(out, "note      {n}");
    }
    for r in &outcome.plan.refusals {
        let _ = writeln!(out, "refused   {r}");
    }
    if !style.quiet {
        out.push_str(&summary(outcome, stage));
        out.push_str(&steps(&outcome.next_steps));
    }
    out
}

/// The next steps and the recovery, each command on a line of its own,
/// ready to paste (run from the layout's folder).
fn steps(steps: &[crate::steps::Step]) -> String {
    let mut out = String::new();
    for (section, heading) in [
        ("next", "Next steps (from the layout's folder):"),
        ("recover", "Recover: a cluster where Flux is already stuck:"),
    ] {
        let mine: Vec<_> = steps.iter().filter(|s| s.section == section).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}");
        for (i, s) in mine.iter().enumerate() {
            let _ = writeln!(out, "{:>3}. {}", i + 1, s.title);
            for c in &s.commands {
                let _ = writeln!(out, "       {c}");
            }
        }
    }
    out
}

/// The session's notices, then the plan's.
fn all_notices(outcome: &Outcome) -> Vec<&str> {
    outcome
        .notices
        .iter()
        .chain(&outcome.plan.notices)
        .map(String::as_str)
        .collect()
}

fn summary(outcome: &Outcome, stage: Stage) -> String {
    let mut counts: Vec<(Action, usize)> = Vec::new();
    for f in &outcome.plan.files {
        match counts.iter_mut().find(|(a, _)| *a == f.action) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.action, 1)),
        }
    }
    counts.sort_by_key(|(a, _)| *a as u8);
    let parts: Vec<String> = counts
        .iter()
        .map(|(a, n)| format!("{n} {}", a.name()))
        .collect();
    let verdict = match stage {
        Stage::DryRun => "dry run: nothing written",
        Stage::Planned => "planned",
        Stage::Ran if outcome.applied => "written",
        Stage::Ran => "nothing to do",
    };
    format!("{}; {verdict}\n", parts.join(", "))
}

/// The unified diff of one file's change.
pub fn diff(f: &FileOp) -> String {
    let old = f
        .old
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let new = f
        .new
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let a = if f.old.is_some() {
        format!("a/{}", f.path)
    } else {
        "/dev/null".into()
    };
    let b = if f.action == Action::Remove {
        "/dev/null".into()
    } else {
        format!("b/{}", f.path)
    };
    TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

fn paint(color: bool, action: Action, s: &str) -> String {
    if !color {
        return s.to_string();
    }
    let code = match action {
        Action::Create | Action::Patch | Action::Merge | Action::Update => "32",
        Action::Conflict => "31",
        Action::Remove => "33",
        Action::Unchanged | Action::Keep => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// The report of `regen --all`, and the exit code of the whole fleet: 2 or
/// 3 when a layout could not be read, else 1 when any drifted or holds
/// conflicts, else 0.
pub struct FleetReport {
    pub text: String,
    pub exit_code: i32,
}

#[derive(Serialize)]
struct JsonLayout<'a> {
    dir: String,
    status: &'a str,
    files: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn fleet(
    root: &std::path::Path,
    results: &[crate::fleet::LayoutResult],
    check: bool,
    format: Format,
    quiet: bool,
) -> FleetReport {
    let mut layouts = Vec::new();
    let mut exit_code = 0;
    let mut counts = FleetCounts::default();
    for r in results {
        let dir = r
            .dir
            .strip_prefix(root)
            .unwrap_or(&r.dir)
            .display()
            .to_string();
        let dir = if dir.is_empty() { ".".to_string() } else { dir };
        let (status, files, error) = match &r.result {
            Err(e) => {
                counts.failed += 1;
                exit_code = exit_code.max(e.exit_code().min(3)).max(2);
                ("error", Vec::new(), Some(e.message.clone()))
            }
            Ok(o) => {
                let (status, files) = layout_status(o, check);
                if matches!(status, "conflict" | "drift") {
                    counts.drifted += 1;
                    exit_code = exit_code.max(1);
                } else {
                    counts.current += 1;
                }
                (status, files, None)
            }
        };
        layouts.push(JsonLayout {
            dir,
            status,
            files,
            error,
        });
    }
    let text = match format {
        Format::Json => {
            let FleetCounts {
                current,
                drifted,
                failed,
            } = counts;
            let doc = serde_json::json!({
                "command": "regen",
                "all": true,
                "check": check,
                "root": root.display().to_string(),
                "layouts": layouts,
                "summary": { "layouts": results.len(), "current": current, "drifted": drifted, "errors": failed },
            });
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
        }
        Format::Text => fleet_text(&layouts, &counts, check, quiet),
    };
    FleetReport { text, exit_code }
}

/// How many layouts are current (or updated), drifted (or hold
/// conflicts), or could not be read.
#[derive(Default)]
struct FleetCounts {
    current: usize,
    drifted: usize,
    failed: usize,
}

/// A layout's status in a fleet report (`conflict`, `drift`, `updated` or
/// `current`) and the files it names.
fn layout_status(o: &Outcome, check: bool) -> (&'static str, Vec<&str>) {
    let conflicts: Vec<&str> = o
        .plan
        .files
        .iter()
        .filter(|f| f.conflicts > 0 || f.action == Action::Conflict)
        .map(|f| f.path.as_str())
        .collect();
    let changed: Vec<&str> = if check {
        o.drift().iter().map(|f| f.path.as_str()).collect()
    } else {
        o.plan
            .files
            .iter()
            .filter(|f| f.action.writes())
            .map(|f| f.path.as_str())
            .collect()
    };
    if !conflicts.is_empty() {
        ("conflict", conflicts)
    } else if check && !changed.is_empty() {
        ("drift", changed)
    } else if !changed.is_empty() {
        ("updated", changed)
    } else {
        ("current", changed)
    }
}

/// The text fleet report: a line per layout (`quiet` leaves out the
/// current ones) and a closing count.
fn fleet_text(layouts: &[JsonLayout], counts: &FleetCounts, check: bool, quiet: bool) -> String {
    let mut out = String::new();
    for l in layouts {
        if quiet && l.status == "current" {
            continue;
        }
        let _ = write!(out, "{:<9} {}", l.status, l.dir);
        if !l.files.is_empty() {
            let _ = write!(out, ": {}", l.files.join(", "));
        }
        if let Some(e) = &l.error {
            let _ = write!(out, ": {e}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} layouts: {} current, {} {}, {} errors",
        layouts.len(),
        counts.current,
        counts.drifted,
        if check { "drifted" } else { "with conflicts" },
        counts.failed
    );
    out
}
