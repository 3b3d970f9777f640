//! One websocket session: a task reading messages and handing each channel's data on, a task
//! writing what the caller's handles queue, keepalive pings, and how the session ends.
//!
//! Two tasks, because a session must keep reading while a write waits for the peer: with an
//! echo behind a port-forward, a writer that stopped reading would wait for a peer that waits
//! for it. Both share the websocket through its split halves.
//!
//! Backpressure: each channel's incoming data waits in a bounded queue; when a queue is full the
//! reader waits, so the server's sends stall (websockets have no per-channel flow control:
//! read every channel you asked for, or drop its handle, which discards its data). Outgoing
//! frames wait in one bounded queue; a full queue makes writes wait.
//!
//! Ending: the reader ends the session when the server closes the websocket (normal), when the
//! connection breaks or breaks the protocol, or when no message at all (data, pong) arrived for
//! the idle timeout while pings go out every keepalive interval (a dead peer). Dropping every
//! handle of a session ([`Session`]) sends a close message and gives the server a moment to
//! answer. Either way the writer is stopped and the connection dropped, and the demultiplexer
//! learns how the session ended.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::connect::WebSocket;
use crate::client::Error;

/// Outgoing frames queued ahead of the writer.
pub(crate) const OUTGOING_QUEUE: usize = 16;
/// Messages of one channel queued ahead of its reader.
pub(crate) const INCOMING_QUEUE: usize = 32;
/// How long the server has to answer a close message before the connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// At most this many queued frames are written before a flush.
const WRITE_BATCH: usize = 64;

/// Keepalive and idle settings of a streaming connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keepalive {
    /// A ping goes out this often, so that an idle but live connection keeps receiving
    /// (pongs). Default 5 s, as client-go's websocket executor.
    pub interval: Duration,
    /// The session fails when nothing at all arrived for this long. Default 30 s.
    pub timeout: Duration,
}

impl Default for Keepalive {
    fn default() -> Self {
        Keepalive { interval: Duration::from_secs(5), timeout: Duration::from_secs(30) }
    }
}

/// Where a session's incoming data goes: one implementation per kind of session.
pub(crate) trait Demux: Send + 'static {
    /// Takes one message of `channel`. Waiting applies backpressure; an error (a protocol
    /// violation) ends the session with it.
    fn deliver(&mut self, channel: u8, data: Bytes) -> impl Future<Output = Result<(), String>> + Send;

    /// The session is over: `Ok` when the server closed the websocket, else why it broke.
    fn finish(self, end: Result<(), Error>);
}

/// What the caller's handles share: when the last one is dropped, the session closes.
#[derive(Debug)]
pub(crate) struct Session {
    closed_by_caller: CancellationToken,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.closed_by_caller.cancel();
    }
}

impl Session {
    /// Closes the session now, whatever handles remain.
    pub(crate) fn close(&self) {
        self.closed_by_caller.cancel();
    }
}

/// Starts the reader and writer tasks of `ws`; returns the session the caller's handles share
/// and the sender of outgoing frames (each a channel byte and data).
pub(crate) fn start(
    ws: WebSocket,
    demux: impl Demux,
    keepalive: Keepalive,
    context: String,
) -> (Arc<Session>, mpsc::Sender<Bytes>) {
    let (sink, stream) = ws.split();
    let (outgoing, queued) = mpsc::channel(OUTGOING_QUEUE);
    let closed_by_caller = CancellationToken::new();
    let (report_failure, write_failed) = oneshot::channel();
    let writer = tokio::spawn(write_loop(sink, queued, keepalive.interval, closed_by_caller.clone(), report_failure));
    let ends = Ends { closed_by_caller: closed_by_caller.clone(), write_failed, writer: writer.abort_handle() };
    tokio::spawn(read_loop(stream, demux, keepalive.timeout, ends, context));
    (Arc::new(Session { closed_by_caller }), outgoing)
}

type Sink = futures::stream::SplitSink<WebSocket, Message>;

/// What ends a session besides the server.
struct Ends {
    closed_by_caller: CancellationToken,
    /// The writer's error, if writing failed; closed without one when the writer stops.
    write_failed: oneshot::Receiver<String>,
    writer: AbortHandle,
}

/// Generic over the message stream so that tests can script one.
async fn read_loop<S>(mut stream: S, mut demux: impl Demux, idle_timeout: Duration, mut ends: Ends, context: String)
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let fail = |message: String| Error::Stream { context: context.clone(), message, source: None };
    let mut closing_deadline: Option<Instant> = None;
    let mut writer_running = true;
    let end = loop {
        let deadline = closing_deadline.unwrap_or_else(|| Instant::now() + idle_timeout);
        let next = tokio::select! {
            next = tokio::time::timeout_at(deadline, stream.next()) => next,
            () = ends.closed_by_caller.cancelled(), if closing_deadline.is_none() => {
                // The writer sends the close message; wait a little for the server's answer.
                closing_deadline = Some(Instant::now() + CLOSE_GRACE);
                continue;
            }
            failure = &mut ends.write_failed, if writer_running => match failure {
                Ok(message) => break Err(fail(format!("writing to the connection failed: {message}"))),
                Err(_) => {
                    writer_running = false;
                    continue;
                }
            },
        };
        match next {
            Err(_) if closing_deadline.is_some() => break Err(fail("closed by the caller".to_owned())),
            Err(_) => {
                break Err(fail(format!(
                    "timed out: nothing arrived for {:.1} s (the server or the connection is stuck)",
                    idle_timeout.as_secs_f64()
                )));
            }
            Ok(None) => break Ok(()),
            Ok(Some(Ok(Message::Binary(data)))) => {
                let Some(&channel) = data.first() else { continue };
                if let Err(message) = demux.deliver(channel, data.slice(1..)).await {
                    break Err(fail(message));
                }
            }
            Ok(Some(Ok(Message::Text(_)))) => {
                break Err(fail("the server sent a text message; the binary channel protocols have none".to_owned()));
            }
            // The server's close message ends the session, as it ends the websocket: nothing
            // may follow it (RFC 6455 5.5.1), and gorilla's reader (client-go's) stops there
            // too. Reading on turned a frame sent after the close into tungstenite's "Remote
            // sent after having closed" and failed an exec whose output and status had all
            // arrived (once, through kube-apiserver, in the streams benchmark). The connection
            // is dropped without a close reply; the server has finished with it.
            Ok(Some(Ok(Message::Close(_)))) => break Ok(()),
            // Pings are answered by tungstenite; pongs only prove the peer is alive.
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => {}
            Ok(Some(Err(error))) => break Err(broken(&context, error)),
        }
    };
    ends.writer.abort();
    if let Err(error) = &end {
        tracing::debug!(%error, "streaming session ended");
    }
    demux.finish(end);
}

