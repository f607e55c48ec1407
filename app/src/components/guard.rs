//! Keeps pages for logged-in users away from everyone else in the browser. The server checks
//! the session on every page request and server function on its own; this only redirects.

use crate::components::error_view::ErrorView;
use crate::root::UserResource;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Renders `children` for a logged-in user and redirects anyone else to the login page.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<UserResource>();
    let children = StoredValue::new(children);

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => children.read_value()().into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Renders `children` (a login or setup form) only for visitors who are not logged in; a
/// logged-in user is told so instead.
#[component]
pub fn AnonymousOnly(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<UserResource>();
    let children = StoredValue::new(children);

    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! {
                        <section class="card narrow">
                            <h1>"You are logged in"</h1>
                            <p>"You are logged in as " <strong>{user.name}</strong> "."</p>
                            <p><a href="/">"Go to the review queue"</a></p>
                        </section>
                    }
                    .into_any(),
                    _ => children.read_value()().into_any(),
                }
            })}
        </Transition>
    }
}
