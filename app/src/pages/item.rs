//! One review item: what the upstream saw, its whole timeline, the claim, and the form for the
//! human verdict, all workable from the keyboard.

use crate::api::review::{
    ClaimItem, ClaimNext, Decide, MAX_NOTE_CHARS, ReleaseItem, Reopen, Undo, review_item,
};
use crate::components::categories::Categories;
use crate::components::clock::{ClaimBadge, DueBadge, ticking_clock};
use crate::components::error_view::{ActionError, ErrorView};
use crate::components::keys::{KeyHelp, click, on_keys};
use crate::components::reasons::{ReasonOptions, reason_for_key};
use crate::components::sensitive::SensitiveExcerpt;
use crate::components::undo::UndoBar;
use crate::error::AppError;
use crate::model::{ItemDetail, TimelineEntry};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

const KEYS: &[(&str, &str)] = &[
    ("a", "approve (content stays)"),
    ("r", "remove: then 1–9 picks the reason and records it"),
    ("e", "escalate to managers"),
    ("c", "claim the item (or renew your claim)"),
    ("n", "claim the next item"),
    ("u", "undo your last decision"),
    ("Esc", "back to the queue"),
    ("?", "show or hide this list"),
];

#[component]
pub fn ItemPage() -> impl IntoView {
    // Tracked: moving from one item to the next (Next item on this page) keeps this component
    // and changes only the parameter.
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let claim = ServerAction::<ClaimItem>::new();
    let release = ServerAction::<ReleaseItem>::new();
    let reopen = ServerAction::<Reopen>::new();
    let undo = ServerAction::<Undo>::new();
    let item = Resource::new(
        move || {
            (
                id(),
                claim.version().get(),
                release.version().get(),
                reopen.version().get(),
                undo.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => review_item(id).await,
                None => Err(AppError::NotFound(
                    "That is not a review item address.".into(),
                )),
            }
        },
    );

    view! {
        <Title text="Item · moddesk" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Ok(item) => view! { <ItemBody item claim release reopen undo /> }.into_any(),
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                }
            })}
        </Transition>
        <ActionError result=claim.value().into() />
        <ActionError result=release.value().into() />
    }
}

