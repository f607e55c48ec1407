//! Overdue alerts: open items past their due time are marked once, and in the same `BEGIN
//! IMMEDIATE` transaction get a `review.overdue` relay job for each destination that wants it
//! and a history entry. The mark is what makes the alert happen once per item: a second check,
//! another worker or a restart finds nothing left to mark.

use crate::relay::{Relay, TOPIC_OVERDUE, overdue_payload};
use crate::store::history::{self, NewEntry, kind};
use crate::store::review::parse_categories;
use crate::store::{format_duration_ms, format_time_ms, relay_jobs};
use sqlx::{FromRow, SqlitePool};

/// Who the history names for alerts.
pub const ACTOR: &str = history::actor::MODDESK;

/// What one check did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Reference ids of the items alerted now.
    pub alerted: Vec<String>,
    /// Relay jobs queued for them.
    pub jobs: usize,
}

#[derive(FromRow)]
struct Overdue {
    id: i64,
    reference_id: String,
    score: f64,
    due_at: i64,
    categories: String,
}

/// Marks up to `limit` open items whose due time is at or before `now` and that have not
/// alerted yet, earliest due first, and queues their alerts. `public_url` makes the link to
/// each item.
pub async fn alert_due(
    pool: &SqlitePool,
    relay: &Relay,
    now: i64,
    public_url: &str,
    limit: i64,
) -> sqlx::Result<Checked> {
    // A read first: the check runs often, and most runs find nothing; the write lock is taken
    // only when there is something to mark.
    let any: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM review_items WHERE status = 'open' \
         AND overdue_alerted_at IS NULL AND due_at <= ?)",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    if !any {
        return Ok(Checked::default());
    }

    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let items: Vec<Overdue> = sqlx::query_as(
        "UPDATE review_items SET overdue_alerted_at = ?1 \
         WHERE id IN (SELECT id FROM review_items WHERE status = 'open' \
                      AND overdue_alerted_at IS NULL AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2) \
         RETURNING id, reference_id, score, due_at, \
                   (SELECT categories FROM events WHERE events.id = review_items.event_id) \
                       AS categories",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;

    let mut checked = Checked::default();
    for item in items {
        let categories = parse_categories(&item.categories);
        let link = format!("{public_url}/items/{}", item.id);
        let payload = overdue_payload(
            item.id,
            &item.reference_id,
            &categories,
            item.score,
            item.due_at,
            now,
            &link,
        );
        let destinations: Vec<String> = relay
            .for_event(TOPIC_OVERDUE, item.score, &categories)
            .map(|r| r.name.clone())
            .collect();
        for destination in &destinations {
            relay_jobs::enqueue_payload(
                &mut tx,
                destination,
                TOPIC_OVERDUE,
                Some(&item.reference_id),
                &payload,
                now,
            )
            .await?;
        }
        let sent_to = match destinations.as_slice() {
            [] => "no destination asks for review.overdue".to_owned(),
            names => format!("alert queued for {}", names.join(", ")),
        };
        history::append(
            &mut tx,
            NewEntry {
                at: now,
                actor: ACTOR,
                kind: kind::REVIEW_OVERDUE,
                reference_id: Some(&item.reference_id),
                detail: format!(
                    "item {} is overdue by {} (due {}); {sent_to}",
                    item.id,
                    format_duration_ms(now - item.due_at),
                    format_time_ms(item.due_at)
                ),
            },
        )
        .await?;
        checked.jobs += destinations.len();
        checked.alerted.push(item.reference_id);
    }
    tx.commit().await?;
    Ok(checked)
}
