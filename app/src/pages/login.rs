//! The login form.

use crate::components::error_view::ActionError;
use crate::components::guard::AnonymousOnly;
use crate::root::AuthActions;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = expect_context::<AuthActions>().login;

    view! {
        <Title text="Log in · moddesk" />
        <AnonymousOnly>
        <section class="card narrow">
            <h1>"Log in"</h1>
            <ActionForm action=login>
                <label>"User name" <input type="text" name="name" autocomplete="username" required=true /></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required=true /></label>
                <button type="submit" disabled=move || login.pending().get()>"Log in"</button>
            </ActionForm>
            <ActionError result=login.value().into() />
        </section>
        </AnonymousOnly>
    }
}
