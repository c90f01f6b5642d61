//! Reading a configuration: the main file, its includes, then every section
//! into the typed model, collecting every error on the way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dependencies;
use super::error::{ConfigError, ConfigErrors, ErrorKind, Location};
use super::expand::Expansions;
use super::ini::{Ini, here_of, read_file};
use super::keys::{self, SectionType, UnknownKey};
use super::model::{Config, EnvLayer, ParseMessages};
use super::options::LoadOptions;
use super::plugins::{CTL_FACTORY_KEY, RPC_FACTORY_KEY};
use super::reader::Ctx;
use super::{groups, include, plugins, servers, supervisord};

/// A load, plus the keys no section of their type reads, which only
/// `supervisord --check` reports ([`Config::check_with`]).
#[derive(Debug)]
pub struct Checked {
    /// What [`Config::load_with`] returns.
    pub config: Result<Config, ConfigErrors>,
    /// Keys that are ignored, as 4.3.0 ignores them, in file order; found
    /// even when the configuration has errors (a misspelt `command` is one).
    pub unknown_keys: Vec<UnknownKey>,
}

impl Config {
    /// Reads a `supervisord.conf` and everything it includes.
    ///
    /// ```no_run
    /// use supervisor_core::config::Config;
    /// let config = Config::load("/etc/supervisord.conf").unwrap();
    /// for group in &config.groups {
    ///     println!("{} ({} processes)", group.name, group.processes.len());
    /// }
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        Config::load_with(path.as_ref(), &LoadOptions::default())
    }

    /// [`Config::load`] with explicit outside inputs.
    pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Config, ConfigErrors> {
        Config::from_str_with(&read_config_file(path)?, path, opts)
    }

    /// [`Config::load_with`], also listing the keys nothing reads, for
    /// `supervisord --check`. A normal run never looks for them.
    pub fn check_with(path: &Path, opts: &LoadOptions) -> Checked {
        match read_config_file(path) {
            Ok(text) => Config::check_str_with(&text, path, opts),
            Err(e) => Checked { config: Err(e), unknown_keys: Vec::new() },
        }
    }

    /// [`Config::from_str_with`], also listing the keys nothing reads.
    pub fn check_str_with(text: &str, path: &Path, opts: &LoadOptions) -> Checked {
        let mut unknown_keys = Vec::new();
        let config = Config::read(text, path, opts, Some(&mut unknown_keys));
        Checked { config, unknown_keys }
    }

    /// Reads configuration text as if it were the file at `path` (which
    /// sets `%(here)s` and where includes are looked for).
    ///
    /// ```
    /// use supervisor_core::config::Config;
    /// let text = "[supervisord]\n[program:web]\ncommand=python -m http.server %(process_num)d\n\
    ///             numprocs=2\nprocess_name=web-%(process_num)s\n";
    /// let config = Config::from_str(text, "/etc/supervisord.conf").unwrap();
    /// let names: Vec<_> = config.groups[0].processes.iter().map(|p| p.name.as_str()).collect();
    /// assert_eq!(names, ["web-0", "web-1"]);
    /// assert_eq!(config.groups[0].processes[1].command, "python -m http.server 1");
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
        Config::from_str_with(text, path.as_ref(), &LoadOptions::default())
    }

    /// [`Config::from_str`] with explicit outside inputs.
    pub fn from_str_with(text: &str, path: &Path, opts: &LoadOptions) -> Result<Config, ConfigErrors> {
        Config::read(text, path, opts, None)
    }

    /// The load; `unknown_keys`, when given, receives the keys nothing reads.
    fn read(
        text: &str,
        path: &Path,
        opts: &LoadOptions,
        unknown_keys: Option<&mut Vec<UnknownKey>>,
    ) -> Result<Config, ConfigErrors> {
        let mut ini = Ini::default();
        let ini_errors = ini.read_str(text, path);
        if !ini_errors.is_empty() {
            if let Some(u) = unknown_keys {
                *u = keys::unknown_keys(&ini);
            }
            return Err(ConfigErrors(
                ini_errors.into_iter().map(|e| ConfigError::new(Location::at(&e.origin), e.error)).collect(),
            ));
        }
        Config::from_ini(ini, path, opts, unknown_keys)
    }

    /// The load of sections already read (from a file, or built in code);
    /// `unknown_keys`, when given, receives the keys nothing reads.
    pub(crate) fn from_ini(
        mut ini: Ini,
        path: &Path,
        opts: &LoadOptions,
        unknown_keys: Option<&mut Vec<UnknownKey>>,
    ) -> Result<Config, ConfigErrors> {
        let here = here_of(path);
        let here_str = here.to_string_lossy().into_owned();
        let mut messages = ParseMessages::default();

        let env: Expansions = opts.environ.iter().map(|(k, v)| (format!("ENV_{k}"), v.clone().into())).collect();
        let mut include_names = Expansions::new();
        include_names.insert("here".into(), here_str.clone().into());
        include_names.insert("host_node_name".into(), opts.host_node_name.clone().into());
        let include_errors = include::read_includes(&mut ini, path, &[&env, &include_names], &mut messages);
        if let Some(u) = unknown_keys {
            *u = keys::unknown_keys(&ini);
        }
        if !include_errors.is_empty() {
            return Err(ConfigErrors(include_errors));
        }

        let mut ctx = Ctx::new(&ini, opts);
        if opts.reject_unknown_sections {
            for section in ini.sections() {
                let name = section.name.as_str();
                if SectionType::of(name).is_none() {
                    ctx.error(Location::at(&section.origin).in_section(name), ErrorKind::UnknownSection);
                }
            }
        }
        let Some(sd_section) = ctx.section("supervisord") else {
            ctx.error(Location::file(path).in_section("supervisord"), ErrorKind::MissingSection("supervisord"));
            return Err(ConfigErrors(ctx.errors));
        };
        let mut here_names = Expansions::new();
        here_names.insert("here".into(), here_str.clone().into());
        let supervisord = supervisord::read(&mut ctx, sd_section, &here_names);
        let known = opts.rpc_factories.clone();
        let rpc_interfaces = plugins::read(&mut ctx, "rpcinterface:", RPC_FACTORY_KEY, Some(&known));
        let mut groups = groups::read(&mut ctx, &here_str);
        dependencies::check(&mut ctx, &groups);
        for group in &mut groups {
            for process in &mut group.processes {
                // Unique here: make_mut copies nothing.
                let process = Arc::make_mut(process);
                // With an environment_file anywhere, the layers the spawn
                // reads, lowest first (the program's files were noted).
                let program_files = std::mem::take(&mut process.environment_layers);
                if !program_files.is_empty() || !supervisord.environment_files.is_empty() {
                    let mut layers: Vec<EnvLayer> =
                        supervisord.environment_files.iter().cloned().map(EnvLayer::File).collect();
                    layers.push(EnvLayer::Values(supervisord.environment.clone()));
                    layers.extend(program_files);
                    layers.push(EnvLayer::Values(process.environment.clone()));
                    process.environment_layers = layers;
                }
                if process.childlog_format.is_none() {
                    process.childlog_format = supervisord.childlog_format.clone().map(Box::new);
                }
                let mut env = supervisord.environment.clone();
                env.append(&mut process.environment);
                process.environment = env;
            }
        }
        let http_servers = servers::read(&mut ctx, &here_names);
        messages.warnings.append(&mut ctx.warnings);
        if !ctx.errors.is_empty() {
            return Err(ConfigErrors(ctx.errors));
        }
        Ok(Config {
            file: Some(super::datatypes::abspath(path)),
            supervisord,
            http_servers,
            rpc_interfaces,
            groups,
            messages,
        })
    }
}

