//! The review queue: listing and filtering open items, one item, claims, verdicts (one item or
//! many), undo, reopening, reveals and the resolved decisions. Every function checks the caller
//! on the server; what a role may do is decided in `store::workflow` and here, never in the page.
//! Each change is announced to open pages (`crate::live`) once it is committed.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::Change;
use crate::model::{
    DecisionFilter, DecisionsView, ItemDetail, QueueFilter, QueueView, Revealed, UndoOffer,
};
use leptos::prelude::*;

/// Longest note accepted with a decision.
pub const MAX_NOTE_CHARS: usize = 2000;

#[cfg(feature = "ssr")]
mod convert {
    use crate::error::AppError;
    use crate::model::CurrentUser;
    use crate::server::internal;
    use crate::store::workflow::{Actor, WorkflowError};

    pub fn actor(user: &CurrentUser) -> Actor<'_> {
        Actor {
            id: user.id,
            name: &user.name,
            role: user.role,
        }
    }

    pub fn app_error(error: WorkflowError) -> AppError {
        match error {
            WorkflowError::NotFound(_) => AppError::NotFound(error.to_string()),
            WorkflowError::Conflict(message) => AppError::Conflict(message),
            WorkflowError::Forbidden(message) => AppError::NotAllowed(message),
            WorkflowError::Invalid(message) => AppError::Invalid(message),
            WorkflowError::Database(e) => internal(e),
        }
    }
}

/// One page of open items matching `filter`.
#[server(endpoint = "open_queue")]
pub async fn open_queue(#[server(default)] filter: QueueFilter) -> Result<QueueView, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::review::{self, FilterError};
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let now = now_ms();
        let page = review::queue_page(&ctx.pool, &filter, user.id, now, &ctx.workflow)
            .await
            .map_err(|e| match e {
                FilterError::Invalid(message) => AppError::Invalid(message),
                FilterError::Database(e) => internal(e),
            })?;
        let undo = workflow::undo_offer(&ctx.pool, user.id, now)
            .await
            .map_err(internal)?;
        Ok(QueueView {
            rows: page.rows,
            now_ms: now,
            next: page.next,
            matching: page.matching,
            reason_codes: ctx.workflow.reason_codes.clone(),
            undo,
            decides_escalated: user.role >= Role::Manager,
        })
    })
    .await
}

/// How many items are open, for the header (live updates keep it current after that).
#[server(endpoint = "open_count")]
pub async fn open_count() -> Result<i64, AppError> {
    use crate::server::{internal, respond};
    use crate::store::review;

    respond(|ctx| async move {
        ctx.require_user().await?;
        review::open_count(&ctx.pool).await.map_err(internal)
    })
    .await
}

/// One review item with its newest event and timeline.
#[server(endpoint = "review_item")]
pub async fn review_item(id: i64) -> Result<ItemDetail, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::review::{self, Viewer};
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let now = now_ms();
        let viewer = Viewer {
            user_id: user.id,
            decides_escalated: user.role >= Role::Manager,
            reopens: user.role >= Role::Manager,
        };
        let mut item = review::item(&ctx.pool, id, &viewer, now, &ctx.workflow)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("There is no review item {id}.")))?;
        item.undo = workflow::undo_offer(&ctx.pool, user.id, now)
            .await
            .map_err(internal)?;
        Ok(item)
    })
    .await
}

/// Claims the most urgent open item nobody holds and opens it.
#[server(endpoint = "claim_next")]
pub async fn claim_next() -> Result<i64, AppError> {
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let claimed =
            workflow::claim_next(&ctx.pool, convert::actor(&user), now_ms(), &ctx.workflow)
                .await
                .map_err(convert::app_error)?;
        let id = claimed.ok_or_else(|| {
            AppError::NotFound("Nothing left to claim: every open item is decided or held.".into())
        })?;
        ctx.live.publish(Change::Claimed, Some(id), None);
        tracing::info!(item_id = id, user = %user.name, "item claimed");
        leptos_axum::redirect(&format!("/items/{id}"));
        Ok(id)
    })
    .await
}

