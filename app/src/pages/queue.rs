//! The review queue: open items waiting for a human decision.

use crate::api::review::open_queue;
use crate::components::categories::Categories;
use crate::components::error_view::ErrorView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn QueuePage() -> impl IntoView {
    view! {
        <Title text="Queue · moddesk" />
        <QueueTable />
    }
}

#[component]
fn QueueTable() -> impl IntoView {
    let rows = Resource::new(|| (), |_| open_queue());

    view! {
        <h1>"Review queue"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Err(error) => view! { <ErrorView error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => {
                        view! { <p class="empty">"Nothing to review. New items appear here when AegisCore sends them."</p> }
                            .into_any()
                    }
                    Ok(rows) => {
                        view! {
                            <p class="muted">{format!("{} open", rows.len())}</p>
                            <table class="grid">
                                <thead>
                                    <tr>
                                        <th scope="col">"Reference"</th>
                                        <th scope="col" class="num">"Score"</th>
                                        <th scope="col">"Categories"</th>
                                        <th scope="col">"Excerpt"</th>
                                        <th scope="col" class="num">"Age"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|row| {
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=format!("/items/{}", row.id)>{row.reference_id}</a>
                                                    </td>
                                                    <td class="num">{format!("{:.2}", row.score)}</td>
                                                    <td><Categories categories=row.categories /></td>
                                                    <td class="excerpt">{row.excerpt.unwrap_or_default()}</td>
                                                    <td class="num">{row.age}</td>
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
