//! Channels as tokio I/O: [`ChannelReader`] reads one channel's incoming data,
//! [`ChannelWriter`] sends data on one channel.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_util::sync::PollSender;

use super::protocol::{close_frame, data_frame};
use super::session::Session;

/// The most one write sends in one message; larger writes are split.
pub(crate) const MAX_WRITE: usize = 64 * 1024;

/// One item of a channel's incoming queue: data, or an error the server reported for the
/// channel.
pub(crate) type Incoming = io::Result<Bytes>;

/// Why a session broke, set before its queues close: a reader that finds its queue closed
/// reports this instead of an end of file (a queue may be too full to take the error itself).
pub(crate) type Failure = Arc<OnceLock<String>>;

/// Reads one channel (stdout, stderr, a forwarded port). End of file when the session ends
/// normally; an error when it broke (so a truncated output is never mistaken for a whole one)
/// or when the server reported one for this channel.
#[derive(Debug)]
pub struct ChannelReader {
    queue: mpsc::Receiver<Incoming>,
    chunk: Bytes,
    failure: Failure,
    _session: Arc<Session>,
}

impl ChannelReader {
    pub(crate) fn new(queue: mpsc::Receiver<Incoming>, failure: Failure, session: Arc<Session>) -> Self {
        ChannelReader { queue, chunk: Bytes::new(), failure, _session: session }
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.chunk.is_empty() {
                let n = self.chunk.len().min(buf.remaining());
                buf.put_slice(&self.chunk[..n]);
                self.chunk.advance(n);
                return Poll::Ready(Ok(()));
            }
            match ready!(self.queue.poll_recv(cx)) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Poll::Ready(Err(error)),
                None => {
                    return Poll::Ready(match self.failure.get() {
                        Some(failure) => Err(io::Error::new(io::ErrorKind::ConnectionAborted, failure.clone())),
                        None => Ok(()),
                    });
                }
            }
        }
    }
}

/// What closing a writer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnClose {
    /// Send the `v5.channel.k8s.io` close message: the server's side reads end of file.
    Signal,
    /// Nothing can be sent (`v4.channel.k8s.io`): shutting down fails, naming why.
    Unsupported,
    /// Nothing is sent (port-forward): only this side stops writing.
    Silent,
}

/// Writes one channel (stdin, a forwarded port). `shutdown` closes the channel (see
/// [`ChannelProtocol::can_close_channels`](super::ChannelProtocol::can_close_channels));
/// dropping a stdin writer closes it too. Each write is queued as one message of at most
/// 64 KiB; `flush` has nothing to do.
#[derive(Debug)]
pub struct ChannelWriter {
    channel: u8,
    queue: PollSender<Bytes>,
    on_close: OnClose,
    closed: bool,
    _session: Arc<Session>,
}

impl ChannelWriter {
    pub(crate) fn new(channel: u8, queue: mpsc::Sender<Bytes>, on_close: OnClose, session: Arc<Session>) -> Self {
        ChannelWriter { channel, queue: PollSender::new(queue), on_close, closed: false, _session: session }
    }

    fn gone() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "the streaming connection is closed")
    }
}

impl AsyncWrite for ChannelWriter {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.closed {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "this channel was closed for writing")));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(self.queue.poll_reserve(cx)).map_err(|_| Self::gone())?;
        let n = buf.len().min(MAX_WRITE);
        let frame = data_frame(self.channel, &buf[..n]);
        self.queue.send_item(frame).map_err(|_| Self::gone())?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.closed {
            return Poll::Ready(Ok(()));
        }
        match self.on_close {
            OnClose::Silent => {}
            OnClose::Unsupported => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "the server speaks v4.channel.k8s.io, which cannot close stdin (v5.channel.k8s.io can)",
                )));
            }
            OnClose::Signal => {
                ready!(self.queue.poll_reserve(cx)).map_err(|_| Self::gone())?;
                let frame = close_frame(self.channel);
                self.queue.send_item(frame).map_err(|_| Self::gone())?;
            }
        }
        self.closed = true;
        Poll::Ready(Ok(()))
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        if self.closed || self.on_close != OnClose::Signal {
            return;
        }
        let Some(queue) = self.queue.get_ref().cloned() else { return };
        let frame = close_frame(self.channel);
        if let Err(mpsc::error::TrySendError::Full(frame)) = queue.try_send(frame) {
            // The queue is full of this writer's data: close after it, from a task.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { queue.send(frame).await });
            }
        }
    }
}
