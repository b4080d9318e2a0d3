//! `packs list|show|export`.

use std::fmt::Write;

use crate::cli::PacksCommand;
use crate::error::{Error, Result};
use crate::pack::{self, Pack};
use crate::report::Format;

pub fn run(cmd: PacksCommand) -> Result<i32> {
    match cmd {
        PacksCommand::List { format } => {
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
            crate::cli::write_stdout(out.as_bytes())?;
            Ok(0)
        }
        PacksCommand::Show { name, format } => {
            let p = Pack::load(&name)?;
            let out = match format {
                Format::Json => {
                    serde_json::to_string_pretty(&p.manifest).unwrap_or_default() + "\n"
                }
                Format::Text => show_text(&p),
            };
            crate::cli::write_stdout(out.as_bytes())?;
            Ok(0)
        }
        PacksCommand::Export { name, dir } => {
            let p = Pack::builtin(&name)?;
            if dir.exists()
                && std::fs::read_dir(&dir)
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
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Error::io(parent, "create folder", &e))?;
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
            Ok(0)
        }
    }
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
            Some(serde_yaml::Value::String(d)) if d.contains("{%") => {
                "default derived from earlier answers".to_string()
            }
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
