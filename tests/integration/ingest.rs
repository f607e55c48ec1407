//! `POST /hooks/aegis`: signature checks, parsing, storage and duplicates.

use crate::helpers::run;
use crate::helpers::{OTHER_SECRET, SECRET, TestApp, event, now};
use axum::http::StatusCode;
use moddesk::ingest::signature::{SignedHeaders, Verifier, WebhookSecret};
use std::time::Duration;

#[test]
fn a_signed_review_event_is_stored_and_queued() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_1", "moderation.review", "post_1");

        let reply = app.deliver_signed(SECRET, "msg_1", now(), &body).await;

        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM review_items WHERE status = 'open'")
                .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'event.received'")
                .await,
            1
        );
        let stored: Vec<u8> = sqlx::query_scalar("SELECT body FROM events")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(stored, body.as_bytes());
    })
}

#[test]
fn refused_signatures_store_nothing() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_1", "moderation.review", "post_1");
        let ts = now();

        let cases = [
            (
                "wrong signature",
                app.deliver(
                    "msg_1",
                    &ts.to_string(),
                    "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
                    &body,
                )
                .await,
            ),
            (
                "wrong secret",
                app.deliver_signed(OTHER_SECRET, "msg_1", ts, &body).await,
            ),
            (
                "stale timestamp",
                app.deliver_signed(SECRET, "msg_1", ts - 301, &body).await,
            ),
            (
                "future timestamp",
                app.deliver_signed(SECRET, "msg_1", ts + 301, &body).await,
            ),
            (
                "no signature",
                app.deliver("msg_1", &ts.to_string(), "", &body).await,
            ),
        ];

        for (case, reply) in cases {
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{case}: {}",
                reply.body
            );
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM history").await, 0);
    })
}

#[test]
fn a_malformed_timestamp_is_a_bad_request() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_1", "moderation.review", "post_1");

        for timestamp in ["-1", "12.5", "soon", "17\u{e9}"] {
            let reply = app.deliver("msg_1", timestamp, "v1,AAAA", &body).await;

            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{timestamp}");
            assert!(reply.body.contains("webhook-timestamp"), "{}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
    })
}

#[test]
fn a_redelivered_event_is_stored_once() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_1", "moderation.review", "post_1");

        let first = app.deliver_signed(SECRET, "msg_1", now(), &body).await;
        let second = app.deliver_signed(SECRET, "msg_1", now(), &body).await;

        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(second.status, StatusCode::OK);
        assert!(second.body.contains("duplicate"), "{}", second.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM review_items").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM history").await, 1);
    })
}

#[test]
fn a_database_reached_through_a_symbolic_link_stores_and_answers() {
    run(async {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let link = dir.path().join("moddesk.db");
        std::os::unix::fs::symlink("data/real.db", &link).unwrap();
        let app = TestApp::with_config(|c| {
            c.database_url = format!("sqlite://{}", link.display());
        })
        .await;

        let reply = app
            .deliver_signed(
                SECRET,
                "msg_1",
                now(),
                &event("evt_1", "moderation.review", "post_1"),
            )
            .await;

        // The log SQLite writes is next to the link's target; it is the one flushed.
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(dir.path().join("data/real.db-wal").exists());
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
    })
}

#[test]
fn a_redelivery_with_another_body_keeps_the_first_and_notes_it() {
    run(async {
        let app = TestApp::new().await;
        let first = event("evt_1", "moderation.review", "post_1");
        let changed = event("evt_1", "moderation.review", "post_2");

        app.deliver_signed(SECRET, "msg_1", now(), &first).await;
        let reply = app.deliver_signed(SECRET, "msg_1", now(), &changed).await;

        assert_eq!(reply.status, StatusCode::OK);
        let kept = app.text("SELECT reference_id FROM events").await;
        assert_eq!(kept, "post_1");
        let noted = app
            .text("SELECT reference_id FROM history WHERE kind = 'event.duplicate_mismatch'")
            .await;
        assert_eq!(
            noted, "post_1",
            "the mismatch is filed under the stored event"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'event.duplicate_mismatch'")
                .await,
            1
        );
    })
}

#[test]
fn only_review_events_open_items() {
    run(async {
        let app = TestApp::new().await;

        for (i, kind) in [
            "moderation.blocked",
            "moderation.allowed",
            "account.flagged",
        ]
        .iter()
        .enumerate()
        {
            let body = event(&format!("evt_{i}"), kind, "post_1");
            let reply = app.deliver_signed(SECRET, "msg", now(), &body).await;
            assert_eq!(reply.status, StatusCode::OK, "{kind}: {}", reply.body);
        }

        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 3);
        assert_eq!(app.count("SELECT COUNT(*) FROM review_items").await, 0);
    })
}

