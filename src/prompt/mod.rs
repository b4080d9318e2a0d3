//! The terminal front end of [`Prompter`]: a default session asks the
//! essential questions (and those without a default), leaves the rest at
//! their derived defaults for the plan summary, and can then customise
//! them; per-environment questions are asked once per environment.

mod line;
mod theme;

use std::collections::{BTreeMap, BTreeSet};

use console::{Term, style};
use dialoguer::{Confirm, MultiSelect, Select};

use crate::answers::{self, Prompter, Raw, Value};
use crate::error::{Error, ErrorKind, Result};
use crate::pack::{Manifest, Question, QuestionType};

pub use theme::{SigintGuard, columns};

/// Which questions a session asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Essential questions and those without a default.
    Essentials,
    /// The questions an essentials session left at their defaults.
    Customise,
}

pub struct Terminal {
    theme: theme::Marked,
    mode: Mode,
    /// Answers already given in this session, returned without asking.
    preset: BTreeMap<String, Value>,
    /// Every answer given at a prompt (presets included), by key.
    pub given: BTreeMap<String, Value>,
    /// Questions left at their default without asking, in order.
    pub skipped: Vec<String>,
    /// Settled list answers (the environments), by key.
    lists: BTreeMap<String, Vec<String>>,
    /// A question whose per-environment question takes over with several
    /// environments (apps_path for apps_paths): its key and the list's.
    bases: BTreeMap<String, String>,
}

impl Terminal {
    pub fn new(mode: Mode, preset: BTreeMap<String, Value>) -> Self {
        Terminal {
            theme: theme::Marked::default(),
            mode,
            preset,
            given: BTreeMap::new(),
            skipped: Vec::new(),
            lists: BTreeMap::new(),
            bases: BTreeMap::new(),
        }
    }

    fn environments(&self, list: &str) -> usize {
        self.lists.get(list).map_or(1, Vec::len)
    }

    /// Whether the session leaves `q` at its default without asking.
    fn leaves(&mut self, q: &Question, default: Option<&Value>) -> bool {
        if default.is_none() {
            return false;
        }
        if let Some(list) = &q.keyed_by {
            // One environment: the value is the one question's answer.
            if self.environments(list) < 2 {
                return true;
            }
        } else if let Some(list) = self.bases.get(&q.key)
            && self.environments(list) > 1
        {
            // Several environments: asked per environment instead.
            return true;
        }
        if self.mode == Mode::Essentials && !q.essential {
            self.skipped.push(q.key.clone());
            return true;
        }
        false
    }

    fn prompt_for(&mut self, q: &Question, default: Option<&Value>) -> Result<Value> {
        if let Some(help) = &q.help {
            let width = theme::columns().saturating_sub(2);
            for line in crate::wrap::wrap(help, width) {
                eprintln!("  {}", style(line).dim());
            }
        }
        let value = match q.kind {
            QuestionType::Choice => self.choice(q, default)?,
            QuestionType::MultiChoice => self.multi_choice(q, default)?,
            QuestionType::Bool if !q.is_list() => {
                let d = matches!(default, Some(Value::Bool(true)));
                let _sigint = SigintGuard::new();
                let b = Confirm::with_theme(&self.theme)
                    .with_prompt(fit(&q.prompt))
                    .default(d)
                    .wait_for_newline(true)
                    .interact_opt();
                Value::Bool(finished(b)?)
            }
            _ if q.keyed_by.is_some() => self.per_item(q, default)?,
            _ => {
                let prompt = if q.is_list() {
                    format!("{} (comma-separated)", q.prompt)
                } else {
                    q.prompt.clone()
                };
                let default = default.map(Value::to_flag_text);
                let text = text_input(&prompt, default.as_deref(), |t| {
                    answers::parse(q, &Raw::Text(t.to_string())).map(|_| ())
                })?;
                answers::parse(q, &Raw::Text(text))
                    .map_err(|why| Error::input(format!("answer '{}' {why}", q.key)))?
            }
        };
        self.given.insert(q.key.clone(), value.clone());
        Ok(value)
    }

    fn choice(&self, q: &Question, default: Option<&Value>) -> Result<Value> {
        let idx = default
            .and_then(|d| q.choices.iter().position(|c| Value::Str(c.clone()) == *d))
            .unwrap_or(0);
        let _sigint = SigintGuard::new();
        let pick = Select::with_theme(&self.theme)
            .with_prompt(fit(&q.prompt))
            .items(&q.choices)
            .default(idx)
            .interact_opt();
        Ok(Value::Str(q.choices[finished(pick)?].clone()))
    }

