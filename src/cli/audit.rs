//! `moddesk audit verify`: walks the history's hash chain and names the first entry that was
//! changed, removed or inserted (docs/history.md).

use crate::config::Settings;
use anyhow::Context;
use app::store::chain::{self, Verdict};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole history chain, read-only. Exit code 0 when it verifies, 1 when not.
    Verify,
}

pub async fn run(command: AuditCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => verify(settings).await,
    }
}

async fn verify(settings: &Settings) -> anyhow::Result<ExitCode> {
    let pool = crate::db::open_read_only(&settings.database_url).await?;
    let verdict = chain::verify(&pool, None)
        .await
        .context("reading the history")?;
    pool.close().await;

    match &verdict {
        Verdict::Verified(checkpoint) if checkpoint.entries > 0 => {
            println!(
                "{verdict}; the last is entry {} with hash {}",
                checkpoint.id, checkpoint.hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Verified(_) => {
            println!("{verdict}");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken { .. } => {
            println!("{verdict}");
            Ok(ExitCode::FAILURE)
        }
    }
}
