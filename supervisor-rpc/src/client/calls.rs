//! The methods supervisorctl calls, typed: each sends the parameters
//! 4.3.0's supervisorctl sends and decodes the answer, so a caller never
//! picks through a raw [`Value`]. Plugin namespaces go through
//! [`Client::call`].

use dxr::Value;

use super::answers::{ConfigChanges, ConfigInfo, FromValue, LogTail, RemoteProcessInfo, RemoteResult, RemoteState};
use super::{Client, ClientError};

/// The method of [`Client::update_process_group`], ours (not 4.3.0's): look
/// for it in [`Client::list_methods`] before calling it.
pub const UPDATE_PROCESS_GROUP: &str = "supervisor_rs.updateProcessGroup";

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

impl Client {
    /// Calls `method` and decodes its answer as `T`.
    fn call_as<T: FromValue>(&self, method: &str, params: Vec<Value>) -> Result<T, ClientError> {
        let answer = self.call(method, params)?;
        T::from_value(answer).map_err(|detail| ClientError::Unexpected { method: method.to_owned(), detail })
    }

    /// `supervisor.getVersion`: the API version (`3.0`), the name
    /// supervisorctl asks it by.
    pub fn get_version(&self) -> Result<String, ClientError> {
        self.call_as("supervisor.getVersion", vec![])
    }

    /// `supervisor.getAPIVersion`: the API version (`3.0`).
    pub fn get_api_version(&self) -> Result<String, ClientError> {
        self.call_as("supervisor.getAPIVersion", vec![])
    }

    /// `supervisor.getSupervisorVersion`: the server's version (`4.3.0`).
    pub fn get_supervisor_version(&self) -> Result<String, ClientError> {
        self.call_as("supervisor.getSupervisorVersion", vec![])
    }

    /// `supervisor.getState`: supervisord's own state.
    pub fn get_state(&self) -> Result<RemoteState, ClientError> {
        self.call_as("supervisor.getState", vec![])
    }

    /// `supervisor.getPID`: supervisord's pid.
    pub fn get_pid(&self) -> Result<i32, ClientError> {
        self.call_as("supervisor.getPID", vec![])
    }

    /// `supervisor.shutdown`.
    pub fn shutdown(&self) -> Result<bool, ClientError> {
        self.call_as("supervisor.shutdown", vec![])
    }

    /// `supervisor.restart`.
    pub fn restart(&self) -> Result<bool, ClientError> {
        self.call_as("supervisor.restart", vec![])
    }

    /// `supervisor.reloadConfig`: reads the config file again and says
    /// which groups differ from the ones in use.
    pub fn reload_config(&self) -> Result<ConfigChanges, ClientError> {
        self.call_as("supervisor.reloadConfig", vec![])
    }

    /// `supervisor.addProcessGroup`: puts a group of the reread config in use.
    pub fn add_process_group(&self, name: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.addProcessGroup", vec![text(name)])
    }

    /// `supervisor.removeProcessGroup`: takes a stopped group out of use.
    pub fn remove_process_group(&self, name: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.removeProcessGroup", vec![text(name)])
    }

    /// `supervisor_rs.updateProcessGroup` (ours, not 4.3.0's): applies a
    /// changed group's reread config, restarting only the processes whose
    /// settings changed; the names of the processes touched. Other servers
    /// lack it: look for [`UPDATE_PROCESS_GROUP`] in [`Client::list_methods`].
    pub fn update_process_group(&self, name: &str) -> Result<Vec<String>, ClientError> {
        self.call_as(UPDATE_PROCESS_GROUP, vec![text(name)])
    }

    /// `system.listMethods`: every method the server offers.
    pub fn list_methods(&self) -> Result<Vec<String>, ClientError> {
        self.call_as("system.listMethods", vec![])
    }

    /// `supervisor.getAllProcessInfo`: every process in use.
    pub fn get_all_process_info(&self) -> Result<Vec<RemoteProcessInfo>, ClientError> {
        self.call_as("supervisor.getAllProcessInfo", vec![])
    }

    /// `supervisor.getProcessInfo`: one process, as `name` or `group:name`.
    pub fn get_process_info(&self, name: &str) -> Result<RemoteProcessInfo, ClientError> {
        self.call_as("supervisor.getProcessInfo", vec![text(name)])
    }

    /// `supervisor.getAllConfigInfo`: every configured process.
    pub fn get_all_config_info(&self) -> Result<Vec<ConfigInfo>, ClientError> {
        self.call_as("supervisor.getAllConfigInfo", vec![])
    }

