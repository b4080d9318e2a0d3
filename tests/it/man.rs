//! Man pages: `man --dir DIR` installs one page per command, each rendered
//! by man(1) at 80 columns without a warning, with EXIT STATUS,
//! ENVIRONMENT, FILES and (for init and regen) ANSWER KEYS; every page a
//! page names exists.

use crate::common;

use std::path::Path;
use std::process::Command;

/// The page rendered by `man -l` at 80 columns, with warnings on.
fn render(page: &Path) -> String {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANWIDTH", "80")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .expect("man must be installed (.ci/run installs man-db)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{}: {stderr}",
        page.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_command_has_a_page_that_renders_without_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let out = common::bin()
        .arg("man")
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    common::assert_success(&out);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for name in [
        "flux-scaffold",
        "init",
        "regen",
        "doctor",
        "packs",
        "packs-show",
        "completions",
        "man",
    ] {
        let file = if name == "flux-scaffold" {
            "flux-scaffold.1".to_string()
        } else {
            format!("flux-scaffold-{name}.1")
        };
        assert!(pages.contains(&file), "{file} in {pages:?}");
    }
    let named = regex::Regex::new(r"(flux-scaffold(?:-[a-z]+)*)\(1\)").unwrap();
    for page in &pages {
        let text = render(&dir.join(page));
        for section in [
            "NAME",
            "SYNOPSIS",
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "SEE ALSO",
        ] {
            assert!(
                text.contains(&format!("\n{section}\n")),
                "{page} has no {section}:\n{text}"
            );
        }
        assert!(text.contains("NO_COLOR"), "{page}");
        assert!(text.contains(".flux-scaffold/"), "{page}");
        // Pages are named in SEE ALSO and SUBCOMMANDS: each exists.
        let unhyphenated = text.replace("-\n", "-").replace("‐\n", "");
        for m in named.captures_iter(&unhyphenated) {
            let file = format!("{}.1", &m[1]);
            assert!(
                pages.contains(&file),
                "{page} names {file}, which is not in {pages:?}"
            );
        }
    }
    let init = render(&dir.join("flux-scaffold-init.1"));
    for s in [
        "ANSWER KEYS",
        "cluster_name (string)",
        "FLUX_SCAFFOLD_LOCK_WAIT",
        "FLUX_SCAFFOLD_NO_INPUT",
        "130",
    ] {
        assert!(init.contains(s), "{s} in\n{init}");
    }
    // The examples are under EXAMPLES as written: a command copies whole.
    assert!(
        init.contains("\nEXAMPLES\n") && !init.contains("\nEXTRA\n"),
        "{init}"
    );
    assert!(
        init.contains("--set git_url=https://github.com/org/gitops --set cluster_name=aks-prod"),
        "{init}"
    );
    let doctor = render(&dir.join("flux-scaffold-doctor.1"));
    assert!(!doctor.contains("ANSWER KEYS"));
    // Without --dir, the top page on stdout, the same as the installed one.
    let top = common::bin().arg("man").output().unwrap();
    assert_eq!(
        top.stdout,
        std::fs::read(dir.join("flux-scaffold.1")).unwrap()
    );
}
