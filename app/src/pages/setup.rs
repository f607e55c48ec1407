//! First start: create the first admin with the one-time link from the server log. Once an admin
//! exists, the page says so and points to the login page.

use crate::api::auth::setup_open;
use crate::components::error_view::ActionError;
use crate::components::guard::AnonymousOnly;
use crate::root::AuthActions;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let open = Resource::new(|| (), |_| setup_open());

    view! {
        <Title text="Set up · moddesk" />
        <AnonymousOnly>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match open.await {
                        Ok(false) => view! { <AlreadySetUp /> }.into_any(),
                        // An error reaching the server leaves the form, whose answer explains.
                        _ => view! { <FirstAdminForm /> }.into_any(),
                    }
                })}
            </Suspense>
        </AnonymousOnly>
    }
}

#[component]
fn FirstAdminForm() -> impl IntoView {
    let setup = expect_context::<AuthActions>().setup;
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();

    view! {
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
    }
}

#[component]
fn AlreadySetUp() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"moddesk is set up"</h1>
            <p>
                "The first admin exists, so setup links no longer work. Log in with your account; "
                "an admin adds new users on the Users page."
            </p>
            <p><a href="/login">"Go to the login page"</a></p>
        </section>
    }
}
