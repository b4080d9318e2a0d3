//! The one error type of the crate, and the exit code each kind maps to.

use std::fmt;
use std::path::Path;

/// What went wrong, in the terms of the exit codes the CLI promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad usage or bad input: nothing was written (exit 2).
    Input,
    /// Reading or writing files failed: nothing was half-written (exit 3).
    Io,
    /// The plan cannot be carried out without losing a user's work (exit 1).
    Conflict,
    /// The user stopped the run at a prompt: nothing was written (exit 130).
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Conflict,
            message: message.into(),
        }
    }

    pub fn cancelled() -> Self {
        Error {
            kind: ErrorKind::Cancelled,
            message: "cancelled: nothing written".into(),
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: &Path, action: &str, err: &std::io::Error) -> Self {
        Error {
            kind: ErrorKind::Io,
            message: format!("cannot {action} {}: {err}", path.display()),
        }
    }

    /// The kind's name in JSON error objects.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ErrorKind::Input => "input",
            ErrorKind::Io => "io",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// The error as `{"error": {"kind", "message", "exit_code"}}`, one line.
    pub fn json(&self) -> String {
        error_json(self.kind_name(), &self.message, self.exit_code())
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Input => 2,
            ErrorKind::Io => 3,
            ErrorKind::Conflict => 1,
            ErrorKind::Cancelled => 130,
        }
    }
}

/// `{"error": {"kind", "message", "exit_code"}}` and a newline.
pub fn error_json(kind: &str, message: &str, exit_code: i32) -> String {
    let v = serde_json::json!({
        "error": { "kind": kind, "message": message, "exit_code": exit_code }
    });
    format!("{v}\n")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
