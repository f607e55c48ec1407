//! Deliveries that were signed correctly but could not be read as events.

use crate::model::DeadLetterRow;
use crate::store::format_time_ms;
use sha2::{Digest, Sha256};
use sqlx::{FromRow, SqlitePool};

/// A dead letter to keep.
pub struct NewDeadLetter<'a> {
    pub received_at: i64,
    pub source: &'a str,
    pub reason: &'a str,
    /// JSON object of the headers worth keeping.
    pub headers: String,
    /// The webhook id the delivery carried (empty when its scheme has none).
    pub webhook_id: &'a str,
    pub body: &'a [u8],
}

/// Keeps a dead letter and returns its id, or `None` when the same delivery (same webhook id
/// and body) was kept before.
pub async fn insert(pool: &SqlitePool, letter: NewDeadLetter<'_>) -> sqlx::Result<Option<i64>> {
    let mut key = Sha256::new();
    key.update(letter.webhook_id.as_bytes());
    key.update(b"\n");
    key.update(letter.body);
    let key = hex::encode(key.finalize());

    sqlx::query_scalar(
        "INSERT INTO dead_letters (received_at, source, reason, headers, body, delivery_key) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, delivery_key) DO NOTHING RETURNING id",
    )
    .bind(letter.received_at)
    .bind(letter.source)
    .bind(letter.reason)
    .bind(letter.headers)
    .bind(letter.body)
    .bind(key)
    .fetch_optional(pool)
    .await
}

#[derive(FromRow)]
struct Row {
    id: i64,
    received_at: i64,
    source: String,
    reason: String,
    headers: String,
    body: Vec<u8>,
}

/// The newest dead letters first.
pub async fn list(pool: &SqlitePool, limit: i64) -> sqlx::Result<Vec<DeadLetterRow>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, received_at, source, reason, headers, body FROM dead_letters \
         ORDER BY id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;

    Ok(rows
        .into_iter()
        .map(|r| DeadLetterRow {
            id: r.id,
            received_at: format_time_ms(r.received_at),
            source: r.source,
            reason: r.reason,
            headers: r.headers,
            body: String::from_utf8_lossy(&r.body).into_owned(),
            body_bytes: r.body.len(),
        })
        .collect())
}
