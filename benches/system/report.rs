//! The table: each figure for both implementations, their ratio, and the
//! target from issue 7 / issue 9 with whether ours meets it.

use std::collections::HashMap;

/// How a figure prints.
#[derive(Clone, Copy)]
pub enum Unit {
    Megabytes,
    Seconds,
    Millis,
    PerSecond,
    MibPerSecond,
    CpuSeconds,
    Count,
    Kib,
}

/// What ours must reach.
#[derive(Clone, Copy)]
pub enum Target {
    AtMost(f64),
    AtLeast(f64),
    /// Ours at least this many times Python's.
    TimesPython(f64),
    /// Ours no more than Python's.
    NotAbovePython,
    None,
}

pub struct Row {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub lower_is_better: bool,
    pub target: Target,
}

const fn row(key: &'static str, label: &'static str, unit: Unit, lower_is_better: bool, target: Target) -> Row {
    Row { key, label, unit, lower_is_better, target }
}

/// Every figure, in the order printed. `{n}` in a label is `--programs`.
pub const ROWS: &[Row] = &[
    row("rss", "daemon RSS, {n} programs running", Unit::Megabytes, true, Target::AtMost(5e6)),
    row("launch", "launch -> {n} programs running", Unit::Seconds, true, Target::AtMost(0.5)),
    row("all_info_p50", "getAllProcessInfo, {n} programs, p50", Unit::Millis, true, Target::AtMost(0.010)),
    row("scrape_p50", "GET /metrics, {n} programs, p50", Unit::Millis, true, Target::AtMost(0.050)),
    row("scrape_p99", "GET /metrics, {n} programs, p99", Unit::Millis, true, Target::AtMost(0.050)),
    row("scrape_all_info_p50", "  getAllProcessInfo beside it, p50", Unit::Millis, true, Target::None),
    row("get_state_rate", "getState calls/s, one client", Unit::PerSecond, false, Target::TimesPython(10.0)),
    row("respawn_p50", "crashed program respawned, p50", Unit::Millis, true, Target::AtMost(0.005)),
    row("log_fleet", "stdout log, 1 writer, {n} idle programs", Unit::MibPerSecond, false, Target::AtLeast(1000.0)),
    row("log_alone", "stdout log, 1 writer alone", Unit::MibPerSecond, false, Target::TimesPython(1.5)),
    row("log_alone_cpu", "  daemon CPU per 100 MiB", Unit::CpuSeconds, true, Target::NotAbovePython),
    row("stop_all", "stopAllProcesses, {n} programs", Unit::Seconds, true, Target::AtMost(0.1)),
    row("ctl_status", "supervisorctl status, {n} programs", Unit::Seconds, true, Target::AtMost(0.05)),
    row("shutdown", "shutdown (SIGTERM), {n} programs", Unit::Seconds, true, Target::AtMost(0.3)),
    row("storm_spawns", "crash storm: spawns", Unit::Count, false, Target::None),
    row("storm_zombies_max", "crash storm: most unreaped at once", Unit::Count, true, Target::AtMost(2.0)),
    row("storm_get_state_p99", "crash storm: getState p99", Unit::Millis, true, Target::AtMost(0.020)),
    row("storm_stop_calls", "crash storm: stopAllProcesses calls", Unit::Count, true, Target::AtMost(1.0)),
    row("storm_fd_growth", "crash storm: fd growth per 1000 spawns", Unit::Count, true, Target::AtMost(0.0)),
    row("storm_rss_growth", "crash storm: RSS growth per 1000 spawns", Unit::Kib, true, Target::None),
    row(
        "sse_storm_get_state_p99",
        "  getState p99, 20 stalled /events readers",
        Unit::Millis,
        true,
        Target::AtMost(0.020),
    ),
    row("flood_rate", "flood: writers at once, aggregate", Unit::MibPerSecond, false, Target::AtLeast(1000.0)),
    row("flood_get_state_p99", "flood: getState p99", Unit::Millis, true, Target::AtMost(0.010)),
    row("deps_flat", "{n} ready-checked programs, no depends_on", Unit::Seconds, true, Target::None),
    row("deps_tree", "  the same as a 10-deep depends_on tree", Unit::Seconds, true, Target::None),
    // 10 levels x (ready_check_interval 0.1 s + a probe's own time).
    row("deps_overhead", "  tree minus flat", Unit::Seconds, true, Target::AtMost(1.2)),
    // Issue 19: one writer of ~100-byte lines, ours only (4.3.0's plain
    // figure is log_alone above).
    row("fmt_plain", "child log, no format, 1 writer", Unit::MibPerSecond, false, Target::None),
    row("fmt_plain_cpu", "  daemon CPU per 100 MiB", Unit::CpuSeconds, true, Target::None),
    row(
        "fmt_pattern",
        "child log, %(asctime)s %(program)s %(message)s",
        Unit::MibPerSecond,
        false,
        Target::AtLeast(500.0),
    ),
    row("fmt_pattern_cpu", "  daemon CPU per 100 MiB", Unit::CpuSeconds, true, Target::None),
    row("fmt_json", "child log, json", Unit::MibPerSecond, false, Target::AtLeast(500.0)),
    row("fmt_json_cpu", "  daemon CPU per 100 MiB", Unit::CpuSeconds, true, Target::None),
];

