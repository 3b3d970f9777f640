//! `watcher`: list and watch as a stream of events, for code that wants the events and not a
//! cache (client-go users reach for a `ListWatch` with `watch.Until`; kube-rs users for
//! `watcher()`).
//!
//! The stream is driven by the same [`Reflector`] as informers, so it lists (paged, or as a
//! streaming list), watches from the list's resourceVersion with bookmarks, resumes a watch
//! that ends from the last resourceVersion, relists after a 410, reopens a silent watch, and
//! backs off on errors. A relist arrives as [`WatcherEvent::Relisting`], one
//! [`WatcherEvent::Listed`] per object, then [`WatcherEvent::Relisted`]: the objects between
//! the two are the complete set, and anything the consumer knew that is not among them was
//! deleted meanwhile. Errors are reported as `Err` items; the stream goes on after them (it
//! ends only when dropped). Dropping the stream stops its requests.
//!
//! [`reflect`] keeps a [`Store`] from such a stream, swapping a relist in at once, as an
//! informer's cache does, without handlers.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::key::object_key;
use super::listwatch::{ApiListerWatcher, ListerWatcher};
use super::reflector::{Reflector, ReflectorEvent, ReflectorOptions, ReflectorSink};
use super::store::Store;
use crate::client::params::ListParams;
use crate::client::{Api, Error};
use crate::resource::{Object, verbs};

/// How a [`watcher`] lists and watches.
#[derive(Clone, Debug, Default)]
pub struct WatcherConfig {
    /// Label and field selectors (only `label_selector` and `field_selector` are used).
    pub selectors: ListParams,
    /// Paging, streaming lists, watch timeouts, backoff.
    pub reflector: ReflectorOptions,
}

impl WatcherConfig {
    /// Only objects whose labels match `selector`.
    pub fn labels(mut self, selector: &str) -> Self {
        self.selectors = self.selectors.labels(selector);
        self
    }

    /// Only objects whose fields match `selector`.
    pub fn fields(mut self, selector: &str) -> Self {
        self.selectors = self.selectors.fields(selector);
        self
    }

    /// Starts with a streaming list (`sendInitialEvents`) instead of a list.
    pub fn streaming_list(mut self) -> Self {
        self.reflector.streaming_list = true;
        self
    }
}

/// What a [`watcher`] yields.
#[derive(Debug)]
pub enum WatcherEvent<K> {
    /// A list begins: the [`Listed`](Self::Listed) objects up to
    /// [`Relisted`](Self::Relisted) are every object that exists.
    Relisting,
    /// An object of the list.
    Listed(Arc<K>),
    /// The list is complete, at this resourceVersion.
    Relisted {
        /// The list's resourceVersion.
        resource_version: String,
    },
    /// An object was created.
    Added(Arc<K>),
    /// An object changed.
    Modified(Arc<K>),
    /// An object was deleted; this is its last state.
    Deleted(Arc<K>),
}

type Item<K> = Result<WatcherEvent<K>, Error>;

/// The reflector's sink: events into a bounded channel, so a slow consumer slows the watch
/// instead of growing a queue.
struct ChannelSink<K> {
    sender: mpsc::Sender<Item<K>>,
}

impl<K: Object> ChannelSink<K> {
    async fn send(&self, event: WatcherEvent<K>) -> bool {
        self.sender.send(Ok(event)).await.is_ok()
    }
}

impl<K: Object> ReflectorSink<K> for ChannelSink<K> {
    async fn added(&self, object: Arc<K>) -> bool {
        self.send(WatcherEvent::Added(object)).await
    }

    async fn modified(&self, object: Arc<K>) -> bool {
        self.send(WatcherEvent::Modified(object)).await
    }

    async fn deleted(&self, object: Arc<K>) -> bool {
        self.send(WatcherEvent::Deleted(object)).await
    }

    async fn replaced(&self, objects: Vec<Arc<K>>, resource_version: String) -> bool {
        if !self.send(WatcherEvent::Relisting).await {
            return false;
        }
        for object in objects {
            if !self.send(WatcherEvent::Listed(object)).await {
                return false;
            }
        }
        self.send(WatcherEvent::Relisted { resource_version }).await
    }

    async fn progressed(&self, _resource_version: String) -> bool {
        !self.sender.is_closed()
    }
}

/// The stream a [`watcher`] returns; dropping it stops the reflector behind it.
struct WatcherStream<K> {
    receiver: mpsc::Receiver<Item<K>>,
    stop: CancellationToken,
}

