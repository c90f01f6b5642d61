//! A whole configuration in code, with no INI text: every key goes through
//! the same reading and checks as a file's, so defaults, `numprocs`,
//! `%(name)s` expansion and the errors are 4.3.0's. Errors name the
//! section and key (there is no file or line).
//!
//! ```
//! use supervisor_core::config::{AutoRestart, Config, ProgramSpec};
//!
//! let config = Config::builder()
//!     .program(
//!         ProgramSpec::new("web", "python3 -m http.server %(process_num)d")
//!             .numprocs(2)
//!             .process_name("web_%(process_num)02d")
//!             .autorestart(AutoRestart::Always)
//!             .env("PYTHONUNBUFFERED", "1"),
//!     )
//!     .program(ProgramSpec::new("worker", "sleep 600").priority(10))
//!     .build()?;
//! let web = &config.groups[1];
//! assert_eq!(web.processes[1].name, "web_01");
//! assert_eq!(web.processes[1].command, "python3 -m http.server 1");
//! assert_eq!(web.processes[0].startsecs, 1, "4.3.0's default");
//!
//! let bad = Config::builder().program(ProgramSpec::new("x", "cat").set("startsecs", "soon")).build();
//! assert_eq!(bad.unwrap_err().to_string(), "[program:x] startsecs: invalid literal for int() with base 10: 'soon'");
//! # Ok::<(), supervisor_core::config::ConfigErrors>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{ConfigError, ConfigErrors, ErrorKind, Location};
use super::ini::{Ini, Origin};
use super::keys;
use super::logformat::{Compression, LineFormat, Retention};
use super::model::{AutoRestart, Config, Dependency, LogFile, ReadyCheck};
use super::options::LoadOptions;
use crate::signals::Signal;

/// The stand-in path of a configuration built in code: the directory is
/// the working directory (`%(here)s`), the file is never read.
const BUILT: &str = "(built in code)";

/// Builds a [`Config`] in code; made by [`Config::builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ConfigBuilder {
    /// Section, key, value, in the order given.
    entries: Vec<(String, String, String)>,
    /// Each program's `environment`, taken literally.
    environments: Vec<(String, BTreeMap<String, String>)>,
    options: Option<LoadOptions>,
}

/// One `[program:x]`: its keys, each checked as a file's would be.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProgramSpec {
    name: String,
    keys: Vec<(String, String)>,
    environment: BTreeMap<String, String>,
}

fn yes_no(b: bool) -> String {
    (if b { "true" } else { "false" }).to_owned()
}

fn log_file(f: &LogFile) -> String {
    match f {
        LogFile::Auto | LogFile::AutoFile(_) => "AUTO".to_owned(),
        LogFile::None => "NONE".to_owned(),
        LogFile::Path(p) => p.display().to_string(),
    }
}

impl ProgramSpec {
    /// A program `name` running `command`, every other key at 4.3.0's
    /// default. Values are read as a file's are: `%(process_num)d` and the
    /// like expand, and a literal `%` is written `%%`.
    pub fn new(name: impl Into<String>, command: impl Into<String>) -> ProgramSpec {
        ProgramSpec { name: name.into(), keys: Vec::new(), environment: BTreeMap::new() }.set("command", command)
    }

    /// Any key, as it would be written in the file (`startsecs`, `"5"`).
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> ProgramSpec {
        self.keys.push((key.into(), value.into()));
        self
    }

    /// `process_name` (`%(program_name)s`).
    pub fn process_name(self, name: impl Into<String>) -> ProgramSpec {
        self.set("process_name", name)
    }

    /// `numprocs` (1).
    pub fn numprocs(self, n: u32) -> ProgramSpec {
        self.set("numprocs", n.to_string())
    }

    /// `priority` (999): lower starts first and stops last.
    pub fn priority(self, priority: i64) -> ProgramSpec {
        self.set("priority", priority.to_string())
    }

    /// `autostart` (true).
    pub fn autostart(self, on: bool) -> ProgramSpec {
        self.set("autostart", yes_no(on))
    }

    /// `autorestart` (unexpected).
    pub fn autorestart(self, when: AutoRestart) -> ProgramSpec {
        let value = match when {
            AutoRestart::Never => "false",
            AutoRestart::Unexpected => "unexpected",
            AutoRestart::Always => "true",
        };
        self.set("autorestart", value)
    }

    /// `startsecs` (1).
    pub fn startsecs(self, secs: u64) -> ProgramSpec {
        self.set("startsecs", secs.to_string())
    }