fn broken(context: &str, error: tokio_tungstenite::tungstenite::Error) -> Error {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    let message = match &error {
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            "the connection closed without a websocket close (the server or a proxy went away)".to_owned()
        }
        WsError::Io(io) => format!("the connection broke: {io}"),
        other => format!("websocket error: {other}"),
    };
    Error::Stream { context: context.to_owned(), message, source: Some(Box::new(error)) }
}

async fn write_loop(
    mut sink: Sink,
    mut queued: mpsc::Receiver<Bytes>,
    keepalive: Duration,
    closed_by_caller: CancellationToken,
    report_failure: oneshot::Sender<String>,
) {
    if let Err(error) = write_frames(&mut sink, &mut queued, keepalive, &closed_by_caller).await {
        tracing::debug!(%error, "writing to a streaming connection failed");
        let _ = report_failure.send(error);
    }
}

async fn write_frames(
    sink: &mut Sink,
    queued: &mut mpsc::Receiver<Bytes>,
    keepalive: Duration,
    closed_by_caller: &CancellationToken,
) -> Result<(), String> {
    let mut pings = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
    pings.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut writers_gone = false;
    loop {
        tokio::select! {
            biased;
            () = closed_by_caller.cancelled() => {
                // Best effort: the reader drops the connection after a grace period anyway.
                let _ = sink.send(Message::Close(None)).await;
                return Ok(());
            }
            frame = queued.recv(), if !writers_gone => {
                let Some(frame) = frame else {
                    // No handle can write any more; the session lives on for reading.
                    writers_gone = true;
                    continue;
                };
                sink.feed(Message::Binary(frame)).await.map_err(|error| error.to_string())?;
                let mut batch = 1;
                while batch < WRITE_BATCH {
                    let Ok(frame) = queued.try_recv() else { break };
                    sink.feed(Message::Binary(frame)).await.map_err(|error| error.to_string())?;
                    batch += 1;
                }
                sink.flush().await.map_err(|error| error.to_string())?;
            }
            _ = pings.tick() => {
                sink.send(Message::Ping(Bytes::new())).await.map_err(|error| error.to_string())?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::ProtocolError;

    use super::*;

    /// What a session delivered, and how it ended.
    type Record = (Vec<(u8, Bytes)>, Option<Result<(), String>>);

    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Record>>);

    impl Demux for Recorder {
        async fn deliver(&mut self, channel: u8, data: Bytes) -> Result<(), String> {
            self.0.lock().expect("not poisoned").0.push((channel, data));
            Ok(())
        }

        fn finish(self, end: Result<(), Error>) {
            self.0.lock().expect("not poisoned").1 = Some(end.map_err(|error| error.to_string()));
        }
    }

    /// Ends of a session whose writer has already stopped without an error.
    fn ends() -> Ends {
        let (_no_failure, write_failed) = oneshot::channel();
        let writer = tokio::spawn(async {});
        Ends { closed_by_caller: CancellationToken::new(), write_failed, writer: writer.abort_handle() }
    }

    async fn run(messages: Vec<Result<Message, WsError>>) -> Record {
        let recorder = Recorder::default();
        let stream = futures::stream::iter(messages);
        read_loop(stream, recorder.clone(), Duration::from_secs(30), ends(), "GET https://x/exec".into()).await;
        recorder.0.lock().expect("not poisoned").clone()
    }

    #[tokio::test]
    async fn the_servers_close_ends_the_session_whatever_follows_it() {
        let record = run(vec![
            Ok(Message::Binary(Bytes::from_static(b"\x01hi"))),
            Ok(Message::Close(None)),
            // What tungstenite reports for a frame the server sent after its close.
            Err(WsError::Protocol(ProtocolError::ReceivedAfterClosing)),
        ])
        .await;
        assert_eq!(record, (vec![(1, Bytes::from_static(b"hi"))], Some(Ok(()))));
    }

    #[tokio::test]
    async fn a_stream_that_breaks_before_any_close_fails_the_session() {
        let record = run(vec![
            Ok(Message::Binary(Bytes::from_static(b"\x02err"))),
            Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)),
        ])
        .await;
        assert_eq!(record.0, [(2, Bytes::from_static(b"err"))]);
        let end = record.1.expect("finished");
        assert!(end.as_ref().is_err_and(|error| error.contains("without a websocket close")), "{end:?}");
    }
}
