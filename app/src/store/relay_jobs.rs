//! The relay outbox: jobs queued with the event or decision they are about, claimed by relay
//! workers under a lease, and finished as delivered or dead.

use crate::model::{CategoryScore, DeliveryJobRow, DestinationCounts};
use crate::store::format_time_ms;
use crate::store::history::{self, NewEntry};
use sqlx::{FromRow, SqliteConnection, SqlitePool};

/// History entry kinds written by the relay.
pub mod kind {
    pub const DELIVERED: &str = "relay.delivered";
    pub const RETRY: &str = "relay.retry";
    pub const DEAD: &str = "relay.dead";
    pub const REQUEUED: &str = "relay.requeued";
}

/// Queues an upstream event for a destination (once per destination and event). Parameters:
/// destination, topic, event row id, reference_id, now.
pub const ENQUEUE_EVENT_SQL: &str = "INSERT INTO relay_jobs \
     (destination, topic, event_id, reference_id, status, next_at, created_at) \
     VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5) ON CONFLICT DO NOTHING";

/// Queues a message whose body is `payload` (a decision or a test message), inside the caller's
/// transaction.
pub async fn enqueue_payload(
    conn: &mut SqliteConnection,
    destination: &str,
    topic: &str,
    reference_id: Option<&str>,
    payload: &str,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO relay_jobs (destination, topic, reference_id, payload, status, next_at, \
         created_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5) RETURNING id",
    )
    .bind(destination)
    .bind(topic)
    .bind(reference_id)
    .bind(payload)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Queues a `review.resolved` message of decision batch `batch`, held back until `send_at` (the
/// end of the undo window) so an undo can withdraw it with [`withdraw_batch`].
pub async fn enqueue_decision(
    conn: &mut SqliteConnection,
    destination: &str,
    reference_id: &str,
    payload: &str,
    batch: i64,
    now: i64,
    send_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO relay_jobs (destination, topic, reference_id, payload, status, next_at, \
         created_at, decision_batch) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
    )
    .bind(destination)
    .bind(crate::relay::TOPIC_RESOLVED)
    .bind(reference_id)
    .bind(payload)
    .bind(send_at)
    .bind(now)
    .bind(batch)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the unsent messages of an undone decision batch.
pub async fn withdraw_batch(conn: &mut SqliteConnection, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM relay_jobs WHERE decision_batch = ? AND status = 'pending' AND attempts = 0",
    )
    .bind(batch)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the unsent messages of decision batch `batch` about one reference id: an item of the
/// batch was reopened before they went out, so its decision no longer stands.
pub async fn withdraw_item(
    conn: &mut SqliteConnection,
    batch: i64,
    reference_id: &str,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM relay_jobs WHERE decision_batch = ? AND reference_id = ? \
         AND status = 'pending' AND attempts = 0",
    )
    .bind(batch)
    .bind(reference_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A job a worker holds until its lease ends.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    pub destination: String,
    pub topic: String,
    pub event_id: Option<i64>,
    pub reference_id: Option<String>,
    pub payload: Option<String>,
    /// Attempts including this one.
    pub attempts: i64,
}

/// Claims up to `limit` due jobs of `destination` until `lease_until`. One statement, so two
/// workers never hold the same job.
pub async fn claim(
    pool: &SqlitePool,
    destination: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedJob>> {
    // A read first: an idle destination polls often, and an UPDATE would take the write lock
    // the ingest writer needs even when it changes nothing.
    let due: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM relay_jobs WHERE destination = ? AND status = 'pending' \
         AND next_at <= ? AND leased_until <= ?)",
    )
    .bind(destination)
    .bind(now)
    .bind(now)
    .fetch_one(pool)
    .await?;
    if !due {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "UPDATE relay_jobs SET leased_until = ?3, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM relay_jobs WHERE destination = ?1 AND status = 'pending' \
                      AND next_at <= ?2 AND leased_until <= ?2 ORDER BY next_at, id LIMIT ?4) \
         RETURNING id, destination, topic, event_id, reference_id, payload, attempts",
    )
    .bind(destination)
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What a relay message about an upstream event needs from it.
#[derive(Debug, Clone)]
pub struct EventFacts {
    pub event_id: String,
    pub event_type: String,
    pub reference_id: String,
    pub action: String,
    pub score: f64,
    pub categories: Vec<CategoryScore>,
    pub excerpt: Option<String>,
    pub created_at: i64,
    pub body: Vec<u8>,
    /// The review item for the event's reference id, when there is one.
    pub item_id: Option<i64>,
}

#[derive(FromRow)]
struct FactsRecord {
    event_id: String,
    event_type: String,
    reference_id: String,
    action: String,
    score: f64,
    categories: String,
    excerpt: Option<String>,
    created_at: i64,
    body: Vec<u8>,
    item_id: Option<i64>,
}

/// The stored event `event_row_id`, or `None` when there is none.
pub async fn event_facts(pool: &SqlitePool, event_row_id: i64) -> sqlx::Result<Option<EventFacts>> {
    let record: Option<FactsRecord> = sqlx::query_as(
        "SELECT e.event_id, e.event_type, e.reference_id, e.action, e.score, e.categories, \
                e.excerpt, e.created_at, e.body, \
                (SELECT r.id FROM review_items r WHERE r.reference_id = e.reference_id \
                 ORDER BY r.id DESC LIMIT 1) AS item_id \
         FROM events e WHERE e.id = ?",
    )
    .bind(event_row_id)
    .fetch_optional(pool)
    .await?;

    Ok(record.map(|r| EventFacts {
        event_id: r.event_id,
        event_type: r.event_type,
        reference_id: r.reference_id,
        action: r.action,
        score: r.score,
        categories: serde_json::from_str(&r.categories).unwrap_or_default(),
        excerpt: r.excerpt,
        created_at: r.created_at,
        body: r.body,
        item_id: r.item_id,
    }))
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answered 2xx.
    Delivered { status: u16 },
    /// Failed for now; tried again at `next_at`.
    Retry {
        status: Option<u16>,
        error: String,
        next_at: i64,
    },
    /// Failed for good: refused, or out of retries.
    Dead { status: Option<u16>, error: String },
}

/// Records an attempt's outcome on its job and in the history, in one transaction.
pub async fn finish_attempt(
    pool: &SqlitePool,
    job: &ClaimedJob,
    outcome: &Outcome,
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let (status, last_status, last_error, next_at, history_kind, detail) = match outcome {
        Outcome::Delivered { status } => (
            "delivered",
            Some(*status),
            None,
            None,
            kind::DELIVERED,
            format!("answered {status}"),
        ),
        Outcome::Retry {
            status,
            error,
            next_at,
        } => (
            "pending",
            *status,
            Some(error.as_str()),
            Some(*next_at),
            kind::RETRY,
            format!("{error}; next attempt at {}", format_time_ms(*next_at)),
        ),
        Outcome::Dead { status, error } => (
            "dead",
            *status,
            Some(error.as_str()),
            None,
            kind::DEAD,
            format!("{error}; no more attempts"),
        ),
    };

    sqlx::query(
        "UPDATE relay_jobs SET status = ?, last_status = ?, last_error = ?, \
         next_at = COALESCE(?, next_at), leased_until = 0, \
         finished_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END WHERE id = ?",
    )
    .bind(status)
    .bind(last_status)
    .bind(last_error)
    .bind(next_at)
    .bind(status)
    .bind(now)
    .bind(job.id)
    .execute(&mut *tx)
    .await?;

    history::append(
        &mut tx,
        NewEntry {
            at: now,
            actor: history::actor::RELAY,
            kind: history_kind,
            reference_id: job.reference_id.as_deref(),
            detail: format!(
                "{} to {} (job {}, attempt {}): {detail}",
                job.topic, job.destination, job.id, job.attempts
            ),
        },
    )
    .await?;
    tx.commit().await
}

/// The destination of job `job_id`, if there is such a job.
pub async fn destination_of(pool: &SqlitePool, job_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT destination FROM relay_jobs WHERE id = ?")
        .bind(job_id)
        .fetch_optional(pool)
        .await
}

/// Puts a dead job back in the queue, due now, with its attempts reset. Returns whether there
/// was such a dead job.
pub async fn requeue_dead(
    pool: &SqlitePool,
    job_id: i64,
    actor: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let requeued: Option<(String, String, Option<String>)> = sqlx::query_as(
        "UPDATE relay_jobs SET status = 'pending', attempts = 0, next_at = ?, leased_until = 0, \
         finished_at = NULL WHERE id = ? AND status = 'dead' \
         RETURNING topic, destination, reference_id",
    )
    .bind(now)
    .bind(job_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((topic, destination, reference_id)) = requeued else {
        return Ok(false);
    };

    history::append(
        &mut tx,
        NewEntry {
            at: now,
            actor,
            kind: kind::REQUEUED,
            reference_id: reference_id.as_deref(),
            detail: format!("{topic} to {destination} (job {job_id}) queued again"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Pending, delivered and dead jobs per destination name.
pub async fn counts(pool: &SqlitePool) -> sqlx::Result<Vec<DestinationCounts>> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT destination, \
                SUM(status = 'pending'), SUM(status = 'delivered'), SUM(status = 'dead') \
         FROM relay_jobs GROUP BY destination",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(destination, pending, delivered, dead)| DestinationCounts {
                destination,
                pending,
                delivered,
                dead,
            },
        )
        .collect())
}

#[derive(FromRow)]
struct JobRecord {
    id: i64,
    destination: String,
    topic: String,
    reference_id: Option<String>,
    status: String,
    attempts: i64,
    next_at: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
}

/// The newest jobs that are not delivered (dead first), then the newest delivered ones.
pub async fn recent(pool: &SqlitePool, limit: i64) -> sqlx::Result<Vec<DeliveryJobRow>> {
    let rows: Vec<JobRecord> = sqlx::query_as(
        "SELECT id, destination, topic, reference_id, status, attempts, next_at, last_status, \
                last_error, created_at FROM relay_jobs \
         ORDER BY CASE status WHEN 'dead' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, id DESC \
         LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeliveryJobRow {
            id: r.id,
            destination: r.destination,
            topic: r.topic,
            reference_id: r.reference_id,
            next_attempt: (r.status == "pending").then(|| format_time_ms(r.next_at)),
            status: r.status,
            attempts: r.attempts,
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: format_time_ms(r.created_at),
        })
        .collect())
}
