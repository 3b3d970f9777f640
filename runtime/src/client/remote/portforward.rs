//! port-forward: one websocket per request, one bidirectional stream per port.
//!
//! Over websockets each port of the request gets a data channel (`2i`) and an error channel
//! (`2i+1`), and the kubelet connects each port once, for the life of the websocket: one TCP
//! connection per port per request (to forward many connections, open a request for each, as
//! [`Api::forward_local`](crate::Api::forward_local) does). The protocol cannot half-close: a
//! [`PortStream`]'s `shutdown` only stops this side's writes, and the Pod's side sees the end
//! when the session ends.

use std::collections::HashSet;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{mpsc, oneshot};

use super::channel_io::{ChannelReader, ChannelWriter, Failure, Incoming, OnClose};
use super::connect::Connection;
use super::session::{self, Demux, INCOMING_QUEUE, Keepalive, Session};
use crate::client::Error;

/// The most ports one request forwards: channel `2i+1` must stay below 255 (the close
/// marker).
pub const MAX_PORTS: usize = 127;
/// The most of a port's error channel kept.
const MAX_ERROR: usize = 64 * 1024;

/// Checks the ports of a port-forward request, naming what is wrong.
pub(crate) fn validate_ports(ports: &[u16]) -> Result<(), Error> {
    if ports.is_empty() {
        return Err(Error::InvalidRequest("a port-forward needs at least one port".into()));
    }
    if ports.len() > MAX_PORTS {
        return Err(Error::InvalidRequest(format!(
            "a port-forward takes at most {MAX_PORTS} ports, got {}",
            ports.len()
        )));
    }
    if ports.contains(&0) {
        return Err(Error::InvalidRequest("port 0 cannot be forwarded".into()));
    }
    let mut seen = HashSet::new();
    if let Some(port) = ports.iter().find(|port| !seen.insert(**port)) {
        return Err(Error::InvalidRequest(format!("port {port} is listed twice")));
    }
    Ok(())
}

/// An open port-forward: a [`PortStream`] per port, and the session's end.
#[derive(Debug)]
pub struct PortForwarder {
    ports: Vec<u16>,
    streams: Vec<Option<PortStream>>,
    done: oneshot::Receiver<Result<(), Error>>,
    context: String,
    session: Arc<Session>,
}

impl PortForwarder {
    pub(crate) fn start(connection: Connection, ports: &[u16], keepalive: Keepalive) -> Self {
        let Connection { ws, context, .. } = connection;
        let mut readers = Vec::with_capacity(ports.len());
        let mut targets = Vec::with_capacity(ports.len());
        for &port in ports {
            let (sender, receiver) = mpsc::channel(INCOMING_QUEUE);
            readers.push(receiver);
            targets.push(PortTarget {
                port,
                data: Some(sender),
                data_prefix: PortPrefix::default(),
                error_prefix: PortPrefix::default(),
                error: Vec::new(),
            });
        }
        let (done_sender, done) = oneshot::channel();
        let failure = Failure::default();
        let demux = PortDemux { ports: targets, done: done_sender, failure: failure.clone() };
        let (session, outgoing) = session::start(ws, demux, keepalive, context.clone());
        let streams = ports
            .iter()
            .zip(readers)
            .enumerate()
            .map(|(index, (&port, receiver))| {
                // validate_ports keeps index below MAX_PORTS, so the channel fits in a byte.
                let channel = u8::try_from(2 * index).unwrap_or(u8::MAX);
                Some(PortStream {
                    port,
                    reader: ChannelReader::new(receiver, failure.clone(), session.clone()),
                    writer: ChannelWriter::new(channel, outgoing.clone(), OnClose::Silent, session.clone()),
                })
            })
            .collect();
        PortForwarder { ports: ports.to_vec(), streams, done, context, session }
    }

    /// The ports, in the order asked.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The stream of `port`, if it was asked for and is not taken yet.
    pub fn take_stream(&mut self, port: u16) -> Option<PortStream> {
        let index = self.ports.iter().position(|asked| *asked == port)?;
        self.streams.get_mut(index)?.take()
    }

    /// Waits until the session ends: `Ok` when the server closed it normally and no port
    /// reported an error; else the first port's error or the connection's.
    pub async fn join(self) -> Result<(), Error> {
        let PortForwarder { done, context, session, streams, .. } = self;
        // Streams not taken are not read: drop them so they do not stall the session.
        drop(streams);
        let result = done.await.unwrap_or_else(|_| {
            Err(Error::Stream { context, message: "the session's task ended without a result".into(), source: None })
        });
        drop(session);
        result
    }

    /// Ends the session now: the connection is closed, whatever streams remain.
    pub fn abort(self) {
        self.session.close();
    }
}

