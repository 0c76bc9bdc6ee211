//! The command line (cli.md): parse arguments, set up logging, run the
//! command, and turn its outcome into an exit code.

mod args;
mod commands;
mod history;
mod output;

pub use args::Cli;

use args::{Command, PolicyCommand};
use clap::Parser;
use tagwarden_core::Diagnostics;

/// Parse, run, and return the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    let daemon = matches!(cli.command, Command::Run(_));
    output::init_logging(cli.verbose, cli.quiet, cli.log_format, daemon);
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            match &e {
                // Every diagnostic, with its own file:line:column prefix.
                crate::Error::Invalid(d @ Diagnostics(_)) => eprintln!("{d}"),
                _ => eprintln!("error: {e}"),
            }
            tracing::debug!(label = e.metric_label(), "command failed");
            e.exit_code()
        }
    }
}

fn run(cli: &Cli) -> crate::Result<u8> {
    match &cli.command {
        Command::Policy(PolicyCommand::Schema) => commands::schema(),
        Command::Policy(PolicyCommand::Validate { paths }) => commands::validate(cli, paths),
        Command::Policy(PolicyCommand::Iam { paths, role }) => commands::iam(cli, paths, *role),
        Command::History(args) => history::history(cli, args),
        Command::Drift(args) => history::drift(cli, args),
        Command::Prune(args) => history::prune(cli, args),
        Command::Audit(args) => commands::audit(cli, args),
        Command::Plan(args) => commands::plan(cli, args),
        Command::Apply(args) => commands::apply(cli, args),
        Command::Rollback(args) => commands::rollback(cli, args),
        Command::Run(args) => commands::run(cli, args),
        Command::Credits(args) => commands::credits(cli, args),
        Command::Report(args) => commands::report(cli, args),
        Command::Waves(args) => commands::waves(cli, args),
        Command::Doctor(args) => commands::doctor(cli, args),
    }
}
