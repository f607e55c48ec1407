//! The live update stream (`GET /live`): who may open it, what changes it announces, how a
//! reconnecting page catches up, and when it ends.

use crate::dashboard::{PASSWORD, add_user_as, form_post, log_in};
use crate::helpers::{TestApp, run};
use app::model::{Change, LiveMessage, Role};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

/// How long a test waits for a message it expects.
const WAIT: Duration = Duration::from_secs(5);

/// An open `/live` stream, read message by message.
struct Stream {
    body: Body,
    buffer: String,
}

impl Stream {
    /// Opens the stream with the session `cookie`; it must be answered with 200.
    async fn open(app: &TestApp, cookie: &str) -> Stream {
        let response = app.router.clone().oneshot(live_request(Some(cookie))).await;
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        Stream {
            body: response.into_body(),
            buffer: String::new(),
        }
    }

    /// The next message; `None` once the server has ended the stream.
    async fn next(&mut self) -> Option<LiveMessage> {
        tokio::time::timeout(WAIT, self.read())
            .await
            .expect("no live message within 5 s")
    }

    async fn read(&mut self) -> Option<LiveMessage> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data = event.lines().find_map(|line| line.strip_prefix("data: "));
                match data {
                    Some(data) => return Some(serde_json::from_str(data).unwrap()),
                    None => continue, // a keep-alive comment
                }
            }
            let frame = self.body.frame().await?.unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

fn live_request(cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/live");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

async fn reviewer(app: &TestApp) -> String {
    add_user_as(app, "alice", Role::Reviewer).await;
    log_in(app, "alice", PASSWORD).await.unwrap()
}

async fn item_id(app: &TestApp, reference: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM review_items WHERE reference_id = '{reference}' AND status = 'open'"
    ))
    .await
}

/// Posts a server function form as `cookie` and checks it was accepted.
async fn call(app: &TestApp, function: &str, form: &str, cookie: &str) {
    let reply = app
        .send(form_post(&format!("/api/{function}"), form, Some(cookie)))
        .await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{function}: {} {}",
        reply.status,
        reply.body
    );
}

#[test]
fn nobody_without_a_session_gets_the_stream() {
    run(async {
        let app = TestApp::new().await;

        let reply = app.send(live_request(None)).await;
        let forged = app.send(live_request(Some("moddesk_session=forged"))).await;

        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    })
}

#[test]
fn the_stream_greets_with_the_count_then_announces_an_arriving_event() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;

        let hello = stream.next().await.unwrap();
        app.deliver_review("evt_1", "post_1").await;
        let arrived = stream.next().await.unwrap();

        assert_eq!((hello.change, hello.open_count), (Change::Hello, Some(0)));
        assert_eq!(arrived.change, Change::Arrived);
        assert_eq!(arrived.reference_id.as_deref(), Some("post_1"));
        assert_eq!(arrived.open_count, Some(1));
        assert!(arrived.seq > hello.seq);
    })
}

#[test]
fn blocked_events_and_duplicates_change_nothing_on_the_queue() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        app.deliver_review("evt_1", "post_1").await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        app.deliver_review("evt_1", "post_1").await;
        let blocked = crate::helpers::event("evt_2", "moderation.blocked", "post_2");
        app.deliver_signed(
            crate::helpers::SECRET,
            "evt_2",
            crate::helpers::now(),
            &blocked,
        )
        .await;
        app.deliver_review("evt_3", "post_3").await;
        let next = stream.next().await.unwrap();

        assert_eq!(next.reference_id.as_deref(), Some("post_3"), "{next:?}");
        assert_eq!(next.open_count, Some(2));
    })
}

