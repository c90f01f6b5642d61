//! `[program:x]`, `[eventlistener:x]`, `[fcgi-program:x]`: the keys every
//! process section shares, and numprocs expansion into processes
//! (4.3.0's `_processes_from_section`).
//!
//! Expansion timing is 4.3.0's: most keys see `here`, `program_name`,
//! `group_name`, `host_node_name` and `ENV_*`; the keys read once per process
//! (`command`, `process_name`, `environment`, `directory`, `stdout_*`,
//! `stderr_*`) also see `process_num`, `numprocs` and the program's own
//! `environment` as `ENV_*`.

use std::sync::Arc;
use std::time::Duration;

use super::datatypes::{self as dt, ValueError, count};
use super::dependencies;
use super::envlist::parse_key_value_pairs;
use super::error::{ErrorKind, Location};
use super::expand::{ExpandValue, Expansions, expand};
use super::logformat::LogFields;
use super::model::{
    AutoRestart, ChannelConfig, EnvLayer, HealthCheck, LogFile, Probe, ProcessConfig, ReadyCheck, ShutdownOn,
    StartRetries,
};
use super::reader::{Ctx, Sec};
use crate::signals::Signal;

/// The name after the `:` of a section, checked as a process or group name.
pub(crate) fn section_suffix_name(ctx: &mut Ctx<'_>, sec: Sec<'_>) -> Option<String> {
    let suffix = sec.name().split_once(':').map_or("", |(_, n)| n);
    match dt::process_or_group_name(suffix) {
        Ok(name) => Some(name),
        Err(e) => {
            ctx.error(sec.location(), e);
            None
        }
    }
}

/// The names every key of a process section may use.
pub(crate) fn common_names(ctx: &Ctx<'_>, here: &str, program: &str, group: &str) -> Expansions {
    let mut names = Expansions::new();
    names.insert("here".into(), here.into());
    names.insert("program_name".into(), program.into());
    names.insert("host_node_name".into(), ctx.opts.host_node_name.clone().into());
    names.insert("group_name".into(), group.into());
    names
}

fn auto_restart(v: &str) -> Result<AutoRestart, ValueError> {
    let lower = v.to_lowercase();
    match lower.as_str() {
        "yes" | "true" | "on" | "1" => Ok(AutoRestart::Always),
        "no" | "false" | "off" | "0" => Ok(AutoRestart::Never),
        "unexpected" => Ok(AutoRestart::Unexpected),
        _ => Err(ValueError::AutoRestart(lower)),
    }
}

fn seconds(v: &str) -> Result<u64, ValueError> {
    dt::integer_at_least(v, 0).map(|n| n as u64)
}

