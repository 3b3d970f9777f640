//! One running etcd or kube-apiserver: its `Child`, its log file, and how to stop it.
//!
//! A `ChildProcess` is always stopped: explicitly with [`ChildProcess::stop`] (SIGTERM, then
//! SIGKILL after a grace period), or by its `Drop` (SIGKILL). Either way the child is reaped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, supervisor};

/// How many log lines an error shows.
pub(crate) const TAIL_LINES: usize = 40;

pub(crate) struct ChildProcess {
    name: &'static str,
    child: Child,
    log: PathBuf,
    /// Set once the exit status has been collected.
    exited: bool,
}

impl ChildProcess {
    /// Starts `binary args...` with stdout and stderr appended to `log`.
    pub(crate) fn spawn(name: &'static str, binary: &Path, args: &[String], log: &Path) -> Result<Self, Error> {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io("opening log file", log, e))?;
        let err = out.try_clone().map_err(|e| Error::io("duplicating the handle of", log, e))?;
        let mut command = Command::new(binary);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::from(out)).stderr(Stdio::from(err));
        let child = supervisor::spawn(command)?.map_err(|source| Error::Spawn {
            process: name,
            binary: binary.to_path_buf(),
            source,
        })?;
        tracing::debug!(process = name, pid = child.id(), log = %log.display(), "started");
        Ok(ChildProcess { name, child, log: log.to_path_buf(), exited: false })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the process (SIGSTOP to freeze it, SIGCONT to let it go on).
    pub(crate) fn signal(&self, signal: libc::c_int) -> std::io::Result<()> {
        supervisor::signal(&self.child, signal)
    }

    /// The process's log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// `Ok` while the process runs; an [`Error::Exited`] with its log tail once it has exited.
    pub(crate) fn check_alive(&mut self) -> Result<(), Error> {
        let status = match self.child.try_wait() {
            Ok(None) => return Ok(()),
            Ok(Some(status)) => status.to_string(),
            Err(e) => format!("unknown: {e}"),
        };
        self.exited = true;
        Err(Error::Exited { process: self.name, status, log: self.log.clone(), tail: tail(&self.log, TAIL_LINES) })
    }

    /// Stops the process: SIGTERM, then SIGKILL if it is still running after `grace`. True if
    /// it exited within the grace.
    pub(crate) async fn stop(mut self, grace: Duration) -> bool {
        if self.check_alive().is_err() {
            return true;
        }
        if let Err(e) = supervisor::terminate(&self.child) {
            tracing::warn!(process = self.name, error = %e, "SIGTERM failed");
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.check_alive().is_err() {
                tracing::debug!(process = self.name, "stopped");
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(process = self.name, ?grace, "did not stop after SIGTERM; killing it");
        // Drop sends SIGKILL and reaps.
        false
    }

    /// Kills the process (SIGKILL) at once and reaps it: a crash, for fault tests.
    pub(crate) fn kill(self) {
        // Drop sends SIGKILL and reaps.
        drop(self);
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if self.exited {
            return;
        }
        if let Err(e) = self.child.kill() {
            tracing::warn!(process = self.name, error = %e, "SIGKILL failed");
        }
        if let Err(e) = self.child.wait() {
            tracing::warn!(process = self.name, error = %e, "waiting for the process failed");
        }
    }
}

/// The last `lines` lines of a log file (at most its last 64 KiB), or a note on why there are
/// none.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    const WINDOW: u64 = 64 * 1024;
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(WINDOW)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            if all.is_empty() { "(log is empty)".to_string() } else { all[start..].join("\n") }
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log");
        std::fs::write(&path, "a\nb\nc\nd\n").expect("write log");
        assert_eq!(tail(&path, 2), "c\nd");
        assert_eq!(tail(&path, 10), "a\nb\nc\nd");
        std::fs::write(&path, "").expect("write log");
        assert_eq!(tail(&path, 2), "(log is empty)");
        assert!(tail(&dir.path().join("missing"), 2).starts_with("(cannot read"));
    }
}
