//! The steps a user takes after a writing `init` (commit, deploy, check)
//! and to recover a cluster where Flux is already stuck, as data: the
//! pack declares them, each command rendered as shell with every answer
//! quoted ([`crate::escape::shell`]). The report prints them.

use serde::Serialize;

use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::escape::Lang;
use crate::expr;
use crate::pack::Pack;

/// One step: what it is for, and the commands, each one shell line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `next` or `recover`.
    pub section: String,
    pub title: String,
    pub commands: Vec<String>,
}

/// The pack's steps whose `when` holds for `answers` (resolved: no
/// `auto` left), in the pack's order.
pub fn render(pack: &Pack, answers: &Answers) -> Result<Vec<Step>> {
    let manifest = &pack.manifest;
    if manifest.next_steps.is_empty() {
        return Ok(Vec::new());
    }
    expr::reset_bounds();
    let ctx = expr::context(manifest, answers);
    let err = |i: usize, e: String| {
        Error::input(format!("pack '{}': next_steps[{i}]: {e}", manifest.name))
    };
    let mut engine = expr::engine(Lang::Shell);
    let mut out = Vec::new();
    for (i, spec) in manifest.next_steps.iter().enumerate() {
        if let Some(when) = &spec.when
            && !expr::eval(when, &ctx).map_err(|e| err(i, format!("when: {e}")))?
        {
            continue;
        }
        let name = format!("next_steps/{i}");
        engine
            .add_raw_template(&name, &spec.run)
            .map_err(|e| err(i, expr::flatten(&e)))?;
        let mut text = Vec::new();
        engine
            .render_to(&name, &ctx, expr::Capped(&mut text))
            .map_err(|e| err(i, expr::flatten(&e)))?;
        let commands = String::from_utf8_lossy(&text)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        let title = expr::render_text(&spec.title, &ctx).map_err(|e| err(i, e))?;
        out.push(Step {
            section: spec.section.clone(),
            title: visible(title.trim()),
            commands,
        });
    }
    Ok(out)
}

/// A title as text a terminal shows as it is: control characters and the
/// marks that reorder text (which an answer could carry into a custom
/// pack's title) written as escapes.
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if crate::escape::needs_ansi_c(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
