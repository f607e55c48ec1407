//! The page frame: header with navigation, the count of open items (kept current by the live
//! stream, which it opens) and the logged-in user.

use crate::components::live::{LiveSignals, OpenCount, first_count};
use crate::model::Role;
use crate::root::{AuthActions, UserResource};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let user = expect_context::<UserResource>();
    let actions = expect_context::<AuthActions>();
    LiveSignals::provide();
    let first = first_count(user, actions);

    view! {
        <header class="topbar">
            <a class="brand" href="/">"moddesk"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => {
                            let first = first.await;
                            view! {
                                <nav aria-label="Main">
                                    <A href="/" exact=true>"Queue"</A>
                                    <A href="/decisions">"Decisions"</A>
                                    {(user.role >= Role::Manager).then(|| view! {
                                        <A href="/history">"History"</A>
                                        <A href="/insights">"Insights"</A>
                                    })}
                                    {is_admin(&user).then(|| view! {
                                        <A href="/inbox">"Inbox"</A>
                                        <A href="/deliveries">"Deliveries"</A>
                                        <A href="/users">"Users"</A>
                                    })}
                                </nav>
                                <OpenCount first />
                                <div class="whoami">
                                    <span>{user.name} " · " {user.role.as_str()}</span>
                                    <ActionForm action=actions.logout>
                                        <button type="submit" class="link">"Log out"</button>
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
        <main>{children()}</main>
    }
}

fn is_admin(user: &crate::model::CurrentUser) -> bool {
    user.role >= Role::Admin
}
