//! supervisorctl's command line and `[supervisorctl]` section, as 4.3.0's
//! `ClientOptions` reads them.

use std::path::{Path, PathBuf};

use supervisor_core::config::{CtlConfig, LoadOptions, find_config_file, repr, values as datatypes};

use supervisor_rpc::client::{Client, ClientError};

use crate::getopt::getopt;

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlOptions {
    /// `-s` or `serverurl`.
    pub serverurl: String,
    /// `-u` or `username`.
    pub username: Option<String>,
    /// `-p` or `password`.
    pub password: Option<String>,
    /// `prompt` (`supervisor`).
    pub prompt: String,
    /// `-r` or `history_file`.
    pub history_file: Option<PathBuf>,
    /// `tls_ca` (ours): the CA file an https server is checked against.
    pub tls_ca: Option<PathBuf>,
    /// `-i`, or no command given.
    pub interactive: bool,
    /// The command and its arguments.
    pub args: Vec<String>,
}

impl CtlOptions {
    /// A client for the server and credentials these name (an https
    /// server checked against `tls_ca` when given).
    pub fn client(&self) -> Result<Client, ClientError> {
        let client = Client::new(&self.serverurl, self.username.as_deref(), self.password.as_deref())?;
        match &self.tls_ca {
            Some(ca) if self.serverurl.starts_with("https://") => client.with_tls_ca(ca),
            _ => Ok(client),
        }
    }
}

/// What to do instead of running commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Early {
    /// `-h`.
    Help,
    /// A usage error (exit 2).
    Usage(String),
}

/// supervisorctl's options as the parser takes them: the letter, the long
/// name and whether a value follows (`-?` is `-h` too). The completion
/// scripts are made from this table.
pub const OPTIONS: &[(char, &str, bool)] = &[
    ('h', "help", false),
    ('c', "configuration", true),
    ('i', "interactive", false),
    ('s', "serverurl", true),
    ('u', "username", true),
    ('p', "password", true),
    ('r', "history_file", true),
];

/// Parses the command line and reads the config it names (or finds).
pub fn parse(exe: &Path, args: &[String]) -> Result<CtlOptions, Early> {
    let mut short = String::from("?");
    let mut long = Vec::new();
    for &(letter, name, value) in OPTIONS {
        short.push(letter);
        if value {
            short.push(':');
        }
        long.push(if value { format!("{name}=") } else { name.to_owned() });
    }
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let (opts, rest) = getopt(args, &short, &long).map_err(|e| Early::Usage(e.to_string()))?;
    let mut configuration = None;
    let mut o = CtlOptions {
        serverurl: String::new(),
        username: None,
        password: None,
        prompt: "supervisor".into(),
        history_file: None,
        tls_ca: None,
        interactive: false,
        args: rest,
    };
    let (mut url, mut user, mut pass, mut hist) = (None, None, None, None);
    for (opt, value) in opts {
        match opt.as_str() {
            "-h" | "-?" | "--help" => return Err(Early::Help),
            "-c" | "--configuration" => configuration = Some(PathBuf::from(value)),
            "-i" | "--interactive" => o.interactive = true,
            "-s" | "--serverurl" => {
                let v = datatypes::url(&value)
                    .map_err(|e| Early::Usage(format!("invalid value for {opt} {}: {e}", repr(&value))))?;
                url = Some(v);
            }
            "-u" | "--username" => user = Some(value),
            "-p" | "--password" => pass = Some(value),
            "-r" | "--history_file" => hist = Some(PathBuf::from(value)),
            _ => {}
        }
    }
    let path = configuration.or_else(|| find_config_file(exe));
    let file = match path {
        Some(p) => Some(
            CtlConfig::load_with(&p, &LoadOptions::default())
                .map_err(|e| Early::Usage(e.errors().first().map_or_else(|| e.to_string(), |x| x.kind.to_string())))?,
        ),
        None => None,
    };
    o.serverurl =
        url.or_else(|| file.as_ref().map(|f| f.serverurl.clone())).unwrap_or_else(|| "http://localhost:9001".into());
    o.username = user.or_else(|| file.as_ref().and_then(|f| f.username.clone()));
    o.password = pass.or_else(|| file.as_ref().and_then(|f| f.password.clone()));
    o.history_file = hist.or_else(|| file.as_ref().and_then(|f| f.history_file.clone()));
    if let Some(f) = &file {
        o.prompt = f.prompt.clone();
        o.tls_ca = f.tls_ca.clone();
    }
    if o.args.is_empty() {
        o.interactive = true;
    }
    Ok(o)
}
