//! Review items as pages read them: the filtered queue and one item with its timeline. The
//! resolved decisions are in `store::decisions`; what changes items (claims, decisions, undo) is
//! in `store::workflow`.

use crate::model::{
    CategoryScore, Claim, Decision, ItemDetail, QueueFilter, QueueRow, Resolution, TimelineEntry,
};
use crate::store::format_time_ms;
use crate::workflow::Workflow;
use sqlx::{FromRow, QueryBuilder, Sqlite, SqlitePool};

/// What the ingest writer needs to know before it opens or refreshes the review item of a
/// reference id: the open item's id and the `created_at` of the event it holds, and whether
/// content was already decided on an event at least as new as the incoming one. Parameters:
/// reference_id, the incoming event's `created_at`.
///
/// Opening and refreshing are single-row statements chosen in Rust from this answer. One
/// `INSERT ... SELECT ... ON CONFLICT` did the same in SQL, but SQLite gives such a statement a
/// statement journal, copying every page it touches (the item and each of its indexes) once more.
///
/// The decided check names its index: left to itself, SQLite's planner took the index of all
/// decisions by time and read every resolved item for each incoming event.
pub const OPEN_ITEM_SQL: &str = "SELECT o.id, oe.created_at, EXISTS ( \
        SELECT 1 FROM review_items d INDEXED BY review_items_decided_reference \
        JOIN events de ON de.id = d.event_id \
        WHERE d.reference_id = ?1 AND d.status = 'resolved' AND de.created_at >= ?2) \
     FROM (SELECT 1) LEFT JOIN review_items o ON o.reference_id = ?1 AND o.status = 'open' \
     LEFT JOIN events oe ON oe.id = o.event_id";

/// Opens a review item. Parameters: reference_id, event row id, now, score, due_at.
pub const OPEN_SQL: &str = "INSERT INTO review_items \
     (reference_id, event_id, status, opened_at, score, due_at) VALUES (?, ?, 'open', ?, ?, ?)";

/// Points an open item at a newer event: raises its version (a decision on the old view is
/// refused) and can only bring the due time forward. Parameters: event row id, score, due_at,
/// item id.
pub const REFRESH_SQL: &str = "UPDATE review_items SET event_id = ?1, score = ?2, \
     due_at = MIN(due_at, ?3), version = version + 1 WHERE id = ?4 AND status = 'open'";

/// How an incoming review event changes the queue, from the answer to [`OPEN_ITEM_SQL`]: an
/// older event (by the upstream's `created_at`) never replaces a newer one, and never reopens
/// content already decided on an event at least as new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemChange {
    /// No open item and nothing decided on a newer event: open one.
    Open,
    /// The open item with this id holds an older (or equally old) event: point it at this one.
    Refresh(i64),
    /// The event is older than what the queue already reflects: recorded, nothing changes.
    Keep,
}

impl ItemChange {
    /// `open` is the open item's id with its event's `created_at`; `decided_newer` whether a
    /// resolved item holds an event at least as new as this one, created at `created_at`.
    pub fn for_event(created_at: i64, open: Option<(i64, i64)>, decided_newer: bool) -> Self {
        match open {
            _ if decided_newer => ItemChange::Keep,
            Some((id, held)) if created_at >= held => ItemChange::Refresh(id),
            Some(_) => ItemChange::Keep,
            None => ItemChange::Open,
        }
    }
}

/// Rows on one queue page.
pub const QUEUE_PAGE_ROWS: i64 = 50;

#[derive(FromRow)]
struct QueueRecord {
    id: i64,
    reference_id: String,
    score: f64,
    neg_score: f64,
    categories: String,
    excerpt: Option<String>,
    opened_at: i64,
    due_at: i64,
    due_minute: i64,
    claimed_by: Option<i64>,
    claimer: Option<String>,
    claimed_until: Option<i64>,
    escalator: Option<String>,
    version: i64,
}

