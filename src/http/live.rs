//! `GET /live`: a server-sent event stream that tells an open dashboard page when the queue
//! changed, so the page refetches instead of polling. Only a logged-in user gets one; the
//! session is checked again before every message and every [`CHECK_EVERY`], and the stream ends
//! once the session no longer counts (logged out, expired, user disabled) or the server stops.

use app::auth::AuthPolicy;
use app::auth::session::current_user;
use app::live::{Live, Notice};
use app::model::{Change, LiveMessage};
use app::store::review;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, Interval};
use tower_sessions::Session;
use tower_sessions::session::Id;
use tower_sessions_sqlx_store::SqliteStore;

/// How often an idle stream sends a keep-alive comment and checks the session again.
pub const CHECK_EVERY: Duration = Duration::from_secs(15);
/// Shortest gap between two messages: changes arriving meanwhile go out as one message.
const PACE: Duration = Duration::from_millis(250);
/// How soon the browser reconnects after the stream broke.
const RETRY: Duration = Duration::from_secs(2);

/// What the stream needs: the hub, the database and the session store, to check the session
/// again without the request.
#[derive(Clone)]
pub struct LiveState {
    pub live: Live,
    pub pool: SqlitePool,
    pub auth: AuthPolicy,
    pub sessions: Arc<SqliteStore>,
}

/// Opens the stream for a logged-in user (any role); 401 otherwise.
pub async fn stream(State(state): State<LiveState>, session: Session) -> Response {
    let user = match current_user(&session, &state.pool, &state.auth).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return (StatusCode::UNAUTHORIZED, "Log in to receive live updates.").into_response();
        }
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, error.to_string()).into_response();
        }
    };
    tracing::info!(user = %user.name, "live stream opened");

    let feed = Feed::new(state, session.id());
    let mut response = Sse::new(feed.into_stream())
        .keep_alive(KeepAlive::new().interval(CHECK_EVERY))
        .into_response();
    // Reverse proxies such as nginx would otherwise hold messages back in a buffer.
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    response
}

/// One browser's stream: a greeting with the current state, then one message per change (or
/// per burst of changes).
struct Feed {
    state: LiveState,
    session_id: Option<Id>,
    notices: broadcast::Receiver<Notice>,
    closing: watch::Receiver<bool>,
    check: Interval,
    greeted: bool,
    last_sent: Instant,
}

/// What woke a waiting stream.
enum Wake {
    Closing,
    Check,
    Received(Result<Notice, RecvError>),
}

impl Feed {
    fn new(state: LiveState, session_id: Option<Id>) -> Feed {
        // Subscribed before the greeting reads the sequence number, so no change falls between.
        let notices = state.live.subscribe();
        let closing = state.live.closing();
        Feed {
            state,
            session_id,
            notices,
            closing,
            check: tokio::time::interval_at(Instant::now() + CHECK_EVERY, CHECK_EVERY),
            greeted: false,
            last_sent: Instant::now(),
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, axum::Error>> {
        futures::stream::unfold(self, |mut feed| async move {
            let event = feed.next().await?;
            Some((event, feed))
        })
    }

    /// The next message, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Result<Event, axum::Error>> {
        if !self.greeted {
            self.greeted = true;
            let seq = self.state.live.seq();
            let event = self.message(Change::Hello, seq, None, None).await;
            return Some(event.map(|e| e.retry(RETRY)));
        }

        loop {
            let wake = tokio::select! {
                _ = self.closing.wait_for(|closing| *closing) => Wake::Closing,
                _ = self.check.tick() => Wake::Check,
                received = self.notices.recv() => Wake::Received(received),
            };
            let first = match wake {
                Wake::Closing => return None,
                Wake::Check => {
                    if self.allowed().await {
                        continue;
                    }
                    return None;
                }
                Wake::Received(Err(RecvError::Closed)) => return None,
                Wake::Received(Err(RecvError::Lagged(_))) => None,
                Wake::Received(Ok(notice)) => Some(notice),
            };

            tokio::time::sleep_until(self.last_sent + PACE).await;
            let burst = self.drain(first);
            if !self.allowed().await {
                return None;
            }
            return Some(match burst {
                Some((notice, seq)) => {
                    self.message(notice.change, seq, notice.item_id, notice.reference_id)
                        .await
                }
                None => {
                    let seq = self.state.live.seq();
                    self.message(Change::Refetch, seq, None, None).await
                }
            });
        }
    }

    /// Takes every notice already waiting: the newest one with the highest sequence number
    /// seen, or `None` when some were lost because the stream fell behind.
    fn drain(&mut self, first: Option<Notice>) -> Option<(Notice, u64)> {
        let mut lagged = first.is_none();
        let mut seq = first.as_ref().map_or(0, |n| n.seq);
        let mut latest = first;
        loop {
            match self.notices.try_recv() {
                Ok(notice) => {
                    seq = seq.max(notice.seq);
                    latest = Some(notice);
                }
                Err(TryRecvError::Lagged(_)) => lagged = true,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        if lagged {
            tracing::debug!("live stream fell behind; the page is told to refetch");
            return None;
        }
        latest.map(|notice| (notice, seq))
    }

    /// Whether the session still belongs to a user who may see the queue. The session is read
    /// from the store afresh: the request's copy would not see a logout elsewhere.
    async fn allowed(&self) -> bool {
        let session = Session::new(self.session_id, self.state.sessions.clone(), None);
        match current_user(&session, &self.state.pool, &self.state.auth).await {
            Ok(Some(_)) => true,
            Ok(None) => {
                tracing::info!("live stream closed: the session has ended");
                false
            }
            // Already logged where it was created.
            Err(_) => false,
        }
    }

    async fn message(
        &mut self,
        change: Change,
        seq: u64,
        item_id: Option<i64>,
        reference_id: Option<String>,
    ) -> Result<Event, axum::Error> {
        let open_count = match review::open_count(&self.state.pool).await {
            Ok(count) => Some(count),
            Err(error) => {
                tracing::error!(%error, "live update: counting open items failed");
                None
            }
        };
        self.last_sent = Instant::now();
        let message = LiveMessage {
            seq,
            change,
            item_id,
            reference_id,
            open_count,
        };
        Event::default().id(seq.to_string()).json_data(&message)
    }
}
