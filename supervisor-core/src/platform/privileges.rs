//! Dropping supervisord's own privileges to `[supervisord] user`.

use std::ffi::CString;

use nix::unistd::{Gid, Uid, User};

/// Why supervisord could not become `[supervisord] user`; the texts are
/// 4.3.0's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrivilegeError {
    /// No user has that uid.
    #[error("Can't find uid {0}")]
    NoSuchUid(u32),
    /// No user has that name.
    #[error("Can't find username '{0}'")]
    NoSuchUser(String),
    /// Only root can switch.
    #[error("Can't drop privilege as nonroot user")]
    NotRoot,
    /// setgroups failed.
    #[error("Could not set groups of effective user")]
    Groups,
    /// setgid failed.
    #[error("Could not set group id of effective user")]
    Gid,
    /// setuid failed.
    #[error("Could not set user id of effective user")]
    Uid,
}

/// Switches this process to `user` (a name or uid) with its groups, as
/// 4.3.0's `drop_privileges`. `Ok(None)` when already that user; `Ok(uid)`
/// after switching.
pub fn drop_privileges(user: &str) -> Result<Option<u32>, PrivilegeError> {
    let record = match user.parse::<u32>() {
        Ok(uid) => User::from_uid(Uid::from_raw(uid)).ok().flatten().ok_or(PrivilegeError::NoSuchUid(uid))?,
        Err(_) => User::from_name(user).ok().flatten().ok_or_else(|| PrivilegeError::NoSuchUser(user.to_owned()))?,
    };
    let current = Uid::current();
    if current == record.uid {
        return Ok(None);
    }
    if !current.is_root() {
        return Err(PrivilegeError::NotRoot);
    }
    let name = CString::new(record.name.as_bytes()).map_err(|_| PrivilegeError::Groups)?;
    let mut groups: Vec<Gid> = vec![record.gid];
    if let Ok(all) = nix::unistd::getgrouplist(&name, record.gid) {
        groups.extend(all.into_iter().filter(|g| *g != record.gid));
    }
    nix::unistd::setgroups(&groups).map_err(|_| PrivilegeError::Groups)?;
    nix::unistd::setgid(record.gid).map_err(|_| PrivilegeError::Gid)?;
    nix::unistd::setuid(record.uid).map_err(|_| PrivilegeError::Uid)?;
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
