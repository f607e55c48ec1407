//! The action history.

use crate::error::AppError;
use crate::model::HistoryRow;
use leptos::prelude::*;

/// How many entries one page of history shows.
pub const HISTORY_PAGE: i64 = 100;

/// One page of history, newest first; `before` is the id of the last entry already shown.
/// Managers and admins only: the history shows every person's actions.
#[server(endpoint = "history_page")]
pub async fn history_page(before: Option<i64>) -> Result<Vec<HistoryRow>, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::history;

    respond(|ctx| async move {
        ctx.require_role(Role::Manager).await?;
        history::list(&ctx.pool, before, HISTORY_PAGE)
            .await
            .map_err(internal)
    })
    .await
}
