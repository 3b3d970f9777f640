//! Workload 1: typed decode throughput of the 10,000-Pod list and of a 10,000-event watch
//! stream, for each Rust library, decoded the way its client decodes a list response
//! (`Models::parse_pod_list`) or a watch line (`Models::parse`); kubegen's list also over the
//! whole body, as `kubegen (whole body)`.
//! Each figure is the median of `iterations` timed runs after one warm-up. The list's time
//! covers parsing only (dropping the result is outside the clock); the watch stream's covers
//! decoding and dropping each event in turn, as a consumer of a watch does; the stream is cut
//! into lines before the clock starts (each client frames lines with `memchr`, which is not
//! decoding, and a byte-by-byte split here cost ~34 ms of ~210 ms, the same for both, which
//! flattened the ratio). Both check the fixture checksum outside the clock. Freed memory stays
//! mapped between runs ([`alloc::keep_freed_memory`]), so no run pays for faulting in pages
//! an earlier run gave back (Go's runtime is left as it is: its scavenger gives memory back in
//! the background, and its decode runs fault pages in).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::fixtures::{self, KindSet, Manifest};
use crate::models::{IntoObject, Items, KubeRs, Kubegen, Models, Object};
use crate::results::{Better, Record};
use crate::stats;
use crate::{alloc, decode_protobuf};

/// Measures both libraries. Their runs alternate (kubegen, [kubegen whole body,] kube-rs,
/// kubegen, ...), so a change in the machine's load during the workload hits all alike and the
/// ratios stay fair.
pub fn run(dir: &Path, manifest: &Manifest, iterations: usize) -> anyhow::Result<Vec<Record>> {
    if !alloc::keep_freed_memory() {
        eprintln!("decode: not glibc: freed memory may go back to the system between runs");
    }
    let list = manifest.pods.read_list(dir)?;
    let watch = manifest.pods.read_watch(dir)?;
    let watch: Vec<&[u8]> = fixtures::lines(&watch).collect();
    let set = &manifest.pods;
    let protobuf = decode_protobuf::Fixtures::read(dir)?;
    let frames = protobuf.frames()?;
    let [kubegen_list, kubegen_whole_body, kube_rs_list, protobuf_list] = alternating(
        iterations,
        [
            &mut || decode_list::<Kubegen>(&list, set, Kubegen::parse_pod_list),
            &mut || decode_list::<Kubegen>(&list, set, |bytes| Ok(Kubegen::parse(bytes)?)),
            &mut || decode_list::<KubeRs>(&list, set, KubeRs::parse_pod_list),
            &mut || decode_protobuf::decode_list(&protobuf.list, set),
        ],
    )?;
    let [kubegen_watch, kube_rs_watch, protobuf_watch] = alternating(
        iterations,
        [&mut || decode_watch::<Kubegen>(&watch, set), &mut || decode_watch::<KubeRs>(&watch, set), &mut || {
            decode_protobuf::decode_watch(&frames, set)
        }],
    )?;
    let mut records = report::<Kubegen>(kubegen_list, kubegen_watch, set);
    records.extend(report::<KubeRs>(kube_rs_list, kube_rs_watch, set));
    // The models' decode speed without the streaming split: `parse_json` over the whole body,
    // as `Client::request` decodes any other response.
    eprintln!("decode: {WHOLE_BODY}: list {kubegen_whole_body:?}");
    records.extend(list_records(WHOLE_BODY, kubegen_whole_body, set));
    records.extend(decode_protobuf::records(protobuf_list, protobuf_watch, &protobuf, set));
    Ok(records)
}

/// A timed closure.
type Timed<'a> = &'a mut dyn FnMut() -> anyhow::Result<Duration>;

/// Runs each closure once to warm up, then `iterations` rounds of each in turn, with the
/// allocator settled after every run (outside the clock); the median of each closure's samples.
fn alternating<const N: usize>(iterations: usize, mut runs: [Timed<'_>; N]) -> anyhow::Result<[Duration; N]> {
    let mut samples: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::with_capacity(iterations));
    for run in &mut runs {
        run()?;
        alloc::settle();
    }
    for _ in 0..iterations {
        for (run, samples) in runs.iter_mut().zip(&mut samples) {
            samples.push(run()?);
            alloc::settle();
        }
    }
    Ok(samples.map(|samples| stats::median(&samples)))
}

/// The library name of kubegen's whole-body list decode.
const WHOLE_BODY: &str = "kubegen (whole body)";

fn list_records(library: &str, list_time: Duration, set: &KindSet) -> Vec<Record> {
    let count = set.count as f64;
    vec![
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
    ]
}

fn mb(bytes: usize, time: Duration) -> f64 {
    stats::per_second(bytes as f64 / 1e6, time)
}

fn report<M: Models>(list_time: Duration, watch_time: Duration, set: &KindSet) -> Vec<Record> {
    let library = M::LIBRARY;
    eprintln!("decode: {library}: list {list_time:?}, watch {watch_time:?}");
    let count = set.count as f64;
    let mut records = list_records(library, list_time, set);
    records.extend([
        Record::new(
            "decode-pod-watch",
            "events",
            "events/s",
            library,
            stats::per_second(count, watch_time),
            Better::Higher,
        ),
        Record::new("decode-pod-watch", "throughput", "MB/s", library, mb(set.watch_bytes, watch_time), Better::Higher),
    ]);
    records
}

fn decode_list<M: Models>(
    bytes: &[u8],
    set: &KindSet,
    parse: fn(&[u8]) -> anyhow::Result<M::PodList>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let list = parse(bytes).with_context(|| format!("{}: decoding {}", M::LIBRARY, set.list_file))?;
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

fn decode_watch<M: Models>(lines: &[&[u8]], set: &KindSet) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (mut events, mut checksum) = (0, 0);
    for (number, line) in lines.iter().enumerate() {
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