/// One forwarded port: read what the Pod's side sends, write what it receives.
///
/// Reads end with end of file when the session ends normally, and fail when it broke or the
/// kubelet reported an error for this port (it could not connect to it, say).
#[derive(Debug)]
pub struct PortStream {
    port: u16,
    reader: ChannelReader,
    writer: ChannelWriter,
}

impl PortStream {
    /// The Pod's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The read and write halves, to use from different tasks.
    pub fn into_split(self) -> (ChannelReader, ChannelWriter) {
        (self.reader, self.writer)
    }
}

impl AsyncRead for PortStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}

impl AsyncWrite for PortStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.writer).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.writer).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.writer).poll_shutdown(cx)
    }
}

/// The two bytes (the port, little-endian) that start each of a port's channels.
#[derive(Debug, Default)]
struct PortPrefix {
    seen: BytesMut,
    done: bool,
}

impl PortPrefix {
    /// Consumes the prefix from the start of `data` and returns the rest; an error if the
    /// prefix names another port.
    fn strip(&mut self, mut data: Bytes, port: u16, what: &str) -> Result<Bytes, String> {
        if self.done {
            return Ok(data);
        }
        let take = (2 - self.seen.len()).min(data.len());
        self.seen.extend_from_slice(&data[..take]);
        data.advance(take);
        if self.seen.len() == 2 {
            self.done = true;
            let announced = u16::from_le_bytes([self.seen[0], self.seen[1]]);
            if announced != port {
                return Err(format!("the {what} channel of port {port} started with port {announced}"));
            }
        }
        Ok(data)
    }
}

/// One port's incoming side.
struct PortTarget {
    port: u16,
    data: Option<mpsc::Sender<Incoming>>,
    data_prefix: PortPrefix,
    error_prefix: PortPrefix,
    error: Vec<u8>,
}

struct PortDemux {
    ports: Vec<PortTarget>,
    done: oneshot::Sender<Result<(), Error>>,
    failure: Failure,
}

impl Demux for PortDemux {
    async fn deliver(&mut self, channel: u8, data: Bytes) -> Result<(), String> {
        let index = usize::from(channel / 2);
        let Some(target) = self.ports.get_mut(index) else {
            return Err(format!("the server wrote on channel {channel}, which belongs to no port"));
        };
        let port = target.port;
        if channel % 2 == 1 {
            let text = target.error_prefix.strip(data, port, "error")?;
            if target.error.len() + text.len() > MAX_ERROR {
                return Err(format!("the error channel of port {port} carried more than {MAX_ERROR} bytes"));
            }
            target.error.extend_from_slice(&text);
            if !text.is_empty()
                && let Some(sender) = &target.data
            {
                let message = format!("port {port}: {}", String::from_utf8_lossy(&text));
                let _ = sender.send(Err(io::Error::other(message))).await;
            }
            return Ok(());
        }
        let data = target.data_prefix.strip(data, port, "data")?;
        if data.is_empty() {
            return Ok(());
        }
        if let Some(sender) = &target.data
            && sender.send(Ok(data)).await.is_err()
        {
            target.data = None;
        }
        Ok(())
    }

    fn finish(self, end: Result<(), Error>) {
        let PortDemux { mut ports, done, failure } = self;
        let mut result = end;
        if let Err(broken) = &result {
            // Set before the queues close (below): readers report it instead of an end of file.
            let _ = failure.set(broken.to_string());
        }
        for target in &mut ports {
            target.data = None;
        }
        if result.is_ok()
            && let Some(target) = ports.iter().find(|target| !target.error.is_empty())
        {
            result = Err(Error::Stream {
                context: format!("port-forward to port {}", target.port),
                message: String::from_utf8_lossy(&target.error).into_owned(),
                source: None,
            });
        }
        let _ = done.send(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_checked() {
        assert!(validate_ports(&[80, 443]).is_ok());
        assert!(validate_ports(&[]).is_err());
        assert!(validate_ports(&[0]).is_err());
        assert!(validate_ports(&[80, 80]).expect_err("duplicate").to_string().contains("twice"));
        assert!(validate_ports(&(1..=128).collect::<Vec<_>>()).is_err());
        assert!(validate_ports(&(1..=127).collect::<Vec<_>>()).is_ok());
    }

    #[test]
    fn the_port_prefix_may_arrive_in_pieces() {
        let mut prefix = PortPrefix::default();
        let port: u16 = 8080;
        let [low, high] = port.to_le_bytes();
        assert_eq!(prefix.strip(Bytes::from(vec![low]), port, "data").expect("first byte"), Bytes::new());
        assert_eq!(prefix.strip(Bytes::from(vec![high, b'h', b'i']), port, "data").expect("rest"), &b"hi"[..]);
        assert_eq!(prefix.strip(Bytes::from_static(b"more"), port, "data").expect("data"), &b"more"[..]);
        let mut wrong = PortPrefix::default();
        assert!(wrong.strip(Bytes::from(81u16.to_le_bytes().to_vec()), 80, "data").is_err());
    }
}
