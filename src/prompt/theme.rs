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

/// While alive, SIGINT cancels the run as a prompt's Ctrl-C does: the
/// cursor shown again, "cancelled" on stderr, exit 130. dialoguer's list
/// prompts raise SIGINT on Ctrl-C (after putting the terminal back), and a
/// Ctrl-C typed between two reads of a key arrives as SIGINT too; without
/// this the process would die with the cursor hidden and nothing said.
/// Prompts run before anything is written, so there is nothing to undo.
pub struct SigintGuard(libc::sigaction);

extern "C" fn cancel_on_sigint(_: libc::c_int) {
    const MSG: &[u8] = b"\x1b[?25h\nerror: cancelled: nothing written\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe.
    unsafe {
        libc::write(2, MSG.as_ptr().cast(), MSG.len());
        libc::_exit(130);
    }
}

impl SigintGuard {
    pub fn new() -> Self {
        // SAFETY: plain sigaction calls with zeroed, then filled, structs;
        // the handler calls only async-signal-safe functions.
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = cancel_on_sigint as extern "C" fn(libc::c_int) as usize;
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
