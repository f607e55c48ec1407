//! `GET /history.csv?<the History page's filters>`: every entry the filters match as CSV,
//! newest first, streamed a chunk at a time so an export of millions of rows stays in flat
//! memory. Managers and admins only, checked here exactly as the page's server function does.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
//! before one) as a formula; history entries carry text from the upstream and from users, so
//! such a cell gets a leading `'` and is shown as text.

use app::auth::session::current_user;
use app::error::AppError;
use app::model::{HistoryFilter, Role};
use app::server::ServerState;
use app::store::history::{self, Entry, Query};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sqlx::SqlitePool;
use std::borrow::Cow;
use tower_sessions::Session;

/// Rows read and sent per chunk.
const CHUNK: i64 = 1_000;

const HEADER: [&str; 7] = [
    "id",
    "at",
    "actor",
    "kind",
    "reference_id",
    "detail",
    "hash",
];

/// The export; 401 without a session, 403 below manager, 400 for a filter the page would refuse.
#[tracing::instrument(skip_all)]
pub async fn export(State(state): State<ServerState>, session: Session, uri: Uri) -> Response {
    let user = match current_user(&session, &state.pool, &state.auth).await {
        Ok(Some(user)) if user.role >= Role::Manager => user,
        Ok(Some(_)) => return refuse(AppError::Forbidden),
        Ok(None) => return refuse(AppError::Unauthenticated),
        Err(error) => return refuse(error),
    };
    let filter = match axum::extract::Query::<HistoryFilter>::try_from_uri(&uri) {
        Ok(axum::extract::Query(filter)) => filter,
        Err(rejection) => return refuse(AppError::Invalid(rejection.body_text())),
    };
    let query = match Query::parse(&filter) {
        Ok(query) => query,
        Err(reason) => return refuse(AppError::Invalid(reason)),
    };
    tracing::info!(user = %user.name, "history exported as CSV");

    let chunks = futures::stream::try_unfold(Some(None), move |next: Option<Option<i64>>| {
        let pool = state.pool.clone();
        let query = query.clone();
        async move {
            let Some(before) = next else {
                return Ok(None);
            };
            let (bytes, last) = chunk(&pool, &query, before).await?;
            Ok::<_, std::io::Error>(Some((bytes, last.map(Some))))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"moddesk-history.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// The CSV of the next chunk of entries older than `before` (with the header row when `before`
/// is `None`), and the id to continue before when there may be more. An error ends the
/// download early; the client sees a broken transfer, never a short file that looks whole.
async fn chunk(
    pool: &SqlitePool,
    query: &Query,
    before: Option<i64>,
) -> std::io::Result<(Bytes, Option<i64>)> {
    let entries = history::list(pool, query, before, CHUNK)
        .await
        .map_err(|error| {
            tracing::error!(%error, "reading the history for a CSV export failed");
            std::io::Error::other("reading the history failed")
        })?;
    let mut out = csv::Writer::from_writer(Vec::new());
    if before.is_none() {
        out.write_record(HEADER)?;
    }
    for entry in &entries {
        out.write_record(record(entry).iter().map(|cell| defuse(cell).into_owned()))?;
    }
    let more = entries.len() as i64 == CHUNK;
    let last = entries.last().map(|e| e.row.id).filter(|_| more);
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok((Bytes::from(bytes), last))
}

fn record(entry: &Entry) -> [String; 7] {
    let row = &entry.row;
    [
        row.id.to_string(),
        row.at.clone(),
        row.actor.clone(),
        row.kind.clone(),
        row.reference_id.clone().unwrap_or_default(),
        row.detail.clone(),
        entry.hash.clone().unwrap_or_default(),
    ]
}

/// The cell with a leading `'` when a spreadsheet would read it as a formula.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn refuse(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_client_error() {
        tracing::warn!(%error, "history export refused");
    }
    (status, error.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_and_others_kept() {
        for formula in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=x"] {
            assert_eq!(defuse(formula), format!("'{formula}"));
        }
        assert_eq!(defuse("approved post 1"), "approved post 1");
        assert_eq!(defuse("a=b"), "a=b");
        assert_eq!(defuse(""), "");
    }
}
