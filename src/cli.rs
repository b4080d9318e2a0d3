//! The command line: parse arguments, call the core, print the report, and
//! map the result to an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::answers::NoPrompt;
use crate::error::Error;
use crate::output::{output_error, write_stdout};
use crate::packs_cmd::{self, PacksCommand};
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
    /// Print a shell completion script (it calls flux-scaffold back to complete flags, answer keys and values)
    #[command(
        after_help = "Examples:\n  echo 'source <(flux-scaffold completions bash)' >> ~/.bashrc\n  echo 'source <(flux-scaffold completions zsh)' >> ~/.zshrc\n  flux-scaffold completions fish > ~/.config/fish/completions/flux-scaffold.fish\n\nThe same script is printed by COMPLETE=<shell> flux-scaffold."
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), or write every command's page into a folder
    #[command(
        after_help = "Examples:\n  flux-scaffold man > flux-scaffold.1 && man ./flux-scaffold.1\n  flux-scaffold man --dir ~/.local/share/man/man1"
    )]
    Man {
        /// Write flux-scaffold.1 and one page per command (flux-scaffold-init.1, ...) into DIR (created if missing)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Set an answer (repeatable); lists take comma-separated values
    #[arg(long = "set", value_name = "KEY=VALUE",
          add = clap_complete::ArgValueCompleter::new(crate::completion::set_value))]
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
    #[arg(short, long, conflicts_with = "dry_run")]
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
    #[arg(long, conflicts_with_all = ["force", "dry_run"])]
    pub check: bool,
    /// With --check: also fail on every managed file that differs from its render (kept edits)
    #[arg(long, requires = "check")]
    pub strict: bool,
    /// Every layout below DIR (each folder holding .flux-scaffold/), one report and one exit code
    #[arg(long, conflicts_with = "diff")]
    pub all: bool,
    /// Layouts to work on at once with --all (default: the machine's cores)
    #[arg(long, value_name = "N", requires = "all", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
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

/// Run the command line; returns the process exit code.
pub fn main() -> i32 {
    // COMPLETE=<shell> alone prints the same script as `completions
    // <shell>` (bash's needs the word fix-up clap's own lacks).
    if std::env::args_os().len() == 1
        && let Some(shell) = std::env::var(crate::completion::VAR)
            .ok()
            .and_then(|v| v.parse::<clap_complete::Shell>().ok())
    {
        return match print_completions(shell) {
            Ok(()) => 0,
            Err(e) => fail(&e, false),
        };
    }
    // COMPLETE=<shell> with the words: the completions.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(crate::completion::VAR)
        .complete();
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
                Err(err) => fail(&err, false),
            };
        }
        Err(e) => {
            // If stderr is gone too, the exit code is all that is left.
            e.print().ok();
            if json_requested() {
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let message = first.strip_prefix("error: ").unwrap_or(first);
                let text = crate::error::error_json("usage", message, e.exit_code());
                // Nothing more can be said if stdout is gone as well.
                write_stdout(text.as_bytes()).ok();
            }
            return e.exit_code();
        }
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match run(cli, color) {
        Ok(code) => code,
        Err(e) => fail(&e, json_requested()),
    }
}

/// The error line on stderr, and with `--format json` the error as a JSON
/// object on stdout; returns the exit code.
fn fail(e: &Error, json: bool) -> i32 {
    let _ = writeln!(std::io::stderr(), "error: {e}");
    if json {
        let _ = write_stdout(e.json().as_bytes());
    }
    e.exit_code()
}

/// Whether the command line asks for JSON output (`--format json`), read
/// from the raw arguments so that usage errors are JSON too.
fn json_requested() -> bool {
    // Not `env::args`, which panics on an argument that is not UTF-8.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

fn run(cli: Cli, color: bool) -> Result<i32, Error> {
    match cli.command {
        Command::Init(args) => init(args, color),
        Command::Regen(args) => regen(args, color),
        Command::Doctor(args) => doctor(args, color),
        Command::Packs(cmd) => packs_cmd::run(cmd),
        Command::Migrate(cmd) => crate::migrate_cmd::run(cmd),
        Command::Completions { shell } => print_completions(shell).map(|()| 0),
        Command::Man { dir } => man(dir.as_deref()),
    }
}

/// The completion script for `shell`, on stdout (`completions SHELL`, and
/// `COMPLETE=SHELL` with no words).
fn print_completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let completer = crate::completion::completer();
    let out = crate::completion::script(shell, &completer)
        .map_err(|e| Error::input(format!("cannot write the script: {e}")))?;
    write_stdout(&out)
}

fn man(dir: Option<&std::path::Path>) -> Result<i32, Error> {
    let pages = crate::man::pages(Cli::command());
    let Some(dir) = dir else {
        write_stdout(&pages[0].1)?;
        return Ok(0);
    };
    if dir.exists() && !dir.is_dir() {
        return Err(Error::input(format!(
            "--dir {}: not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "create folder", &e))?;
    for (name, roff) in &pages {
        let path = dir.join(name);
        // Through a temporary file renamed over the page: a link at the
        // page's path is replaced, never followed out of the folder.
        crate::apply::temp_with(dir, roff, None, false, false)
            .and_then(|tmp| tmp.persist(&path).map_err(|e| e.error))
            .map_err(|e| Error::io(&path, "write", &e))?;
        let _ = writeln!(std::io::stderr(), "wrote {}", path.display());
    }
    Ok(0)
}

fn doctor(args: DoctorArgs, color: bool) -> Result<i32, Error> {
    use crate::doctor::{self, Severity, report};
    let findings = doctor::run_with(&args.dir, &crate::migrate::rules::check)?;
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

/// Flags that JSON output ignores are refused with it, not dropped silently.
fn check_format(c: &Common) -> Result<(), Error> {
    if c.format != Format::Json {
        return Ok(());
    }
    for (given, flag) in [(c.diff, "--diff"), (c.quiet, "--quiet")] {
        if given {
            return Err(Error::input(format!(
                "the argument '{flag}' cannot be used with '--format json' (the JSON report has every file and no diffs)"
            )));
        }
    }
    Ok(())
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
    check_format(&args.common)?;
    let interactive = !args.no_input
        && !args.defaults
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let req = request(args.dir.clone(), &args.common, false);
    let mut fs = crate::apply::RealFs;
    let outcome = if interactive && !args.common.dry_run {
        crate::interactive::init(&req, args.yes, color, &mut fs)?
    } else if interactive {
        let mut prompter = prompt::Terminal::new(prompt::Mode::Essentials, Default::default());
        session::init(&req, &mut prompter, &mut fs)?
    } else {
        session::init(&req, &mut NoPrompt, &mut fs)?
    };
    print_report("init", &args.dir, &outcome, &args.common, false, color)?;
    Ok(refused(&outcome))
}

fn regen(args: RegenArgs, color: bool) -> Result<i32, Error> {
    check_format(&args.common)?;
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
    let jobs = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(crate::fleet::default_jobs);
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