impl<K> Stream for WatcherStream<K> {
    type Item = Item<K>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl<K> Drop for WatcherStream<K> {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Lists and watches `api`'s objects as a stream of events that never ends by itself. See the
/// module documentation. The requests start on the tokio runtime that first polls the stream.
pub fn watcher<K>(
    api: Api<K>,
    config: WatcherConfig,
) -> impl Stream<Item = Result<WatcherEvent<K>, Error>> + Send + 'static
where
    K: Object + verbs::List + verbs::Watch,
{
    let selectors = config.selectors.clone();
    let tweak = Arc::new(move |params: &mut ListParams| {
        params.label_selector.clone_from(&selectors.label_selector);
        params.field_selector.clone_from(&selectors.field_selector);
    });
    let lister_watcher = Arc::new(ApiListerWatcher::new(api, Some(tweak)));
    watch_with(lister_watcher, config.reflector)
}

/// A watcher over any lister-watcher (scripted ones in tests).
pub(crate) fn watch_with<K: Object>(
    lister_watcher: Arc<dyn ListerWatcher<K>>,
    reflector_options: ReflectorOptions,
) -> impl Stream<Item = Result<WatcherEvent<K>, Error>> + Send + 'static {
    futures::stream::once(async move {
        let (sender, receiver) = mpsc::channel(64);
        let errors = sender.clone();
        let observer = Arc::new(move |event: ReflectorEvent<'_>| {
            if let ReflectorEvent::Failed { error, .. } = event {
                // Reported if there is room; the reflector retries either way.
                let _ = errors.try_send(Err(error.summary()));
            }
        });
        let reflector =
            Reflector::new(lister_watcher, Arc::new(ChannelSink { sender }), reflector_options).with_observer(observer);
        let stop = CancellationToken::new();
        tokio::spawn(reflector.run(stop.clone()));
        WatcherStream { receiver, stop }
    })
    .flatten()
}

/// Keeps `store` equal to what a [`watcher`] stream says, and passes its items on. A relist
/// is collected and swapped into the store at [`WatcherEvent::Relisted`], so readers never see
/// half of one.
pub fn reflect<K, S>(store: Arc<Store<K>>, stream: S) -> impl Stream<Item = Result<WatcherEvent<K>, Error>>
where
    K: Object,
    S: Stream<Item = Result<WatcherEvent<K>, Error>>,
{
    let mut listing: Option<std::collections::HashMap<String, Arc<K>>> = None;
    stream.map(move |item| {
        if let Ok(event) = &item {
            match event {
                WatcherEvent::Relisting => listing = Some(std::collections::HashMap::new()),
                WatcherEvent::Listed(object) => {
                    if let Some(listing) = listing.as_mut() {
                        listing.insert(object_key(object.as_ref()), object.clone());
                    }
                }
                WatcherEvent::Relisted { resource_version } => {
                    store.replace(listing.take().unwrap_or_default(), resource_version);
                }
                WatcherEvent::Added(object) | WatcherEvent::Modified(object) => {
                    store.insert(object_key(object.as_ref()), object.clone());
                    if let Some(version) = object.metadata().resource_version() {
                        store.advance_resource_version(version);
                    }
                }
                WatcherEvent::Deleted(object) => {
                    store.remove(&object_key(object.as_ref()));
                    if let Some(version) = object.metadata().resource_version() {
                        store.advance_resource_version(version);
                    }
                }
            }
        }
        item
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::index::default_indexers;
    use crate::cache::testing::{Call, End, Scripted, Thing, expired_event, list, thing};
    use crate::watch::WatchEvent;

    fn describe(event: &WatcherEvent<Thing>) -> String {
        match event {
            WatcherEvent::Relisting => "relisting".into(),
            WatcherEvent::Listed(object) => format!("listed {}", object.metadata.name()),
            WatcherEvent::Relisted { resource_version } => format!("relisted@{resource_version}"),
            WatcherEvent::Added(object) => format!("added {}", object.metadata.name()),
            WatcherEvent::Modified(object) => format!("modified {}={}", object.metadata.name(), object.value),
            WatcherEvent::Deleted(object) => format!("deleted {}", object.metadata.name()),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_watcher_lists_watches_relists_after_a_410_and_keeps_a_store() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(vec![WatchEvent::Modified(thing("ns", "a", 11, "a1")), expired_event()], End::Hang);
        script.list(Ok(list(20, vec![thing("ns", "a", 15, "a2")], None)));
        script.watch(vec![WatchEvent::Added(thing("ns", "c", 21, "c0"))], End::Hang);
        let store = Arc::new(Store::new(default_indexers::<Thing>()));
        let stream = reflect(store.clone(), watch_with(Arc::new(script.clone()), ReflectorOptions::default()));
        let seen: Vec<String> = stream.take(9).map(|item| describe(&item.expect("no error"))).collect().await;
        assert_eq!(
            seen,
            [
                "relisting",
                "listed a",
                "listed b",
                "relisted@10",
                "modified a=a1",
                "relisting",
                "listed a",
                "relisted@20",
                "added c",
            ]
        );
        let mut keys = store.keys();
        keys.sort();
        assert_eq!(keys, ["ns/a", "ns/c"], "b went with the relist");
        assert_eq!(store.get("ns/a").map(|a| a.value.clone()).as_deref(), Some("a2"));
        assert_eq!(store.resource_version(), "21");
        assert_eq!(
            script.calls()[2],
            Call::List { version: Some("11".into()), limit: Some(500), continue_token: None }
        );
    }
}
