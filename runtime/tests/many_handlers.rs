//! A thousand handlers on one informer: every handler gets every notification, in order, and
//! the process's thread count stays small (handlers share a pool of threads; they no longer
//! get one each). Its own test binary, so that no other test's threads are counted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::{StreamExt, stream};
use kubegen_runtime::cache::listwatch::EventStream;
use kubegen_runtime::cache::{HandlerFns, InformerOptions, ListerWatcher, SharedIndexInformer};
use kubegen_runtime::client::params::{ListParams, WatchParams};
use kubegen_runtime::watch::WatchEvent;
use kubegen_runtime::{Error, ListMeta, Object, ObjectList, ObjectMeta};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Counter {
    metadata: ObjectMeta,
    value: u64,
}

impl Object for Counter {
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

fn counter(name: &str, version: u64) -> Counter {
    Counter {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            resource_version: Some(version.to_string().into()),
            ..ObjectMeta::default()
        },
        value: version,
    }
}

// One update per object: the informer is level-based, so several updates of one object that
// wait in its queue together reach handlers as the newest; updates of distinct objects all
// arrive, in the order they happened.
const OBJECTS: u64 = 100;
const UPDATES: u64 = 100;
const HANDLERS: usize = 1000;

/// Lists `OBJECTS` objects, then watches `UPDATES` updates, one per object, then keeps the
/// watch open.
struct Script;

impl ListerWatcher<Counter> for Script {
    fn list(&self, _params: ListParams) -> BoxFuture<'static, Result<ObjectList<Counter>, Error>> {
        let items = (0..OBJECTS).map(|i| counter(&format!("c{i}"), i + 1)).collect();
        let list = ObjectList {
            metadata: ListMeta { resource_version: Some(OBJECTS.to_string()), ..ListMeta::default() },
            items,
        };
        Box::pin(async move { Ok(list) })
    }

    fn watch(&self, _params: WatchParams, _version: String) -> BoxFuture<'static, Result<EventStream<Counter>, Error>> {
        let events: Vec<Result<WatchEvent<Counter>, Error>> = (0..UPDATES)
            .map(|i| Ok(WatchEvent::Modified(counter(&format!("c{}", i % OBJECTS), OBJECTS + 1 + i))))
            .collect();
        Box::pin(async move { Ok(stream::iter(events).chain(stream::pending()).boxed()) })
    }

    fn describe(&self) -> String {
        "counters".into()
    }
}

fn process_threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_handlers_get_every_event_in_order_on_few_threads() {
    let informer = SharedIndexInformer::new(Arc::new(Script), InformerOptions::default());
    let seen: Vec<Arc<Mutex<Vec<u64>>>> = (0..HANDLERS).map(|_| Arc::new(Mutex::new(Vec::new()))).collect();
    let registrations: Vec<_> = seen
        .iter()
        .map(|log| {
            let (on_add, on_update) = (log.clone(), log.clone());
            informer.add_event_handler(
                HandlerFns::new()
                    .on_add(move |object: &Arc<Counter>, _| on_add.lock().expect("log").push(object.value))
                    .on_update(move |_, new: &Arc<Counter>| on_update.lock().expect("log").push(new.value)),
            )
        })
        .collect();
    informer.start();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut most_threads = 0;
    loop {
        most_threads = most_threads.max(process_threads());
        let done = registrations.iter().all(|registration| registration.backlog() == 0)
            && seen.iter().all(|log| log.lock().expect("log").len() as u64 == OBJECTS + UPDATES);
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the handlers did not finish");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut adds: Vec<u64> = (1..=OBJECTS).collect();
    adds.sort_unstable();
    for log in &seen {
        let log = log.lock().expect("log");
        let mut initial = log[..OBJECTS as usize].to_vec();
        initial.sort_unstable();
        assert_eq!(initial, adds, "the initial list");
        let updates: Vec<u64> = (OBJECTS + 1..=OBJECTS + UPDATES).collect();
        assert_eq!(&log[OBJECTS as usize..], &updates[..], "every update, in order");
    }
    assert!(most_threads < 50, "the process had {most_threads} threads");
    eprintln!("{HANDLERS} handlers: at most {most_threads} threads in the process");
    informer.shutdown().await;
}
