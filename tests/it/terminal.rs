//! `init` in a pseudo-terminal of 80 columns, judged on the screen a
//! terminal emulator (vt100) shows from the bytes the program wrote: the
//! default session asks at most 8 questions, a cross-answer check refuses
//! at once and asks again, a wrapped input redraws cleanly, Ctrl-C puts the
//! cursor back.

use crate::common;

use std::path::Path;
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const DOWN: &str = "\x1b[B";

/// The session and everything it has written so far.
struct Tty {
    p: PtySession,
    bytes: Vec<u8>,
}

impl Tty {
    /// `flux-scaffold init DIR EXTRA...` on an 80x40 terminal.
    fn init(dir: &Path, extra: &[&str]) -> Tty {
        Tty::init_in(&std::env::temp_dir(), dir, extra)
    }

    /// `init` run from the folder `cwd`.
    fn init_in(cwd: &Path, dir: &Path, extra: &[&str]) -> Tty {
        let bin = crate::common::BIN;
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("stty cols 80 rows 40 && exec \"$0\" \"$@\"")
            .arg(bin)
            .arg("init")
            .arg(dir)
            .args(extra);
        c.current_dir(cwd)
            .env("NO_COLOR", "1")
            .env("TERM", "xterm")
            .env_remove("FLUX_SCAFFOLD_NO_INPUT");
        let p = spawn_command(c, Some(20_000)).expect("spawn in a pty");
        Tty {
            p,
            bytes: Vec::new(),
        }
    }

    /// Wait until `needle` (ASCII) is written.
    fn wait(&mut self, needle: &str) {
        let before = self
            .p
            .exp_string(needle)
            .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}\n{}", self.screen_text()));
        // The reader hands over one char per byte.
        self.bytes.extend(before.chars().map(|c| c as u32 as u8));
        self.bytes.extend(needle.bytes());
    }

    /// Wait for `prompt`, then type `keys`.
    fn answer(&mut self, prompt: &str, keys: &str) {
        self.wait(prompt);
        self.send(keys);
    }

    /// Wait for a yes/no `prompt` to read keys (it hides the cursor right
    /// before), then type `key`.
    /// A yes/no prompt: `key`, then Enter (which the prompt waits for, so
    /// an Enter typed after `y` never answers the next question).
    fn confirm(&mut self, prompt: &str, key: &str) {
        self.wait(prompt);
        let keys = if key == "\r" {
            key.to_string()
        } else {
            format!("{key}\r")
        };
        self.answer("\x1b[?25l", &keys);
    }

    fn send(&mut self, keys: &str) {
        self.p.send(keys).unwrap();
        self.p.flush().unwrap();
    }

    fn screen(&self) -> vt100::Parser {
        let mut parser = vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(80).unwrap(),
            0,
        );
        parser.process(&self.bytes);
        parser
    }

    fn screen_text(&self) -> String {
        self.screen().screen().contents()
    }

    /// The rest of the output, and the exit code.
    fn finish(mut self) -> (Tty, Option<i32>) {
        let rest = self.p.exp_eof().unwrap();
        self.bytes.extend(rest.chars().map(|c| c as u32 as u8));
        let status = self.p.process_mut().wait().unwrap();
        let code = match status {
            rexpect::process::wait::WaitStatus::Exited(_, c) => Some(c),
            _ => None,
        };
        (self, code)
    }
}

