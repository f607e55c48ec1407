//! The offer to undo one's latest verdict, while its window is open.

use crate::api::review::Undo;
use crate::components::error_view::ActionError;
use crate::duration::format_duration_ms;
use crate::model::UndoOffer;
use leptos::prelude::*;

/// "You removed 3 items. Undo (u) · 25s left", gone when the time is up or the undo is done.
#[component]
pub fn UndoBar(offer: UndoOffer, now: Signal<i64>, undo: ServerAction<Undo>) -> impl IntoView {
    let until = offer.until_ms;
    let batch = offer.batch;
    // The action may have undone an earlier offer on this page; only runs after this one count.
    let runs_before = undo.version().get_untracked();
    let done = move || {
        undo.version().get() > runs_before
            && undo.value().get().is_some_and(|result| result.is_ok())
    };

    view! {
        <Show when=move || { now.get() < until && !done() }>
            <div class="undo" role="status">
                <span>{offer.summary.clone()}</span>
                <button
                    type="button"
                    class="secondary"
                    disabled=move || undo.pending().get()
                    on:click=move |_| {
                        undo.dispatch(Undo { batch });
                    }
                >
                    "Undo (u)"
                </button>
                <span class="muted">{move || format!("{} left", format_duration_ms(until - now.get()))}</span>
            </div>
        </Show>
        <Show when=done>
            <div class="undo" role="status">"Undone: the items are open again and yours."</div>
        </Show>
        <ActionError result=undo.value().into() />
    }
}
