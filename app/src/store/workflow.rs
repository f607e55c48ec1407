//! Changing review items: claims, verdicts on one item or many at once (approve, remove,
//! escalate), undo, reopening and reveals. Every change is checked and written in one
//! `BEGIN IMMEDIATE` transaction with its history entries and relay jobs, so a refused change
//! writes nothing and two people can never both win one item.

use crate::model::{Role, UndoOffer, Verdict};
use crate::relay::{Relay, resolved_payload};
use crate::store::history::{self, NewEntry, kind};
use crate::store::review::parse_categories;
use crate::store::{format_duration_ms, relay_jobs};
use crate::workflow::Workflow;
use sqlx::{FromRow, SqliteConnection, SqlitePool};

/// Most items one bulk decision may change.
pub const MAX_BULK: usize = 200;

/// Who is acting.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: i64,
    pub name: &'a str,
    pub role: Role,
}

impl Actor<'_> {
    /// Managers and admins decide escalated items and reopen resolved ones.
    pub fn is_manager(&self) -> bool {
        self.role >= Role::Manager
    }
}

/// Why a change was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("There is no review item {0}.")]
    NotFound(i64),
    /// Someone else got there first, or the item changed: the message says what happened.
    #[error("{0}")]
    Conflict(String),
    /// The role does not allow it (for example a reviewer deciding an escalated item).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// One item to act on, with the version the caller saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub item_id: i64,
    pub version: i64,
}

/// A verdict to record on one or more items.
pub struct NewVerdict<'a> {
    pub targets: &'a [Target],
    pub verdict: Verdict,
    /// A reason code, or empty. Required to remove.
    pub reason: &'a str,
    pub note: &'a str,
    pub at: i64,
}

/// What recording a verdict did.
#[derive(Debug)]
pub struct Recorded {
    pub batch: i64,
    pub undo_until: i64,
    pub reference_ids: Vec<String>,
    /// Whether `review.resolved` messages were queued.
    pub relayed: bool,
}

#[derive(FromRow)]
struct ItemState {
    reference_id: String,
    status: String,
    version: i64,
    claimed_by: Option<i64>,
    claimer: Option<String>,
    claimed_until: Option<i64>,
    escalated: bool,
    score: f64,
    categories: String,
}

