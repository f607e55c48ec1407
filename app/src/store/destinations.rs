//! Relay destinations as the history last recorded them: at start, the configured set is
//! compared with that record, and each destination added, changed or removed gets a history
//! entry, by name and kind. URLs and secrets never reach the history; a fingerprint shows that
//! they changed.

use crate::store::history::{self, NewEntry, kind};
use sqlx::{FromRow, SqlitePool};
use std::collections::BTreeMap;

/// Who the destination entries are by.
const ACTOR: &str = history::actor::CONFIG;

/// A destination as configured, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Configured {
    pub name: String,
    /// `slack`, `discord` or `http`.
    pub kind: String,
    /// What it is sent, in words (topics, categories, lowest score).
    pub rules: String,
    /// A fingerprint of the URL and secret (hex of a hash): equal exactly when both are.
    pub target: String,
}

/// Records in the history how `configured` differs from the destinations recorded last, and
/// makes it the record; one `BEGIN IMMEDIATE` transaction. Returns how many entries it wrote.
pub async fn record_changes(
    pool: &SqlitePool,
    configured: &[Configured],
    at: i64,
) -> sqlx::Result<usize> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let recorded: Vec<Configured> =
        sqlx::query_as("SELECT name, kind, rules, target FROM recorded_destinations")
            .fetch_all(&mut *tx)
            .await?;
    let mut before: BTreeMap<&str, &Configured> =
        recorded.iter().map(|d| (d.name.as_str(), d)).collect();

    let mut written = 0;
    for now in configured {
        let entry = match before.remove(now.name.as_str()) {
            None => Some((kind::DESTINATION_ADDED, added(now))),
            Some(old) if old == now => None,
            Some(old) => Some((kind::DESTINATION_CHANGED, changed(old, now))),
        };
        let Some((entry_kind, detail)) = entry else {
            continue;
        };
        append(&mut tx, entry_kind, detail, at).await?;
        sqlx::query(
            "INSERT INTO recorded_destinations (name, kind, rules, target) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, rules = excluded.rules, \
             target = excluded.target",
        )
        .bind(&now.name)
        .bind(&now.kind)
        .bind(&now.rules)
        .bind(&now.target)
        .execute(&mut *tx)
        .await?;
        written += 1;
    }
    for (name, old) in before {
        let detail = format!("{} destination {name} removed", old.kind);
        append(&mut tx, kind::DESTINATION_REMOVED, detail, at).await?;
        sqlx::query("DELETE FROM recorded_destinations WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        written += 1;
    }
    tx.commit().await?;
    Ok(written)
}

async fn append(
    conn: &mut sqlx::SqliteConnection,
    entry_kind: &str,
    detail: String,
    at: i64,
) -> sqlx::Result<()> {
    history::append(
        conn,
        NewEntry {
            at,
            actor: ACTOR,
            kind: entry_kind,
            reference_id: None,
            detail,
        },
    )
    .await
}

fn added(d: &Configured) -> String {
    format!("{} destination {} added: {}", d.kind, d.name, d.rules)
}

fn changed(old: &Configured, new: &Configured) -> String {
    let mut what = Vec::new();
    if old.kind != new.kind {
        what.push(format!("kind {} → {}", old.kind, new.kind));
    }
    if old.rules != new.rules {
        what.push(format!("sends {} (was {})", new.rules, old.rules));
    }
    if old.target != new.target {
        what.push("its URL or secret changed".to_owned());
    }
    format!("destination {} changed: {}", new.name, what.join("; "))
}
