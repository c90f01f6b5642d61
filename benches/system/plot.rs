//! The scale chart: one panel per figure of the scale table, both daemons
//! on it, programs against the figure on log-log axes, as an SVG (text as
//! SVG text, so no font library is needed to draw it).

use std::path::Path;

use plotters::prelude::*;

use crate::BenchError;
use crate::report::{Cell, SCALE_ROWS, in_unit};

const COLUMNS: usize = 3;
/// A daemon's name, colour and points on one panel.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);
const PANEL: (u32, u32) = (480, 300);
const SERIES: [(&str, RGBColor); 2] = [("python 4.3.0", RGBColor(200, 80, 40)), ("ours", RGBColor(30, 90, 200))];

/// Draws every figure of `cell(implementation, programs, key)` into `path`.
pub fn draw(
    path: &Path,
    sizes: &[usize],
    title: &str,
    cell: impl Fn(&str, usize, &str) -> Cell,
) -> Result<(), BenchError> {
    let rows = SCALE_ROWS.len().div_ceil(COLUMNS);
    let size = (PANEL.0 * COLUMNS as u32, PANEL.1 * rows as u32 + 40);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(plot)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(plot)?;
    let panels = root.split_evenly((rows, COLUMNS));
    let lo = *sizes.first().unwrap_or(&1) as f64;
    let hi = *sizes.last().unwrap_or(&1) as f64;
    for (panel, row) in panels.iter().zip(SCALE_ROWS) {
        let (factor, unit) = in_unit(row.unit);
        let series: Vec<Series> = SERIES
            .iter()
            .map(|&(name, colour)| {
                let key = if name == "ours" { "ours" } else { "python" };
                let points = sizes
                    .iter()
                    .filter_map(|&n| cell(key, n, row.key).value().map(|v| (n as f64, v * factor)))
                    // A log axis has no 0.
                    .filter(|&(_, v)| v > 0.0)
                    .collect();
                (name, colour, points)
            })
            .collect();
        let values = series.iter().flat_map(|s| s.2.iter().map(|p| p.1));
        let (ymin, ymax) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let (ymin, ymax) = if ymin > ymax { (0.1, 10.0) } else { (ymin / 2.0, ymax * 2.0) };
        let caption =
            if unit.is_empty() { row.label.trim().to_owned() } else { format!("{} ({unit})", row.label.trim()) };
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d((lo / 1.5..hi * 1.5).log_scale(), (ymin..ymax).log_scale())
            .map_err(plot)?;
        chart
            .configure_mesh()
            .x_desc("programs")
            .light_line_style(WHITE)
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .draw()
            .map_err(plot)?;
        for (name, colour, points) in series {
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(plot)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.filled()))).map_err(plot)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot)?;
    }
    root.present().map_err(plot)?;
    Ok(())
}

fn plot(e: impl std::error::Error + Send + Sync + 'static) -> BenchError {
    BenchError::Plot(Box::new(e))
}

/// An axis label: three significant digits, no trailing zeros.
fn tick(v: f64) -> String {
    let digits = if v == 0.0 { 0 } else { (2 - v.abs().log10().floor() as i32).max(0) as usize };
    let text = format!("{v:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}
