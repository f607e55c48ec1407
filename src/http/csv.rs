//! CSV downloads: who may fetch them, rows written with the `csv` crate, cells guarded against
//! formula injection, and the response headers that make a browser save the file. Export routes
//! stream their rows as one [`CsvChunk`] per page of rows, so a long export never sits in memory
//! whole.

use app::auth::session::current_user;
use app::error::AppError;
use app::model::{CurrentUser, EXPORT_ROLE};
use app::server::ServerState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::borrow::Cow;
use tower_sessions::Session;

/// The CSV downloads, on the dashboard's state. They check the session and role themselves.
pub fn routes(state: ServerState) -> Router {
    Router::new()
        .route("/decisions.csv", get(super::decisions_csv::export))
        .route("/history.csv", get(super::history_csv::export))
        .with_state(state)
}

/// The caller when their session may export; otherwise the answer to send instead: 401 without
/// a session (a file download gets no login redirect), 403 below [`EXPORT_ROLE`].
pub async fn exporter(
    state: &ServerState,
    session: &Session,
    export: &'static str,
) -> Result<CurrentUser, Response> {
    match current_user(session, &state.pool, &state.auth).await {
        Ok(Some(user)) if user.role >= EXPORT_ROLE => Ok(user),
        Ok(Some(_)) => Err(refuse(AppError::Forbidden, export)),
        Ok(None) => Err(refuse(AppError::Unauthenticated, export)),
        Err(error) => Err(refuse(error, export)),
    }
}

/// The answer for an export that cannot start. Refusals are logged as warnings with their
/// reason; a fault's cause was logged as an error where it happened.
pub fn refuse(error: AppError, export: &'static str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_client_error() {
        tracing::warn!(export, %status, reason = %error, "export refused");
    }
    (status, error.to_string()).into_response()
}

/// A cell as a spreadsheet may read it safely: text starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return would be taken for a formula, so it gets a leading apostrophe.
pub fn guard(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Rows being written into one chunk of the response body.
pub struct CsvChunk {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvChunk {
    fn default() -> Self {
        CsvChunk {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        }
    }
}

impl CsvChunk {
    /// Writes one row; every cell goes through [`guard`].
    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer
            .write_record(cells.into_iter().map(|c| guard(c.as_ref()).into_owned()))
    }

    /// The bytes of every row written.
    pub fn finish(self) -> std::io::Result<Bytes> {
        let bytes = self.writer.into_inner().map_err(|e| e.into_error())?;
        Ok(Bytes::from(bytes))
    }
}

/// A `200` answer that downloads `body` as `filename` (ASCII letters, digits, `-`, `_`, `.`).
pub fn download(filename: &str, body: Body) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // The file holds people's decisions and notes: no shared cache keeps a copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_an_apostrophe_and_nothing_else_changes() {
        for (cell, guarded) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("plain = fine", "plain = fine"),
            ("", ""),
        ] {
            assert_eq!(guard(cell), guarded);
        }
    }

    #[test]
    fn rows_are_quoted_where_needed() {
        let mut chunk = CsvChunk::default();

        chunk.row(["a,b", "say \"hi\"", "=1+1"]).unwrap();
        chunk.row(["x", "", "two\nlines"]).unwrap();
        let bytes = chunk.finish().unwrap();

        assert_eq!(
            &bytes[..],
            b"\"a,b\",\"say \"\"hi\"\"\",'=1+1\r\nx,,\"two\nlines\"\r\n"
        );
    }
}
