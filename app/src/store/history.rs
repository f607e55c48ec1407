//! The action history: an append-only log of everything that happened.

use crate::model::HistoryRow;
use crate::store::format_time_ms;
use sqlx::{FromRow, SqliteConnection, SqlitePool};

/// Kinds of history entries.
pub mod kind {
    pub const EVENT_RECEIVED: &str = "event.received";
    pub const EVENT_DUPLICATE_BODY: &str = "event.duplicate_mismatch";
    pub const REVIEW_DECIDED: &str = "review.decided";
    pub const REVIEW_ESCALATED: &str = "review.escalated";
    pub const REVIEW_CLAIMED: &str = "review.claimed";
    pub const REVIEW_RELEASED: &str = "review.released";
    pub const REVIEW_UNDONE: &str = "review.undone";
    pub const REVIEW_REOPENED: &str = "review.reopened";
    pub const REVIEW_REVEALED: &str = "review.revealed";
    /// An open item passed its due time and its alert was queued.
    pub const REVIEW_OVERDUE: &str = "review.overdue";
    pub const LOGIN: &str = "auth.login";
    pub const LOGIN_FAILED: &str = "auth.login_failed";
    /// A login refused unchecked because of too many failed logins.
    pub const LOGIN_THROTTLED: &str = "auth.login_throttled";
    pub const LOGOUT: &str = "auth.logout";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_PASSWORD: &str = "user.password_changed";
    pub const USER_ROLE: &str = "user.role_changed";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const USER_ENABLED: &str = "user.enabled";
}

/// An entry to append.
pub struct NewEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub kind: &'a str,
    pub reference_id: Option<&'a str>,
    pub detail: String,
}

/// Appends an entry; parameters: at, actor, kind, reference_id, detail.
pub const APPEND_SQL: &str =
    "INSERT INTO history (at, actor, kind, reference_id, detail) VALUES (?, ?, ?, ?, ?)";

/// Appends one entry inside the caller's transaction.
pub async fn append(conn: &mut SqliteConnection, entry: NewEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(APPEND_SQL)
        .bind(entry.at)
        .bind(entry.actor)
        .bind(entry.kind)
        .bind(entry.reference_id)
        .bind(entry.detail)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor: String,
    kind: String,
    reference_id: Option<String>,
    detail: String,
}

/// The newest entries first, `limit` of them, older than entry `before` when given.
pub async fn list(
    pool: &SqlitePool,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<HistoryRow>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at, actor, kind, reference_id, detail FROM history \
         WHERE id < ? ORDER BY id DESC LIMIT ?",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(pool)
    .await?;

    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            id: r.id,
            at: format_time_ms(r.at),
            actor: r.actor,
            kind: r.kind,
            reference_id: r.reference_id,
            detail: r.detail,
        })
        .collect())
}
