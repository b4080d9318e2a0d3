//! Output that cannot be written (a full disk, a closed pipe) is an error
//! with a message and exit 3, for every command: never a panic (exit 101),
//! never exit 0 with the output lost.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::*;

/// Every command that prints, with its arguments, in `dir`.
fn commands(dir: &Path) -> Vec<Command> {
    let layout = dir.join("layout");
    assert_success(&init(&layout, &[]));
    let fresh = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let args: Vec<Vec<String>> = vec![
        vec!["packs".into(), "list".into()],
        vec![
            "packs".into(),
            "list".into(),
            "--format".into(),
            "json".into(),
        ],
        vec![
            "packs".into(),
            "show".into(),
            "aks-flux-pod-identity".into(),
        ],
        vec![
            "packs".into(),
            "show".into(),
            "aks-flux-pod-identity".into(),
            "--format".into(),
            "json".into(),
        ],
        vec!["completions".into(), "bash".into()],
        vec!["completions".into(), "zsh".into()],
        vec!["man".into()],
        vec!["--help".into()],
        vec!["--version".into()],
        vec!["init".into(), "--help".into()],
        vec![
            "regen".into(),
            "--check".into(),
            layout.display().to_string(),
        ],
        vec![
            "regen".into(),
            "--check".into(),
            "--format".into(),
            "json".into(),
            layout.display().to_string(),
        ],
        vec![
            "regen".into(),
            "--dry-run".into(),
            layout.display().to_string(),
        ],
        vec![
            "regen".into(),
            "--check".into(),
            "--all".into(),
            dir.display().to_string(),
        ],
        vec!["regen".into(), layout.display().to_string()],
    ];
    let mut out: Vec<Command> = args
        .into_iter()
        .map(|a| {
            let mut c = bin();
            c.args(a);
            c
        })
        .collect();
    for (name, extra) in [
        ("init-text", &[][..]),
        ("init-json", &["--format", "json"]),
        ("init-dry", &["--dry-run"]),
    ] {
        out.push(init_cmd(Path::new(&fresh(name)), extra, &[]));
    }
    out
}

fn failed_cleanly(what: &str, out: &Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(3), "{what}: {err}");
    assert!(
        err.contains("cannot write to standard output"),
        "{what}: {err}"
    );
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[cfg(target_os = "linux")]
#[test]
fn every_command_into_a_full_disk_exits_3() {
    let tmp = tempdir();
    for mut c in commands(tmp.path()) {
        let what = format!("{c:?}");
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = c.stdout(full).stderr(Stdio::piped()).output().unwrap();
        failed_cleanly(&what, &out);
    }
}

#[test]
fn every_command_into_a_closed_pipe_exits_3() {
    let tmp = tempdir();
    for mut c in commands(tmp.path()) {
        let what = format!("{c:?}");
        // The reading end is closed before the command starts.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = c.stdout(writer).stderr(Stdio::piped()).output().unwrap();
        failed_cleanly(&what, &out);
    }
}
