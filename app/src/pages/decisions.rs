//! Resolved items and the decisions made on them, filtered by decision, reviewer, category,
//! score band and UTC date range, a page at a time, with a CSV export of everything the filter
//! matches.

use crate::api::review::resolved;
use crate::components::categories::Categories;
use crate::components::date_range::DateRange;
use crate::components::error_view::ErrorView;
use crate::model::{DecisionFilter, DecisionRow, DecisionsView, EXPORT_ROLE};
use crate::root::UserResource;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn DecisionsPage() -> impl IntoView {
    let query = use_query_map();
    let user = expect_context::<UserResource>();
    let filter = move || {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            DecisionFilter {
                decision: get("decision"),
                reviewer: get("reviewer"),
                category: get("category"),
                band: get("band"),
                from: get("from"),
                to: get("to"),
                after: get("after"),
            }
        })
    };
    let data = Resource::new(filter, resolved);

    view! {
        <Title text="Decisions · moddesk" />
        <div class="pagehead">
            <h1>"Decisions"</h1>
            // Exports are for managers; the server checks the role again.
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let exports = matches!(user.await, Ok(Some(u)) if u.role >= EXPORT_ROLE);
                    if exports {
                        view! {
                            <a class="button secondary"
                                href=move || format!("/decisions.csv{}", filter().query(""))
                                download="" rel="external">"Export CSV"</a>
                        }
                            .into_any()
                    } else {
                        ().into_any()
                    }
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! {
                        <Filters filter=filter() reviewers=Vec::new() />
                        <ErrorView error />
                    }.into_any(),
                    Ok(data) => view! { <DecisionsBody data filter=filter() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(filter: DecisionFilter, reviewers: Vec<String>) -> impl IntoView {
    let option = |value: &str, label: &str, current: &str| {
        let selected = value.eq_ignore_ascii_case(current);
        view! { <option value=value.to_owned() selected=selected>{label.to_owned()}</option> }
    };
    let reviewer_options = reviewers
        .iter()
        .map(|name| option(name, name, &filter.reviewer))
        .collect_view();

    view! {
        <Form method="GET" action="/decisions" attr:class="filters" attr:aria-label="Filter the decisions">
            <label>
                "Decision"
                <select name="decision">
                    {option("", "any", &filter.decision)}
                    {option("approve", "approved", &filter.decision)}
                    {option("remove", "removed", &filter.decision)}
                </select>
            </label>
            <label>
                "Reviewer"
                <select name="reviewer">
                    {option("", "anyone", &filter.reviewer)}
                    {reviewer_options}
                </select>
            </label>
            <label>
                "Category"
                <input type="text" name="category" value=filter.category.clone() placeholder="any" />
            </label>
            <label>
                "Score"
                <select name="band">
                    {option("", "any", &filter.band)}
                    {option("high", "0.80 and up", &filter.band)}
                    {option("mid", "0.50 – 0.80", &filter.band)}
                    {option("low", "below 0.50", &filter.band)}
                </select>
            </label>
            <DateRange from=filter.from.clone() to=filter.to.clone() />
            <button type="submit">"Apply"</button>
            <a href="/decisions" class="reset">"Clear"</a>
        </Form>
    }
}

#[component]
fn DecisionsBody(data: DecisionsView, filter: DecisionFilter) -> impl IntoView {
    let next_page = data
        .next
        .as_deref()
        .map(|next| format!("/decisions{}", filter.query(next)));
    let first_page = (!filter.after.is_empty()).then(|| format!("/decisions{}", filter.query("")));
    let table = if data.rows.is_empty() {
        view! { <p class="empty">"No decisions match."</p> }.into_any()
    } else {
        view! { <DecisionsTable rows=data.rows /> }.into_any()
    };

    view! {
        <Filters filter reviewers=data.reviewers />
        <p class="muted">
            {match data.matching {
                1 => "1 decision matches".to_owned(),
                n => format!("{n} decisions match"),
            }}
        </p>
        {table}
        <nav class="pager" aria-label="Pages">
            {first_page.map(|href| view! { <a href=href>"← Newest"</a> })}
            {next_page.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
        </nav>
    }
}

#[component]
fn DecisionsTable(rows: Vec<DecisionRow>) -> impl IntoView {
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
                    <th scope="col">"Categories"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        view! {
                            <tr>
                                <td class="ref"><a href=format!("/items/{}", row.item_id)>{row.reference_id}</a></td>
                                <td><span class=format!("decision {}", row.decision.as_str())>{row.decision.as_str()}</span></td>
                                <td class="text">{row.reason}</td>
                                <td class="note text">{row.note}</td>
                                <td>{row.reviewer}</td>
                                <td class="when">{row.decided_at}</td>
                                <td class="num">{row.time_to_decision}</td>
                                <td class="num">{format!("{} {:.2}", row.action, row.score)}</td>
                                <td><Categories categories=row.categories /></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