/// The sort orders of the queue: the columns compared, and whether they run downwards.
#[derive(Clone, Copy)]
enum Sort {
    Urgent,
    Newest,
    Oldest,
    Score,
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        match s {
            "" | "urgent" => Some(Sort::Urgent),
            "newest" => Some(Sort::Newest),
            "oldest" => Some(Sort::Oldest),
            "score" => Some(Sort::Score),
            _ => None,
        }
    }

    /// `(columns, comparison past the cursor, ORDER BY)`. Each order is served by an index, and
    /// the cursor comparison is a row value over the same columns, so a page deep in a long
    /// queue costs the same as the first.
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Sort::Urgent => (
                "(r.due_minute, r.neg_score, r.opened_at, r.id)",
                ">",
                "r.due_minute, r.neg_score, r.opened_at, r.id",
            ),
            Sort::Newest => ("(r.opened_at, r.id)", "<", "r.opened_at DESC, r.id DESC"),
            Sort::Oldest => ("(r.opened_at, r.id)", ">", "r.opened_at, r.id"),
            Sort::Score => ("(r.score, r.id)", "<", "r.score DESC, r.id DESC"),
        }
    }

    /// The cursor after `row`: the values of the sort columns, as text.
    fn cursor(self, row: &QueueRecord) -> String {
        match self {
            Sort::Urgent => format!(
                "{}:{}:{}:{}",
                row.due_minute, row.neg_score, row.opened_at, row.id
            ),
            Sort::Newest | Sort::Oldest => format!("{}:{}", row.opened_at, row.id),
            Sort::Score => format!("{}:{}", row.score, row.id),
        }
    }
}

/// A cursor value: integers stay integers so SQLite compares them as the index stores them.
enum CursorValue {
    Int(i64),
    Real(f64),
}

fn parse_cursor(sort: Sort, text: &str) -> Option<Vec<CursorValue>> {
    let parts: Vec<&str> = text.split(':').collect();
    let int = |s: &str| s.parse::<i64>().ok().map(CursorValue::Int);
    let real = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(CursorValue::Real)
    };
    match (sort, parts.as_slice()) {
        (Sort::Urgent, [due, neg, opened, id]) => {
            Some(vec![int(due)?, real(neg)?, int(opened)?, int(id)?])
        }
        (Sort::Newest | Sort::Oldest, [opened, id]) => Some(vec![int(opened)?, int(id)?]),
        (Sort::Score, [score, id]) => Some(vec![real(score)?, int(id)?]),
        _ => None,
    }
}

/// Why a queue filter was refused.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One page of open items matching `filter`, the cursor of the next page, and how many match.
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub next: Option<String>,
    pub matching: i64,
}

/// Open items matching `filter`, one page, as `user_id` sees them.
pub async fn queue_page(
    pool: &SqlitePool,
    filter: &QueueFilter,
    user_id: i64,
    now: i64,
    workflow: &Workflow,
) -> Result<QueuePage, FilterError> {
    let sort = Sort::parse(filter.sort.trim())
        .ok_or_else(|| FilterError::Invalid(format!("Unknown sort {:?}.", filter.sort)))?;
    let cursor = match filter.after.trim() {
        "" => None,
        text => Some(parse_cursor(sort, text).ok_or_else(|| {
            FilterError::Invalid("That page link is not valid; start from the first page.".into())
        })?),
    };

    let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM review_items r ");
    push_filter(&mut count, filter, user_id, now)?;
    let matching: i64 = count.build_query_scalar().fetch_one(pool).await?;

    let (columns, past, order) = sort.sql();
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT r.id, r.reference_id, r.score, r.neg_score, e.categories, e.excerpt, \
                r.opened_at, r.due_at, r.due_minute, r.claimed_by, c.name AS claimer, r.claimed_until, \
                x.name AS escalator, r.version \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users c ON c.id = r.claimed_by \
         LEFT JOIN users x ON x.id = r.escalated_by ",
    );
    push_filter(&mut query, filter, user_id, now)?;
    if let Some(values) = cursor {
        query.push(format!(" AND {columns} {past} ("));
        let mut separated = query.separated(", ");
        for value in values {
            match value {
                CursorValue::Int(v) => separated.push_bind(v),
                CursorValue::Real(v) => separated.push_bind(v),
            };
        }
        query.push(")");
    }
    query.push(format!(" ORDER BY {order} LIMIT "));
    query.push_bind(QUEUE_PAGE_ROWS + 1);
    let mut records: Vec<QueueRecord> = query.build_query_as().fetch_all(pool).await?;

    let next = if records.len() as i64 > QUEUE_PAGE_ROWS {
        records.truncate(QUEUE_PAGE_ROWS as usize);
        records.last().map(|r| sort.cursor(r))
    } else {
        None
    };
    let rows = records
        .into_iter()
        .map(|r| {
            let categories = parse_categories(&r.categories);
            let sensitive = workflow.is_sensitive(&categories);
            QueueRow {
                id: r.id,
                reference_id: r.reference_id,
                score: r.score,
                excerpt: if sensitive { None } else { r.excerpt },
                sensitive,
                categories,
                opened_at_ms: r.opened_at,
                due_at_ms: r.due_at,
                claim: live_claim(r.claimer, r.claimed_by, r.claimed_until, user_id, now),
                escalated_by: r.escalator,
                version: r.version,
            }
        })
        .collect();
    Ok(QueuePage {
        rows,
        next,
        matching,
    })
}

