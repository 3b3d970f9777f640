//! The one thread that spawns the control plane's processes, and the only unsafe code here.
//!
//! Contract: every etcd and kube-apiserver is spawned with `PR_SET_PDEATHSIG = SIGKILL`, so the
//! kernel kills it when its parent goes away, even when the test binary aborts, is killed, or
//! simply exits with the never-dropped `ControlPlane::shared()` instance still running. Linux
//! sends that signal when the *thread* that forked the child exits, not the process. Test threads
//! and tokio workers come and go, so all spawning is done here, on one thread that lives until
//! the process exits: it blocks on a channel whose sender is held by a static.
//!
//! The `Child` handles are sent back to the caller; waiting for and signalling a child works from
//! any thread.
#![allow(unsafe_code)]

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, PoisonError};

use crate::Error;

struct SpawnRequest {
    command: Command,
    reply: Sender<io::Result<Child>>,
}

static SUPERVISOR: Mutex<Option<Sender<SpawnRequest>>> = Mutex::new(None);

/// Spawns `command` on the supervisor thread, with `PR_SET_PDEATHSIG = SIGKILL`.
pub(crate) fn spawn(command: Command) -> Result<io::Result<Child>, Error> {
    let sender = supervisor()?;
    let (reply, response) = mpsc::channel();
    sender.send(SpawnRequest { command, reply }).map_err(|_| Error::SupervisorGone)?;
    response.recv().map_err(|_| Error::SupervisorGone)
}

/// Sends SIGTERM to a child that has not been waited for yet (so its pid cannot have been
/// reused).
pub(crate) fn terminate(child: &Child) -> io::Result<()> {
    signal(child, libc::SIGTERM)
}

/// Sends `signal` (SIGTERM, SIGSTOP, SIGCONT...) to a child that has not been waited for yet.
pub(crate) fn signal(child: &Child, signal: libc::c_int) -> io::Result<()> {
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    // SAFETY: kill(2) has no memory-safety preconditions. The pid belongs to our own unreaped
    // child (a zombie at worst), so it cannot name an unrelated process.
    if unsafe { libc::kill(pid, signal) } == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

fn supervisor() -> Result<Sender<SpawnRequest>, Error> {
    let mut slot = SUPERVISOR.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(sender) = slot.as_ref() {
        return Ok(sender.clone());
    }
    let (sender, requests) = mpsc::channel();
    std::thread::Builder::new()
        .name("kubegen-control-plane-supervisor".into())
        .spawn(move || serve(requests))
        .map_err(|source| Error::Spawn {
            process: "supervisor thread",
            binary: std::path::PathBuf::from("<thread>"),
            source,
        })?;
    *slot = Some(sender.clone());
    Ok(sender)
}

/// Runs until the process exits: the static keeps a sender alive, so `requests` never ends.
fn serve(requests: Receiver<SpawnRequest>) {
    for SpawnRequest { mut command, reply } in requests {
        let parent = std::process::id();
        // SAFETY: the hook runs in the forked child before exec. It calls only prctl(2) and
        // getppid(2), which are async-signal-safe, and builds its errors with
        // `io::Error::last_os_error` / `from_raw_os_error`, which do not allocate.
        unsafe {
            command.pre_exec(move || die_with_parent(parent));
        }
        // If the caller is gone, nobody owns the child (dropping a `Child` does not stop it):
        // kill it rather than leave it running.
        if let Err(mpsc::SendError(Ok(mut child))) = reply.send(command.spawn()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn die_with_parent(parent: u32) -> io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG, sig) takes plain integers and touches no memory of ours.
    let set = unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if set != 0 {
        return Err(io::Error::last_os_error());
    }
    // If the parent died between fork and prctl, the signal will never come: give up instead.
    // SAFETY: getppid(2) cannot fail and touches no memory.
    let current_parent = unsafe { libc::getppid() };
    if u32::try_from(current_parent).ok() != Some(parent) {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}