    /// `supervisor.startProcess`, waiting (the server's default) until the
    /// process is up or has failed.
    pub fn start_process(&self, name: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.startProcess", vec![text(name)])
    }

    /// `supervisor.startProcessGroup`, waiting.
    pub fn start_process_group(&self, name: &str) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.startProcessGroup", vec![text(name)])
    }

    /// `supervisor.startAllProcesses`, waiting.
    pub fn start_all_processes(&self) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.startAllProcesses", vec![])
    }

    /// `supervisor.stopProcess`, waiting until it has stopped.
    pub fn stop_process(&self, name: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.stopProcess", vec![text(name)])
    }

    /// `supervisor.stopProcessGroup`, waiting.
    pub fn stop_process_group(&self, name: &str) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.stopProcessGroup", vec![text(name)])
    }

    /// `supervisor.stopAllProcesses`, waiting.
    pub fn stop_all_processes(&self) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.stopAllProcesses", vec![])
    }

    /// `supervisor.signalProcess`: `signal` by name (`HUP`) or number.
    pub fn signal_process(&self, name: &str, signal: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.signalProcess", vec![text(name), text(signal)])
    }

    /// `supervisor.signalProcessGroup`.
    pub fn signal_process_group(&self, name: &str, signal: &str) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.signalProcessGroup", vec![text(name), text(signal)])
    }

    /// `supervisor.signalAllProcesses`.
    pub fn signal_all_processes(&self, signal: &str) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.signalAllProcesses", vec![text(signal)])
    }

    /// `supervisor.readLog`: `length` bytes of supervisord's log from
    /// `offset`; a negative offset with length 0 reads that much of the end.
    pub fn read_log(&self, offset: i32, length: i32) -> Result<String, ClientError> {
        self.call_as("supervisor.readLog", vec![Value::Integer(offset), Value::Integer(length)])
    }

    /// `supervisor.readProcessStdoutLog`, as [`Client::read_log`] reads.
    pub fn read_process_stdout_log(&self, name: &str, offset: i32, length: i32) -> Result<String, ClientError> {
        self.call_as(
            "supervisor.readProcessStdoutLog",
            vec![text(name), Value::Integer(offset), Value::Integer(length)],
        )
    }

    /// `supervisor.readProcessStderrLog`, as [`Client::read_log`] reads.
    pub fn read_process_stderr_log(&self, name: &str, offset: i32, length: i32) -> Result<String, ClientError> {
        self.call_as(
            "supervisor.readProcessStderrLog",
            vec![text(name), Value::Integer(offset), Value::Integer(length)],
        )
    }

    /// `supervisor.tailProcessStdoutLog`: at most `length` bytes written
    /// since `offset` (0 at first, then the last answer's offset).
    pub fn tail_process_stdout_log(&self, name: &str, offset: i32, length: i32) -> Result<LogTail, ClientError> {
        self.call_as(
            "supervisor.tailProcessStdoutLog",
            vec![text(name), Value::Integer(offset), Value::Integer(length)],
        )
    }

    /// `supervisor.tailProcessStderrLog`, as [`Client::tail_process_stdout_log`].
    pub fn tail_process_stderr_log(&self, name: &str, offset: i32, length: i32) -> Result<LogTail, ClientError> {
        self.call_as(
            "supervisor.tailProcessStderrLog",
            vec![text(name), Value::Integer(offset), Value::Integer(length)],
        )
    }

    /// `supervisor.clearLog`: empties supervisord's log.
    pub fn clear_log(&self) -> Result<bool, ClientError> {
        self.call_as("supervisor.clearLog", vec![])
    }

    /// `supervisor.clearProcessLogs`: empties one process's logs.
    pub fn clear_process_logs(&self, name: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.clearProcessLogs", vec![text(name)])
    }

    /// `supervisor.clearAllProcessLogs`.
    pub fn clear_all_process_logs(&self) -> Result<Vec<RemoteResult>, ClientError> {
        self.call_as("supervisor.clearAllProcessLogs", vec![])
    }

    /// `supervisor.sendProcessStdin`: writes `chars` to a running process.
    pub fn send_process_stdin(&self, name: &str, chars: &str) -> Result<bool, ClientError> {
        self.call_as("supervisor.sendProcessStdin", vec![text(name), text(chars)])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_extension_is_in_our_namespace() {
        let (namespace, _) = super::UPDATE_PROCESS_GROUP.split_once('.').expect("a dot");
        assert_eq!(namespace, crate::extensions_ns::NAMESPACE);
    }
}