/// Appends the WHERE clause of `filter` (without cursor) to `query`.
fn push_filter(
    query: &mut QueryBuilder<'_, Sqlite>,
    filter: &QueueFilter,
    user_id: i64,
    now: i64,
) -> Result<(), FilterError> {
    query.push("WHERE r.status = 'open'");

    let category = filter.category.trim();
    if !category.is_empty() {
        query.push(" AND r.event_id IN (SELECT event_id FROM event_categories WHERE name = ");
        query.push_bind(category.to_owned());
        query.push(")");
    }

    push_band(query, &filter.band)?;

    let hour = 3_600_000;
    match filter.age.trim() {
        "" => {}
        "new" => {
            query.push(" AND r.opened_at > ").push_bind(now - hour);
        }
        "1h" => {
            query.push(" AND r.opened_at <= ").push_bind(now - hour);
        }
        "24h" => {
            query
                .push(" AND r.opened_at <= ")
                .push_bind(now - 24 * hour);
        }
        "7d" => {
            query
                .push(" AND r.opened_at <= ")
                .push_bind(now - 7 * 24 * hour);
        }
        other => return Err(FilterError::Invalid(format!("Unknown age {other:?}."))),
    }

    match filter.claimed.trim() {
        "" => {}
        "yes" => {
            query.push(" AND r.claimed_until > ").push_bind(now);
        }
        "no" => {
            query
                .push(" AND (r.claimed_until IS NULL OR r.claimed_until <= ")
                .push_bind(now)
                .push(")");
        }
        "mine" => {
            query
                .push(" AND r.claimed_by = ")
                .push_bind(user_id)
                .push(" AND r.claimed_until > ")
                .push_bind(now);
        }
        other => {
            return Err(FilterError::Invalid(format!(
                "Unknown claim filter {other:?}."
            )));
        }
    }

    match filter.escalated.trim() {
        "" => {}
        "only" => {
            query.push(" AND r.escalated_at IS NOT NULL");
        }
        "hide" => {
            query.push(" AND r.escalated_at IS NULL");
        }
        other => {
            return Err(FilterError::Invalid(format!(
                "Unknown escalation filter {other:?}."
            )));
        }
    }

    let reference = filter.reference.trim();
    if !reference.is_empty() {
        // A prefix as a range, so the reference index answers it.
        query
            .push(" AND r.reference_id >= ")
            .push_bind(reference.to_owned())
            .push(" AND r.reference_id < ")
            .push_bind(format!("{reference}\u{10FFFF}"));
    }
    Ok(())
}

/// Appends the condition of score band `band` (`high`, `mid`, `low`, or empty for any) on the
/// items aliased `r`.
pub(crate) fn push_band(
    query: &mut QueryBuilder<'_, Sqlite>,
    band: &str,
) -> Result<(), FilterError> {
    match band.trim() {
        "" => {}
        "high" => {
            query.push(" AND r.score >= 0.8");
        }
        "mid" => {
            query.push(" AND r.score >= 0.5 AND r.score < 0.8");
        }
        "low" => {
            query.push(" AND r.score < 0.5");
        }
        other => {
            return Err(FilterError::Invalid(format!(
                "Unknown score band {other:?}."
            )));
        }
    }
    Ok(())
}

