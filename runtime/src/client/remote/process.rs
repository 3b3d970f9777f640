//! exec and attach: [`AttachParams`] in, [`AttachedProcess`] out, [`ExitStatus`] at the end.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

use super::channel_io::{ChannelReader, ChannelWriter, Failure, Incoming, OnClose};
use super::connect::Connection;
use super::protocol::{self, ChannelProtocol};
use super::session::{self, Demux, INCOMING_QUEUE, Keepalive, Session};
use crate::client::Error;
use crate::client::request::PathBuilder;
use crate::types::Status;

/// The `Status` reason of a command that exited with a non-zero code
/// (`k8s.io/apimachinery/pkg/util/remotecommand`).
const NON_ZERO_EXIT_CODE: &str = "NonZeroExitCode";
/// The `StatusCause` reason that carries the exit code.
const EXIT_CODE_CAUSE: &str = "ExitCode";
/// The most of the error channel kept (a `Status` is a few hundred bytes).
const MAX_STATUS: usize = 64 * 1024;

/// Which streams an exec or attach session has, and how it keeps alive.
///
/// By default stdout and stderr, no stdin, no TTY, offering `v5.channel.k8s.io` then
/// `v4.channel.k8s.io`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachParams {
    /// The container; needed when the Pod has several.
    pub container: Option<String>,
    /// Send stdin ([`AttachedProcess::stdin`]).
    pub stdin: bool,
    /// Receive stdout ([`AttachedProcess::stdout`]).
    pub stdout: bool,
    /// Receive stderr ([`AttachedProcess::stderr`]); not with a TTY, whose one output is stdout.
    pub stderr: bool,
    /// Allocate a terminal: one output stream, and resizes ([`AttachedProcess::resizer`]).
    pub tty: bool,
    /// The channel protocols to offer, preferred first.
    pub protocols: Vec<ChannelProtocol>,
    /// Pings and the idle timeout that detects a dead connection.
    pub keepalive: Keepalive,
}

impl Default for AttachParams {
    fn default() -> Self {
        AttachParams {
            container: None,
            stdin: false,
            stdout: true,
            stderr: true,
            tty: false,
            protocols: vec![ChannelProtocol::V5, ChannelProtocol::V4],
            keepalive: Keepalive::default(),
        }
    }
}

impl AttachParams {
    /// An interactive terminal: stdin, stdout and a TTY (no stderr: the terminal has one
    /// output).
    pub fn interactive_tty() -> Self {
        AttachParams { stdin: true, stdout: true, stderr: false, tty: true, ..AttachParams::default() }
    }

    /// In `container`.
    pub fn container(mut self, container: &str) -> Self {
        self.container = Some(container.to_owned());
        self
    }

    /// With or without stdin.
    pub fn stdin(mut self, enabled: bool) -> Self {
        self.stdin = enabled;
        self
    }

    /// With or without stdout.
    pub fn stdout(mut self, enabled: bool) -> Self {
        self.stdout = enabled;
        self
    }

    /// With or without stderr.
    pub fn stderr(mut self, enabled: bool) -> Self {
        self.stderr = enabled;
        self
    }

    /// With or without a TTY; a TTY turns stderr off (its one output is stdout).
    pub fn tty(mut self, enabled: bool) -> Self {
        self.tty = enabled;
        if enabled {
            self.stderr = false;
        }
        self
    }

    /// Offering only `protocols`, preferred first (for example only
    /// [`ChannelProtocol::V4`] for an API server older than 1.30).
    pub fn protocols(mut self, protocols: &[ChannelProtocol]) -> Self {
        self.protocols = protocols.to_vec();
        self
    }

    /// With these keepalive settings.
    pub fn keepalive(mut self, keepalive: Keepalive) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Checks the combination, naming what is wrong.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !(self.stdin || self.stdout || self.stderr) {
            return Err(Error::InvalidRequest("an exec or attach needs at least one of stdin, stdout, stderr".into()));
        }
        if self.tty && self.stderr {
            return Err(Error::InvalidRequest("a TTY has one output (stdout): turn stderr off".into()));
        }
        Ok(())
    }

    /// Adds the query of `PodExecOptions`/`PodAttachOptions`; every flag is explicit (the
    /// server's defaults differ per flag).
    pub(crate) fn populate(&self, query: &mut PathBuilder) {
        query.optional("container", self.container.as_deref());
        let flag = |enabled: bool| if enabled { "true" } else { "false" };
        query
            .param("stdin", flag(self.stdin))
            .param("stdout", flag(self.stdout))
            .param("stderr", flag(self.stderr))
            .param("tty", flag(self.tty));
    }
}

