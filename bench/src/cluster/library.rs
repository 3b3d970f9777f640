//! The libraries of the cluster workloads and how to start each one's measuring process:
//! this binary's `informer-child` / `requests-child` for the Rust libraries, the Go binary's
//! `informer` / `requests` for client-go. Adding a library is a variant here and a function in
//! its own module.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::child::RustLibrary;

/// The results' name of [`Library::KubegenSequential`].
pub const SEQUENTIAL: &str = "kubegen, watch-cache list";

/// A library under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// kubegen.
    Kubegen,
    /// kubegen's informer listing as older servers need ([`super::kubegen::sequential_pages`]).
    KubegenSequential,
    /// kube-rs.
    KubeRs,
    /// client-go.
    ClientGo,
}

/// In the order of the report's columns.
pub const ALL: [Library; 3] = [Library::Kubegen, Library::KubeRs, Library::ClientGo];

/// The informer workload's: [`ALL`] and kubegen listing as older servers need.
pub const INFORMER: [Library; 4] = [Library::Kubegen, Library::KubegenSequential, Library::KubeRs, Library::ClientGo];

/// `libraries` in the order round `round` runs them: each round starts with the next one, so
/// that the first process after a change on the server (creates, another workload) is not
/// always the same library's.
pub fn rotated(libraries: &[Library], round: usize) -> impl Iterator<Item = Library> + '_ {
    let start = if libraries.is_empty() { 0 } else { round % libraries.len() };
    libraries[start..].iter().chain(&libraries[..start]).copied()
}

/// A workload a child process runs.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    /// Informer sync and update delivery.
    Informer,
    /// GET and LIST throughput.
    Requests,
    /// Port-forward and exec through kube-apiserver to a kubelet.
    Streams,
    /// A controller reconciling every object, then every update (Rust libraries only).
    Controller,
}

impl Library {
    /// The name in the results.
    pub fn name(self) -> &'static str {
        match self {
            Library::Kubegen => "kubegen",
            Library::KubegenSequential => SEQUENTIAL,
            Library::KubeRs => "kube-rs",
            Library::ClientGo => "client-go",
        }
    }

    /// The command that runs `workload` for this library (arguments follow); stdout piped for
    /// the protocol, stderr passed through, killed if dropped.
    pub fn command(self, workload: Workload, go_bin: &Path) -> anyhow::Result<Command> {
        let rust = |library: RustLibrary| -> anyhow::Result<Command> {
            let exe = std::env::current_exe()?;
            let mut command = Command::new(exe);
            let subcommand = match workload {
                Workload::Informer => "informer-child",
                Workload::Requests => "requests-child",
                Workload::Streams => "streams-child",
                Workload::Controller => "controller-child",
            };
            let library = match library {
                RustLibrary::Kubegen => "kubegen",
                RustLibrary::KubegenSequential => "kubegen-sequential",
                RustLibrary::KubeRs => "kube-rs",
            };
            command.args([subcommand, "--library", library]);
            Ok(command)
        };
        let mut command = match self {
            Library::Kubegen => rust(RustLibrary::Kubegen)?,
            Library::KubegenSequential => rust(RustLibrary::KubegenSequential)?,
            Library::KubeRs => rust(RustLibrary::KubeRs)?,
            Library::ClientGo => {
                let mut command = Command::new(go_bin);
                command.arg(match workload {
                    Workload::Informer => "informer",
                    Workload::Requests => "requests",
                    Workload::Streams => "streams",
                    Workload::Controller => "controller",
                });
                command
            }
        };
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        Ok(command)
    }
}
