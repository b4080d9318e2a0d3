//! Writing to standard output, shared by the commands that print.

use std::io::Write;

use crate::error::Error;

/// Write `bytes` to standard output, flushed. A failure (a closed pipe, a
/// full disk) is an I/O error (exit 3), never a panic or lost output.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(output_error)
}

pub fn output_error(e: std::io::Error) -> Error {
    Error::new(
        crate::error::ErrorKind::Io,
        format!("cannot write to standard output: {e}"),
    )
    .caused_by(e)
}
