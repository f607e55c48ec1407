//! The action history: filtered pages of entries and whether the hash chain verifies. Managers
//! and admins only: the history shows every person's actions. The CSV export of the same
//! filter is the server binary's `GET /history.csv`, with the same check.

use crate::error::AppError;
use crate::model::{ChainStatus, HistoryFilter, HistoryView};
use leptos::prelude::*;

/// How many entries one page of history shows.
pub const HISTORY_PAGE: i64 = 100;

/// One page of history matching `filter`, newest first; `before` is the id of the last entry
/// already shown.
#[server(endpoint = "history_page")]
pub async fn history_page(
    #[server(default)] filter: HistoryFilter,
    before: Option<i64>,
) -> Result<HistoryView, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::history::{self, Query, kind};

    respond(|ctx| async move {
        ctx.require_role(Role::Manager).await?;
        let query = Query::parse(&filter).map_err(AppError::Invalid)?;
        let mut entries = history::list(&ctx.pool, &query, before, HISTORY_PAGE + 1)
            .await
            .map_err(internal)?;
        let more = entries.len() as i64 > HISTORY_PAGE;
        entries.truncate(HISTORY_PAGE as usize);
        let rows: Vec<_> = entries.into_iter().map(|e| e.row).collect();
        Ok(HistoryView {
            older: more.then(|| rows.last().map(|r| r.id)).flatten(),
            rows,
            kinds: kind::ALL.iter().map(|k| k.to_string()).collect(),
        })
    })
    .await
}

/// Whether the history's hash chain verifies, from the server's cached checkpoint (see
/// `server::ChainCheck`).
#[server(endpoint = "history_chain")]
pub async fn history_chain() -> Result<ChainStatus, AppError> {
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::chain::Verdict;

    respond(|ctx| async move {
        ctx.require_role(Role::Manager).await?;
        let verdict = ctx.chain.verdict(&ctx.pool).await.map_err(internal)?;
        if let Verdict::Broken { problem, .. } = &verdict {
            tracing::error!(entry = problem.entry(), %problem, "the history chain is broken");
        }
        Ok(match &verdict {
            Verdict::Verified(checkpoint) => ChainStatus {
                verified: true,
                entries: checkpoint.entries,
                broken_at: None,
                message: verdict.to_string(),
            },
            Verdict::Broken { problem, checked } => ChainStatus {
                verified: false,
                entries: *checked,
                broken_at: Some(problem.entry()),
                message: verdict.to_string(),
            },
        })
    })
    .await
}
