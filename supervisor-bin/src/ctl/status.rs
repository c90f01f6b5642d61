//! What is running and what could run: `status`, `pid` and `avail`, each
//! with its `--json` form (ours), which prints the API's answer as JSON.

use std::io::Write;

use serde_json::Value as J;
use supervisor_rpc::client::{ConfigInfo, RemoteProcessInfo};
use supervisor_rpc::codes::{Fault, ProcessState};
use supervisor_rpc::dxr::Value;

use super::{Controller, Outcome, exit, namespec, split_namespec};

impl<W: Write> Controller<W> {
    /// 4.3.0's status lines: the namespec in a column as wide as the
    /// longest (at least 30), the state in ten, then the description.
    fn show_statuses(&mut self, infos: &[RemoteProcessInfo]) {
        let specs: Vec<String> = infos.iter().map(|i| namespec(&i.group, &i.name)).collect();
        let maxlen = specs.iter().map(|x| x.chars().count()).max().unwrap_or(0).max(30);
        for (spec, info) in specs.iter().zip(infos) {
            let line = format!("{spec:<w$}{:<10}{}", info.statename, info.description, w = maxlen + 3);
            self.output(&line);
        }
    }

    pub(super) fn do_status(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            self.exitstatus = exit::STATUS_UNKNOWN;
            return Ok(());
        }
        let all = self.client()?.get_all_process_info()?;
        let names: Vec<&str> = arg.split_whitespace().collect();
        let matching: Vec<RemoteProcessInfo> = if names.is_empty() || names.contains(&"all") {
            all
        } else {
            let mut matching = Vec::new();
            for name in names {
                let (group, process) = split_namespec(name);
                let found: Vec<RemoteProcessInfo> = all
                    .iter()
                    .filter(|i| i.group == group && process.as_ref().is_none_or(|p| i.name == *p))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    let msg = match process {
                        None => format!("{group}: ERROR (no such group)"),
                        Some(_) => format!("{name}: ERROR (no such process)"),
                    };
                    self.output(&msg);
                    self.exitstatus = exit::STATUS_UNKNOWN;
                }
                matching.extend(found);
            }
            matching
        };
        if self.json {
            self.output_json(&J::Array(matching.iter().map(info_json).collect()));
        } else {
            self.show_statuses(&matching);
        }
        if matching.iter().any(|i| i.process_state().is_some_and(ProcessState::is_stopped)) {
            self.exitstatus = exit::STATUS_NOT_RUNNING;
        }
        Ok(())
    }

    pub(super) fn do_pid(&mut self, arg: &str) -> Outcome {
        if !self.upcheck()? {
            return Ok(());
        }
        let names: Vec<&str> = arg.split_whitespace().collect();
        if names.is_empty() {
            let pid = self.client()?.get_pid()?;
            if self.json {
                self.output_json(&serde_json::json!({ "pid": pid }));
            } else {
                self.output(&pid.to_string());
            }
        } else if names.contains(&"all") {
            let infos = self.client()?.get_all_process_info()?;
            if self.json {
                self.output_json(&J::Array(infos.iter().map(pid_json).collect()));
            } else {
                for info in infos {
                    self.output(&info.pid.to_string());
                }
            }
        } else {
            let mut found = Vec::new();
            for name in names {
                match self.client()?.get_process_info(name) {
                    Ok(info) => {
                        if self.json {
                            found.push(pid_json(&info));
                        } else {
                            self.output(&info.pid.to_string());
                        }
                        if info.pid == 0 {
                            self.exitstatus = exit::NOT_RUNNING;
                        }
                    }
                    Err(e) if e.fault() == Some(Fault::BadName) => {
                        self.exitstatus = exit::GENERIC;
                        self.output(&format!("No such process {name}"));
                    }
                    Err(e) => {
                        self.exitstatus = exit::GENERIC;
                        return Err(e);
                    }
                }
            }
            if self.json {
                self.output_json(&J::Array(found));
            }
        }
        Ok(())
    }

    pub(super) fn do_avail(&mut self, arg: &str) -> Outcome {
        if !self.no_args("avail", arg) {
            return Ok(());
        }
        match self.client()?.get_all_config_info() {
            Ok(infos) if self.json => {
                self.output_json(&J::Array(infos.iter().map(config_json).collect()));
                Ok(())
            }
            Ok(infos) => {
                for i in infos {
                    let name = namespec(&i.group, &i.name);
                    let inuse = if i.inuse { "in use" } else { "avail" };
                    let auto = if i.autostart { "auto" } else { "manual" };
                    let prio = format!("{}:{}", i.group_prio, i.process_prio);
                    self.output(&format!("{name:<32} {inuse:<9} {auto:<9} {prio}"));
                }
                Ok(())
            }
            Err(e) if e.fault() == Some(Fault::ShutdownState) => {
                self.exitstatus = exit::GENERIC;
                self.output("ERROR: supervisor shutting down");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// An XML-RPC value as JSON: structs are objects, arrays arrays, and the
/// scalars what they are (dates and binary data as text).
fn to_json(v: &Value) -> J {
    match v {
        Value::Integer(i) => J::from(*i),
        Value::Boolean(b) => J::Bool(*b),
        Value::String(s) => J::String(s.clone()),
        Value::Double(d) => J::from(*d),
        Value::DateTime(d) => J::String(d.to_string()),
        Value::Base64(b) => J::String(String::from_utf8_lossy(b).into_owned()),
        Value::Struct(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        _ => J::Null,
    }
}

/// What `status --json` says of a process: every member of its
/// `getProcessInfo` struct (serde_json's objects keep keys sorted, as the
/// struct's members were).
fn info_json(i: &RemoteProcessInfo) -> J {
    serde_json::json!({
        "description": i.description,
        "exitstatus": i.exitstatus,
        "group": i.group,
        "logfile": i.logfile,
        "name": i.name,
        "now": i.now,
        "pid": i.pid,
        "spawnerr": i.spawnerr,
        "start": i.start,
        "state": i.state,
        "statename": i.statename,
        "stderr_logfile": i.stderr_logfile,
        "stdout_logfile": i.stdout_logfile,
        "stop": i.stop,
    })
}

/// What `pid --json` says of a process: its group, name and pid.
fn pid_json(info: &RemoteProcessInfo) -> J {
    serde_json::json!({ "group": info.group, "name": info.name, "pid": info.pid })
}

/// What `avail --json` says of a process: its whole `getAllConfigInfo`
/// struct, the members ctl reads and the others alike.
fn config_json(c: &ConfigInfo) -> J {
    let mut object: serde_json::Map<String, J> = c.other.iter().map(|(k, v)| (k.clone(), to_json(v))).collect();
    object.insert("name".into(), c.name.clone().into());
    object.insert("group".into(), c.group.clone().into());
    object.insert("inuse".into(), c.inuse.into());
    object.insert("autostart".into(), c.autostart.into());
    object.insert("group_prio".into(), c.group_prio.into());
    object.insert("process_prio".into(), c.process_prio.into());
    J::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_keep_every_member() {
        let info = RemoteProcessInfo {
            name: "b".into(),
            group: "g".into(),
            description: "pid 7, uptime 0:00:01".into(),
            start: 1,
            stop: 0,
            now: 2,
            state: ProcessState::Running.code(),
            statename: "RUNNING".into(),
            spawnerr: String::new(),
            exitstatus: 0,
            logfile: "/o".into(),
            stdout_logfile: "/o".into(),
            stderr_logfile: String::new(),
            pid: 7,
        };
        let j = info_json(&info);
        assert_eq!(j.as_object().map(|o| o.len()), Some(14));
        assert_eq!(
            (j["state"].as_i64(), j["statename"].as_str(), j["pid"].as_i64()),
            (Some(20), Some("RUNNING"), Some(7))
        );
        assert_eq!(pid_json(&info), serde_json::json!({ "group": "g", "name": "b", "pid": 7 }));

        let config = ConfigInfo {
            name: "a".into(),
            group: "a".into(),
            inuse: true,
            autostart: false,
            group_prio: 999,
            process_prio: 1,
            other: [
                ("uid".to_owned(), Value::String("none".into())),
                ("exitcodes".to_owned(), Value::Array(vec![Value::Integer(0)])),
            ]
            .into_iter()
            .collect(),
        };
        let j = config_json(&config);
        let keys: Vec<&String> = j.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["autostart", "exitcodes", "group", "group_prio", "inuse", "name", "process_prio", "uid"]);
        assert_eq!(j["exitcodes"], serde_json::json!([0]));
    }
}
