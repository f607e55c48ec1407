//! Review items: content the upstream sent for human review, and the decisions on it.

use crate::model::{CategoryScore, Decision, DecisionRow, ItemDetail, QueueRow, Resolution};
use crate::relay::{Relay, TOPIC_RESOLVED, resolved_payload};
use crate::store::history::{self, NewEntry, kind};
use crate::store::relay_jobs;
use crate::store::{format_duration_ms, format_time_ms};
use sqlx::{FromRow, SqlitePool};

/// Opens a review item for a reference id, or points the open one at this event when the event
/// is at least as new (by the upstream's `created_at`) as the one it holds; an older event never
/// replaces a newer one. Parameters: reference_id, event row id, now.
pub const OPEN_OR_REFRESH_SQL: &str = "INSERT INTO review_items (reference_id, event_id, status, opened_at) \
     VALUES (?, ?, 'open', ?) \
     ON CONFLICT (reference_id) WHERE status = 'open' DO UPDATE SET event_id = excluded.event_id \
     WHERE (SELECT created_at FROM events WHERE id = excluded.event_id) \
        >= (SELECT created_at FROM events WHERE id = review_items.event_id)";

#[derive(FromRow)]
struct QueueRecord {
    id: i64,
    reference_id: String,
    score: f64,
    categories: String,
    excerpt: Option<String>,
    opened_at: i64,
}

