//! The terminal front end of [`Prompter`]: one dialoguer prompt per
//! question, chosen by its type, re-asking until the answer is valid.

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Select};

use crate::answers::{self, Prompter, Raw, Value};
use crate::error::{Error, Result};
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

fn cancelled(_: dialoguer::Error) -> Error {
    Error::cancelled()
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
            eprintln!("  {}", help.trim());
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
                let question = q.clone();
                let mut input = Input::<String>::with_theme(&self.theme)
                    .with_prompt(if q.is_list() {
                        format!("{} (comma-separated)", q.prompt)
                    } else {
                        q.prompt.clone()
                    })
                    .validate_with(move |text: &String| -> std::result::Result<(), String> {
                        answers::parse(&question, &Raw::Text(text.clone())).map(|_| ())
                    });
                if let Some(d) = default {
                    input = input.default(d.to_flag_text());
                }
                let text = input.interact_text().map_err(cancelled)?;
                answers::parse(q, &Raw::Text(text))
                    .map_err(|why| Error::input(format!("answer '{}' {why}", q.key)))?
            }
        };
        Ok(Some(value))
    }
}
