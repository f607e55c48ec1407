//! Live updates in the browser. While someone is logged in, the header holds one `EventSource`
//! on `/live` for the whole page; what it hears is shared through [`LiveSignals`] in context:
//! pages whose data can change refetch through a [`LiveRefetch`], and the header shows the
//! number of open items.

use crate::api::review::open_count;
use crate::root::{AuthActions, UserResource};
use leptos::prelude::*;
use std::future::Future;

/// What the live stream has told this page so far.
#[derive(Clone, Copy)]
pub struct LiveSignals {
    /// Rises each time the queue changed (or may have, after a reconnect that missed changes).
    pub version: RwSignal<u64>,
    /// Open items as the latest message counted them; `None` before the first.
    pub open_count: RwSignal<Option<i64>>,
    /// Whether the stream is open.
    pub status: RwSignal<LiveStatus>,
    /// Sequence number of the latest message, kept across reconnects: a greeting with the same
    /// number means nothing was missed.
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "read in the browser")
    )]
    last_seq: StoredValue<Option<u64>>,
}

impl LiveSignals {
    /// Creates the signals and provides them to everything below.
    pub fn provide() -> LiveSignals {
        let live = LiveSignals {
            version: RwSignal::new(0),
            open_count: RwSignal::new(None),
            status: RwSignal::new(LiveStatus::Connecting),
            last_seq: StoredValue::new(None),
        };
        provide_context(live);
        live
    }

    /// Takes in one message of the stream.
    #[cfg(feature = "hydrate")]
    fn receive(self, message: crate::model::LiveMessage) {
        use crate::model::Change;

        self.status.set(LiveStatus::Open);
        if let Some(count) = message.open_count {
            self.open_count.set(Some(count));
        }
        let missed = self.last_seq.get_value() != Some(message.seq);
        self.last_seq.set_value(Some(message.seq));
        if missed || message.change == Change::Refetch {
            self.version.update(|v| *v += 1);
        }
    }
}

/// The state of the page's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// Not heard from yet (also on the server and before the bundle loaded).
    Connecting,
    #[cfg_attr(
        not(feature = "hydrate"),
        expect(dead_code, reason = "set in the browser")
    )]
    Open,
    /// The connection broke and is not back yet.
    Lost,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Open => "open",
            LiveStatus::Lost => "lost",
        }
    }
}

/// The open count the page starts with, before the live stream says more: `None` for a visitor
/// who is not logged in (asked only once the user is known, so the login page never answers
/// 401). It is a resource of the frame, created before any page's and awaited in the header's
/// one wait: the browser matches resources and suspense boundaries to the server's by the order
/// they are created in, and one created later, inside the header's wait for the user, would
/// take a page's place.
pub type FirstCount = Resource<Option<i64>>;

/// Creates the [`FirstCount`] of the page frame; it is fetched again whenever `user` is.
pub fn first_count(user: UserResource, actions: AuthActions) -> FirstCount {
    Resource::new(
        move || actions.versions(),
        move |_| async move {
            match user.await {
                Ok(Some(_)) => open_count().await.ok(),
                _ => None,
            }
        },
    )
}

/// "12 open" in the header, linking to the queue. The first number comes with the page from the
/// server ([`FirstCount`]); the live stream keeps it current. Opening this component opens the stream, and
/// leaving it (logging out) closes it.
#[component]
pub fn OpenCount(
    /// The count the page was rendered with (`None` when it could not be counted).
    first: Option<i64>,
) -> impl IntoView {
    let live = expect_context::<LiveSignals>();
    #[cfg(feature = "hydrate")]
    browser::connect(live);

    let text = move || {
        live.open_count
            .get()
            .or(first)
            .map(|count| format!("{count} open"))
            .unwrap_or_default()
    };
    let lost = move || live.status.get() == LiveStatus::Lost;
    let title = move || {
        if lost() {
            "Open review items. Live updates are interrupted; reconnecting."
        } else {
            "Open review items, updated live."
        }
    };
    view! {
        <a
            class="open-count"
            class:lost=lost
            data-live=move || live.status.get().as_str()
            href="/"
            title=title
        >
            {text}
        </a>
    }
}

/// Coalesces a page's refetches after live changes: at most one fetch in flight, and one more
/// after it when changes arrived meanwhile, so a burst of changes costs two fetches, not one
/// each.
#[derive(Clone, Copy)]
pub struct LiveRefetch {
    gate: RwSignal<u64>,
    in_flight: StoredValue<u32>,
    missed: StoredValue<bool>,
}

