//! An event recorder on `events.k8s.io/v1` (client-go's `tools/events`): what a controller did,
//! for the people looking at the objects it did it to.
//!
//! - [`reference`](mod@reference): what users record ([`EventRecord`]): the object regarded and a related
//!   one, type, reason, action and note;
//! - [`object`]: the Event object written for a record (names, the API's length limits);
//! - [`series`]: identical records within the series window become one Event whose
//!   `series.count` grows (client-go's event series);
//! - [`spam_filter`]: a token bucket per object regarded, for new Events (client-go's legacy
//!   recorder's spam filter: burst 25, one more every 5 minutes);
//! - [`recorder`]: [`EventRecorder`]: recording never blocks; a bounded queue feeds one task
//!   that writes, and a full queue drops the record and counts it.

pub mod object;
pub mod recorder;
pub mod reference;
pub mod series;
pub mod spam_filter;

pub use recorder::{EventRecorder, EventRecorderConfig, RecorderStats};
pub use reference::{EventRecord, EventReference, EventType};
