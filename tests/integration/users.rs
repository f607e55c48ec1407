//! The Users page and its server functions: admins only, every change in the history, and no
//! admin can demote or disable themselves.

use crate::dashboard::{form_post, log_in};
use crate::helpers::{TestApp, run};
use crate::login::{PASSWORD, add_user, get};
use app::model::Role;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

/// Every server function of the page, with a valid form.
const SERVER_FNS: [(&str, &str); 5] = [
    ("/api/users", ""),
    (
        "/api/users_add",
        "name=eve&role=reviewer&password=a+long+enough+password",
    ),
    ("/api/users_role", "name=alice&role=admin"),
    ("/api/users_disabled", "name=alice&disabled=true"),
    (
        "/api/users_password",
        "name=alice&password=a+long+enough+password",
    ),
];

/// An app with the reviewer alice, the manager max and the admin root.
async fn app_with_three_users() -> TestApp {
    let app = TestApp::new().await;
    add_user(&app, "alice", Role::Reviewer).await;
    add_user(&app, "max", Role::Manager).await;
    add_user(&app, "root", Role::Admin).await;
    app
}

fn ok(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

#[test]
fn only_admins_reach_the_users_page_and_its_server_functions() {
    run(async {
        let app = app_with_three_users().await;
        let reviewer = log_in(&app, "alice", PASSWORD).await.unwrap();
        let manager = log_in(&app, "max", PASSWORD).await.unwrap();
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();

        let anonymous_page = app
            .send(Request::get("/users").body(Body::empty()).unwrap())
            .await;
        let reviewer_page = app.send(get("/users", &reviewer)).await;
        let manager_page = app.send(get("/users", &manager)).await;
        let admin_page = app.send(get("/users", &admin)).await;

        assert_eq!(anonymous_page.status, StatusCode::SEE_OTHER);
        assert_eq!(anonymous_page.headers[header::LOCATION], "/login");
        assert_eq!(reviewer_page.status, StatusCode::FORBIDDEN);
        assert_eq!(manager_page.status, StatusCode::FORBIDDEN);
        assert_eq!(admin_page.status, StatusCode::OK);
        assert!(
            admin_page.body.contains("max") && admin_page.body.contains("Add a user"),
            "{}",
            admin_page.body
        );
        assert!(!admin_page.body.contains("$argon2"), "no hash on the page");
        for (path, form) in SERVER_FNS {
            let anonymous = app.send(form_post(path, form, None)).await;
            let as_reviewer = app.send(form_post(path, form, Some(&reviewer))).await;
            let as_manager = app.send(form_post(path, form, Some(&manager))).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(as_reviewer.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(as_manager.status, StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 3);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind LIKE 'user.%'")
                .await,
            3,
            "only the three users created by the test"
        );
    })
}

#[test]
fn an_admin_manages_users_and_every_change_is_recorded() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();

        for (path, form) in SERVER_FNS {
            let reply = app.send(form_post(path, form, Some(&admin))).await;
            assert!(ok(reply.status), "{path}: {} {}", reply.status, reply.body);
        }
        let enabled = app
            .send(form_post(
                "/api/users_disabled",
                "name=alice&disabled=false",
                Some(&admin),
            ))
            .await;
        let listed = app.send(form_post("/api/users", "", Some(&admin))).await;

        assert!(ok(enabled.status), "{}", enabled.body);
        assert!(listed.body.contains("\"name\":\"eve\""), "{}", listed.body);
        assert!(!listed.body.contains("argon2"), "{}", listed.body);
        assert_eq!(
            app.text("SELECT role FROM users WHERE name = 'alice'")
                .await,
            "admin"
        );
        assert!(log_in(&app, "eve", PASSWORD).await.is_some());
        let entries = app
            .text(
                "SELECT group_concat(actor || ' ' || kind, ', ') FROM \
                 (SELECT actor, kind FROM history WHERE kind LIKE 'user.%' AND actor <> 'test' ORDER BY id)",
            )
            .await;
        assert_eq!(
            entries,
            "root user.created, root user.role_changed, root user.disabled, \
             root user.password_changed, root user.enabled"
        );
    })
}

#[test]
fn a_change_to_what_a_user_already_is_succeeds_and_records_nothing() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();
        let before = app.text("SELECT CAST(COUNT(*) AS TEXT) FROM history").await;

        for form in ["name=alice&disabled=false", "name=max&disabled=false"] {
            let reply = app
                .send(form_post("/api/users_disabled", form, Some(&admin)))
                .await;
            assert!(ok(reply.status), "{form}: {} {}", reply.status, reply.body);
        }
        let role = app
            .send(form_post(
                "/api/users_role",
                "name=root&role=admin",
                Some(&admin),
            ))
            .await;

        assert!(ok(role.status), "{} {}", role.status, role.body);
        assert_eq!(
            app.text("SELECT CAST(COUNT(*) AS TEXT) FROM history").await,
            before
        );
    })
}

#[test]
fn an_admin_cannot_demote_or_disable_themselves() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();

        let demoted = app
            .send(form_post(
                "/api/users_role",
                "name=ROOT&role=manager",
                Some(&admin),
            ))
            .await;
        let disabled = app
            .send(form_post(
                "/api/users_disabled",
                "name=root&disabled=true",
                Some(&admin),
            ))
            .await;
        let still_admin = app.send(get("/users", &admin)).await;

        assert_eq!(demoted.status, StatusCode::CONFLICT, "{}", demoted.body);
        assert!(demoted.body.contains("another admin"), "{}", demoted.body);
        assert_eq!(disabled.status, StatusCode::CONFLICT, "{}", disabled.body);
        assert_eq!(still_admin.status, StatusCode::OK);
        assert_eq!(
            app.text("SELECT role FROM users WHERE name = 'root'").await,
            "admin"
        );
    })
}

