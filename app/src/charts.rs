//! Charts drawn on the server as SVG with plotters' SVG backend: bars (stacked or side by side)
//! and lines over labelled slots, with the legend beside the plot. Only the server draws them;
//! the page shows the SVG with the numbers in a table under it. plotters escapes every text and
//! attribute it writes, so category and reviewer names cannot add markup.

use crate::text::shorten;
use plotters::backend::SVGBackend;
use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 300;
/// Width kept for the legend, right of the plot.
const LEGEND_WIDTH: u32 = 180;
const FONT: &str = "sans-serif";
/// Longest legend entry, in characters.
const LEGEND_CHARS: usize = 22;
/// x units per slot: the x axis counts in hundredths of a slot, so bars can sit side by side.
const SLOT: i32 = 100;

/// Colours that stay apart for the common kinds of colour blindness (Okabe and Ito), then two
/// greys; series beyond them repeat the colours.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(80, 80, 80),
    RGBColor(160, 160, 160),
];

/// One named series: a value per slot. `None` is a gap (no data), not zero.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// A series with a value in every slot.
    pub fn full(name: impl Into<String>, values: impl IntoIterator<Item = f64>) -> Series {
        Series {
            name: name.into(),
            values: values.into_iter().map(Some).collect(),
        }
    }
}

/// How bars of several series share a slot.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// On top of each other: the bar's height is the slot's total.
    Stacked,
    /// Side by side.
    Grouped,
}

/// What a chart shows: the slots along the x axis and the series over them.
pub struct Chart<'a> {
    pub slots: &'a [String],
    pub series: &'a [Series],
    pub y_label: &'a str,
    /// The top of the y axis; from the data when `None`.
    pub y_max: Option<f64>,
    /// Label every n-th slot (1 labels all).
    pub label_every: usize,
}

/// A drawing error, as text.
pub type ChartError = String;

