//! `GET /metrics` (`metrics = true` in a server section): the Prometheus
//! text exposition format 0.0.4, written by the `prometheus` crate.
//!
//! Process figures are built from [`Supervisor::metrics`] at each scrape
//! (nothing is kept between scrapes); the API's own counters
//! ([`ApiMetrics`]) live as long as the listening sockets, so a reload
//! does not reset them.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, Histogram, HistogramOpts, IntCounterVec, Opts, Registry, TextEncoder};
use supervisor_core::process::{ProcessState, SupervisorState};
use supervisor_core::supervisor::{MetricsSnapshot, Supervisor};

use crate::faults::Fault;

/// The API's own figures, kept across reloads: calls by method and fault,
/// and how long they took.
pub struct ApiMetrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: Histogram,
    started: SystemTime,
}

impl std::fmt::Debug for ApiMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiMetrics").field("started", &self.started).finish_non_exhaustive()
    }
}

impl Default for ApiMetrics {
    fn default() -> Self {
        ApiMetrics::new()
    }
}

impl ApiMetrics {
    /// Counters at zero, the daemon's start time now.
    pub fn new() -> ApiMetrics {
        let registry = Registry::new();
        // The names are constants that the crate accepts: these cannot fail.
        let requests = IntCounterVec::new(
            Opts::new("supervisord_rpc_requests_total", "XML-RPC calls answered, by method and fault (none: success)."),
            &["method", "fault"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let duration = Histogram::with_opts(HistogramOpts::new(
            "supervisord_rpc_request_duration_seconds",
            "How long XML-RPC calls took to answer.",
        ))
        .unwrap_or_else(|e| unreachable!("{e}"));
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(duration.clone()));
        ApiMetrics { registry, requests, duration, started: SystemTime::now() }
    }

    /// One call answered: `method` is its name if the server knows it
    /// (others count as `unknown`, so a client cannot grow the series),
    /// `fault` how it failed.
    pub fn record(&self, method: Option<&str>, fault: Option<Fault>, took: Duration) {
        let fault = fault.map_or("none", Fault::name);
        self.requests.with_label_values(&[method.unwrap_or("unknown"), fault]).inc();
        self.duration.observe(took.as_secs_f64());
    }
}

/// What the `/metrics` route needs.
#[derive(Clone)]
pub(crate) struct MetricsRoute {
    pub supervisor: Supervisor,
    pub api: Arc<ApiMetrics>,
}

pub(crate) async fn serve(State(route): State<MetricsRoute>) -> Response {
    let snapshot = route.supervisor.metrics().await;
    let mut families = families(&snapshot, route.supervisor.identifier(), route.api.started);
    families.extend(route.api.registry.gather());
    let mut body = String::with_capacity(256 * (snapshot.processes.len() + 8));
    match TextEncoder::new().encode_utf8(&families, &mut body) {
        Ok(()) => ([(header::CONTENT_TYPE, TextEncoder::new().format_type())], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut l = LabelPair::default();
    l.set_name(name.to_owned());
    l.set_value(value.to_owned());
    l
}

fn gauge(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut g = Gauge::default();
    g.set_value(value);
    let mut m = Metric::from_label(labels);
    m.set_gauge(g);
    m
}

fn counter(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut c = Counter::default();
    c.set_value(value);
    let mut m = Metric::from_label(labels);
    m.set_counter(c);
    m
}

/// A family being filled; empty ones are left out (the encoder refuses them).
struct Family(MetricFamily);

impl Family {
    fn new(name: &str, help: &str, kind: MetricType) -> Family {
        let mut f = MetricFamily::default();
        f.set_name(name.to_owned());
        f.set_help(help.to_owned());
        f.set_field_type(kind);
        Family(f)
    }

    fn push(&mut self, m: Metric) {
        self.0.mut_metric().push(m);
    }

    fn into_nonempty(self) -> Option<MetricFamily> {
        (!self.0.get_metric().is_empty()).then_some(self.0)
    }
}

fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Every process's families, then the daemon's.
fn families(s: &MetricsSnapshot, identification: &str, started: SystemTime) -> Vec<MetricFamily> {
    use MetricType::{COUNTER, GAUGE};
    let mut state = Family::new(
        "supervisor_process_state",
        "The process's state: 1 for the state it is in, 0 for the others.",
        GAUGE,
    );
    let mut start =
        Family::new("supervisor_process_start_time_seconds", "When the process last started (Unix time).", GAUGE);
    let mut restarts = Family::new(
        "supervisor_process_restarts_total",
        "Restarts of the process, by reason: autorestart after an exit, health (a failing health_check), manual \
         (started on request after having run).",
        COUNTER,
    );
    let mut exit =
        Family::new("supervisor_process_exit_status", "The process's last exit status, once it has exited.", GAUGE);
    let mut cpu = Family::new(
        "supervisor_process_cpu_seconds_total",
        "CPU time of the running process: its utime+stime+cutime+cstime from /proc.",
        COUNTER,
    );
    let mut memory = Family::new(
        "supervisor_process_resident_memory_bytes",
        "Resident memory of the running process and all its descendants.",
        GAUGE,
    );
    let mut log_bytes =
        Family::new("supervisor_process_log_bytes_total", "Bytes the process wrote, by channel.", COUNTER);
    let mut health = Family::new(
        "supervisor_process_health_check_failures",
        "With a health_check: its failures in a row now (0: healthy).",
        GAUGE,
    );
    let mut ready =
        Family::new("supervisor_process_ready", "With a ready_check: 1 once the process is ready (RUNNING).", GAUGE);
    for p in &s.processes {
        let who = || vec![label("group", p.process.group()), label("name", p.process.name())];
        let with = |name: &str, value: &str| {
            let mut l = who();
            l.push(label(name, value));
            l
        };
        for st in ProcessState::ALL {
            state.push(gauge(with("state", st.name()), f64::from(u8::from(*st == p.state))));
        }
        if let Some(t) = p.started {
            start.push(gauge(who(), epoch_secs(t)));
        }
        for (reason, n) in
            [("autorestart", p.restarts.autorestart), ("health", p.restarts.health), ("manual", p.restarts.manual)]
        {
            restarts.push(counter(with("reason", reason), n as f64));
        }
        if let Some(status) = p.exit_status {
            exit.push(gauge(who(), f64::from(status)));
        }
        if let Some(seconds) = p.cpu_seconds {
            cpu.push(counter(who(), seconds));
        }
        if let Some(bytes) = p.resident_memory_bytes {
            memory.push(gauge(who(), bytes as f64));
        }
        log_bytes.push(counter(with("channel", "stdout"), p.stdout_bytes as f64));
        log_bytes.push(counter(with("channel", "stderr"), p.stderr_bytes as f64));
        if let Some(failures) = p.health_failures {
            health.push(gauge(who(), f64::from(failures)));
        }
        if let Some(is_ready) = p.ready {
            ready.push(gauge(who(), f64::from(u8::from(is_ready))));
        }
    }
    let mut info = Family::new("supervisord_info", "The daemon: always 1, with its version and identifier.", GAUGE);
    info.push(gauge(
        vec![label("identification", identification), label("version", crate::supervisor_ns::SUPERVISOR_VERSION)],
        1.0,
    ));
    let mut since = Family::new("supervisord_start_time_seconds", "When the daemon started (Unix time).", GAUGE);
    since.push(gauge(Vec::new(), epoch_secs(started)));
    let mut daemon_state =
        Family::new("supervisord_state", "The daemon's state: 1 for the state it is in, 0 for the others.", GAUGE);
    for st in SupervisorState::ALL {
        daemon_state.push(gauge(vec![label("state", st.name())], f64::from(u8::from(*st == s.state))));
    }
    let mut rss = Family::new("supervisord_resident_memory_bytes", "The daemon's resident memory.", GAUGE);
    rss.push(gauge(Vec::new(), s.own_resident_memory_bytes as f64));
    let mut fds = Family::new("supervisord_open_fds", "Descriptors the daemon has open.", GAUGE);
    fds.push(gauge(Vec::new(), s.own_open_fds as f64));
    let mut dropped = Family::new(
        "supervisord_events_dropped_total",
        "Events a reader missed: a stream that fell behind, an event listener pool whose buffer overflowed.",
        COUNTER,
    );
    dropped.push(counter(Vec::new(), s.events_dropped as f64));
    [state, start, restarts, exit, cpu, memory, log_bytes, health, ready, info, since, daemon_state, rss, fds, dropped]
        .into_iter()
        .filter_map(Family::into_nonempty)
        .collect()
}
