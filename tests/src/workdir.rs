//! The temporary directory of one control plane, and the sweep of directories left behind.
//!
//! Each control plane lives in `$TMPDIR/kubegen-control-plane-XXXXXX/` with an `owner.pid`
//! file. A private plane removes its directory on drop; the shared plane is a static and is
//! never dropped, and a killed test binary drops nothing. So every new directory first sweeps
//! directories whose owner process is gone (etcd preallocates a 64 MiB WAL, so they add up).

use std::path::Path;
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use crate::Error;

const PREFIX: &str = "kubegen-control-plane-";
const OWNER_FILE: &str = "owner.pid";
/// A directory without an owner file is only swept when older than this (it may be being
/// created right now).
const UNOWNED_GRACE: Duration = Duration::from_secs(3600);

/// Creates a fresh control-plane directory owned by this process.
pub(crate) fn create() -> Result<TempDir, Error> {
    let tmp = std::env::temp_dir();
    sweep(&tmp);
    let dir = tempfile::Builder::new()
        .prefix(PREFIX)
        .tempdir_in(&tmp)
        .map_err(|e| Error::io("creating a temporary directory in", &tmp, e))?;
    let owner = dir.path().join(OWNER_FILE);
    std::fs::write(&owner, std::process::id().to_string()).map_err(|e| Error::io("writing", &owner, e))?;
    Ok(dir)
}

/// Removes control-plane directories in `tmp` whose owner process no longer runs.
fn sweep(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let is_ours = entry.file_name().to_string_lossy().starts_with(PREFIX);
        if !is_ours || !is_abandoned(&entry.path()) {
            continue;
        }
        let dir = entry.path();
        let removed = std::fs::remove_dir_all(&dir);
        tracing::debug!(dir = %dir.display(), ?removed, "swept an abandoned plane's directory");
    }
}

fn is_abandoned(dir: &Path) -> bool {
    match std::fs::read_to_string(dir.join(OWNER_FILE)) {
        Ok(pid) => match pid.trim().parse::<u32>() {
            Ok(pid) => !Path::new("/proc").join(pid.to_string()).exists(),
            Err(_) => true,
        },
        Err(_) => std::fs::metadata(dir)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > UNOWNED_GRACE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_only_directories_of_dead_owners() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dead = tmp.path().join(format!("{PREFIX}dead"));
        let alive = tmp.path().join(format!("{PREFIX}alive"));
        let fresh_unowned = tmp.path().join(format!("{PREFIX}unowned"));
        let other = tmp.path().join("something-else");
        for dir in [&dead, &alive, &fresh_unowned, &other] {
            std::fs::create_dir(dir).expect("mkdir");
        }
        // pid_max is at most 2^22 on Linux, so this pid cannot exist.
        std::fs::write(dead.join(OWNER_FILE), "4294967295").expect("write");
        std::fs::write(alive.join(OWNER_FILE), std::process::id().to_string()).expect("write");
        std::fs::write(other.join(OWNER_FILE), "4294967295").expect("write");
        sweep(tmp.path());
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(fresh_unowned.exists());
        assert!(other.exists());
    }
}
