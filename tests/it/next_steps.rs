//! The next steps after a writing `init`, for every infrastructure-code
//! target: each command parses in bash and splits into the words its
//! program gets, az commands pass the CLI's rules, and every file or
//! folder a command names is one the run wrote.

use crate::common::az;
use crate::common::shell;
use crate::common::stubs;

use std::path::Path;

use crate::common::*;
use serde_json::Value;

/// A resource group that needs quoting (ARM allows parentheses and dots).
const GROUP: &str = "rg(prod).x";

fn run_init(root: &Path, sets: &[&str]) -> Value {
    let mut all = vec![
        "resource_group=rg(prod).x",
        "environments=staging,production",
    ];
    all.extend_from_slice(sets);
    let out = init_cmd(root, &["--format", "json"], &all)
        .output()
        .unwrap();
    assert_success(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn steps(report: &Value, section: &str) -> Vec<(String, Vec<String>)> {
    report["next_steps"]
        .as_array()
        .expect("next_steps is a list")
        .iter()
        .filter(|s| s["section"] == section)
        .map(|s| {
            let cmds = s["commands"].as_array().unwrap();
            (
                s["title"].as_str().unwrap().to_string(),
                cmds.iter()
                    .map(|c| c.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// One command: it parses in bash, is one simple command, and names only
/// what exists. Returns its words.
fn check_command(root: &Path, cmd: &str) -> Vec<String> {
    let out = std::process::Command::new("bash")
        .args(["-n", "-c", cmd])
        .output()
        .unwrap();
    assert!(out.status.success(), "bash -n: {cmd}");
    let mut cmds = shell::commands(cmd);
    assert_eq!(cmds.len(), 1, "one command: {cmd}");
    let w = cmds.remove(0);
    match w[0].as_str() {
        "az" => check_az(&w),
        "bash" => {
            assert!(root.join(&w[1]).is_file(), "{cmd}");
            stubs::bash_n(&root.join(&w[1]));
        }
        "kubectl" if w[1] == "apply" => {
            assert_eq!(w[2], "-k", "{cmd}");
            kustomize_build(&root.join(&w[3]));
        }
        "kubectl" => {
            assert_eq!(az::flag(&w, &["--namespace"]), Some("flux-system"), "{cmd}");
        }
        "terraform" => {
            assert_eq!(w[1], "-chdir=iac");
            assert!(root.join("iac/flux-configuration.tf").is_file());
        }
        "git" | "ssh-keygen" => {}
        other => panic!("unexpected program {other}: {cmd}"),
    }
    w
}

fn check_az(w: &[String]) {
    let sub: Vec<&str> = w[1..]
        .iter()
        .map(String::as_str)
        .take_while(|x| !x.starts_with('-'))
        .collect();
    let sub = sub.join(" ");
    let group = az::flag(w, &["--resource-group", "-g"]).unwrap_or_else(|| panic!("{w:?}"));
    assert_eq!(group, GROUP, "the group reaches az as one word: {w:?}");
    match sub.as_str() {
        "deployment group create" => {
            assert_eq!(
                az::flag(w, &["--template-file", "-f"]),
                Some("iac/main.bicep")
            );
        }
        "aks get-credentials" => {
            assert!(
                az::flag(w, &["--name", "-n"])
                    .unwrap()
                    .starts_with("aks-demo-")
            );
        }
        "k8s-configuration flux update" => {
            assert_eq!(
                az::flag(w, &["--cluster-type", "-t"]),
                Some("managedClusters")
            );
            assert!(
                az::flag(w, &["--name", "-n"])
                    .unwrap()
                    .starts_with("cluster-config-")
            );
            assert!(az::flag(w, &["--ssh-private-key-file"]).is_some());
        }
        other => panic!("unexpected az command {other}: {w:?}"),
    }
}

fn all_words(root: &Path, report: &Value) -> Vec<Vec<String>> {
    ["next", "recover"]
        .iter()
        .flat_map(|s| steps(report, s))
        .flat_map(|(_, cmds)| cmds)
        .map(|c| check_command(root, &c))
        .collect()
}

fn has(words: &[Vec<String>], prefix: &[&str]) -> bool {
    words
        .iter()
        .any(|w| w.len() >= prefix.len() && w[..prefix.len()] == *prefix)
}

#[test]
fn every_target_gets_its_deploy_command() {
    let targets: [(&str, &[&str]); 4] = [
        ("bicep", &["az", "deployment", "group", "create"]),
        ("az-cli", &["bash", "iac/flux-configuration.sh"]),
        (
            "terraform",
            &["terraform", "-chdir=iac", "apply", "flux.tfplan"],
        ),
        ("flux", &["kubectl", "apply", "-k", "clusters/production"]),
    ];
    for pod_identity in ["helm", "aks-addon"] {
        for (iac, deploy) in targets {
            let tmp = tempfile::tempdir().unwrap();
            let (pi, i) = (format!("pod_identity={pod_identity}"), format!("iac={iac}"));
            let report = run_init(tmp.path(), &[&pi, &i]);
            let words = all_words(tmp.path(), &report);
            assert!(has(&words, deploy), "{iac}: {words:?}");
            assert!(has(&words, &["git", "add", "-A", "--", "."]), "commit all");
            assert!(
                has(
                    &words,
                    &[
                        "kubectl",
                        "get",
                        "pods",
                        "--namespace",
                        "flux-system",
                        "--show-labels"
                    ]
                ),
                "labels check"
            );
            if iac == "terraform" {
                assert!(has(&words, &["terraform", "-chdir=iac", "init"]));
                assert!(has(
                    &words,
                    &["terraform", "-chdir=iac", "plan", "-out=flux.tfplan"]
                ));
            }
            let addon = has(&words, &["bash", "iac/pod-identity-exception.sh"]);
            assert_eq!(addon, pod_identity == "aks-addon", "{iac} {pod_identity}");
            // Recovery: the script, per cluster; the reinstall where an
            // extension is deployed.
            assert!(has(&words, &["bash", "iac/recover.sh"]));
            let reinstall = has(
                &words,
                &["bash", "iac/recover.sh", "--reinstall", "production"],
            );
            assert_eq!(reinstall, iac != "flux", "{iac}");
            assert!(!steps(&report, "recover").is_empty());
        }
    }
}

#[test]
fn an_ssh_url_gets_a_deploy_key_step() {
    for (url, ssh) in [
        ("git@github.com:example/gitops.git", true),
        ("ssh://git@github.com/example/gitops", true),
        ("https://github.com/example/gitops", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let u = format!("git_url={url}");
        let report = run_init(tmp.path(), &["iac=bicep,az-cli", &u]);
        let words = all_words(tmp.path(), &report);
        assert_eq!(has(&words, &["ssh-keygen"]), ssh, "{url}");
        let updates = words
            .iter()
            .filter(|w| w.len() > 4 && w[1..4] == ["k8s-configuration", "flux", "update"])
            .count();
        assert_eq!(updates, if ssh { 2 } else { 0 }, "one per environment");
    }
}

#[test]
fn only_a_writing_init_prints_them_and_quiet_silences_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let dry = init_cmd(root, &["--dry-run", "--format", "json"], &[])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(report["next_steps"], serde_json::json!([]));
    let quiet = init_cmd(root, &["-q"], &[]).output().unwrap();
    assert_success(&quiet);
    let text = String::from_utf8_lossy(&quiet.stdout);
    assert!(
        !text.contains("Next steps") && !text.contains("git add"),
        "{text}"
    );
    // Written already: a second init has nothing to do and no steps.
    let again = init_cmd(root, &[], &[]).output().unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains("Next steps"));
    let regen = bin()
        .args(["regen", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&regen.stdout).unwrap();
    assert_eq!(report["next_steps"], serde_json::json!([]));

    let tmp = tempfile::tempdir().unwrap();
    let out = init_cmd(tmp.path(), &[], &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Next steps") && text.contains("git add -A -- ."),
        "{text}"
    );
    assert!(
        text.contains("Recover:") && text.contains("bash iac/recover.sh"),
        "{text}"
    );
}

/// A custom pack's answer with a newline, an escape sequence or a
/// bidirectional override stays one command, printed on one line, that
/// runs as written: each listed command is run on its own by a user or a
/// script, so a line break inside a quoted value must not split it.
#[test]
fn hostile_answers_stay_one_inert_command() {
    let repo = Repo::new()
        .file(
            "pack/pack.yaml",
            "name: p\nversion: \"1\"\nquestions:\n  - key: v\n    prompt: V?\n    type: string\nfiles:\n  - template: t.txt\n    path: t.txt\nnext_steps:\n  - title: \"Say {{ v }}\"\n    run: \"printf %s {{ v }}\"\n",
        )
        .file("pack/t.txt", "x\n");
    let marker = repo.join("injected");
    let value = format!("a\nb $(touch {}) '\x1b[2K\u{202e}", marker.display());
    let ran = Test::new()
        .args(&["init", "--no-input", "--format", "json", "--pack"])
        .arg(repo.join("pack"))
        .arg(repo.join("out"))
        .set(&format!("v={value}"))
        .success();
    let steps = ran.json()["next_steps"].clone();
    let commands = steps[0]["commands"].as_array().unwrap();
    assert_eq!(commands.len(), 1, "{steps}");
    let title = steps[0]["title"].as_str().unwrap();
    assert!(!title.chars().any(char::is_control), "{title:?}");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(commands[0].as_str().unwrap())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), value);
    assert!(!marker.exists(), "a command ran from an answer");
}
