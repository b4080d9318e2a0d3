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
    accept(&mut p, "Where do the Pod Identity CRDs come from?");
    accept(&mut p, "Which aad-pod-identity release");
    accept(&mut p, "Which namespace does the Flux extension run in?");
    accept(&mut p, "Folder of the prerequisites stage?");
    accept(&mut p, "Folder of the infrastructure stage?");
    accept(&mut p, "Which stage holds the AzurePodIdentityException?");
    accept(&mut p, "Should Flux install AAD Pod Identity itself");
    accept(&mut p, "Namespace to install Pod Identity");
    accept(&mut p, "Which network plugin");
    accept(&mut p, "Which environments");
    accept(&mut p, "Folder of the apps stage?");
    accept(&mut p, "Apps folder of each environment");
    // iac: bicep and az-cli are checked by default; uncheck az-cli.
    p.exp_string("Which infrastructure code").unwrap();
    p.send(DOWN).unwrap();
    p.send(" ").unwrap();
    p.flush().unwrap();
    p.send_line("").unwrap();
    accept(&mut p, "Which label key");
    accept(&mut p, "Which values of that label");
    answer(
        &mut p,
        "URL of the Git repository",
        "https://github.com/contoso/gitops",
    );
    accept(&mut p, "Which Git reference");
    answer(&mut p, "Name of the AKS cluster?", "aks-contoso");
    answer(&mut p, "Resource group of the AKS cluster?", "rg-contoso");
    accept(&mut p, "AKS cluster of each environment");
    accept(&mut p, "Resource group of each environment");
    accept(&mut p, "Is the microsoft.flux extension already installed");
    accept(&mut p, "Name of the flux configuration?");
    accept(&mut p, "Flux configuration name of each environment");
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
    accept(&mut p, "Where do the Pod Identity CRDs come from?");
    accept(&mut p, "Which aad-pod-identity release");
    answer(
        &mut p,
        "Which namespace does the Flux extension run in?",
        "Flux_System",
    );
    p.exp_string("RFC 1123").unwrap();
    // Asked again: clear the rejected text and give a valid name.
    p.exp_string("Which namespace does the Flux extension run in?")
        .unwrap();
    for _ in 0.."Flux_System".len() {
        p.send("\x7f").unwrap();
    }
    p.flush().unwrap();
    p.send_line("flux-ext").unwrap();
    for prompt in [
        "Folder of the prerequisites stage?",
        "Folder of the infrastructure stage?",
        "Which stage holds the AzurePodIdentityException?",
        "Should Flux install AAD Pod Identity itself",
        "Namespace to install Pod Identity",
        "Which network plugin",
        "Which environments",
        "Folder of the apps stage?",
        "Apps folder of each environment",
        "Which infrastructure code",
        "Which label key",
        "Which values of that label",
        "Which Git reference",
        "AKS cluster of each environment",
        "Resource group of each environment",
        "Is the microsoft.flux extension already installed",
        "Name of the flux configuration?",
        "Flux configuration name of each environment",
        "Namespace of the flux configuration",
        "Scope of the flux configuration?",
        "How often should Flux sync",
        "How soon should Flux retry",
        "Timeout of each reconciliation?",
        "Garbage-collect objects",
        "API version of Microsoft.KubernetesConfiguration",
    ] {
        accept(&mut p, prompt);
    }
    p.exp_eof().unwrap();
    let ex = std::fs::read_to_string(root.join("infrastructure/flux-exception.yaml")).unwrap();
    assert!(ex.contains("namespace: flux-ext"), "{ex}");
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
    accept(&mut p, "Where do the Pod Identity CRDs come from?");
    p.exp_string("Which aad-pod-identity release").unwrap();
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
    let mut p = spawn(
        &root,
        &[
            "--set",
            "pod_identity=helm",
            "--set",
            "crds=vendored",
            "--set",
            "crds_version=v1.8.17",
        ],
    );
    p.exp_string("Which namespace does the Flux extension run in?")
        .unwrap();
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
