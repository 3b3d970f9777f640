//! The Kubernetes channel protocols over websockets: which subprotocol, and how a frame is
//! laid out.
//!
//! Every binary websocket message starts with one byte naming its channel; the rest is that
//! channel's data (`k8s.io/apimachinery/pkg/util/httpstream/wsstream/conn.go`). For exec and
//! attach, channels are 0 stdin, 1 stdout, 2 stderr, 3 error (a JSON `Status` when the command
//! ends) and 4 resize (JSON `{"Width","Height"}`); `v5.channel.k8s.io` adds the message
//! `[255, channel]` that closes a channel, so stdin can reach EOF
//! (`k8s.io/apimachinery/pkg/util/remotecommand/constants.go`). For port-forward, port `i` of
//! the request has data channel `2i` and error channel `2i+1`, and the server's first message
//! on each is the port number, two bytes little-endian
//! (`k8s.io/kubelet/pkg/cri/streaming/portforward/websocket.go`).

use bytes::{BufMut, Bytes, BytesMut};

/// Channel of a command's standard input.
pub(crate) const STDIN: u8 = 0;
/// Channel of a command's standard output.
pub(crate) const STDOUT: u8 = 1;
/// Channel of a command's standard error.
pub(crate) const STDERR: u8 = 2;
/// Channel of the final `Status` (exec, attach).
pub(crate) const ERROR: u8 = 3;
/// Channel of terminal resizes.
pub(crate) const RESIZE: u8 = 4;
/// First byte of the `v5.channel.k8s.io` message that closes the channel in its second byte.
pub(crate) const CLOSE: u8 = 255;

/// A websocket subprotocol of the Kubernetes channel protocol family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelProtocol {
    /// `v5.channel.k8s.io` (Kubernetes 1.30 and later): v4 and a message closing one channel,
    /// so stdin can be closed. kube-apiserver speaks it itself and translates to the kubelet.
    V5,
    /// `v4.channel.k8s.io`: channels and a JSON `Status` with the exit code on the error
    /// channel; stdin cannot be closed. kube-apiserver passes it through to the kubelet.
    /// Port-forward over websockets speaks only this one.
    V4,
}

impl ChannelProtocol {
    /// The subprotocol's name, as sent in `Sec-WebSocket-Protocol`.
    pub fn name(self) -> &'static str {
        match self {
            ChannelProtocol::V5 => "v5.channel.k8s.io",
            ChannelProtocol::V4 => "v4.channel.k8s.io",
        }
    }

    /// The protocol named `name`, if it is one this client speaks.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [ChannelProtocol::V5, ChannelProtocol::V4].into_iter().find(|protocol| protocol.name() == name)
    }

    /// Whether a channel can be closed (stdin reaches EOF).
    pub fn can_close_channels(self) -> bool {
        self == ChannelProtocol::V5
    }
}

impl std::fmt::Display for ChannelProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A data message: the channel byte, then `data`.
pub(crate) fn data_frame(channel: u8, data: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(data.len() + 1);
    frame.put_u8(channel);
    frame.put_slice(data);
    frame.freeze()
}

/// The `v5.channel.k8s.io` message that closes `channel`.
pub(crate) fn close_frame(channel: u8) -> Bytes {
    Bytes::copy_from_slice(&[CLOSE, channel])
}

/// The resize message: `{"Width":w,"Height":h}` on the resize channel, as the API server's
/// decoder of `remotecommand.TerminalSize` reads it.
pub(crate) fn resize_frame(width: u16, height: u16) -> Bytes {
    data_frame(RESIZE, format!("{{\"Width\":{width},\"Height\":{height}}}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_start_with_their_channel() {
        assert_eq!(&data_frame(STDIN, b"ls\n")[..], b"\x00ls\n");
        assert_eq!(&close_frame(STDIN)[..], &[255, 0]);
        assert_eq!(&resize_frame(80, 24)[..], b"\x04{\"Width\":80,\"Height\":24}");
    }

    #[test]
    fn protocols_by_name() {
        assert_eq!(ChannelProtocol::from_name("v5.channel.k8s.io"), Some(ChannelProtocol::V5));
        assert_eq!(ChannelProtocol::from_name("v4.channel.k8s.io"), Some(ChannelProtocol::V4));
        assert_eq!(ChannelProtocol::from_name("channel.k8s.io"), None);
        assert!(ChannelProtocol::V5.can_close_channels() && !ChannelProtocol::V4.can_close_channels());
    }
}