/// A bar chart.
pub fn bars(chart: &Chart<'_>, layout: Layout) -> Result<String, ChartError> {
    let slot_total = |i: usize| -> f64 {
        chart
            .series
            .iter()
            .filter_map(|s| s.values.get(i).copied().flatten())
            .sum()
    };
    let highest = match layout {
        Layout::Stacked => (0..chart.slots.len()).map(slot_total).fold(0.0, f64::max),
        Layout::Grouped => highest_value(chart.series),
    };
    let has_data = highest > 0.0;
    draw(chart, highest, has_data, |plot| {
        let groups = chart.series.len().max(1) as f64;
        let mut stacked = vec![0.0; chart.slots.len()];
        for (index, series) in chart.series.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let mut bars = Vec::new();
            for (slot, value) in series.values.iter().enumerate() {
                let Some(value) = value.filter(|v| *v > 0.0) else {
                    continue;
                };
                let x = slot as i32 * SLOT;
                let (x0, x1, y0) = match layout {
                    Layout::Stacked => (x + 15, x + 85, stacked[slot]),
                    Layout::Grouped => {
                        let width = 80.0 / groups;
                        let left = x + 10 + (width * index as f64) as i32;
                        (left, left + (width * 0.9).max(1.0) as i32, 0.0)
                    }
                };
                if layout == Layout::Stacked {
                    stacked[slot] += value;
                }
                bars.push(Rectangle::new([(x0, y0), (x1, y0 + value)], color.filled()));
            }
            plot.draw_series(bars).map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// A line chart: one line per series through the middle of each slot, broken where a value is
/// missing, with a dot on every value.
pub fn lines(chart: &Chart<'_>) -> Result<String, ChartError> {
    let has_data = chart
        .series
        .iter()
        .any(|s| s.values.iter().any(Option::is_some));
    draw(chart, highest_value(chart.series), has_data, |plot| {
        for (index, series) in chart.series.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let points: Vec<Option<(i32, f64)>> = series
                .values
                .iter()
                .enumerate()
                .map(|(slot, v)| v.map(|v| (slot as i32 * SLOT + SLOT / 2, v)))
                .collect();
            for run in points.split(Option::is_none) {
                let run: Vec<(i32, f64)> = run.iter().flatten().copied().collect();
                plot.draw_series(LineSeries::new(run.clone(), color.stroke_width(2)))
                    .map_err(|e| e.to_string())?;
                plot.draw_series(run.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

fn highest_value(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .fold(0.0, f64::max)
}

type Plot<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<
        plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi32>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// The frame every chart shares: axes, slot labels and the legend; `series` draws the data.
fn draw(
    chart: &Chart<'_>,
    highest: f64,
    has_data: bool,
    series: impl FnOnce(&mut Plot<'_, '_>) -> Result<(), ChartError>,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (area, legend) = root.split_horizontally(WIDTH - LEGEND_WIDTH);

        let slots = chart.slots.len().max(1);
        let every = chart.label_every.max(1);
        let keys: Vec<i32> = (0..slots)
            .step_by(every)
            .map(|i| i as i32 * SLOT + SLOT / 2)
            .collect();
        let y_max = chart.y_max.unwrap_or_else(|| nice_ceiling(highest));
        let slot_px = (WIDTH - LEGEND_WIDTH - 60) as usize / slots * every;
        let label = |x: &i32| {
            let text = chart
                .slots
                .get((x / SLOT).max(0) as usize)
                .map(String::as_str)
                .unwrap_or("");
            shorten(text, (slot_px / 7).max(3))
        };
        let mut plot = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d((0..slots as i32 * SLOT).with_key_points(keys), 0f64..y_max)
            .map_err(|e| e.to_string())?;
        plot.configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format_number(*y))
            .y_labels(6)
            .y_desc(chart.y_label)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 13))
            .bold_line_style(RGBColor(221, 225, 231))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        series(&mut plot)?;
        if !has_data {
            area.draw(&Text::new(
                "No data in this range",
                (
                    (WIDTH - LEGEND_WIDTH) as i32 / 2 - 60,
                    HEIGHT as i32 / 2 - 10,
                ),
                (FONT, 15).into_font().color(&RGBColor(91, 100, 114)),
            ))
            .map_err(|e| e.to_string())?;
        }
        draw_legend(&legend, chart.series)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    series: &[Series],
) -> Result<(), ChartError> {
    for (index, s) in series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let y = 18 + 20 * index as i32;
        area.draw(&Rectangle::new([(8, y - 6), (20, y + 6)], color.filled()))
            .map_err(|e| e.to_string())?;
        area.draw(&Text::new(
            shorten(&s.name, LEGEND_CHARS),
            (26, y - 7),
            (FONT, 13).into_font(),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value` (1 for nothing), so
/// the axis ends on a round number.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 || !value.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|v| *v >= value)
        .unwrap_or(value)
}

/// An axis number: whole numbers without decimals, others with up to two (ticks on a small
/// axis, such as 0.05 steps, stay distinct).
fn format_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart<'a>(slots: &'a [String], series: &'a [Series]) -> Chart<'a> {
        Chart {
            slots,
            series,
            y_label: "items",
            y_max: None,
            label_every: 1,
        }
    }

    #[test]
    fn names_cannot_add_markup() {
        let slots = vec!["<b>day</b>".to_owned()];
        let series = vec![Series::full("<script>alert(1)</script>", [3.0])];

        for svg in [
            bars(&chart(&slots, &series), Layout::Stacked).unwrap(),
            lines(&chart(&slots, &series)).unwrap(),
        ] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("<b>"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"), "{svg}");
        }
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(23.0), 25.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(format_number(4.0), "4");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(0.15), "0.15");
        assert_eq!(format_number(0.1), "0.1");
    }

    #[test]
    fn stacked_bars_draw_one_rectangle_per_value() {
        let slots = vec!["a".to_owned(), "b".to_owned()];
        let series = vec![Series::full("x", [1.0, 0.0]), Series::full("y", [2.0, 3.0])];

        let svg = bars(&chart(&slots, &series), Layout::Stacked).unwrap();

        // Background, 3 bars (the zero is left out) and 2 legend keys, plus the plot frame.
        let filled_bars = svg.matches("<rect").count();
        assert!(filled_bars >= 5, "{svg}");
    }
}
