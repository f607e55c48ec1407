//! The login session: which user a browser is, stored server-side by tower-sessions, and when
//! it stops counting (idle timeout, absolute timeout, the user's session epoch).

use crate::auth::AuthPolicy;
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::server::internal;
use crate::store::{now_ms, users};
use sqlx::SqlitePool;
use tower_sessions::Session;

const USER_ID_KEY: &str = "user_id";
/// When the user logged in (Unix ms); the absolute timeout counts from here.
const LOGGED_IN_AT_KEY: &str = "logged_in_at";
/// The user's session epoch at login; a different epoch in the database ends the session.
const EPOCH_KEY: &str = "epoch";
/// When the session was last saved because of use (Unix ms); saving renews the idle expiry.
const SEEN_AT_KEY: &str = "seen_at";

/// Starts an authenticated session for `user_id` at epoch `epoch`. The session id is renewed
/// first, so an id planted before login is worthless after it.
pub async fn log_in(session: &Session, user_id: i64, epoch: i64) -> Result<(), AppError> {
    let now = now_ms();
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(internal)?;
    session
        .insert(LOGGED_IN_AT_KEY, now)
        .await
        .map_err(internal)?;
    session.insert(SEEN_AT_KEY, now).await.map_err(internal)?;
    set_epoch(session, epoch).await
}

/// Records a new session epoch in this session, so it survives the change that raised the
/// epoch (an admin setting their own password keeps the session they did it from).
pub async fn set_epoch(session: &Session, epoch: i64) -> Result<(), AppError> {
    session.insert(EPOCH_KEY, epoch).await.map_err(internal)
}

/// Ends the session and deletes it from the store.
pub async fn log_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}

/// The session's user, if it has one who still exists, is not disabled, logged in less than the
/// absolute limit ago and has not changed password since. A session failing any of these is
/// flushed. A session in use is saved now and then, which renews its idle expiry.
pub async fn current_user(
    session: &Session,
    pool: &SqlitePool,
    policy: &AuthPolicy,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    let now = now_ms();
    let logged_in_at = session
        .get::<i64>(LOGGED_IN_AT_KEY)
        .await
        .map_err(internal)?;
    if logged_in_at.is_none_or(|at| now - at >= policy.session_max_age_ms) {
        tracing::info!(user_id, "session reached its absolute time limit");
        log_out(session).await?;
        return Ok(None);
    }

    let Some(record) = users::by_id(pool, user_id).await.map_err(internal)? else {
        return Ok(None);
    };
    let epoch = session.get::<i64>(EPOCH_KEY).await.map_err(internal)?;
    if epoch != Some(record.session_epoch) {
        tracing::info!(
            user_id,
            "session ended by a password change or by disabling the user"
        );
        log_out(session).await?;
        return Ok(None);
    }

    keep_alive(session, now, policy).await?;
    Ok(record.to_current())
}

/// Saves the session when it was last saved long enough ago, so its idle expiry moves forward
/// without a database write on every request.
async fn keep_alive(session: &Session, now: i64, policy: &AuthPolicy) -> Result<(), AppError> {
    let every = (policy.session_idle_ms / 10).clamp(1_000, 60_000);
    let seen_at = session.get::<i64>(SEEN_AT_KEY).await.map_err(internal)?;
    if seen_at.is_none_or(|at| now - at >= every) {
        session.insert(SEEN_AT_KEY, now).await.map_err(internal)?;
    }
    Ok(())
}
