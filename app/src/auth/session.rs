//! The login session: which user a browser is, stored server-side by tower-sessions.

use crate::error::AppError;
use crate::model::CurrentUser;
use crate::server::internal;
use crate::store::users;
use sqlx::SqlitePool;
use tower_sessions::Session;

const USER_ID_KEY: &str = "user_id";

/// Starts an authenticated session for `user_id`. The session id is renewed first, so an id
/// planted before login is worthless after it.
pub async fn log_in(session: &Session, user_id: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(internal)
}

/// Ends the session and deletes it from the store.
pub async fn log_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}

/// The session's user, if it has one who still exists and is not disabled.
pub async fn current_user(
    session: &Session,
    pool: &SqlitePool,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    let record = users::by_id(pool, user_id).await.map_err(internal)?;
    Ok(record.and_then(|r| r.to_current()))
}
