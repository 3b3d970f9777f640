//! Scaffolding for the cache's unit tests: a small object type and a scripted
//! `ListerWatcher` that replays canned list and watch responses and records requests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::listwatch::{EventStream, ListerWatcher};
use crate::client::params::{ListParams, WatchParams};
use crate::client::{ApiError, Error, ObjectList, ServerVersion};
use crate::resource::Object;
use crate::types::{ListMeta, ObjectMeta, Status};
use crate::watch::{Bookmark, WatchEvent};

/// A test object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Thing {
    pub metadata: ObjectMeta,
    pub value: String,
}

impl Object for Thing {
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl crate::resource::ApiType for Thing {
    const GROUP: &'static str = "example.com";
    const VERSION: &'static str = "v1";
    const KIND: &'static str = "Thing";
    const API_VERSION: &'static str = "example.com/v1";
}

impl crate::resource::Resource for Thing {
    const PLURAL: &'static str = "things";
    const LIST_KIND: &'static str = "ThingList";
    type Scope = crate::resource::NamespaceScoped;
}

/// A `Thing` in namespace `ns` at resourceVersion `version`.
pub fn thing(namespace: &str, name: &str, version: u64, value: &str) -> Thing {
    Thing {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: (!namespace.is_empty()).then(|| namespace.into()),
            resource_version: Some(version.to_string().into()),
            ..ObjectMeta::default()
        },
        value: value.to_owned(),
    }
}

pub fn list(version: u64, items: Vec<Thing>, continue_token: Option<&str>) -> ObjectList<Thing> {
    ObjectList {
        metadata: ListMeta {
            resource_version: Some(version.to_string()),
            continue_: continue_token.map(str::to_owned),
            ..ListMeta::default()
        },
        items,
    }
}

pub fn bookmark(version: u64, initial_end: bool) -> WatchEvent<Thing> {
    let mut bookmark = Bookmark { resource_version: version.to_string(), ..Bookmark::default() };
    if initial_end {
        bookmark.annotations.insert(crate::watch::INITIAL_EVENTS_END.to_owned(), "true".to_owned());
    }
    WatchEvent::Bookmark(bookmark)
}

pub fn api_error(code: u16, reason: &str) -> Error {
    Error::Api(Box::new(ApiError {
        method: "GET".into(),
        url: "test".into(),
        code,
        status: Status { code: Some(i32::from(code)), reason: Some(reason.into()), ..Status::default() },
    }))
}

pub fn expired_event() -> WatchEvent<Thing> {
    WatchEvent::Error(Box::new(Status {
        code: Some(410),
        reason: Some("Expired".into()),
        message: Some("too old resource version".into()),
        ..Status::default()
    }))
}

/// How a scripted watch ends after its events.
pub enum End {
    /// The server closes it.
    Close,
    /// It stays open.
    Hang,
}

/// A request the script received.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    List { version: Option<String>, limit: Option<u32>, continue_token: Option<String> },
    Watch { version: String, initial_events: bool },
}

/// A scripted watch: its events and how it ends, or the error opening it.
type ScriptedWatch = Result<(Vec<Result<WatchEvent<Thing>, Error>>, End), Error>;

#[derive(Default)]
struct Script {
    lists: VecDeque<Result<ObjectList<Thing>, Error>>,
    watches: VecDeque<ScriptedWatch>,
    calls: Vec<(Call, tokio::time::Instant)>,
    /// When set, list pages announce their continue token at once and end this much later.
    page_time: Option<std::time::Duration>,
    /// The server's release, if known.
    server_version: Option<ServerVersion>,
}

/// A `ListerWatcher` replaying canned responses; when the script runs out, lists fail and
/// watches hang.
#[derive(Clone, Default)]
pub struct Scripted {
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    pub fn list(&self, response: Result<ObjectList<Thing>, Error>) -> &Self {
        self.script.lock().expect("lock").lists.push_back(response);
        self
    }

    pub fn watch(&self, events: Vec<WatchEvent<Thing>>, end: End) -> &Self {
        self.script.lock().expect("lock").watches.push_back(Ok((events.into_iter().map(Ok).collect(), end)));
        self
    }

    /// Makes list pages take `time` (test time), with their continue token known at once, as
    /// a protobuf list's metadata arrives before its items.
    pub fn page_time(&self, time: std::time::Duration) -> &Self {
        self.script.lock().expect("lock").page_time = Some(time);
        self
    }

    /// Makes the server report release `major.minor`.
    pub fn server_version(&self, major: &str, minor: &str) -> &Self {
        let version = ServerVersion { major: major.to_owned(), minor: minor.to_owned(), ..ServerVersion::default() };
        self.script.lock().expect("lock").server_version = Some(version);
        self
    }

    pub fn watch_error(&self, error: Error) -> &Self {
        self.script.lock().expect("lock").watches.push_back(Err(error));
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.script.lock().expect("lock").calls.iter().map(|(call, _)| call.clone()).collect()
    }

    /// When each call came.
    pub fn call_times(&self) -> Vec<tokio::time::Instant> {
        self.script.lock().expect("lock").calls.iter().map(|(_, time)| *time).collect()
    }

    /// Waits (in test time) until the script has received `count` calls.
    pub async fn wait_for_calls(&self, count: usize) {
        for _ in 0..10_000 {
            if self.calls().len() >= count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {count} calls, got {:?}", self.calls());
    }
}

impl ListerWatcher<Thing> for Scripted {
    fn list(&self, params: ListParams) -> BoxFuture<'static, Result<ObjectList<Thing>, Error>> {
        let mut script = self.script.lock().expect("lock");
        let call = Call::List {
            version: params.resource_version.clone(),
            limit: params.limit,
            continue_token: params.continue_token.clone(),
        };
        script.calls.push((call, tokio::time::Instant::now()));
        let response = script.lists.pop_front().unwrap_or_else(|| Err(api_error(503, "ServiceUnavailable")));
        Box::pin(async move { response })
    }

    fn list_announcing_next(
        &self,
        params: ListParams,
        next: tokio::sync::oneshot::Sender<Option<String>>,
    ) -> BoxFuture<'static, Result<ObjectList<Thing>, Error>> {
        let page_time = self.script.lock().expect("lock").page_time;
        let page = ListerWatcher::list(self, params);
        Box::pin(async move {
            let page = page.await;
            if let Ok(page) = &page {
                let _ = next.send(page.continue_token().map(str::to_owned));
            }
            if let Some(time) = page_time {
                tokio::time::sleep(time).await;
            }
            page
        })
    }

    fn watch(
        &self,
        params: WatchParams,
        resource_version: String,
    ) -> BoxFuture<'static, Result<EventStream<Thing>, Error>> {
        let mut script = self.script.lock().expect("lock");
        let call = Call::Watch { version: resource_version, initial_events: params.send_initial_events };
        script.calls.push((call, tokio::time::Instant::now()));
        let response = script.watches.pop_front().unwrap_or(Ok((Vec::new(), End::Hang)));
        Box::pin(async move {
            let (events, end) = response?;
            let events = futures::stream::iter(events);
            Ok(match end {
                End::Close => events.boxed(),
                End::Hang => events.chain(futures::stream::pending()).boxed(),
            })
        })
    }

    fn describe(&self) -> String {
        "things".to_owned()
    }

    fn server_version(&self) -> BoxFuture<'static, Option<ServerVersion>> {
        let version = self.script.lock().expect("lock").server_version.clone();
        Box::pin(async move { version })
    }
}
