//! `GET /history.csv?<the History page's filters>`: every entry the filters match as CSV,
//! newest first, for managers and admins (see [`crate::http::csv::exporter`]), streamed a chunk
//! at a time so an export of millions of rows stays in flat memory. History entries carry text
//! from the upstream and from users, so cells go through the formula guard of
//! [`crate::http::csv`].

use crate::http::csv::{CsvChunk, download, exporter, refuse};
use app::error::AppError;
use app::model::HistoryFilter;
use app::server::ServerState;
use app::store::history::{self, Entry, Query};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use sqlx::SqlitePool;
use tower_sessions::Session;

/// The export's name in log lines.
const EXPORT: &str = "history";

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
    let user = match exporter(&state, &session, EXPORT).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let filter = match axum::extract::Query::<HistoryFilter>::try_from_uri(&uri) {
        Ok(axum::extract::Query(filter)) => filter,
        Err(rejection) => return refuse(AppError::Invalid(rejection.body_text()), EXPORT),
    };
    let query = match Query::parse(&filter) {
        Ok(query) => query,
        Err(reason) => return refuse(AppError::Invalid(reason), EXPORT),
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
    download("moddesk-history.csv", Body::from_stream(chunks))
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
    let mut out = CsvChunk::default();
    if before.is_none() {
        out.row(HEADER)?;
    }
    for entry in &entries {
        out.row(record(entry))?;
    }
    let more = entries.len() as i64 == CHUNK;
    let last = entries.last().map(|e| e.row.id).filter(|_| more);
    Ok((out.finish()?, last))
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
