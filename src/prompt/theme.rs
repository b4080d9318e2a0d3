//! How prompts look: dialoguer's colourful theme with a current-row marker
//! that does not depend on colour (NO_COLOR), help wrapped to the
//! terminal, and Ctrl-C turned into a cancel rather than a kill.

use std::fmt;

use console::Term;
use dialoguer::theme::{ColorfulTheme, Theme};

/// The colourful theme, with `❯` on the current row of a multi-select.
#[derive(Default)]
pub struct Marked(pub ColorfulTheme);

impl Theme for Marked {
    fn format_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.0.format_prompt(f, prompt)
    }
    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        self.0.format_error(f, err)
    }
    fn format_confirm_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<bool>,
    ) -> fmt::Result {
        self.0.format_confirm_prompt(f, prompt, default)
    }
    fn format_confirm_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: Option<bool>,
    ) -> fmt::Result {
        self.0.format_confirm_prompt_selection(f, prompt, sel)
    }
    fn format_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.0.format_select_prompt(f, prompt)
    }
    fn format_select_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> fmt::Result {
        self.0.format_select_prompt_selection(f, prompt, sel)
    }
    fn format_select_prompt_item(
        &self,
        f: &mut dyn fmt::Write,
        text: &str,
        active: bool,
    ) -> fmt::Result {
        self.0.format_select_prompt_item(f, text, active)
    }
    fn format_multi_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.0.format_multi_select_prompt(f, prompt)
    }
    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: &[&str],
    ) -> fmt::Result {
        self.0.format_multi_select_prompt_selection(f, prompt, sel)
    }
    fn format_multi_select_prompt_item(
        &self,
        f: &mut dyn fmt::Write,
        text: &str,
        checked: bool,
        active: bool,
    ) -> fmt::Result {
        let marker = if active {
            &self.0.active_item_prefix
        } else {
            &self.0.inactive_item_prefix
        };
        write!(f, "{marker} ")?;
        self.0
            .format_multi_select_prompt_item(f, text, checked, active)
    }
}

/// The terminal's width in columns (80 when it cannot be told).
pub fn columns() -> usize {
    let (_, cols) = Term::stderr().size();
    if cols == 0 { 80 } else { usize::from(cols) }
}

/// While alive, SIGINT does not kill the process: dialoguer's list prompts
/// raise it on Ctrl-C, and read an interruption instead, so the run can put
/// the cursor back and say it was cancelled.
pub struct SigintGuard(libc::sigaction);

extern "C" fn ignore_sigint(_: libc::c_int) {}

impl SigintGuard {
    pub fn new() -> Self {
        // SAFETY: plain sigaction calls with zeroed, then filled, structs;
        // the handler does nothing, so it is async-signal-safe.
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = ignore_sigint as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut new.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &new, &mut old);
            SigintGuard(old)
        }
    }
}

impl Default for SigintGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SigintGuard {
    fn drop(&mut self) {
        // SAFETY: restores the disposition saved by `new`.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.0, std::ptr::null_mut());
        }
    }
}
