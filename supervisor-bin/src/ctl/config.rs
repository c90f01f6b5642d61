//! Putting the config file's changes in use: `reread`, `update`, `add` and
//! `remove`.

use std::collections::BTreeMap;
use std::io::Write;

use supervisor_rpc::client::{ClientError, ConfigChanges, UPDATE_PROCESS_GROUP};
use supervisor_rpc::codes::Fault;

use super::{Controller, Outcome, exit};

impl<W: Write> Controller<W> {
    /// `reloadConfig` for `reread`; `None` when the fault it met has been
    /// reported.
    fn reload_config(&mut self) -> Result<Option<ConfigChanges>, ClientError> {
        match self.client()?.reload_config() {
            Ok(changes) => Ok(Some(changes)),
            Err(e) if e.fault() == Some(Fault::ShutdownState) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: supervisor shutting down");
                Ok(None)
            }
            Err(ClientError::Fault { code, string }) if Fault::from_code(code) == Some(Fault::CantReread) => {
                self.exitstatus = exit::GENERIC;
                self.output(&format!("ERROR: {string}"));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(super) fn do_reread(&mut self, arg: &str) -> Outcome {
        if !self.no_args("reread", arg) {
            return Ok(());
        }
        let Some(ConfigChanges { added, changed, removed }) = self.reload_config()? else { return Ok(()) };
        // By name, as 4.3.0 sorts them.
        let mut changes: BTreeMap<String, &str> = BTreeMap::new();
        for (names, what) in [(added, "available"), (changed, "changed"), (removed, "disappeared")] {
            for name in names {
                changes.insert(name, what);
            }
        }
        if changes.is_empty() {
            self.output("No config updates to processes");
        }
        for (name, what) in changes {
            self.output(&format!("{name}: {what}"));
        }
        Ok(())
    }

    pub(super) fn do_add(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.client()?.add_process_group(name) {
                Ok(_) => self.output(&format!("{name}: added process group")),
                Err(e) => match e.fault() {
                    Some(Fault::ShutdownState) => {
                        self.output("ERROR: shutting down");
                        self.exitstatus = exit::GENERIC;
                    }
                    Some(Fault::AlreadyAdded) => self.output("ERROR: process group already active"),
                    Some(Fault::BadName) => {
                        self.output(&format!("ERROR: no such process/group: {name}"));
                        self.exitstatus = exit::GENERIC;
                    }
                    _ => {
                        self.exitstatus = exit::GENERIC;
                        return Err(e);
                    }
                },
            }
        }
        Ok(())
    }

    pub(super) fn do_remove(&mut self, arg: &str) -> Outcome {
        for name in arg.split_whitespace() {
            match self.client()?.remove_process_group(name) {
                Ok(_) => self.output(&format!("{name}: removed process group")),
                Err(e) => {
                    self.exitstatus = exit::GENERIC;
                    match e.fault() {
                        Some(Fault::StillRunning) => {
                            self.output(&format!("ERROR: process/group still running: {name}"))
                        }
                        Some(Fault::BadName) => self.output(&format!("ERROR: no such process/group: {name}")),
                        _ => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn do_update(&mut self, arg: &str) -> Outcome {
        let ConfigChanges { added, changed, removed } = match self.client()?.reload_config() {
            Ok(changes) => changes,
            Err(e) if e.fault() == Some(Fault::ShutdownState) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: already shutting down");
                return Ok(());
            }
            Err(e) => {
                self.exitstatus = exit::GENERIC;
                return Err(e);
            }
        };
        // A set in 4.3.0: each name once.
        let mut valid: Vec<&str> = Vec::new();
        for name in arg.split_whitespace() {
            if !valid.contains(&name) {
                valid.push(name);
            }
        }
        if valid.contains(&"all") {
            valid.clear();
        }
        if !valid.is_empty() {
            let mut groups: Vec<String> = self.client()?.get_all_process_info()?.into_iter().map(|i| i.group).collect();
            groups.extend(added.iter().cloned());
            for g in &valid {
                if !groups.iter().any(|x| x == g) {
                    self.output(&format!("ERROR: no such group: {g}"));
                    self.exitstatus = exit::GENERIC;
                }
            }
        }
        let wanted = |g: &str| valid.is_empty() || valid.contains(&g);
        for g in removed.iter().filter(|g| wanted(g)) {
            let results = self.client()?.stop_process_group(g)?;
            self.output(&format!("{g}: stopped"));
            if results.iter().any(|r| r.fault() == Some(Fault::Failed)) {
                self.output(&format!("{g}: has problems; not removing"));
                self.exitstatus = exit::GENERIC;
                continue;
            }
            self.client()?.remove_process_group(g)?;
            self.output(&format!("{g}: removed process group"));
        }
        let partial = changed.iter().any(|g| wanted(g)) && self.server_has(UPDATE_PROCESS_GROUP)?;
        for g in changed.iter().filter(|g| wanted(g)) {
            if partial {
                // Our supervisord restarts only the processes whose settings
                // changed; what is printed is what 4.3.0 prints for the group.
                self.client()?.update_process_group(g)?;
                self.output(&format!("{g}: stopped"));
                self.output(&format!("{g}: updated process group"));
                continue;
            }
            self.client()?.stop_process_group(g)?;
            self.output(&format!("{g}: stopped"));
            self.client()?.remove_process_group(g)?;
            self.client()?.add_process_group(g)?;
            self.output(&format!("{g}: updated process group"));
        }
        for g in added.iter().filter(|g| wanted(g)) {
            self.client()?.add_process_group(g)?;
            self.output(&format!("{g}: added process group"));
        }
        Ok(())
    }

    /// Whether the server offers `method` (ours has extensions 4.3.0 lacks).
    fn server_has(&self, method: &str) -> Result<bool, ClientError> {
        match self.client()?.list_methods() {
            Ok(methods) => Ok(methods.iter().any(|m| m == method)),
            Err(ClientError::Fault { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
