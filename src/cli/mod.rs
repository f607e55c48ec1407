//! The command line: `serve` (the default), `user …`, `audit verify`, and `send` for testing a
//! deployment.

mod audit;
mod send;
mod user;

use crate::config::Settings;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "moddesk",
    version,
    about = "Review desk for AegisCore moderation webhooks"
)]
pub struct Cli {
    /// TOML config file; environment variables (MODDESK_*) override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage dashboard users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Check the history's hash chain.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Sign a sample event with the configured secret and post it to a moddesk.
    Send(send::SendArgs),
}

/// The server's runtime: at least four worker threads even on smaller machines. Leptos issue
/// #4647 reports server renders whose resources never resume on a runtime with too few workers.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.max(4))
        .enable_all()
        .build()
}

/// Runs the command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let serving = matches!(cli.command, None | Some(Command::Serve));
    let loaded = Settings::load(cli.config.as_deref()).and_then(|settings| {
        if serving {
            settings.check_serve().map(|()| settings)
        } else {
            Ok(settings)
        }
    });
    let settings = match loaded {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("moddesk: {error:#}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(settings.log_format);

    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("moddesk: starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => crate::startup::serve(settings).await,
            Command::User(command) => user::run(command, &settings).await,
            Command::Audit(command) => return audit::run(command, &settings).await,
            Command::Send(args) => send::run(args, &settings).await,
        }
        .map(|()| ExitCode::SUCCESS)
    });

    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("moddesk: {error:#}");
            ExitCode::FAILURE
        }
    }
}
