//! The Reflector: keeps a [`DeltaFifo`] in step with the server by listing, then watching.
//!
//! The algorithm is client-go's (`tools/cache/reflector.go`):
//!
//! - **List** at a resourceVersion chosen by `State::list_version`: `"0"` the first time
//!   (served from the API server's watch cache), the last version seen on later relists (at
//!   least as fresh, never back in time), and `""` (a consistent read) after a 410 Gone or a
//!   "too large resource version" answer. Pages of 500 objects, following continue tokens; an
//!   expired continue token restarts the list with `""`. The result replaces the FIFO's
//!   content as one batch. With [`Paging::Pipelined`] (what [`Paging::Auto`], the default,
//!   picks on servers from 1.34 on) the first list is `""` instead of `"0"`, and pages of
//!   10,000 are pipelined (`pages.rs`).
//! - **Watch** from the list's resourceVersion with bookmarks, with a random server timeout
//!   of 5 to 10 minutes so that thousands of informers do not reconnect at once. Each event
//!   advances the resourceVersion; a bookmark advances it without an object. A watch that
//!   ends normally is reopened from the last resourceVersion, without relisting. A 410
//!   (an ERROR event or an HTTP 410) relists; a watch that ends within a second without an
//!   event counts as an error, so a broken server cannot make the reflector spin.
//! - **Streaming list** (optional, KEP-3157): one watch with `sendInitialEvents=true` whose
//!   initial ADDED events are collected until the bookmark annotated
//!   `k8s.io/initial-events-end`, which replaces the FIFO's content at the bookmark's version;
//!   the same watch then goes on. The initial events do not advance the resourceVersion (they
//!   are not in version order). A server that refuses the request makes the reflector fall
//!   back to list and watch.
//! - **Errors** back off: 0.8 s doubling to 30 s with jitter, reset after two minutes of
//!   health. An unreachable server (connection refused or closed before a response) and 429
//!   while opening a watch, and a watch the server closes at once without an event (a server
//!   shutting down does), back off and watch again from the same resourceVersion without
//!   relisting; once the server is back, the watch goes on or gets a 410 and relists.
//! - **A silent watch** (no event, no bookmark for [`ReflectorOptions::watch_idle_timeout`],
//!   2.5 minutes by default; the API server sends a bookmark about every minute) is ended and
//!   reopened from the last resourceVersion: over HTTP/1.1 nothing else notices a connection
//!   that died without a FIN or RST (over HTTP/2 the client's keep-alive pings do).
//!
//! What the reflector learns goes to a [`ReflectorSink`]: the informer's [`DeltaFifo`] (the
//! reflector holds no store: bookmarks travel through the FIFO as progress marks), or the
//! channel behind [`watcher`](mod@super::watcher).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::backoff::{Backoff, BackoffSettings};
use super::delta_fifo::DeltaFifo;
use super::listwatch::{EventStream, ListerWatcher};
use super::pages::{PageFailed, list_pages};
use crate::client::params::{ListParams, VersionMatch, WatchParams};
use crate::client::{ApiError, Error, ServerVersion};
use crate::resource::Object;
use crate::types::Status;
use crate::watch::WatchEvent;

/// A function applied to every object before it is cached (for example, to drop
/// `managedFields`); it must not change the object's key.
pub type Transform<K> = Arc<dyn Fn(K) -> K + Send + Sync>;

/// How a reflector lists and watches.
#[derive(Clone, Debug)]
pub struct ReflectorOptions {
    /// How lists are paged (default [`Paging::Auto`]).
    pub paging: Paging,
    /// Start with a streaming list instead of list and watch (default off).
    pub streaming_list: bool,
    /// Watches last a random time between this and twice this (default 5 minutes).
    pub min_watch_timeout: Duration,
    /// A watch that brings neither an event nor a bookmark for this long is ended and
    /// reopened from the last resourceVersion (default 150 s; `None`: never).
    pub watch_idle_timeout: Option<Duration>,
    /// Backoff after errors.
    pub backoff: BackoffSettings,
}

/// How a reflector's lists are paged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// [`Paging::PIPELINED`] on API servers from [`Paging::PIPELINED_FROM`] on, whose watch
    /// cache answers every page of a consistent list; [`Paging::SEQUENTIAL`] on older servers
    /// (which would read the pages from etcd) and when the release is unknown. The release is
    /// asked once per client (`GET /version`). The default.
    ///
    /// Where a resource's watch cache is off (`--watch-cache=false`, or a size of 0 in
    /// `--watch-cache-sizes`), every page comes from etcd and the server holds 10,000
    /// objects at once for each; for large objects there, choose [`Paging::SEQUENTIAL`].
    Auto,
    /// Pages of `page_size` objects, one at a time, as client-go's reflector lists. The first
    /// list is at `resourceVersion=0`, which the watch cache answers whole, ignoring the page
    /// size (on one server goroutine: 0.6 to 1.0 s for 50,000 ConfigMaps); a list after a
    /// 410 is a consistent read, paged.
    Sequential {
        /// Objects per page.
        page_size: u32,
    },
    /// Pages of `page_size` objects with up to `in_flight` asked for at once: the next page
    /// is asked for as soon as the previous page's continue token has arrived, before its
    /// items (a protobuf list sends it first), so the server encodes several pages at once.
    /// Every list is a consistent read of the newest state (as client-go 1.35's streaming
    /// list is), never the watch cache's possibly older `resourceVersion=0`. The pages in
    /// flight are held at once.
    Pipelined {
        /// Objects per page.
        page_size: u32,
        /// Pages asked for at once (at least one).
        in_flight: usize,
    },
}

