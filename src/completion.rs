//! Shell completion through clap_complete's dynamic engine: the shell's
//! script calls the program back (`COMPLETE=<shell> flux-scaffold -- …`),
//! which completes flags, subcommands, and after `--set` the answer keys of
//! the default pack and the values of choice and bool questions.

use std::ffi::{OsStr, OsString};

use clap_complete::CompletionCandidate;
use clap_complete::env::EnvCompleter;

use crate::pack::{DEFAULT_PACK, Pack, Question, QuestionType};

/// The environment variable the scripts set.
pub const VAR: &str = "COMPLETE";

/// Candidates for the value of `--set` typed so far: `KEY=` for each key
/// that starts with it, then `KEY=VALUE` for each value of a choice or
/// bool question (after the last comma, for a multi-choice).
pub fn set_value(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else {
        return Vec::new();
    };
    let Ok(pack) = Pack::builtin(DEFAULT_PACK) else {
        return Vec::new();
    };
    let questions = &pack.manifest.questions;
    let Some((key, typed)) = current.split_once('=') else {
        return questions
            .iter()
            .filter(|q| q.key.starts_with(current))
            .map(|q| {
                CompletionCandidate::new(format!("{}=", q.key)).help(Some(q.prompt.clone().into()))
            })
            .collect();
    };
    let Some(q) = questions.iter().find(|q| q.key == key) else {
        return Vec::new();
    };
    let (done, partial) = match typed.rfind(',') {
        Some(i) if q.kind == QuestionType::MultiChoice => typed.split_at(i + 1),
        _ => ("", typed),
    };
    values(q)
        .into_iter()
        .filter(|v| v.starts_with(partial) && !done.split(',').any(|d| d == v))
        .map(|v| CompletionCandidate::new(format!("{key}={done}{v}")))
        .collect()
}

fn values(q: &Question) -> Vec<String> {
    match q.kind {
        QuestionType::Bool => vec!["true".into(), "false".into()],
        _ => q.choices.clone(),
    }
}

/// The registration script for `shell` (what `COMPLETE=<shell>
/// flux-scaffold` prints), calling back the program at `completer`.
pub fn script(shell: clap_complete::Shell, completer: &str) -> std::io::Result<Vec<u8>> {
    let env: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &clap_complete::env::Bash,
        clap_complete::Shell::Zsh => &clap_complete::env::Zsh,
        clap_complete::Shell::Fish => &clap_complete::env::Fish,
        clap_complete::Shell::Elvish => &clap_complete::env::Elvish,
        _ => &clap_complete::env::Powershell,
    };
    let mut buf = Vec::new();
    env.write_registration(VAR, "flux-scaffold", "flux-scaffold", completer, &mut buf)?;
    if shell == clap_complete::Shell::Bash {
        buf.extend_from_slice(BASH_WORDS.as_bytes());
    }
    Ok(buf)
}

/// Bash splits `--set key=value` into three words at `=` (COMP_WORDBREAKS):
/// the words are made again from the line, split at blanks only, for the
/// engine, and each candidate loses what precedes the last `=` or `:` of
/// the current word, which bash keeps.
const BASH_WORDS: &str = r#"
_flux_scaffold_complete() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words
    read -ra words <<< "$line"
    if [[ -z "$line" || "$line" =~ [[:space:]]$ ]]; then
        words+=("")
    fi
    local cur="${words[${#words[@]}-1]}"
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$(( ${#words[@]} - 1 ))
    _clap_complete_flux_scaffold "$1" "$cur" "${words[COMP_CWORD-1]}"
    local prefix="${cur%"${cur##*[=:]}"}"
    if [[ -n "$prefix" ]]; then
        local i
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]="${COMPREPLY[i]#"$prefix"}"
        done
    fi
}
complete -o nospace -o bashdefault -o nosort -F _flux_scaffold_complete flux-scaffold
"#;

/// The program as the scripts should call it back: argv[0], made absolute
/// when it is a path (as clap_complete does), else found on PATH.
pub fn completer() -> String {
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| OsString::from("flux-scaffold"));
    let path = std::path::PathBuf::from(&argv0);
    if path.components().count() > 1
        && let Ok(cwd) = std::env::current_dir()
    {
        return cwd.join(path).to_string_lossy().into_owned();
    }
    path.to_string_lossy().into_owned()
}
