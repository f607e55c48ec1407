//! The dashboard over HTTP: page guard, login, cross-site refusal and decisions.

use crate::helpers::TestApp;
use crate::helpers::run;
use app::auth::password;
use app::model::Role;
use app::store::users::{self, NewUser};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use secrecy::SecretString;

const ORIGIN: &str = "http://127.0.0.1:3000";
pub(crate) const PASSWORD: &str = "a long enough password";

/// An app with the reviewer alice and one open review item, for post_1.
async fn app_with_alice_and_one_item() -> TestApp {
    let app = TestApp::new().await;
    add_user(&app, "alice").await;
    app.deliver_review("evt_1", "post_1").await;
    app
}

async fn add_user(app: &TestApp, name: &str) {
    add_user_as(app, name, Role::Reviewer).await;
}

/// Adds a user with [`PASSWORD`] and `role`.
pub(crate) async fn add_user_as(app: &TestApp, name: &str, role: Role) {
    let hash = password::hash(SecretString::from(PASSWORD)).await.unwrap();
    let user = NewUser {
        name,
        password_hash: &hash,
        role,
        actor: "test",
        at: 0,
    };
    users::create(&app.pool, user, false).await.unwrap();
}

/// A GET of `path`, with the session `cookie` when there is one.
pub(crate) fn get_page(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

pub(crate) fn form_post(path: &str, form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .header(header::HOST, "127.0.0.1:3000");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(form.to_owned())).unwrap()
}

/// Logs in and returns the session cookie (`name=value`).
pub(crate) async fn log_in(app: &TestApp, name: &str, password: &str) -> Option<String> {
    let reply = app
        .send(form_post(
            "/api/login",
            &format!("name={name}&password={}", password.replace(' ', "+")),
            None,
        ))
        .await;
    reply
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .filter(|_| reply.status.is_success() || reply.status.is_redirection())
}

#[test]
fn pages_redirect_to_login_without_a_session() {
    run(async {
        let app = TestApp::new().await;

        for path in ["/", "/decisions", "/history", "/items/1"] {
            let reply = app
                .send(Request::get(path).body(Body::empty()).unwrap())
                .await;

            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(reply.headers[header::LOCATION], "/login", "{path}");
        }
    })
}

#[test]
fn server_functions_refuse_anonymous_callers() {
    run(async {
        let app = TestApp::new().await;

        for path in ["/api/open_queue", "/api/resolved", "/api/history_page"] {
            let reply = app.send(form_post(path, "", None)).await;

            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{path}: {}",
                reply.body
            );
        }
    })
}

#[test]
fn state_changes_from_other_sites_are_refused() {
    run(async {
        let app = TestApp::new().await;
        let request = Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::HOST, "127.0.0.1:3000")
            .body(Body::from("name=a&password=b"))
            .unwrap();

        let reply = app.send(request).await;

        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    })
}

#[test]
fn login_gives_one_answer_for_unknown_user_and_wrong_password() {
    run(async {
        let app = TestApp::new().await;
        add_user(&app, "alice").await;

        let unknown = app
            .send(form_post(
                "/api/login",
                "name=bob&password=whatever+it+is",
                None,
            ))
            .await;
        let wrong = app
            .send(form_post(
                "/api/login",
                "name=alice&password=whatever+it+is",
                None,
            ))
            .await;

        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert_eq!(unknown.status, wrong.status);
        assert_eq!(unknown.body, wrong.body);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'auth.login_failed'")
                .await,
            2
        );
    })
}

#[test]
fn a_reviewer_logs_in_and_decides_an_item_once() {
    run(async {
        let app = app_with_alice_and_one_item().await;
        let item = app.count("SELECT id FROM review_items").await;

        let cookie = log_in(&app, "alice", PASSWORD)
            .await
            .expect("login sets a session cookie");
        let page = app
            .send(
                Request::get("/")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let first = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={item}&version=1&verdict=remove&reason=hate&note=slur"),
                Some(&cookie),
            ))
            .await;
        let second = app
            .send(form_post(
                "/api/decide",
                &format!("item_id={item}&version=1&verdict=approve&note="),
                Some(&cookie),
            ))
            .await;

        assert_eq!(page.status, StatusCode::OK);
        assert!(
            first.status.is_success() || first.status.is_redirection(),
            "{}: {}",
            first.status,
            first.body
        );
        assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
        assert_eq!(
            app.text("SELECT decision FROM review_items").await,
            "remove"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'review.decided'")
                .await,
            1
        );
    })
}

#[test]
fn an_unknown_decision_is_refused() {
    run(async {
        let app = app_with_alice_and_one_item().await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();

        let reply = app
            .send(form_post(
                "/api/decide",
                "item_id=1&version=1&verdict=delete&note=",
                Some(&cookie),
            ))
            .await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
                .await,
            1
        );
    })
}

