//! The page for addresses moddesk does not have.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Not found · moddesk" />
        <h1>"Not found"</h1>
        <p><a href="/">"Back to the queue"</a></p>
    }
}
