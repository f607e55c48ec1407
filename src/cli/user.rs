//! `moddesk user …`: user management from the shell.

use crate::config::Settings;
use anyhow::{Context, bail};
use app::auth::password;
use app::model::Role;
use app::store::{now_ms, users};
use clap::Subcommand;
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. Prompts for the password, or reads one line from standard input when it is
    /// not a terminal.
    Add {
        /// Login name.
        name: String,
        /// reviewer, manager or admin.
        #[arg(long, default_value = "reviewer")]
        role: String,
    },
}

pub async fn run(command: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role } => add(settings, &name, &role).await,
    }
}

async fn add(settings: &Settings, name: &str, role: &str) -> anyhow::Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("--role: {role:?} is not one of reviewer, manager, admin");
    };
    let name = app::api::auth::validate_name(name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = read_password()?;
    password::check_new(&secret).map_err(anyhow::Error::msg)?;

    let pool = crate::db::open(&settings.database_url).await?;
    let hash = password::hash(SecretString::from(secret))
        .await
        .map_err(anyhow::Error::msg)
        .context("hashing the password")?;
    let new_user = users::NewUser {
        name,
        password_hash: &hash,
        role,
        actor: "cli",
        at: now_ms(),
    };
    users::create(&pool, new_user, false).await?;

    println!("Added {name} ({role}).");
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let second = rpassword::prompt_password("Again: ").context("reading the password")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