    /// `startretries` (3).
    pub fn startretries(self, n: u32) -> ProgramSpec {
        self.set("startretries", n.to_string())
    }

    /// `startretries = unlimited`: never give up.
    pub fn unlimited_retries(self) -> ProgramSpec {
        self.set("startretries", "unlimited")
    }

    /// `restart_delay`: wait before an autorestart.
    pub fn restart_delay(self, wait: std::time::Duration) -> ProgramSpec {
        self.set("restart_delay", wait.as_secs_f64().to_string())
    }

    /// `backoff_max`: the longest wait between failed starts.
    pub fn backoff_max(self, most: std::time::Duration) -> ProgramSpec {
        self.set("backoff_max", most.as_secs_f64().to_string())
    }

    /// `health_check` and its interval, timeout and retries.
    pub fn health_check(self, check: crate::config::HealthCheck) -> ProgramSpec {
        let probe = check.probe.to_string().replace('%', "%%");
        self.set("health_check", probe)
            .set("health_check_interval", check.interval.as_secs_f64().to_string())
            .set("health_check_timeout", check.timeout.as_secs_f64().to_string())
            .set("health_check_retries", check.retries.to_string())
    }

    /// `environment_file`: a dotenv file read at each start (call again
    /// for more; later files win).
    pub fn environment_file(mut self, path: impl AsRef<Path>) -> ProgramSpec {
        let path = path.as_ref().display().to_string().replace('%', "%%");
        match self.keys.iter_mut().find(|(k, _)| k == "environment_file") {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&path);
            }
            None => self.keys.push(("environment_file".to_owned(), path)),
        }
        self
    }

    /// `shutdown_on`: what of this program ends the supervisor.
    pub fn shutdown_on(self, when: crate::config::ShutdownOn) -> ProgramSpec {
        self.set("shutdown_on", when.name())
    }

    /// `exitcodes` (0).
    pub fn exitcodes(self, codes: impl IntoIterator<Item = u8>) -> ProgramSpec {
        let list: Vec<String> = codes.into_iter().map(|c| c.to_string()).collect();
        self.set("exitcodes", list.join(","))
    }

    /// `stopsignal` (TERM).
    pub fn stopsignal(self, signal: Signal) -> ProgramSpec {
        self.set("stopsignal", signal.name())
    }

    /// `stopwaitsecs` (10).
    pub fn stopwaitsecs(self, secs: u64) -> ProgramSpec {
        self.set("stopwaitsecs", secs.to_string())
    }

    /// `stopasgroup` and `killasgroup` (false).
    pub fn stopasgroup(self, on: bool) -> ProgramSpec {
        self.set("stopasgroup", yes_no(on)).set("killasgroup", yes_no(on))
    }

    /// `user`: whom to run as (supervisord must be root).
    pub fn user(self, user: impl Into<String>) -> ProgramSpec {
        self.set("user", user)
    }

    /// `directory`: where to run.
    pub fn directory(self, dir: impl AsRef<Path>) -> ProgramSpec {
        let dir = dir.as_ref().display().to_string();
        self.set("directory", dir)
    }

    /// `umask`.
    pub fn umask(self, umask: u32) -> ProgramSpec {
        self.set("umask", format!("{umask:03o}"))
    }

    /// One variable of `environment`, taken literally (no `%` expansion).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> ProgramSpec {
        self.environment.insert(key.into(), value.into());
        self
    }

    /// `redirect_stderr` (false).
    pub fn redirect_stderr(self, on: bool) -> ProgramSpec {
        self.set("redirect_stderr", yes_no(on))
    }

    /// `stdout_logfile` (AUTO).
    pub fn stdout_logfile(self, file: LogFile) -> ProgramSpec {
        self.set("stdout_logfile", log_file(&file))
    }

    /// `stdout_logfile = NONE`: output only to streams and events.
    pub fn stdout_logfile_none(self) -> ProgramSpec {
        self.stdout_logfile(LogFile::None)
    }

    /// `stderr_logfile` (AUTO).
    pub fn stderr_logfile(self, file: LogFile) -> ProgramSpec {
        self.set("stderr_logfile", log_file(&file))
    }

    /// `stdout_logfile_maxbytes` (50MB; 0 never rotates).
    pub fn stdout_logfile_maxbytes(self, bytes: u64) -> ProgramSpec {
        self.set("stdout_logfile_maxbytes", bytes.to_string())
    }

    /// `stdout_logfile_backups` (10).
    pub fn stdout_logfile_backups(self, n: u32) -> ProgramSpec {
        self.set("stdout_logfile_backups", n.to_string())
    }

    /// `stdout_events_enabled` (false).
    pub fn stdout_events_enabled(self, on: bool) -> ProgramSpec {
        self.set("stdout_events_enabled", yes_no(on))
    }

    /// `depends_on`: what must hold of other programs before this one
    /// starts.
    pub fn depends_on(self, dependencies: impl IntoIterator<Item = Dependency>) -> ProgramSpec {
        let list: Vec<String> =
            dependencies.into_iter().map(|d| format!("{}={}", d.target, d.condition.name())).collect();
        self.set("depends_on", list.join(","))
    }

    /// `ready_check`, `ready_check_interval` and `ready_check_timeout`.
    pub fn ready_check(self, check: ReadyCheck) -> ProgramSpec {
        // Values are %-expanded as a file's: a literal % is doubled.
        let probe = check.probe.to_string().replace('%', "%%");
        self.set("ready_check", probe)
            .set("ready_check_interval", check.interval.as_secs_f64().to_string())
            .set("ready_check_timeout", check.timeout.as_secs_f64().to_string())
    }

    /// `stderr_events_enabled` (false).
    pub fn stderr_events_enabled(self, on: bool) -> ProgramSpec {
        self.set("stderr_events_enabled", yes_no(on))
    }

    /// `childlog_format`: how each line of output is logged (unset: byte
    /// for byte). Library streams always carry the raw output.
    pub fn childlog_format(self, format: LineFormat) -> ProgramSpec {
        self.set("childlog_format", format.spelling())
    }

    /// `stdout_logfile_rotate`, `_compress` and `_maxage`.
    pub fn stdout_logfile_retention(self, retention: Retention) -> ProgramSpec {
        retention_keys("stdout_logfile", retention).into_iter().fold(self, |s, (k, v)| s.set(&k, v))
    }

    /// `stderr_logfile_rotate`, `_compress` and `_maxage`.
    pub fn stderr_logfile_retention(self, retention: Retention) -> ProgramSpec {
        retention_keys("stderr_logfile", retention).into_iter().fold(self, |s, (k, v)| s.set(&k, v))
    }
}

