//! Every action, newest first: events received, decisions, logins, users created.

use crate::api::history::{HISTORY_PAGE, history_page};
use crate::components::error_view::ErrorView;
use crate::model::HistoryRow;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HistoryPage() -> impl IntoView {
    view! {
        <Title text="History · moddesk" />
        <HistoryTable />
    }
}

#[component]
fn HistoryTable() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let rows = Resource::new(before, history_page);

    view! {
        <h1>"History"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => {
                        view! { <p class="empty">"Nothing recorded here."</p> }.into_any()
                    }
                    Ok(rows) => view! { <HistoryRows rows /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryRows(rows: Vec<HistoryRow>) -> impl IntoView {
    let older = (rows.len() as i64 == HISTORY_PAGE)
        .then(|| {
            rows.last()
                .map(|last| format!("/history?before={}", last.id))
        })
        .flatten();

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
                {rows
                    .into_iter()
                    .map(|row| {
                        view! {
                            <tr>
                                <td class="when">{row.at}</td>
                                <td>{row.actor}</td>
                                <td><code>{row.kind}</code></td>
                                <td>{row.reference_id.unwrap_or_default()}</td>
                                <td>{row.detail}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {older.map(|href| view! { <p><a href=href>"Older entries"</a></p> })}
    }
}