/// The claim as the caller sees it, if it has not run out.
fn live_claim(
    by: Option<String>,
    by_id: Option<i64>,
    until: Option<i64>,
    user_id: i64,
    now: i64,
) -> Option<Claim> {
    match (by, by_id, until) {
        (Some(by), Some(by_id), Some(until)) if until > now => Some(Claim {
            by,
            until_ms: until,
            mine: by_id == user_id,
        }),
        _ => None,
    }
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
    due_at: i64,
    decision: Option<String>,
    reason: Option<String>,
    note: Option<String>,
    reviewer: Option<String>,
    decided_at: Option<i64>,
    claimed_by: Option<i64>,
    claimer: Option<String>,
    claimed_until: Option<i64>,
    escalator: Option<String>,
    version: i64,
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

/// What the item page needs beyond the item: who asks, and what they may do.
pub struct Viewer {
    pub user_id: i64,
    pub decides_escalated: bool,
    pub reopens: bool,
}

/// One item with its newest event and timeline, or `None` when there is no such item.
pub async fn item(
    pool: &SqlitePool,
    id: i64,
    viewer: &Viewer,
    now: i64,
    workflow: &Workflow,
) -> sqlx::Result<Option<ItemDetail>> {
    let record: Option<ItemRecord> = sqlx::query_as(
        "SELECT r.id, r.reference_id, r.status, r.opened_at, r.due_at, r.decision, r.reason, \
                r.note, u.name AS reviewer, r.decided_at, r.claimed_by, c.name AS claimer, \
                r.claimed_until, x.name AS escalator, r.version, e.event_id, e.event_type, \
                e.action, e.score, e.categories, e.content_kind, e.excerpt, e.content_url, \
                e.subject, e.created_at, e.body \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users u ON u.id = r.decided_by \
         LEFT JOIN users c ON c.id = r.claimed_by \
         LEFT JOIN users x ON x.id = r.escalated_by WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = record else {
        return Ok(None);
    };
    let timeline = timeline(pool, &r.reference_id).await?;

    let resolution = match (
        r.decision.as_deref().and_then(Decision::parse),
        r.decided_at,
    ) {
        (Some(decision), Some(at)) => Some(Resolution {
            decision,
            reason: r.reason.unwrap_or_default(),
            note: r.note.unwrap_or_default(),
            reviewer: r.reviewer.unwrap_or_default(),
            decided_at: format_time_ms(at),
        }),
        _ => None,
    };
    let open = r.status == "open";
    let categories = parse_categories(&r.categories);
    let sensitive = workflow.is_sensitive(&categories);
    Ok(Some(ItemDetail {
        id: r.id,
        upstream_link: workflow.upstream_link(&r.reference_id),
        reference_id: r.reference_id,
        open,
        event_id: r.event_id,
        event_type: r.event_type,
        action: r.action,
        score: r.score,
        categories,
        content_kind: r.content_kind,
        excerpt: if sensitive { None } else { r.excerpt },
        sensitive,
        content_url: r.content_url,
        subject: r.subject,
        created_at: format_time_ms(r.created_at),
        opened_at: format_time_ms(r.opened_at),
        now_ms: now,
        opened_at_ms: r.opened_at,
        due_at_ms: r.due_at,
        claim: live_claim(
            r.claimer,
            r.claimed_by,
            r.claimed_until,
            viewer.user_id,
            now,
        ),
        can_decide: open && (r.escalator.is_none() || viewer.decides_escalated),
        can_reopen: !open && viewer.reopens,
        escalated_by: r.escalator,
        version: r.version,
        resolution,
        raw_body: (!sensitive).then(|| String::from_utf8_lossy(&r.body).into_owned()),
        timeline,
        reason_codes: workflow.reason_codes.clone(),
        undo: None,
    }))
}

/// Most timeline entries shown for one reference id (the newest ones).
const TIMELINE_ROWS: i64 = 500;

/// Every history entry about `reference_id`: upstream events as received and every action.
async fn timeline(pool: &SqlitePool, reference_id: &str) -> sqlx::Result<Vec<TimelineEntry>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT at, actor, kind, detail FROM (SELECT id, at, actor, kind, detail FROM history \
         WHERE reference_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
    )
    .bind(reference_id)
    .bind(TIMELINE_ROWS)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, kind, detail)| TimelineEntry {
            at: format_time_ms(at),
            actor,
            kind,
            detail,
        })
        .collect())
}

/// The excerpt and raw body of an item, for a reveal. `None` when there is no such item.
pub async fn content(
    pool: &SqlitePool,
    id: i64,
) -> sqlx::Result<Option<(String, Option<String>, Vec<u8>)>> {
    sqlx::query_as(
        "SELECT r.reference_id, e.excerpt, e.body FROM review_items r \
         JOIN events e ON e.id = r.event_id WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The categories column as stored (JSON); an unreadable value reads as none.
pub fn parse_categories(json: &str) -> Vec<CategoryScore> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::ItemChange;

    #[test]
    fn a_review_event_opens_an_item_when_none_is_open_and_nothing_newer_was_decided() {
        assert_eq!(ItemChange::for_event(100, None, false), ItemChange::Open);
    }

    #[test]
    fn an_event_at_least_as_new_refreshes_the_open_item() {
        assert_eq!(
            ItemChange::for_event(100, Some((7, 90)), false),
            ItemChange::Refresh(7)
        );
        assert_eq!(
            ItemChange::for_event(100, Some((7, 100)), false),
            ItemChange::Refresh(7)
        );
    }

    #[test]
    fn an_older_event_changes_nothing() {
        assert_eq!(
            ItemChange::for_event(80, Some((7, 90)), false),
            ItemChange::Keep
        );
        // Content decided on an event at least as new is not reopened, nor is an open item
        // refreshed past that decision.
        assert_eq!(ItemChange::for_event(80, None, true), ItemChange::Keep);
        assert_eq!(
            ItemChange::for_event(100, Some((7, 90)), true),
            ItemChange::Keep
        );
    }
}