#[component]
fn ItemBody(
    item: ItemDetail,
    claim: ServerAction<ClaimItem>,
    release: ServerAction<ReleaseItem>,
    reopen: ServerAction<Reopen>,
    undo: ServerAction<Undo>,
) -> impl IntoView {
    let now = ticking_clock(item.now_ms);
    let decide = ServerAction::<Decide>::new();
    let next = ServerAction::<ClaimNext>::new();
    let help = RwSignal::new(false);
    let verdict = RwSignal::new(String::new());
    let reason_codes = StoredValue::new(item.reason_codes.clone());
    let (id, version, can_decide) = (item.id, item.version, item.can_decide);
    let holds = item.claim.as_ref().is_some_and(|c| c.mine);

    let send = move |verdict: &str, reason: String| {
        decide.dispatch(Decide {
            item_id: id,
            version,
            verdict: verdict.to_owned(),
            reason,
            note: String::new(),
        });
    };
    let navigate = use_navigate();
    on_keys(move |key| {
        match key {
            "a" if can_decide => send("approve", String::new()),
            "e" if can_decide => send("escalate", String::new()),
            "r" if can_decide => verdict.set("remove".into()),
            digit if can_decide && verdict.get_untracked() == "remove" && digit.len() == 1 => {
                let Some(code) = reason_codes.with_value(|codes| reason_for_key(codes, digit))
                else {
                    return false;
                };
                send("remove", code);
            }
            "c" => {
                claim.dispatch(ClaimItem { item_id: id });
            }
            "n" => {
                next.dispatch(ClaimNext {});
            }
            "u" => click(".undo button"),
            "?" => help.update(|open| *open = !*open),
            "Escape" if help.get_untracked() => help.set(false),
            "Escape" => navigate("/", Default::default()),
            _ => return false,
        }
        true
    });

    let status = match (item.open, &item.escalated_by) {
        (false, _) => "Resolved".to_owned(),
        (true, Some(by)) => format!("Open · escalated by {by}"),
        (true, None) => "Open".to_owned(),
    };
    let content = if item.sensitive {
        view! { <SensitiveExcerpt item_id=id raw=true /> }.into_any()
    } else {
        view! {
            <blockquote class="excerpt">{item.excerpt.clone().unwrap_or_else(|| "No excerpt was sent.".into())}</blockquote>
        }
        .into_any()
    };

    view! {
        {item.undo.clone().map(|offer| view! { <UndoBar offer now undo /> })}
        <div class="pagehead">
            <h1>{item.reference_id.clone()}</h1>
            <a href="/" class="muted">"← Queue (Esc)"</a>
            <span class="muted">"Press " <kbd>"?"</kbd> " for keys"</span>
        </div>
        <p class="status">
            <span>{status}</span>
            " · opened " {item.opened_at.clone()}
            {item.open.then(|| view! { " · " <DueBadge due_at_ms=item.due_at_ms now /> })}
            {item.claim.clone().map(|claim| view! { " · " <ClaimBadge claim=Some(claim) now /> })}
        </p>
        {item.open.then(|| view! {
            <div class="claimbar">
                <button type="button" class="secondary" on:click=move |_| { claim.dispatch(ClaimItem { item_id: id }); }>
                    {if holds { "Renew my claim (c)" } else { "Claim (c)" }}
                </button>
                {holds.then(|| view! {
                    <button type="button" class="secondary" on:click=move |_| { release.dispatch(ReleaseItem { item_id: id }); }>
                        "Release"
                    </button>
                })}
            </div>
        })}
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
                {item.upstream_link.clone().map(|href| view! {
                    <p><a href=href rel="noopener noreferrer" target="_blank">"Open in AegisCore"</a></p>
                })}
            </section>
            <section class="card">
                <h2>"Content"</h2>
                <p class="muted">{item.content_kind.clone().unwrap_or_else(|| "unknown kind".into())}</p>
                {content}
                {item.content_url.clone().map(|url| view! { <ContentLink url /> })}
            </section>
        </div>
        {can_decide.then(|| view! { <DecisionForm id version verdict reason_codes decide /> })}
        {(item.open && !can_decide).then(|| view! {
            <p class="notice">"This item is escalated: a manager decides it."</p>
        })}
        {item.resolution.clone().map(|r| view! {
            <section class="card">
                <h2>"Decision"</h2>
                <p>
                    <strong class=format!("decision {}", r.decision.as_str())>{r.decision.as_str()}</strong>
                    {(!r.reason.is_empty()).then(|| format!(" ({})", r.reason))}
                    " by " {r.reviewer} " at " {r.decided_at}
                </p>
                {(!r.note.is_empty()).then(|| view! { <p class="note">{r.note.clone()}</p> })}
            </section>
        })}
        {item.can_reopen.then(|| view! { <ReopenForm id reopen /> })}
        <Timeline entries=item.timeline.clone() />
        {item.raw_body.clone().map(|raw| view! {
            <details class="card">
                <summary>"Raw payload"</summary>
                <pre>{raw}</pre>
            </details>
        })}
        <ActionError result=next.value().into() />
        <KeyHelp open=help keys=KEYS />
    }
}

#[component]
fn DecisionForm(
    id: i64,
    version: i64,
    verdict: RwSignal<String>,
    reason_codes: StoredValue<Vec<String>>,
    decide: ServerAction<Decide>,
) -> impl IntoView {
    let choice = move |value: &'static str, label: &'static str| {
        view! {
            <label>
                <input
                    type="radio"
                    name="verdict"
                    value=value
                    required=true
                    prop:checked=move || verdict.get() == value
                    on:change=move |_| verdict.set(value.to_owned())
                />
                {label}
            </label>
        }
    };

    view! {
        <section class="card">
            <h2>"Your decision"</h2>
            <ActionForm action=decide attr:class="decide">
                <input type="hidden" name="item_id" value=id.to_string() />
                <input type="hidden" name="version" value=version.to_string() />
                <fieldset>
                    <legend>"Decision"</legend>
                    {choice("approve", " Approve (a)")}
                    {choice("remove", " Remove (r)")}
                    {choice("escalate", " Escalate to managers (e)")}
                </fieldset>
                <label>
                    "Reason (required to remove; after r, press its number)"
                    <select name="reason" id="reason" required=move || verdict.get() == "remove">
                        <ReasonOptions codes=reason_codes.get_value() />
                    </select>
                </label>
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

#[component]
fn ReopenForm(id: i64, reopen: ServerAction<Reopen>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Reopen"</h2>
            <ActionForm action=reopen attr:class="reopen">
                <input type="hidden" name="item_id" value=id.to_string() />
                <label>
                    "Why reopen it?"
                    <input type="text" name="reason" required=true maxlength="500" />
                </label>
                <button type="submit" class="secondary" disabled=move || reopen.pending().get()>"Reopen item"</button>
            </ActionForm>
            <ActionError result=reopen.value().into() />
        </section>
    }
}

#[component]
fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Timeline"</h2>
            <table class="grid timeline">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| view! {
                            <tr>
                                <td class="when">{e.at}</td>
                                <td>{e.actor}</td>
                                <td><code>{e.kind}</code></td>
                                <td class="text">{e.detail}</td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
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
