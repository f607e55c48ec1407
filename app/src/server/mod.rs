//! Server-side plumbing for server functions: the shared state, the caller's identity and the one
//! place where errors become HTTP statuses and log lines.

mod setup;

pub use setup::SetupGate;

use crate::error::AppError;
use crate::model::{CurrentUser, Role};
use leptos::prelude::*;
use sqlx::SqlitePool;
use std::fmt::Display;
use std::future::Future;
use tower_sessions::Session;

/// What every server function can reach, provided as Leptos context by the server binary.
#[derive(Clone)]
pub struct ServerState {
    pub pool: SqlitePool,
    pub setup: SetupGate,
}

/// The server state from the Leptos context.
pub fn state() -> Result<ServerState, AppError> {
    use_context::<ServerState>().ok_or_else(|| internal("server state missing from context"))
}

/// Runs a server function body and turns its error into the response status; 4xx are logged as
/// warnings, 5xx were logged where they were created.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;

    if let Err(error) = &result {
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            let status = axum::http::StatusCode::from_u16(error.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            options.set_status(status);
        }
        if error.status() < 500 {
            tracing::warn!(%error, "request refused");
        }
    }

    result
}

/// Logs a server fault with its cause and returns the generic error the browser sees.
pub fn internal(cause: impl Display) -> AppError {
    tracing::error!(error = %cause, "server function failed");
    AppError::Internal
}

/// The request's session.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// The logged-in user, or `Unauthenticated`. Checked against the database on every call, so a
/// removed or disabled user loses access at once.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    let state = state()?;
    let session = session().await?;

    crate::auth::session::current_user(&session, &state.pool)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The logged-in user if their role is at least `role`.
pub async fn require_role(role: Role) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if user.role >= role {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}
