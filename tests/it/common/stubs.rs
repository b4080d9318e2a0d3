//! Stand-ins for the commands generated scripts run (az, kubectl,
//! terraform): bash scripts on PATH that record each call, and keep what
//! a real CLI would keep, in files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Write an executable stub `name` into `bin`.
pub fn stub(bin: &Path, name: &str, body: &str) {
    std::fs::create_dir_all(bin).unwrap();
    let p = bin.join(name);
    std::fs::write(
        &p,
        format!("#!/usr/bin/env bash\nset -euo pipefail\n{body}"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A stub that appends its arguments, one call a line, to `log` and
/// prints `out`.
pub fn recorder(bin: &Path, name: &str, log: &Path, out: &str) {
    stub(
        bin,
        name,
        &format!(
            "printf '%s\\n' \"$*\" >> {}\nprintf '%s' {}\n",
            quote(&log.display().to_string()),
            quote(out)
        ),
    );
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `bash SCRIPT ARGS...` in `dir` with `bin` first on PATH.
pub fn run(dir: &Path, bin: &Path, script: &str, args: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap()
}

/// The calls a recorder logged, each as its words.
pub fn calls(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split(' ').map(String::from).collect())
        .collect()
}

/// The lines of a script that start with one of `programs` (after
/// indentation), joined with their `\` continuations: the commands a test
/// can split without running the script's own shell logic.
pub fn command_lines(script: &str, programs: &[&str]) -> String {
    let mut out = String::new();
    let mut more = false;
    for line in script.lines() {
        let t = line.trim_start();
        if more || programs.iter().any(|p| t.starts_with(&format!("{p} "))) {
            out.push_str(t.trim_end_matches(" || true"));
            out.push('\n');
            more = t.ends_with('\\');
        }
    }
    out
}

/// `bash -n` on a file: it parses.
pub fn bash_n(path: &Path) {
    let out = Command::new("bash").arg("-n").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "bash -n {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bin folder for stubs inside a temporary folder.
pub fn bin_dir(tmp: &Path) -> PathBuf {
    tmp.join("stub-bin")
}