/// The processes one section defines, sorted by priority then name.
pub(crate) fn processes_from_section(
    ctx: &mut Ctx<'_>,
    sec: Sec<'_>,
    group: &str,
    here: &str,
) -> Vec<Arc<ProcessConfig>> {
    let Some(program) = section_suffix_name(ctx, sec) else {
        return Vec::new();
    };
    let errors_before = ctx.errors.len();
    let common = common_names(ctx, here, &program, group);
    let c = &[&common];

    let priority = sec.parse(ctx, "priority", c, 999, dt::integer);
    let autostart = sec.parse(ctx, "autostart", c, true, dt::boolean);
    let autorestart = sec.parse(ctx, "autorestart", c, AutoRestart::Unexpected, auto_restart);
    let startsecs = sec.parse(ctx, "startsecs", c, 1, seconds);
    let startretries = sec.parse(ctx, "startretries", c, StartRetries::Limit(3), |v| {
        if crate::pytext::strip(v).eq_ignore_ascii_case("unlimited") {
            Ok(StartRetries::Unlimited)
        } else {
            count(v).map(StartRetries::Limit)
        }
    });
    let restart_delay = sec.parse_opt(ctx, "restart_delay", c, dependencies::seconds_or_zero);
    let backoff_max = sec.parse_opt(ctx, "backoff_max", c, dependencies::seconds);
    let stopsignal = sec.parse(ctx, "stopsignal", c, Signal::TERM, dt::signal);
    let stopwaitsecs = sec.parse(ctx, "stopwaitsecs", c, 10, seconds);
    let stopasgroup = sec.parse(ctx, "stopasgroup", c, false, dt::boolean);
    let killasgroup = sec.parse(ctx, "killasgroup", c, stopasgroup, dt::boolean);
    let exitcodes = sec.parse(ctx, "exitcodes", c, vec![0], dt::exit_codes);
    let redirect_stderr = sec.parse(ctx, "redirect_stderr", c, false, dt::boolean);
    let numprocs = sec.parse(ctx, "numprocs", c, 1, |v| dt::integer_at_least(v, 0));
    let numprocs_start = sec.parse(ctx, "numprocs_start", c, 0, |v| dt::integer_at_least(v, 0));
    let environment_raw = sec.raw("environment").unwrap_or("").to_owned();
    let stdout_capture = sec.parse(ctx, "stdout_capture_maxbytes", c, 0, dt::byte_size);
    let stdout_events = sec.parse(ctx, "stdout_events_enabled", c, false, dt::boolean);
    let stderr_capture = sec.parse(ctx, "stderr_capture_maxbytes", c, 0, dt::byte_size);
    let stderr_events = sec.parse(ctx, "stderr_events_enabled", c, false, dt::boolean);
    let serverurl = sec.get(ctx, "serverurl", c).filter(|u| !crate::pytext::strip(u).eq_ignore_ascii_case("auto"));
    let user = sec.get(ctx, "user", c);
    let uid = match &user {
        None => None,
        Some(u) => match dt::name_to_uid(u) {
            Ok(uid) => Some(uid),
            Err(e) => {
                ctx.error(sec.key_location("user"), e);
                None
            }
        },
    };
    let umask = sec.parse_opt(ctx, "umask", c, dt::octal);
    let depends_on = sec.parse(ctx, "depends_on", c, Vec::new(), dependencies::depends_on);
    let environment_files = super::envfile::files(ctx, sec, "environment_file", c);
    let health_probe = sec.parse_opt(ctx, "health_check", c, |v| match dependencies::probe(v)? {
        Probe::Log(_) => Err(ValueError::HealthCheck(v.to_owned())),
        probe => Ok(probe),
    });
    let health_interval = sec.parse(ctx, "health_check_interval", c, Duration::from_secs(10), dependencies::seconds);
    let health_timeout = sec.parse(ctx, "health_check_timeout", c, Duration::from_secs(5), dependencies::seconds);
    let health_retries = sec.parse(ctx, "health_check_retries", c, 3, |v| dt::integer_at_least(v, 1).map(|n| n as u32));
    let health_check = health_probe.map(|probe| HealthCheck {
        interval: health_interval,
        timeout: health_timeout,
        retries: health_retries,
        ..HealthCheck::new(probe)
    });
    let shutdown_on = sec.parse_opt(ctx, "shutdown_on", c, |v| match v.trim().to_lowercase().as_str() {
        "fatal" => Ok(ShutdownOn::Fatal),
        "unexpected" => Ok(ShutdownOn::Unexpected),
        "exit" => Ok(ShutdownOn::Exit),
        _ => Err(ValueError::ShutdownOn(v.to_owned())),
    });
    let probe = sec.parse_opt(ctx, "ready_check", c, dependencies::probe);
    let interval = sec.parse(ctx, "ready_check_interval", c, Duration::from_secs(1), dependencies::seconds);
    let timeout = sec.parse(ctx, "ready_check_timeout", c, Duration::from_secs(60), dependencies::seconds);
    let ready_check = probe.map(|probe| ReadyCheck { interval, timeout, ..ReadyCheck::new(probe) });
    let childlog_format = super::logformat::format(ctx, sec, "childlog_format", LogFields::Child);
    let process_name_raw = sec.raw("process_name").unwrap_or("%(program_name)s").to_owned();
    if let Err(e) = dt::process_or_group_name(&process_name_raw) {
        ctx.error(sec.key_location("process_name"), e);
    }
    if numprocs > 1 && !process_name_raw.contains("%(process_num)") {
        ctx.error(sec.key_location("process_name"), ErrorKind::ProcessNumRequired);
    }
    if stopasgroup && !killasgroup {
        ctx.error(sec.key_location("killasgroup"), ErrorKind::StopAsGroupWithoutKillAsGroup);
    }
    // 4.3.0 reuses one mapping for every process of the section, so ENV_*
    // names from one process's environment stay visible to the next.
    let mut names = common.clone();
    let mut processes = Vec::new();
    for process_num in numprocs_start..numprocs_start + numprocs {
        names.insert("process_num".into(), ExpandValue::Int(process_num));
        names.insert("numprocs".into(), ExpandValue::Int(numprocs));

        let env_text = match expand_in(ctx, sec, "environment", &environment_raw, &names, "environment") {
            Some(t) => t,
            None => break,
        };
        let environment = match parse_key_value_pairs(&env_text) {
            Ok(env) => env,
            Err(e) => {
                ctx.error(sec.key_location("environment"), e);
                break;
            }
        };
        for (k, v) in &environment {
            names.insert(format!("ENV_{k}"), v.clone().into());
        }
        let n = &[&names];
        let directory = sec.get(ctx, "directory", n).map(Into::into);
        let stdout = channel(ctx, sec, "stdout", n, stdout_capture, stdout_events);
        let mut stderr = channel(ctx, sec, "stderr", n, stderr_capture, stderr_events);
        if redirect_stderr {
            if matches!(stderr.logfile, LogFile::Path(_)) {
                ctx.warn(format!(
                    "For [{}], redirect_stderr=true but stderr_logfile has also been set to a filename, \
                     the filename has been ignored",
                    sec.name()
                ));
            }
            stderr.logfile = LogFile::None;
        }
        let command = sec.get(ctx, "command", n);
        if command.is_none() && sec.raw("command").is_none() {
            ctx.error(sec.location().with_key("command"), ErrorKind::MissingKey("command"));
        }
        let name = expand_in(ctx, sec, "process_name", &process_name_raw, &names, "process_name");
        let (Some(command), Some(name)) = (command, name) else {
            break;
        };
        if ctx.errors.len() > errors_before {
            break;
        }
        processes.push(ProcessConfig {
            name,
            group: group.to_owned(),
            section: sec.name().to_owned(),
            command,
            directory,
            umask,
            priority,
            autostart,
            autorestart,
            startsecs,
            startretries,
            restart_delay,
            backoff_max,
            user: user.clone(),
            uid,
            stdout,
            stderr,
            stopsignal,
            stopwaitsecs,
            stopasgroup,
            killasgroup,
            exitcodes: exitcodes.clone(),
            // Filled in once [supervisord] is merged in (load.rs).
            environment_layers: environment_files.iter().cloned().map(EnvLayer::File).collect(),
            shutdown_on,
            health_check: health_check.clone().map(Box::new),
            depends_on: depends_on.clone(),
            ready_check: ready_check.clone().map(Box::new),
            redirect_stderr,
            childlog_format: childlog_format.clone().map(Box::new),
            environment,
            serverurl: serverurl.clone(),
        });
    }
    processes.sort_by(|a, b| (a.priority, &a.name).cmp(&(b.priority, &b.name)));
    // Not `collect()`: that reuses the Vec<ProcessConfig>'s allocation in
    // place, keeping room for four whole configs behind each one-process
    // section's single Arc (3 KiB per program for the daemon's life).
    let mut shared = Vec::with_capacity(processes.len());
    shared.extend(processes.into_iter().map(Arc::new));
    shared
}

