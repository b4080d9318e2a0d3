//! `packs list|show|export`.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Subcommand;

use crate::error::{Error, Result};
use crate::output::write_stdout;
use crate::pack::{self, Pack};
use crate::pack_upgrade::{self, Upgraded};
use crate::report::Format;

#[derive(Subcommand, Debug)]
pub enum PacksCommand {
    /// List the built-in packs
    #[command(
        after_help = "Examples:\n  flux-scaffold packs list\n  flux-scaffold packs list --format json"
    )]
    List {
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show a pack's questions and files
    #[command(
        after_help = "Examples:\n  flux-scaffold packs show aks-flux-pod-identity\n  flux-scaffold packs show ./my-pack --format json"
    )]
    Show {
        /// A built-in name or a folder with a pack.yaml
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Copy a built-in pack into DIR as the start of your own
    #[command(
        after_help = "Examples:\n  flux-scaffold packs export aks-flux-pod-identity ./my-pack\n  flux-scaffold init --pack ./my-pack ./gitops"
    )]
    Export { name: String, dir: PathBuf },
    /// Rewrite a schema 1 pack folder as schema 2, in place
    #[command(
        after_help = "Renames each template to NAME.tera, spells every key of pack.yaml in\nsnake_case, writes list defaults as YAML lists and adds `schema: 2` and\n`requires`; comments stay. Refuses, writing nothing, what it cannot convert.\nA second run changes nothing.\n\nExamples:\n  flux-scaffold packs upgrade ./my-pack"
    )]
    Upgrade {
        /// A folder with a pack.yaml
        dir: PathBuf,
    },
}

pub fn run(cmd: PacksCommand) -> Result<i32> {
    match cmd {
        PacksCommand::List { format } => list(format)?,
        PacksCommand::Show { name, format } => {
            let p = Pack::load(&name)?;
            let out = match format {
                Format::Json => {
                    serde_json::to_string_pretty(&p.manifest).unwrap_or_default() + "\n"
                }
                Format::Text => show_text(&p),
            };
            write_stdout(out.as_bytes())?;
        }
        PacksCommand::Upgrade { dir } => match pack_upgrade::upgrade(&dir)? {
            Upgraded::AlreadyCurrent => eprintln!(
                "{} is already schema {}: nothing to do",
                dir.display(),
                crate::pack_schema::CURRENT
            ),
            Upgraded::Rewritten(renames) => eprintln!(
                "upgraded {} to schema {} ({} template{} renamed *.tera)",
                dir.display(),
                crate::pack_schema::CURRENT,
                renames.len(),
                if renames.len() == 1 { "" } else { "s" }
            ),
        },
        PacksCommand::Export { name, dir } => export(&name, &dir)?,
    }
    Ok(0)
}

/// `packs list`: the built-in packs.
fn list(format: Format) -> Result<()> {
    let packs: Vec<Pack> = pack::builtin_names()
        .iter()
        .map(|n| Pack::builtin(n))
        .collect::<Result<_>>()?;
    let out = match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = packs
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p.manifest.name,
                        "version": p.manifest.version,
                        "description": p.manifest.description,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        Format::Text => packs.iter().fold(String::new(), |mut s, p| {
            let _ = writeln!(
                s,
                "{} {}  {}",
                p.manifest.name, p.manifest.version, p.manifest.description
            );
            s
        }),
    };
    write_stdout(out.as_bytes())
}

/// `packs export`: a built-in pack's files into an empty or new folder.
fn export(name: &str, dir: &std::path::Path) -> Result<()> {
    let p = Pack::builtin(name)?;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::input(format!(
            "{} exists and is not empty",
            dir.display()
        )));
    }
    for (rel, bytes) in p.all_files()? {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, "create folder", &e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, "write", &e))?;
    }
    eprintln!(
        "exported {} {} to {}; use it with --pack {}",
        p.manifest.name,
        p.manifest.version,
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn show_text(p: &Pack) -> String {
    let m = &p.manifest;
    let mut s = format!(
        "{} {}\n{}\n\nquestions:\n",
        m.name, m.version, m.description
    );
    for q in &m.questions {
        let ty = if q.list && q.kind != pack::QuestionType::MultiChoice {
            format!("list of {}", q.kind.name())
        } else {
            q.kind.name().to_string()
        };
        let default = match &q.default {
            Some(d) if derived(d) => "default derived from earlier answers".to_string(),
            Some(d) => format!("default {}", serde_json::to_string(d).unwrap_or_default()),
            None => "required".into(),
        };
        let _ = writeln!(s, "  {:<20} {:<22} {default}", q.key, ty);
        let _ = writeln!(s, "  {:<20} {}", "", q.prompt);
        if let Some(help) = &q.help {
            for line in crate::wrap::wrap(help, 56) {
                let _ = writeln!(s, "  {:<20} {line}", "");
            }
        }
        if !q.choices.is_empty() {
            let _ = writeln!(s, "  {:<20} choices: {}", "", q.choices.join(", "));
        }
        if let Some(w) = &q.when {
            let _ = writeln!(s, "  {:<20} asked when: {w}", "");
        }
    }
    s.push_str("\nfiles:\n");
    for f in &m.files {
        let _ = write!(s, "  {:<8} {}", f.ownership.name(), f.path);
        if let Some(w) = &f.when {
            let _ = write!(s, "  (when {w})");
        }
        s.push('\n');
    }
    s
}

/// Whether a default is computed from answers: a string with a `{%` block,
/// or a list with an item that uses answers or has `each` or `when`.
fn derived(d: &serde_yaml::Value) -> bool {
    match d {
        serde_yaml::Value::String(s) => s.contains("{%"),
        serde_yaml::Value::Sequence(items) => items.iter().any(|i| match i {
            serde_yaml::Value::String(s) => s.contains("{{") || s.contains("{%"),
            other => other.is_mapping(),
        }),
        _ => false,
    }
}