/// The three retention keys of `log` as a file spells them.
fn retention_keys(log: &str, r: Retention) -> Vec<(String, String)> {
    let mut keys = vec![
        (format!("{log}_rotate"), r.rotate.spelling().to_owned()),
        (format!("{log}_compress"), r.compress.map_or("none", Compression::spelling).to_owned()),
    ];
    if let Some(age) = r.maxage {
        keys.push((format!("{log}_maxage"), super::logformat::max_age_spelling(age)));
    }
    keys
}

impl ConfigBuilder {
    /// Adds `[program:x]`.
    pub fn program(mut self, program: ProgramSpec) -> ConfigBuilder {
        let section = format!("program:{}", program.name);
        for (key, value) in program.keys {
            self.entries.push((section.clone(), key, value));
        }
        if !program.environment.is_empty() {
            self.environments.push((section, program.environment));
        }
        self
    }

    /// Adds `[group:name]` of `programs` (each defined with
    /// [`ConfigBuilder::program`]).
    pub fn group<S: Into<String>>(self, name: &str, programs: impl IntoIterator<Item = S>) -> ConfigBuilder {
        let list: Vec<String> = programs.into_iter().map(Into::into).collect();
        self.set(&format!("group:{name}"), "programs", list.join(","))
    }

    /// Any key of any section, as the file would have it (`"group:web"`,
    /// `"priority"`, `"5"`; `"supervisord"`, `"childlogdir"`, `"/tmp"`).
    pub fn set(mut self, section: &str, key: &str, value: impl Into<String>) -> ConfigBuilder {
        self.entries.push((section.to_owned(), key.to_owned(), value.into()));
        self
    }

    /// `[supervisord] childlogdir`: where AUTO logs go.
    pub fn childlogdir(self, dir: impl AsRef<Path>) -> ConfigBuilder {
        let dir = dir.as_ref().display().to_string();
        self.set("supervisord", "childlogdir", dir)
    }

    /// `[supervisord] environment_file`: dotenv files under every program's
    /// environment, read at each start.
    pub fn environment_file(self, path: impl AsRef<Path>) -> ConfigBuilder {
        let path = path.as_ref().display().to_string().replace('%', "%%");
        let files = match self.entries.iter().rev().find(|(s, k, _)| s == "supervisord" && k == "environment_file") {
            Some((_, _, v)) => format!("{v},{path}"),
            None => path,
        };
        self.set("supervisord", "environment_file", files)
    }

