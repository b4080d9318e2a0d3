//! The command line: parse arguments, call the core, print the report, and
//! map the result to an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::answers::{NoPrompt, Prompter, Replay};
use crate::error::Error;
use crate::packs_cmd;
use crate::prompt;
use crate::report::{self, Format, Stage, Style};
use crate::session::{self, Outcome, Request};

const INIT_EXAMPLES: &str = "Examples:
  # Everything from flags, for scripts and CI:
  flux-scaffold init --no-input ./gitops \\
    --set git_url=https://github.com/org/gitops --set cluster_name=aks-prod \\
    --set resource_group=rg-prod --set iac=bicep,az-cli

  # From an answers file, showing what would be written:
  flux-scaffold init --answers examples/helm-vendored-bicep/answers.yaml --dry-run ./gitops

  # In a terminal, answering prompts:
  flux-scaffold init ./gitops";

const REGEN_EXAMPLES: &str = "Examples:
  # After upgrading flux-scaffold: bring the layout up to date, keeping your edits:
  flux-scaffold regen ./gitops

  # Change one answer:
  flux-scaffold regen ./gitops --set crds=remote

  # In CI: fail when the repository has drifted:
  flux-scaffold regen --check ./gitops

  # A monorepo: every layout below the root, one report, one exit code:
  flux-scaffold regen --check --all .";

#[derive(Parser, Debug)]
#[command(
    name = "flux-scaffold",
    version = env!("FLUX_SCAFFOLD_VERSION"),
    about = "Scaffold GitOps repositories that run AAD Pod Identity beside the AKS Flux extension",
    long_about = None,
    after_help = "Examples:\n  flux-scaffold init ./gitops                # answer prompts in a terminal\n  flux-scaffold regen --check ./gitops       # in CI: exit 1 on drift\n  flux-scaffold packs show aks-flux-pod-identity\n\nRun `flux-scaffold <command> --help` for each command's examples."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate a layout into DIR from answers (flags, an answers file, prompts, defaults)
    #[command(after_help = INIT_EXAMPLES)]
    Init(InitArgs),
    /// Re-render DIR from its recorded answers with the current packs, keeping your edits
    #[command(after_help = REGEN_EXAMPLES)]
    Regen(RegenArgs),
    /// Diagnose a repository (generated or not) for the Pod Identity + Flux failure class
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Plan the move from AAD Pod Identity to Azure Workload Identity
    #[command(subcommand)]
    Migrate(crate::migrate_cmd::MigrateCommand),
    /// List, show and export template packs
    #[command(
        subcommand,
        after_help = "Examples:\n  flux-scaffold packs list\n  flux-scaffold packs show aks-flux-pod-identity\n  flux-scaffold packs export aks-flux-pod-identity ./my-pack"
    )]
    Packs(PacksCommand),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  flux-scaffold completions bash > /etc/bash_completion.d/flux-scaffold\n  flux-scaffold completions zsh > \"${fpath[1]}/_flux-scaffold\""
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    #[command(
        after_help = "Examples:\n  flux-scaffold man > flux-scaffold.1 && man ./flux-scaffold.1"
    )]
    Man,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Set an answer (repeatable); lists take comma-separated values
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Read answers from a YAML file
    #[arg(long = "answers", value_name = "FILE")]
    pub answers_file: Option<PathBuf>,
    /// Template pack: a built-in name or a folder with a pack.yaml
    #[arg(long, value_name = "NAME|DIR")]
    pub pack: Option<String>,
    /// Show the plan and diffs; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Show a unified diff of every change
    #[arg(long)]
    pub diff: bool,
    /// Overwrite files that differ instead of stopping (init) or merging (regen)
    #[arg(long)]
    pub force: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print only what changes (with --dry-run, without the diffs unless --diff)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder of the GitOps repository (created if missing)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub common: Common,
    /// Never prompt; a missing answer is an error naming its flag
    #[arg(long, env = "FLUX_SCAFFOLD_NO_INPUT")]
    pub no_input: bool,
    /// Shorthand for --no-input with every default accepted
    #[arg(long)]
    pub defaults: bool,
    /// Write without asking for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct RegenArgs {
    /// Folder holding .flux-scaffold/
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub common: Common,
    /// Write nothing; exit 1 if regen would write anything or conflicts are unresolved (kept edits are not drift)
    #[arg(long)]
    pub check: bool,
    /// With --check: also fail on every managed file that differs from its render (kept edits)
    #[arg(long, requires = "check")]
    pub strict: bool,
    /// Every layout below DIR (each folder holding .flux-scaffold/), one report and one exit code
    #[arg(long)]
    pub all: bool,
    /// Layouts to work on at once with --all (default: the machine's cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Folder of the repository
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
    /// Exit 1 when a finding is at or above this severity
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

