//! HTTP plumbing around the routes: the connection listener, cross-site request refusal, the
//! page guard, health checks, the CSV downloads and the live update stream.

pub mod csrf;
pub mod csv;
pub mod decisions_csv;
pub mod guard;
pub mod history_csv;
pub mod listener;
pub mod live;
pub mod server_fn_status;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use sqlx::SqlitePool;

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(pool): State<SqlitePool>) -> (StatusCode, Json<serde_json::Value>) {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&pool)
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