/// How a command (or an attach session) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exit code 0 (for attach: the session ended normally).
    Success,
    /// The command exited with this code (the server's `NonZeroExitCode` status).
    NonZeroExitCode(i32),
}

impl ExitStatus {
    /// Whether the command succeeded.
    pub fn success(&self) -> bool {
        *self == ExitStatus::Success
    }

    /// The exit code: 0 for success.
    pub fn code(&self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::NonZeroExitCode(code) => *code,
        }
    }
}

/// A terminal's size in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TerminalSize {
    /// Columns.
    pub width: u16,
    /// Rows.
    pub height: u16,
}

/// Resizes the terminal of a TTY session. Clones share the session.
#[derive(Clone, Debug)]
pub struct TerminalResizer {
    queue: mpsc::Sender<Bytes>,
    _session: Arc<Session>,
}

impl TerminalResizer {
    /// Tells the process its terminal is now `size`.
    pub async fn resize(&self, size: TerminalSize) -> Result<(), Error> {
        self.queue.send(protocol::resize_frame(size.width, size.height)).await.map_err(|_| Error::Stream {
            context: "resizing the terminal".into(),
            message: "the session is over".into(),
            source: None,
        })
    }
}

/// What a finished command wrote, and how it ended ([`AttachedProcess::output`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// Everything on stdout.
    pub stdout: Vec<u8>,
    /// Everything on stderr.
    pub stderr: Vec<u8>,
    /// How it ended.
    pub status: ExitStatus,
}

/// A running exec or attach session: its streams, its terminal, and its end.
///
/// Take the streams you asked for with [`stdin`](Self::stdin), [`stdout`](Self::stdout),
/// [`stderr`](Self::stderr) and use them concurrently; read what you take (each output's queue
/// is bounded, and a full one stalls the whole session) or drop it (its data is discarded).
/// [`status`](Self::status) waits for the end. Dropping every handle ends the session.
#[derive(Debug)]
pub struct AttachedProcess {
    stdin: Option<ChannelWriter>,
    stdout: Option<ChannelReader>,
    stderr: Option<ChannelReader>,
    resizer: Option<TerminalResizer>,
    status: oneshot::Receiver<Result<ExitStatus, Error>>,
    protocol: ChannelProtocol,
    context: String,
    session: Arc<Session>,
}

impl AttachedProcess {
    /// Starts the session on an open connection.
    pub(crate) fn start(connection: Connection, params: &AttachParams) -> Self {
        let Connection { ws, protocol, context } = connection;
        let (stdout_queue, stdout) = optional_queue(params.stdout);
        let (stderr_queue, stderr) = optional_queue(params.stderr);
        let (status_sender, status) = oneshot::channel();
        let failure = Failure::default();
        let demux = ProcessDemux {
            stdout: stdout_queue,
            stderr: stderr_queue,
            error: Vec::new(),
            status: status_sender,
            failure: failure.clone(),
            context: context.clone(),
        };
        let (session, outgoing) = session::start(ws, demux, params.keepalive, context.clone());
        let on_close = if protocol.can_close_channels() { OnClose::Signal } else { OnClose::Unsupported };
        AttachedProcess {
            stdin: params
                .stdin
                .then(|| ChannelWriter::new(protocol::STDIN, outgoing.clone(), on_close, session.clone())),
            stdout: stdout.map(|queue| ChannelReader::new(queue, failure.clone(), session.clone())),
            stderr: stderr.map(|queue| ChannelReader::new(queue, failure.clone(), session.clone())),
            resizer: params.tty.then(|| TerminalResizer { queue: outgoing.clone(), _session: session.clone() }),
            status,
            protocol,
            context,
            session,
        }
    }

    /// The subprotocol the server chose.
    pub fn protocol(&self) -> ChannelProtocol {
        self.protocol
    }

    /// Stdin, if asked for and not taken yet. `shutdown` (or dropping it) closes the process's
    /// stdin with `v5.channel.k8s.io`; with `v4.channel.k8s.io` shutting down fails, as that
    /// protocol cannot say it.
    pub fn stdin(&mut self) -> Option<ChannelWriter> {
        self.stdin.take()
    }

