//! Workload 1: typed decode throughput of the 10,000-Pod list and of a 10,000-event watch
//! stream, for each Rust library, parsed the way its client parses a body (`Models::parse`).
//! Each figure is the median of `iterations` timed runs after one warm-up. The list's time
//! covers parsing only (dropping the result is outside the clock); the watch stream's covers
//! decoding and dropping each event in turn, as a consumer of a watch does. Both check the
//! fixture checksum outside the clock.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::fixtures::{self, KindSet, Manifest};
use crate::models::{IntoObject, Items, KubeRs, Kubegen, Models, Object};
use crate::results::{Better, Record};
use crate::stats;

/// Measures both libraries.
pub fn run(dir: &Path, manifest: &Manifest, iterations: usize) -> anyhow::Result<Vec<Record>> {
    let list = manifest.pods.read_list(dir)?;
    let watch = manifest.pods.read_watch(dir)?;
    let mut records = measure::<Kubegen>(&list, &watch, &manifest.pods, iterations)?;
    records.extend(measure::<KubeRs>(&list, &watch, &manifest.pods, iterations)?);
    Ok(records)
}

fn measure<M: Models>(list: &[u8], watch: &[u8], set: &KindSet, iterations: usize) -> anyhow::Result<Vec<Record>> {
    let library = M::LIBRARY;
    let list_time = stats::median_of(iterations, || decode_list::<M>(list, set))?;
    let watch_time = stats::median_of(iterations, || decode_watch::<M>(watch, set))?;
    eprintln!("decode: {library}: list {list_time:?}, watch {watch_time:?}");
    let count = set.count as f64;
    let mb = |bytes: usize, time: Duration| stats::per_second(bytes as f64 / 1e6, time);
    Ok(vec![
        Record::new("decode-pod-list", "throughput", "MB/s", library, mb(set.list_bytes, list_time), Better::Higher),
        Record::new(
            "decode-pod-list",
            "items",
            "items/s",
            library,
            stats::per_second(count, list_time),
            Better::Higher,
        ),
        Record::new("decode-pod-list", "time per list", "ms", library, list_time.as_secs_f64() * 1e3, Better::Lower),
        Record::new(
            "decode-pod-watch",
            "events",
            "events/s",
            library,
            stats::per_second(count, watch_time),
            Better::Higher,
        ),
        Record::new("decode-pod-watch", "throughput", "MB/s", library, mb(set.watch_bytes, watch_time), Better::Higher),
    ])
}

fn decode_list<M: Models>(bytes: &[u8], set: &KindSet) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let list: M::PodList = M::parse(bytes).with_context(|| format!("{}: decoding {}", M::LIBRARY, set.list_file))?;
    let elapsed = started.elapsed();
    let items = list.items();
    let checksum: usize = items.iter().map(Object::checksum).sum();
    if items.len() != set.count || checksum != set.checksum {
        bail!(
            "{}: {} decoded {} items, checksum {checksum}; expected {}",
            M::LIBRARY,
            set.list_file,
            items.len(),
            set.count
        );
    }
    drop(list);
    Ok(elapsed)
}

fn decode_watch<M: Models>(bytes: &[u8], set: &KindSet) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (mut events, mut checksum) = (0, 0);
    for (number, line) in fixtures::lines(bytes).enumerate() {
        let event: M::PodEvent = M::parse(line)
            .with_context(|| format!("{}: decoding event {} of {}", M::LIBRARY, number + 1, set.watch_file))?;
        if let Some(pod) = event.into_object() {
            events += 1;
            checksum += pod.checksum();
        }
    }
    let elapsed = started.elapsed();
    if events != set.count || checksum != set.checksum {
        bail!("{}: {} gave {events} Pods, checksum {checksum}; expected {}", M::LIBRARY, set.watch_file, set.count);
    }
    Ok(elapsed)
}
