//! Every action, newest first (events received, claims, decisions, logins, user and destination
//! changes, relay outcomes), filtered by actor, kind, reference and dates from the address, with
//! whether the hash chain verifies and a CSV export of what the filters show.

use crate::api::history::{history_chain, history_page};
use crate::components::date_range::DateRange;
use crate::components::error_view::ErrorView;
use crate::model::{HistoryFilter, HistoryRow, HistoryView};
use crate::url::query_string;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            HistoryFilter {
                actor: get("actor"),
                kind: get("kind"),
                reference: get("reference"),
                from: get("from"),
                to: get("to"),
            }
        })
    };
    let before = move || query.with(|q| q.get("before").and_then(|b| b.parse::<i64>().ok()));
    let rows = Resource::new(
        move || (filter(), before()),
        |(filter, before)| history_page(filter, before),
    );

    view! {
        <Title text="History · moddesk" />
        <h1>"History"</h1>
        <ChainBanner />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let filter = filter();
                match rows.await {
                    Err(error) => {
                        view! {
                            <Filters filter kinds=Vec::new() />
                            <ErrorView error />
                        }
                            .into_any()
                    }
                    Ok(data) => {
                        view! {
                            <Filters filter=filter.clone() kinds=data.kinds.clone() />
                            <HistoryRows data filter paged=before().is_some() />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Whether the chain verifies; loads on its own, so the table does not wait for the check.
#[component]
fn ChainBanner() -> impl IntoView {
    let status = Resource::new(|| (), |()| history_chain());

    view! {
        <Suspense fallback=|| view! { <p class="muted">"Checking the history chain…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(status) => {
                        let class = if status.verified { "notice verified" } else { "notice error" };
                        let role = if status.verified { "status" } else { "alert" };
                        view! {
                            <p class=class role=role id="chain-status">{status.message}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Filters(filter: HistoryFilter, kinds: Vec<String>) -> impl IntoView {
    let mut kinds = kinds;
    if !filter.kind.is_empty() && !kinds.contains(&filter.kind) {
        kinds.push(filter.kind.clone());
    }
    let options = kinds
        .into_iter()
        .map(|kind| {
            let selected = kind == filter.kind;
            view! { <option value=kind.clone() selected=selected>{kind.clone()}</option> }
        })
        .collect_view();
    let csv = format!("/history.csv{}", filter_query(&filter, ""));

    view! {
        <Form method="GET" action="/history" attr:class="filters" attr:aria-label="Filter the history">
            <label>
                "Actor"
                <input type="text" name="actor" value=filter.actor.clone() placeholder="anyone" />
            </label>
            <label>
                "Kind"
                <select name="kind">
                    <option value="" selected=filter.kind.is_empty()>"any"</option>
                    {options}
                </select>
            </label>
            <label>
                "Reference"
                <input type="search" name="reference" value=filter.reference.clone() placeholder="exact id" />
            </label>
            <DateRange from=filter.from.clone() to=filter.to.clone() />
            <button type="submit">"Apply"</button>
            <a href="/history" class="reset">"Clear"</a>
        </Form>
        <p>
            // A file, not a page: `rel="external"` keeps the router from handling the link.
            <a href=csv rel="external" download="">"Export CSV"</a>
        </p>
    }
}

/// `?actor=…&…` of the filter, with `before` when given.
fn filter_query(filter: &HistoryFilter, before: &str) -> String {
    query_string(&[
        ("actor", &filter.actor),
        ("kind", &filter.kind),
        ("reference", &filter.reference),
        ("from", &filter.from),
        ("to", &filter.to),
        ("before", before),
    ])
}

#[component]
fn HistoryRows(data: HistoryView, filter: HistoryFilter, paged: bool) -> impl IntoView {
    let older = data
        .older
        .map(|id| format!("/history{}", filter_query(&filter, &id.to_string())));
    let newest = paged.then(|| format!("/history{}", filter_query(&filter, "")));
    if data.rows.is_empty() {
        return view! {
            <p class="empty">"Nothing recorded here."</p>
            {newest.map(|href| view! { <p><a href=href>"Newest entries"</a></p> })}
        }
        .into_any();
    }

    view! {
        <table class="grid">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"Reference"</th>
                    <th scope="col">"Detail"</th>
                </tr>
            </thead>
            <tbody>
                {data.rows.into_iter().map(|row| view! { <Entry row /> }).collect_view()}
            </tbody>
        </table>
        <p>
            {newest.map(|href| view! { <a href=href>"Newest entries"</a>" " })}
            {older.map(|href| view! { <a href=href>"Older entries"</a> })}
        </p>
    }
    .into_any()
}

#[component]
fn Entry(row: HistoryRow) -> impl IntoView {
    view! {
        <tr>
            <td class="when">{row.at}</td>
            <td class="nowrap">{row.actor}</td>
            <td class="nowrap"><code>{row.kind}</code></td>
            <td class="ref">{row.reference_id.unwrap_or_default()}</td>
            <td class="text">{row.detail}</td>
        </tr>
    }
}