    /// Stdout (with a TTY, the terminal's output), if asked for and not taken yet.
    pub fn stdout(&mut self) -> Option<ChannelReader> {
        self.stdout.take()
    }

    /// Stderr, if asked for and not taken yet.
    pub fn stderr(&mut self) -> Option<ChannelReader> {
        self.stderr.take()
    }

    /// Resizes the terminal, with a TTY.
    pub fn resizer(&mut self) -> Option<TerminalResizer> {
        self.resizer.take()
    }

    /// Waits for the end. `Ok` with the exit status when the command ended (a non-zero code
    /// is [`ExitStatus::NonZeroExitCode`], not an error); [`Error::Api`] when the server
    /// reported another failure (the container runtime's error, say); [`Error::Stream`] when
    /// the connection broke, timed out or closed without a status.
    pub async fn status(self) -> Result<ExitStatus, Error> {
        let AttachedProcess { status, context, session, .. } = self;
        let result = status.await.unwrap_or_else(|_| {
            Err(Error::Stream { context, message: "the session's task ended without a result".into(), source: None })
        });
        drop(session);
        result
    }

    /// Reads stdout and stderr to their ends (those not taken yet), then waits for the end,
    /// as `std::process::Child::wait_with_output`. Stdin, if not taken, is closed first.
    pub async fn output(mut self) -> Result<Output, Error> {
        drop(self.stdin.take());
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let (stdout, stderr) = tokio::try_join!(read_all(stdout), read_all(stderr)).map_err(|error| Error::Stream {
            context: self.context.clone(),
            message: format!("reading the output: {error}"),
            source: Some(Box::new(error)),
        })?;
        let status = self.status().await?;
        Ok(Output { stdout, stderr, status })
    }

    /// Ends the session now: the connection is closed, whatever handles remain.
    pub fn abort(self) {
        self.session.close();
    }
}

async fn read_all(reader: Option<ChannelReader>) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    if let Some(mut reader) = reader {
        reader.read_to_end(&mut all).await?;
    }
    Ok(all)
}

fn optional_queue(enabled: bool) -> (Option<mpsc::Sender<Incoming>>, Option<mpsc::Receiver<Incoming>>) {
    if enabled {
        let (sender, receiver) = mpsc::channel(INCOMING_QUEUE);
        (Some(sender), Some(receiver))
    } else {
        (None, None)
    }
}

/// Routes an exec or attach session's channels: stdout and stderr to their readers, the error
/// channel into a buffer read as the final `Status`.
struct ProcessDemux {
    stdout: Option<mpsc::Sender<Incoming>>,
    stderr: Option<mpsc::Sender<Incoming>>,
    error: Vec<u8>,
    status: oneshot::Sender<Result<ExitStatus, Error>>,
    failure: Failure,
    context: String,
}

impl Demux for ProcessDemux {
    async fn deliver(&mut self, channel: u8, data: Bytes) -> Result<(), String> {
        let queue = match channel {
            protocol::STDOUT => &mut self.stdout,
            protocol::STDERR => &mut self.stderr,
            protocol::ERROR => {
                if self.error.len() + data.len() > MAX_STATUS {
                    return Err(format!("the error channel carried more than {MAX_STATUS} bytes"));
                }
                self.error.extend_from_slice(&data);
                return Ok(());
            }
            // Channel 255 closes a channel of ours (nothing to do: the readers end with the
            // session); other channels are not the server's to write.
            protocol::CLOSE => return Ok(()),
            other => return Err(format!("the server wrote on channel {other}, which is not an output channel")),
        };
        if data.is_empty() {
            // The server's first message is an empty one on the first output channel.
            return Ok(());
        }
        if let Some(sender) = queue
            && sender.send(Ok(data)).await.is_err()
        {
            // The reader was dropped: its data is discarded from now on.
            *queue = None;
        }
        Ok(())
    }

    fn finish(self, end: Result<(), Error>) {
        let ProcessDemux { stdout, stderr, error, status, failure, context } = self;
        if let Err(broken) = &end {
            // The outputs may be cut short: their readers report this instead of an end of
            // file (set before the queues close, below).
            let _ = failure.set(broken.to_string());
        }
        drop((stdout, stderr));
        let _ = status.send(exit_status(&error, end, &context));
    }
}

