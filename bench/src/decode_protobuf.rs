//! Workload 1, protobuf: the same 10,000-Pod list and watch stream as Kubernetes protobuf
//! (written from the JSON fixtures by client-go's serializer, `kubegen-bench-go
//! protofixtures`), decoded by kubegen the way its client decodes a protobuf response
//! (the list through `ListStreamDecoder`, given the whole body at once) or a
//! `;stream=watch` frame (the `WatchEvent`, then its object's envelope and message). Frames are
//! split before the clock starts, as JSON lines are.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kubegen_api::core_v1::Pod;
use kubegen_runtime::Object as _;
use kubegen_runtime::proto::{self, ListStreamDecoder};

use crate::fixtures::KindSet;
use crate::models::Object;
use crate::results::{Better, Record};
use crate::stats;

/// The protobuf PodList fixture.
pub const LIST_FILE: &str = "pods-list.pb";
/// The protobuf watch stream fixture.
pub const WATCH_FILE: &str = "pods-watch.pb";
/// The library name of kubegen's protobuf figures.
pub const LIBRARY: &str = "kubegen (protobuf)";

/// The protobuf fixtures: the list body, and the watch stream's frames.
pub struct Fixtures {
    /// The PodList body.
    pub list: Vec<u8>,
    /// The whole watch stream.
    pub watch: Vec<u8>,
}

impl Fixtures {
    /// Reads both files from `dir`.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).with_context(|| {
                format!("reading {name} (run `kubegen-bench-go protofixtures --fixtures {}`)", dir.display())
            })
        };
        Ok(Self { list: read(LIST_FILE)?, watch: read(WATCH_FILE)? })
    }

    /// The watch stream cut into frames.
    pub fn frames(&self) -> anyhow::Result<Vec<&[u8]>> {
        let mut frames = Vec::new();
        let mut rest = self.watch.as_slice();
        while !rest.is_empty() {
            let Some((header, body)) = rest.split_first_chunk::<4>() else { bail!("{WATCH_FILE}: a cut frame header") };
            let length = u32::from_be_bytes(*header) as usize;
            if body.len() < length {
                bail!("{WATCH_FILE}: a frame of {length} bytes cut short");
            }
            frames.push(&body[..length]);
            rest = &body[length..];
        }
        Ok(frames)
    }
}

/// Decodes the list as `Client` does a protobuf list response (its `ListStreamDecoder`); the
/// time covers decoding only.
pub fn decode_list(bytes: &[u8], set: &KindSet) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut decoder = ListStreamDecoder::<Pod>::new();
    decoder.push(bytes).context("the list")?;
    let items = decoder.finish().context("the list")?.items;
    let elapsed = started.elapsed();
    let checksum: usize = items.iter().map(Object::checksum).sum();
    if items.len() != set.count || checksum != set.checksum {
        bail!("{LIBRARY}: {LIST_FILE} decoded {} items, checksum {checksum}; expected {}", items.len(), set.count);
    }
    drop(items);
    Ok(elapsed)
}

/// Decodes each frame as the protobuf watch stream does, dropping each Pod in turn.
pub fn decode_watch(frames: &[&[u8]], set: &KindSet) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (mut events, mut checksum) = (0, 0);
    for (number, frame) in frames.iter().enumerate() {
        let event = proto::decode_watch_event(frame).with_context(|| format!("frame {}", number + 1))?;
        let pod = Pod::from_protobuf(event.object.raw).with_context(|| format!("frame {} object", number + 1))?;
        events += 1;
        checksum += pod.checksum();
    }
    let elapsed = started.elapsed();
    if events != set.count || checksum != set.checksum {
        bail!("{LIBRARY}: {WATCH_FILE} gave {events} Pods, checksum {checksum}; expected {}", set.count);
    }
    Ok(elapsed)
}

/// The records of the protobuf runs; throughput is over the protobuf bytes.
pub fn records(list_time: Duration, watch_time: Duration, fixtures: &Fixtures, set: &KindSet) -> Vec<Record> {
    eprintln!("decode: {LIBRARY}: list {list_time:?}, watch {watch_time:?}");
    let count = set.count as f64;
    let mb = |bytes: usize, time: Duration| stats::per_second(bytes as f64 / 1e6, time);
    vec![
        Record::new(
            "decode-pod-list",
            "throughput",
            "MB/s",
            LIBRARY,
            mb(fixtures.list.len(), list_time),
            Better::Higher,
        ),
        Record::new(
            "decode-pod-list",
            "items",
            "items/s",
            LIBRARY,
            stats::per_second(count, list_time),
            Better::Higher,
        ),
        Record::new("decode-pod-list", "time per list", "ms", LIBRARY, list_time.as_secs_f64() * 1e3, Better::Lower),
        Record::new(
            "decode-pod-watch",
            "events",
            "events/s",
            LIBRARY,
            stats::per_second(count, watch_time),
            Better::Higher,
        ),
        Record::new(
            "decode-pod-watch",
            "throughput",
            "MB/s",
            LIBRARY,
            mb(fixtures.watch.len(), watch_time),
            Better::Higher,
        ),
    ]
}
