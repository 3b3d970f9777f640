//! Watch streams: the events of `?watch=true`, typed, decoded as they arrive.

mod event;
mod stream;

pub use event::{Bookmark, INITIAL_EVENTS_END, WatchEvent};
pub use stream::{EventStream, decode_events};
