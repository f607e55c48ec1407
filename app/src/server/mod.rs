//! Server-side plumbing for server functions: the shared state, the caller's identity and the one
//! place where errors become HTTP statuses and log lines.

mod chain_check;
mod setup;

pub use chain_check::ChainCheck;
pub use setup::SetupGate;

use crate::auth::AuthPolicy;
use crate::error::AppError;
use crate::live::Live;
use crate::model::{CurrentUser, Role};
use crate::relay::Relay;
use crate::workflow::Workflow;
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
    pub relay: Relay,
    pub workflow: Workflow,
    pub auth: AuthPolicy,
    /// The History page's cached chain check.
    pub chain: ChainCheck,
    /// Where queue changes are announced to open pages.
    pub live: Live,
}

/// A server function's view of its request: the shared state, the caller's session and address.
pub struct Ctx {
    pub pool: SqlitePool,
    pub setup: SetupGate,
    pub relay: Relay,
    pub workflow: Workflow,
    pub auth: AuthPolicy,
    pub chain: ChainCheck,
    pub live: Live,
    pub session: Session,
    /// The peer's IP address, when the server was started with connection info (`serve` is);
    /// behind a reverse proxy this is the proxy's address.
    pub client: Option<String>,
}

impl Ctx {
    /// Reads the Leptos context. Must run before the first `.await` of a server function: after
    /// one, the reactive owner that carries the context is not guaranteed to be current.
    fn capture() -> Result<Ctx, AppError> {
        let state = use_context::<ServerState>()
            .ok_or_else(|| internal("server state missing from context"))?;
        let parts = use_context::<axum::http::request::Parts>()
            .ok_or_else(|| internal("request missing from context"))?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| internal("session layer missing"))?;
        let client = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        Ok(Ctx {
            pool: state.pool,
            setup: state.setup,
            relay: state.relay,
            workflow: state.workflow,
            auth: state.auth,
            chain: state.chain,
            live: state.live,
            session,
            client,
        })
    }

    /// The logged-in user, if any. Checked against the database on every call, so a removed or
    /// disabled user loses access at once.
    pub async fn user(&self) -> Result<Option<CurrentUser>, AppError> {
        crate::auth::session::current_user(&self.session, &self.pool, &self.auth).await
    }

    /// The logged-in user, or `Unauthenticated`.
    pub async fn require_user(&self) -> Result<CurrentUser, AppError> {
        self.user().await?.ok_or(AppError::Unauthenticated)
    }

    /// The logged-in user if their role is at least `role`.
    pub async fn require_role(&self, role: Role) -> Result<CurrentUser, AppError> {
        let user = self.require_user().await?;
        if user.role >= role {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Runs a server function body with its [`Ctx`] and turns its error into the response status;
/// 4xx are logged as warnings, 5xx were logged where they were created.
pub async fn respond<T, Fut>(body: impl FnOnce(Ctx) -> Fut) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let response = use_context::<leptos_axum::ResponseOptions>();
    let result = match Ctx::capture() {
        Ok(ctx) => body(ctx).await,
        Err(error) => Err(error),
    };

    if let Err(error) = &result {
        if let Some(response) = response {
            let status = axum::http::StatusCode::from_u16(error.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            response.set_status(status);
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