#[test]
fn review_events_for_one_reference_share_an_open_item() {
    run(async {
        let app = TestApp::new().await;

        app.deliver_review("evt_1", "post_1").await;
        app.deliver_review("evt_2", "post_1").await;

        assert_eq!(app.count("SELECT COUNT(*) FROM review_items").await, 1);
    })
}

#[test]
fn bad_events_with_valid_signatures_are_400_with_a_reason() {
    run(async {
        let app = TestApp::new().await;
        let mut out_of_range: serde_json::Value =
            serde_json::from_str(&event("evt_1", "moderation.review", "p")).unwrap();
        out_of_range["data"]["score"] = serde_json::json!(7);
        let cases = [
            ("not json".to_owned(), "the body is not a valid event"),
            (
                r#"{"id":"e","type":"moderation.review"}"#.to_owned(),
                "missing field",
            ),
            (out_of_range.to_string(), "data.score"),
        ];

        for (body, reason) in cases {
            let reply = app.deliver_signed(SECRET, "msg_1", now(), &body).await;

            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(reply.body.contains(reason), "{body}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
    })
}

#[test]
fn oversized_bodies_are_413() {
    run(async {
        let app = TestApp::with_config(|c| c.webhook_max_body_bytes = 2048).await;
        let body = format!("{{\"pad\":\"{}\"}}", "x".repeat(4096));

        let reply = app.deliver_signed(SECRET, "msg_1", now(), &body).await;

        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(reply.body.contains("\"error\""), "{}", reply.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
    })
}

#[test]
fn without_a_secret_ingest_is_unavailable() {
    run(async {
        let app = TestApp::with_config(|c| c.webhook_secret = String::new()).await;
        let body = event("evt_1", "moderation.review", "post_1");

        let reply = app.deliver_signed(SECRET, "msg_1", now(), &body).await;

        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
    })
}

#[test]
fn the_published_standard_webhooks_vector_verifies() {
    let verifier = Verifier::new(
        vec![WebhookSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap()],
        Duration::from_secs(300),
    );
    let headers = SignedHeaders {
        id: Some("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
        timestamp: Some("1649367553"),
        signature: Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
    };
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;

    assert!(verifier.verify(&headers, body, 1_649_367_553).is_ok());
    assert!(
        verifier
            .verify(&headers, &body[1..], 1_649_367_553)
            .is_err()
    );
}

#[test]
fn health_reports_the_database() {
    run(async {
        let app = TestApp::new().await;

        let reply = app
            .send(
                axum::http::Request::get("/healthz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;

        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.headers.contains_key("x-request-id"));
    })
}

#[test]
fn stored_events_are_copied_into_the_database_file_soon_after_they_are_stored() {
    run(async {
        let app = TestApp::new().await;
        let database = app.pool.connect_options().get_filename().to_owned();
        let copy_dir = tempfile::tempdir().unwrap();
        let copy = copy_dir.path().join("copy.db");

        let reply = app.deliver_review("evt_1", "post_1").await;

        // The copy has the database file without its log: it holds the event only once the
        // checkpoint thread has copied the log into the file. The writer on its own would not,
        // until the log is much longer.
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let mut in_file = 0;
        for _ in 0..50 {
            std::fs::copy(&database, &copy).unwrap();
            let stored = rusqlite::Connection::open(&copy).and_then(|conn| {
                conn.query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))
            });
            in_file = stored.unwrap_or(0);
            if in_file == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(in_file, 1, "the event never reached the database file");
    })
}

#[test]
fn a_failed_log_flush_stops_ingest_and_fails_the_health_check() {
    run(async {
        let app = TestApp::new().await;
        let database = app.pool.connect_options().get_filename().to_owned();
        let healthz = || {
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let before = app.deliver_review("evt_1", "post_1").await;
        // The flush thread opens the log by name for each flush. A link to a folder that does
        // not exist takes the log's place, so the flush fails, and no connection (the checkpoint
        // thread's, the pool's) can create a new log there meanwhile.
        let mut log = database.into_os_string();
        log.push("-wal");
        std::fs::remove_file(&log).unwrap();
        std::os::unix::fs::symlink("/nonexistent-moddesk-test/moddesk.db-wal", &log).unwrap();

        let failed = app.deliver_review("evt_2", "post_2").await;
        let later = app.deliver_review("evt_3", "post_3").await;
        let health = app.send(healthz()).await;

        assert_eq!(before.status, StatusCode::OK, "{}", before.body);
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(failed.body.contains("retry later"), "{}", failed.body);
        // A flush after a failed one could not vouch for the pages the failed one lost.
        assert_eq!(later.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(health.body.contains("ingest stopped"), "{}", health.body);
    })
}
