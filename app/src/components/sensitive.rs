//! Sensitive content: hidden behind a blur until the reviewer chooses to see it. The server
//! withholds the text until then and records each reveal.

use crate::api::review::Reveal;
use crate::components::error_view::ActionError;
use leptos::prelude::*;

/// A blurred stand-in for a sensitive excerpt with a Reveal button; with `raw`, the revealed
/// raw payload is shown too.
#[component]
pub fn SensitiveExcerpt(item_id: i64, #[prop(optional)] raw: bool) -> impl IntoView {
    let reveal = ServerAction::<Reveal>::new();
    let revealed = move || reveal.value().get().and_then(Result::ok);

    view! {
        {move || match revealed() {
            Some(content) => view! {
                <div class="revealed">
                    <blockquote class="excerpt">
                        {content.excerpt.unwrap_or_else(|| "No excerpt was sent.".into())}
                    </blockquote>
                    {raw.then(|| view! {
                        <details class="card">
                            <summary>"Raw payload"</summary>
                            <pre>{content.raw_body}</pre>
                        </details>
                    })}
                </div>
            }
            .into_any(),
            None => view! {
                <div class="sensitive">
                    <span class="blurred" aria-hidden="true">"████ ██ ██████ ███"</span>
                    <button
                        type="button"
                        class="secondary"
                        title="Sensitive content: the reveal is recorded"
                        aria-label="Reveal sensitive content"
                        disabled=move || reveal.pending().get()
                        on:click=move |_| {
                            reveal.dispatch(Reveal { item_id });
                        }
                    >
                        "Reveal"
                    </button>
                </div>
            }
            .into_any(),
        }}
        <ActionError result=reveal.value().into() />
    }
}
