//! One line of text input, edited in place and redrawn correctly when it
//! wraps: left/right, Home/End (Ctrl-A/Ctrl-E), Backspace/Delete, Ctrl-U
//! (clear to the start), Ctrl-W (delete the word before the cursor); Enter
//! accepts, Esc and Ctrl-C cancel.

use std::io;
use std::io::IsTerminal;
use std::os::fd::AsRawFd;

use console::{Key, Term, measure_text_width};

/// The terminal in raw mode for a whole input, restored when dropped.
/// console switches raw mode on and off around each key it reads, so keys
/// typed (or pasted) while a line is redrawn would meet the cooked line
/// discipline, which eats a Backspace it has nothing to erase for; held
/// raw, every key reaches the editor. console saves and restores the mode
/// it finds, which is then this one.
struct RawMode {
    tty: Option<std::fs::File>,
    fd: i32,
    original: libc::termios,
}

impl RawMode {
    fn new() -> Option<RawMode> {
        // The terminal console reads keys from: stdin, or /dev/tty.
        let tty = if io::stdin().is_terminal() {
            None
        } else {
            Some(
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/tty")
                    .ok()?,
            )
        };
        let fd = tty
            .as_ref()
            .map_or(io::stdin().as_raw_fd(), |f| f.as_raw_fd());
        let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr writes a termios into `t` when it returns 0.
        if unsafe { libc::tcgetattr(fd, t.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let original = unsafe { t.assume_init() };
        let mut raw = original;
        // SAFETY: cfmakeraw only edits the termios it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        raw.c_oflag = original.c_oflag;
        // SAFETY: a valid fd and termios; on failure nothing changed.
        if unsafe { libc::tcsetattr(fd, libc::TCSADRAIN, &raw) } != 0 {
            return None;
        }
        Some(RawMode { tty, fd, original })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: the fd is still open (`tty` is dropped after this) and
        // `original` is what tcgetattr gave. A failure leaves the terminal
        // raw, which the shell's next prompt resets; nothing else to do.
        unsafe { libc::tcsetattr(self.fd, libc::TCSADRAIN, &self.original) };
        let _ = &self.tty;
    }
}

/// What ended the input.
pub enum Ended {
    Accepted(String),
    Cancelled,
}

/// The input being edited and where it is on the screen.
struct Editor {
    term: Term,
    chars: Vec<char>,
    cursor: usize,
    /// Rows between the first row of the prompt and the cursor's row.
    row: usize,
}

impl Editor {
    /// Draw `head` and the input from the prompt's first row, leaving the
    /// cursor at the edit point; every row the last draw used is cleared.
    fn draw(&mut self, head: &str) -> io::Result<()> {
        let cols = super::theme::columns();
        let text: String = self.chars.iter().collect();
        let mut out = String::new();
        if self.row > 0 {
            out.push_str(&format!("\x1b[{}A", self.row));
        }
        out.push_str("\r\x1b[J");
        out.push_str(head);
        out.push_str(&text);
        let head_width = measure_text_width(head);
        let total = head_width + measure_text_width(&text);
        if total > 0 && total.is_multiple_of(cols) {
            // The cursor waits in the last column: move it to the next row.
            out.push_str("\r\n");
        }
        let end_row = total / cols;
        let before: String = self.chars[..self.cursor].iter().collect();
        let at = head_width + measure_text_width(&before);
        let (row, col) = (at / cols, at % cols);
        if end_row > row {
            out.push_str(&format!("\x1b[{}A", end_row - row));
        }
        out.push('\r');
        if col > 0 {
            out.push_str(&format!("\x1b[{col}C"));
        }
        self.row = row;
        self.term.write_str(&out)?;
        self.term.flush()
    }

    /// Move the cursor below the input and forget the drawing.
    fn leave(&mut self, head: &str) -> io::Result<()> {
        self.cursor = self.chars.len();
        self.draw(head)?;
        self.term.write_str("\r\n")?;
        self.row = 0;
        Ok(())
    }

    /// Apply one key; `false` when the key is not an edit.
    fn edit(&mut self, key: &Key) -> bool {
        match key {
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
            }
            Key::Del if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
            }
            Key::ArrowLeft if self.cursor > 0 => self.cursor -= 1,
            Key::ArrowRight if self.cursor < self.chars.len() => self.cursor += 1,
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.chars.len(),
            Key::Char('\u{15}') => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            Key::Char('\u{17}') => {
                let mut start = self.cursor;
                while start > 0 && self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.chars.drain(start..self.cursor);
                self.cursor = start;
            }
            Key::Char(c) if !c.is_control() => {
                self.chars.insert(self.cursor, *c);
                self.cursor += 1;
            }
            _ => return false,
        }
        true
    }
}

/// Read a line after `head` (the prompt as drawn). Enter hands the text to
/// `accept`: `Ok` ends the input with its value, replacing the prompt by
/// `done(value)`; `Err(why)` prints why under the input and asks again
/// with the text kept for editing.
pub fn read(
    head: &str,
    accept: impl Fn(&str) -> Result<String, String>,
    done: impl Fn(&str) -> String,
) -> io::Result<Ended> {
    let _raw = RawMode::new();
    let mut ed = Editor {
        term: Term::stderr(),
        chars: Vec::new(),
        cursor: 0,
        row: 0,
    };
    ed.draw(head)?;
    loop {
        match ed.term.read_key_raw()? {
            Key::Escape | Key::CtrlC => {
                ed.leave(head)?;
                return Ok(Ended::Cancelled);
            }
            Key::Enter => {
                let text: String = ed.chars.iter().collect();
                match accept(&text) {
                    Ok(value) => {
                        ed.chars.clear();
                        ed.cursor = 0;
                        ed.draw(&done(&value))?;
                        ed.term.write_str("\r\n")?;
                        return Ok(Ended::Accepted(value));
                    }
                    Err(why) => {
                        ed.leave(head)?;
                        ed.term.write_str(&format!("{why}\r\n"))?;
                        ed.draw(head)?;
                    }
                }
            }
            key => {
                if ed.edit(&key) {
                    ed.draw(head)?;
                }
            }
        }
    }
}