#[test]
fn default_session_asks_at_most_eight_questions() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(&root, &[]);
    t.answer("How is AAD Pod Identity installed?", "\r");
    t.wait("Which infrastructure code");
    t.wait("terraform");
    // Help is wrapped between words at 80 columns, not cut by the terminal.
    let screen = t.screen_text();
    assert!(
        screen
            .lines()
            .any(|l| l.starts_with("  exception must exist before Flux")),
        "{screen}"
    );
    // Without colour, the current row still has its marker.
    let screen = t.screen_text();
    let row = screen.lines().find(|l| l.ends_with("✔ bicep")).unwrap();
    assert!(row.trim_start().starts_with('❯'), "{screen}");
    t.send("\r");
    t.answer("Which environments", "staging,production\r");
    t.answer(
        "URL of the Git repository",
        "https://github.com/contoso/gitops\r",
    );
    t.answer("Name of the AKS cluster?", "aks-contoso\r");
    t.answer("Resource group of the AKS cluster?", "rg-contoso\r");
    t.wait("more settings?");
    t.wait("\x1b[?25l");
    let screen = t.screen_text();
    // The derived values are in the summary: one cluster per environment.
    assert!(
        screen.contains("cluster_names = aks-contoso-staging,aks-contoso-production"),
        "{screen}"
    );
    assert!(
        screen.contains("apps_paths = apps/staging,apps/production"),
        "{screen}"
    );
    // The one-value questions the per-environment ones derive from are not
    // offered as well.
    assert!(!screen.contains("apps_path ="), "{screen}");
    assert!(!screen.contains("config_name ="), "{screen}");
    t.send("\r");
    t.wait("Write these files?");
    t.wait("\x1b[?25l");
    let asked = String::from_utf8_lossy(&t.bytes).matches(" · ").count();
    assert!(asked <= 8, "{asked} questions:\n{}", t.screen_text());
    t.send("y\r");
    let (_, code) = t.finish();
    assert_eq!(code, Some(0));
    let state = std::fs::read_to_string(root.join(".flux-scaffold/answers.yaml")).unwrap();
    assert!(state.contains("aks-contoso-production"), "{state}");
    common::assert_success(&common::regen_check(&root));
}

#[test]
fn a_bad_cross_answer_is_asked_again_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(&root, &[]);
    t.answer("How is AAD Pod Identity installed?", "\r");
    t.wait("Which infrastructure code");
    t.answer("terraform", "\r");
    t.wait("Which environments");
    let long = "e".repeat(46);
    t.send(&format!("{long}\r"));
    // Refused with the reason before any other question, then asked again.
    t.wait("at most 45");
    t.wait("Which environments");
    let screen = t.screen_text();
    assert!(!screen.contains("URL of the Git repository"), "{screen}");
    t.send("staging\r");
    t.answer("URL of the Git repository", "\x1b");
    let (_, code) = t.finish();
    assert_eq!(code, Some(130));
    assert!(!root.exists());
}

#[test]
fn a_derived_value_a_check_refuses_is_asked_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(
        &root,
        &[
            "--set",
            "git_url=https://github.com/contoso/gitops",
            "--set",
            "cluster_name=aks",
            "--set",
            "resource_group=rg",
            "--set",
            "pod_identity=helm",
        ],
    );
    // iac: bicep and az-cli are checked; add terraform (third row).
    t.wait("Which infrastructure code");
    t.wait("flux");
    t.send(DOWN);
    t.send(DOWN);
    t.send(" ");
    t.send("\r");
    t.answer("Which environments", "staging,production-westeurope\r");
    // The list's redraws left no stale row behind.
    let screen = t.screen_text();
    let rows = screen.matches("Which infrastructure code").count();
    assert_eq!(rows, 1, "{screen}");
    // cluster-config-production-westeurope is over Terraform's 30.
    t.wait("at most 30 characters");
    t.answer("(staging)?", "\r");
    t.wait("(production-westeurope)?");
    let screen = t.screen_text();
    assert!(
        screen.contains("cluster-config-production-westeurope has 36"),
        "{screen}"
    );
    t.send("\x15cfg-prod\r");
    t.confirm("more settings?", "\r");
    t.confirm("Write these files?", "y");
    let (_, code) = t.finish();
    assert_eq!(code, Some(0));
    let state = std::fs::read_to_string(root.join(".flux-scaffold/answers.yaml")).unwrap();
    assert!(state.contains("cfg-prod"), "{state}");
}

