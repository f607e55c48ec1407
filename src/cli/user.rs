//! `moddesk user …`: user management from the shell.

use crate::config::Settings;
use anyhow::{Context, bail};
use app::auth::password;
use app::model::Role;
use app::store::{history, now_ms, users};
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
    /// Set a new password. Prompts for it, or reads one line from standard input when it is not
    /// a terminal.
    Passwd { name: String },
    /// Give a user another role: reviewer, manager or admin.
    Role { name: String, role: String },
    /// Disable a user: they cannot log in, and their open sessions stop working at once.
    Disable { name: String },
    /// Let a disabled user log in again.
    Enable { name: String },
    /// List every user with role and state.
    List,
}

pub async fn run(command: UserCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role } => add(settings, &name, &role).await,
        UserCommand::Passwd { name } => {
            let secret = read_password()?;
            password::check_new(&secret).map_err(anyhow::Error::msg)?;
            let hash = password::hash(SecretString::from(secret))
                .await
                .map_err(anyhow::Error::msg)
                .context("hashing the password")?;
            apply(
                settings,
                &name,
                users::Change::Password(&hash),
                "New password set",
            )
            .await
        }
        UserCommand::Role { name, role } => {
            let role = parse_role(&role)?;
            apply(settings, &name, users::Change::Role(role), "Role changed").await
        }
        UserCommand::Disable { name } => {
            apply(settings, &name, users::Change::Disabled(true), "Disabled").await
        }
        UserCommand::Enable { name } => {
            apply(settings, &name, users::Change::Disabled(false), "Enabled").await
        }
        UserCommand::List => list(settings).await,
    }
}

fn parse_role(role: &str) -> anyhow::Result<Role> {
    Role::parse(role)
        .with_context(|| format!("role: {role:?} is not one of reviewer, manager, admin"))
}

async fn apply(
    settings: &Settings,
    name: &str,
    change: users::Change<'_>,
    done: &str,
) -> anyhow::Result<()> {
    let pool = crate::db::open_existing(&settings.database_url).await?;
    let already = match &change {
        users::Change::Password(_) => String::new(),
        users::Change::Role(role) => format!("already has role {role}"),
        users::Change::Disabled(true) => "is already disabled".to_owned(),
        users::Change::Disabled(false) => "is already enabled".to_owned(),
    };
    match users::change(&pool, name, change, history::actor::CLI, now_ms()).await? {
        users::Outcome::Changed => println!("{done}: {name}."),
        users::Outcome::Unchanged => println!("Nothing changed: {name} {already}."),
        users::Outcome::NoSuchUser => bail!("there is no user named {name:?}"),
    }
    Ok(())
}

async fn list(settings: &Settings) -> anyhow::Result<()> {
    let pool = crate::db::open_existing(&settings.database_url).await?;
    for user in users::list(&pool).await? {
        let state = if user.disabled { "disabled" } else { "active" };
        let created = app::store::format_time_ms(user.created_at);
        println!("{}\t{}\t{state}\tsince {created}", user.name, user.role);
    }
    Ok(())
}

async fn add(settings: &Settings, name: &str, role: &str) -> anyhow::Result<()> {
    let role = parse_role(role)?;
    let name = app::auth::names::check_new(name).map_err(anyhow::Error::msg)?;
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
        actor: history::actor::CLI,
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