    fn multi_choice(&self, q: &Question, default: Option<&Value>) -> Result<Value> {
        let checked: Vec<bool> = q
            .choices
            .iter()
            .map(|c| matches!(default, Some(Value::List(l)) if l.contains(c)))
            .collect();
        eprintln!("  {}", style("space selects, enter accepts").dim());
        let prompt = fit(&q.prompt);
        loop {
            let _sigint = SigintGuard::new();
            let picks = MultiSelect::with_theme(&self.theme)
                .with_prompt(&prompt)
                .items(&q.choices)
                .defaults(&checked)
                .interact_opt();
            let picks = finished(picks)?;
            if picks.is_empty() {
                eprintln!("  choose at least one");
                continue;
            }
            break Ok(Value::List(
                picks.into_iter().map(|i| q.choices[i].clone()).collect(),
            ));
        }
    }

    /// A per-environment list, one prompt per environment, each proposing
    /// its derived value.
    fn per_item(&self, q: &Question, default: Option<&Value>) -> Result<Value> {
        let list = q.keyed_by.as_deref().unwrap_or_default();
        let items = self.lists.get(list).cloned().unwrap_or_default();
        let defaults = match default {
            Some(Value::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        let mut one = q.clone();
        one.list = false;
        one.keyed_by = None;
        loop {
            let mut values = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let prompt = format!(
                    "{} ({item})?",
                    q.prompt
                        .trim_end_matches(", in order?")
                        .trim_end_matches('?')
                );
                let text = text_input(&prompt, defaults.get(i).map(String::as_str), |t| {
                    answers::parse(&one, &Raw::Text(t.to_string())).map(|_| ())
                })?;
                values.push(text.trim().to_string());
            }
            let value = answers::parse(q, &Raw::Text(values.join(",")));
            match value {
                Ok(v) => return Ok(v),
                Err(why) => eprintln!("  {} {why}", style("✘").red()),
            }
        }
    }
}

/// The questions whose per-environment question (`keyed_by`) is derived
/// from them, with the list that question follows.
fn bases(manifest: &Manifest) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for q in &manifest.questions {
        let (Some(list), Some(d)) = (&q.keyed_by, &q.default) else {
            continue;
        };
        let keys: BTreeSet<String> = strings_of(d)
            .iter()
            .flat_map(|t| crate::expr::identifiers(t))
            .collect();
        for base in &manifest.questions {
            if base.keyed_by.is_none() && &base.key != list && keys.contains(&base.key) {
                out.insert(base.key.clone(), list.clone());
            }
        }
    }
    out
}

/// Every string in a default: the expression of a schema 1 default, the
/// items (values and conditions) of a schema 2 list default.
fn strings_of(v: &serde_yaml::Value) -> Vec<&str> {
    match v {
        serde_yaml::Value::String(s) => vec![s.as_str()],
        serde_yaml::Value::Sequence(items) => items.iter().flat_map(strings_of).collect(),
        serde_yaml::Value::Mapping(m) => m.values().flat_map(strings_of).collect(),
        _ => Vec::new(),
    }
}

/// The prompt of a list or yes/no question, on one row: dialoguer redraws
/// such prompts by rows and leaves a wrapped one behind. A longer prompt is
/// printed whole (wrapped) above, and shortened with `…` for dialoguer.
fn fit(prompt: &str) -> String {
    // "? " and " › " around it, and the answer or "(y/n) › no" after it.
    let room = theme::columns().saturating_sub(16).max(20);
    if console::measure_text_width(prompt) <= room {
        return prompt.to_string();
    }
    for line in crate::wrap::wrap(prompt, theme::columns().saturating_sub(2)) {
        eprintln!("  {}", style(line).bold());
    }
    let short: String = prompt.chars().take(room - 1).collect();
    format!("{}…", short.trim_end())
}

/// A dialoguer result: the value, or, with the cursor shown again (list
/// prompts hide it; if that fails too, the terminal is gone and there is
/// nothing to restore), a cancel (Esc, Ctrl-C) or a terminal error.
fn finished<T>(r: dialoguer::Result<Option<T>>) -> Result<T> {
    match r {
        Ok(Some(v)) => Ok(v),
        Ok(None) => {
            Term::stderr().show_cursor().ok();
            Err(Error::cancelled())
        }
        Err(dialoguer::Error::IO(io)) => {
            Term::stderr().show_cursor().ok();
            Err(terminal_error(io))
        }
    }
}

