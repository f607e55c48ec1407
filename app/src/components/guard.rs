//! Page-level checks in the browser. The server guards every page request and server function
//! on its own (a page request without a session is redirected to the login page before anything
//! renders), so pages for logged-in users need no wrapper here.

use crate::root::UserResource;
use leptos::prelude::*;

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
