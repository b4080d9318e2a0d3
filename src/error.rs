//! The one error type of the crate, and the exit code each kind maps to.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

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

/// An error: its kind (the exit code), the one line shown to the user, and
/// the error it comes from, if any (an OS error, say), for callers that walk
/// `std::error::Error::source`.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Two errors are equal when they say the same: the source is a detail.
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// This error, caused by `source`.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub fn input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Input, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Conflict, message)
    }

    pub fn cancelled() -> Self {
        Error::new(ErrorKind::Cancelled, "cancelled: nothing written")
    }

    /// An I/O failure on `path`, keeping the OS error as its source.
    pub fn io(path: &Path, action: &str, err: &std::io::Error) -> Self {
        Error::new(
            ErrorKind::Io,
            format!("cannot {action} {}: {err}", path.display()),
        )
        .caused_by(copy_io(err))
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

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An owned copy of a borrowed I/O error: the same OS error code where
/// there is one, else the same kind and text.
fn copy_io(err: &std::io::Error) -> std::io::Error {
    match err.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(err.kind(), err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_their_os_error_as_source() {
        let os = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let e = Error::io(Path::new("/x"), "write", &os);
        let source = std::error::Error::source(&e).unwrap();
        let io = source.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(e, Error::new(ErrorKind::Io, e.message.clone()));
    }
}
