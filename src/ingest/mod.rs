//! `POST /hooks/aegis`: verifies the signature over the raw body before anything else, parses
//! the event, stores it (deduplicated by event id) and answers once it is durable.

pub mod event;
pub mod signature;

use app::store::events::{self, Recorded};
use app::store::now_ms;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use sha2::{Digest, Sha256};
use signature::{SignedHeaders, Verifier, VerifyError};
use sqlx::SqlitePool;
use std::sync::Arc;

/// The `source` every event from this route is stored under.
pub const SOURCE: &str = "aegis";

/// What the ingest route needs.
#[derive(Clone)]
pub struct IngestState {
    pub pool: SqlitePool,
    pub verifier: Arc<Verifier>,
}

/// The ingest routes.
pub fn router(state: IngestState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/hooks/aegis", post(receive))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Why a delivery was not accepted. Each variant's status is in [`IngestError::status`].
#[derive(Debug, thiserror::Error)]
enum IngestError {
    #[error("no webhook secret is configured, so deliveries cannot be verified")]
    NotConfigured,
    #[error("signature check failed: {0}")]
    Unverified(VerifyError),
    #[error("{0}")]
    BadEvent(String),
    #[error("the event could not be stored")]
    Storage(#[from] sqlx::Error),
}

impl IngestError {
    fn status(&self) -> StatusCode {
        match self {
            // Misconfiguration on our side: the sender should retry later.
            IngestError::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::Unverified(VerifyError::MalformedTimestamp) => StatusCode::BAD_REQUEST,
            IngestError::Unverified(_) => StatusCode::UNAUTHORIZED,
            IngestError::BadEvent(_) => StatusCode::BAD_REQUEST,
            IngestError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            IngestError::Storage(_) => {
                "internal error; the delivery was not stored, retry later".to_owned()
            }
            other => other.to_string(),
        };
        (status, axum::Json(json!({ "error": message }))).into_response()
    }
}

#[tracing::instrument(name = "ingest", skip_all, fields(webhook_id, event_id))]
async fn receive(State(state): State<IngestState>, headers: HeaderMap, body: Bytes) -> Response {
    match accept(&state, &headers, &body).await {
        Ok(response) => response,
        Err(error) => {
            let body_sha256 = hex(&Sha256::digest(&body));
            match &error {
                IngestError::Storage(cause) => {
                    tracing::error!(error = %cause, "event could not be stored");
                }
                IngestError::NotConfigured => tracing::error!("{error}"),
                _ => tracing::warn!(reason = %error, body_sha256, "delivery refused"),
            }
            error.into_response()
        }
    }
}

async fn accept(
    state: &IngestState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, IngestError> {
    if !state.verifier.has_secrets() {
        return Err(IngestError::NotConfigured);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    tracing::Span::current().record("webhook_id", signed.id.unwrap_or_default());

    let now = now_ms();
    let (webhook_id, _) = state
        .verifier
        .verify(&signed, body, now / 1000)
        .map_err(IngestError::Unverified)?;

    let event = event::parse(body, webhook_id, now).map_err(IngestError::BadEvent)?;
    tracing::Span::current().record("event_id", event.event_id.as_str());

    let recorded = events::record(&state.pool, &event).await?;
    let outcome = match recorded {
        Recorded::Stored { queued } => {
            tracing::info!(event_type = %event.event_type, reference_id = %event.reference_id, queued, "event stored");
            "stored"
        }
        Recorded::Duplicate => {
            tracing::info!("duplicate delivery ignored");
            "duplicate"
        }
        Recorded::DuplicateMismatch => {
            tracing::warn!("redelivery with a different body; the first body was kept");
            "duplicate"
        }
    };
    Ok((
        StatusCode::OK,
        axum::Json(json!({ "status": outcome, "id": event.event_id })),
    )
        .into_response())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
