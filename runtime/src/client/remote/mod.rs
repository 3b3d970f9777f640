//! Streaming subresources over websockets: `exec`, `attach` and `portforward`.
//!
//! The client opens a websocket to the API server (an HTTP/1.1 upgrade with the client's TLS
//! and credentials, `connect.rs`), offering `v5.channel.k8s.io` then `v4.channel.k8s.io`
//! ([`ChannelProtocol`], `protocol.rs`). A session (`session.rs`) then runs two tasks: one reads
//! messages and hands each channel's data to a bounded queue, one writes the frames the
//! caller's handles queue, pinging so that a dead peer is noticed ([`Keepalive`]).
//! [`ChannelReader`] and [`ChannelWriter`] are those queues as tokio I/O.
//!
//! - exec and attach (`process.rs`): [`AttachParams`] in; [`AttachedProcess`] out, with stdin,
//!   stdout, stderr, a [`TerminalResizer`] and the [`ExitStatus`] read from the error
//!   channel's `Status` (a non-zero exit is a status, not an error; a broken connection is
//!   [`Error::Stream`](crate::Error::Stream)).
//! - port-forward (`portforward.rs`): [`PortForwarder`] with one [`PortStream`] per port;
//!   [`LocalForward`] (`local.rs`) listens locally and forwards each connection.
//! - `api.rs`: the methods on [`Api`](crate::Api), bounded on the subresource marker traits.

mod api;
mod channel_io;
mod connect;
mod local;
mod portforward;
mod process;
mod protocol;
mod session;

pub use channel_io::{ChannelReader, ChannelWriter};
pub(crate) use connect::UpgradeHttp;
pub use local::LocalForward;
pub use portforward::{MAX_PORTS, PortForwarder, PortStream};
pub use process::{AttachParams, AttachedProcess, ExitStatus, Output, TerminalResizer, TerminalSize};
pub use protocol::ChannelProtocol;
pub use session::Keepalive;