const DOCTOR_EXAMPLES: &str = "Examples:
  # Check the repository in this folder:
  flux-scaffold doctor

  # In CI, for GitHub code scanning:
  flux-scaffold doctor --format sarif . > doctor.sarif

  # Fail on warnings too:
  flux-scaffold doctor --fail-on warning ./gitops

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 bad usage, 3 I/O.";

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
}

/// Run the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version go to stdout, which may fail like any output.
        Err(e) if !e.use_stderr() => {
            let printed = e
                .print()
                .and_then(|()| std::io::stdout().flush())
                .map_err(output_error);
            return match printed {
                Ok(()) => 0,
                Err(err) => fail(&err),
            };
        }
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match run(cli, color) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(e: &Error) -> i32 {
    let _ = writeln!(std::io::stderr(), "error: {e}");
    e.exit_code()
}

/// Write `bytes` to standard output, flushed. A failure (a closed pipe, a
/// full disk) is an I/O error (exit 3), never a panic or lost output.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(output_error)
}

fn output_error(e: std::io::Error) -> Error {
    Error {
        kind: crate::error::ErrorKind::Io,
        message: format!("cannot write to standard output: {e}"),
    }
}

fn run(cli: Cli, color: bool) -> Result<i32, Error> {
    match cli.command {
        Command::Init(args) => init(args, color),
        Command::Regen(args) => regen(args, color),
        Command::Doctor(args) => doctor(args, color),
        Command::Packs(cmd) => packs_cmd::run(cmd),
        Command::Migrate(cmd) => crate::migrate_cmd::run(cmd),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "flux-scaffold", &mut out);
            write_stdout(&out)?;
            Ok(0)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Error::input(format!("cannot render the man page: {e}")))?;
            write_stdout(&out)?;
            Ok(0)
        }
    }
}

fn doctor(args: DoctorArgs, color: bool) -> Result<i32, Error> {
    use crate::doctor::{self, Severity, report};
    let findings = doctor::run(&args.dir)?;
    let text = match args.format {
        DoctorFormat::Text => report::text(&findings, color),
        DoctorFormat::Json => report::json(&findings),
        DoctorFormat::Sarif => report::sarif(&findings),
    };
    write_stdout(text.as_bytes())?;
    let level = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    Ok(doctor::exit_code(&findings, level))
}

fn request(dir: PathBuf, c: &Common, check: bool) -> Request {
    Request {
        dir,
        pack: c.pack.clone(),
        sets: c.sets.clone(),
        answers_file: c.answers_file.clone(),
        dry_run: c.dry_run,
        force: c.force,
        check,
        strict: false,
    }
}

fn init(args: InitArgs, color: bool) -> Result<i32, Error> {
    let interactive = !args.no_input
        && !args.defaults
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let mut req = request(args.dir.clone(), &args.common, false);
    let mut fs = crate::apply::RealFs;
    let outcome = if interactive && !args.common.dry_run {
        // Plan first, confirm, then write.
        let mut prompter = prompt::Terminal::new();
        req.dry_run = true;
        let planned = session::init(&req, &mut prompter, &mut fs)?;
        if !planned.plan.changes_anything() {
            planned
        } else {
            if !args.yes {
                eprint!(
                    "{}",
                    report::text(
                        &planned,
                        Style {
                            diff: false,
                            color,
                            quiet: false
                        },
                        Stage::Planned
                    )
                );
                if !prompt::confirm("Write these files?")? {
                    return Err(Error::cancelled());
                }
            }
            // The same run again, writing, with the answers just given.
            req.dry_run = false;
            session::init(&req, &mut Replay(planned.answers.values), &mut fs)?
        }
    } else {
        let mut prompter: Box<dyn Prompter> = if interactive {
            Box::new(prompt::Terminal::new())
        } else {
            Box::new(NoPrompt)
        };
        session::init(&req, prompter.as_mut(), &mut fs)?
    };
    print_report("init", &args.dir, &outcome, &args.common, false, color)?;
    Ok(refused(&outcome))
}