#[test]
fn the_session_id_changes_at_login() {
    run(async {
        let app = TestApp::new().await;
        add_user(&app, "alice").await;

        let first = log_in(&app, "alice", PASSWORD).await.unwrap();
        let second = log_in(&app, "alice", PASSWORD).await.unwrap();

        assert_ne!(first, second);
    })
}

#[test]
fn the_setup_page_shows_its_form_only_while_a_setup_link_works() {
    run(async {
        let setup = app::server::SetupGate::closed();
        let token = setup.open();
        let app = TestApp::with_setup(setup).await;
        let path = format!("/setup?token={token}");

        let before = app.send(get_page(&path, None)).await;
        let created = app
            .send(form_post(
                "/api/create_first_admin",
                &format!("token={token}&name=root&password=a+long+enough+password"),
                None,
            ))
            .await;
        let after = app.send(get_page(&path, None)).await;

        assert_eq!(before.status, StatusCode::OK);
        assert!(before.body.contains("Create admin"), "{}", before.body);
        assert!(created.headers.contains_key(header::SET_COOKIE));
        assert_eq!(after.status, StatusCode::OK);
        assert!(after.body.contains("moddesk is set up"), "{}", after.body);
        assert!(!after.body.contains("Create admin"), "{}", after.body);
    })
}

#[test]
fn the_setup_link_creates_the_first_admin_once() {
    run(async {
        let setup = app::server::SetupGate::closed();
        let token = setup.open();
        let app = TestApp::with_setup(setup).await;
        let form = |token: &str, name: &str| {
            format!("token={token}&name={name}&password=a+long+enough+password")
        };

        let wrong = app
            .send(form_post(
                "/api/create_first_admin",
                &form("nope", "root"),
                None,
            ))
            .await;
        let first = app
            .send(form_post(
                "/api/create_first_admin",
                &form(&token, "root"),
                None,
            ))
            .await;
        let again = app
            .send(form_post(
                "/api/create_first_admin",
                &form(&token, "other"),
                None,
            ))
            .await;

        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert!(
            first.status.is_success() || first.status.is_redirection(),
            "{}: {}",
            first.status,
            first.body
        );
        assert!(
            first.headers.contains_key(header::SET_COOKIE),
            "the new admin is logged in"
        );
        assert_eq!(again.status, StatusCode::FORBIDDEN);
        assert!(
            again.body.contains("not valid") && again.body.contains("log in"),
            "{}",
            again.body
        );
        assert_eq!(app.text("SELECT role FROM users").await, "admin");
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'user.created'")
                .await,
            1
        );
    })
}

#[test]
fn only_admins_see_the_dead_letter_inbox() {
    run(async {
        let app = TestApp::new().await;
        add_user(&app, "alice").await;
        let hash = password::hash(SecretString::from(PASSWORD)).await.unwrap();
        let admin = NewUser {
            name: "root",
            password_hash: &hash,
            role: Role::Admin,
            actor: "test",
            at: 0,
        };
        users::create(&app.pool, admin, false).await.unwrap();
        app.deliver_signed(
            crate::helpers::SECRET,
            "m1",
            crate::helpers::now(),
            "not an event",
        )
        .await;

        let reviewer = log_in(&app, "alice", PASSWORD).await.unwrap();
        let root = log_in(&app, "root", PASSWORD).await.unwrap();
        let as_reviewer = app
            .send(form_post("/api/dead_letters", "", Some(&reviewer)))
            .await;
        let as_admin = app
            .send(form_post("/api/dead_letters", "", Some(&root)))
            .await;

        assert_eq!(as_reviewer.status, StatusCode::FORBIDDEN);
        assert_eq!(as_admin.status, StatusCode::OK, "{}", as_admin.body);
        assert!(as_admin.body.contains("not an event"), "{}", as_admin.body);

        for (path, form) in [
            ("/api/deliveries", ""),
            ("/api/deliveries_retry", "job_id=1"),
            ("/api/deliveries_test", "destination=team"),
        ] {
            let anonymous = app.send(form_post(path, form, None)).await;
            let as_reviewer = app.send(form_post(path, form, Some(&reviewer))).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(as_reviewer.status, StatusCode::FORBIDDEN, "{path}");
        }
        sqlx::query(
            "INSERT INTO relay_jobs (destination, topic, payload, status, next_at, created_at) \
             VALUES ('gone', 'relay.test', '{}', 'dead', 0, 0)",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        let as_admin = app
            .send(form_post("/api/deliveries", "", Some(&root)))
            .await;
        assert_eq!(as_admin.status, StatusCode::OK, "{}", as_admin.body);
        assert!(
            as_admin.body.contains("no longer configured"),
            "{}",
            as_admin.body
        );
        let orphan = app
            .send(form_post("/api/deliveries_retry", "job_id=1", Some(&root)))
            .await;
        assert_eq!(orphan.status, StatusCode::CONFLICT, "{}", orphan.body);
        let missing = app
            .send(form_post("/api/deliveries_retry", "job_id=99", Some(&root)))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
        let unknown = app
            .send(form_post(
                "/api/deliveries_test",
                "destination=nowhere",
                Some(&root),
            ))
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    })
}

#[test]
fn undecodable_server_function_arguments_are_400() {
    run(async {
        let app = app_with_alice_and_one_item().await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let cases = [
            ("/api/decide", "item_id=abc&version=1&verdict=approve&note="),
            ("/api/decide", "verdict=approve"),
            ("/api/login", "name=alice"),
            ("/api/history_page", "before=abc"),
            ("/api/review_item", ""),
        ];

        for (path, form) in cases {
            let reply = app.send(form_post(path, form, Some(&cookie))).await;

            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{path} {form}: {}",
                reply.body
            );
        }
        assert_eq!(
            app.count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
                .await,
            1
        );
    })
}

