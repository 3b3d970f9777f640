//! Workload 2: heap retained per cached object. Decodes each object of a watch file (as an
//! informer does), wraps it in an `Arc` and keeps it in a map keyed by `namespace/name`; the
//! figure is the counting allocator's growth over the file's bytes already in memory, divided
//! by the number of objects (keys and the map included), and its ratio to the object's
//! compact JSON size.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use crate::alloc;
use crate::fixtures::{self, KindSet, Manifest};
use crate::models::{IntoObject, KubeRs, Kubegen, Models, Object};
use crate::results::{Better, Record};

/// Fills a cache from a watch file and returns the bytes it retains (dropping it afterwards).
type Fill = fn(&[u8], &KindSet) -> anyhow::Result<usize>;

/// Measures both libraries, Pods and ConfigMaps.
pub fn run(dir: &Path, manifest: &Manifest) -> anyhow::Result<Vec<Record>> {
    let pods = manifest.pods.read_watch(dir)?;
    let config_maps = manifest.config_maps.read_watch(dir)?;
    let cases: [(&str, &[u8], &KindSet, &str, Fill); 4] = [
        ("heap-pods", &pods, &manifest.pods, Kubegen::LIBRARY, fill::<Kubegen, PodOf<Kubegen>>),
        ("heap-pods", &pods, &manifest.pods, KubeRs::LIBRARY, fill::<KubeRs, PodOf<KubeRs>>),
        (
            "heap-configmaps",
            &config_maps,
            &manifest.config_maps,
            Kubegen::LIBRARY,
            fill::<Kubegen, ConfigMapOf<Kubegen>>,
        ),
        ("heap-configmaps", &config_maps, &manifest.config_maps, KubeRs::LIBRARY, fill::<KubeRs, ConfigMapOf<KubeRs>>),
    ];
    let mut records = Vec::new();
    for (workload, bytes, set, library, fill) in cases {
        let retained = fill(bytes, set).with_context(|| format!("{workload}: {library}: filling the cache"))?;
        let per_object = retained as f64 / set.count as f64;
        eprintln!("heap: {workload}: {library}: {per_object:.0} B per object");
        records.push(Record::new(workload, "retained per object", "bytes", library, per_object, Better::Lower));
        let ratio = per_object / set.object_bytes_mean() as f64;
        records.push(Record::new(workload, "ratio to JSON size", "×", library, ratio, Better::Lower));
    }
    Ok(records)
}

/// Which kind of a library's models a cache holds.
trait Kind<M: Models> {
    type Object: Object;
    type Event: serde::de::DeserializeOwned + IntoObject<Self::Object>;
}

struct PodOf<M>(std::marker::PhantomData<M>);
struct ConfigMapOf<M>(std::marker::PhantomData<M>);

impl<M: Models> Kind<M> for PodOf<M> {
    type Object = M::Pod;
    type Event = M::PodEvent;
}

impl<M: Models> Kind<M> for ConfigMapOf<M> {
    type Object = M::ConfigMap;
    type Event = M::ConfigMapEvent;
}

fn fill<M: Models, K: Kind<M>>(bytes: &[u8], set: &KindSet) -> anyhow::Result<usize> {
    alloc::enable();
    let mut cache: HashMap<String, Arc<K::Object>> = HashMap::new();
    for (number, line) in fixtures::lines(bytes).enumerate() {
        let event: K::Event =
            M::parse(line).with_context(|| format!("decoding event {} of {}", number + 1, set.watch_file))?;
        if let Some(object) = event.into_object() {
            cache.insert(object.key(), Arc::new(object));
        }
    }
    let retained = alloc::live();
    alloc::disable();
    if cache.len() != set.count {
        bail!("{} held {} objects; expected {}", set.watch_file, cache.len(), set.count);
    }
    drop(cache);
    usize::try_from(retained).context("the cache freed more than it allocated")
}
