//! Login, logout, the current user, and creating the first admin through the setup link.

use crate::error::AppError;
use crate::model::CurrentUser;
use leptos::prelude::*;

/// Longest password accepted at login; longer ones are refused before any hashing work.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The one answer to a failed login, whatever the cause.
#[cfg(feature = "ssr")]
const LOGIN_REFUSED: &str = "Unknown user or wrong password.";

/// The logged-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::respond;

    respond(|ctx| async move { ctx.user().await }).await
}

/// Logs in and sends the browser to the queue. Unknown name and wrong password give the same
/// answer.
#[server(endpoint = "login")]
pub async fn login(name: String, password: String) -> Result<(), AppError> {
    use crate::auth::{password as pw, session as sess};
    use crate::server::{internal, respond};
    use crate::store::{history, now_ms, users};
    use secrecy::SecretString;

    respond(|ctx| async move {
        let name = validate_name(&name).ok();
        let user = match name {
            Some(name) if password.chars().count() <= MAX_PASSWORD_CHARS => {
                let record = users::by_name(&ctx.pool, name).await.map_err(internal)?;
                let stored = record.as_ref().map(|r| r.password_hash.clone());
                let password_ok = pw::verify(SecretString::from(password), stored).await;
                record.filter(|_| password_ok).and_then(|r| r.to_current())
            }
            _ => None,
        };

        let mut conn = ctx.pool.acquire().await.map_err(internal)?;
        let Some(user) = user else {
            let detail = match name {
                Some(name) => format!("failed login as {name:?}"),
                None => "failed login with an invalid user name".to_owned(),
            };
            let entry = history::NewEntry {
                at: now_ms(),
                actor: "anonymous",
                kind: history::kind::LOGIN_FAILED,
                reference_id: None,
                detail,
            };
            history::append(&mut conn, entry).await.map_err(internal)?;
            return Err(AppError::Invalid(LOGIN_REFUSED.into()));
        };

        sess::log_in(&ctx.session, user.id).await?;
        let entry = history::NewEntry {
            at: now_ms(),
            actor: &user.name,
            kind: history::kind::LOGIN,
            reference_id: None,
            detail: format!("logged in as {}", user.role),
        };
        history::append(&mut conn, entry).await.map_err(internal)?;
        tracing::info!(user = %user.name, "user logged in");
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Ends the session and sends the browser to the login page.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{internal, respond};
    use crate::store::{history, now_ms};

    respond(|ctx| async move {
        if let Some(user) = ctx.user().await? {
            let mut conn = ctx.pool.acquire().await.map_err(internal)?;
            let entry = history::NewEntry {
                at: now_ms(),
                actor: &user.name,
                kind: history::kind::LOGOUT,
                reference_id: None,
                detail: "logged out".into(),
            };
            history::append(&mut conn, entry).await.map_err(internal)?;
        }
        crate::auth::session::log_out(&ctx.session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Creates the first admin with the token from the setup link, and logs them in.
#[server(endpoint = "create_first_admin")]
pub async fn create_first_admin(
    token: String,
    name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::auth::{password as pw, session as sess};
    use crate::model::Role;
    use crate::server::{internal, respond};
    use crate::store::{now_ms, users};
    use secrecy::SecretString;

    respond(|ctx| async move {
        if !ctx.setup.accepts(&token) {
            return Err(AppError::Forbidden);
        }
        let name = validate_name(&name)?;
        pw::check_new(&password).map_err(AppError::Invalid)?;
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(AppError::Invalid(format!(
                "The password may have at most {MAX_PASSWORD_CHARS} characters."
            )));
        }

        let hash = pw::hash(SecretString::from(password))
            .await
            .map_err(internal)?;
        let new_user = users::NewUser {
            name,
            password_hash: &hash,
            role: Role::Admin,
            actor: "setup link",
            at: now_ms(),
        };
        let id = match users::create(&ctx.pool, new_user, true).await {
            Ok(id) => id,
            Err(users::CreateUserError::Database(e)) => return Err(internal(e)),
            Err(e) => return Err(AppError::Conflict(e.to_string())),
        };
        ctx.setup.close();

        sess::log_in(&ctx.session, id).await?;
        tracing::info!(user = %name, "first admin created through the setup link");
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// A user name: 1 to 64 characters, no surrounding space, no control characters.
pub fn validate_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(
            "A user name needs 1 to 64 characters and no control characters.".into(),
        ));
    }
    Ok(name)
}
