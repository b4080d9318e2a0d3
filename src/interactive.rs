//! `init` in a terminal: the essential questions, the plan with the values
//! derived for the rest, an offer to customise them, a confirmation. When
//! the run fails after prompting, the answers given so far are kept in a
//! file (`.flux-scaffold-answers.yaml` in the current folder) that
//! `--answers` resumes from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use console::style;

use crate::answers::{Raw, Replay, Value};
use crate::apply::Fs;
use crate::error::{Error, ErrorKind, Result};
use crate::prompt::{self, Mode, Terminal};
use crate::report::{self, Stage, Style};
use crate::session::{self, Outcome, Request};

/// The file the answers of a failed interactive run are saved in.
pub const RESUME_FILE: &str = ".flux-scaffold-answers.yaml";

/// Prompt, plan, offer to customise, confirm (unless `yes`), write.
pub fn init(req: &Request, yes: bool, color: bool, fs: &mut dyn Fs) -> Result<Outcome> {
    let mut req = req.clone();
    req.dry_run = true;
    let mut term = Terminal::new(Mode::Essentials, BTreeMap::new());
    let mut planned = keep_answers(session::init(&req, &mut term, fs), &req, &term)?;
    if !planned.plan.changes_anything() {
        return Ok(planned);
    }
    if !yes {
        show_plan(&planned, &term, color);
        let n = term.skipped.len();
        if n > 0 && prompt::confirm(&format!("Customise {n} more settings?"), false)? {
            let mut more = Terminal::new(Mode::Customise, term.given.clone());
            more.skipped = Vec::new();
            planned = keep_answers(session::init(&req, &mut more, fs), &req, &more)?;
            term = more;
            eprint!("{}", plan_text(&planned, color));
        }
        if !planned.plan.refusals.is_empty() {
            let why = planned.plan.refusals.join("; ");
            return Err(with_resume(
                Error::input(format!("refused: {why}")),
                &req,
                &term,
            ));
        }
        if !prompt::confirm("Write these files?", true)? {
            return Err(Error::cancelled());
        }
    }
    // The same run again, writing, with the answers just given.
    req.dry_run = false;
    let run = session::init(&req, &mut Replay(planned.answers.values), fs);
    keep_answers(run, &req, &term)
}

fn plan_text(planned: &Outcome, color: bool) -> String {
    let style = Style {
        diff: false,
        color,
        quiet: false,
    };
    report::text(planned, style, Stage::Planned)
}

/// The plan, then the values the session derived without asking.
fn show_plan(planned: &Outcome, term: &Terminal, color: bool) {
    let mut out = plan_text(planned, color);
    if !term.skipped.is_empty() {
        out.push_str("\nDerived settings (kept unless you customise them):\n");
        // Several to a line, so the plan above stays on a small screen.
        let width = crate::prompt::columns().saturating_sub(2).max(40);
        let mut line = String::new();
        let mut shown = 0;
        for key in &term.skipped {
            let Some(v) = planned.answers.values.get(key) else {
                continue;
            };
            let text = v.to_flag_text();
            let len = key.len() + 3 + console::measure_text_width(&text);
            if shown > 0 && shown + 2 + len > width {
                out.push_str(&format!("  {line}\n"));
                line.clear();
                shown = 0;
            }
            if shown > 0 {
                line.push_str("; ");
                shown += 2;
            }
            line.push_str(&format!("{key} = {}", style(text).dim()));
            shown += len;
        }
        if shown > 0 {
            out.push_str(&format!("  {line}\n"));
        }
    }
    let _ = std::io::stderr().write_all(out.as_bytes());
}

fn keep_answers<T>(run: Result<T>, req: &Request, term: &Terminal) -> Result<T> {
    run.map_err(|e| with_resume(e, req, term))
}

/// `e`, saying where the answers given so far are kept and how to resume,
/// when anything was asked (a cancel keeps nothing).
fn with_resume(e: Error, req: &Request, term: &Terminal) -> Error {
    if e.kind == ErrorKind::Cancelled || term.given.is_empty() {
        return e;
    }
    let Ok(text) = resume_text(req, &term.given) else {
        return e;
    };
    let dir = crate::escape::shell(&req.dir.to_string_lossy());
    let message = match save(&req.dir, &text) {
        Some(file) => format!(
            "{}; the answers given so far are in {}: fix them and resume with `flux-scaffold init --answers {} {dir}`",
            e.message,
            file.display(),
            file.display()
        ),
        None => {
            let _ = writeln!(std::io::stderr(), "{text}");
            format!(
                "{}; the answers given so far are printed above: save them to a file outside {dir} and resume with `flux-scaffold init --answers FILE {dir}`",
                e.message
            )
        }
    };
    Error {
        kind: e.kind,
        message,
        source: e.source,
    }
}

/// Every answer given so far: the answers file, `--set`, the prompts.
fn resume_text(req: &Request, asked: &BTreeMap<String, Value>) -> Result<String> {
    let mut all = serde_yaml::Mapping::new();
    for (k, raw) in session::given_answers(req)? {
        let v = match raw {
            Raw::Text(t) => serde_yaml::Value::String(t),
            Raw::Yaml(v) => v,
        };
        all.insert(serde_yaml::Value::String(k), v);
    }
    for (k, v) in asked {
        let v = serde_yaml::to_value(v).unwrap_or_default();
        all.insert(serde_yaml::Value::String(k.clone()), v);
    }
    serde_yaml::to_string(&all).map_err(|e| Error::input(e.to_string()))
}

/// Write `text` to the resume file in the current folder, replacing the
/// name (never following a link there). Not when the current folder is
/// the target or inside it: the file would become part of the layout.
fn save(target: &Path, text: &str) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    if let Ok(t) = target.canonicalize()
        && cwd.starts_with(&t)
    {
        return None;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(&cwd).ok()?;
    tmp.write_all(text.as_bytes()).ok()?;
    tmp.persist(cwd.join(RESUME_FILE)).ok()?;
    Some(PathBuf::from(".").join(RESUME_FILE))
}
