//! Login, logout, the current user, and creating the first admin through the setup link.

use crate::error::AppError;
use crate::model::CurrentUser;
use leptos::prelude::*;

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
/// answer; so does a throttled attempt (429), whether or not the account exists. Every failed
/// attempt is in the history; refused ones are not, or a flood of cheap refused requests would
/// flood it too. The failure that reaches a limit records that throttling began instead.
#[server(endpoint = "login")]
pub async fn login(name: String, password: String) -> Result<(), AppError> {
    use crate::auth::session as sess;
    use crate::server::{internal, respond};
    use crate::store::login_failures::{self, Admission};
    use crate::store::{history, now_ms};

    // Read before the first await, while the request's context is current.
    let response = use_context::<leptos_axum::ResponseOptions>();
    respond(|ctx| async move {
        let account = login_name(&name);
        let now = now_ms();
        let admission = login_failures::admit(
            &ctx.pool,
            ctx.auth.throttle,
            account,
            ctx.client.as_deref(),
            now,
        )
        .await
        .map_err(internal)?;
        let (reservation, uses_up) = match admission {
            Admission::Admitted { id, uses_up } => (id, uses_up),
            Admission::Refused { retry_at } => {
                return Err(throttled(account, retry_at - now, response));
            }
        };

        let user = match account {
            Some(account) => check_password(&ctx, account, password).await?,
            None => None,
        };
        let Some((user, epoch)) = user else {
            record_failure(&ctx, account, uses_up).await?;
            return Err(AppError::Invalid(LOGIN_REFUSED.into()));
        };

        login_failures::succeeded(&ctx.pool, reservation, &user.name)
            .await
            .map_err(internal)?;
        sess::log_in(&ctx.session, user.id, epoch).await?;
        let entry = history::NewEntry {
            at: now_ms(),
            actor: &user.name,
            kind: history::kind::LOGIN,
            reference_id: None,
            detail: format!("logged in as {}", user.role),
        };
        history::record(&ctx.pool, entry).await.map_err(internal)?;
        tracing::info!(user = %user.name, "user logged in");
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// The user `name` with their session epoch, if `password` is theirs and they may log in.
#[cfg(feature = "ssr")]
async fn check_password(
    ctx: &crate::server::Ctx,
    name: &str,
    password: String,
) -> Result<Option<(CurrentUser, i64)>, AppError> {
    use crate::auth::password as pw;
    use crate::server::internal;
    use crate::store::users;
    use secrecy::SecretString;

    if password.chars().count() > pw::MAX_LENGTH {
        return Ok(None);
    }
    let record = users::by_name(&ctx.pool, name).await.map_err(internal)?;
    let stored = record.as_ref().map(|r| r.password_hash.clone());
    let password_ok = pw::verify(SecretString::from(password), stored).await;
    Ok(record
        .filter(|_| password_ok)
        .and_then(|r| Some((r.to_current()?, r.session_epoch))))
}

/// Records a failed login and, when it used up the failures allowed for its name or address, that
/// further logins are refused for up to the window. `account` is at most a user name long, so
/// one request cannot write a large entry.
#[cfg(feature = "ssr")]
async fn record_failure(
    ctx: &crate::server::Ctx,
    account: Option<&str>,
    uses_up: crate::store::login_failures::UsesUp,
) -> Result<(), AppError> {
    use crate::server::internal;
    use crate::store::history;

    let detail = match account {
        Some(name) => format!("failed login as {name:?}"),
        None => "failed login with an invalid user name".to_owned(),
    };
    let entry = anonymous_entry(history::kind::LOGIN_FAILED, detail);
    history::record(&ctx.pool, entry).await.map_err(internal)?;

    let minutes = (ctx.auth.throttle.window_ms + 59_999) / 60_000;
    let mut limits = Vec::new();
    if let (true, Some(name)) = (uses_up.account, account) {
        limits.push(format!("logins as {name:?}"));
    }
    if uses_up.address {
        limits.push("logins from its address".to_owned());
    }
    if limits.is_empty() {
        return Ok(());
    }
    let detail = format!(
        "too many failed logins: {} refused for up to {minutes} minutes",
        limits.join(" and ")
    );
    let entry = anonymous_entry(history::kind::LOGIN_THROTTLED, detail);
    history::record(&ctx.pool, entry).await.map_err(internal)
}

/// Builds the 429 for a throttled attempt, with `Retry-After`. The password was not checked,
/// and the answer is the same whether or not the account exists. Nothing goes into the history:
/// the failure that reached the limit already recorded the throttling.
#[cfg(feature = "ssr")]
fn throttled(
    account: Option<&str>,
    wait_ms: i64,
    response: Option<leptos_axum::ResponseOptions>,
) -> AppError {
    let wait_secs = u64::try_from(wait_ms)
        .unwrap_or(0)
        .max(1_000)
        .div_ceil(1_000);
    let minutes = wait_secs.div_ceil(60);
    if let (Some(response), Ok(value)) = (response, wait_secs.to_string().parse()) {
        response.insert_header(axum::http::header::RETRY_AFTER, value);
    }
    tracing::warn!(account = account.unwrap_or_default(), "login throttled");
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    AppError::TooManyRequests(format!(
        "Too many failed logins; try again in {minutes} {unit}."
    ))
}

/// A history entry by nobody in particular (a login attempt).
#[cfg(feature = "ssr")]
fn anonymous_entry(kind: &str, detail: String) -> crate::store::history::NewEntry<'_> {
    crate::store::history::NewEntry {
        at: crate::store::now_ms(),
        actor: crate::store::history::actor::ANONYMOUS,
        kind,
        reference_id: None,
        detail,
    }
}

/// Ends the session and sends the browser to the login page.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{internal, respond};
    use crate::store::{history, now_ms};

    respond(|ctx| async move {
        if let Some(user) = ctx.user().await? {
            let entry = history::NewEntry {
                at: now_ms(),
                actor: &user.name,
                kind: history::kind::LOGOUT,
                reference_id: None,
                detail: "logged out".into(),
            };
            history::record(&ctx.pool, entry).await.map_err(internal)?;
        }
        crate::auth::session::log_out(&ctx.session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Why a setup link is refused: its token is wrong (perhaps copied only in part), it was used,
/// or moddesk has restarted since (each start prints a new link while there are no users).
#[cfg(feature = "ssr")]
const SETUP_LINK_REFUSED: &str = "This setup link is not valid: check that it was copied whole \
     from the log. If the first admin already exists, log in instead; if moddesk has restarted, \
     use the new link it printed.";

/// Whether a setup link can still create the first admin: moddesk has no users and printed a
/// link when it started. Says nothing about the link itself.
#[server(endpoint = "setup_open")]
pub async fn setup_open() -> Result<bool, AppError> {
    use crate::server::respond;

    respond(|ctx| async move { Ok(ctx.setup.is_open()) }).await
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
            return Err(AppError::NotAllowed(SETUP_LINK_REFUSED.into()));
        }
        let name = crate::auth::names::check_new(&name).map_err(AppError::Invalid)?;
        pw::check_new(&password).map_err(AppError::Invalid)?;

        let hash = pw::hash(SecretString::from(password))
            .await
            .map_err(internal)?;
        let new_user = users::NewUser {
            name,
            password_hash: &hash,
            role: Role::Admin,
            actor: crate::store::history::actor::SETUP_LINK,
            at: now_ms(),
        };
        let id = match users::create(&ctx.pool, new_user, true).await {
            Ok(id) => id,
            Err(users::CreateUserError::Database(e)) => return Err(internal(e)),
            Err(e) => return Err(AppError::Conflict(e.to_string())),
        };
        ctx.setup.close();

        sess::log_in(&ctx.session, id, 0).await?;
        tracing::info!(user = %name, "first admin created through the setup link");
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// The name typed at login, trimmed, if it could belong to an account: at most
/// [`names::MAX_LENGTH`](crate::auth::names::MAX_LENGTH) characters and no control characters.
/// Looser than the rule for new names so accounts created before that rule can still log in.
#[cfg(feature = "ssr")]
fn login_name(name: &str) -> Option<&str> {
    use crate::auth::names::MAX_LENGTH;

    let name = name.trim();
    let plausible = !name.is_empty()
        && name.chars().count() <= MAX_LENGTH
        && !name.chars().any(char::is_control);
    plausible.then_some(name)
}
