//! `GET /decisions.csv?<filter>`: every decision the Decisions page's filter matches, as CSV,
//! newest first, for managers and admins (see [`crate::http::csv::exporter`]); rows are streamed
//! a page at a time.

use crate::http::csv::{CsvChunk, download, exporter, refuse};
use app::error::AppError;
use app::model::{DecisionFilter, DecisionRow};
use app::server::ServerState;
use app::store::decisions::{self, Checked};
use app::store::review::FilterError;
use app::store::{format_day_ms, format_rfc3339_ms, now_ms};
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use futures::StreamExt;
use sqlx::SqlitePool;
use tower_sessions::Session;
use tracing::instrument;

/// The export's name in log lines.
const EXPORT: &str = "decisions";

/// Rows read per query while streaming.
const CHUNK_ROWS: i64 = 500;

/// The header row.
pub const HEADER: [&str; 11] = [
    "item_id",
    "reference_id",
    "decision",
    "reason",
    "note",
    "reviewer",
    "decided_at",
    "time_to_decision_secs",
    "upstream_action",
    "upstream_score",
    "categories",
];

#[instrument(skip_all)]
pub async fn export(
    State(state): State<ServerState>,
    session: Session,
    query: Result<Query<DecisionFilter>, QueryRejection>,
) -> Response {
    let user = match exporter(&state, &session, EXPORT).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let filter = match query {
        Ok(Query(filter)) => filter,
        Err(rejection) => return refuse(AppError::Invalid(rejection.body_text()), EXPORT),
    };
    let checked = match Checked::new(&filter) {
        Ok(checked) => checked,
        Err(FilterError::Invalid(message)) => return refuse(AppError::Invalid(message), EXPORT),
        Err(FilterError::Database(error)) => return failed(&error),
    };
    tracing::info!(user = %user.name, "decisions exported as CSV");

    // The first page is read before answering, so a database fault is a 500, not a cut file.
    let first = match decisions::page(&state.pool, &checked, CHUNK_ROWS).await {
        Ok(page) => page,
        Err(error) => return failed(&error),
    };
    let head = match encode(Some(&HEADER[..]), &first.rows) {
        Ok(bytes) => bytes,
        Err(error) => return failed(&error),
    };
    let rest = first
        .next
        .and_then(|cursor| checked.continuing(&cursor))
        .map(|filter| (state.pool.clone(), filter));
    let body = futures::stream::once(async move { Ok(head) }).chain(pages_after(rest));
    let filename = format!("decisions-{}.csv", format_day_ms(now_ms()));
    download(&filename, Body::from_stream(body))
}

/// The CSV of every page from `start` on, one chunk per page. A fault part way ends the body
/// with an error, so the download fails visibly instead of looking complete.
fn pages_after(
    start: Option<(SqlitePool, Checked)>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> {
    futures::stream::unfold(start, |state| async move {
        let (pool, filter) = state?;
        match decisions::page(&pool, &filter, CHUNK_ROWS).await {
            Ok(page) => {
                let next = page
                    .next
                    .as_deref()
                    .and_then(|cursor| filter.continuing(cursor))
                    .map(|filter| (pool, filter));
                Some((encode(None, &page.rows), next))
            }
            Err(error) => {
                tracing::error!(%error, "decisions export failed part way");
                Some((Err(std::io::Error::other("reading decisions failed")), None))
            }
        }
    })
}

fn encode(header: Option<&[&str]>, rows: &[DecisionRow]) -> std::io::Result<Bytes> {
    let mut chunk = CsvChunk::default();
    if let Some(header) = header {
        chunk.row(header)?;
    }
    for row in rows {
        chunk.row(cells(row))?;
    }
    chunk.finish()
}

/// A decision as CSV cells, in the order of [`HEADER`].
pub fn cells(row: &DecisionRow) -> [String; 11] {
    let mut categories = row.categories.clone();
    categories.sort_by(|a, b| b.score.total_cmp(&a.score));
    let categories: Vec<&str> = categories.iter().map(|c| c.name.as_str()).collect();
    [
        row.item_id.to_string(),
        row.reference_id.clone(),
        row.decision.as_str().to_owned(),
        row.reason.clone(),
        row.note.clone(),
        row.reviewer.clone(),
        format_rfc3339_ms(row.decided_at_ms),
        (row.time_to_decision_ms / 1000).to_string(),
        row.action.clone(),
        row.score.to_string(),
        categories.join("; "),
    ]
}

fn failed(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "reading decisions for a CSV export failed");
    refuse(AppError::Internal, EXPORT)
}
