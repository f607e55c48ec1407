//! The review queue: open items most urgent first, with filters, claims, bulk decisions, undo
//! and keyboard shortcuts. It refetches when the live stream reports a change, keeping the
//! reviewer's current row, selection and chosen reason.

use crate::api::review::{ClaimNext, DecideBulk, Undo, open_queue};
use crate::components::categories::Categories;
use crate::components::clock::{ClaimBadge, DueBadge, ticking_clock};
use crate::components::error_view::{ActionError, ErrorView};
use crate::components::keys::{KeyHelp, click, focus, on_keys};
use crate::components::live::LiveRefetch;
use crate::components::reasons::{ReasonOptions, reason_for_key};
use crate::components::sensitive::SensitiveExcerpt;
use crate::components::undo::UndoBar;
use crate::model::{QueueFilter, QueueRow, QueueView};
use crate::url::query_string;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_query_map};

const KEYS: &[(&str, &str)] = &[
    ("j / k", "next / previous row"),
    ("x", "select the row for a bulk decision"),
    ("Enter", "open the row"),
    ("n", "claim the next item and open it"),
    ("a", "approve the selected rows (or the current one)"),
    ("1 – 9", "choose the reason code for removing"),
    (
        "r",
        "remove the selected rows (or the current one) with that reason",
    ),
    ("e", "escalate the selected rows to managers"),
    ("u", "undo your last decision"),
    ("/", "search by reference id"),
    ("?", "show or hide this list"),
];

#[component]
pub fn QueuePage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            QueueFilter {
                category: get("category"),
                band: get("band"),
                age: get("age"),
                claimed: get("claimed"),
                escalated: get("escalated"),
                reference: get("reference"),
                sort: get("sort"),
                after: get("after"),
            }
        })
    };
    let bulk = ServerAction::<DecideBulk>::new();
    let undo = ServerAction::<Undo>::new();
    // Kept across refetches, so a refused bulk decision or a live update leaves the selection
    // as it was.
    let work = Work {
        cursor: RwSignal::new(0),
        current: StoredValue::new(None),
        selected: RwSignal::new(Vec::new()),
        reason: RwSignal::new(String::new()),
        removing: RwSignal::new(false),
    };
    Effect::new(move |_| {
        if bulk.value().get().is_some_and(|r| r.is_ok()) {
            work.selected.set(Vec::new());
            work.removing.set(false);
        }
    });
    let live = LiveRefetch::follow();
    let view_data = Resource::new(
        move || {
            (
                filter(),
                bulk.version().get(),
                undo.version().get(),
                live.track(),
            )
        },
        move |(filter, _, _, _)| live.fetch(open_queue(filter)),
    );

    view! {
        <Title text="Queue · moddesk" />
        <div class="pagehead">
            <h1>"Review queue"</h1>
            <NextItemButton />
        </div>
        <Filters filter=Signal::derive(filter) />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(data) => view! { <QueueBody data filter=filter() bulk undo work /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NextItemButton() -> impl IntoView {
    let next = ServerAction::<ClaimNext>::new();
    view! {
        <ActionForm action=next attr:class="inline">
            <button type="submit" id="next-item" disabled=move || next.pending().get()>"Next item (n)"</button>
        </ActionForm>
        <ActionError result=next.value().into() />
    }
}

#[component]
fn Filters(filter: Signal<QueueFilter>) -> impl IntoView {
    let f = filter.get_untracked();
    let option = |value: &'static str, label: &'static str, current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{label}</option> }
    };

    view! {
        <Form method="GET" action="/" attr:class="filters" attr:aria-label="Filter the queue">
            <label>
                "Reference"
                <input type="search" name="reference" id="queue-search" value=f.reference.clone() placeholder="starts with…" />
            </label>
            <label>
                "Category"
                <input type="text" name="category" value=f.category.clone() placeholder="any" />
            </label>
            <label>
                "Score"
                <select name="band">
                    {option("", "any", &f.band)}
                    {option("high", "0.80 and up", &f.band)}
                    {option("mid", "0.50 – 0.80", &f.band)}
                    {option("low", "below 0.50", &f.band)}
                </select>
            </label>
            <label>
                "Age"
                <select name="age">
                    {option("", "any", &f.age)}
                    {option("new", "under 1 hour", &f.age)}
                    {option("1h", "1 hour or more", &f.age)}
                    {option("24h", "1 day or more", &f.age)}
                    {option("7d", "7 days or more", &f.age)}
                </select>
            </label>
            <label>
                "Claimed"
                <select name="claimed">
                    {option("", "any", &f.claimed)}
                    {option("no", "unclaimed", &f.claimed)}
                    {option("yes", "claimed", &f.claimed)}
                    {option("mine", "mine", &f.claimed)}
                </select>
            </label>
            <label>
                "Escalated"
                <select name="escalated">
                    {option("", "any", &f.escalated)}
                    {option("only", "only escalated", &f.escalated)}
                    {option("hide", "not escalated", &f.escalated)}
                </select>
            </label>
            <label>
                "Sort"
                <select name="sort">
                    {option("", "most urgent", &f.sort)}
                    {option("newest", "newest", &f.sort)}
                    {option("oldest", "oldest", &f.sort)}
                    {option("score", "highest score", &f.sort)}
                </select>
            </label>
            <button type="submit">"Apply"</button>
            <a href="/" class="reset">"Clear"</a>
        </Form>
    }
}

