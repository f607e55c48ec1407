//! Opening the SQLite database: created when missing (readable by its owner only), WAL mode, full
//! sync, migrations applied, and history entries from before the hash chain sealed into it
//! (once, see docs/history.md).

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Opens (creating if needed) the database at `url` and brings its schema up to date.
pub async fn open(url: &str) -> anyhow::Result<SqlitePool> {
    if url_mode(url) == Some("memory") || url_path(url).starts_with(":memory:") {
        anyhow::bail!(
            "database_url {url:?} is an in-memory database; moddesk needs a file, which its ingest \
             writer and its dashboard open separately"
        );
    }
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database_url {url:?} is not a SQLite URL"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL makes every commit durable in WAL mode: a decision or a dead letter that was
        // answered survives power loss. Events are stored by the ingest writer on its own
        // connection, which syncs its log before answering (see `ingest::writer`).
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));

    if let Some(parent) = Path::new(options.get_filename()).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the database folder {}", parent.display()))?;
    }
    if url_mode(url) != Some("ro") {
        owner_only(Path::new(options.get_filename()), 0)?;
    }

    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .with_context(|| format!("opening the database {url}"))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("applying database migrations")?;

    let sealed = app::store::chain::seal_unsealed(&pool)
        .await
        .context("sealing history entries written before the hash chain")?;
    if sealed > 0 {
        tracing::info!(
            entries = sealed,
            "history entries from before the hash chain sealed"
        );
    }
    Ok(pool)
}

/// The part of a SQLite URL after the scheme, before any `?`.
fn url_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or_default()
}

/// The `mode` parameter of a SQLite URL (`ro`, `rw`, `rwc`, `memory`), if it has one.
fn url_mode(url: &str) -> Option<&str> {
    let (_, query) = url.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("mode="))
}

/// How many symbolic links [`owner_only`] follows to the file they name.
const MAX_LINKS: usize = 8;

/// Creates the database file at `path`, when it is missing, readable and writable by its owner
/// only: it holds password hashes and session ids. SQLite gives its log and shared-memory files
/// the database file's permissions. A symbolic link to a missing file creates that file. An
/// existing file keeps its permissions, with a warning when other users can read it.
fn owner_only(path: &Path, links: usize) -> anyhow::Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let mode = meta.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        database = %path.display(),
                        mode = format!("{:o}", mode & 0o777),
                        "the database file is open to other users; it holds password hashes and \
                         session ids, so consider `chmod 600` on it"
                    );
                }
                Ok(())
            }
            // A folder or a device: opening it says what is wrong.
            Ok(_) => Ok(()),
            // A symbolic link to a file not there yet.
            Err(error) if error.kind() == ErrorKind::NotFound && links < MAX_LINKS => {
                let target = std::fs::read_link(path)
                    .with_context(|| format!("reading the link {}", path.display()))?;
                let target = path.parent().unwrap_or(Path::new("")).join(target);
                owner_only(&target, links + 1)
            }
            Err(error) => {
                Err(error).with_context(|| format!("reading the permissions of {}", path.display()))
            }
        },
        Err(error) => {
            Err(error).with_context(|| format!("creating the database file {}", path.display()))
        }
    }
}

/// Opens the database at `url` like [`open`], but only when it exists: a command that changes or
/// lists users must not start a new, empty database because it ran from another folder (a
/// relative `database_url` is relative to the folder moddesk runs in).
pub async fn open_existing(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database_url {url:?} is not a SQLite URL"))?;
    let path = Path::new(options.get_filename());
    if !path.exists() {
        anyhow::bail!(
            "there is no database at {} (from database_url {url:?}); a relative path is read from \
             the folder moddesk runs in, so run it from there or give an absolute path",
            path.display()
        );
    }
    open(url).await
}

/// Opens the existing database at `url` read-only, as it is: no migrations, no sealing. For
/// checking a database (or a copy of one) without changing it.
pub async fn open_read_only(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("database_url {url:?} is not a SQLite URL"))?
        .read_only(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("opening the database {url} read-only"))
}

/// Copies all of the write-ahead log into the database file at `path` and empties the log, for
/// when moddesk stops: the database file alone then holds every stored event, so a backup that
/// copies only that file misses nothing. Waits up to 10 s for a last write to finish.
pub fn fold_log(path: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(path)
        .with_context(|| format!("opening {} to fold its log", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let busy: i64 = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
        .context("folding the log into the database")?;
    if busy != 0 {
        anyhow::bail!("another connection was still using the log, so it was not folded");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn a_new_database_and_its_log_are_readable_by_their_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let pool = open(&format!("sqlite://{}", path.display())).await.unwrap();

        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("new.db-wal")), 0o600);
        pool.close().await;
    }

    #[tokio::test]
    async fn a_link_to_a_missing_file_creates_that_file_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink("real.db", &link).unwrap();
        let pool = open(&format!("sqlite://{}", link.display())).await.unwrap();

        assert_eq!(mode(&dir.path().join("real.db")), 0o600);
        pool.close().await;
    }

    #[tokio::test]
    async fn an_in_memory_database_is_refused_with_the_reason() {
        for url in ["sqlite::memory:", "sqlite://x.db?mode=memory"] {
            let error = open(url).await.unwrap_err().to_string();
            assert!(error.contains("in-memory database"), "{url}: {error}");
        }
    }

    #[tokio::test]
    async fn an_existing_database_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let pool = open(&format!("sqlite://{}", path.display())).await.unwrap();

        assert_eq!(mode(&path), 0o640);
        pool.close().await;
    }
}