/// Open items, oldest first.
pub async fn open_items(pool: &SqlitePool, now: i64, limit: i64) -> sqlx::Result<Vec<QueueRow>> {
    let rows: Vec<QueueRecord> = sqlx::query_as(
        "SELECT r.id, r.reference_id, e.score, e.categories, e.excerpt, r.opened_at \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         WHERE r.status = 'open' ORDER BY r.opened_at, r.id LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;

    Ok(rows
        .into_iter()
        .map(|r| QueueRow {
            id: r.id,
            reference_id: r.reference_id,
            score: r.score,
            categories: parse_categories(&r.categories),
            excerpt: r.excerpt,
            age: format_duration_ms(now - r.opened_at),
        })
        .collect())
}

/// How many items are open.
pub async fn open_count(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
        .fetch_one(pool)
        .await
}

#[derive(FromRow)]
struct ItemRecord {
    id: i64,
    reference_id: String,
    status: String,
    opened_at: i64,
    decision: Option<String>,
    note: Option<String>,
    reviewer: Option<String>,
    decided_at: Option<i64>,
    event_id: String,
    event_type: String,
    action: String,
    score: f64,
    categories: String,
    content_kind: Option<String>,
    excerpt: Option<String>,
    content_url: Option<String>,
    subject: Option<String>,
    created_at: i64,
    body: Vec<u8>,
}

/// One item with its newest event, or `None` when there is no such item.
pub async fn item(pool: &SqlitePool, id: i64, now: i64) -> sqlx::Result<Option<ItemDetail>> {
    let record: Option<ItemRecord> = sqlx::query_as(
        "SELECT r.id, r.reference_id, r.status, r.opened_at, r.decision, r.note, \
                u.name AS reviewer, r.decided_at, e.event_id, e.event_type, e.action, e.score, \
                e.categories, e.content_kind, e.excerpt, e.content_url, e.subject, e.created_at, \
                e.body \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users u ON u.id = r.decided_by WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;

    Ok(record.map(|r| {
        let resolution = match (
            r.decision.as_deref().and_then(Decision::parse),
            r.decided_at,
        ) {
            (Some(decision), Some(at)) => Some(Resolution {
                decision,
                note: r.note.unwrap_or_default(),
                reviewer: r.reviewer.unwrap_or_default(),
                decided_at: format_time_ms(at),
            }),
            _ => None,
        };
        ItemDetail {
            id: r.id,
            reference_id: r.reference_id,
            open: r.status == "open",
            event_id: r.event_id,
            event_type: r.event_type,
            action: r.action,
            score: r.score,
            categories: parse_categories(&r.categories),
            content_kind: r.content_kind,
            excerpt: r.excerpt,
            content_url: r.content_url,
            subject: r.subject,
            created_at: format_time_ms(r.created_at),
            opened_at: format_time_ms(r.opened_at),
            age: format_duration_ms(now - r.opened_at),
            resolution,
            raw_body: String::from_utf8_lossy(&r.body).into_owned(),
        }
    }))
}

/// Why a decision was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("there is no review item {0}")]
    NotFound(i64),
    #[error("item {0} was already decided")]
    AlreadyResolved(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A decision to record.
pub struct NewDecision<'a> {
    pub item_id: i64,
    pub decision: Decision,
    pub note: &'a str,
    pub reviewer_id: i64,
    pub reviewer_name: &'a str,
    pub at: i64,
}

/// What recording a decision did.
pub struct Decided {
    pub reference_id: String,
    /// Whether `review.resolved` messages were queued.
    pub relayed: bool,
}

/// Resolves an open item, appends the history entry and queues a `review.resolved` message for
/// each destination of `relay` that wants it (by the item's event), in one transaction. Only an open item can be decided; a
/// second decision is refused, never overwrites the first.
pub async fn decide(
    pool: &SqlitePool,
    d: NewDecision<'_>,
    relay: &Relay,
) -> Result<Decided, DecideError> {
    let mut tx = pool.begin().await?;

    let reference_id: Option<String> = sqlx::query_scalar(
        "UPDATE review_items SET status = 'resolved', decision = ?, note = ?, decided_by = ?, \
         decided_at = ? WHERE id = ? AND status = 'open' RETURNING reference_id",
    )
    .bind(d.decision.as_str())
    .bind(d.note)
    .bind(d.reviewer_id)
    .bind(d.at)
    .bind(d.item_id)
    .fetch_optional(&mut *tx)
    .await?;

    let Some(reference_id) = reference_id else {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM review_items WHERE id = ?)")
                .bind(d.item_id)
                .fetch_one(&mut *tx)
                .await?;
        return Err(if exists {
            DecideError::AlreadyResolved(d.item_id)
        } else {
            DecideError::NotFound(d.item_id)
        });
    };

    let detail = match d.note {
        "" => format!("{} item {}", d.decision.as_str(), d.item_id),
        note => format!("{} item {}: {note}", d.decision.as_str(), d.item_id),
    };
    history::append(
        &mut tx,
        NewEntry {
            at: d.at,
            actor: d.reviewer_name,
            kind: kind::REVIEW_DECIDED,
            reference_id: Some(&reference_id),
            detail,
        },
    )
    .await?;

    let payload = resolved_payload(
        d.item_id,
        &reference_id,
        d.decision.as_str(),
        d.note,
        d.reviewer_name,
        d.at,
    );
    let (score, categories): (f64, String) = sqlx::query_as(
        "SELECT e.score, e.categories FROM review_items r JOIN events e ON e.id = r.event_id \
         WHERE r.id = ?",
    )
    .bind(d.item_id)
    .fetch_one(&mut *tx)
    .await?;
    let resolved_to = relay.resolved_to(score, &parse_categories(&categories));
    for destination in &resolved_to {
        relay_jobs::enqueue_payload(
            &mut tx,
            destination,
            TOPIC_RESOLVED,
            Some(&reference_id),
            &payload,
            d.at,
        )
        .await?;
    }

    tx.commit().await?;
    Ok(Decided {
        reference_id,
        relayed: !resolved_to.is_empty(),
    })
}

#[derive(FromRow)]
struct DecisionRecord {
    id: i64,
    reference_id: String,
    decision: String,
    note: Option<String>,
    reviewer: Option<String>,
    opened_at: i64,
    decided_at: i64,
    score: f64,
    action: String,
}

/// Resolved items, newest decision first.
pub async fn decisions(pool: &SqlitePool, limit: i64) -> sqlx::Result<Vec<DecisionRow>> {
    let rows: Vec<DecisionRecord> = sqlx::query_as(
        "SELECT r.id, r.reference_id, r.decision, r.note, u.name AS reviewer, r.opened_at, \
                r.decided_at, e.score, e.action \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users u ON u.id = r.decided_by \
         WHERE r.status = 'resolved' ORDER BY r.decided_at DESC, r.id DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;

    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(DecisionRow {
                item_id: r.id,
                reference_id: r.reference_id,
                decision: Decision::parse(&r.decision)?,
                note: r.note.unwrap_or_default(),
                reviewer: r.reviewer.unwrap_or_default(),
                decided_at: format_time_ms(r.decided_at),
                time_to_decision: format_duration_ms(r.decided_at - r.opened_at),
                score: r.score,
                action: r.action,
            })
        })
        .collect())
}

fn parse_categories(json: &str) -> Vec<CategoryScore> {
    serde_json::from_str(json).unwrap_or_default()
}