/// Expands a value read without expansion (`environment`, `process_name`);
/// 4.3.0 names these bare in its messages, not `section.key`.
fn expand_in(
    ctx: &mut Ctx<'_>,
    sec: Sec<'_>,
    key: &str,
    raw: &str,
    names: &Expansions,
    option: &str,
) -> Option<String> {
    match expand(raw, &[&ctx.env, names], option) {
        Ok(v) => Some(v),
        Err(e) => {
            let loc: Location = sec.key_location(key);
            ctx.error(loc, e);
            None
        }
    }
}

/// The `stdout_*` or `stderr_*` keys, with 4.3.0's warnings.
fn channel(
    ctx: &mut Ctx<'_>,
    sec: Sec<'_>,
    prefix: &str,
    names: &[&Expansions],
    capture_maxbytes: u64,
    events_enabled: bool,
) -> ChannelConfig {
    let lf_key = format!("{prefix}_logfile");
    let home = ctx.home().map(str::to_owned);
    let (mut logfile, deprecated_syslog) =
        sec.parse(ctx, &lf_key, names, (LogFile::Auto, false), |v| logfile_name(v, home.as_deref()));
    let logfile_backups = sec.parse(ctx, &format!("{prefix}_logfile_backups"), names, 10, count);
    let logfile_maxbytes = sec.parse(ctx, &format!("{prefix}_logfile_maxbytes"), names, 50 << 20, dt::byte_size);
    let sy_key = format!("{prefix}_syslog");
    let mut syslog = sec.parse(ctx, &sy_key, names, false, dt::boolean);
    if deprecated_syslog {
        ctx.warn(format!(
            "For [{}], {lf_key}=syslog but this is deprecated and will be removed.  Use {sy_key}=true to \
             enable syslog instead.",
            sec.name()
        ));
        logfile = LogFile::None;
        syslog = true;
    }
    if logfile == LogFile::Auto && logfile_maxbytes == 0 {
        ctx.warn(format!(
            "For [{}], AUTO logging used for {lf_key} without rollover, set maxbytes > 0 to avoid filling up \
             filesystem unintentionally",
            sec.name()
        ));
    }
    let retention = super::logformat::retention(ctx, sec, &lf_key, names);
    ChannelConfig { logfile, logfile_maxbytes, logfile_backups, retention, capture_maxbytes, events_enabled, syslog }
}

/// `logfile_name()`: `AUTO`, `NONE`/`OFF`, a path whose directory exists, or
/// the deprecated `syslog` (flagged, for the caller to turn into NONE plus
/// `*_syslog=true`).
fn logfile_name(v: &str, home: Option<&str>) -> Result<(LogFile, bool), ValueError> {
    match v.to_lowercase().as_str() {
        "none" | "off" => Ok((LogFile::None, false)),
        "syslog" => Ok((LogFile::None, true)),
        "auto" => Ok((LogFile::Auto, false)),
        _ => dt::existing_dirpath(v, home).map(|p| (LogFile::Path(p), false)),
    }
}