#[test]
fn an_oversized_login_name_is_refused_without_storing_it() {
    run(async {
        let app = TestApp::new().await;
        let form = format!("name={}&password=whatever", "n".repeat(50_000));

        let reply = app.send(form_post("/api/login", &form, None)).await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(reply.body.contains("Unknown user or wrong password."));
        let longest = app
            .count("SELECT COALESCE(MAX(LENGTH(detail)), 0) FROM history")
            .await;
        assert!(
            longest < 200,
            "a history entry of {longest} bytes was stored"
        );
    })
}

#[test]
fn pages_render_consistently_with_the_right_status() {
    run(async {
        let app = app_with_alice_and_one_item().await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let get = |path: &str| {
            Request::get(path)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap()
        };

        for _ in 0..10 {
            let queue = app.send(get("/")).await;
            let item = app.send(get("/items/1")).await;
            let missing = app.send(get("/items/999999")).await;
            let not_a_number = app.send(get("/items/abc")).await;

            assert_eq!(queue.status, StatusCode::OK);
            assert!(
                queue.body.contains("post_1") && !queue.body.contains("Internal"),
                "{}",
                queue.body
            );
            assert!(
                queue.body.contains("you are all idiots"),
                "the excerpt is shown"
            );
            assert_eq!(item.status, StatusCode::OK);
            assert!(
                item.body.contains("you are all idiots"),
                "the excerpt is shown"
            );
            assert_eq!(missing.status, StatusCode::NOT_FOUND);
            assert_eq!(not_a_number.status, StatusCode::NOT_FOUND);
        }
    })
}

#[test]
fn head_requests_are_guarded_like_get() {
    run(async {
        let app = TestApp::new().await;

        let reply = app
            .send(Request::head("/items/1").body(Body::empty()).unwrap())
            .await;

        assert_eq!(reply.status, StatusCode::SEE_OTHER);
    })
}

#[test]
fn pages_render_while_other_routers_are_built() {
    run(async {
        let app = app_with_alice_and_one_item().await;
        let cookie = log_in(&app, "alice", PASSWORD).await.unwrap();
        let item_page = || {
            Request::get("/items/1")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap()
        };

        // Every router needs the route list. Working it out switches resource loading off for
        // the whole process, so a page render starting meanwhile would never finish unless the
        // list is made only once. `send` fails after 20 s without an answer.
        let building = tokio::task::spawn_blocking(|| {
            for _ in 0..500 {
                moddesk::startup::route_list();
            }
        });
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(app.send(item_page()).await.status);
        }
        building.await.unwrap();

        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
    })
}

#[test]
fn the_setup_link_refuses_an_actor_name_and_a_password_login_would_refuse() {
    run(async {
        let setup = app::server::SetupGate::closed();
        let token = setup.open();
        let app = TestApp::with_setup(setup).await;
        let too_long = "p".repeat(1025);
        // (name, password, part of the reason)
        let cases = [
            ("setup+link", "a+long+enough+password", "may contain only"),
            ("Moddesk", "a+long+enough+password", "reserved"),
            ("root", too_long.as_str(), "at most 1024 characters"),
        ];

        for (name, password, reason) in cases {
            let form = format!("token={token}&name={name}&password={password}");
            let reply = app
                .send(form_post("/api/create_first_admin", &form, None))
                .await;

            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{name}: {}",
                reply.body
            );
            assert!(reply.body.contains(reason), "{name}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    })
}
