//! `POST /hooks/aegis`: verifies the signature over the raw body before anything else, parses
//! the event, stores it (deduplicated by source and event id) through the group-committing
//! writer, and answers once it is durable. Signed bodies that are not events go to the
//! dead-letter inbox.

pub mod checkpointer;
pub mod event;
pub mod metrics;
pub mod signature;
pub mod writer;

use app::store::dead_letters::{self, NewDeadLetter};
use app::store::events::Recorded;
use app::store::now_ms;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use sha2::{Digest, Sha256};
use signature::{Scheme, SignedHeaders, Verifier, VerifyError};
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Instant;
use writer::{WriteError, Writer};

/// The `source` every event from this route is stored under.
pub const SOURCE: &str = app::store::history::actor::AEGIS;

/// Headers kept with a dead letter; nothing else of the request is stored.
const KEPT_HEADERS: [&str; 6] = [
    "content-type",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-aegis-signature",
];

/// What the ingest route needs.
#[derive(Clone)]
pub struct IngestState {
    pub pool: SqlitePool,
    pub verifier: Arc<Verifier>,
    pub writer: Writer,
}

/// The ingest routes. Bodies over `max_body_bytes` are refused with 413: by their
/// `Content-Length` before any of the body is read, or as soon as a body without one passes the
/// limit.
pub fn router(state: IngestState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/hooks/aegis", post(receive))
        .layer(DefaultBodyLimit::disable())
        .with_state(IngestRoute {
            state,
            max_body_bytes,
        })
}

#[derive(Clone)]
struct IngestRoute {
    state: IngestState,
    max_body_bytes: usize,
}

/// Why a delivery was not accepted. Each variant's status is in [`IngestError::status`].
#[derive(Debug, thiserror::Error)]
enum IngestError {
    #[error("no webhook secret is configured, so deliveries cannot be verified")]
    NotConfigured,
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body did not arrive in full")]
    Incomplete,
    #[error("signature check failed: {0}")]
    Unverified(VerifyError),
    #[error("{0}")]
    BadEvent(String),
    #[error("the event could not be stored")]
    Storage(#[from] WriteError),
    #[error("the dead letter could not be stored")]
    DeadLetter(#[from] sqlx::Error),
}

impl IngestError {
    fn status(&self) -> StatusCode {
        match self {
            // Misconfiguration on our side: the sender should retry later.
            IngestError::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::Incomplete => StatusCode::BAD_REQUEST,
            IngestError::Unverified(VerifyError::MalformedTimestamp) => StatusCode::BAD_REQUEST,
            IngestError::Unverified(_) => StatusCode::UNAUTHORIZED,
            IngestError::BadEvent(_) => StatusCode::BAD_REQUEST,
            IngestError::Storage(_) | IngestError::DeadLetter(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// The `reason` label of the rejected-deliveries counter.
    fn reason(&self) -> &'static str {
        match self {
            IngestError::NotConfigured => "not_configured",
            IngestError::TooLarge(_) => "too_large",
            IngestError::Incomplete => "incomplete_body",
            IngestError::Unverified(VerifyError::MissingHeader(_)) => "missing_header",
            IngestError::Unverified(VerifyError::MalformedTimestamp) => "malformed_timestamp",
            IngestError::Unverified(VerifyError::OutsideWindow(_)) => "outside_window",
            IngestError::Unverified(VerifyError::NoMatch) => "bad_signature",
            IngestError::BadEvent(_) => "bad_event",
            IngestError::Storage(_) | IngestError::DeadLetter(_) => "storage",
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            "internal error; the delivery was not stored, retry later".to_owned()
        } else {
            self.to_string()
        };
        (status, axum::Json(json!({ "error": message }))).into_response()
    }
}

#[tracing::instrument(name = "ingest", skip_all, fields(webhook_id, event_id))]
async fn receive(State(route): State<IngestRoute>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // Named before the body is read, so a refusal of the body itself names its delivery too.
    if let Some(id) = parts.headers.get("webhook-id") {
        let id = crate::telemetry::loggable_id(id.to_str().unwrap_or_default());
        tracing::Span::current().record("webhook_id", id);
    }
    let body = match read_body(body, &parts.headers, route.max_body_bytes).await {
        Ok(body) => body,
        Err(error) => return refuse(error, None),
    };
    let (state, headers) = (&route.state, &parts.headers);

    match accept(state, headers, &body).await {
        Ok(Recorded::Stored { .. }) => {
            metrics::accepted(started.elapsed());
            answer("stored")
        }
        Ok(Recorded::Duplicate | Recorded::DuplicateMismatch) => {
            metrics::duplicate(started.elapsed());
            answer("duplicate")
        }
        Err(error) => refuse(error, Some(&body)),
    }
}

/// Counts, logs (with the body's hash, never the body; no hash when the body was not read
/// whole) and answers a refused delivery.
fn refuse(error: IngestError, body: Option<&[u8]>) -> Response {
    metrics::rejected(error.reason());
    match (&error, body) {
        (IngestError::Storage(cause), _) => tracing::error!(error = %cause, "event not stored"),
        (IngestError::DeadLetter(cause), _) => {
            tracing::error!(error = %cause, "dead letter not stored")
        }
        (IngestError::NotConfigured, _) => tracing::error!("{error}"),
        (_, Some(body)) => {
            let body_sha256 = hex::encode(Sha256::digest(body));
            tracing::warn!(reason = %error, body_sha256, "delivery refused");
        }
        (_, None) => tracing::warn!(reason = %error, "delivery refused"),
    }
    error.into_response()
}

/// Reads the body up to `limit` bytes, refusing a larger declared length before reading.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, IngestError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(IngestError::TooLarge(limit));
    }
    // A body over the limit, cut off or too slow to arrive is not stored.
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        if over_limit(&error) {
            IngestError::TooLarge(limit)
        } else {
            IngestError::Incomplete
        }
    })
}

