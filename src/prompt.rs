//! The terminal front end of [`Prompter`]: one dialoguer prompt per
//! question, chosen by its type, re-asking until the answer is valid.

use console::{Key, Term, style};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, MultiSelect, Select};

use crate::answers::{self, Prompter, Raw, Value};
use crate::error::{Error, ErrorKind, Result};
use crate::pack::{Question, QuestionType};

pub struct Terminal {
    theme: ColorfulTheme,
}

impl Terminal {
    pub fn new() -> Self {
        Terminal {
            theme: ColorfulTheme::default(),
        }
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

/// A prompt that failed: put the cursor back (list prompts hide it; if
/// that fails too, the terminal is gone and there is nothing to restore),
/// then see [`terminal_error`].
fn cancelled(e: dialoguer::Error) -> Error {
    Term::stderr().show_cursor().ok();
    let dialoguer::Error::IO(io) = e;
    terminal_error(io)
}

/// Ctrl-C at a prompt, which the terminal library reports as an
/// interrupted read, cancels the run (exit 130); any other terminal I/O
/// error (a closed or vanished terminal, say) is an I/O failure (exit 3)
/// with the OS's message, not a cancellation the user never made.
fn terminal_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::Interrupted {
        return Error::cancelled();
    }
    Error::new(ErrorKind::Io, format!("cannot use the terminal: {e}")).caused_by(e)
}

/// Ask one yes/no question on the terminal.
pub fn confirm(prompt: &str) -> Result<bool> {
    Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(prompt)
        .default(true)
        .interact_opt()
        .map_err(cancelled)?
        .ok_or_else(Error::cancelled)
}

impl Prompter for Terminal {
    fn ask(&mut self, q: &Question, default: Option<&Value>) -> Result<Option<Value>> {
        if let Some(help) = &q.help {
            eprintln!("  {}", style(help.trim()).dim());
        }
        let value = match q.kind {
            QuestionType::Choice => {
                let idx = default
                    .and_then(|d| q.choices.iter().position(|c| Value::Str(c.clone()) == *d))
                    .unwrap_or(0);
                let pick = Select::with_theme(&self.theme)
                    .with_prompt(&q.prompt)
                    .items(&q.choices)
                    .default(idx)
                    .interact_opt()
                    .map_err(cancelled)?
                    .ok_or_else(Error::cancelled)?;
                Value::Str(q.choices[pick].clone())
            }
            QuestionType::MultiChoice => {
                let checked: Vec<bool> = q
                    .choices
                    .iter()
                    .map(|c| matches!(default, Some(Value::List(l)) if l.contains(c)))
                    .collect();
                loop {
                    let picks = MultiSelect::with_theme(&self.theme)
                        .with_prompt(format!("{} (space selects, enter accepts)", q.prompt))
                        .items(&q.choices)
                        .defaults(&checked)
                        .interact_opt()
                        .map_err(cancelled)?
                        .ok_or_else(Error::cancelled)?;
                    if picks.is_empty() {
                        eprintln!("  choose at least one");
                        continue;
                    }
                    break Value::List(picks.into_iter().map(|i| q.choices[i].clone()).collect());
                }
            }
            QuestionType::Bool if !q.is_list() => {
                let d = matches!(default, Some(Value::Bool(true)));
                let b = Confirm::with_theme(&self.theme)
                    .with_prompt(&q.prompt)
                    .default(d)
                    .interact_opt()
                    .map_err(cancelled)?
                    .ok_or_else(Error::cancelled)?;
                Value::Bool(b)
            }
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
        Ok(Some(value))
    }
}

/// A line of text on the terminal, edited in place: Enter accepts (an empty
/// line takes the default), a value `validate` refuses is explained and
/// asked again, Esc or Ctrl-C cancels. (dialoguer's Input ignores Esc.)
fn text_input(
    prompt: &str,
    default: Option<&str>,
    validate: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    let term = Term::stderr();
    let mut buffer = String::new();
    let head = match default {
        Some(d) => format!(
            "{} {} {}",
            style("?").yellow(),
            style(prompt).bold(),
            style(format!("({d})")).dim()
        ),
        None => format!("{} {}", style("?").yellow(), style(prompt).bold()),
    };
    let draw = |buffer: &str| -> std::io::Result<()> {
        term.clear_line()?;
        term.write_str(&format!("{head} {} {buffer}", style("›").dim()))
    };
    let io = terminal_error;
    draw(&buffer).map_err(io)?;
    loop {
        match term.read_key().map_err(io)? {
            Key::Escape | Key::CtrlC => {
                // Cancelling anyway: a terminal that cannot take the newline
                // changes nothing about that.
                term.write_line("").ok();
                return Err(Error::cancelled());
            }
            Key::Enter => {
                let value = match (buffer.is_empty(), default) {
                    (true, Some(d)) => d.to_string(),
                    _ => buffer.clone(),
                };
                match validate(&value) {
                    Ok(()) => {
                        term.clear_line().map_err(io)?;
                        term.write_line(&format!(
                            "{} {} {} {value}",
                            style("✔").green(),
                            style(prompt).bold(),
                            style("·").dim()
                        ))
                        .map_err(io)?;
                        return Ok(value);
                    }
                    Err(why) => {
                        term.write_line("").map_err(io)?;
                        term.write_line(&format!("  {} {why}", style("✘").red()))
                            .map_err(io)?;
                    }
                }
            }
            Key::Backspace => {
                buffer.pop();
            }
            Key::Char(c) if !c.is_control() => buffer.push(c),
            _ => {}
        }
        draw(&buffer).map_err(io)?;
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
