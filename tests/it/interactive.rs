//! `init` in a real terminal (a pseudo-terminal through rexpect): prompts
//! come from the pack's questions, bad input is re-asked, Ctrl-C writes
//! nothing; without a terminal, missing answers are one error, exit 2.

use crate::common::{self, stderr, tempdir};

use std::path::Path;
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const DOWN: &str = "\x1b[B";

fn spawn(dir: &Path, extra: &[&str]) -> PtySession {
    let mut c = Command::new(common::BIN);
    c.arg("init").arg(dir).args(extra);
    c.env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("FLUX_SCAFFOLD_NO_INPUT");
    spawn_command(c, Some(20_000)).expect("spawn in a pty")
}

/// Wait for a prompt and accept its default.
fn accept(p: &mut PtySession, prompt: &str) {
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
    p.send_line("").unwrap();
}

fn answer(p: &mut PtySession, prompt: &str, text: &str) {
    p.exp_string(prompt)
        .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}"));
    p.send_line(text).unwrap();
}

#[test]
fn full_session_helm_vendored_bicep() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    let mut p = spawn(&root, &[]);
    p.exp_string("Helm chart through Flux").unwrap(); // help text is shown
    accept(&mut p, "How is AAD Pod Identity installed?");
    // iac: bicep and az-cli are checked by default; uncheck az-cli.
    p.exp_string("Which infrastructure code").unwrap();
    p.exp_string("terraform").unwrap();
    p.send(DOWN).unwrap();
    p.send(" ").unwrap();
    p.flush().unwrap();
    p.send_line("").unwrap();
    accept(&mut p, "Which environments");
    answer(
        &mut p,
        "URL of the Git repository",
        "https://github.com/contoso/gitops",
    );
    answer(&mut p, "Name of the AKS cluster?", "aks-contoso");
    answer(&mut p, "Resource group of the AKS cluster?", "rg-contoso");
    // The plan with the derived values, then the rest on request.
    p.exp_string("crds_version = v1.8.17").unwrap();
    p.exp_string("more settings?").unwrap();
    // The confirm hides the cursor right before it reads a key.
    p.exp_string("\x1b[?25l").unwrap();
    p.send("y\r").unwrap();
    p.flush().unwrap();
    accept(&mut p, "Where do the Pod Identity CRDs come from?");
    accept(&mut p, "Which aad-pod-identity release");
    accept(&mut p, "Which namespace does the Flux extension run in?");
    accept(&mut p, "Folder of the prerequisites stage?");
    accept(&mut p, "Folder of the infrastructure stage?");
    accept(&mut p, "Which stage holds the AzurePodIdentityException?");
    accept(&mut p, "Should Flux install AAD Pod Identity itself");
    accept(&mut p, "Namespace to install Pod Identity");
    accept(&mut p, "Which network plugin");
    accept(&mut p, "Folder of the apps stage?");
    accept(&mut p, "Which label key");
    accept(&mut p, "Which values of that label");
    accept(&mut p, "Which Git reference");
    accept(&mut p, "Is the microsoft.flux extension already installed");
    accept(&mut p, "Name of the flux configuration?");
    accept(&mut p, "Namespace of the flux configuration");
    accept(&mut p, "Scope of the flux configuration?");
    accept(&mut p, "How often should Flux sync");
    accept(&mut p, "How soon should Flux retry");
    accept(&mut p, "Timeout of each reconciliation?");
    accept(&mut p, "Garbage-collect objects");
    accept(&mut p, "API version of Microsoft.KubernetesConfiguration");
    // The plan, then one confirmation.
    p.exp_string("create").unwrap();
    p.exp_string("iac/flux-configuration.bicep").unwrap();
    p.exp_string("Write these files?").unwrap();
    p.send_line("y").unwrap();
    p.exp_eof().unwrap();
    let files = common::tree(&root);
    for f in [
        "iac/flux-configuration.bicep",
        "iac/main.bicep",
        "infrastructure/flux-exception.yaml",
        "infrastructure/kustomization.yaml",
        "infrastructure/pod-identity-release.yaml",
        "prerequisites/kustomization.yaml",
        "prerequisites/pod-identity-crds.yaml",
    ] {
        assert!(files.contains(&f.to_string()), "{f} in {files:?}");
    }
    assert!(
        !files.contains(&"iac/flux-configuration.sh".to_string()),
        "az-cli was unchecked"
    );
    // Answers given at prompts are recorded like flags: regen needs no prompts.
    let state = std::fs::read_to_string(root.join(".flux-scaffold/answers.yaml")).unwrap();
    assert!(
        state.contains("git_url: https://github.com/contoso/gitops"),
        "{state}"
    );
    assert!(state.contains("- bicep"), "{state}");
    common::assert_success(&common::regen_check(&root));
}

