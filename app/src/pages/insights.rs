//! Insights for managers: events per day, the open queue by age, time to decision, decisions
//! per reviewer and agreement with the upstream. Each chart is SVG drawn on the server, with its
//! numbers in a table under it.

use crate::api::insights::insights;
use crate::components::date_range::DateRange;
use crate::components::error_view::ErrorView;
use crate::duration::format_duration_ms;
use crate::model::{Agreement, BandCounts, DailySeries, InsightsRange, InsightsView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

#[component]
pub fn InsightsPage() -> impl IntoView {
    let query = use_query_map();
    let range = move || {
        query.with(|q| InsightsRange {
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        })
    };
    let data = Resource::new(range, insights);

    view! {
        <Title text="Insights · moddesk" />
        <h1>"Insights"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <RangeForm range=range() /> <ErrorView error /> }.into_any(),
                    Ok(view) => view! { <Insights view /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RangeForm(range: InsightsRange) -> impl IntoView {
    view! {
        <Form method="GET" action="/insights" attr:class="filters" attr:aria-label="Date range">
            <DateRange from=range.from to=range.to />
            <button type="submit">"Apply"</button>
            <a href="/insights" class="reset">"Last 30 days"</a>
        </Form>
    }
}

#[component]
fn Insights(view: InsightsView) -> impl IntoView {
    let range = InsightsRange {
        from: view.from.clone(),
        to: view.to.clone(),
    };
    let charts = view.charts.clone();
    let by_type =
        view! { <DailyTable days=view.days.clone() series=view.events_by_type.clone() /> };
    let by_category =
        view! { <DailyTable days=view.days.clone() series=view.events_by_category.clone() /> };
    view! {
        <RangeForm range />
        <p class="muted">{format!("{} to {} (UTC days). Open items are counted as they are now.", view.from, view.to)}</p>
        <ChartCard title="Events per day by type" svg=charts.events_by_type
            about="Every event received from the upstream, by the day moddesk received it.">
            {by_type}
        </ChartCard>
        <ChartCard title="Events per day by category" svg=charts.events_by_category
            about="An event counts once for each of its categories; past the eight largest, categories are summed up.">
            {by_category}
        </ChartCard>
        <ChartCard title="Open items by age" svg=charts.open_by_age
            about="Items waiting for a decision now, by the time since they opened, and whether they are past their due time.">
            <table class="grid compact">
                <thead><tr><th scope="col">"Age"</th><th scope="col" class="num">"Within due time"</th><th scope="col" class="num">"Overdue"</th><th scope="col" class="num">"Open"</th></tr></thead>
                <tbody>
                    {view.open_by_age.iter().map(|b| view! {
                        <tr><th scope="row">{b.label.clone()}</th><td class="num">{b.within_due}</td><td class="num">{b.overdue}</td><td class="num">{b.within_due + b.overdue}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </ChartCard>
        <ChartCard title="Time to decision by category" svg=charts.time_to_decision
            about="From the item opening to its decision, for items decided in the range. p50: half the decisions took at most this long; p90: nine in ten did.">
            <table class="grid compact">
                <thead><tr><th scope="col">"Category"</th><th scope="col" class="num">"Decisions"</th><th scope="col" class="num">"p50"</th><th scope="col" class="num">"p90"</th></tr></thead>
                <tbody>
                    {view.time_to_decision.iter().map(|t| view! {
                        <tr><th scope="row">{t.category.clone()}</th><td class="num">{t.decided}</td><td class="num">{format_duration_ms(t.p50_ms)}</td><td class="num">{format_duration_ms(t.p90_ms)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </ChartCard>
        <ChartCard title="Decisions per reviewer" svg=charts.per_reviewer
            about="Approvals and removals in the range; undone decisions are not counted.">
            <table class="grid compact">
                <thead><tr><th scope="col">"Reviewer"</th><th scope="col" class="num">"Approved"</th><th scope="col" class="num">"Removed"</th><th scope="col" class="num">"Decisions"</th></tr></thead>
                <tbody>
                    {view.per_reviewer.iter().map(|r| view! {
                        <tr><th scope="row">{r.reviewer.clone()}</th><td class="num">{r.approved}</td><td class="num">{r.removed}</td><td class="num">{r.approved + r.removed}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </ChartCard>
        <ChartCard title="Agreement with the upstream" svg=charts.agreement
            about="Of the items the upstream sent for review, the share a reviewer approved (left up), by the upstream's score. Many approvals in a band: the review threshold could move up there; almost none: items in that band could be blocked without review.">
            <AgreementTable bands=view.bands.clone() rows=view.agreement.clone() />
        </ChartCard>
    }
}

#[component]
fn ChartCard(
    title: &'static str,
    about: &'static str,
    svg: String,
    children: Children,
) -> impl IntoView {
    let label = format!("Chart: {title}. The numbers are in the table below it.");
    view! {
        <section class="chart-card" aria-label=title>
            <h2>{title}</h2>
            <p class="muted">{about}</p>
            <div class="chart" role="img" aria-label=label inner_html=svg></div>
            {children()}
        </section>
    }
}

/// Totals per series, and the counts per day behind a disclosure (a row a day is long).
#[component]
fn DailyTable(days: Vec<String>, series: Vec<DailySeries>) -> impl IntoView {
    if series.is_empty() {
        return view! { <p class="muted">"No events in this range."</p> }.into_any();
    }
    let headers = series
        .iter()
        .map(|s| view! { <th scope="col" class="num">{s.name.clone()}</th> })
        .collect_view();
    let totals = series
        .iter()
        .map(|s| view! { <td class="num">{s.counts.iter().sum::<i64>()}</td> })
        .collect_view();
    let rows = days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            let cells = series
                .iter()
                .map(|s| view! { <td class="num">{s.counts.get(index).copied().unwrap_or(0)}</td> })
                .collect_view();
            view! { <tr><th scope="row">{day.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <details>
            <summary>"Numbers per day"</summary>
            <div class="scroll">
                <table class="grid compact">
                    <thead><tr><th scope="col">"Day"</th>{headers}</tr></thead>
                    <tbody>{rows}</tbody>
                    <tfoot><tr><th scope="row">"Total"</th>{totals}</tr></tfoot>
                </table>
            </div>
        </details>
    }
    .into_any()
}

#[component]
fn AgreementTable(bands: Vec<String>, rows: Vec<Agreement>) -> impl IntoView {
    let cell = |b: &BandCounts| match b.decided {
        0 => "–".to_owned(),
        decided => format!(
            "{} of {decided} ({:.0} %)",
            b.approved,
            b.approved as f64 * 100.0 / decided as f64
        ),
    };
    let headers = bands
        .iter()
        .map(|b| view! { <th scope="col" class="num">{b.clone()}</th> })
        .collect_view();
    view! {
        <div class="scroll">
            <table class="grid compact">
                <caption class="visually-hidden">"Approved of decided, per score band"</caption>
                <thead><tr><th scope="col">"Category"</th>{headers}</tr></thead>
                <tbody>
                    {rows.iter().map(|row| view! {
                        <tr>
                            <th scope="row">{row.category.clone()}</th>
                            {row.bands.iter().map(|b| view! { <td class="num">{cell(b)}</td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
