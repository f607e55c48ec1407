//! One review item: what the upstream saw, and the form for the human decision.

use crate::api::review::{Decide, MAX_NOTE_CHARS, review_item};
use crate::components::categories::Categories;
use crate::components::error_view::{ActionError, ErrorView};
use crate::error::AppError;
use crate::model::ItemDetail;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ItemPage() -> impl IntoView {
    view! {
        <Title text="Item · moddesk" />
        <ItemView />
    }
}

#[component]
fn ItemView() -> impl IntoView {
    // Read once: the page is created anew for each item, and a resource keyed on a constant
    // avoids re-running its fetch while the server renders.
    let id = use_params_map()
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok());
    let item = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => review_item(id).await,
                None => Err(AppError::NotFound(
                    "That is not a review item address.".into(),
                )),
            }
        },
    );

    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Ok(item) => view! { <ItemBody item /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ItemBody(item: ItemDetail) -> impl IntoView {
    let decision_form = item
        .open
        .then(|| view! { <DecisionForm item_id=item.id /> });
    let resolution = item.resolution.clone().map(|r| {
        view! {
            <section class="card">
                <h2>"Decision"</h2>
                <p>
                    <strong class=format!("decision {}", r.decision.as_str())>{r.decision.as_str()}</strong>
                    " by " {r.reviewer} " at " {r.decided_at}
                </p>
                <Show when={
                    let empty = r.note.is_empty();
                    move || !empty
                }>
                    <p class="note">{r.note.clone()}</p>
                </Show>
            </section>
        }
    });

    view! {
        <h1>{item.reference_id.clone()}</h1>
        <p class="muted">
            {if item.open { "Open" } else { "Resolved" }} " · opened " {item.opened_at.clone()}
            " · " {item.age.clone()} " ago"
        </p>
        <div class="columns">
            <section class="card">
                <h2>"Upstream verdict"</h2>
                <dl class="facts">
                    <dt>"Action"</dt>
                    <dd>{item.action.clone()}</dd>
                    <dt>"Score"</dt>
                    <dd>{format!("{:.2}", item.score)}</dd>
                    <dt>"Categories"</dt>
                    <dd><Categories categories=item.categories.clone() /></dd>
                    <dt>"Event"</dt>
                    <dd>{item.event_type.clone()} " " <code>{item.event_id.clone()}</code></dd>
                    <dt>"Sent at"</dt>
                    <dd>{item.created_at.clone()}</dd>
                    <dt>"Subject"</dt>
                    <dd>{item.subject.clone().unwrap_or_else(|| "—".into())}</dd>
                </dl>
            </section>
            <section class="card">
                <h2>"Content"</h2>
                <p class="muted">{item.content_kind.clone().unwrap_or_else(|| "unknown kind".into())}</p>
                <blockquote class="excerpt">{item.excerpt.clone().unwrap_or_else(|| "No excerpt was sent.".into())}</blockquote>
                {item.content_url.clone().map(|url| view! { <ContentLink url /> })}
            </section>
        </div>
        {decision_form}
        {resolution}
        <details class="card">
            <summary>"Raw payload"</summary>
            <pre>{item.raw_body.clone()}</pre>
        </details>
    }
}

#[component]
fn DecisionForm(item_id: i64) -> impl IntoView {
    let decide = ServerAction::<Decide>::new();

    view! {
        <section class="card">
            <h2>"Your decision"</h2>
            <ActionForm action=decide attr:class="decide">
                <input type="hidden" name="item_id" value=item_id.to_string() />
                <fieldset>
                    <legend>"Decision"</legend>
                    <label>
                        <input type="radio" name="decision" value="approve" required=true />
                        " Approve (content stays)"
                    </label>
                    <label>
                        <input type="radio" name="decision" value="remove" />
                        " Remove"
                    </label>
                </fieldset>
                <label>
                    "Note (optional)"
                    <textarea name="note" rows="3" maxlength=MAX_NOTE_CHARS.to_string()></textarea>
                </label>
                <button type="submit" disabled=move || decide.pending().get()>"Record decision"</button>
            </ActionForm>
            <ActionError result=decide.value().into() />
        </section>
    }
}

/// The content's address: a link only for http(s) addresses, plain text for anything else.
#[component]
fn ContentLink(url: String) -> impl IntoView {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        let href = url.clone();
        view! { <p><a href=href rel="noopener noreferrer" target="_blank">{url}</a></p> }.into_any()
    } else {
        view! { <p class="muted">"Address: " <code>{url}</code></p> }.into_any()
    }
}
