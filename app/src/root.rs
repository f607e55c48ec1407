//! The HTML shell, the router and the state every page shares.

use crate::api::auth::{CreateFirstAdmin, Login, Logout, get_current_user};
use crate::components::layout::Layout;
use crate::pages::{
    decisions::DecisionsPage, deliveries::DeliveriesPage, history::HistoryPage, inbox::InboxPage,
    insights::InsightsPage, item::ItemPage, login::LoginPage, not_found::NotFound,
    queue::QueuePage, setup::SetupPage, users::UsersPage,
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around the app, rendered on the server. Every page renders in full before it is
/// sent (`SsrMode::Async`): the status code can then follow the data (404 for a missing item),
/// and a page works before the wasm bundle has loaded.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Actions that change who is logged in; the current-user resource refetches after each.
#[derive(Clone, Copy)]
pub struct AuthActions {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub setup: ServerAction<CreateFirstAdmin>,
}

impl AuthActions {
    /// Changes with every login, logout and first-admin setup: the source of resources that
    /// depend on who is logged in.
    pub fn versions(self) -> (usize, usize, usize) {
        (
            self.login.version().get(),
            self.logout.version().get(),
            self.setup.version().get(),
        )
    }
}

/// The logged-in user as every page sees it.
pub type UserResource = Resource<Result<Option<crate::model::CurrentUser>, crate::error::AppError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    let actions = AuthActions {
        login: ServerAction::new(),
        logout: ServerAction::new(),
        setup: ServerAction::new(),
    };
    let user: UserResource = Resource::new(move || actions.versions(), |_| get_current_user());
    provide_context(actions);
    provide_context(user);

    view! {
        <Stylesheet id="leptos" href="/pkg/moddesk.css" />
        <Title text="moddesk" />
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=QueuePage ssr=SsrMode::Async />
                    <Route path=path!("/items/:id") view=ItemPage ssr=SsrMode::Async />
                    <Route path=path!("/decisions") view=DecisionsPage ssr=SsrMode::Async />
                    <Route path=path!("/history") view=HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/insights") view=InsightsPage ssr=SsrMode::Async />
                    <Route path=path!("/inbox") view=InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/deliveries") view=DeliveriesPage ssr=SsrMode::Async />
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
