//! Dropping supervisord's own privileges to `[supervisord] user`.

use std::ffi::CString;

use nix::unistd::{Gid, Uid, User};

/// Switches this process to `user` (a name or uid) with its groups, as
/// 4.3.0's `drop_privileges`. `Ok(None)` when already that user; `Ok(uid)`
/// after switching; `Err` with 4.3.0's message otherwise.
pub fn drop_privileges(user: &str) -> Result<Option<u32>, String> {
    let record = match user.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)).ok().flatten().ok_or_else(|| format!("Can't find uid {uid}"))?,
        Err(_) => User::from_name(user).ok().flatten().ok_or_else(|| format!("Can't find username '{user}'"))?,
    };
    let current = Uid::current();
    if current == record.uid {
        return Ok(None);
    }
    if !current.is_root() {
        return Err("Can't drop privilege as nonroot user".to_owned());
    }
    let name = CString::new(record.name.as_bytes()).map_err(|_| "Could not set groups of effective user".to_owned())?;
    let mut groups: Vec<Gid> = vec![record.gid];
    if let Ok(all) = nix::unistd::getgrouplist(&name, record.gid) {
        groups.extend(all.into_iter().filter(|g| *g != record.gid));
    }
    nix::unistd::setgroups(&groups).map_err(|_| "Could not set groups of effective user".to_owned())?;
    nix::unistd::setgid(record.gid).map_err(|_| "Could not set group id of effective user".to_owned())?;
    nix::unistd::setuid(record.uid).map_err(|_| "Could not set user id of effective user".to_owned())?;
    Ok(Some(record.uid.as_raw()))
}

/// Makes this process the reaper of its orphaned descendants (unless it is
/// already PID 1), so grandchildren of crashed programs are reaped too.
pub fn become_subreaper() -> nix::Result<()> {
    if nix::unistd::getpid().as_raw() == 1 {
        return Ok(());
    }
    nix::sys::prctl::set_child_subreaper(true)
}
