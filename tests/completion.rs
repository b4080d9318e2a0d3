//! The completion scripts, run by the shells they are for: after `--set`,
//! answer keys and the values of choice questions are completed (the
//! program is called back through clap_complete's dynamic engine).
//! bash: the script sourced, `complete -p`, the completion function called
//! with the words bash itself makes (it splits at `=`); fish: `complete -C`;
//! zsh: the script's function run by zsh with `words`/`CURRENT` set and the
//! completion system's `_describe`/`compdef` stubbed (zsh completes only
//! inside its line editor).

mod common;

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
    let stubs = r#"compdef() { print "compdef $*" }
_describe() { local name=${@[-1]}; print -l -- "${(@P)name}" }"#;
    let out = run(
        "zsh",
        stubs,
        r#"words=(flux-scaffold init --set pod_identity=); CURRENT=4
_clap_dynamic_completer_flux_scaffold
words=(flux-scaffold init --set resource_gr); CURRENT=4
_clap_dynamic_completer_flux_scaffold"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "compdef _clap_dynamic_completer_flux_scaffold flux-scaffold",
            "pod_identity=helm",
            "pod_identity=aks-addon",
            "resource_group=:Resource group of the AKS cluster?",
            "resource_groups=:Resource group of each environment's cluster, in order?",
        ]
    );
}