/// The exit status from the error channel's `Status` and how the connection ended. A status
/// that arrived counts even if the connection broke afterwards.
fn exit_status(error_channel: &[u8], end: Result<(), Error>, context: &str) -> Result<ExitStatus, Error> {
    if error_channel.is_empty() {
        end?;
        return Err(Error::Stream {
            context: context.to_owned(),
            message: "the connection closed without the command's exit status".to_owned(),
            source: None,
        });
    }
    let status: Status = serde_json::from_slice(error_channel).map_err(|error| Error::Stream {
        context: context.to_owned(),
        message: format!(
            "the error channel does not hold a Status ({error}): {}",
            String::from_utf8_lossy(&error_channel[..error_channel.len().min(1000)])
        ),
        source: None,
    })?;
    match (status.status.as_deref(), status.reason.as_deref()) {
        (Some("Success"), _) => Ok(ExitStatus::Success),
        (_, Some(NON_ZERO_EXIT_CODE)) => {
            let code = status
                .details
                .as_ref()
                .and_then(|details| details.causes.as_ref())
                .and_then(|causes| causes.iter().find(|cause| cause.reason.as_deref() == Some(EXIT_CODE_CAUSE)))
                .and_then(|cause| cause.message.as_deref()?.trim().parse::<i32>().ok());
            match code {
                Some(code) => Ok(ExitStatus::NonZeroExitCode(code)),
                None => Err(Error::Stream {
                    context: context.to_owned(),
                    message: format!("a NonZeroExitCode status without a readable exit code: {:?}", status.message),
                    source: None,
                }),
            }
        }
        _ => {
            let code = status.code.and_then(|code| u16::try_from(code).ok()).filter(|code| *code != 0).unwrap_or(500);
            let (method, url) = context.split_once(' ').unwrap_or(("GET", context));
            Err(Error::Api(Box::new(crate::client::ApiError {
                method: method.to_owned(),
                url: url.to_owned(),
                code,
                status,
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: &str = "GET https://x/api/v1/namespaces/a/pods/b/exec";

    fn broken() -> Result<(), Error> {
        Err(Error::Stream { context: CONTEXT.into(), message: "the connection broke".into(), source: None })
    }

    #[test]
    fn statuses_become_exit_statuses() {
        let success = br#"{"metadata":{},"status":"Success"}"#;
        assert_eq!(exit_status(success, Ok(()), CONTEXT).expect("success"), ExitStatus::Success);
        // A status that arrived wins over a connection that broke afterwards.
        assert_eq!(exit_status(success, broken(), CONTEXT).expect("success"), ExitStatus::Success);
        let exit = br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#;
        assert_eq!(exit_status(exit, Ok(()), CONTEXT).expect("exit"), ExitStatus::NonZeroExitCode(3));
    }

    #[test]
    fn other_failures_are_api_errors_and_a_missing_status_is_a_stream_error() {
        let internal = br#"{"metadata":{},"status":"Failure","message":"error executing command in container: boom","reason":"InternalError","code":500}"#;
        let error = exit_status(internal, Ok(()), CONTEXT).expect_err("internal error");
        assert_eq!(error.code(), Some(500));
        assert!(error.to_string().contains("boom"), "{error}");

        let error = exit_status(b"", Ok(()), CONTEXT).expect_err("no status");
        assert!(matches!(error, Error::Stream { .. }) && error.to_string().contains("without"), "{error}");
        let error = exit_status(b"", broken(), CONTEXT).expect_err("broken");
        assert!(error.to_string().contains("broke"), "{error}");
        let error = exit_status(b"not json", Ok(()), CONTEXT).expect_err("garbage");
        assert!(error.to_string().contains("not json"), "{error}");
        let no_code = br#"{"status":"Failure","reason":"NonZeroExitCode"}"#;
        assert!(exit_status(no_code, Ok(()), CONTEXT).is_err());
    }

    #[test]
    fn params_validate_and_populate() {
        assert!(AttachParams::default().validate().is_ok());
        assert!(AttachParams::default().stdout(false).stderr(false).validate().is_err());
        assert!(AttachParams { tty: true, ..AttachParams::default() }.validate().is_err());
        assert!(AttachParams::interactive_tty().validate().is_ok());
        let mut query = PathBuilder::new("/exec".into());
        AttachParams::default().container("app").populate(&mut query);
        assert_eq!(query.build(), "/exec?container=app&stdin=false&stdout=true&stderr=true&tty=false");
    }
}
