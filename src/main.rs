//! The `moddesk` command: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    moddesk::cli::run(moddesk::cli::Cli::parse())
}