#[test]
fn invalid_answer_is_explained_and_asked_again() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    let mut p = spawn(
        &root,
        &[
            "--yes",
            "--set",
            "git_url=https://github.com/contoso/gitops",
            "--set",
            "cluster_name=aks",
            "--set",
            "resource_group=rg",
        ],
    );
    accept(&mut p, "How is AAD Pod Identity installed?");
    accept(&mut p, "Which infrastructure code");
    answer(&mut p, "Which environments", "Prod_1");
    p.exp_string("RFC 1123").unwrap();
    // Asked again: clear the rejected text and give a valid name.
    p.exp_string("Which environments").unwrap();
    for _ in 0.."Prod_1".len() {
        p.send("\x7f").unwrap();
    }
    p.flush().unwrap();
    p.send_line("prod").unwrap();
    p.exp_eof().unwrap();
    assert!(root.join("apps/prod/kustomization.yaml").is_file());
}

#[test]
fn ctrl_c_halfway_writes_nothing() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    std::fs::create_dir_all(root.join("infrastructure")).unwrap();
    std::fs::write(
        root.join("infrastructure/kustomization.yaml"),
        "resources: []\n",
    )
    .unwrap();
    let before = common::tree(&root);
    let mut p = spawn(&root, &[]);
    accept(&mut p, "How is AAD Pod Identity installed?");
    p.exp_string("Which infrastructure code").unwrap();
    p.send_control('c').unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        !matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert_eq!(common::tree(&root), before);
    assert_eq!(
        std::fs::read_to_string(root.join("infrastructure/kustomization.yaml")).unwrap(),
        "resources: []\n"
    );
}

/// The session ends with "cancelled", exit code 130, and nothing at `root`.
fn assert_cancelled(mut p: PtySession, root: &Path) {
    p.exp_string("cancelled").unwrap();
    let status = p.process_mut().wait().unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 130)),
        "{status:?}"
    );
    assert!(!root.exists());
}

#[test]
fn esc_at_a_choice_cancels() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    let mut p = spawn(&root, &[]);
    p.exp_string("How is AAD Pod Identity installed?").unwrap();
    p.send("\x1b").unwrap();
    p.flush().unwrap();
    assert_cancelled(p, &root);
}

#[test]
fn esc_at_a_text_prompt_cancels() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    let mut p = spawn(&root, &["--set", "pod_identity=helm", "--set", "iac=bicep"]);
    p.exp_string("Which environments").unwrap();
    p.send("flux").unwrap();
    p.send("\x1b").unwrap();
    p.flush().unwrap();
    assert_cancelled(p, &root);
}

#[test]
fn without_a_terminal_missing_answers_are_one_error() {
    let tmp = tempdir();
    let root = tmp.path().join("repo");
    // No --no-input: stdin is not a terminal, so it must not prompt or hang.
    let out = common::bin()
        .arg("init")
        .arg(&root)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("missing answers"), "{err}");
    for key in ["git_url", "cluster_name", "resource_group"] {
        assert!(err.contains(&format!("--set {key}=")), "{err}");
    }
    assert!(!root.exists());
}