/// Ctrl-C at a prompt, which reaches the read as an interrupted call,
/// cancels the run (exit 130); any other terminal I/O error (a closed or
/// vanished terminal, say) is an I/O failure (exit 3) with the OS's
/// message, not a cancellation the user never made.
fn terminal_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::Interrupted {
        return Error::cancelled();
    }
    Error::new(ErrorKind::Io, format!("cannot use the terminal: {e}")).caused_by(e)
}

/// Ask one yes/no question on the terminal.
pub fn confirm(prompt: &str, default: bool) -> Result<bool> {
    let _sigint = SigintGuard::new();
    let r = Confirm::with_theme(&theme::Marked::default())
        .with_prompt(fit(prompt))
        .default(default)
        // `y` then Enter must not let the Enter answer the next prompt.
        .wait_for_newline(true)
        .interact_opt();
    finished(r)
}

impl Prompter for Terminal {
    fn start(&mut self, manifest: &Manifest) {
        self.bases = bases(manifest);
        self.skipped.clear();
    }

    fn settled(&mut self, q: &Question, value: &Value) {
        if let Value::List(items) = value {
            self.lists.insert(q.key.clone(), items.clone());
        }
    }

    fn ask(&mut self, q: &Question, default: Option<&Value>) -> Result<Option<Value>> {
        if let Some(v) = self.preset.get(&q.key) {
            self.given.insert(q.key.clone(), v.clone());
            return Ok(Some(v.clone()));
        }
        if self.leaves(q, default) {
            return Ok(None);
        }
        self.prompt_for(q, default).map(Some)
    }

    fn reask(&mut self, q: &Question, default: Option<&Value>, why: &str) -> Result<Option<Value>> {
        let width = theme::columns().saturating_sub(4);
        for (i, line) in crate::wrap::wrap(why, width).iter().enumerate() {
            let mark = if i == 0 {
                style("✘").red()
            } else {
                style(" ")
            };
            eprintln!("  {mark} {line}");
        }
        // A refused single value is not offered again (Enter would only
        // repeat it); a per-environment list keeps its values to edit, the
        // reason naming the one to change.
        let refused = self
            .given
            .get(&q.key)
            .or_else(|| self.preset.get(&q.key))
            .cloned();
        let default = default.filter(|d| {
            q.keyed_by.is_some() || (refused.as_ref() != Some(*d) && !self.skipped.contains(&q.key))
        });
        self.preset.remove(&q.key);
        self.skipped.retain(|k| k != &q.key);
        self.prompt_for(q, default).map(Some)
    }
}

/// A line of text on the terminal: an empty line takes the default, a
/// value `validate` refuses is explained and asked again, Esc or Ctrl-C
/// cancels.
fn text_input(
    prompt: &str,
    default: Option<&str>,
    validate: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    let head = match default {
        Some(d) => format!(
            "{} {} {} {} ",
            style("?").yellow(),
            style(prompt).bold(),
            style(format!("({d})")).dim(),
            style("›").dim()
        ),
        None => format!(
            "{} {} {} ",
            style("?").yellow(),
            style(prompt).bold(),
            style("›").dim()
        ),
    };
    let accept = |text: &str| {
        let value = match (text.is_empty(), default) {
            (true, Some(d)) => d.to_string(),
            _ => text.to_string(),
        };
        validate(&value)
            .map(|()| value)
            .map_err(|why| format!("  {} {why}", style("✘").red()))
    };
    let done = |value: &str| {
        format!(
            "{} {} {} {value}",
            style("✔").green(),
            style(prompt).bold(),
            style("·").dim()
        )
    };
    let _sigint = SigintGuard::new();
    match line::read(&head, accept, done) {
        Ok(line::Ended::Accepted(value)) => Ok(value),
        Ok(line::Ended::Cancelled) => {
            // Nothing to restore on a terminal that is gone.
            Term::stderr().show_cursor().ok();
            Err(Error::cancelled())
        }
        Err(e) => {
            Term::stderr().show_cursor().ok();
            Err(terminal_error(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ctrl_c_cancels_other_terminal_errors_are_io() {
        let ctrl_c = std::io::Error::new(std::io::ErrorKind::Interrupted, "read interrupted");
        assert_eq!(terminal_error(ctrl_c).exit_code(), 130);
        let gone = std::io::Error::from_raw_os_error(libc::EIO);
        let e = terminal_error(gone);
        assert_eq!(e.exit_code(), 3);
        assert!(e.message.starts_with("cannot use the terminal: "), "{e}");
        assert!(std::error::Error::source(&e).is_some());
    }
}
