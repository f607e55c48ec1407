//! Login hardening: throttling per account and per address, session time limits, sessions
//! ended by a new password, and the session cookie's flags.

pub(crate) use crate::dashboard::{PASSWORD, add_user_as as add_user};
use crate::dashboard::{form_post, log_in};
use crate::helpers::{TestApp, run};
use app::auth::password;
use app::model::Role;
use app::store::users;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use moddesk::config::RawConfig;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::time::Duration;

/// A login form post from the client address `from`, when given.
fn login_request(name: &str, password: &str, from: Option<&str>) -> Request<Body> {
    let form = format!("name={name}&password={}", password.replace(' ', "+"));
    let mut request = form_post("/api/login", &form, None);
    if let Some(from) = from {
        let address: SocketAddr = format!("{from}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(address));
    }
    request
}

/// A page request with the session `cookie`.
pub(crate) fn get(path: &str, cookie: &str) -> Request<Body> {
    crate::dashboard::get_page(path, Some(cookie))
}

async fn app_with(adjust: impl FnOnce(&mut RawConfig)) -> TestApp {
    let app = TestApp::with_config(adjust).await;
    add_user(&app, "alice", Role::Reviewer).await;
    app
}

#[test]
fn an_account_is_locked_after_its_failures_with_one_answer_for_known_and_unknown_names() {
    run(async {
        let app = app_with(|c| c.login_max_failures_per_account = 3).await;
        for _ in 0..3 {
            app.send(login_request("alice", "wrong password!", None))
                .await;
            app.send(login_request("ghost", "wrong password!", None))
                .await;
        }

        let known = app
            .send(login_request("alice", "wrong password!", None))
            .await;
        let unknown = app
            .send(login_request("ghost", "wrong password!", None))
            .await;
        let right_password = app.send(login_request("alice", PASSWORD, None)).await;
        let other_case = app
            .send(login_request("ALICE", "wrong password!", None))
            .await;

        assert_eq!(
            known.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            known.body
        );
        assert_eq!(unknown.status, known.status);
        assert_eq!(unknown.body, known.body);
        assert!(
            known
                .body
                .contains("Too many failed logins; try again in 15 minutes."),
            "{}",
            known.body
        );
        let retry_after: u64 = known.headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((800..=900).contains(&retry_after), "{retry_after}");
        assert_eq!(right_password.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(other_case.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(!right_password.headers.contains_key(header::SET_COOKIE));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_failed'")
                .await,
            6
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_throttled'")
                .await,
            2,
            "once for alice and once for ghost, when each reached the limit"
        );
    })
}

#[test]
fn parallel_guesses_cannot_pass_the_limit() {
    run(async {
        let app = app_with(|c| c.login_max_failures_per_account = 3).await;

        let attempts = (0..8).map(|_| app.send(login_request("alice", "wrong password!", None)));
        let replies = futures::future::join_all(attempts).await;

        let refused = |status| replies.iter().filter(|r| r.status == status).count();
        assert_eq!(
            refused(StatusCode::BAD_REQUEST),
            3,
            "only the limit is checked"
        );
        assert_eq!(refused(StatusCode::TOO_MANY_REQUESTS), 5);
    })
}

#[test]
fn a_successful_login_clears_the_account_failures() {
    run(async {
        let app = app_with(|c| c.login_max_failures_per_account = 3).await;

        for _ in 0..2 {
            for _ in 0..2 {
                let failed = app
                    .send(login_request("alice", "wrong password!", None))
                    .await;
                assert_eq!(failed.status, StatusCode::BAD_REQUEST);
            }
            assert!(log_in(&app, "alice", PASSWORD).await.is_some());
        }

        assert_eq!(app.count("SELECT COUNT(*) FROM login_failures").await, 0);
    })
}

#[test]
fn one_address_has_a_budget_across_accounts() {
    run(async {
        let app = app_with(|c| c.login_max_failures_per_address = 3).await;
        for name in ["bob", "carol", "dave"] {
            app.send(login_request(name, "wrong password!", Some("203.0.113.7")))
                .await;
        }

        let same_address = app
            .send(login_request("alice", PASSWORD, Some("203.0.113.7")))
            .await;
        let other_address = app
            .send(login_request("alice", PASSWORD, Some("198.51.100.2")))
            .await;

        assert_eq!(
            same_address.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            same_address.body
        );
        assert!(
            same_address
                .body
                .contains("Too many failed logins; try again in 15 minutes.")
        );
        assert!(
            other_address.status.is_success() || other_address.status.is_redirection(),
            "{}: {}",
            other_address.status,
            other_address.body
        );
    })
}

#[test]
fn a_locked_account_opens_again_when_the_window_passes() {
    run(async {
        let app = app_with(|c| {
            c.login_max_failures_per_account = 1;
            c.login_failure_window_secs = 4;
        })
        .await;
        // The window is wide enough that a slow password check on a loaded machine still lands
        // the second attempt inside it.
        let failed_at = tokio::time::Instant::now();
        app.send(login_request("alice", "wrong password!", None))
            .await;
        let locked = app.send(login_request("alice", PASSWORD, None)).await;

        tokio::time::sleep_until(failed_at + Duration::from_millis(4_100)).await;
        let later = log_in(&app, "alice", PASSWORD).await;

        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            locked
                .body
                .contains("Too many failed logins; try again in 1 minute."),
            "{}",
            locked.body
        );
        assert!(later.is_some(), "the window has passed");
    })
}

#[test]
fn a_session_ends_at_its_absolute_limit_however_busy() {
    run(async {
        let app = app_with(|c| c.session_max_age_secs = 2).await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let fresh = app.send(get("/", &cookie)).await;

        tokio::time::sleep(Duration::from_millis(2_100)).await;
        let page = app.send(get("/", &cookie)).await;
        let server_fn = app
            .send(form_post("/api/open_queue", "", Some(&cookie)))
            .await;

        assert_eq!(fresh.status, StatusCode::OK);
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.headers[header::LOCATION], "/login");
        assert_eq!(server_fn.status, StatusCode::UNAUTHORIZED);
    })
}

