//! `netstep`: run, check, trace, export and play scenarios.
//!
//! This file only parses the command line and maps outcomes to exit
//! codes; the work lives in the library crates. Exit codes: 0 success,
//! 1 an invalid scenario or a bad argument, 2 an I/O or internal error,
//! 3 `check` found stages that did not occur.

mod commands;
mod text;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// A deterministic network simulator and teaching tool: TCP and FTP,
/// segment by segment.
#[derive(Debug, Parser)]
#[command(name = "netstep", version, about, long_about = None)]
#[command(
    after_help = "With no command, opens the player on the bundled active-mode FTP walkthrough.\n\nSCENARIO is a path to a .toml file or the name of a bundled scenario (see `netstep list`)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: Global,
}

/// Options every command that runs a scenario takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Run with this seed instead of the scenario's.
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Override a scenario value by its dotted path, e.g.
    /// `--set ftp_server.delays.USER=0s` (repeatable).
    #[arg(long = "set", global = true, value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Language of stage texts and explanations.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ThemeArg {
    Dark,
    Light,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Pcapng,
    Markdown,
    Mermaid,
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CapturePoint {
    /// What a capture on the client would show (like the seed's capture).
    Client,
    /// What a capture on the server would show.
    Server,
    /// Every transmission, wherever it ended.
    Wire,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the player on a scenario (default: the bundled walkthrough).
    Play {
        /// Scenario file or bundled name.
        scenario: Option<String>,
        /// View a saved run (a JSON export) instead of running a scenario.
        #[arg(long, value_name = "FILE.json", conflicts_with = "scenario")]
        trace: Option<PathBuf>,
        /// Colours: `light` is made for projectors.
        #[arg(long, value_enum, default_value_t = ThemeArg::Dark)]
        theme: ThemeArg,
    },
    /// Print the annotated ladder as text.
    Trace {
        scenario: String,
        /// Colour the output (default: when writing to a terminal).
        #[arg(long)]
        color: Option<bool>,
        /// Show absolute sequence numbers instead of relative ones.
        #[arg(long)]
        absolute: bool,
        /// Print what the user saw on the client's screen instead of the
        /// ladder (`ftp> ls`, the replies, the transfer statistics).
        #[arg(long)]
        transcript: bool,
    },
    /// Write the run to a file in another format.
    Export {
        scenario: String,
        #[arg(long, short, value_enum)]
        format: Format,
        /// Output file (default: standard output; pcapng needs a file).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Where the pcapng capture is taken.
        #[arg(long, value_enum, default_value_t = CapturePoint::Client)]
        at: CapturePoint,
    },
    /// Validate and run scenarios and report which stages occurred.
    Check {
        #[arg(required = true)]
        scenarios: Vec<String>,
    },
    /// List the bundled scenarios.
    List,
    /// Print a commented starter scenario.
    New {
        /// The new scenario's name (lower case, digits, dashes).
        name: String,
    },
    /// Print the JSON Schema of scenario files, for editors.
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}