fn show(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Megabytes => format!("{:.1} MB", v / 1e6),
        Unit::Seconds => format!("{v:.3} s"),
        Unit::Millis => format!("{:.2} ms", v * 1e3),
        Unit::PerSecond => format!("{v:.0} /s"),
        Unit::MibPerSecond => format!("{v:.0} MiB/s"),
        Unit::CpuSeconds => format!("{v:.3} CPU-s"),
        Unit::Count => format!("{v:.0}"),
        Unit::Kib => format!("{:.1} KiB", v / 1024.0),
    }
}

fn target_text(row: &Row) -> String {
    match row.target {
        Target::AtMost(v) => format!("<= {}", show(row.unit, v)),
        Target::AtLeast(v) => format!(">= {}", show(row.unit, v)),
        Target::TimesPython(k) => format!(">= {k}x python"),
        Target::NotAbovePython => "<= python".into(),
        Target::None => String::new(),
    }
}

fn met(row: &Row, ours: f64, python: Option<f64>) -> Option<bool> {
    match (row.target, python) {
        (Target::AtMost(v), _) => Some(ours <= v),
        (Target::AtLeast(v), _) => Some(ours >= v),
        (Target::TimesPython(k), Some(p)) => Some(ours >= k * p),
        (Target::NotAbovePython, Some(p)) => Some(ours <= p),
        _ => None,
    }
}

/// Prints the table; `programs` fills in the {n} of the labels.
pub fn print(python: &HashMap<&str, f64>, ours: &HashMap<&str, f64>, programs: usize) {
    println!("{:<44} {:>16} {:>16} {:>12}  target", "scenario", "python 4.3.0", "ours", "ratio");
    for row in ROWS {
        let (p, o) = (python.get(row.key).copied(), ours.get(row.key).copied());
        if p.is_none() && o.is_none() {
            continue;
        }
        let cell = |v: Option<f64>| v.map_or("-".to_owned(), |v| show(row.unit, v));
        // How many times better ours is, whichever way "better" points.
        let ratio = match (p, o) {
            (Some(p), Some(o)) if p > 0.0 && o > 0.0 => {
                format!("{:.1}x", if row.lower_is_better { p / o } else { o / p })
            }
            _ => "-".into(),
        };
        let verdict = match o.and_then(|o| met(row, o, p)) {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "",
        };
        let label = row.label.replace("{n}", &programs.to_string());
        println!("{label:<44} {:>16} {:>16} {ratio:>12}  {:<18} {verdict}", cell(p), cell(o), target_text(row));
    }
}
