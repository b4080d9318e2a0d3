//! The completion scripts, run by the shells they are for: after `--set`,
//! answer keys and the values of choice questions are completed (the
//! program is called back through clap_complete's dynamic engine).
//! bash: the script sourced, `complete -p`, the completion function called
//! with the words bash itself makes (it splits at `=`); fish: `complete -C`;
//! zsh: an interactive zsh in a pseudo-terminal, Tab pressed.

use crate::common;

use std::process::Command;

fn script(shell: &str) -> String {
    let out = common::bin().args(["completions", shell]).output().unwrap();
    common::assert_success(&out);
    String::from_utf8(out.stdout).unwrap()
}

/// Run `code` with `shell -c` after the script is loaded; stdout.
fn run(shell: &str, setup: &str, code: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("completion");
    std::fs::write(&file, script(shell)).unwrap();
    let program = format!("{setup}\nsource {}\n{code}", file.display());
    let out = Command::new(shell)
        .arg("-c")
        .arg(program)
        .env_remove("COMPLETE")
        .output()
        .unwrap_or_else(|e| panic!("{shell} must be installed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What bash completes for `line` (the cursor at its end): the words
/// split as bash splits them (COMP_WORDBREAKS has `=`), then COMPREPLY.
fn bash_complete(line: &str) -> Vec<String> {
    let code = format!(
        r#"complete -p flux-scaffold
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
COMP_TYPE=9
COMP_WORDS=($(printf '%s' "$COMP_LINE" | sed 's/=/ = /g'))
[[ "$COMP_LINE" == *= ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_flux_scaffold_complete flux-scaffold "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf 'reply:%s\n' "${{COMPREPLY[@]}}""#
    );
    let out = run("bash", "", &code);
    assert!(
        out.contains("-F _flux_scaffold_complete") && out.contains("flux-scaffold"),
        "{out}"
    );
    out.lines()
        .filter_map(|l| l.strip_prefix("reply:"))
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_answer_keys_and_values_after_set() {
    assert_eq!(
        bash_complete("flux-scaffold init --set clus"),
        ["cluster_name=", "cluster_names="]
    );
    // Bash keeps `pod_identity=`: the candidates are what follows it.
    assert_eq!(
        bash_complete("flux-scaffold init --set pod_identity="),
        ["helm", "aks-addon"]
    );
    assert_eq!(
        bash_complete("flux-scaffold regen --set iac=bicep,t"),
        ["bicep,terraform"]
    );
    assert_eq!(bash_complete("flux-scaffold init --dry"), ["--dry-run"]);
    assert_eq!(bash_complete("flux-scaffold reg"), ["regen"]);
}

/// An interactive `shell` in a pseudo-terminal with the completion
/// script loaded (after `setup`), ready for keys.
fn interactive(shell: &str, args: &[&str], setup: &str) -> rexpect::session::PtySession {
    let file = std::env::temp_dir().join(format!(
        "flux-scaffold-completion-{}.{shell}",
        std::process::id()
    ));
    std::fs::write(&file, script(shell)).unwrap();
    let mut c = Command::new(shell);
    c.args(args).env("TERM", "dumb").env_remove("COMPLETE");
    let mut p = rexpect::session::spawn_command(c, Some(20_000))
        .unwrap_or_else(|e| panic!("{shell} must be installed (.ci/run installs it): {e}"));
    // The prompt, spelt so that the command's echo does not match it.
    p.send_line(&format!(
        "{setup}source {} && PS1='rea''dy> '",
        file.display()
    ))
    .unwrap();
    p.exp_string("ready> ").unwrap();
    let _ = std::fs::remove_file(&file);
    p
}

#[test]
fn fish_completes_answer_keys_and_values_after_set() {
    let out = run(
        "fish",
        "",
        "complete -C 'flux-scaffold init --set pod_identity='; complete -C 'flux-scaffold init --set clus'",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "pod_identity=helm",
            "pod_identity=aks-addon",
            "cluster_name=\tName of the AKS cluster?",
            "cluster_names=\tAKS cluster of each environment, in order?",
        ]
    );
}

#[test]
fn zsh_completes_answer_keys_and_values_after_set() {
    // zsh completes only in its line editor: an interactive zsh in a
    // pseudo-terminal, compinit, the script, then Tab.
    let mut p = interactive(
        "zsh",
        &["-f", "-i"],
        "autoload -U compinit && compinit -u && ",
    );
    p.send("flux-scaffold init --set pod_identity=\t").unwrap();
    p.flush().unwrap();
    p.exp_string("pod_identity=helm").unwrap();
    p.exp_string("pod_identity=aks-addon").unwrap();
    // Ctrl-U clears the line (a Ctrl-C would race with the next keys).
    p.send("\x15flux-scaffold regen --set resource_gr\t")
        .unwrap();
    p.flush().unwrap();
    // Both keys start resource_group: zsh inserts what they share.
    p.exp_string("resource_group").unwrap();
    p.send_line("\x15exit").unwrap();
    p.exp_eof().unwrap();
}

/// `source <(COMPLETE=bash flux-scaffold)` registers the same script as
/// `flux-scaffold completions bash`, word fix-up included, in every shell.
#[test]
fn complete_env_prints_the_same_script_as_completions() {
    for shell in ["bash", "zsh", "fish"] {
        let by_env = common::Test::new()
            .env("COMPLETE", shell)
            .success()
            .stdout();
        let by_command = common::Test::new()
            .args(&["completions", shell])
            .success()
            .stdout();
        assert_eq!(by_env, by_command, "{shell}");
    }
}
