//! Resolved items and the decisions made on them.

use crate::api::review::resolved;
use crate::components::error_view::ErrorView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DecisionsPage() -> impl IntoView {
    view! {
        <Title text="Decisions · moddesk" />
        <DecisionsTable />
    }
}

#[component]
fn DecisionsTable() -> impl IntoView {
    let rows = Resource::new(|| (), |_| resolved());

    view! {
        <h1>"Decisions"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => {
                        view! { <p class="empty">"No decisions yet."</p> }.into_any()
                    }
                    Ok(rows) => {
                        view! {
                            <table class="grid">
                                <thead>
                                    <tr>
                                        <th scope="col">"Reference"</th>
                                        <th scope="col">"Decision"</th>
                                        <th scope="col">"Reason"</th>
                                        <th scope="col">"Note"</th>
                                        <th scope="col">"Reviewer"</th>
                                        <th scope="col">"Decided at"</th>
                                        <th scope="col" class="num">"Time to decide"</th>
                                        <th scope="col" class="num">"Upstream"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|row| {
                                            view! {
                                                <tr>
                                                    <td><a href=format!("/items/{}", row.item_id)>{row.reference_id}</a></td>
                                                    <td><span class=format!("decision {}", row.decision.as_str())>{row.decision.as_str()}</span></td>
                                                    <td>{row.reason}</td>
                                                    <td class="note">{row.note}</td>
                                                    <td>{row.reviewer}</td>
                                                    <td>{row.decided_at}</td>
                                                    <td class="num">{row.time_to_decision}</td>
                                                    <td class="num">{format!("{} {:.2}", row.action, row.score)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
