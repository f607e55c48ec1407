//! Countdowns: a clock that starts at the server's time (so the first render in the browser
//! matches the server's) and ticks each second once the page is live, and the badges that read
//! it.

use crate::duration::{due_text, format_duration_ms};
use crate::model::Claim;
use leptos::prelude::*;

/// A clock starting at `start_ms` (the server's now) that advances every second in the browser.
pub fn ticking_clock(start_ms: i64) -> Signal<i64> {
    let now = RwSignal::new(start_ms);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let tick = move || now.update(|n| *n += 1000);
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    now.into()
}

/// "due in 12m 5s", or "overdue 3m" standing out.
#[component]
pub fn DueBadge(due_at_ms: i64, now: Signal<i64>) -> impl IntoView {
    let text = move || due_text(due_at_ms, now.get());
    view! {
        <span class="due" class:overdue=move || text().1>{move || text().0}</span>
    }
}

/// Who holds an item and how long the claim has left; nothing once it runs out.
#[component]
pub fn ClaimBadge(claim: Option<Claim>, now: Signal<i64>) -> impl IntoView {
    claim.map(|claim| {
        let until = claim.until_ms;
        let who = if claim.mine {
            "you".to_owned()
        } else {
            claim.by.clone()
        };
        let mine = claim.mine;
        view! {
            <Show when=move || { now.get() < until }>
                <span class="claim" class:mine=mine>
                    {format!("held by {who} · ")}
                    {move || format!("{} left", format_duration_ms(until - now.get()))}
                </span>
            </Show>
        }
    })
}
