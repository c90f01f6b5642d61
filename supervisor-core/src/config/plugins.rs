//! `[rpcinterface:x]` and `[ctlplugin:x]`: a factory name plus keyword
//! arguments for it.

use std::collections::BTreeMap;

use super::error::ErrorKind;
use super::model::PluginConfig;
use super::reader::{Ctx, Sec};

/// The factory key of `[rpcinterface:x]`.
pub const RPC_FACTORY_KEY: &str = "supervisor.rpcinterface_factory";
/// The factory key of `[ctlplugin:x]`.
pub const CTL_FACTORY_KEY: &str = "supervisor.ctl_factory";

/// Every section named `prefix` + name, in file order. `known` lists the
/// factories this build provides; `None` accepts any.
pub(crate) fn read(ctx: &mut Ctx<'_>, prefix: &str, factory_key: &str, known: Option<&[String]>) -> Vec<PluginConfig> {
    let sections: Vec<Sec<'_>> =
        ctx.ini.sections().iter().filter(|s| s.name.starts_with(prefix)).filter_map(|s| ctx.section(&s.name)).collect();
    let mut plugins = Vec::new();
    for sec in sections {
        let name = sec.name().split_once(':').map_or("", |(_, n)| n).to_owned();
        let Some(factory) = sec.get(ctx, factory_key, &[]) else {
            if sec.raw(factory_key).is_none() {
                ctx.error(sec.location().with_key(factory_key), ErrorKind::MissingKey(static_key(factory_key)));
            }
            continue;
        };
        if known.is_some_and(|k| !k.contains(&factory)) {
            ctx.error(sec.key_location(factory_key), ErrorKind::Unresolvable(factory));
            continue;
        }
        let mut extras = BTreeMap::new();
        for key in sec.keys().into_iter().filter(|k| *k != factory_key) {
            if let Some(v) = sec.get(ctx, key, &[]) {
                extras.insert(key.to_owned(), v);
            }
        }
        plugins.push(PluginConfig { name, factory, extras });
    }
    plugins
}

fn static_key(key: &str) -> &'static str {
    if key == RPC_FACTORY_KEY { RPC_FACTORY_KEY } else { CTL_FACTORY_KEY }
}
