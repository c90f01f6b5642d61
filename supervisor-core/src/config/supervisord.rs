//! `[supervisord]`: the daemon's own settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::datatypes::{self as dt, ValueError, count};
use super::envlist::parse_key_value_pairs;
use super::expand::Expansions;
use super::logformat::LogFields;
use super::model::{LogLevel, SupervisordConfig};
use super::reader::{Ctx, Sec};

/// Reads `[supervisord]` and adds its `environment` to the `ENV_*` names
/// every later section sees.
pub(crate) fn read(ctx: &mut Ctx<'_>, sec: Sec<'_>, names: &Expansions) -> SupervisordConfig {
    let n = &[names];
    let home = ctx.home().map(str::to_owned);
    let home = home.as_deref();
    let minfds = sec.parse(ctx, "minfds", n, 1024, |v| dt::integer_at_least(v, 0)) as u64;
    let minprocs = sec.parse(ctx, "minprocs", n, 200, |v| dt::integer_at_least(v, 0)) as u64;
    let directory = sec.parse_opt(ctx, "directory", n, |v| dt::existing_directory(v, home));
    let user = sec.parse_opt(ctx, "user", n, |v| dt::name_to_uid(v).map(|_| v.to_owned()));
    let umask = sec.parse(ctx, "umask", n, 0o22, dt::octal);
    let logfile = sec.parse(ctx, "logfile", n, PathBuf::from("supervisord.log"), |v| dt::existing_dirpath(v, home));
    let logfile_maxbytes = sec.parse(ctx, "logfile_maxbytes", n, 50 << 20, dt::byte_size);
    let logfile_backups = sec.parse(ctx, "logfile_backups", n, 10, count);
    let logfile_retention = super::logformat::retention(ctx, sec, "logfile", n);
    let logfile_format = super::logformat::format(ctx, sec, "logfile_format", LogFields::Main);
    let childlog_format = super::logformat::format(ctx, sec, "childlog_format", LogFields::Child);
    let loglevel = sec.parse(ctx, "loglevel", n, LogLevel::Info, |v| {
        LogLevel::from_description(v).ok_or_else(|| ValueError::LogLevel(v.to_owned()))
    });
    let pidfile = sec.parse(ctx, "pidfile", n, PathBuf::from("supervisord.pid"), |v| dt::existing_dirpath(v, home));
    let identifier = sec.get(ctx, "identifier", n).unwrap_or_else(|| "supervisor".to_owned());
    let nodaemon = sec.parse(ctx, "nodaemon", n, false, dt::boolean);
    let silent = sec.parse(ctx, "silent", n, false, dt::boolean);
    let temp_dir = ctx.opts.temp_dir.clone();
    let childlogdir = sec.parse(ctx, "childlogdir", n, temp_dir, |v| dt::existing_directory(v, home));
    let nocleanup = sec.parse(ctx, "nocleanup", n, false, dt::boolean);
    let strip_ansi = sec.parse(ctx, "strip_ansi", n, false, dt::boolean);

    // 4.3.0 expands this value twice (so `%%` fails there) and without
    // host_node_name on the first pass; we expand once, with it.
    let mut with_host = names.clone();
    with_host.insert("host_node_name".into(), ctx.opts.host_node_name.clone().into());
    let environment: BTreeMap<String, String> =
        sec.parse(ctx, "environment", &[&with_host], BTreeMap::new(), parse_key_value_pairs);
    for (k, v) in &environment {
        ctx.env.insert(format!("ENV_{k}"), v.clone().into());
    }
    let environment_files = super::envfile::files(ctx, sec, "environment_file", &[&with_host]);

    SupervisordConfig {
        logfile,
        logfile_maxbytes,
        logfile_backups,
        logfile_retention,
        logfile_format,
        childlog_format,
        loglevel,
        pidfile,
        umask,
        nodaemon,
        silent,
        minfds,
        minprocs,
        nocleanup,
        childlogdir,
        user,
        directory,
        strip_ansi,
        environment,
        environment_files,
        identifier,
    }
}