/// Claims one item, or renews the caller's claim on it.
#[server(endpoint = "claim_item")]
pub async fn claim_item(item_id: i64) -> Result<(), AppError> {
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        workflow::claim(
            &ctx.pool,
            convert::actor(&user),
            item_id,
            now_ms(),
            &ctx.workflow,
        )
        .await
        .map_err(convert::app_error)?;
        ctx.live.publish(Change::Claimed, Some(item_id), None);
        Ok(())
    })
    .await
}

/// Gives up a claim: one's own, or anyone's for managers.
#[server(endpoint = "release_item")]
pub async fn release_item(item_id: i64) -> Result<(), AppError> {
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        workflow::release(&ctx.pool, convert::actor(&user), item_id, now_ms())
            .await
            .map_err(convert::app_error)?;
        ctx.live.publish(Change::Released, Some(item_id), None);
        Ok(())
    })
    .await
}

/// Records a verdict (`approve`, `remove` or `escalate`) on one item loaded at `version`, then
/// returns to the queue, where the undo is offered.
#[server(endpoint = "decide")]
pub async fn decide(
    item_id: i64,
    version: i64,
    verdict: String,
    #[server(default)] reason: String,
    #[server(default)] note: String,
) -> Result<UndoOffer, AppError> {
    use crate::store::workflow::Target;

    let targets = [Target { item_id, version }];
    let offer = record(&targets, &verdict, &reason, &note).await?;
    leptos_axum::redirect("/");
    Ok(offer)
}

/// Records one verdict on several items at once: `items` is `id:version` pairs separated by
/// commas. All items or none.
#[server(endpoint = "decide_bulk")]
pub async fn decide_bulk(
    items: String,
    verdict: String,
    #[server(default)] reason: String,
    #[server(default)] note: String,
) -> Result<UndoOffer, AppError> {
    let targets = parse_targets(&items)?;
    record(&targets, &verdict, &reason, &note).await
}

#[cfg(feature = "ssr")]
fn parse_targets(items: &str) -> Result<Vec<crate::store::workflow::Target>, AppError> {
    use crate::store::workflow::Target;

    items
        .split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (id, version) = pair.trim().split_once(':').unwrap_or((pair, ""));
            match (id.parse(), version.parse()) {
                (Ok(item_id), Ok(version)) => Ok(Target { item_id, version }),
                _ => Err(AppError::Invalid(format!(
                    "{pair:?} is not an item and version (id:version)."
                ))),
            }
        })
        .collect()
}

#[cfg(feature = "ssr")]
async fn record(
    targets: &[crate::store::workflow::Target],
    verdict: &str,
    reason: &str,
    note: &str,
) -> Result<UndoOffer, AppError> {
    use crate::model::Verdict;
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let verdict = Verdict::parse(verdict).ok_or_else(|| {
            AppError::Invalid("Choose a decision: approve, remove or escalate.".into())
        })?;
        // Direction overrides would let a note show text in an order other than it was typed.
        let note: String = note
            .trim()
            .chars()
            .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
            .collect();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::Invalid(format!(
                "The note is too long (at most {MAX_NOTE_CHARS} characters)."
            )));
        }

        let new = workflow::NewVerdict {
            targets,
            verdict,
            reason: reason.trim(),
            note: &note,
            at: now_ms(),
        };
        let recorded = workflow::record_verdict(
            &ctx.pool,
            convert::actor(&user),
            new,
            &ctx.workflow,
            &ctx.relay,
        )
        .await
        .map_err(convert::app_error)?;
        if recorded.relayed {
            ctx.relay.notify();
        }
        let change = match verdict {
            Verdict::Escalate => Change::Escalated,
            Verdict::Approve | Verdict::Remove => Change::Decided,
        };
        for (target, reference_id) in targets.iter().zip(&recorded.reference_ids) {
            ctx.live
                .publish(change, Some(target.item_id), Some(reference_id));
        }
        tracing::info!(items = recorded.reference_ids.len(), verdict = verdict.as_str(), user = %user.name, batch = recorded.batch, "verdict recorded");
        Ok(UndoOffer {
            batch: recorded.batch,
            until_ms: recorded.undo_until,
            summary: workflow::summary(verdict, recorded.reference_ids.len()),
        })
    })
    .await
}