/// Whether reading the body failed because it passed the length limit (rather than breaking
/// off or timing out).
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

fn answer(status: &str) -> Response {
    (StatusCode::OK, axum::Json(json!({ "status": status }))).into_response()
}

async fn accept(
    state: &IngestState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Recorded, IngestError> {
    let verifier = &state.verifier;
    if !verifier.has_secrets() {
        return Err(IngestError::NotConfigured);
    }
    // A header that is present but not visible ASCII reads as empty, and is refused as malformed.
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default());
    let now = now_ms();

    let webhook_id = match verifier.scheme() {
        Scheme::StandardWebhooks => {
            let signed = SignedHeaders {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            };
            let (id, _) = verifier
                .verify(&signed, body, now / 1000)
                .map_err(IngestError::Unverified)?;
            Some(id)
        }
        Scheme::BodyOnly => {
            verifier
                .verify_body(header("x-aegis-signature"), body)
                .map_err(IngestError::Unverified)?;
            None
        }
    };

    let webhook_id = webhook_id.unwrap_or_default();
    let mut event = match event::parse(body, webhook_id, now) {
        Ok(event) => event,
        Err(reason) => {
            keep_dead_letter(state, headers, webhook_id, body, &reason, now).await?;
            return Err(IngestError::BadEvent(reason));
        }
    };
    tracing::Span::current().record("event_id", event.event_id.as_str());
    if verifier.scheme() == Scheme::BodyOnly {
        event.webhook_id = event.event_id.clone();
        // The payload's time stands in for the signed timestamp the scheme lacks.
        verifier
            .check_window(event.created_at.div_euclid(1000), now / 1000)
            .map_err(IngestError::Unverified)?;
    }

    let (event_type, reference_id) = (event.event_type.clone(), event.reference_id.clone());
    let recorded = state.writer.record(event).await?;
    match recorded {
        Recorded::Stored { queued, relayed } => {
            tracing::debug!(%event_type, %reference_id, queued, relayed, "event stored");
        }
        Recorded::Duplicate => tracing::debug!("duplicate delivery ignored"),
        Recorded::DuplicateMismatch => {
            tracing::warn!("redelivery with a different body; the first body was kept");
        }
    }
    Ok(recorded)
}

/// Keeps a correctly signed delivery that is not a valid event, so nothing a genuine sender
/// sent is lost.
async fn keep_dead_letter(
    state: &IngestState,
    headers: &HeaderMap,
    webhook_id: &str,
    body: &[u8],
    reason: &str,
    now: i64,
) -> Result<(), IngestError> {
    let kept: serde_json::Map<String, serde_json::Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?;
            Some((
                (*name).to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into(),
            ))
        })
        .collect();
    let letter = NewDeadLetter {
        received_at: now,
        source: SOURCE,
        reason,
        headers: serde_json::Value::Object(kept).to_string(),
        webhook_id,
        body,
    };
    match dead_letters::insert(&state.pool, letter).await? {
        Some(id) => tracing::warn!(
            dead_letter = id,
            "signed delivery kept in the dead-letter inbox"
        ),
        None => tracing::warn!("signed delivery already in the dead-letter inbox"),
    }
    Ok(())
}
