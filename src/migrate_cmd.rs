//! `migrate plan` and `migrate apply`: the command-line side of
//! [`crate::migrate`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::answers::NoPrompt;
use crate::error::{Error, Result};
use crate::migrate;
use crate::report::{self, Format, Stage, Style};
use crate::session::{self, Request};

/// The built-in pack the migration renders.
pub const PACK: &str = "aks-workload-identity";

#[derive(Subcommand, Debug)]
pub enum MigrateCommand {
    /// Map each AzureIdentity to the namespaces, service accounts and
    /// workloads that use it, and name what cannot be mapped (exit 1 then)
    #[command(
        after_help = "Examples:\n  flux-scaffold migrate plan ./gitops\n  flux-scaffold migrate plan --format json ."
    )]
    Plan {
        /// Folder of the repository
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the migration (pack aks-workload-identity) from what `plan`
    /// maps: step 1 beside Pod Identity; step 2 (regen --set
    /// migration_step=2) once the workloads run on Workload Identity
    #[command(
        after_help = "Examples:\n  flux-scaffold migrate apply ./gitops --set cluster_name=aks-prod --set resource_group=rg-prod\n  flux-scaffold migrate apply --dry-run ./gitops\n  flux-scaffold regen ./gitops --set migration_step=2"
    )]
    Apply(ApplyArgs),
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// Folder of the repository
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// An answer of the pack, KEY=VALUE (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Show the plan and its diffs, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(cmd: MigrateCommand) -> Result<i32> {
    match cmd {
        MigrateCommand::Plan { dir, format } => {
            let d = migrate::discover(&dir)?;
            let out = match format {
                Format::Text => migrate::report::text(&d),
                Format::Json => migrate::report::json(&d),
            };
            crate::output::write_stdout(out.as_bytes())?;
            Ok(i32::from(!d.unmapped.is_empty()))
        }
        MigrateCommand::Apply(args) => apply(args),
    }
}

fn apply(args: ApplyArgs) -> Result<i32> {
    let tree = crate::tree::DiskTree::new(&args.dir);
    let previous = if args.dir.is_dir() {
        session::load_state(&tree)?
    } else {
        None
    };
    if let Some(prev) = &previous
        && prev.answers.pack.name != PACK
    {
        return Err(Error::input(format!(
            "{} is a layout of pack '{}': migrate apply writes pack '{PACK}' into a repository of its own making or its own layout only",
            args.dir.display(),
            prev.answers.pack.name
        )));
    }
    let d = migrate::discover(&args.dir)?;
    // After step 2 Pod Identity is gone from the repository: the recorded
    // mapping stands, discovery would find nothing to map.
    let step2 = previous.as_ref().is_some_and(|p| {
        let a = &p.answers;
        let v = a
            .answers
            .get("migration_step")
            .or_else(|| a.defaults.get("migration_step"));
        v == Some(&crate::answers::Value::Str("2".into()))
    });
    if !step2 && d.credentials.is_empty() {
        return Err(Error::input(format!(
            "{}: nothing to migrate: no workload could be mapped to a user-assigned identity (`flux-scaffold migrate plan` says why)",
            args.dir.display()
        )));
    }
    let mut sets = if step2 {
        Vec::new()
    } else {
        migrate::answers::sets(&d)
    };
    sets.extend(args.sets.iter().cloned());
    let req = Request {
        dir: args.dir.clone(),
        pack: Some(PACK.to_string()),
        sets,
        dry_run: args.dry_run,
        ..Request::default()
    };
    let mut fs = crate::apply::RealFs;
    let outcome = match previous {
        Some(_) => session::regen(&req, &mut fs)?,
        None => session::init(&req, &mut NoPrompt, &mut fs)?,
    };
    let text = apply_report(&args, &outcome, &d);
    crate::output::write_stdout(text.as_bytes())?;
    if !outcome.plan.refusals.is_empty() {
        return Err(Error::input(format!(
            "refused: {}",
            outcome.plan.refusals.join("; ")
        )));
    }
    Ok(0)
}

/// The report of `migrate apply`: the run's, then what was not migrated.
fn apply_report(args: &ApplyArgs, outcome: &session::Outcome, d: &migrate::Discovery) -> String {
    match args.format {
        Format::Json => report::json("migrate apply", &args.dir, outcome, args.dry_run, false),
        Format::Text => {
            let mut t = report::text(
                outcome,
                Style {
                    diff: args.dry_run,
                    color: false,
                    quiet: false,
                },
                if args.dry_run {
                    Stage::DryRun
                } else {
                    Stage::Ran
                },
            );
            if !d.unmapped.is_empty() {
                t.push_str("\nNot migrated (see `flux-scaffold migrate plan`):\n");
                for u in &d.unmapped {
                    t.push_str(&format!("  {}: {}\n", u.object, u.reason));
                }
            }
            t
        }
    }
}
