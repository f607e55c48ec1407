//! `moddesk user …` run as a process against a test app's database.

use crate::dashboard::{form_post, log_in};
use crate::helpers::{TestApp, run};
use axum::http::StatusCode;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "a-long-enough-password";

/// Runs `moddesk user <args>` on the app's database, with `stdin` as standard input.
fn user(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_moddesk"))
        .arg("user")
        .args(args)
        .env("MODDESK_DATABASE_URL", &app.settings.database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn users_are_managed_from_the_shell() {
    run(async {
        let app = TestApp::new().await;
        let password_line = format!("{PASSWORD}\n");
        assert!(
            user(&app, &["add", "carol"], &password_line)
                .status
                .success()
        );

        let promoted = user(&app, &["role", "carol", "manager"], "");
        let new_password = user(&app, &["passwd", "carol"], "another-long-password\n");
        let listed = user(&app, &["list"], "");

        assert!(promoted.status.success() && new_password.status.success());
        assert!(
            stdout(&listed).starts_with("carol\tmanager\tactive"),
            "{}",
            stdout(&listed)
        );
        assert!(
            log_in(&app, "carol", PASSWORD).await.is_none(),
            "the old password is gone"
        );
        assert!(
            log_in(&app, "carol", "another-long-password")
                .await
                .is_some()
        );
        let kinds = app
            .text("SELECT group_concat(kind, ' ') FROM (SELECT kind FROM history WHERE kind LIKE 'user.%' ORDER BY id)")
            .await;
        assert_eq!(
            kinds,
            "user.created user.role_changed user.password_changed"
        );
    })
}

#[test]
fn a_change_to_what_a_user_already_is_writes_nothing() {
    run(async {
        let app = TestApp::new().await;
        assert!(
            user(
                &app,
                &["add", "dana", "--role", "manager"],
                &format!("{PASSWORD}\n")
            )
            .status
            .success()
        );

        let same_role = user(&app, &["role", "dana", "manager"], "");
        let enabled = user(&app, &["enable", "dana"], "");
        let disabled = user(&app, &["disable", "dana"], "");
        let disabled_again = user(&app, &["disable", "dana"], "");

        assert!(same_role.status.success(), "{same_role:?}");
        assert_eq!(
            stdout(&same_role),
            "Nothing changed: dana already has role manager.\n"
        );
        assert_eq!(
            stdout(&enabled),
            "Nothing changed: dana is already enabled.\n"
        );
        assert_eq!(stdout(&disabled), "Disabled: dana.\n");
        assert_eq!(
            stdout(&disabled_again),
            "Nothing changed: dana is already disabled.\n"
        );
        let kinds = app
            .text("SELECT group_concat(kind, ' ') FROM (SELECT kind FROM history WHERE kind LIKE 'user.%' ORDER BY id)")
            .await;
        assert_eq!(kinds, "user.created user.disabled");
    })
}

#[test]
fn disabling_a_user_ends_their_session_at_once() {
    run(async {
        let app = TestApp::new().await;
        user(&app, &["add", "dave"], &format!("{PASSWORD}\n"));
        let cookie = log_in(&app, "dave", PASSWORD).await.unwrap();

        assert!(user(&app, &["disable", "dave"], "").status.success());

        let reply = app
            .send(form_post("/api/open_queue", "", Some(&cookie)))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(log_in(&app, "dave", PASSWORD).await.is_none());
        assert!(user(&app, &["enable", "dave"], "").status.success());
        assert!(log_in(&app, "dave", PASSWORD).await.is_some());
    })
}

#[test]
fn bad_user_commands_fail_with_a_reason() {
    run(async {
        let app = TestApp::new().await;

        let cases = [
            (
                vec!["role", "nobody", "admin"],
                "there is no user named \"nobody\"",
            ),
            (
                vec!["role", "nobody", "owner"],
                "is not one of reviewer, manager, admin",
            ),
            (vec!["disable", "nobody"], "there is no user named"),
            (vec!["passwd", "nobody"], "at least"),
        ];

        for (args, message) in cases {
            let output = user(&app, &args, "short\n");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{args:?}");
            assert!(stderr.contains(message), "{args:?}: {stderr}");
        }
    })
}

#[test]
fn the_shell_refuses_reserved_names_and_passwords_login_would_refuse() {
    run(async {
        let app = TestApp::new().await;
        assert!(
            user(&app, &["add", "carol"], &format!("{PASSWORD}\n"))
                .status
                .success()
        );
        let too_long = format!("{}\n", "p".repeat(1025));
        let good = format!("{PASSWORD}\n");
        // (arguments, standard input, part of the reason)
        let cases = [
            (vec!["add", "relay"], good.as_str(), "reserved"),
            (vec!["add", "Setup"], good.as_str(), ""),
            (vec!["add", "setup link"], good.as_str(), "may contain only"),
            (
                vec!["add", "admin\u{200b}"],
                good.as_str(),
                "may contain only",
            ),
            (
                vec!["add", "al\u{202e}ice"],
                good.as_str(),
                "may contain only",
            ),
            (
                vec!["add", "dave"],
                too_long.as_str(),
                "at most 1024 characters",
            ),
            (
                vec!["passwd", "carol"],
                too_long.as_str(),
                "at most 1024 characters",
            ),
        ];

        for (args, stdin, reason) in cases {
            let output = user(&app, &args, stdin);

            let stderr = String::from_utf8_lossy(&output.stderr);
            if reason.is_empty() {
                assert!(output.status.success(), "{args:?}: {stderr}");
            } else {
                assert!(!output.status.success(), "{args:?}");
                assert!(stderr.contains(reason), "{args:?}: {stderr}");
            }
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
        assert!(log_in(&app, "carol", PASSWORD).await.is_some());
    })
}

#[test]
fn commands_other_than_add_never_start_a_new_database() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("elsewhere.db");
    for args in [
        vec!["user", "list"],
        vec!["user", "disable", "alice"],
        vec!["audit", "verify"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_moddesk"))
            .args(&args)
            .env(
                "MODDESK_DATABASE_URL",
                format!("sqlite://{}", missing.display()),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr.contains("database"),
            "{args:?} names the database: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} created a database");
    }
}
