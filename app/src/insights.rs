//! What each Insights chart plots, from the page's numbers. The tables under the charts show
//! the same numbers in full; a chart shows at most a readable number of bars or lines.

use crate::charts::{self, Chart, ChartError, Layout, Series};
use crate::model::{InsightsCharts, InsightsView};

/// Most categories in the time-to-decision chart (the ones with most decisions).
pub const CHART_CATEGORIES: usize = 12;
/// Most reviewers in the decisions-per-reviewer chart.
pub const CHART_REVIEWERS: usize = 20;
/// Most lines in the agreement chart: all items and the categories with most decisions.
pub const CHART_AGREEMENT_LINES: usize = 7;

/// Every chart of the page, as SVG.
pub fn charts(view: &InsightsView) -> Result<InsightsCharts, ChartError> {
    let days: Vec<String> = view
        .days
        .iter()
        .map(|d| d.get(5..).unwrap_or(d).to_owned())
        .collect();
    let every_day = days.len().div_ceil(10).max(1);
    let daily = |series: &[crate::model::DailySeries]| {
        let series: Vec<Series> = series
            .iter()
            .map(|s| Series::full(&s.name, s.counts.iter().map(|c| *c as f64)))
            .collect();
        charts::bars(
            &Chart {
                slots: &days,
                series: &series,
                y_label: "events",
                y_max: None,
                label_every: every_day,
            },
            Layout::Stacked,
        )
    };

    Ok(InsightsCharts {
        events_by_type: daily(&view.events_by_type)?,
        events_by_category: daily(&view.events_by_category)?,
        open_by_age: open_by_age(view)?,
        time_to_decision: time_to_decision(view)?,
        per_reviewer: per_reviewer(view)?,
        agreement: agreement(view)?,
    })
}

fn open_by_age(view: &InsightsView) -> Result<String, ChartError> {
    let slots: Vec<String> = view.open_by_age.iter().map(|b| b.label.clone()).collect();
    let series = [
        Series::full(
            "within due time",
            view.open_by_age.iter().map(|b| b.within_due as f64),
        ),
        Series::full("overdue", view.open_by_age.iter().map(|b| b.overdue as f64)),
    ];
    charts::bars(
        &Chart {
            slots: &slots,
            series: &series,
            y_label: "open items",
            y_max: None,
            label_every: 1,
        },
        Layout::Stacked,
    )
}

fn time_to_decision(view: &InsightsView) -> Result<String, ChartError> {
    let shown = &view.time_to_decision[..view.time_to_decision.len().min(CHART_CATEGORIES)];
    let longest = shown.iter().map(|t| t.p90_ms).max().unwrap_or(0);
    // The unit that keeps the axis numbers small: minutes once the longest bar passes two
    // minutes, hours once it passes two hours.
    let (unit_ms, unit) = if longest > 2 * 3_600_000 {
        (3_600_000.0, "hours")
    } else if longest > 2 * 60_000 {
        (60_000.0, "minutes")
    } else {
        (1_000.0, "seconds")
    };
    let slots: Vec<String> = shown.iter().map(|t| t.category.clone()).collect();
    let series = [
        Series::full(
            "p50 (median)",
            shown.iter().map(|t| t.p50_ms as f64 / unit_ms),
        ),
        Series::full("p90", shown.iter().map(|t| t.p90_ms as f64 / unit_ms)),
    ];
    charts::bars(
        &Chart {
            slots: &slots,
            series: &series,
            y_label: unit,
            y_max: None,
            label_every: 1,
        },
        Layout::Grouped,
    )
}

fn per_reviewer(view: &InsightsView) -> Result<String, ChartError> {
    let shown = &view.per_reviewer[..view.per_reviewer.len().min(CHART_REVIEWERS)];
    let slots: Vec<String> = shown.iter().map(|r| r.reviewer.clone()).collect();
    let series = [
        Series::full("approved", shown.iter().map(|r| r.approved as f64)),
        Series::full("removed", shown.iter().map(|r| r.removed as f64)),
    ];
    charts::bars(
        &Chart {
            slots: &slots,
            series: &series,
            y_label: "decisions",
            y_max: None,
            label_every: 1,
        },
        Layout::Stacked,
    )
}

fn agreement(view: &InsightsView) -> Result<String, ChartError> {
    let series: Vec<Series> = view
        .agreement
        .iter()
        .take(CHART_AGREEMENT_LINES)
        .map(|a| Series {
            name: a.category.clone(),
            values: a
                .bands
                .iter()
                .map(|b| (b.decided > 0).then(|| b.approved as f64 * 100.0 / b.decided as f64))
                .collect(),
        })
        .collect();
    charts::lines(&Chart {
        slots: &view.bands,
        series: &series,
        y_label: "approved by a reviewer (%)",
        y_max: Some(100.0),
        label_every: 1,
    })
}
