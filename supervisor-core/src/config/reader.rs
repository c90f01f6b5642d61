//! Fetching one value from a section: `[DEFAULT]` fallback, `%` expansion,
//! conversion to its type, and an error that says where, collected so that
//! one pass reports every problem.

use super::datatypes::ValueError;
use super::error::{ConfigError, ErrorKind, Location};
use super::expand::{Expansions, expand};
use super::ini::{Ini, IniSection};
use super::options::LoadOptions;

/// State shared by every section reader during one load.
pub(crate) struct Ctx<'a> {
    pub ini: &'a Ini,
    pub opts: &'a LoadOptions,
    /// `ENV_*` names: the environment, then `[supervisord] environment`.
    pub env: Expansions,
    pub errors: Vec<ConfigError>,
    /// 4.3.0's `parse_warnings`.
    pub warnings: Vec<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(ini: &'a Ini, opts: &'a LoadOptions) -> Self {
        let env = opts.environ.iter().map(|(k, v)| (format!("ENV_{k}"), v.clone().into())).collect();
        Ctx { ini, opts, env, errors: Vec::new(), warnings: Vec::new() }
    }

    pub fn home(&self) -> Option<&str> {
        self.opts.environ.get("HOME").map(String::as_str)
    }

    pub fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// Records an error; one per place, since a key read twice (a group's
    /// and its process's `priority`) would otherwise report twice.
    pub fn error(&mut self, location: Location, kind: impl Into<ErrorKind>) {
        if location.key.is_some() && self.errors.iter().any(|e| e.location == location) {
            return;
        }
        self.errors.push(ConfigError::new(location, kind));
    }

    /// A reader for one section.
    pub fn section(&self, name: &str) -> Option<Sec<'a>> {
        self.ini.section(name).map(|section| Sec { ini: self.ini, section })
    }
}

/// One section of the parser.
#[derive(Clone, Copy)]
pub(crate) struct Sec<'a> {
    ini: &'a Ini,
    pub section: &'a IniSection,
}

impl<'a> Sec<'a> {
    pub fn name(&self) -> &'a str {
        &self.section.name
    }

    /// The section header's place.
    pub fn location(&self) -> Location {
        Location::at(&self.section.origin).in_section(&self.section.name)
    }

    /// A key's place, or the header's when the key is absent.
    pub fn key_location(&self, key: &str) -> Location {
        match self.ini.get(&self.section.name, key) {
            Some(e) => Location::at(&e.origin).in_section(&self.section.name).with_key(key),
            None => self.location().with_key(key),
        }
    }

    /// The raw value, `[DEFAULT]` included.
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        super::keys::reading(&self.section.name, key);
        self.ini.get(&self.section.name, key).map(|e| e.value.as_str())
    }

    /// The keys, own then `[DEFAULT]`'s.
    pub fn keys(&self) -> Vec<&'a str> {
        self.ini.keys(&self.section.name)
    }

    /// The expanded value of `key` (4.3.0's `saneget`), `None` when absent or
    /// when expansion failed (the failure is recorded).
    pub fn get(&self, ctx: &mut Ctx<'_>, key: &str, names: &[&Expansions]) -> Option<String> {
        let raw = self.raw(key)?;
        if !raw.contains('%') {
            return Some(raw.to_owned());
        }
        let mut layers = Vec::with_capacity(names.len() + 1);
        layers.push(&ctx.env);
        layers.extend_from_slice(names);
        let option = format!("{}.{key}", self.section.name);
        match expand(raw, &layers, &option) {
            Ok(v) => Some(v),
            Err(e) => {
                let loc = self.key_location(key);
                ctx.error(loc, e);
                None
            }
        }
    }

    /// The typed value of `key`, or `default` when absent or invalid (an
    /// invalid value is recorded as an error).
    pub fn parse<T>(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        names: &[&Expansions],
        default: T,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> T {
        match self.get(ctx, key, names) {
            None => default,
            Some(v) => match parse(&v) {
                Ok(t) => t,
                Err(e) => {
                    ctx.error(self.key_location(key), e);
                    default
                }
            },
        }
    }

    /// Like [`Sec::parse`] for keys with no default: `None` when absent.
    pub fn parse_opt<T>(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        names: &[&Expansions],
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        self.parse(ctx, key, names, None, |v| parse(v).map(Some))
    }
}