impl LiveRefetch {
    /// Follows the live signals in context; without them (no stream) nothing ever refetches.
    pub fn follow() -> LiveRefetch {
        let refetch = LiveRefetch {
            gate: RwSignal::new(0),
            in_flight: StoredValue::new(0),
            missed: StoredValue::new(false),
        };
        if let Some(live) = use_context::<LiveSignals>() {
            Effect::new(move |seen: Option<u64>| {
                let version = live.version.get();
                if seen.is_some_and(|seen| seen != version) {
                    refetch.request();
                }
                version
            });
        }
        refetch
    }

    /// Read it in the resource's source, so the resource refetches when it changes.
    pub fn track(self) -> u64 {
        self.gate.get()
    }

    /// Wraps the resource's fetch, so changes arriving during it wait for it to finish.
    pub fn fetch<F: Future>(self, fetch: F) -> impl Future<Output = F::Output> {
        let running = Running::start(self);
        async move {
            let output = fetch.await;
            drop(running);
            output
        }
    }

    fn request(self) {
        if self.in_flight.get_value() > 0 {
            self.missed.set_value(true);
        } else {
            self.gate.update(|g| *g += 1);
        }
    }
}

/// A fetch in flight; dropping it (finished or abandoned) lets the next one start.
struct Running(LiveRefetch);

impl Running {
    fn start(refetch: LiveRefetch) -> Running {
        refetch.in_flight.update_value(|n| *n += 1);
        Running(refetch)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let LiveRefetch {
            gate,
            in_flight,
            missed,
        } = self.0;
        // The page may be gone by now; then there is nothing left to refetch.
        let idle = in_flight
            .try_update_value(|n| {
                *n = n.saturating_sub(1);
                *n == 0
            })
            .unwrap_or(false);
        if idle && missed.try_update_value(std::mem::take).unwrap_or(false) {
            gate.try_update(|g| *g += 1);
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{LiveSignals, LiveStatus};
    use crate::model::LiveMessage;
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use std::time::Duration;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{Event, EventSource, MessageEvent};

    /// The stream's address.
    const URL: &str = "/live";
    /// First wait before opening the stream again once the browser gave up on it (an error
    /// status, such as a proxy's 502 while moddesk restarts); it doubles up to the longest.
    const FIRST_RETRY: Duration = Duration::from_secs(2);
    const LONGEST_RETRY: Duration = Duration::from_secs(60);

    /// The open connection and the callbacks it calls, closed together.
    type Connection = (
        EventSource,
        Closure<dyn FnMut(MessageEvent)>,
        Closure<dyn FnMut(Event)>,
    );

    /// Opens the stream once the page is live, and closes it when the calling component goes.
    /// The browser reconnects by itself after a network drop; when it gives up instead (an error
    /// status: logged out, or a proxy's 502 during a restart), the stream is opened again after
    /// a wait that grows with each failure in a row.
    pub fn connect(live: LiveSignals) {
        let attempt = RwSignal::new(0u32);
        let failures = StoredValue::new(0u32);
        Effect::new(move |_| {
            attempt.track();
            let gave_up = move || {
                let failed = failures.try_update_value(|n| {
                    *n = n.saturating_add(1);
                    *n
                });
                let Some(failed) = failed else {
                    return;
                };
                let wait = FIRST_RETRY
                    .saturating_mul(2u32.saturating_pow(failed - 1))
                    .min(LONGEST_RETRY);
                // Left to run if the page goes meanwhile: it then changes nothing.
                let _ = set_timeout_with_handle(
                    move || {
                        attempt.try_update(|n| *n += 1);
                    },
                    wait,
                );
            };
            let connected = move || {
                failures.try_set_value(0);
            };
            if let Some(connection) = open(live, connected, gave_up) {
                let connection = SendWrapper::new(connection);
                on_cleanup(move || close(&connection));
            }
        });
    }

    /// A connection whose messages go to `live`; `connected` runs on each message, `gave_up`
    /// when the browser stops reconnecting by itself.
    fn open(
        live: LiveSignals,
        connected: impl Fn() + 'static,
        gave_up: impl Fn() + 'static,
    ) -> Option<Connection> {
        let source = EventSource::new(URL).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let message = event
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<LiveMessage>(&text).ok());
            if let Some(message) = message {
                connected();
                live.receive(message);
            }
        });
        let on_error = Closure::<dyn FnMut(Event)>::new({
            let source = source.clone();
            move |_: Event| {
                live.status.try_set(LiveStatus::Lost);
                if source.ready_state() == EventSource::CLOSED {
                    gave_up();
                }
            }
        });
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some((source, on_message, on_error))
    }

    /// Closes the stream and detaches the callbacks before they are dropped.
    fn close(connection: &Connection) {
        let (source, _, _) = connection;
        source.set_onmessage(None);
        source.set_onerror(None);
        source.close();
    }
}
