//! The role matrix: every page, download and server function, called as anonymous, reviewer,
//! manager and admin, with the answer each must get. "Allowed" means the role check let the call
//! through: the answer may still be a conflict or "not found" from the state earlier calls left
//! behind.

use crate::dashboard::{PASSWORD, add_user_as, form_post, get_page, log_in};
use crate::helpers::{TestApp, run};
use app::model::Role;

use axum::http::StatusCode;

/// Who may call something.
#[derive(Clone, Copy, Debug)]
enum May {
    /// Everyone, logged in or not.
    Anyone,
    /// Logged-in users of at least this role.
    AtLeast(Role),
}

impl May {
    fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (May::Anyone, _) => true,
            (May::AtLeast(_), None) => false,
            (May::AtLeast(needed), Some(role)) => role >= needed,
        }
    }
}

const REVIEWER: May = May::AtLeast(Role::Reviewer);
const MANAGER: May = May::AtLeast(Role::Manager);
const ADMIN: May = May::AtLeast(Role::Admin);

/// Every page with who may see it.
const PAGES: &[(&str, May)] = &[
    ("/", REVIEWER),
    ("/items/1", REVIEWER),
    ("/decisions", REVIEWER),
    ("/history", MANAGER),
    ("/insights", MANAGER),
    ("/inbox", ADMIN),
    ("/deliveries", ADMIN),
    ("/users", ADMIN),
    ("/login", May::Anyone),
];

/// Every file download with who may fetch it; refused with 401 or 403 (no login redirect).
const DOWNLOADS: &[(&str, May)] = &[
    ("/history.csv", MANAGER),
    ("/decisions.csv?decision=approve", MANAGER),
];

/// Event streams with who may open them. Without a session they answer 401, not a redirect.
const STREAMS: &[(&str, May)] = &[("/live", REVIEWER)];

/// Every server function but login, logout and first-admin setup (covered in dashboard.rs),
/// with a valid form and who may call it.
const FUNCTIONS: &[(&str, &str, May)] = &[
    ("current_user", "", May::Anyone),
    ("open_queue", "", REVIEWER),
    ("open_count", "", REVIEWER),
    ("review_item", "id=1", REVIEWER),
    ("resolved", "filter[decision]=approve", REVIEWER),
    ("reveal", "item_id=1", REVIEWER),
    ("claim_item", "item_id=1", REVIEWER),
    ("release_item", "item_id=1", REVIEWER),
    ("claim_next", "", REVIEWER),
    ("decide", "item_id=1&version=1&verdict=escalate", REVIEWER),
    ("decide_bulk", "items=2:1&verdict=approve", REVIEWER),
    ("undo", "", REVIEWER),
    ("reopen", "item_id=3&reason=appeal", MANAGER),
    ("history_page", "", MANAGER),
    ("history_chain", "", MANAGER),
    ("insights", "", MANAGER),
    ("dead_letters", "", ADMIN),
    ("deliveries", "", ADMIN),
    ("deliveries_retry", "job_id=1", ADMIN),
    ("deliveries_test", "destination=nowhere", ADMIN),
    ("users", "", ADMIN),
    (
        "users_add",
        "name=zed&role=reviewer&password=a+long+enough+password",
        ADMIN,
    ),
    ("users_role", "name=zed&role=manager", ADMIN),
    ("users_disabled", "name=zed&disabled=true", ADMIN),
    (
        "users_password",
        "name=zed&password=another+long+password",
        ADMIN,
    ),
];

#[test]
fn every_page_and_server_function_checks_the_role() {
    run(async {
        let app = TestApp::new().await;
        for (name, role) in [
            ("rita", Role::Reviewer),
            ("max", Role::Manager),
            ("ada", Role::Admin),
        ] {
            add_user_as(&app, name, role).await;
        }
        for i in 1..=3 {
            app.deliver_review(&format!("evt_{i}"), &format!("post_{i}"))
                .await;
        }
        sqlx::query(
            "UPDATE review_items SET status = 'resolved', decision = 'approve', decided_at = 0 \
             WHERE id = 3",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
        for (name, role) in [
            ("rita", Role::Reviewer),
            ("max", Role::Manager),
            ("ada", Role::Admin),
        ] {
            callers.push((
                Some(role),
                Some(log_in(&app, name, PASSWORD).await.unwrap()),
            ));
        }
        let mut failures = Vec::new();

        for (role, cookie) in &callers {
            let who = role.map_or("anonymous", Role::as_str);
            for &(path, may) in PAGES {
                let reply = app.send(get_page(path, cookie.as_deref())).await;
                let expected = match (may.allows(*role), role) {
                    (true, _) => StatusCode::OK,
                    (false, None) => StatusCode::SEE_OTHER,
                    (false, Some(_)) => StatusCode::FORBIDDEN,
                };
                if reply.status != expected {
                    failures.push(format!(
                        "{who} GET {path}: {} (expected {expected})",
                        reply.status
                    ));
                }
            }
            for &(path, may) in DOWNLOADS.iter().chain(STREAMS) {
                // A stream never ends, so only the status is read.
                let status = app.status_of(get_page(path, cookie.as_deref())).await;
                let expected = match (may.allows(*role), role) {
                    (true, _) => StatusCode::OK,
                    (false, None) => StatusCode::UNAUTHORIZED,
                    (false, Some(_)) => StatusCode::FORBIDDEN,
                };
                if status != expected {
                    failures.push(format!("{who} GET {path}: {status} (expected {expected})"));
                }
            }
            for &(name, form, may) in FUNCTIONS {
                let path = format!("/api/{name}");
                let reply = app.send(form_post(&path, form, cookie.as_deref())).await;
                let ok = match (may.allows(*role), role) {
                    (true, _) => {
                        !matches!(
                            reply.status,
                            StatusCode::UNAUTHORIZED
                                | StatusCode::FORBIDDEN
                                | StatusCode::BAD_REQUEST
                        ) && reply.status.as_u16() < 500
                    }
                    (false, None) => reply.status == StatusCode::UNAUTHORIZED,
                    (false, Some(_)) => reply.status == StatusCode::FORBIDDEN,
                };
                if !ok {
                    failures.push(format!(
                        "{who} POST {path}: {} {}",
                        reply.status, reply.body
                    ));
                }
            }
        }

        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE name = 'zed'")
                .await,
            1,
            "only the admin's call added a user"
        );
    })
}