impl Paging {
    /// Pages of 500, one at a time (client-go's reflector's page size).
    pub const SEQUENTIAL: Paging = Paging::Sequential { page_size: Self::SEQUENTIAL_PAGE_SIZE };
    const SEQUENTIAL_PAGE_SIZE: u32 = 500;
    /// Pages of 10,000, three at once (`BENCHMARKS.md` section 5a compares it with
    /// [`Paging::SEQUENTIAL`] on 50,000 ConfigMaps).
    pub const PIPELINED: Paging = Paging::Pipelined { page_size: 10_000, in_flight: 3 };
    /// The first release whose watch cache answers a consistent list's continue pages (from
    /// its snapshots, `ListFromCacheSnapshot`, beta and on by default in 1.34); older servers
    /// read them from etcd.
    pub const PIPELINED_FROM: (u32, u32) = (1, 34);

    /// What [`Paging::Auto`] means on a server of this release.
    pub fn for_server(version: Option<&ServerVersion>) -> Paging {
        let (major, minor) = Self::PIPELINED_FROM;
        if version.is_some_and(|version| version.at_least(major, minor)) { Self::PIPELINED } else { Self::SEQUENTIAL }
    }
}

/// The default [`ReflectorOptions::watch_idle_timeout`]: two and a half times the API
/// server's bookmark interval (one minute, `cacher.go`'s `defaultBookmarkFrequency`).
pub const DEFAULT_WATCH_IDLE_TIMEOUT: Duration = Duration::from_secs(150);

impl Default for ReflectorOptions {
    fn default() -> Self {
        Self {
            paging: Paging::Auto,
            streaming_list: false,
            min_watch_timeout: Duration::from_secs(300),
            watch_idle_timeout: Some(DEFAULT_WATCH_IDLE_TIMEOUT),
            backoff: BackoffSettings::default(),
        }
    }
}

/// Where a reflector puts what it learns. Each method returns false once the receiver is
/// gone, which stops the reflector.
pub trait ReflectorSink<K>: Send + Sync + 'static {
    /// An ADDED event.
    fn added(&self, object: Arc<K>) -> impl std::future::Future<Output = bool> + Send;
    /// A MODIFIED event.
    fn modified(&self, object: Arc<K>) -> impl std::future::Future<Output = bool> + Send;
    /// A DELETED event.
    fn deleted(&self, object: Arc<K>) -> impl std::future::Future<Output = bool> + Send;
    /// A list (or a streaming list's initial events): every object at `resource_version`.
    fn replaced(
        &self,
        objects: Vec<Arc<K>>,
        resource_version: String,
    ) -> impl std::future::Future<Output = bool> + Send;
    /// A bookmark: every event up to `resource_version` has been sent.
    fn progressed(&self, resource_version: String) -> impl std::future::Future<Output = bool> + Send;
}

impl<K: Object> ReflectorSink<K> for DeltaFifo<K> {
    async fn added(&self, object: Arc<K>) -> bool {
        self.add(object);
        true
    }

    async fn modified(&self, object: Arc<K>) -> bool {
        self.update(object);
        true
    }

    async fn deleted(&self, object: Arc<K>) -> bool {
        self.delete(object);
        true
    }

    async fn replaced(&self, objects: Vec<Arc<K>>, resource_version: String) -> bool {
        self.replace(objects, resource_version);
        true
    }

    async fn progressed(&self, resource_version: String) -> bool {
        self.progress(resource_version);
        true
    }
}

/// What the reflector tells its owner.
#[derive(Debug)]
pub enum ReflectorEvent<'a> {
    /// A list (or streaming list) replaced the FIFO's content.
    Listed {
        /// Objects listed.
        count: usize,
        /// The list's resourceVersion.
        resource_version: &'a str,
        /// Its pages were pipelined ([`Paging::Pipelined`], or what [`Paging::Auto`] chose).
        pipelined: bool,
    },
    /// A bookmark or event advanced the resourceVersion.
    Progressed {
        /// The resourceVersion reached.
        resource_version: &'a str,
    },
    /// The last resourceVersion is gone (410 Gone or Expired, from a watch or a list): the
    /// reflector relists.
    Expired {
        /// The resourceVersion that expired.
        resource_version: &'a str,
    },
    /// A watch was opened.
    WatchStarted {
        /// The resourceVersion it starts from.
        resource_version: &'a str,
    },
    /// A watch ended (closed by the server, silent too long, failed or expired).
    WatchEnded {
        /// Events it brought (bookmarks included).
        events: usize,
    },
    /// A request failed; the reflector backs off and retries.
    Failed {
        /// The error.
        error: &'a Error,
        /// Whether no list has succeeded yet.
        before_first_list: bool,
    },
}

