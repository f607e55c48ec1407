//! Received upstream events. Storing one also opens or refreshes its review item and appends the
//! history entry, all in one transaction.

use crate::model::CategoryScore;
use crate::store::history::{self, NewEntry, kind};
use crate::store::review;
use sqlx::{SqliteConnection, SqlitePool};

/// The upstream's event type that sends content to human review.
pub const TYPE_REVIEW: &str = "moderation.review";

/// A verified, parsed event ready to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub source: String,
    pub event_id: String,
    pub webhook_id: String,
    pub event_type: String,
    pub reference_id: String,
    pub action: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    pub content_kind: Option<String>,
    pub excerpt: Option<String>,
    pub content_url: Option<String>,
    pub subject: Option<String>,
    pub created_at: i64,
    pub received_at: i64,
    pub body: Vec<u8>,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First delivery of this event id: stored.
    Stored { queued: bool },
    /// The id was already stored with the same body: nothing written.
    Duplicate,
    /// The id was already stored with a different body: the first body is kept, the mismatch is
    /// noted in the history.
    DuplicateMismatch,
}

/// Stores `event` in a transaction of its own and commits it.
pub async fn record(pool: &SqlitePool, event: &NewEvent) -> sqlx::Result<Recorded> {
    let mut tx = pool.begin().await?;
    let recorded = record_in(&mut tx, event).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Stores `event` unless its (source, id) is already stored, with its review item change and
/// history entry, inside the caller's transaction. Nothing is durable until the caller commits.
pub async fn record_in(conn: &mut SqliteConnection, event: &NewEvent) -> sqlx::Result<Recorded> {
    let categories =
        serde_json::to_string(&event.categories).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO events (source, event_id, webhook_id, event_type, reference_id, action, \
         score, categories, content_kind, excerpt, content_url, subject, created_at, received_at, \
         body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (source, event_id) DO NOTHING RETURNING id",
    )
    .bind(&event.source)
    .bind(&event.event_id)
    .bind(&event.webhook_id)
    .bind(&event.event_type)
    .bind(&event.reference_id)
    .bind(&event.action)
    .bind(event.score)
    .bind(categories)
    .bind(&event.content_kind)
    .bind(&event.excerpt)
    .bind(&event.content_url)
    .bind(&event.subject)
    .bind(event.created_at)
    .bind(event.received_at)
    .bind(&event.body)
    .fetch_optional(&mut *conn)
    .await?;

    let Some(row_id) = inserted else {
        return note_duplicate(conn, event).await;
    };

    let queued = event.event_type == TYPE_REVIEW;
    if queued {
        review::open_or_refresh(conn, &event.reference_id, row_id, event.received_at).await?;
    }
    let detail = format!(
        "{} {} (action {}, score {:.2})",
        event.event_type, event.event_id, event.action, event.score
    );
    history::append(
        conn,
        NewEntry {
            at: event.received_at,
            actor: &event.source,
            kind: kind::EVENT_RECEIVED,
            reference_id: Some(&event.reference_id),
            detail,
        },
    )
    .await?;

    Ok(Recorded::Stored { queued })
}

async fn note_duplicate(
    tx: &mut sqlx::SqliteConnection,
    event: &NewEvent,
) -> sqlx::Result<Recorded> {
    let same_body: bool =
        sqlx::query_scalar("SELECT body = ? FROM events WHERE source = ? AND event_id = ?")
            .bind(&event.body)
            .bind(&event.source)
            .bind(&event.event_id)
            .fetch_one(&mut *tx)
            .await?;
    if same_body {
        return Ok(Recorded::Duplicate);
    }

    history::append(
        tx,
        NewEntry {
            at: event.received_at,
            actor: &event.source,
            kind: kind::EVENT_DUPLICATE_BODY,
            reference_id: Some(&event.reference_id),
            detail: format!(
                "redelivery of {} carried a different body; the first body was kept",
                event.event_id
            ),
        },
    )
    .await?;
    Ok(Recorded::DuplicateMismatch)
}

/// How many events are stored in all.
pub async fn count(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(pool)
        .await
}
