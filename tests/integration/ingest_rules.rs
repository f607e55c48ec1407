//! Ingest at production grade: each delivery rule in a table, plus concurrency and ordering.

use crate::helpers::run;
use crate::helpers::{OTHER_SECRET, SECRET, TestApp, event, now};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use moddesk::ingest::signature::{Scheme, WebhookSecret, sign, sign_body};

const BODY_SECRET: &str = "body-only-secret-for-tests-0123456789";

#[test]
fn the_timestamp_window_is_configurable_and_inclusive() {
    run(async {
        let app = TestApp::with_config(|c| c.webhook_tolerance_secs = 300).await;
        let cases = [
            (-301, StatusCode::UNAUTHORIZED),
            (-299, StatusCode::OK),
            (299, StatusCode::OK),
            (301, StatusCode::UNAUTHORIZED),
        ];

        for (i, (offset, expected)) in cases.into_iter().enumerate() {
            let id = format!("evt_{i}");
            let reply = app
                .deliver_signed(
                    SECRET,
                    &id,
                    now() + offset,
                    &event(&id, "moderation.review", &id),
                )
                .await;

            assert_eq!(reply.status, expected, "offset {offset}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 2);
    })
}

#[test]
fn any_configured_secret_verifies_during_rotation() {
    run(async {
        let app =
            TestApp::with_config(|c| c.webhook_secret = format!("{SECRET},{OTHER_SECRET}")).await;

        let old = app.deliver_review("evt_1", "a").await;
        let new = app
            .deliver_signed(
                OTHER_SECRET,
                "m2",
                now(),
                &event("evt_2", "moderation.review", "b"),
            )
            .await;

        assert_eq!(old.status, StatusCode::OK);
        assert_eq!(new.status, StatusCode::OK);
    })
}

#[test]
fn malformed_entries_beside_a_valid_one_are_skipped() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_1", "moderation.review", "a");
        let ts = now();
        let valid = sign(
            &WebhookSecret::parse(SECRET).unwrap(),
            "m1",
            ts,
            body.as_bytes(),
        );

        let header = format!("v1, v9,zzz garbage {valid} v1,AAAA");
        let reply = app.deliver("m1", &ts.to_string(), &header, &body).await;

        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    })
}

#[test]
fn the_raw_bytes_are_verified_as_received() {
    run(async {
        let app = TestApp::new().await;
        let body = "{ \"type\" : \"moderation.review\",\n\t\"data\": {\"score\":0.5, \"action\":\"review\", \
                \"reference_id\":\"odd\", \"categories\":[]},  \"created_at\":\"2026-12-03T10:00:00+01:00\", \"id\":\"evt_odd\" }\n";

        let reply = app.deliver_signed(SECRET, "m1", now(), body).await;

        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            app.text("SELECT CAST(body AS TEXT) FROM events").await,
            body
        );
    })
}

#[test]
fn signed_bodies_that_are_not_events_go_to_the_dead_letter_inbox() {
    run(async {
        let app = TestApp::new().await;
        let not_utf8: &[u8] = &[0x7b, 0xff, 0xfe, 0x7d];
        let ts = now();
        let signature = sign(&WebhookSecret::parse(SECRET).unwrap(), "m1", ts, not_utf8);
        let request = Request::post("/hooks/aegis")
            .header("webhook-id", "m1")
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(Body::from(not_utf8.to_vec()))
            .unwrap();

        let binary = app.send(request).await;
        let not_json = app
            .deliver_signed(SECRET, "m2", now(), "this is not json")
            .await;
        let retried = app
            .deliver_signed(SECRET, "m2", now(), "this is not json")
            .await;
        let unsigned = app
            .deliver("m3", &now().to_string(), "v1,AAAA", "also not json")
            .await;

        assert_eq!(binary.status, StatusCode::BAD_REQUEST);
        assert!(binary.body.contains("not UTF-8"), "{}", binary.body);
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
        assert_eq!(retried.status, StatusCode::BAD_REQUEST);
        assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
        let kept: Vec<u8> = sqlx::query_scalar("SELECT body FROM dead_letters ORDER BY id LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(kept, not_utf8);
        assert!(
            app.text("SELECT headers FROM dead_letters LIMIT 1")
                .await
                .contains("webhook-signature")
        );
    })
}

/// A delivery whose body arrives as `chunks`, with no declared length (its signature does not
/// matter: the body is refused before it is checked).
fn streamed_delivery(chunks: Vec<Result<Vec<u8>, std::io::Error>>) -> Request<Body> {
    Request::post("/hooks/aegis")
        .header("webhook-id", "m1")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", "v1,AAAA")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap()
}

#[test]
fn bodies_without_a_length_are_cut_off_at_the_limit() {
    run(async {
        let app = TestApp::with_config(|c| c.webhook_max_body_bytes = 2048).await;
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..10).map(|_| Ok(vec![b' '; 1024])).collect();
        let reply = app.send(streamed_delivery(chunks)).await;

        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    })
}

#[test]
fn a_body_that_breaks_off_is_400_not_413() {
    run(async {
        let app = TestApp::new().await;
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(b"{\"type\": \"moderation.review\"".to_vec()),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the client went away",
            )),
        ];
        let reply = app.send(streamed_delivery(chunks)).await;

        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(
            reply.body.contains("did not arrive in full"),
            "{}",
            reply.body
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 0);
    })
}