#[test]
fn claims_decisions_and_undo_are_announced_once_committed() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        app.deliver_review("evt_1", "post_1").await;
        let id = item_id(&app, "post_1").await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        call(&app, "claim_item", &format!("item_id={id}"), &cookie).await;
        let claimed = stream.next().await.unwrap();
        call(&app, "release_item", &format!("item_id={id}"), &cookie).await;
        let released = stream.next().await.unwrap();
        let decision = format!("item_id={id}&version=1&verdict=approve");
        call(&app, "decide", &decision, &cookie).await;
        let decided = stream.next().await.unwrap();
        call(&app, "undo", "", &cookie).await;
        let undone = stream.next().await.unwrap();
        let version = app
            .count(&format!("SELECT version FROM review_items WHERE id = {id}"))
            .await;
        let escalation = format!("items={id}:{version}&verdict=escalate");
        call(&app, "decide_bulk", &escalation, &cookie).await;
        let escalated = stream.next().await.unwrap();

        assert_eq!(
            (claimed.change, claimed.item_id),
            (Change::Claimed, Some(id))
        );
        assert_eq!(
            (released.change, released.item_id),
            (Change::Released, Some(id))
        );
        assert_eq!(
            (decided.change, decided.item_id),
            (Change::Decided, Some(id))
        );
        assert_eq!(decided.reference_id.as_deref(), Some("post_1"));
        assert_eq!(decided.open_count, Some(0));
        assert_eq!(
            (undone.change, undone.open_count),
            (Change::Undone, Some(1))
        );
        assert_eq!(undone.reference_id.as_deref(), Some("post_1"));
        assert_eq!(escalated.change, Change::Escalated);
        let seqs = [
            claimed.seq,
            released.seq,
            decided.seq,
            undone.seq,
            escalated.seq,
        ];
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    })
}

#[test]
fn a_reopening_is_announced() {
    run(async {
        let app = TestApp::new().await;
        add_user_as(&app, "max", Role::Manager).await;
        let cookie = log_in(&app, "max", PASSWORD).await.unwrap();
        app.deliver_review("evt_1", "post_1").await;
        let id = item_id(&app, "post_1").await;
        call(
            &app,
            "decide",
            &format!("item_id={id}&version=1&verdict=approve"),
            &cookie,
        )
        .await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        call(
            &app,
            "reopen",
            &format!("item_id={id}&reason=appeal"),
            &cookie,
        )
        .await;
        let reopened = stream.next().await.unwrap();

        assert_eq!(
            (reopened.change, reopened.item_id),
            (Change::Reopened, Some(id))
        );
        assert_eq!(reopened.open_count, Some(1));
    })
}

#[test]
fn a_stream_that_fell_behind_is_told_to_refetch() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        for _ in 0..2_000 {
            app.live.publish(Change::Claimed, Some(1), None);
        }
        let refetch = stream.next().await.unwrap();

        assert_eq!(refetch.change, Change::Refetch);
        assert_eq!(refetch.seq, app.live.seq());
        assert_eq!(refetch.open_count, Some(0));
    })
}

#[test]
fn a_burst_of_changes_arrives_as_one_message() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        for id in 1..=50 {
            app.live.publish(Change::Claimed, Some(id), None);
        }
        let burst = stream.next().await.unwrap();

        assert_eq!((burst.change, burst.item_id), (Change::Claimed, Some(50)));
        assert_eq!(burst.seq, app.live.seq());
    })
}

#[test]
fn a_reconnecting_page_learns_whether_it_missed_a_change() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let first = Stream::open(&app, &cookie).await.next().await.unwrap();

        let quiet = Stream::open(&app, &cookie).await.next().await.unwrap();
        app.deliver_review("evt_1", "post_1").await;
        let after_change = Stream::open(&app, &cookie).await.next().await.unwrap();

        assert_eq!(quiet.seq, first.seq, "nothing changed while away");
        assert_eq!(after_change.change, Change::Hello);
        assert!(after_change.seq > quiet.seq, "a change was missed");
        assert_eq!(after_change.open_count, Some(1));
    })
}

#[test]
fn the_stream_ends_when_the_session_ends() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        call(&app, "logout", "", &cookie).await;
        app.deliver_review("evt_1", "post_1").await;
        let after_logout = stream.next().await;
        let reopened = app.send(live_request(Some(&cookie))).await;

        assert_eq!(after_logout, None, "no message after logging out");
        assert_eq!(reopened.status, StatusCode::UNAUTHORIZED);
    })
}

#[test]
fn a_disabled_user_loses_the_stream() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        sqlx::query(
            "UPDATE users SET disabled = 1, session_epoch = session_epoch + 1 \
             WHERE name = 'alice'",
        )
        .execute(&app.pool)
        .await
        .unwrap();
        app.deliver_review("evt_1", "post_1").await;

        assert_eq!(stream.next().await, None);
    })
}

#[test]
fn server_shutdown_ends_every_stream() {
    run(async {
        let app = TestApp::new().await;
        let cookie = reviewer(&app).await;
        let mut stream = Stream::open(&app, &cookie).await;
        stream.next().await.unwrap();

        app.live.close();

        assert_eq!(stream.next().await, None);
    })
}
