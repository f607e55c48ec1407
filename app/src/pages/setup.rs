//! First start: create the first admin with the one-time link from the server log.

use crate::components::error_view::ActionError;
use crate::components::guard::AnonymousOnly;
use crate::root::AuthActions;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = expect_context::<AuthActions>().setup;
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();

    view! {
        <Title text="Set up · moddesk" />
        <AnonymousOnly>
        <section class="card narrow">
            <h1>"Create the first admin"</h1>
            <p class="muted">
                "This link works once, while moddesk has no users. Later users are added by an admin."
            </p>
            <ActionForm action=setup>
                <input type="hidden" name="token" value=token />
                <label>"User name" <input type="text" name="name" autocomplete="username" required=true /></label>
                <label>
                    "Password (at least 12 characters)"
                    <input type="password" name="password" autocomplete="new-password" minlength="12" required=true />
                </label>
                <button type="submit" disabled=move || setup.pending().get()>"Create admin"</button>
            </ActionForm>
            <ActionError result=setup.value().into() />
        </section>
        </AnonymousOnly>
    }
}
