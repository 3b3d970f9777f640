//! Watch streams: the events of `?watch=true`, typed, decoded as they arrive.

mod event;
mod proto_stream;
mod stream;

pub use event::{Bookmark, INITIAL_EVENTS_END, WatchEvent};
pub use proto_stream::{ProtoEventStream, decode_proto_events};
pub use stream::{EventStream, decode_events};