    /// `[supervisord] logfile_format`: supervisord's own log lines.
    pub fn logfile_format(self, format: LineFormat) -> ConfigBuilder {
        self.set("supervisord", "logfile_format", format.spelling())
    }

    /// `[supervisord] childlog_format`: every program's, unless it sets its own.
    pub fn childlog_format(self, format: LineFormat) -> ConfigBuilder {
        self.set("supervisord", "childlog_format", format.spelling())
    }

    /// `[supervisord] logfile_rotate`, `_compress` and `_maxage`.
    pub fn logfile_retention(self, retention: Retention) -> ConfigBuilder {
        retention_keys("logfile", retention).into_iter().fold(self, |s, (k, v)| s.set("supervisord", &k, v))
    }

    /// `[supervisord] identifier`.
    pub fn identifier(self, identifier: impl Into<String>) -> ConfigBuilder {
        self.set("supervisord", "identifier", identifier)
    }

    /// Reads with explicit outside inputs (`%(ENV_x)s`, the host name).
    pub fn load_options(mut self, options: LoadOptions) -> ConfigBuilder {
        self.options = Some(options);
        self
    }

    /// The configuration, checked as a file's is; a key no section type
    /// has is an error here (a file's is only warned of).
    pub fn build(self) -> Result<Config, ConfigErrors> {
        let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let path = here.join(BUILT);
        let origin = Origin { file: Arc::from(path.as_path()), line: 0 };
        let mut ini = Ini::default();
        ini.set_value("supervisord", "identifier", "supervisor".to_owned(), origin.clone());
        ini.set_value("supervisord", "childlogdir", std::env::temp_dir().display().to_string(), origin.clone());
        for (section, key, value) in self.entries {
            ini.set_value(&section, &key, value, origin.clone());
        }
        let unknown = keys::unknown_keys(&ini);
        let options = self.options.unwrap_or_default();
        let mut config = Config::from_ini(ini, &path, &options, None).map_err(without_file)?;
        if !unknown.is_empty() {
            return Err(without_file(ConfigErrors(
                unknown
                    .into_iter()
                    .map(|u| ConfigError::new(u.location, ErrorKind::UnknownKey(u.suggestion)))
                    .collect(),
            )));
        }
        for (section, env) in self.environments {
            for group in &mut config.groups {
                for p in group.processes.iter_mut().filter(|p| p.section == section) {
                    let p = Arc::make_mut(p);
                    p.environment.extend(env.clone());
                    // With environment files, the program's own values are
                    // the last layer.
                    if let Some(crate::config::EnvLayer::Values(own)) = p.environment_layers.last_mut() {
                        own.extend(env.clone());
                    }
                }
            }
        }
        config.file = None;
        Ok(config)
    }
}

/// Errors of a built configuration name no file or line.
fn without_file(mut errors: ConfigErrors) -> ConfigErrors {
    for e in &mut errors.0 {
        if e.location.file.as_deref().is_some_and(|f| f.ends_with(BUILT)) {
            e.location = Location { file: None, line: None, ..e.location.clone() };
        }
    }
    errors
}