#[test]
fn a_new_password_ends_the_users_sessions() {
    run(async {
        let app = app_with(|_| {}).await;
        let first = log_in(&app, "alice", PASSWORD).await.unwrap();
        let second = log_in(&app, "alice", PASSWORD).await.unwrap();
        let hash = password::hash(SecretString::from("a brand new password"))
            .await
            .unwrap();

        let change = users::Change::Password(&hash);
        users::change(&app.pool, "alice", change, "test", 0)
            .await
            .unwrap();

        for cookie in [&first, &second] {
            let reply = app
                .send(form_post("/api/open_queue", "", Some(cookie)))
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
        let cookie = log_in(&app, "alice", "a brand new password").await.unwrap();
        let reply = app
            .send(form_post("/api/open_queue", "", Some(&cookie)))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "a new login works");
    })
}

#[test]
fn disabling_and_enabling_again_does_not_revive_old_sessions() {
    run(async {
        let app = app_with(|_| {}).await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();

        for disabled in [true, false] {
            let change = users::Change::Disabled(disabled);
            users::change(&app.pool, "alice", change, "test", 0)
                .await
                .unwrap();
        }
        let reply = app.send(get("/", &cookie)).await;

        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert!(log_in(&app, "alice", PASSWORD).await.is_some());
    })
}

#[test]
fn the_session_cookie_is_secure_when_moddesk_is_served_over_https() {
    run(async {
        let https = app_with(|c| c.public_url = "https://desk.example".into()).await;
        let http = app_with(|_| {}).await;

        let secure = raw_session_cookie(&https).await;
        let plain = raw_session_cookie(&http).await;

        for cookie in [&secure, &plain] {
            assert!(cookie.starts_with("moddesk_session="), "{cookie}");
            assert!(cookie.contains("HttpOnly"), "{cookie}");
            assert!(cookie.contains("SameSite=Lax"), "{cookie}");
            assert!(cookie.contains("Max-Age=1800"), "{cookie}");
        }
        assert!(secure.contains("; Secure"), "{secure}");
        assert!(!plain.contains("Secure"), "{plain}");
    })
}

/// The whole `Set-Cookie` header of a successful login as alice.
async fn raw_session_cookie(app: &TestApp) -> String {
    let reply = app.send(login_request("alice", PASSWORD, None)).await;
    reply.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned()
}

/// One login attempt of a throttling case: the name, the password and the client address.
type Attempt = (&'static str, &'static str, Option<&'static str>);

/// A throttling case: its name, the failures allowed per account and per address, the attempts,
/// and the details of the throttled entries they should leave.
type ThrottleCase = (
    &'static str,
    u32,
    u32,
    Vec<Attempt>,
    &'static [&'static str],
);

const WRONG: &str = "wrong password!";

#[test]
fn throttling_is_recorded_once_per_name_or_address_not_per_refused_attempt() {
    let cases: [ThrottleCase; 4] = [
        (
            "one name",
            3,
            0,
            vec![("alice", WRONG, None); 53],
            &["too many failed logins: logins as \"alice\" refused for up to 15 minutes"],
        ),
        (
            "one address",
            0,
            3,
            [("bob", WRONG, Some("203.0.113.7")); 3]
                .into_iter()
                .chain([("carol", WRONG, Some("203.0.113.7")); 50])
                .collect(),
            &["too many failed logins: logins from its address refused for up to 15 minutes"],
        ),
        (
            "name and address at once",
            3,
            3,
            vec![("alice", WRONG, Some("203.0.113.7")); 53],
            &[
                "too many failed logins: logins as \"alice\" and logins from its address \
               refused for up to 15 minutes",
            ],
        ),
        (
            "the last allowed attempt succeeds",
            3,
            0,
            vec![
                ("alice", WRONG, None),
                ("alice", WRONG, None),
                ("alice", PASSWORD, None),
            ],
            &[],
        ),
    ];

    for (case, per_account, per_address, attempts, expected) in cases {
        run(async {
            let app = app_with(|c| {
                c.login_max_failures_per_account = per_account;
                c.login_max_failures_per_address = per_address;
            })
            .await;

            for (name, password, from) in attempts {
                app.send(login_request(name, password, from)).await;
            }

            let details = app
                .text(
                    "SELECT COALESCE(group_concat(detail, ' | '), '') FROM \
                     (SELECT detail FROM history WHERE kind = 'auth.login_throttled' ORDER BY id)",
                )
                .await;
            assert_eq!(details, expected.join(" | "), "{case}");
            let failed = app
                .count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_failed'")
                .await;
            assert!(failed <= 3, "{case}: {failed} failed logins recorded");
        })
    }
}

#[test]
fn a_burst_of_parallel_guesses_records_the_throttling_once() {
    run(async {
        let app = app_with(|c| c.login_max_failures_per_account = 3).await;

        let attempts = (0..40).map(|_| app.send(login_request("alice", WRONG, None)));
        futures::future::join_all(attempts).await;

        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_throttled'")
                .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_failed'")
                .await,
            3
        );
    })
}