/// A config file's text, or why there is none.
fn read_config_file(path: &Path) -> Result<String, ConfigErrors> {
    if !path.exists() {
        return Err(ConfigError::new(Location::default(), ErrorKind::NotFound(path.to_path_buf())).into());
    }
    read_file(path).map_err(|e| {
        ConfigError::new(Location::default(), ErrorKind::Unreadable { path: path.to_path_buf(), source: e.into() })
            .into()
    })
}

/// `[supervisorctl]`, as supervisorctl reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlConfig {
    /// `serverurl` (http://localhost:9001); a `unix://` path is made absolute.
    pub serverurl: String,
    /// `username`.
    pub username: Option<String>,
    /// `password`.
    pub password: Option<String>,
    /// `prompt` (supervisor).
    pub prompt: String,
    /// `history_file`, absolute.
    pub history_file: Option<PathBuf>,
    /// `[ctlplugin:x]` sections.
    pub plugins: Vec<super::model::PluginConfig>,
    /// `tls_ca` (ours): for an https `serverurl`, the CA certificates
    /// (PEM) to check the server against instead of the system's roots.
    pub tls_ca: Option<PathBuf>,
}

impl CtlConfig {
    /// Reads the `[supervisorctl]` section of a file, as 4.3.0's
    /// `ClientOptions` does (includes are not followed).
    pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<CtlConfig, ConfigErrors> {
        let text = read_config_file(path)?;
        let mut ini = Ini::default();
        let errors = ini.read_str(&text, path);
        if !errors.is_empty() {
            return Err(ConfigErrors(
                errors.into_iter().map(|e| ConfigError::new(Location::at(&e.origin), e.error)).collect(),
            ));
        }
        let here = here_of(path).to_string_lossy().into_owned();
        let mut here_names = Expansions::new();
        here_names.insert("here".into(), here.into());
        let mut ctx = Ctx::new(&ini, opts);
        let Some(sec) = ctx.section("supervisorctl") else {
            ctx.error(Location::file(path).in_section("supervisorctl"), ErrorKind::MissingSection("supervisorctl"));
            return Err(ConfigErrors(ctx.errors));
        };
        let home = ctx.home().map(str::to_owned);
        let mut serverurl =
            sec.get(&mut ctx, "serverurl", &[&here_names]).unwrap_or_else(|| "http://localhost:9001".to_owned());
        if let Some(p) = serverurl.strip_prefix("unix://") {
            serverurl = format!("unix://{}", super::datatypes::normalize_path(p, home.as_deref()).display());
        }
        let prompt = sec.get(&mut ctx, "prompt", &[]).unwrap_or_else(|| "supervisor".to_owned());
        let username = sec.get(&mut ctx, "username", &[]);
        let password = sec.get(&mut ctx, "password", &[]);
        let history_file = sec
            .get(&mut ctx, "history_file", &[&here_names])
            .filter(|h| !h.is_empty())
            .map(|h| super::datatypes::normalize_path(&h, home.as_deref()));
        let tls_ca = sec
            .get(&mut ctx, "tls_ca", &[&here_names])
            .filter(|h| !h.is_empty())
            .map(|h| super::datatypes::normalize_path(&h, home.as_deref()));
        let plugins = plugins::read(&mut ctx, "ctlplugin:", CTL_FACTORY_KEY, None);
        if !ctx.errors.is_empty() {
            return Err(ConfigErrors(ctx.errors));
        }
        Ok(CtlConfig { serverurl, username, password, prompt, history_file, plugins, tls_ca })
    }
}
