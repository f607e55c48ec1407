//! The dead-letter inbox: deliveries that were signed correctly but were not valid events, kept
//! with their headers and body so nothing a genuine sender sent is lost.

use crate::api::inbox::dead_letters;
use crate::components::error_view::ErrorView;
use crate::model::DeadLetterRow;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <Title text="Inbox · moddesk" />
        <InboxList />
    }
}

#[component]
fn InboxList() -> impl IntoView {
    let letters = Resource::new(|| (), |_| dead_letters());

    view! {
        <h1>"Dead-letter inbox"</h1>
        <p class="muted">
            "Deliveries with a valid signature whose body was not a valid event. Nothing here was queued."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match letters.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(letters) if letters.is_empty() => {
                        view! { <p class="empty">"The inbox is empty."</p> }.into_any()
                    }
                    Ok(letters) => letters.into_iter().map(|letter| view! { <Letter letter /> }).collect_view().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Letter(letter: DeadLetterRow) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{format!("#{} · {}", letter.id, letter.received_at)}</h2>
            <p><strong>"Reason: "</strong>{letter.reason}</p>
            <details>
                <summary>{format!("Headers and body ({} bytes)", letter.body_bytes)}</summary>
                <pre>{letter.headers}</pre>
                <pre>{letter.body}</pre>
            </details>
        </section>
    }
}