/// The address of the page after this one: the same filter, starting after `cursor`.
fn page_link(filter: &QueueFilter, after: &str) -> String {
    let query = query_string(&[
        ("reference", &filter.reference),
        ("category", &filter.category),
        ("band", &filter.band),
        ("age", &filter.age),
        ("claimed", &filter.claimed),
        ("escalated", &filter.escalated),
        ("sort", &filter.sort),
        ("after", after),
    ]);
    format!("/{query}")
}

/// What a reviewer is in the middle of on the queue page.
#[derive(Clone, Copy)]
struct Work {
    /// The current row (j/k).
    cursor: RwSignal<usize>,
    /// The item on the current row, so the cursor stays on it when rows come or go above it.
    current: StoredValue<Option<i64>>,
    /// Selected rows as (item id, version).
    selected: RwSignal<Vec<(i64, i64)>>,
    /// The reason code for removing.
    reason: RwSignal<String>,
    /// `r` was pressed before a reason was chosen: the next digit picks one and removes.
    removing: RwSignal<bool>,
}

#[component]
fn QueueBody(
    data: QueueView,
    filter: QueueFilter,
    bulk: ServerAction<DecideBulk>,
    undo: ServerAction<Undo>,
    work: Work,
) -> impl IntoView {
    let now = ticking_clock(data.now_ms);
    let rows = StoredValue::new(data.rows.clone());
    let Work {
        cursor,
        current,
        selected,
        reason,
        removing,
    } = work;
    // Rows that are gone after a refetch are no longer selectable.
    let present: Vec<(i64, i64)> = data.rows.iter().map(|r| (r.id, r.version)).collect();
    selected.update_untracked(|s| s.retain(|key| present.contains(key)));
    let still_here = current
        .get_value()
        .and_then(|id| data.rows.iter().position(|r| r.id == id));
    cursor.update_untracked(|c| {
        *c = still_here.unwrap_or_else(|| (*c).min(data.rows.len().saturating_sub(1)));
    });
    Effect::new(move |_| {
        let at = cursor.get();
        current.set_value(rows.with_value(|rows| rows.get(at).map(|r| r.id)));
    });
    let help = RwSignal::new(false);
    let next_page = data.next.clone().map(|next| page_link(&filter, &next));
    let first_page = (!filter.after.is_empty()).then(|| page_link(&filter, ""));
    let undo_offer = data.undo.clone();
    let reason_codes = StoredValue::new(data.reason_codes.clone());

    // The rows a bulk key acts on: the selection, or the current row when nothing is selected.
    let targets = move || {
        let chosen = selected.get_untracked();
        if !chosen.is_empty() {
            return chosen;
        }
        rows.with_value(|rows| {
            rows.get(cursor.get_untracked())
                .map(|r| vec![(r.id, r.version)])
                .unwrap_or_default()
        })
    };
    let submit = move |verdict: &str| {
        let items = targets();
        if items.is_empty() {
            return;
        }
        bulk.dispatch(DecideBulk {
            items: encode_targets(&items),
            verdict: verdict.to_owned(),
            reason: reason.get_untracked(),
            note: String::new(),
        });
    };
    let navigate = use_navigate();
    on_keys(move |key| {
        let count = rows.with_value(Vec::len);
        match key {
            "j" | "ArrowDown" if count > 0 => cursor.update(|c| *c = (*c + 1).min(count - 1)),
            "k" | "ArrowUp" => cursor.update(|c| *c = c.saturating_sub(1)),
            "x" => {
                if let Some(row) =
                    rows.with_value(|r| r.get(cursor.get_untracked()).map(|r| (r.id, r.version)))
                {
                    toggle(selected, row);
                }
            }
            "Enter" | "o" => {
                if let Some(id) = rows.with_value(|r| r.get(cursor.get_untracked()).map(|r| r.id)) {
                    navigate(&format!("/items/{id}"), Default::default());
                }
            }
            "n" => click("#next-item"),
            "a" => submit("approve"),
            "e" => submit("escalate"),
            "r" => {
                if reason.get_untracked().is_empty() {
                    removing.set(true);
                } else {
                    submit("remove");
                }
            }
            digit if digit.len() == 1 && digit.chars().all(|c| c.is_ascii_digit()) => {
                let Some(code) = reason_codes.with_value(|codes| reason_for_key(codes, digit))
                else {
                    return false;
                };
                reason.set(code);
            }
            "u" => click(".undo button"),
            "/" => focus("#queue-search"),
            "?" => help.update(|open| *open = !*open),
            "Escape" => {
                help.set(false);
                removing.set(false);
            }
            _ => return false,
        }
        true
    });

    view! {
        {undo_offer.map(|offer| view! { <UndoBar offer now undo /> })}
        <p class="muted">
            {match data.matching {
                1 => "1 open item matches".to_owned(),
                n => format!("{n} open items match"),
            }} " · press " <kbd>"?"</kbd> " for keys"
        </p>
        <BulkBar selected reason removing reason_codes bulk submit />
        {if data.rows.is_empty() {
            view! {
                <p class="empty">"Nothing to review here. New items appear when AegisCore sends them."</p>
            }
            .into_any()
        } else {
            view! {
                <table class="grid queue">
                    <thead>
                        <tr>
                            <th scope="col"><span class="visually-hidden">"Select"</span></th>
                            <th scope="col">"Reference"</th>
                            <th scope="col" class="num">"Score"</th>
                            <th scope="col">"Categories"</th>
                            <th scope="col">"Excerpt"</th>
                            <th scope="col">"Due"</th>
                            <th scope="col">"Claim"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {data
                            .rows
                            .into_iter()
                            .enumerate()
                            .map(|(index, row)| view! { <QueueLine row index cursor selected now /> })
                            .collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {first_page.map(|href| view! { <a href=href>"← First page"</a> })}
            {next_page.map(|href| view! { <a href=href rel="next">"Next page →"</a> })}
        </nav>
        <KeyHelp open=help keys=KEYS />
    }
}

#[component]
fn QueueLine(
    row: QueueRow,
    index: usize,
    cursor: RwSignal<usize>,
    selected: RwSignal<Vec<(i64, i64)>>,
    now: Signal<i64>,
) -> impl IntoView {
    let key = (row.id, row.version);
    let label = format!("Select {}", row.reference_id);
    let excerpt = if row.sensitive {
        view! { <SensitiveExcerpt item_id=row.id /> }.into_any()
    } else {
        view! { <span>{row.excerpt.clone().unwrap_or_default()}</span> }.into_any()
    };

    view! {
        <tr class:current=move || cursor.get() == index class:escalated=row.escalated_by.is_some()>
            <td>
                <input
                    type="checkbox"
                    aria-label=label
                    prop:checked=move || selected.with(|s| s.contains(&key))
                    on:change=move |_| toggle(selected, key)
                />
            </td>
            <td class="ref">
                <a href=format!("/items/{}", row.id)>{row.reference_id.clone()}</a>
                {row.escalated_by.clone().map(|by| view! { <span class="tag">{format!("escalated by {by}")}</span> })}
            </td>
            <td class="num">{format!("{:.2}", row.score)}</td>
            <td><Categories categories=row.categories.clone() /></td>
            <td class="excerpt">{excerpt}</td>
            <td class="when"><DueBadge due_at_ms=row.due_at_ms now /></td>
            <td class="when"><ClaimBadge claim=row.claim.clone() now /></td>
        </tr>
    }
}

#[component]
fn BulkBar(
    selected: RwSignal<Vec<(i64, i64)>>,
    reason: RwSignal<String>,
    removing: RwSignal<bool>,
    reason_codes: StoredValue<Vec<String>>,
    bulk: ServerAction<DecideBulk>,
    submit: impl Fn(&str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let count = move || selected.with(Vec::len);
    view! {
        <div class="bulk" role="group" aria-label="Bulk decision">
            <span>{move || match (removing.get(), count()) {
                (true, _) => "Remove: press the reason's number (1–9), or Esc.".to_owned(),
                (false, 0) => "No rows selected (x selects):".to_owned(),
                (false, n) => format!("{n} selected:"),
            }}</span>
            <button type="button" class="approve" disabled=move || bulk.pending().get() on:click=move |_| submit("approve")>
                "Approve (a)"
            </button>
            <label class="inline">
                "Reason "
                <select id="bulk-reason" on:change=move |ev| reason.set(event_target_value(&ev)) prop:value=move || reason.get()>
                    <ReasonOptions codes=reason_codes.get_value() />
                </select>
            </label>
            <button
                type="button"
                class="remove"
                disabled=move || bulk.pending().get() || reason.with(String::is_empty)
                on:click=move |_| submit("remove")
            >
                "Remove (r)"
            </button>
            <button type="button" class="secondary" disabled=move || bulk.pending().get() on:click=move |_| submit("escalate")>
                "Escalate (e)"
            </button>
            <Show when=move || count() != 0>
                <button type="button" class="link-dark" on:click=move |_| selected.set(Vec::new())>"Clear selection"</button>
            </Show>
        </div>
        <ActionError result=bulk.value().into() />
    }
}

fn toggle(selected: RwSignal<Vec<(i64, i64)>>, key: (i64, i64)) {
    selected.update(|s| match s.iter().position(|k| *k == key) {
        Some(at) => {
            s.remove(at);
        }
        None => s.push(key),
    });
}

/// `id:version` pairs as the bulk server function reads them.
fn encode_targets(items: &[(i64, i64)]) -> String {
    items
        .iter()
        .map(|(id, version)| format!("{id}:{version}"))
        .collect::<Vec<_>>()
        .join(",")
}