#[test]
fn backspace_across_a_wrap_leaves_a_clean_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(&root, &["--set", "pod_identity=helm", "--set", "iac=bicep"]);
    t.answer("Which environments", "\r");
    t.wait("URL of the Git repository");
    let typed = "https://github.com/contoso/a-repository-with-a-long-name-for-wrapping";
    t.send(typed);
    t.send(&"\x7f".repeat(50));
    t.send("Z");
    t.wait("Z");
    let screen = t.screen_text();
    let kept = &typed[..typed.len() - 50];
    assert_eq!(
        screen.matches("URL of the Git repository").count(),
        1,
        "{screen}"
    );
    let line = screen
        .lines()
        .find(|l| l.contains("URL of the Git"))
        .unwrap();
    assert!(line.trim_end().ends_with(&format!("{kept}Z")), "{screen}");
    let after: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("URL of the Git"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(after.is_empty(), "stale rows {after:?}\n{screen}");
    // Ctrl-W deletes the word before the cursor, Ctrl-U the whole input,
    // left and Home move within it.
    t.send("\x15ab cd\x17\x1b[DX\x1b[HY");
    t.send("\r");
    t.wait("must not contain spaces");
    t.answer("YabX ", "\x15https://github.com/contoso/gitops\r");
    t.answer("Name of the AKS cluster?", "\x1b");
    let (t, code) = t.finish();
    assert_eq!(code, Some(130));
    let screen = t.screen_text();
    assert!(
        screen.contains("Flux reconciles? · https://github.com/contoso/gitops"),
        "{screen}"
    );
}

#[test]
fn ctrl_c_at_a_list_restores_the_cursor() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(&root, &[]);
    t.wait("How is AAD Pod Identity installed?");
    t.answer("aks-addon", "\x03");
    let (t, code) = t.finish();
    assert_eq!(code, Some(130));
    let bytes = String::from_utf8_lossy(&t.bytes).into_owned();
    let hidden = bytes.rfind("\x1b[?25l").expect("the list hides the cursor");
    assert!(bytes[hidden..].contains("\x1b[?25h"), "{bytes:?}");
    let parser = t.screen();
    assert!(!parser.screen().hide_cursor());
    assert!(parser.screen().contents().contains("cancelled"));
    assert!(!root.exists());
    // At a text input too.
    let mut t = Tty::init(&root, &["--set", "pod_identity=helm", "--set", "iac=bicep"]);
    t.answer("Which environments", "prod\x03");
    let (t, code) = t.finish();
    assert_eq!(code, Some(130));
    let parser = t.screen();
    assert!(!parser.screen().hide_cursor());
    assert!(parser.screen().contents().contains("cancelled"));
    assert!(!root.exists());
}

/// Answer the essential questions of a session whose other answers are
/// given: iac, environments, the repository URL.
fn answer_essentials(t: &mut Tty) {
    t.wait("Which infrastructure code");
    t.answer("flux", "\r");
    t.answer("Which environments", "\r");
    t.answer(
        "URL of the Git repository",
        "https://github.com/contoso/gitops\r",
    );
}

const GIVEN: [&str; 8] = [
    "--set",
    "pod_identity=helm",
    "--set",
    "crds_version=v1.8.16",
    "--set",
    "cluster_name=aks",
    "--set",
    "resource_group=rg",
];

#[test]
fn a_failed_run_keeps_the_answers_given_for_a_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init_in(tmp.path(), &root, &GIVEN);
    answer_essentials(&mut t);
    let (t, code) = t.finish();
    assert_eq!(code, Some(2));
    let screen = t.screen_text();
    assert!(screen.contains("vendored CRDs are embedded"), "{screen}");
    let saved = tmp.path().join(".flux-scaffold-answers.yaml");
    assert!(
        screen.contains("resume with `flux-scaffold init --answers ./.flux-scaffold-answers.yaml"),
        "{screen}"
    );
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains("git_url: https://github.com/contoso/gitops"),
        "{text}"
    );
    assert!(text.contains("crds_version: v1.8.16"), "{text}");
    assert!(!root.exists());
    // Fixed in the file, the answers resume without prompting.
    std::fs::write(&saved, text.replace("v1.8.16", "v1.8.17")).unwrap();
    let out = common::bin()
        .current_dir(tmp.path())
        .args(["init", "--no-input", "--answers"])
        .arg(&saved)
        .arg(&root)
        .output()
        .unwrap();
    common::assert_success(&out);
}

#[test]
fn the_answers_never_land_in_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    let mut t = Tty::init_in(&root, Path::new("."), &GIVEN);
    answer_essentials(&mut t);
    let (t, code) = t.finish();
    assert_eq!(code, Some(2));
    let screen = t.screen_text();
    assert!(
        screen.contains("git_url: https://github.com/contoso/gitops"),
        "{screen}"
    );
    assert!(screen.contains("printed above"), "{screen}");
    assert_eq!(common::tree(&root), Vec::<String>::new());
}

