//! The one way an error is shown on a page.

use crate::error::AppError;
use leptos::prelude::*;

/// Shows `error` as a notice; asks to log in when the session is gone.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    let login = matches!(error, AppError::Unauthenticated);
    view! {
        <div class="notice error" role="alert">
            <p>{error.to_string()}</p>
            <Show when=move || login>
                <p><a href="/login">"Log in"</a></p>
            </Show>
        </div>
    }
}

/// Shows the error of the last run of a form action, if it failed.
#[component]
pub fn ActionError<T>(result: Signal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    move || match result.get() {
        Some(Err(error)) => Some(view! { <ErrorView error /> }),
        _ => None,
    }
}
