//! The review queue: open items, one item, and human decisions.

use crate::error::AppError;
use crate::model::{DecisionRow, ItemDetail, QueueRow};
use leptos::prelude::*;

/// Longest note accepted with a decision.
pub const MAX_NOTE_CHARS: usize = 2000;

/// How many rows a list page shows.
#[cfg(feature = "ssr")]
const PAGE_ROWS: i64 = 200;

/// The open review items, oldest first.
#[server(endpoint = "open_queue")]
pub async fn open_queue() -> Result<Vec<QueueRow>, AppError> {
    use crate::server::{internal, respond};
    use crate::store::{now_ms, review};

    respond(|ctx| async move {
        ctx.require_user().await?;
        review::open_items(&ctx.pool, now_ms(), PAGE_ROWS)
            .await
            .map_err(internal)
    })
    .await
}

/// One review item with its newest event.
#[server(endpoint = "review_item")]
pub async fn review_item(id: i64) -> Result<ItemDetail, AppError> {
    use crate::server::{internal, respond};
    use crate::store::{now_ms, review};

    respond(|ctx| async move {
        ctx.require_user().await?;
        review::item(&ctx.pool, id, now_ms())
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("There is no review item {id}.")))
    })
    .await
}

/// Records a human decision (`approve` or `remove`) on an open item, then returns to the queue.
#[server(endpoint = "decide")]
pub async fn decide(item_id: i64, decision: String, note: String) -> Result<(), AppError> {
    use crate::model::Decision;
    use crate::server::{internal, respond};
    use crate::store::{now_ms, review};

    respond(|ctx| async move {
        let user = ctx.require_user().await?;
        let decision = Decision::parse(&decision)
            .ok_or_else(|| AppError::Invalid("Choose a decision: approve or remove.".into()))?;
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(AppError::Invalid(format!(
                "The note is too long (at most {MAX_NOTE_CHARS} characters)."
            )));
        }

        let new = review::NewDecision {
            item_id,
            decision,
            note,
            reviewer_id: user.id,
            reviewer_name: &user.name,
            at: now_ms(),
        };
        match review::decide(&ctx.pool, new, &ctx.relay).await {
            Ok(review::Decided {
                reference_id,
                relayed,
            }) => {
                if relayed {
                    ctx.relay.notify();
                }
                tracing::info!(item_id, %reference_id, decision = decision.as_str(), user = %user.name, "item decided");
                leptos_axum::redirect("/");
                Ok(())
            }
            Err(review::DecideError::NotFound(_)) => Err(AppError::NotFound(format!(
                "There is no review item {item_id}."
            ))),
            Err(review::DecideError::AlreadyResolved(_)) => Err(AppError::Conflict(
                "Someone decided this item already; nothing was changed.".into(),
            )),
            Err(review::DecideError::Database(e)) => Err(internal(e)),
        }
    })
    .await
}

/// Resolved items, newest decision first.
#[server(endpoint = "resolved")]
pub async fn resolved() -> Result<Vec<DecisionRow>, AppError> {
    use crate::server::{internal, respond};
    use crate::store::review;

    respond(|ctx| async move {
        ctx.require_user().await?;
        review::decisions(&ctx.pool, PAGE_ROWS)
            .await
            .map_err(internal)
    })
    .await
}
