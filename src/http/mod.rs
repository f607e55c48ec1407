//! HTTP plumbing around the routes: the connection listener, cross-site request refusal, the
//! page guard, health checks, the CSV downloads and the live update stream.

pub mod body_deadline;
pub mod csrf;
pub mod csv;
pub mod decisions_csv;
pub mod guard;
pub mod history_csv;
pub mod listener;
pub mod live;
pub mod server_fn_status;

use crate::ingest::writer::Writer;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use sqlx::SqlitePool;

/// What the health check looks at.
#[derive(Clone)]
pub struct Health {
    pub pool: SqlitePool,
    pub writer: Writer,
}

/// `GET /healthz`: 200 when the database answers and the ingest writer takes events, 503 when
/// either does not.
pub async fn healthz(State(health): State<Health>) -> (StatusCode, Json<serde_json::Value>) {
    if !health.writer.is_running() {
        // The cause was logged as an error when the writer stopped.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "ingest stopped; restart moddesk" })),
        );
    }
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&health.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::error!(%error, "health check: database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}
