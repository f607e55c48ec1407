//! Dashboard pages are for logged-in users: a page request without a valid session is sent to
//! the login page before anything is rendered. Server functions check the session themselves.

use app::auth::session::current_user;
use app::server::ServerState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Pages anyone may open.
const PUBLIC_PAGES: [&str; 2] = ["/login", "/setup"];

/// Redirects page requests without a logged-in user to `/login`.
pub async fn require_login(
    State(state): State<ServerState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.uri().path().starts_with("/api/");
    if !is_page || PUBLIC_PAGES.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match current_user(&session, &state.pool, &state.auth).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => Redirect::to("/login").into_response(),
        Err(error) => (
            axum::http::StatusCode::from_u16(error.status()).unwrap_or_default(),
            error.to_string(),
        )
            .into_response(),
    }
}