#[test]
fn nothing_is_saved_when_nothing_was_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::bin()
        .current_dir(tmp.path())
        .args(["init", "--no-input", "repo"])
        .args(GIVEN)
        .args(["--set", "git_url=https://github.com/contoso/gitops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("resume"), "{err}");
    assert!(!tmp.path().join(".flux-scaffold-answers.yaml").exists());
}

#[test]
fn customising_asks_per_environment_once_each_with_the_derived_value() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let args = sets_except(&[]);
    let mut t = Tty::init(&root, &args);
    t.answer("Which environments", "staging,production\r");
    t.confirm("Customise 4 more settings?", "y");
    // Each prompt names its environment and proposes the derived value.
    for (prompt, keys) in [
        (
            "Apps folder of each environment (staging)? (apps/staging)",
            "\r",
        ),
        ("(production)? (apps/production)", "\x15apps/prod\r"),
        (
            "AKS cluster of each environment (staging)? (aks-staging)",
            "\r",
        ),
        ("(production)? (aks-production)", "\r"),
        (
            "Resource group of each environment's cluster (staging)? (rg)",
            "\r",
        ),
        ("(production)? (rg)", "\r"),
        (
            "Flux configuration name of each environment (staging)?",
            "\r",
        ),
        ("(production)? (cluster-config-production)", "\r"),
    ] {
        t.answer(prompt, keys);
    }
    t.confirm("Write these files?", "y");
    let (t, code) = t.finish();
    assert_eq!(code, Some(0));
    let screen = String::from_utf8_lossy(&t.bytes).into_owned();
    for once in [
        "Folder of the apps stage?",
        "Name of the flux configuration?",
    ] {
        assert!(
            !screen.contains(once),
            "{once} asked besides its per-environment question"
        );
    }
    assert!(root.join("apps/prod/kustomization.yaml").is_file());
}

/// `--set` for every answer but `skip`, with the values a default session
/// derives: a customising session then asks only the skipped ones and the
/// per-environment questions.
fn sets_except(skip: &[&str]) -> Vec<&'static str> {
    let mut args = Vec::new();
    for set in [
        "pod_identity=helm",
        "iac=bicep",
        "git_url=https://github.com/contoso/gitops",
        "cluster_name=aks",
        "resource_group=rg",
        "crds=vendored",
        "crds_version=v1.8.17",
        "flux_namespace=flux-system",
        "prereqs_path=prerequisites",
        "infra_path=infrastructure",
        "exception_stage=auto",
        "pod_identity_release=auto",
        "pod_identity_namespace=aad-pod-identity",
        "network_plugin=azure",
        "flux_pod_label_key=app.kubernetes.io/name",
        "flux_pod_labels=flux-extension,microsoft.flux",
        "git_ref=branch:main",
        "flux_extension=create",
        "config_namespace=cluster-config",
        "config_scope=cluster",
        "sync_interval=10m",
        "retry_interval=2m",
        "timeout=10m",
        "prune=true",
        "bicep_api_version=2025-04-01",
    ] {
        if !skip.iter().any(|k| set.starts_with(&format!("{k}="))) {
            args.extend(["--set", set]);
        }
    }
    args
}

#[test]
fn a_customised_answer_a_check_refuses_is_asked_again_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut t = Tty::init(&root, &sets_except(&["crds", "crds_version"]));
    t.answer("Which environments", "\r");
    // With one environment, apps_path and config_name are the values.
    t.confirm("Customise 4 more settings?", "y");
    t.answer("Where do the Pod Identity CRDs come from?", "\r");
    // v1.8.16 with vendored CRDs: refused at once, asked again.
    t.wait("Which aad-pod-identity release");
    t.answer("v1.8.0", &format!("{DOWN}\r"));
    t.wait("vendored CRDs are embedded");
    t.answer("Which aad-pod-identity release", "\r");
    t.answer("Folder of the apps stage?", "\r");
    t.answer("Name of the flux configuration?", "\r");
    t.confirm("Write these files?", "y");
    let (_, code) = t.finish();
    assert_eq!(code, Some(0));
    let state = std::fs::read_to_string(root.join(".flux-scaffold/answers.yaml")).unwrap();
    assert!(state.contains("v1.8.17"), "{state}");
}
