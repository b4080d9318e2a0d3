//! A fluent builder for "a repository with these files, run these
//! arguments, expect this": `Repo::new().file(..).init(&[..]).success()`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{REQUIRED, bin};

/// A temporary folder, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Writes `text` at `rel` below `root`, making folders as needed.
pub fn write_file(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A command's standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A command's standard output, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository under test: a temporary folder and the files put in it.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

impl Repo {
    /// An empty repository.
    pub fn new() -> Self {
        Repo { dir: tempdir() }
    }

    /// The repository with `text` at `rel` (folders made as needed).
    pub fn file(self, rel: &str, text: &str) -> Self {
        self.write(rel, text);
        self
    }

    /// Writes `text` at `rel`, making folders as needed.
    pub fn write(&self, rel: &str, text: &str) {
        write_file(self.path(), rel, text);
    }

    /// Replaces the first `from` in `rel` by `to`; `from` must be there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} lacks {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// The repository's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` below the root.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The text of `rel`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// `flux-scaffold init --no-input ROOT` with the required answers and `sets`.
    pub fn init(&self, sets: &[&str]) -> Test {
        let mut t = Test::new().args(&["init", "--no-input"]).arg(self.path());
        for s in REQUIRED.iter().chain(sets) {
            t = t.set(s);
        }
        t
    }

    /// `flux-scaffold regen ROOT ARGS`.
    pub fn regen(&self, args: &[&str]) -> Test {
        Test::new().arg("regen").arg(self.path()).args(args)
    }
}

/// One run of the binary under test, built up then run by an expectation.
pub struct Test {
    cmd: Command,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// `flux-scaffold` with no arguments yet (NO_COLOR set).
    pub fn new() -> Self {
        Test { cmd: bin() }
    }

    /// One more argument.
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.arg(a);
        self
    }

    /// More arguments.
    pub fn args(mut self, a: &[&str]) -> Self {
        self.cmd.args(a);
        self
    }

    /// `--set KEY=VALUE`.
    pub fn set(self, kv: &str) -> Self {
        self.arg("--set").arg(kv)
    }

    /// An environment variable for the run.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Runs it, expecting nothing.
    pub fn run(mut self) -> Ran {
        Ran(self.cmd.output().expect("the binary runs"))
    }

    /// Runs it; it must exit 0.
    pub fn success(self) -> Ran {
        self.code(0)
    }

    /// Runs it; it must exit `code`.
    pub fn code(self, code: i32) -> Ran {
        let ran = self.run();
        assert_eq!(
            ran.0.status.code(),
            Some(code),
            "stderr: {}\nstdout: {}",
            ran.stderr(),
            ran.stdout()
        );
        ran
    }

    /// Runs it; it must be refused as bad input (exit 2, one line saying `says`).
    pub fn refused(self, says: &str) -> Ran {
        let ran = self.run();
        super::refused(&ran.0, says);
        ran
    }
}

/// A finished run.
pub struct Ran(pub Output);

impl Ran {
    /// Its standard output.
    pub fn stdout(&self) -> String {
        stdout(&self.0)
    }

    /// Its standard error.
    pub fn stderr(&self) -> String {
        stderr(&self.0)
    }

    /// Its standard output, which must be JSON.
    pub fn json(&self) -> serde_json::Value {
        json(&self.0)
    }

    /// Standard output must contain `s`.
    pub fn stdout_has(self, s: &str) -> Self {
        assert!(
            self.stdout().contains(s),
            "{s:?} in stdout:\n{}",
            self.stdout()
        );
        self
    }

    /// Standard error must contain `s`.
    pub fn stderr_has(self, s: &str) -> Self {
        assert!(
            self.stderr().contains(s),
            "{s:?} in stderr:\n{}",
            self.stderr()
        );
        self
    }
}

/// A command's standard output, which must be JSON.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}
