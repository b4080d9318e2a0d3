//! Man pages: one per command (`flux-scaffold`, `flux-scaffold-init`, …),
//! rendered by clap_mangen from the parser, with the sections clap does not
//! know: EXIT STATUS, ENVIRONMENT, FILES, ANSWER KEYS (from the default
//! pack) and SEE ALSO.

use clap::Command;

use crate::pack::{DEFAULT_PACK, Pack};

/// Every page as (file name, roff), the top page first.
pub fn pages(top: Command) -> Vec<(String, Vec<u8>)> {
    let mut top = top.disable_help_subcommand(true);
    top.build();
    let mut cmds = Vec::new();
    collect(&top, &mut cmds);
    let names: Vec<String> = cmds.iter().map(page_name).collect();
    cmds.iter()
        .map(|cmd| {
            let name = page_name(cmd);
            let mut roff = Vec::new();
            let man = clap_mangen::Man::new(cmd.clone())
                .manual("flux-scaffold manual")
                .source(concat!("flux-scaffold ", env!("CARGO_PKG_VERSION")));
            // Rendering into memory cannot fail.
            render(&man, cmd, &mut roff).ok();
            roff.extend(extra_sections(&name, &names).into_bytes());
            (format!("{name}.1"), roff)
        })
        .collect()
}

/// clap_mangen's sections, but the text after the help (the examples)
/// under EXAMPLES, unfilled and unhyphenated, so a command can be copied.
fn render(man: &clap_mangen::Man, cmd: &Command, w: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        w.extend_from_slice(b".SH EXAMPLES\n.nf\n.nh\n");
        let text = after.to_string();
        for line in text.lines().skip_while(|l| l.trim() == "Examples:") {
            w.extend_from_slice(roff_text(line).as_bytes());
            w.push(b'\n');
        }
        w.extend_from_slice(b".hy\n.fi\n");
    }
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

fn collect(cmd: &Command, out: &mut Vec<Command>) {
    out.push(cmd.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out);
    }
}

fn page_name(cmd: &Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// Text for roff: backslashes escaped, a leading `.` or `'` made literal.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// A `.TP` entry: `tag` in bold, then `body`.
fn item(out: &mut String, tag: &str, body: &str) {
    out.push_str(&format!(
        ".TP\n\\fB{}\\fR\n{}\n",
        roff_text(tag),
        roff_text(body)
    ));
}

fn extra_sections(name: &str, all: &[String]) -> String {
    let sub = name.strip_prefix("flux-scaffold-").unwrap_or("");
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, what) in exit_codes(sub) {
        item(&mut out, code, what);
    }
    out.push_str(".SH ENVIRONMENT\n");
    let mut env = vec![
        (
            "NO_COLOR",
            "When set, no colour in reports, doctor findings and prompts.",
        ),
        (
            "CLICOLOR, CLICOLOR_FORCE, TERM",
            "Read by the terminal library for prompts: CLICOLOR=0 or TERM=dumb turns colour off, CLICOLOR_FORCE=1 forces it.",
        ),
        (
            "COMPLETE",
            "Set by the shell completion scripts (see flux-scaffold-completions(1)): the program prints completions instead of running.",
        ),
    ];
    if matches!(sub, "" | "init" | "regen") {
        env.push(("FLUX_SCAFFOLD_LOCK_WAIT", "Seconds a writing run waits for another run on the same layout to finish (default 10)."));
    }
    if matches!(sub, "" | "init") {
        env.push((
            "FLUX_SCAFFOLD_NO_INPUT",
            "When true, init never prompts (as --no-input).",
        ));
    }
    for (var, what) in env {
        item(&mut out, var, what);
    }
    out.push_str(".SH FILES\n");
    for (file, what) in files() {
        item(&mut out, file, what);
    }
    if matches!(sub, "" | "init" | "regen") {
        answer_keys(&mut out);
    }
    let see: Vec<String> = all
        .iter()
        .filter(|n| n.as_str() != name)
        .map(|n| format!("\\%\\fB{}\\fR(1)", n.replace('-', "\\-")))
        .collect();
    out.push_str(&format!(".SH \"SEE ALSO\"\n.ad l\n{}\n", see.join(",\n")));
    out
}

fn exit_codes(sub: &str) -> Vec<(&'static str, &'static str)> {
    match sub {
        "doctor" => vec![
            ("0", "No finding at or above --fail-on."),
            ("1", "Findings at or above --fail-on."),
            ("2", "Bad usage, or DIR is not a folder."),
            ("3", "An I/O failure."),
        ],
        "init" | "regen" | "" => vec![
            ("0", "Done, or nothing to do."),
            (
                "1",
                "Drift found (regen --check) or conflicts left with markers.",
            ),
            (
                "2",
                "Bad usage or input, or a refused plan: nothing written.",
            ),
            (
                "3",
                "An I/O failure (nothing half-written), including output that cannot be written.",
            ),
            ("130", "Cancelled at a prompt: nothing written."),
        ],
        _ => vec![
            ("0", "Done."),
            ("2", "Bad usage or input."),
            (
                "3",
                "An I/O failure, including output that cannot be written.",
            ),
        ],
    }
}

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "DIR/.flux-scaffold/answers.yaml",
            "The answers of the layout, and which of them are defaults; regen reads them.",
        ),
        (
            "DIR/.flux-scaffold/files.yaml",
            "Each generated file, its ownership and the kustomization entries the tool added.",
        ),
        (
            "DIR/.flux-scaffold/base/",
            "The last render of each managed file: the base of the three-way merge with your edits.",
        ),
        (
            "DIR/.flux-scaffold/lock",
            "Held while a run writes, so concurrent runs on one layout never interleave.",
        ),
        (
            "DIR/.flux-scaffold/journal, DIR/.flux-scaffold/tmp/",
            "Left only by a killed run; the next writing run undoes it from them.",
        ),
        (
            "./.flux-scaffold-answers.yaml",
            "The answers given at the prompts of an init that failed, for --answers (never written inside DIR).",
        ),
    ]
}

/// The default pack's questions: key, type, default, and help.
fn answer_keys(out: &mut String) {
    let Ok(pack) = Pack::builtin(DEFAULT_PACK) else {
        return;
    };
    let intro = format!(
        "Answers of the built-in pack {DEFAULT_PACK} (--set KEY=VALUE, or KEY: VALUE in an --answers file); lists take comma-separated values in --set."
    );
    out.push_str(&format!(".SH \"ANSWER KEYS\"\n{}\n", roff_text(&intro)));
    for q in &pack.manifest.questions {
        let mut body = q.prompt.clone();
        if !q.choices.is_empty() {
            body.push_str(&format!(" One of: {}.", q.choices.join(", ")));
        }
        match &q.default {
            None => body.push_str(" Required."),
            Some(serde_yaml::Value::String(d)) if d.contains("{{") || d.contains("{%") => {
                body.push_str(" Default: derived from other answers.")
            }
            Some(d) => {
                let text = serde_json::to_string(d).unwrap_or_default();
                body.push_str(&format!(" Default: {}.", text.trim_matches('"')));
            }
        }
        if let Some(help) = &q.help {
            body.push(' ');
            body.push_str(help.trim());
        }
        let tag = format!("{} ({})", q.key, q.kind.name());
        item(out, &tag, &body);
    }
}