async fn item_state(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<Option<ItemState>> {
    sqlx::query_as(
        "SELECT r.reference_id, r.status, r.version, r.claimed_by, c.name AS claimer, \
                r.claimed_until, r.escalated_at IS NOT NULL AS escalated, r.score, e.categories \
         FROM review_items r JOIN events e ON e.id = r.event_id \
         LEFT JOIN users c ON c.id = r.claimed_by WHERE r.id = ?",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

impl ItemState {
    /// Whether `actor` may work on the item now: it is open, nobody else holds it, and it is
    /// not escalated unless `actor` is a manager.
    fn workable_by(&self, actor: Actor<'_>, now: i64) -> Result<(), WorkflowError> {
        if self.status != "open" {
            return Err(WorkflowError::Conflict(format!(
                "{} was decided already; nothing was changed.",
                self.reference_id
            )));
        }
        if let Some(conflict) = self.held_by_other(actor.id, now) {
            return Err(conflict);
        }
        if self.escalated && !actor.is_manager() {
            return Err(WorkflowError::Forbidden(format!(
                "{} is escalated: a manager decides it.",
                self.reference_id
            )));
        }
        Ok(())
    }

    /// The conflict when someone other than `user_id` holds a live claim.
    fn held_by_other(&self, user_id: i64, now: i64) -> Option<WorkflowError> {
        match (self.claimed_by, self.claimed_until) {
            (Some(by), Some(until)) if by != user_id && until > now => {
                Some(WorkflowError::Conflict(format!(
                    "{} is being worked on by {} (claim ends in {}); nothing was changed.",
                    self.reference_id,
                    self.claimer.as_deref().unwrap_or("someone else"),
                    format_duration_ms(until - now)
                )))
            }
            _ => None,
        }
    }
}

/// Records `v` on every target, or on none: any target that is resolved, changed since the
/// caller loaded it, held by someone else, or escalated (for a reviewer) refuses the whole
/// verdict. Decisions queue `review.resolved` messages that wait out the undo window.
pub async fn record_verdict(
    pool: &SqlitePool,
    actor: Actor<'_>,
    v: NewVerdict<'_>,
    workflow: &Workflow,
    relay: &Relay,
) -> Result<Recorded, WorkflowError> {
    check_verdict(&v, workflow)?;
    let undo_until = v.at + workflow.undo_ms;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;

    let batch_kind = match v.verdict {
        Verdict::Escalate => "escalate",
        Verdict::Approve | Verdict::Remove => "decide",
    };
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO decision_batches (user_id, kind, at, items, undo_until) \
         VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(actor.id)
    .bind(batch_kind)
    .bind(v.at)
    .bind(v.targets.len() as i64)
    .bind(undo_until)
    .fetch_one(&mut *tx)
    .await?;

    let mut reference_ids = Vec::with_capacity(v.targets.len());
    let mut relayed = false;
    for target in v.targets {
        let state = checked_state(&mut tx, actor, target, v.verdict, v.at).await?;
        apply_verdict(&mut tx, actor, target.item_id, &v, batch).await?;

        if let Some(decision) = v.verdict.decision() {
            let payload = resolved_payload(
                target.item_id,
                &state.reference_id,
                decision.as_str(),
                v.reason,
                v.note,
                actor.name,
                v.at,
            );
            let categories = parse_categories(&state.categories);
            for destination in relay.resolved_to(state.score, &categories) {
                relay_jobs::enqueue_decision(
                    &mut tx,
                    &destination,
                    &state.reference_id,
                    &payload,
                    batch,
                    v.at,
                    undo_until,
                )
                .await?;
                relayed = true;
            }
        }
        reference_ids.push(state.reference_id);
    }

    tx.commit().await?;
    Ok(Recorded {
        batch,
        undo_until,
        reference_ids,
        relayed,
    })
}

fn check_verdict(v: &NewVerdict<'_>, workflow: &Workflow) -> Result<(), WorkflowError> {
    if v.targets.is_empty() {
        return Err(WorkflowError::Invalid("Select at least one item.".into()));
    }
    if v.targets.len() > MAX_BULK {
        return Err(WorkflowError::Invalid(format!(
            "At most {MAX_BULK} items can be decided at once."
        )));
    }
    let mut ids: Vec<i64> = v.targets.iter().map(|t| t.item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != v.targets.len() {
        return Err(WorkflowError::Invalid("An item was selected twice.".into()));
    }
    if v.verdict == Verdict::Remove && v.reason.is_empty() {
        return Err(WorkflowError::Invalid(
            "Choose a reason code to remove content.".into(),
        ));
    }
    if v.verdict == Verdict::Escalate && !v.reason.is_empty() {
        return Err(WorkflowError::Invalid(
            "Escalating takes no reason code; say why in the note.".into(),
        ));
    }
    if !v.reason.is_empty() && !workflow.knows_reason(v.reason) {
        return Err(WorkflowError::Invalid(format!(
            "{:?} is not a reason code; use one of: {}.",
            v.reason,
            workflow.reason_codes.join(", ")
        )));
    }
    Ok(())
}

/// The item's state, if `actor` may give it `verdict` now.
async fn checked_state(
    conn: &mut SqliteConnection,
    actor: Actor<'_>,
    target: &Target,
    verdict: Verdict,
    now: i64,
) -> Result<ItemState, WorkflowError> {
    let state = item_state(conn, target.item_id)
        .await?
        .ok_or(WorkflowError::NotFound(target.item_id))?;
    if state.status == "open" && state.version != target.version {
        return Err(WorkflowError::Conflict(format!(
            "{} changed since you loaded it (a newer event, a decision or an escalation); \
             reload to see the change. Nothing was changed.",
            state.reference_id
        )));
    }
    state.workable_by(actor, now)?;
    if state.escalated && verdict == Verdict::Escalate {
        return Err(WorkflowError::Conflict(format!(
            "{} is escalated already.",
            state.reference_id
        )));
    }
    Ok(state)
}

async fn apply_verdict(
    conn: &mut SqliteConnection,
    actor: Actor<'_>,
    item_id: i64,
    v: &NewVerdict<'_>,
    batch: i64,
) -> sqlx::Result<()> {
    let reason = (!v.reason.is_empty()).then_some(v.reason);
    let reference_id: String =
        match v.verdict.decision() {
            Some(decision) => sqlx::query_scalar(
                "UPDATE review_items SET status = 'resolved', decision = ?, reason = ?, note = ?, \
             decided_by = ?, decided_at = ?, claimed_by = NULL, claimed_until = NULL, \
             version = version + 1, decision_batch = ? WHERE id = ? RETURNING reference_id",
            )
            .bind(decision.as_str())
            .bind(reason)
            .bind(v.note)
            .bind(actor.id)
            .bind(v.at)
            .bind(batch)
            .bind(item_id)
            .fetch_one(&mut *conn)
            .await?,
            None => sqlx::query_scalar(
                "UPDATE review_items SET escalated_at = ?, escalated_by = ?, claimed_by = NULL, \
             claimed_until = NULL, version = version + 1, decision_batch = ? WHERE id = ? \
             RETURNING reference_id",
            )
            .bind(v.at)
            .bind(actor.id)
            .bind(batch)
            .bind(item_id)
            .fetch_one(&mut *conn)
            .await?,
        };

    let mut detail = format!("{} item {item_id}", v.verdict.as_str());
    if let Some(reason) = reason {
        detail.push_str(&format!(" ({reason})"));
    }
    if !v.note.is_empty() {
        detail.push_str(&format!(": {}", v.note));
    }
    let entry_kind = match v.verdict {
        Verdict::Escalate => kind::REVIEW_ESCALATED,
        Verdict::Approve | Verdict::Remove => kind::REVIEW_DECIDED,
    };
    history::append(
        conn,
        NewEntry {
            at: v.at,
            actor: actor.name,
            kind: entry_kind,
            reference_id: Some(&reference_id),
            detail,
        },
    )
    .await
}

/// Hands `actor` the most urgent open item nobody holds (due minute, then score, then age) and
/// returns its id; an item `actor` already holds comes first. Reviewers are never handed
/// escalated items. `None` when there is nothing to claim.
pub async fn claim_next(
    pool: &SqlitePool,
    actor: Actor<'_>,
    now: i64,
    workflow: &Workflow,
) -> Result<Option<i64>, WorkflowError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let escalated_ok = actor.is_manager();

    let held: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM review_items WHERE status = 'open' AND claimed_by = ? \
         AND claimed_until > ? ORDER BY due_minute, neg_score, opened_at, id LIMIT 1",
    )
    .bind(actor.id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if held.is_some() {
        return Ok(held);
    }

    let claimed: Option<(i64, String)> = sqlx::query_as(
        "UPDATE review_items SET claimed_by = ?1, claimed_until = ?2 WHERE id = ( \
             SELECT id FROM review_items WHERE status = 'open' \
             AND (claimed_until IS NULL OR claimed_until <= ?3) \
             AND (?4 OR escalated_at IS NULL) \
             ORDER BY due_minute, neg_score, opened_at, id LIMIT 1) \
         RETURNING id, reference_id",
    )
    .bind(actor.id)
    .bind(now + workflow.claim_ms)
    .bind(now)
    .bind(escalated_ok)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, reference_id)) = claimed else {
        return Ok(None);
    };
    claim_entry(&mut tx, actor, id, &reference_id, now, workflow).await?;
    tx.commit().await?;
    Ok(Some(id))
}

async fn claim_entry(
    conn: &mut SqliteConnection,
    actor: Actor<'_>,
    id: i64,
    reference_id: &str,
    now: i64,
    workflow: &Workflow,
) -> sqlx::Result<()> {
    history::append(
        conn,
        NewEntry {
            at: now,
            actor: actor.name,
            kind: kind::REVIEW_CLAIMED,
            reference_id: Some(reference_id),
            detail: format!(
                "claimed item {id} for {}",
                format_duration_ms(workflow.claim_ms)
            ),
        },
    )
    .await
}

/// Claims one item for `actor` (or renews their claim on it).
pub async fn claim(
    pool: &SqlitePool,
    actor: Actor<'_>,
    id: i64,
    now: i64,
    workflow: &Workflow,
) -> Result<(), WorkflowError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let state = item_state(&mut tx, id)
        .await?
        .ok_or(WorkflowError::NotFound(id))?;
    state.workable_by(actor, now)?;

    sqlx::query("UPDATE review_items SET claimed_by = ?, claimed_until = ? WHERE id = ?")
        .bind(actor.id)
        .bind(now + workflow.claim_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    claim_entry(&mut tx, actor, id, &state.reference_id, now, workflow).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives up a claim: one's own, or (for managers) anyone's.
pub async fn release(
    pool: &SqlitePool,
    actor: Actor<'_>,
    id: i64,
    now: i64,
) -> Result<(), WorkflowError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let state = item_state(&mut tx, id)
        .await?
        .ok_or(WorkflowError::NotFound(id))?;
    let live = state.claimed_until.is_some_and(|until| until > now);
    let mine = state.claimed_by == Some(actor.id);
    if !live || !(mine || actor.is_manager()) {
        return Err(WorkflowError::Conflict(format!(
            "You do not hold {}.",
            state.reference_id
        )));
    }

    sqlx::query("UPDATE review_items SET claimed_by = NULL, claimed_until = NULL WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = match (mine, state.claimer.as_deref()) {
        (false, Some(holder)) => format!("released item {id} held by {holder}"),
        _ => format!("released item {id}"),
    };
    history::append(
        &mut tx,
        NewEntry {
            at: now,
            actor: actor.name,
            kind: kind::REVIEW_RELEASED,
            reference_id: Some(&state.reference_id),
            detail,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(FromRow)]
struct BatchRecord {
    id: i64,
    kind: String,
    at: i64,
    items: i64,
    undo_until: i64,
    undone_at: Option<i64>,
}

/// The caller's latest verdict while it can still be undone.
pub async fn undo_offer(
    pool: &SqlitePool,
    user_id: i64,
    now: i64,
) -> sqlx::Result<Option<UndoOffer>> {
    let batch: Option<BatchRecord> = sqlx::query_as(
        "SELECT id, kind, at, items, undo_until, undone_at FROM decision_batches \
         WHERE user_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    let Some(batch) = batch.filter(|b| b.undone_at.is_none() && b.undo_until > now) else {
        return Ok(None);
    };
    // A batch some of whose items changed since (reopened, decided by a manager) cannot be
    // undone, so it is not offered.
    let verdicts: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(decision, 'escalate') FROM review_items WHERE decision_batch = ?",
    )
    .bind(batch.id)
    .fetch_all(pool)
    .await?;
    let Some(verdict) = verdicts.first().and_then(|v| Verdict::parse(v)) else {
        return Ok(None);
    };
    if verdicts.len() as i64 != batch.items {
        return Ok(None);
    }
    Ok(Some(UndoOffer {
        batch: batch.id,
        until_ms: batch.undo_until,
        summary: summary(verdict, verdicts.len()),
    }))
}

/// "You removed 3 items.", "You approved 1 item."
pub fn summary(verdict: Verdict, items: usize) -> String {
    let done = match verdict {
        Verdict::Approve => "approved",
        Verdict::Remove => "removed",
        Verdict::Escalate => "escalated",
    };
    match items {
        1 => format!("You {done} 1 item."),
        n => format!("You {done} {n} items."),
    }
}

/// Undoes `actor`'s verdict `batch` (their latest when `None`) while its undo window is open:
/// every item goes back to open and to `actor`'s hands, and its unsent `review.resolved`
/// messages are withdrawn. All items or none.
pub async fn undo(
    pool: &SqlitePool,
    actor: Actor<'_>,
    batch: Option<i64>,
    now: i64,
    workflow: &Workflow,
) -> Result<Vec<String>, WorkflowError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let record: Option<BatchRecord> = sqlx::query_as(
        "SELECT id, kind, at, items, undo_until, undone_at FROM decision_batches \
         WHERE user_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(actor.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(record) = record else {
        return Err(WorkflowError::Conflict(
            "There is no decision of yours to undo.".into(),
        ));
    };
    if batch.is_some_and(|batch| batch != record.id) {
        return Err(WorkflowError::Conflict(
            "Only your latest decision can be undone; a manager can reopen older ones.".into(),
        ));
    }
    if record.undone_at.is_some() {
        return Err(WorkflowError::Conflict(
            "That decision was undone already.".into(),
        ));
    }
    if record.undo_until <= now {
        return Err(WorkflowError::Conflict(
            "The time to undo that decision has passed; a manager can reopen the item.".into(),
        ));
    }

    let taken: Option<String> = sqlx::query_scalar(
        "SELECT u.name FROM review_items r JOIN users u ON u.id = r.claimed_by \
         WHERE r.decision_batch = ? AND r.claimed_by <> ? AND r.claimed_until > ? LIMIT 1",
    )
    .bind(record.id)
    .bind(actor.id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(holder) = taken {
        return Err(WorkflowError::Conflict(format!(
            "{holder} is working on one of these items now; nothing was undone."
        )));
    }

    let restore = if record.kind == "escalate" {
        "UPDATE review_items SET escalated_at = NULL, escalated_by = NULL, decision_batch = NULL, \
         version = version + 1, claimed_by = ?1, claimed_until = ?2 \
         WHERE decision_batch = ?3 AND status = 'open' RETURNING id, reference_id"
    } else {
        "UPDATE review_items SET status = 'open', decision = NULL, reason = NULL, note = NULL, \
         decided_by = NULL, decided_at = NULL, decision_batch = NULL, version = version + 1, \
         claimed_by = ?1, claimed_until = ?2 \
         WHERE decision_batch = ?3 AND status = 'resolved' RETURNING id, reference_id"
    };
    let restored: Vec<(i64, String)> = match sqlx::query_as(restore)
        .bind(actor.id)
        .bind(now + workflow.claim_ms)
        .bind(record.id)
        .fetch_all(&mut *tx)
        .await
    {
        Ok(rows) => rows,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(WorkflowError::Conflict(
                "A newer item for the same content is open now, so this decision cannot be \
                 undone; work on the open item instead."
                    .into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if restored.len() as i64 != record.items {
        return Err(WorkflowError::Conflict(
            "Some of these items were changed by someone else since; nothing was undone.".into(),
        ));
    }

    relay_jobs::withdraw_batch(&mut tx, record.id).await?;
    sqlx::query("UPDATE decision_batches SET undone_at = ? WHERE id = ?")
        .bind(now)
        .bind(record.id)
        .execute(&mut *tx)
        .await?;
    for (id, reference_id) in &restored {
        history::append(
            &mut tx,
            NewEntry {
                at: now,
                actor: actor.name,
                kind: kind::REVIEW_UNDONE,
                reference_id: Some(reference_id),
                detail: format!(
                    "undid the {} of item {id} from {} ago",
                    record.kind,
                    format_duration_ms(now - record.at)
                ),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(restored.into_iter().map(|(_, r)| r).collect())
}

/// What reopening reads of an item first.
#[derive(sqlx::FromRow)]
struct Decided {
    status: String,
    decision: Option<String>,
    reason: Option<String>,
    decision_batch: Option<i64>,
}

/// Longest reopening reason accepted.
pub const MAX_REASON_CHARS: usize = 500;

/// Reopens a resolved item (managers and admins), with a reason for the record.
pub async fn reopen(
    pool: &SqlitePool,
    actor: Actor<'_>,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<String, WorkflowError> {
    if !actor.is_manager() {
        return Err(WorkflowError::Forbidden(
            "Only managers and admins reopen decided items.".into(),
        ));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(WorkflowError::Invalid(format!(
            "Give a reason for reopening (1 to {MAX_REASON_CHARS} characters)."
        )));
    }

    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let before: Option<Decided> = sqlx::query_as(
        "SELECT status, decision, reason, decision_batch FROM review_items WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Decided {
        status,
        decision,
        reason: old_reason,
        decision_batch: batch,
    }) = before
    else {
        return Err(WorkflowError::NotFound(id));
    };
    if status != "resolved" {
        return Err(WorkflowError::Conflict("The item is open already.".into()));
    }

    let reopened = sqlx::query_scalar::<_, String>(
        "UPDATE review_items SET status = 'open', decision = NULL, reason = NULL, note = NULL, \
         decided_by = NULL, decided_at = NULL, decision_batch = NULL, claimed_by = NULL, \
         claimed_until = NULL, version = version + 1 WHERE id = ? RETURNING reference_id",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await;
    let reference_id = match reopened {
        Ok(reference_id) => reference_id,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(WorkflowError::Conflict(
                "A newer item for the same content is open; work on that one instead.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // A decision reopened inside its undo window has not been announced yet; it no longer
    // stands, so its `review.resolved` messages are withdrawn as an undo would.
    let withdrawn = match batch {
        Some(batch) => relay_jobs::withdraw_item(&mut tx, batch, &reference_id).await?,
        None => 0,
    };
    let was = match (decision, old_reason) {
        (Some(d), Some(r)) => format!("{d} ({r})"),
        (Some(d), None) => d,
        _ => "decided".into(),
    };
    history::append(
        &mut tx,
        NewEntry {
            at: now,
            actor: actor.name,
            kind: kind::REVIEW_REOPENED,
            reference_id: Some(&reference_id),
            detail: if withdrawn > 0 {
                format!(
                    "reopened item {id}, was {was}: {reason}; its unsent decision message was \
                     withdrawn"
                )
            } else {
                format!("reopened item {id}, was {was}: {reason}")
            },
        },
    )
    .await?;
    tx.commit().await?;
    Ok(reference_id)
}

/// Records that `actor` revealed a sensitive item's content.
pub async fn record_reveal(
    pool: &SqlitePool,
    actor: Actor<'_>,
    id: i64,
    reference_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    history::record(
        pool,
        NewEntry {
            at: now,
            actor: actor.name,
            kind: kind::REVIEW_REVEALED,
            reference_id: Some(reference_id),
            detail: format!("revealed the content of item {id}"),
        },
    )
    .await
}