#[test]
fn bad_user_changes_are_refused_with_a_reason() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();
        let cases = [
            (
                "/api/users_add",
                "name=alice&role=reviewer&password=a+long+enough+password",
                StatusCode::CONFLICT,
            ),
            (
                "/api/users_add",
                "name=eve&role=reviewer&password=short",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/users_add",
                "name=eve&role=owner&password=a+long+enough+password",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/users_role",
                "name=nobody&role=admin",
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/users_disabled",
                "name=alice&disabled=maybe",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/users_password",
                "name=alice&password=short",
                StatusCode::BAD_REQUEST,
            ),
        ];

        for (path, form, expected) in cases {
            let reply = app.send(form_post(path, form, Some(&admin))).await;

            assert_eq!(reply.status, expected, "{path} {form}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 3);
    })
}

#[test]
fn a_password_set_on_the_page_ends_other_sessions_but_not_the_admins_own() {
    run(async {
        let app = app_with_three_users().await;
        let alice = log_in(&app, "alice", PASSWORD).await.unwrap();
        let root_here = log_in(&app, "root", PASSWORD).await.unwrap();
        let root_elsewhere = log_in(&app, "root", PASSWORD).await.unwrap();

        for name in ["alice", "root"] {
            let form = format!("name={name}&password=a+brand+new+password");
            let reply = app
                .send(form_post("/api/users_password", &form, Some(&root_here)))
                .await;
            assert!(ok(reply.status), "{name}: {}", reply.body);
        }

        for cookie in [&alice, &root_elsewhere] {
            let reply = app.send(form_post("/api/users", "", Some(cookie))).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
        let kept = app
            .send(form_post("/api/users", "", Some(&root_here)))
            .await;
        assert_eq!(
            kept.status,
            StatusCode::OK,
            "the session it was done from stays"
        );
        assert!(
            log_in(&app, "alice", "a brand new password")
                .await
                .is_some()
        );
    })
}

#[test]
fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    run(async {
        let app = TestApp::new().await;
        add_user(&app, "ada", Role::Admin).await;
        add_user(&app, "bea", Role::Admin).await;

        for _ in 0..5 {
            let (a, b) = tokio::join!(
                app::store::users::change(
                    &app.pool,
                    "bea",
                    app::store::users::Change::Role(Role::Manager),
                    "ada",
                    0
                ),
                app::store::users::change(
                    &app.pool,
                    "ada",
                    app::store::users::Change::Role(Role::Manager),
                    "bea",
                    0
                ),
            );
            assert!(
                a.is_ok() != b.is_ok(),
                "exactly one demotion wins: {a:?} {b:?}"
            );
            assert_eq!(
                app.count("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                    .await,
                1
            );
            sqlx::query("UPDATE users SET role = 'admin'")
                .execute(&app.pool)
                .await
                .unwrap();
        }
    })
}

#[test]
fn names_that_pass_for_moddesk_or_hide_characters_are_refused_with_a_reason() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();
        let long = "n".repeat(65);
        // (name as sent in the form, part of the reason)
        let cases = [
            ("aegis", "reserved"),
            ("Anonymous", "reserved"),
            ("CLI", "reserved"),
            ("config", "reserved"),
            ("relay", "reserved"),
            ("moddesk", "reserved"),
            ("setup+link", "may contain only"),
            ("admin%E2%80%8B", "may contain only"),
            ("%E2%80%AEnimda", "may contain only"),
            ("%D1%81li", "may contain only"),
            ("-rf", "must start with a letter or a digit"),
            (long.as_str(), "1 to 64 characters"),
        ];

        for (name, reason) in cases {
            let form = format!("name={name}&role=reviewer&password=a+long+enough+password");
            let reply = app
                .send(form_post("/api/users_add", &form, Some(&admin)))
                .await;

            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{name}: {}",
                reply.body
            );
            assert!(reply.body.contains(reason), "{name}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 3);
        let added = app
            .send(form_post(
                "/api/users_add",
                "name=j.doe-2%40team_a&role=reviewer&password=a+long+enough+password",
                Some(&admin),
            ))
            .await;
        assert!(ok(added.status), "{}", added.body);
    })
}

#[test]
fn a_password_login_would_refuse_cannot_be_set_on_the_page() {
    run(async {
        let app = app_with_three_users().await;
        let admin = log_in(&app, "root", PASSWORD).await.unwrap();
        let longest = "p".repeat(1024);
        let too_long = "p".repeat(1025);
        // (server function, form, expected status)
        let cases = [
            (
                "/api/users_add",
                format!("name=eve&role=reviewer&password={too_long}"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/users_password",
                format!("name=alice&password={too_long}"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/users_password",
                format!("name=alice&password={longest}"),
                StatusCode::OK,
            ),
        ];

        for (path, form, expected) in cases {
            let reply = app.send(form_post(path, &form, Some(&admin))).await;

            assert_eq!(reply.status, expected, "{path}: {}", reply.body);
            if expected == StatusCode::BAD_REQUEST {
                assert!(
                    reply.body.contains("at most 1024 characters"),
                    "{path}: {}",
                    reply.body
                );
            }
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 3);
        assert!(log_in(&app, "alice", &longest).await.is_some());
    })
}
