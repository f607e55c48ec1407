//! Keyboard shortcuts: one listener per page, ignoring keys typed into form fields, and the `?`
//! overlay that lists a page's keys.

use leptos::prelude::*;

/// Calls `handler` with each key pressed outside form fields (Escape counts inside them too);
/// when it returns `true` the browser's own handling of the key is stopped.
pub fn on_keys(handler: impl Fn(&str) -> bool + Send + Sync + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::web_sys::{Element, KeyboardEvent};

        let handler = std::sync::Arc::new(handler);
        Effect::new(move |_| {
            let handler = handler.clone();
            let handle = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
                if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() {
                    return;
                }
                let key = ev.key();
                let in_field = ev
                    .target()
                    .and_then(|t| t.dyn_into::<Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    });
                if in_field && key != "Escape" {
                    return;
                }
                if handler(&key) {
                    ev.prevent_default();
                }
            });
            on_cleanup(move || handle.remove());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = handler;
}

/// Clicks the element `selector` names, if the page has it.
pub fn click(selector: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = element(selector) {
        el.click();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}

/// Moves the focus to the element `selector` names, if the page has it.
pub fn focus(selector: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = element(selector) {
        let _ = el.focus();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}

#[cfg(feature = "hydrate")]
fn element(selector: &str) -> Option<leptos::web_sys::HtmlElement> {
    use leptos::wasm_bindgen::JsCast;
    document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok())
}

/// The list of a page's keys, shown while `open` is true.
#[component]
pub fn KeyHelp(
    open: RwSignal<bool>,
    keys: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <div class="keyhelp" role="dialog" aria-label="Keyboard shortcuts">
                <h2>"Keyboard shortcuts"</h2>
                <dl>
                    {keys
                        .iter()
                        .map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> })
                        .collect_view()}
                </dl>
                <button type="button" on:click=move |_| open.set(false)>"Close (Esc)"</button>
            </div>
        </Show>
    }
}