/// Receives [`ReflectorEvent`]s.
pub type ReflectorObserver = Arc<dyn Fn(ReflectorEvent<'_>) + Send + Sync>;

/// Where the reflector is.
#[derive(Debug, Default)]
struct State {
    /// The last resourceVersion seen (list, event or bookmark).
    version: String,
    /// The last version could not be listed or watched (410 or too large): list with `""`.
    version_unavailable: bool,
    /// The server refused a streaming list; use list and watch from now on.
    streaming_refused: bool,
    /// A list has succeeded.
    listed: bool,
}

impl State {
    fn list_version(&self) -> String {
        if self.version_unavailable {
            String::new()
        } else if self.version.is_empty() {
            "0".to_owned()
        } else {
            self.version.clone()
        }
    }
}

/// Watches in a row that close at once without an event before the reflector relists.
const MAX_EMPTY_WATCHES: u32 = 5;

/// Why a list-and-watch cycle ended.
enum Ended {
    /// The last resourceVersion is too old: relist at once (with `""` if that fails too).
    Expired,
    /// A failure: back off, then relist.
    Failed(Error),
    /// The sink's receiver is gone.
    Stopped,
}

/// Keeps a sink (a FIFO) in step with the server. See the module documentation.
pub struct Reflector<K, S = DeltaFifo<K>> {
    lister_watcher: Arc<dyn ListerWatcher<K>>,
    sink: Arc<S>,
    transform: Option<Transform<K>>,
    options: ReflectorOptions,
    observer: Option<ReflectorObserver>,
}

impl<K: Object, S: ReflectorSink<K>> Reflector<K, S> {
    /// A reflector filling `sink` (an informer's [`DeltaFifo`]).
    pub fn new(lister_watcher: Arc<dyn ListerWatcher<K>>, sink: Arc<S>, options: ReflectorOptions) -> Self {
        Self { lister_watcher, sink, transform: None, options, observer: None }
    }

    /// Applies `transform` to every object before it is queued.
    pub fn with_transform(mut self, transform: Option<Transform<K>>) -> Self {
        self.transform = transform;
        self
    }

    /// Reports progress and errors to `observer`.
    pub fn with_observer(mut self, observer: ReflectorObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    fn report(&self, event: ReflectorEvent<'_>) {
        if let Some(observer) = &self.observer {
            observer(event);
        }
    }

    fn prepare(&self, object: K) -> Arc<K> {
        Arc::new(match &self.transform {
            Some(transform) => transform(object),
            None => object,
        })
    }

    /// Lists and watches until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        let what = self.lister_watcher.describe();
        let mut state = State::default();
        let mut backoff = Backoff::new(self.options.backoff);
        loop {
            let ended = tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                ended = self.list_and_watch(&mut state, &mut backoff) => ended,
            };
            let error = match ended {
                Ended::Expired => {
                    tracing::debug!("{what}: resourceVersion {} expired; relisting", state.version);
                    self.report(ReflectorEvent::Expired { resource_version: &state.version });
                    continue;
                }
                Ended::Stopped => return,
                Ended::Failed(error) => error,
            };
            self.report(ReflectorEvent::Failed { error: &error, before_first_list: !state.listed });
            let delay = backoff.next_delay(Instant::now());
            tracing::warn!("{what}: {error}; retrying in {delay:.1?}");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    async fn list_and_watch(&self, state: &mut State, backoff: &mut Backoff) -> Ended {
        if self.options.streaming_list && !state.streaming_refused {
            match self.open_streaming_list(state).await {
                Ok(stream) => return self.watch_loop(state, backoff, Some(stream)).await,
                Err(error) if refuses_streaming(&error) => {
                    tracing::info!(
                        "{}: the server refused a streaming list ({error}); using list and watch",
                        self.lister_watcher.describe()
                    );
                    state.streaming_refused = true;
                }
                Err(error) if is_expired(&error) => {
                    state.version_unavailable = true;
                    return Ended::Expired;
                }
                Err(error) => return Ended::Failed(error),
            }
        }
        match self.list(state).await {
            Ok(true) => self.watch_loop(state, backoff, None).await,
            Ok(false) => Ended::Stopped,
            Err(error) => Ended::Failed(error),
        }
    }

    /// Lists every page and replaces the sink's content; false if the sink is gone.
    async fn list(&self, state: &mut State) -> Result<bool, Error> {
        let (page_size, in_flight) = self.paging().await;
        let pipelined = in_flight.is_some();
        let in_flight = in_flight.unwrap_or(1);
        let mut version = state.list_version();
        if pipelined && version == "0" {
            // resourceVersion=0 is served whole from the watch cache, whatever the limit:
            // there would be no second page to pipeline. List the newest state instead.
            version = String::new();
        }
        loop {
            let mut first = ListParams { limit: Some(page_size), ..ListParams::default() };
            if !version.is_empty() {
                first.resource_version = Some(version.clone());
                first.version_match = (version != "0").then_some(VersionMatch::NotOlderThan);
            }
            let listed =
                match list_pages(self.lister_watcher.as_ref(), first, in_flight, |object| self.prepare(object)).await {
                    Ok(listed) => listed,
                    Err(PageFailed { error, continuing })
                        if (is_expired(&error) || is_too_large(&error)) && (!version.is_empty() || continuing) =>
                    {
                        // The version (or the continue token's) is gone: list the newest state.
                        tracing::debug!("{}: {error}; listing again from etcd", self.lister_watcher.describe());
                        if is_expired(&error) {
                            self.report(ReflectorEvent::Expired { resource_version: &version });
                        }
                        state.version_unavailable = true;
                        version = String::new();
                        continue;
                    }
                    Err(PageFailed { error, .. }) => return Err(error),
                };
            let count = listed.objects.len();
            if !self.sink.replaced(listed.objects, listed.resource_version.clone()).await {
                return Ok(false);
            }
            state.version = listed.resource_version;
            state.version_unavailable = false;
            state.listed = true;
            self.report(ReflectorEvent::Listed { count, resource_version: &state.version, pipelined });
            return Ok(true);
        }
    }

    /// The page size of the next list and, if it is pipelined, the pages in flight: the
    /// configured paging, with [`Paging::Auto`] resolved for the server's release.
    async fn paging(&self) -> (u32, Option<usize>) {
        let paging = match self.options.paging {
            Paging::Auto => {
                let version = self.lister_watcher.server_version().await;
                let paging = Paging::for_server(version.as_ref());
                tracing::debug!(
                    "{}: server release {:?}; listing with {paging:?}",
                    self.lister_watcher.describe(),
                    version.as_ref().and_then(ServerVersion::release)
                );
                paging
            }
            paging => paging,
        };
        match paging {
            // `list_pages` takes at least one page in flight.
            Paging::Pipelined { page_size, in_flight } => (page_size, Some(in_flight)),
            Paging::Sequential { page_size } => (page_size, None),
            // `for_server` never answers `Auto`.
            Paging::Auto => (Paging::SEQUENTIAL_PAGE_SIZE, None),
        }
    }

    async fn open_streaming_list(&self, state: &State) -> Result<EventStream<K>, Error> {
        let version = if state.version_unavailable || !state.listed { String::new() } else { state.version.clone() };
        let params =
            WatchParams { timeout_seconds: Some(self.watch_timeout()), ..WatchParams::default() }.streaming_list();
        self.lister_watcher.watch(params, version).await
    }

    fn watch_timeout(&self) -> u32 {
        let minimum = self.options.min_watch_timeout.as_secs_f64();
        (minimum * (1.0 + fastrand::f64())).round().max(1.0) as u32
    }

    /// Watches from the last resourceVersion, reopening the watch whenever it ends normally.
    /// `initial` is an open streaming-list watch whose initial events are still to come.
    async fn watch_loop(&self, state: &mut State, backoff: &mut Backoff, initial: Option<EventStream<K>>) -> Ended {
        let mut streaming = initial;
        let mut empty_closes = 0;
        loop {
            let (stream, collecting) = match streaming.take() {
                Some(stream) => (stream, true),
                None => {
                    let params = WatchParams { timeout_seconds: Some(self.watch_timeout()), ..WatchParams::default() };
                    // Opening a watch waits for the response's headers, which a dead
                    // connection never sends: the idle bound covers that wait too.
                    let opening = self.lister_watcher.watch(params, state.version.clone());
                    let opened = match self.options.watch_idle_timeout {
                        Some(idle) => tokio::time::timeout(idle, opening).await.unwrap_or_else(|_| {
                            Err(Error::InvalidRequest(format!(
                                "opening the watch of {} got no answer in {idle:?}",
                                self.lister_watcher.describe()
                            )))
                        }),
                        None => opening.await,
                    };
                    match opened {
                        Ok(stream) => (stream, false),
                        Err(error) if is_expired(&error) => return Ended::Expired,
                        Err(error) if is_unreachable(&error) || error.code() == Some(429) => {
                            let delay = backoff.next_delay(Instant::now());
                            tracing::info!(
                                "{}: {error}; watching again in {delay:.1?}",
                                self.lister_watcher.describe()
                            );
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                        Err(error) => return Ended::Failed(error),
                    }
                }
            };
            let started = Instant::now();
            self.report(ReflectorEvent::WatchStarted { resource_version: &state.version });
            match self.consume(stream, state, collecting).await {
                Consumed::Closed { events } if events == 0 && started.elapsed() < Duration::from_secs(1) => {
                    // A server shutting down (or a broken one) closes watches at once. Back off
                    // and watch again from the same resourceVersion: when the server is back,
                    // the watch either goes on or gets a 410 and relists. Only a server that
                    // keeps doing it makes the reflector relist.
                    let error = Error::InvalidRequest(format!(
                        "the watch of {} closed at once without an event",
                        self.lister_watcher.describe()
                    ));
                    empty_closes += 1;
                    if empty_closes >= MAX_EMPTY_WATCHES {
                        return Ended::Failed(error);
                    }
                    self.report(ReflectorEvent::Failed { error: &error, before_first_list: !state.listed });
                    let delay = backoff.next_delay(Instant::now());
                    tracing::info!("{error}; watching again in {delay:.1?}");
                    tokio::time::sleep(delay).await;
                }
                Consumed::Closed { .. } => empty_closes = 0,
                Consumed::Ended(ended) => return ended,
            }
        }
    }

    async fn consume(&self, stream: EventStream<K>, state: &mut State, collecting: bool) -> Consumed {
        let mut events = 0usize;
        let consumed = self.consume_counting(stream, state, collecting, &mut events).await;
        self.report(ReflectorEvent::WatchEnded { events });
        consumed
    }

    async fn consume_counting(
        &self,
        mut stream: EventStream<K>,
        state: &mut State,
        mut collecting: bool,
        events: &mut usize,
    ) -> Consumed {
        let mut initial: Vec<Arc<K>> = Vec::new();
        loop {
            let next = match self.options.watch_idle_timeout {
                Some(idle) => match tokio::time::timeout(idle, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        tracing::info!(
                            "{}: no event or bookmark for {idle:?}; reopening the watch from {}",
                            self.lister_watcher.describe(),
                            state.version
                        );
                        if collecting {
                            return Consumed::Ended(Ended::Failed(Error::InvalidRequest(format!(
                                "the streaming list of {} sent nothing for {idle:?}",
                                self.lister_watcher.describe()
                            ))));
                        }
                        return Consumed::Closed { events: (*events).max(1) };
                    }
                },
                None => stream.next().await,
            };
            let Some(event) = next else { break };
            let event = match event {
                Ok(event) => event,
                Err(error) => return Consumed::Ended(Ended::Failed(error)),
            };
            *events += 1;
            let delivered = match event {
                WatchEvent::Added(object) if collecting => {
                    initial.push(self.prepare(object));
                    true
                }
                WatchEvent::Added(object) => {
                    let object = self.advance(state, object);
                    self.sink.added(object).await
                }
                WatchEvent::Modified(object) => {
                    let object = self.advance(state, object);
                    self.sink.modified(object).await
                }
                WatchEvent::Deleted(object) => {
                    let object = self.advance(state, object);
                    self.sink.deleted(object).await
                }
                WatchEvent::Bookmark(bookmark) => {
                    if collecting && bookmark.is_initial_events_end() {
                        collecting = false;
                        let count = initial.len();
                        if !self.sink.replaced(std::mem::take(&mut initial), bookmark.resource_version.clone()).await {
                            return Consumed::Ended(Ended::Stopped);
                        }
                        state.listed = true;
                        state.version_unavailable = false;
                        state.version = bookmark.resource_version;
                        self.report(ReflectorEvent::Listed {
                            count,
                            resource_version: &state.version,
                            pipelined: false,
                        });
                        true
                    } else if !collecting && !bookmark.resource_version.is_empty() {
                        state.version = bookmark.resource_version.clone();
                        self.report(ReflectorEvent::Progressed { resource_version: &state.version });
                        self.sink.progressed(bookmark.resource_version).await
                    } else {
                        true
                    }
                }
                WatchEvent::Error(status) => {
                    if is_expired_status(&status) {
                        state.version_unavailable = collecting;
                        return Consumed::Ended(Ended::Expired);
                    }
                    return Consumed::Ended(Ended::Failed(Error::Api(Box::new(ApiError {
                        method: "GET".to_owned(),
                        url: format!("watch of {}", self.lister_watcher.describe()),
                        code: status.code.and_then(|code| u16::try_from(code).ok()).unwrap_or(500),
                        status: *status,
                    }))));
                }
            };
            if !delivered {
                return Consumed::Ended(Ended::Stopped);
            }
        }
        if collecting {
            return Consumed::Ended(Ended::Failed(Error::InvalidRequest(format!(
                "the streaming list of {} ended before its initial-events-end bookmark",
                self.lister_watcher.describe()
            ))));
        }
        Consumed::Closed { events: *events }
    }

    /// Prepares an event's object and advances the resourceVersion to it.
    fn advance(&self, state: &mut State, object: K) -> Arc<K> {
        let object = self.prepare(object);
        if let Some(version) = object.metadata().resource_version() {
            state.version = version.to_owned();
        }
        object
    }
}

enum Consumed {
    /// The server closed the watch.
    Closed { events: usize },
    /// The watch failed or expired.
    Ended(Ended),
}

fn is_expired_status(status: &Status) -> bool {
    status.code == Some(410) || matches!(status.reason.as_deref(), Some("Expired" | "Gone"))
}

/// 410 Gone or Expired: the resourceVersion (or continue token) is no longer available.
fn is_expired(error: &Error) -> bool {
    error.is_gone()
}

/// etcd does not have the requested resourceVersion yet (the API server answers 504 with
/// cause `ResourceVersionTooLarge`).
fn is_too_large(error: &Error) -> bool {
    let Some(api) = error.api() else { return false };
    let too_large_cause =
        api.status.details.as_ref().and_then(|details| details.causes.as_ref()).is_some_and(|causes| {
            causes.iter().any(|cause| cause.reason.as_deref() == Some("ResourceVersionTooLarge"))
        });
    too_large_cause
        || api.status.message.as_deref().is_some_and(|message| message.contains("Too large resource version"))
}

/// The server could not be reached at all (connection refused, or closed before a response,
/// as a proxy or load balancer in front of a server that is down does): nothing was learned,
/// so the watch is tried again from the same resourceVersion after a backoff, without a
/// relist.
fn is_unreachable(error: &Error) -> bool {
    matches!(error, Error::Transport { message, .. }
        if message.starts_with("cannot connect") || message.to_lowercase().contains("connection refused"))
}

/// The server does not do streaming lists: the request itself is rejected as invalid.
fn refuses_streaming(error: &Error) -> bool {
    matches!(error.code(), Some(400 | 415 | 422))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::delta_fifo::Popped;
    use crate::cache::testing::{Call, End, Scripted, Thing, api_error, bookmark, expired_event, list, thing};

    fn list_call(version: Option<&str>) -> Call {
        Call::List { version: version.map(str::to_owned), limit: Some(500), continue_token: None }
    }

    fn watch_call(version: &str) -> Call {
        Call::Watch { version: version.to_owned(), initial_events: false }
    }

    fn start(script: &Scripted, options: ReflectorOptions) -> (Arc<DeltaFifo<Thing>>, CancellationToken) {
        let fifo = Arc::new(DeltaFifo::new());
        let reflector = Reflector::new(Arc::new(script.clone()), fifo.clone(), options);
        let shutdown = CancellationToken::new();
        tokio::spawn(reflector.run(shutdown.clone()));
        (fifo, shutdown)
    }

    /// Pops everything queued: `replace@<version>:<names>`, `<key>:<kind>:<value>` or
    /// `progress@<version>` lines.
    async fn drain_all(fifo: &DeltaFifo<Thing>) -> Vec<String> {
        let mut seen = Vec::new();
        while !fifo.is_empty() {
            let item = match fifo.pop().await.expect("an item") {
                Popped::Replace(batch) => {
                    let names: Vec<&str> = batch.objects.iter().map(|o| o.metadata.name()).collect();
                    vec![format!("replace@{}:{}", batch.resource_version, names.join(","))]
                }
                Popped::Deltas { key, deltas } => deltas
                    .iter()
                    .map(|delta| format!("{key}:{:?}:{}", delta.kind, delta.object.object().value))
                    .collect(),
                Popped::Progress(version) => vec![format!("progress@{version}")],
                Popped::Resync(_) => vec!["resync".to_owned()],
            };
            seen.extend(item);
        }
        seen
    }

    /// [`drain_all`] without progress marks.
    async fn drain(fifo: &DeltaFifo<Thing>) -> Vec<String> {
        drain_all(fifo).await.into_iter().filter(|line| !line.starts_with("progress@")).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn lists_from_the_cache_then_watches_and_resumes_without_relisting() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0"), thing("ns", "b", 6, "b0")], None)));
        script.watch(
            vec![
                WatchEvent::Modified(thing("ns", "a", 11, "a1")),
                bookmark(12, false),
                WatchEvent::Deleted(thing("ns", "b", 13, "b0")),
            ],
            End::Close,
        );
        let (fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(3).await;
        assert_eq!(script.calls(), [list_call(Some("0")), watch_call("10"), watch_call("13")]);
        assert_eq!(
            drain_all(&fifo).await,
            ["replace@10:a,b", "ns/a:Updated:a1", "progress@12", "ns/b:Deleted:b0", "progress@13"],
            "the bookmark at 12 moved a's mark forward; b's deletion queued another"
        );
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_410_relists_at_the_last_version_then_from_etcd() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        script.watch(vec![WatchEvent::Modified(thing("ns", "a", 11, "a1")), expired_event()], End::Hang);
        script.list(Err(api_error(410, "Expired")));
        script.list(Ok(list(20, vec![thing("ns", "a", 19, "a2")], None)));
        let (fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(5).await;
        assert_eq!(
            script.calls(),
            [
                list_call(Some("0")),
                watch_call("10"),
                Call::List { version: Some("11".into()), limit: Some(500), continue_token: None },
                list_call(None),
                watch_call("20"),
            ]
        );
        let times = script.call_times();
        assert_eq!(times[2], times[1], "a 410 relists at once, without backoff");
        assert_eq!(drain(&fifo).await, ["replace@10:a", "ns/a:Updated:a1", "replace@20:a"]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn lists_page_through_continue_tokens_and_restart_when_a_token_expires() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 1, "")], Some("t1"))));
        script.list(Err(api_error(410, "Expired")));
        script.list(Ok(list(30, vec![thing("ns", "a", 1, ""), thing("ns", "b", 2, "")], Some("t2"))));
        script.list(Ok(list(30, vec![thing("ns", "c", 3, "")], None)));
        let (fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(5).await;
        assert_eq!(
            script.calls(),
            [
                list_call(Some("0")),
                Call::List { version: None, limit: Some(500), continue_token: Some("t1".into()) },
                list_call(None),
                Call::List { version: None, limit: Some(500), continue_token: Some("t2".into()) },
                watch_call("30"),
            ]
        );
        assert_eq!(drain(&fifo).await, ["replace@30:a,b,c"]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn pages_in_flight_list_the_newest_state_in_pipelined_pages() {
        let script = Scripted::default();
        script.page_time(Duration::from_secs(1));
        script.list(Ok(list(30, vec![thing("ns", "a", 1, "")], Some("t1"))));
        script.list(Ok(list(30, vec![thing("ns", "b", 2, "")], Some("t2"))));
        script.list(Ok(list(30, vec![thing("ns", "c", 3, "")], None)));
        let options = ReflectorOptions {
            paging: Paging::Pipelined { page_size: 500, in_flight: 3 },
            ..ReflectorOptions::default()
        };
        let (fifo, shutdown) = start(&script, options);
        script.wait_for_calls(4).await;
        assert_eq!(
            script.calls(),
            [
                list_call(None),
                Call::List { version: None, limit: Some(500), continue_token: Some("t1".into()) },
                Call::List { version: None, limit: Some(500), continue_token: Some("t2".into()) },
                watch_call("30"),
            ],
            "not resourceVersion=0, which the watch cache serves whole"
        );
        let times = script.call_times();
        assert!(times[0] == times[1] && times[1] == times[2], "the pages were asked for at once: {times:?}");
        assert_eq!(drain(&fifo).await, ["replace@30:a,b,c"]);
        shutdown.cancel();
    }

    /// The first list call of a reflector with default options on a server of `release`.
    async fn first_list_with_default_paging(release: Option<(&str, &str)>) -> Call {
        let script = Scripted::default();
        if let Some((major, minor)) = release {
            script.server_version(major, minor);
        }
        script.list(Ok(list(30, vec![thing("ns", "a", 1, "")], None)));
        let (_fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(2).await;
        shutdown.cancel();
        script.calls().remove(0)
    }

    #[tokio::test(start_paused = true)]
    async fn auto_paging_pipelines_consistent_lists_on_servers_from_1_34() {
        for release in [("1", "34"), ("1", "35+"), ("2", "0")] {
            assert_eq!(
                first_list_with_default_paging(Some(release)).await,
                Call::List { version: None, limit: Some(10_000), continue_token: None },
                "{release:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn auto_paging_lists_from_the_watch_cache_on_older_or_unknown_servers() {
        for release in [Some(("1", "33")), Some(("", "")), None] {
            assert_eq!(first_list_with_default_paging(release).await, list_call(Some("0")), "{release:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn errors_back_off_exponentially() {
        let script = Scripted::default();
        for _ in 0..4 {
            script.list(Err(api_error(503, "ServiceUnavailable")));
        }
        script.list(Ok(list(5, vec![], None)));
        let (_fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(6).await;
        let times = script.call_times();
        let gaps: Vec<f64> = times.windows(2).map(|pair| (pair[1] - pair[0]).as_secs_f64()).collect();
        for (gap, base) in gaps.iter().zip([0.8, 1.6, 3.2, 6.4]) {
            assert!(*gap >= base && *gap <= 2.0 * base + 0.05, "gap {gap} for base {base}: {gaps:?}");
        }
        assert_eq!(script.calls()[5], watch_call("5"));
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_watch_that_closes_at_once_backs_off_then_relists_if_it_keeps_doing_so() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![], None)));
        for _ in 0..MAX_EMPTY_WATCHES {
            script.watch(vec![], End::Close);
        }
        script.list(Ok(list(11, vec![], None)));
        let (_fifo, shutdown) = start(&script, ReflectorOptions::default());
        let watches = MAX_EMPTY_WATCHES as usize;
        script.wait_for_calls(watches + 3).await;
        let calls = script.calls();
        assert!(calls[1..=watches].iter().all(|call| *call == watch_call("10")), "{calls:?}");
        assert_eq!(
            calls[watches + 1],
            Call::List { version: Some("10".into()), limit: Some(500), continue_token: None }
        );
        let times = script.call_times();
        for pair in times[1..=watches + 1].windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(800), "backed off: {times:?}");
        }
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_server_closed_watches_at_once_a_410_relists() {
        // A server shutting down closes the watch; once restarted, its fresh watch cache no
        // longer has the version.
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "a0")], None)));
        script.watch(vec![WatchEvent::Modified(thing("ns", "a", 11, "a1"))], End::Close);
        script.watch(vec![], End::Close);
        script.watch(vec![expired_event()], End::Hang);
        script.list(Ok(list(30, vec![thing("ns", "a", 25, "a2")], None)));
        let (fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(6).await;
        assert_eq!(
            script.calls(),
            [
                list_call(Some("0")),
                watch_call("10"),
                watch_call("11"),
                watch_call("11"),
                Call::List { version: Some("11".into()), limit: Some(500), continue_token: None },
                watch_call("30"),
            ]
        );
        assert_eq!(drain(&fifo).await, ["replace@10:a", "ns/a:Updated:a1", "replace@30:a"]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn too_many_requests_on_a_watch_backs_off_and_watches_again_without_relisting() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![], None)));
        script.watch_error(api_error(429, "TooManyRequests"));
        let (_fifo, shutdown) = start(&script, ReflectorOptions::default());
        script.wait_for_calls(3).await;
        assert_eq!(script.calls(), [list_call(Some("0")), watch_call("10"), watch_call("10")]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_streaming_list_collects_initial_events_until_the_end_bookmark() {
        let script = Scripted::default();
        script.watch(
            vec![
                WatchEvent::Added(thing("ns", "a", 7, "a0")),
                WatchEvent::Added(thing("ns", "b", 3, "b0")),
                bookmark(10, true),
                WatchEvent::Modified(thing("ns", "b", 11, "b1")),
            ],
            End::Close,
        );
        let options = ReflectorOptions { streaming_list: true, ..ReflectorOptions::default() };
        let (fifo, shutdown) = start(&script, options);
        script.wait_for_calls(2).await;
        assert_eq!(
            script.calls(),
            [Call::Watch { version: String::new(), initial_events: true }, watch_call("11")],
            "initial events do not advance the version; the bookmark and later events do"
        );
        assert_eq!(drain(&fifo).await, ["replace@10:a,b", "ns/b:Updated:b1"]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_streaming_list_falls_back_to_list_and_watch() {
        let script = Scripted::default();
        script.watch_error(api_error(422, "Invalid"));
        script.list(Ok(list(10, vec![thing("", "n", 1, "")], None)));
        let options = ReflectorOptions { streaming_list: true, ..ReflectorOptions::default() };
        let (fifo, shutdown) = start(&script, options);
        script.wait_for_calls(3).await;
        assert_eq!(
            script.calls(),
            [Call::Watch { version: String::new(), initial_events: true }, list_call(Some("0")), watch_call("10")]
        );
        assert_eq!(drain(&fifo).await, ["replace@10:n"]);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_watch_is_reopened_from_the_last_version_without_relisting() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![], None)));
        // The first watch brings one event, then nothing: the connection died silently.
        script.watch(vec![WatchEvent::Added(thing("ns", "a", 11, "a0"))], End::Hang);
        let options =
            ReflectorOptions { watch_idle_timeout: Some(Duration::from_secs(60)), ..ReflectorOptions::default() };
        let (_fifo, shutdown) = start(&script, options);
        script.wait_for_calls(3).await;
        assert_eq!(script.calls(), [list_call(Some("0")), watch_call("10"), watch_call("11")]);
        let times = script.call_times();
        assert_eq!(times[2] - times[1], Duration::from_secs(60), "reopened after the idle bound, without backoff");
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn transforms_apply_before_objects_are_queued() {
        let script = Scripted::default();
        script.list(Ok(list(10, vec![thing("ns", "a", 5, "secret")], None)));
        let fifo = Arc::new(DeltaFifo::new());
        let transform: Transform<Thing> = Arc::new(|mut thing: Thing| {
            thing.value = "redacted".into();
            thing
        });
        let reflector = Reflector::new(Arc::new(script.clone()), fifo.clone(), ReflectorOptions::default())
            .with_transform(Some(transform));
        let shutdown = CancellationToken::new();
        tokio::spawn(reflector.run(shutdown.clone()));
        script.wait_for_calls(2).await;
        let value = match fifo.pop().await {
            Some(Popped::Replace(batch)) => batch.objects[0].value.clone(),
            _ => String::new(),
        };
        assert_eq!(value, "redacted");
        shutdown.cancel();
    }
}
