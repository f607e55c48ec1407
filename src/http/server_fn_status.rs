//! Gives server function errors their real status. When the arguments of a server function
//! cannot be decoded, its body never runs and the framework answers 500 with the typed error;
//! this layer reads that error and answers with the status it stands for (400 for bad input).

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Error bodies larger than this are left alone (typed errors are small).
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn correct_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }

    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status())
    {
        if status.is_client_error() {
            tracing::warn!(%error, "server function arguments refused");
        }
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