fn regen(args: RegenArgs, color: bool) -> Result<i32, Error> {
    if args.all {
        return regen_all(args);
    }
    let mut req = request(args.dir.clone(), &args.common, args.check);
    req.strict = args.strict;
    let mut fs = crate::apply::RealFs;
    let outcome = session::regen(&req, &mut fs)?;
    print_report(
        "regen",
        &args.dir,
        &outcome,
        &args.common,
        args.check,
        color,
    )?;
    if !outcome.plan.refusals.is_empty() {
        return Ok(refused(&outcome));
    }
    if args.check {
        let drift = outcome.drift();
        if outcome.check_fails() {
            if args.common.format == Format::Text {
                let pick = |keep: &dyn Fn(&crate::plan::FileOp) -> bool| {
                    drift
                        .iter()
                        .filter(|f| keep(f))
                        .map(|f| f.path.as_str())
                        .collect::<Vec<_>>()
                };
                let mut writes = pick(&|f| f.action.writes());
                if !outcome.plan.state.is_empty() {
                    writes.push(crate::state::DIR);
                }
                let conflicts = pick(&|f| !f.action.writes() && f.conflicts > 0);
                let kept = pick(&|f| !f.action.writes() && f.conflicts == 0);
                let mut parts = Vec::new();
                for (what, names) in [
                    ("regen would write", writes),
                    ("unresolved conflict markers in", conflicts),
                    ("kept edits (--strict) in", kept),
                ] {
                    if !names.is_empty() {
                        parts.push(format!("{what} {}", names.join(", ")));
                    }
                }
                let _ = writeln!(std::io::stderr(), "drift: {}", parts.join("; "));
            }
            return Ok(1);
        }
        return Ok(0);
    }
    if outcome.plan.has_conflicts() {
        let names: Vec<&str> = outcome
            .plan
            .files
            .iter()
            .filter(|f| f.conflicts > 0 || f.action == crate::plan::Action::Conflict)
            .map(|f| f.path.as_str())
            .collect();
        let _ = writeln!(
            std::io::stderr(),
            "conflicts: resolve the markers in {} and commit",
            names.join(", ")
        );
        return Ok(1);
    }
    Ok(0)
}

/// The exit code of a dry run whose plan was refused: 2, with the reasons
/// on one line; 0 otherwise.
fn refused(outcome: &Outcome) -> i32 {
    if outcome.plan.refusals.is_empty() {
        return 0;
    }
    let _ = writeln!(
        std::io::stderr(),
        "error: refused: {}",
        outcome.plan.refusals.join("; ")
    );
    2
}

fn print_report(
    command: &str,
    dir: &std::path::Path,
    outcome: &Outcome,
    c: &Common,
    check: bool,
    color: bool,
) -> Result<(), Error> {
    let text = match c.format {
        Format::Json => report::json(command, dir, outcome, c.dry_run, check),
        Format::Text => report::text(
            outcome,
            Style {
                diff: c.diff || (c.dry_run && !c.quiet),
                color,
                quiet: c.quiet,
            },
            if c.dry_run || check {
                Stage::DryRun
            } else {
                Stage::Ran
            },
        ),
    };
    write_stdout(text.as_bytes())
}

fn regen_all(args: RegenArgs) -> Result<i32, Error> {
    let mut req = request(args.dir.clone(), &args.common, args.check);
    req.strict = args.strict;
    let jobs = args.jobs.unwrap_or_else(crate::fleet::default_jobs);
    let results = crate::fleet::regen_all(&req, jobs)?;
    let report = report::fleet(
        &args.dir,
        &results,
        args.check,
        args.common.format,
        args.common.quiet,
    );
    write_stdout(report.text.as_bytes())?;
    Ok(report.exit_code)
}
