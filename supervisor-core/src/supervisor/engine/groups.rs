//! Groups in the engine: placed in start order, added, and replaced in
//! place by a reload that keeps unchanged processes running.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Engine, GroupSlot};
use crate::config::{GroupConfig, GroupKind};
use crate::events::Event;
use crate::supervisor::error::ControlError;
use crate::supervisor::host::Shell;

impl<S: Shell> Engine<S> {
    /// Puts a group where start order wants it: priority, then name.
    pub(super) fn place_group(&mut self, config: GroupConfig, members: Vec<usize>) {
        let at = self
            .groups
            .iter()
            .position(|g| (g.config.priority, &g.config.name) > (config.priority, &config.name))
            .unwrap_or(self.groups.len());
        self.groups.insert(at, GroupSlot { config: Arc::new(config), members });
    }

    /// Adds a group's processes in start order; returns their ids.
    pub(super) fn insert_group(&mut self, config: GroupConfig) -> Vec<usize> {
        let members: Vec<usize> = config.processes.iter().map(|p| self.new_slot(p)).collect();
        self.track_pool(&config, &members);
        if let GroupKind::FastCgi(socket) = &config.kind {
            self.host.add_socket(&config.name, socket);
        }
        self.place_group(config, members.clone());
        members
    }

    /// Swaps a group's settings in place: processes named in `keep` stay as
    /// they are (running or not); the others are replaced by the new
    /// configuration's (they must already be stopped) or dropped.
    pub(super) fn replace_group(&mut self, mut config: GroupConfig, keep: &[String]) -> Result<(), ControlError> {
        let at = self
            .groups
            .iter()
            .position(|g| g.config.name == config.name)
            .ok_or_else(|| ControlError::BadName(config.name.clone()))?;
        // A changed socket (or group kind) is a new socket manager: every
        // process of the group must be down (a start may have slipped in
        // since `update_group` stopped them), so the old socket is closed.
        let current = &self.groups[at];
        if current.config.kind != config.kind
            && current.members.iter().any(|&id| self.process(id).is_some_and(|p| !p.state().is_stopped()))
        {
            return Err(ControlError::StillRunning(config.name.clone()));
        }
        let old = self.groups.remove(at);
        if old.config.kind != config.kind {
            self.host.remove_socket(&config.name);
            if let GroupKind::FastCgi(socket) = &config.kind {
                self.host.add_socket(&config.name, socket);
            }
        }
        let mut kept: HashMap<String, usize> = HashMap::new();
        for id in old.members {
            let Some(name) = self.process(id).map(|p| p.config().name.clone()) else { continue };
            if keep.contains(&name) {
                kept.insert(name, id);
            } else {
                self.forget_process(id);
                if let Some(slot) = self.slots.remove(&id)
                    && let Some(d) = slot.deadline
                {
                    self.timers.remove(&(d, id));
                }
            }
        }
        let mut members = Vec::new();
        for p in &mut config.processes {
            let id = match kept.remove(&p.name) {
                Some(id) => {
                    // Keep the running process and the log files it writes.
                    if let Some(slot) = self.slots.get(&id) {
                        *p = Arc::clone(slot.process.config());
                    }
                    id
                }
                None => self.new_slot(p),
            };
            members.push(id);
        }
        self.track_pool(&config, &members);
        self.place_group(config, members.clone());
        for id in members {
            self.reschedule(id);
        }
        Ok(())
    }

    /// Adds a group (`addProcessGroup`); its autostart programs start.
    pub(super) fn add_group(&mut self, config: GroupConfig) -> Result<(), ControlError> {
        if !self.accepting() {
            return Err(ControlError::ShuttingDown);
        }
        if self.groups.iter().any(|g| g.config.name == config.name) {
            return Err(ControlError::AlreadyAdded(config.name));
        }
        let name = config.name.clone();
        for id in self.insert_group(config) {
            self.reschedule(id);
        }
        self.host.publish(Event::GroupAdded(name));
        Ok(())
    }

    /// Removes a group whose processes are all stopped
    /// (`removeProcessGroup`).
    pub(super) fn remove_group(&mut self, name: String) -> Result<(), ControlError> {
        let at = self
            .groups
            .iter()
            .position(|g| g.config.name == name)
            .ok_or_else(|| ControlError::BadName(name.clone()))?;
        if self.groups[at].members.iter().any(|&id| self.process(id).is_some_and(|p| !p.state().is_stopped())) {
            return Err(ControlError::StillRunning(name));
        }
        let group = self.groups.remove(at);
        self.pools.remove(&group.config.name);
        self.host.set_listener_group(&group.config.name, false);
        self.host.remove_socket(&group.config.name);
        for id in group.members {
            self.forget_process(id);
            if let Some(slot) = self.slots.remove(&id)
                && let Some(d) = slot.deadline
            {
                self.timers.remove(&(d, id));
            }
        }
        for p in &group.config.processes {
            self.host.forget_logs(&p.namespec());
        }
        self.host.publish(Event::GroupRemoved(name));
        Ok(())
    }
}