#[test]
fn concurrent_redeliveries_store_one_event_and_all_succeed() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_same", "moderation.review", "post_same");

        let deliveries =
            (0..24).map(|_| async { app.deliver_signed(SECRET, "m1", now(), &body).await.status });
        let replies = futures::future::join_all(deliveries).await;

        assert!(replies.iter().all(|s| *s == StatusCode::OK), "{replies:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM review_items").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM history").await, 1);
    })
}

#[test]
fn an_older_event_never_overwrites_a_newer_one() {
    run(async {
        let app = TestApp::new().await;
        let at = |id: &str, time: &str| {
            let mut value: serde_json::Value =
                serde_json::from_str(&event(id, "moderation.review", "post_1")).unwrap();
            value["created_at"] = time.into();
            value["data"]["score"] = if time.contains("12:") { 0.9 } else { 0.4 }.into();
            value.to_string()
        };

        app.deliver_signed(SECRET, "m2", now(), &at("evt_new", "2026-12-03T12:00:00Z"))
            .await;
        app.deliver_signed(SECRET, "m1", now(), &at("evt_old", "2026-12-03T11:00:00Z"))
            .await;

        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM review_items").await, 1);
        assert_eq!(
            app.text("SELECT e.event_id FROM review_items r JOIN events e ON e.id = r.event_id")
                .await,
            "evt_new"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM history WHERE kind = 'event.received'")
                .await,
            2
        );
    })
}

#[test]
fn the_body_only_scheme_checks_the_header_and_the_payload_time() {
    run(async {
        let app = TestApp::with_config(|c| {
            c.webhook_scheme = "body".into();
            c.webhook_secret = BODY_SECRET.into();
        })
        .await;
        let secret = WebhookSecret::parse_for(Scheme::BodyOnly, BODY_SECRET).unwrap();
        let fresh = {
            let mut value: serde_json::Value =
                serde_json::from_str(&event("evt_b", "moderation.review", "p")).unwrap();
            value["created_at"] = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
                .into();
            value.to_string()
        };
        let stale = event("evt_stale", "moderation.review", "p");
        let post = |body: String, signature: Option<String>| {
            let mut request = Request::post("/hooks/aegis");
            if let Some(signature) = signature {
                request = request.header("x-aegis-signature", signature);
            }
            request.body(Body::from(body)).unwrap()
        };

        let cases = [
            (
                "valid",
                post(fresh.clone(), Some(sign_body(&secret, fresh.as_bytes()))),
                StatusCode::OK,
            ),
            (
                "redelivered",
                post(fresh.clone(), Some(sign_body(&secret, fresh.as_bytes()))),
                StatusCode::OK,
            ),
            (
                "no header",
                post(fresh.clone(), None),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "wrong signature",
                post(fresh.clone(), Some(sign_body(&secret, b"other"))),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "stale payload",
                post(stale.clone(), Some(sign_body(&secret, stale.as_bytes()))),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "signed non-event",
                post("[]".into(), Some(sign_body(&secret, b"[]"))),
                StatusCode::BAD_REQUEST,
            ),
        ];

        for (case, request, expected) in cases {
            let reply = app.send(request).await;
            assert_eq!(reply.status, expected, "{case}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
        assert_eq!(app.text("SELECT webhook_id FROM events").await, "evt_b");
        assert_eq!(app.count("SELECT COUNT(*) FROM dead_letters").await, 1);
    })
}

#[test]
fn metrics_count_deliveries_by_outcome() {
    run(async {
        let app = TestApp::new().await;
        app.deliver_review("evt_m", "p").await;
        app.deliver_review("evt_m", "p").await;
        app.deliver("m2", &now().to_string(), "v1,AAAA", "{}").await;

        let reply = app
            .send(Request::get("/metrics").body(Body::empty()).unwrap())
            .await;

        assert_eq!(reply.status, StatusCode::OK);
        for needle in [
            "moddesk_deliveries_total{outcome=\"accepted\"}",
            "moddesk_deliveries_total{outcome=\"duplicate\"}",
            "moddesk_deliveries_total{outcome=\"rejected\",reason=\"bad_signature\"}",
            "moddesk_ingest_duration_seconds_bucket",
        ] {
            assert!(
                reply.body.contains(needle),
                "{needle} missing from:\n{}",
                reply.body
            );
        }
    })
}

/// Every review event runs this query before it opens or refreshes an item, so each of its
/// lookups must go by reference id: a plan that reads all resolved items made ingest slower with
/// every decision taken.
#[test]
fn the_queue_lookup_of_each_review_event_reads_one_reference_only() {
    run(async {
        let app = TestApp::new().await;
        // Plan rows are (id, parent, notused, detail).
        let details: Vec<String> = sqlx::query(&format!(
            "EXPLAIN QUERY PLAN {}",
            app::store::review::OPEN_ITEM_SQL
        ))
        .bind("ref_1")
        .bind(0_i64)
        .fetch_all(&app.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| sqlx::Row::get::<String, _>(row, 3))
        .collect();

        for index in [
            "review_items_one_open (reference_id=?)",
            "review_items_decided_reference (reference_id=?)",
        ] {
            assert!(details.iter().any(|d| d.contains(index)), "{details:?}");
        }
        assert!(
            !details.iter().any(|d| d.contains("review_items_decided (")),
            "{details:?}"
        );
    })
}