impl Config {
    /// A configuration built in code; see [`ConfigBuilder`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_program_equals_the_file_s() {
        let from_file = Config::from_str(
            "[supervisord]\n[program:cat]\ncommand=/bin/cat\nstartsecs=0\nautorestart=true\n",
            "/tmp/x.conf",
        )
        .expect("file");
        let built = Config::builder()
            .program(ProgramSpec::new("cat", "/bin/cat").startsecs(0).autorestart(AutoRestart::Always))
            .build()
            .expect("built");
        assert_eq!(built.groups, from_file.groups);
        assert_eq!(built.supervisord.identifier, "supervisor");
        assert_eq!(built.file, None);
    }

    #[test]
    fn errors_name_section_and_key_and_unknown_keys_are_refused() {
        let err = Config::builder().program(ProgramSpec::new("x", "cat").numprocs(2)).build().unwrap_err();
        assert_eq!(
            err.to_string(),
            "[program:x] process_name: %(process_num) must be present within process_name when numprocs > 1"
        );
        let err = Config::builder().program(ProgramSpec::new("x", "cat").set("startsec", "1")).build().unwrap_err();
        assert_eq!(err.to_string(), "[program:x] startsec: unknown key (did you mean 'startsecs'?)");
        let err = Config::builder().group("g", ["nope"]).build().unwrap_err();
        assert!(err.to_string().contains("names unknown program"), "{err}");
    }

    #[test]
    fn server_additions_are_set_and_checked_as_in_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
        std::fs::write(&cert, made.cert.pem()).expect("write");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("write");
        let config = Config::builder()
            .set("inet_http_server", "port", "127.0.0.1:9001")
            .set("inet_http_server", "metrics", "true")
            .set("inet_http_server", "event_stream", "true")
            .set("inet_http_server", "tls_cert", cert.display().to_string())
            .set("inet_http_server", "tls_key", key.display().to_string())
            .build()
            .expect("built");
        let server = &config.http_servers[0];
        assert!(server.metrics && server.event_stream);
        assert_eq!(server.tls, Some(crate::config::TlsFiles::new(&cert, &key)));
        let err = Config::builder()
            .set("inet_http_server", "port", "127.0.0.1:9001")
            .set("inet_http_server", "tls_cert", key.display().to_string())
            .set("inet_http_server", "tls_key", key.display().to_string())
            .build()
            .unwrap_err();
        assert!(err.to_string().starts_with("[inet_http_server] tls_cert: "), "{err}");
        assert!(err.to_string().ends_with("no certificate (BEGIN CERTIFICATE) in it"), "{err}");
    }

    #[test]
    fn dependencies_and_ready_checks_round_trip() {
        use crate::config::{Condition, Probe};
        let mut check = ReadyCheck::new(Probe::Log("100% ready".into()));
        check.interval = std::time::Duration::from_millis(250);
        let config = Config::builder()
            .program(ProgramSpec::new("db", "true").ready_check(check.clone()))
            .program(ProgramSpec::new("migrate", "true").startsecs(0).autorestart(AutoRestart::Never))
            .program(ProgramSpec::new("web", "true").depends_on([
                Dependency::new("db", Condition::Running),
                Dependency::new("migrate", Condition::Succeeded),
            ]))
            .build()
            .expect("built");
        let find = |n: &str| config.groups.iter().find(|g| g.name == n).map(|g| g.processes[0].clone()).expect("found");
        assert_eq!(find("db").ready_check, Some(Box::new(check)));
        assert_eq!(find("web").depends_on[1], Dependency::new("migrate", Condition::Succeeded));
    }

    #[test]
    fn health_checks_env_files_and_container_mode_round_trip() {
        use crate::config::{HealthCheck, Probe, ShutdownOn};
        let mut check = HealthCheck::new(Probe::Tcp { host: "127.0.0.1".into(), port: 80 });
        check.retries = 5;
        let config = Config::builder()
            .program(
                ProgramSpec::new("web", "true")
                    .health_check(check.clone())
                    .environment_file("/etc/a.env")
                    .environment_file("/etc/b.env")
                    .shutdown_on(ShutdownOn::Fatal)
                    .unlimited_retries(),
            )
            .build()
            .expect("built");
        let p = &config.groups[0].processes[0];
        assert_eq!(p.health_check, Some(Box::new(check)));
        assert_eq!(p.shutdown_on, Some(ShutdownOn::Fatal));
        assert_eq!(p.startretries, crate::config::StartRetries::Unlimited);
        assert_eq!(p.environment_layers.len(), 4, "two files and two value layers: {:?}", p.environment_layers);
    }

    #[test]
    fn supervisord_environment_files_come_first() {
        let config = Config::builder()
            .environment_file("/etc/all.env")
            .environment_file("/etc/all.local.env")
            .program(ProgramSpec::new("web", "true").environment_file("/etc/web.env"))
            .build()
            .expect("built");
        let files: Vec<_> = config.supervisord.environment_files.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(files, ["/etc/all.env", "/etc/all.local.env"]);
        let layers = &config.groups[0].processes[0].environment_layers;
        assert_eq!(layers.first(), Some(&crate::config::EnvLayer::File("/etc/all.env".into())));
        assert_eq!(layers.len(), 5, "two files, their values, the program's file, its values");
    }

    #[test]
    fn environment_values_are_literal_and_groups_take_their_programs() {
        let config = Config::builder()
            .program(ProgramSpec::new("a", "true").env("QUOTES", "it's \"x\", 100%"))
            .program(ProgramSpec::new("b", "true"))
            .group("pair", ["a", "b"])
            .set("group:pair", "priority", "5")
            .build()
            .expect("built");
        assert_eq!(config.groups.len(), 1);
        assert_eq!(config.groups[0].priority, 5);
        assert_eq!(config.groups[0].processes[0].environment["QUOTES"], "it's \"x\", 100%");
    }
}