/// Undoes the caller's verdict `batch` (or their latest, when 0) while its undo window is open.
#[server(endpoint = "undo")]
pub async fn undo(#[server(default)] batch: i64) -> Result<usize, AppError> {
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let batch = (batch > 0).then_some(batch);
        let restored = workflow::undo(
            &ctx.pool,
            convert::actor(&user),
            batch,
            now_ms(),
            &ctx.workflow,
        )
        .await
        .map_err(convert::app_error)?;
        for reference_id in &restored {
            ctx.live.publish(Change::Undone, None, Some(reference_id));
        }
        tracing::info!(items = restored.len(), user = %user.name, "verdict undone");
        Ok(restored.len())
    })
    .await
}

/// Reopens a resolved item with a reason (managers and admins).
#[server(endpoint = "reopen")]
pub async fn reopen(item_id: i64, reason: String) -> Result<(), AppError> {
    use crate::model::Role;
    use crate::server::respond;
    use crate::store::{now_ms, workflow};

    respond(|ctx| async move {
        let user = ctx.require_role(Role::Manager).await?;
        let reference_id =
            workflow::reopen(&ctx.pool, convert::actor(&user), item_id, &reason, now_ms())
                .await
                .map_err(convert::app_error)?;
        ctx.live
            .publish(Change::Reopened, Some(item_id), Some(&reference_id));
        tracing::info!(item_id, %reference_id, user = %user.name, "item reopened");
        Ok(())
    })
    .await
}

/// The content of a sensitive item; the reveal is recorded in the history.
#[server(endpoint = "reveal")]
pub async fn reveal(item_id: i64) -> Result<Revealed, AppError> {
    use crate::server::{internal, respond};
    use crate::store::{now_ms, review, workflow};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let (reference_id, excerpt, body) = review::content(&ctx.pool, item_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("There is no review item {item_id}.")))?;
        workflow::record_reveal(
            &ctx.pool,
            convert::actor(&user),
            item_id,
            &reference_id,
            now_ms(),
        )
        .await
        .map_err(internal)?;
        Ok(Revealed {
            excerpt,
            raw_body: String::from_utf8_lossy(&body).into_owned(),
        })
    })
    .await
}

/// Who may browse the decisions and export them (page, server function and CSV alike).
/// Reviewers too: seeing how others decided keeps decisions consistent, and a reviewer sees the
/// same items and notes on each item's page anyway.
pub const DECISIONS_ROLE: crate::model::Role = crate::model::Role::Reviewer;

/// One page of resolved items matching `filter`, newest decision first.
#[server(endpoint = "resolved")]
pub async fn resolved(
    #[server(default)] filter: DecisionFilter,
) -> Result<DecisionsView, AppError> {
    use crate::server::{internal, respond};
    use crate::store::decisions::{self, Checked, DECISION_PAGE_ROWS};
    use crate::store::review::FilterError;

    respond(|ctx| async move {
        ctx.require_role(DECISIONS_ROLE).await?;
        let checked = Checked::new(&filter).map_err(|e| match e {
            FilterError::Invalid(message) => AppError::Invalid(message),
            FilterError::Database(e) => internal(e),
        })?;
        let page = decisions::page(&ctx.pool, &checked, DECISION_PAGE_ROWS)
            .await
            .map_err(internal)?;
        let matching = decisions::count(&ctx.pool, &checked)
            .await
            .map_err(internal)?;
        let reviewers = decisions::reviewer_names(&ctx.pool)
            .await
            .map_err(internal)?;
        Ok(DecisionsView {
            rows: page.rows,
            next: page.next,
            matching,
            reviewers,
        })
    })
    .await
}
