//! `migrate plan`: the command-line side of [`crate::migrate`].

use std::path::PathBuf;

use clap::Subcommand;

use crate::error::Result;
use crate::migrate;
use crate::report::Format;

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
}

pub fn run(cmd: MigrateCommand) -> Result<i32> {
    match cmd {
        MigrateCommand::Plan { dir, format } => {
            let d = migrate::discover(&dir)?;
            let out = match format {
                Format::Text => migrate::report::text(&d),
                Format::Json => migrate::report::json(&d),
            };
            crate::cli::write_stdout(out.as_bytes())?;
            Ok(i32::from(!d.unmapped.is_empty()))
        }
    }
}
