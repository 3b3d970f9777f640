//! Every verb of the typed client on a built-in resource (ConfigMap), against the shared
//! control plane of this binary: create, get, list with selectors, paged lists, watch,
//! replace, every patch type, server-side apply with a conflict between managers, delete with
//! preconditions, delete-collection, dry runs.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kubegen_api::Clientset;
use kubegen_api::core_v1::ConfigMap;
use kubegen_runtime::client::params::{
    DeleteParams, ListParams, Patch, PatchParams, PostParams, VersionMatch, WatchParams,
};
use kubegen_runtime::client::{Deleted, ObjectList, Reason, Request};
use kubegen_runtime::watch::WatchEvent;
use kubegen_runtime::{Api, ObjectMeta, Str, StringMap};
use kubegen_tests::ControlPlane;
use kubegen_tests::round_trip::assert_round_trip;

const EVENT_WAIT: Duration = Duration::from_secs(20);

fn configmap(name: &str, app: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(StringMap::from([("app", app.into())])),
            ..ObjectMeta::default()
        },
        data: Some(StringMap::from([("key", "initial".into())])),
        ..ConfigMap::default()
    }
}

fn names(list: impl IntoIterator<Item = ConfigMap>) -> Vec<String> {
    let mut names: Vec<String> = list.into_iter().map(|cm| cm.metadata.name().to_owned()).collect();
    names.sort();
    names
}

async fn setup(prefix: &str) -> (String, Api<ConfigMap>) {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    let client = cp.kube_client().expect("client");
    let api = Clientset::new(client).core_v1().config_maps(&ns);
    (ns, api)
}

#[tokio::test]
async fn create_get_list_and_page() {
    let (ns, api) = setup("cm-list").await;
    for i in 0..5 {
        let created = api
            .create(&PostParams::default(), &configmap(&format!("cm-{i}"), if i < 3 { "web" } else { "db" }))
            .await
            .expect("create");
        assert_eq!(created.metadata.namespace(), Some(ns.as_str()));
        assert!(created.metadata.uid.is_some());
    }
    let got = api.get("cm-0").await.expect("get");
    assert_eq!(got.data.as_ref().and_then(|data| data.get("key")).map(Str::as_str), Some("initial"));
    assert_eq!(got.metadata.label("app"), Some("web"));
    assert!(api.get_opt("nope").await.expect("get_opt").is_none());

    let web = api.list(&ListParams::default().labels("app=web")).await.expect("list by label");
    assert!(web.resource_version().is_some());
    assert_eq!(names(web), ["cm-0", "cm-1", "cm-2"]);
    let not_web = api.list(&ListParams::default().labels("app!=web")).await.expect("list by label");
    assert_eq!(names(not_web), ["cm-3", "cm-4"]);
    let by_name = api.list(&ListParams::default().fields("metadata.name=cm-4")).await.expect("field selector");
    assert_eq!(names(by_name), ["cm-4"]);

    // One page by hand, then every page through the stream: 2 + 2 + 1.
    let first = api.list(&ListParams::default().limit(2)).await.expect("first page");
    assert_eq!(first.items.len(), 2);
    let token = first.continue_token().expect("a continue token").to_owned();
    let second = api.list(&ListParams::default().limit(2).continue_token(&token)).await.expect("second page");
    assert_eq!(second.items.len(), 2);
    let all: Vec<ConfigMap> = api.list_all(&ListParams::default().limit(2)).try_collect().await.expect("all pages");
    assert_eq!(names(all), ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);

    // Across namespaces, with an `all_namespaces` view.
    let cp = ControlPlane::shared().expect("shared");
    let everywhere = Clientset::new(cp.kube_client().expect("client")).core_v1().config_maps_all_namespaces();
    let mine = everywhere
        .list(&ListParams::default().fields(&format!("metadata.namespace={ns}")).labels("app"))
        .await
        .expect("list across namespaces");
    assert_eq!(mine.items.len(), 5);

    // What the server sends decodes and encodes back unchanged.
    let raw = cp.http().expect("http").get(&format!("/api/v1/namespaces/{ns}/configmaps/cm-0")).await.expect("raw");
    assert_round_trip::<ConfigMap>(&raw);
}

/// `Api::list` decodes items while the body arrives (`ListDecoder`); a list from the watch
/// cache (one response of several hundred chunks) gives the same objects
/// and metadata as decoding the whole body at once.
#[tokio::test]
async fn a_large_list_decoded_while_it_arrives_matches_the_whole_body() {
    let (ns, api) = setup("cm-stream").await;
    let payload = "v\"{[,]}\\".repeat(400);
    let versions: Vec<u64> = futures::stream::iter(0..300)
        .map(|i| {
            let api = api.clone();
            let mut object = configmap(&format!("big-{i:03}"), "stream");
            object.data =
                Some(StringMap::from([("payload", payload.as_str().into()), ("index", i.to_string().into())]));
            async move {
                let created = api.create(&PostParams::default(), &object).await?;
                Ok::<u64, kubegen_runtime::Error>(
                    created.metadata.resource_version().and_then(|version| version.parse().ok()).unwrap_or(0),
                )
            }
        })
        .buffer_unordered(8)
        .try_collect()
        .await
        .expect("create");
    let newest = versions.iter().max().copied().unwrap_or(0).to_string();

    // From the watch cache, in one response, but not older than the last create: a list at
    // resourceVersion "0" may be served before the cache has seen the last writes.
    let fresh_from_cache = ListParams {
        resource_version: Some(newest.clone()),
        version_match: Some(VersionMatch::NotOlderThan),
        ..ListParams::default()
    };
    let streamed = api.list(&fresh_from_cache).await.expect("streamed list");
    let whole: ObjectList<ConfigMap> = api
        .client()
        .request(Request::new(
            reqwest::Method::GET,
            format!("/api/v1/namespaces/{ns}/configmaps?resourceVersion={newest}&resourceVersionMatch=NotOlderThan"),
        ))
        .await
        .expect("whole-body list");
    assert_eq!(streamed.items.len(), 300);
    assert_eq!(names(streamed.items.clone()), names(whole.items.clone()));
    let by_name = |list: &ObjectList<ConfigMap>| {
        let mut items = list.items.clone();
        items.sort_by(|a, b| a.metadata.name().cmp(b.metadata.name()));
        items
    };
    assert_eq!(by_name(&streamed), by_name(&whole));
    assert!(streamed.resource_version().is_some());
    assert!(
        streamed
            .items
            .iter()
            .all(|cm| cm.data.as_ref().and_then(|d| d.get("payload")).map(Str::as_str) == Some(payload.as_str()))
    );
}

#[tokio::test]
async fn watch_sees_changes_and_bookmarks() {
    let (_ns, api) = setup("cm-watch").await;
    api.create(&PostParams::default(), &configmap("watched", "web")).await.expect("create");
    let list = api.list(&ListParams::default()).await.expect("list");
    let version = list.resource_version().expect("list resourceVersion").to_owned();

    let mut events = Box::pin(api.watch(&WatchParams::default().timeout(30), &version).await.expect("watch"));
    let mut changed = api.get("watched").await.expect("get");
    changed.data.get_or_insert_with(StringMap::new).insert("key", "changed".into());
    api.replace("watched", &PostParams::default(), &changed).await.expect("replace");
    api.delete("watched", &DeleteParams::default()).await.expect("delete");

    let mut seen = Vec::new();
    while seen.len() < 2 {
        let event = tokio::time::timeout(EVENT_WAIT, events.next()).await.expect("an event in time");
        match event.expect("the watch is open").expect("decodes") {
            WatchEvent::Modified(cm) => {
                assert_eq!(cm.data.as_ref().and_then(|d| d.get("key")).map(Str::as_str), Some("changed"));
                seen.push("modified");
            }
            WatchEvent::Deleted(cm) => {
                assert_eq!(cm.metadata.name(), "watched");
                seen.push("deleted");
            }
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["modified", "deleted"]);

    // A streaming list: initial ADDED events, then the bookmark that ends them.
    api.create(&PostParams::default(), &configmap("initial", "web")).await.expect("create");
    let mut stream =
        Box::pin(api.watch(&WatchParams::default().streaming_list().timeout(30), "").await.expect("watch"));
    let mut initial = Vec::new();
    loop {
        let event = tokio::time::timeout(EVENT_WAIT, stream.next()).await.expect("an event in time");
        match event.expect("open").expect("decodes") {
            WatchEvent::Added(cm) => initial.push(cm.metadata.name().to_owned()),
            WatchEvent::Bookmark(bookmark) if bookmark.is_initial_events_end() => {
                assert!(!bookmark.resource_version.is_empty());
                break;
            }
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(initial, ["initial"]);
}

#[tokio::test]
async fn replace_and_every_patch_type() {
    let (_ns, api) = setup("cm-patch").await;
    let created = api.create(&PostParams::default(), &configmap("target", "web")).await.expect("create");

    let mut replacement = created.clone();
    replacement.data = Some(StringMap::from([("key", "replaced".into())]));
    let replaced = api.replace("target", &PostParams::default(), &replacement).await.expect("replace");
    assert_eq!(replaced.data.as_ref().and_then(|d| d.get("key")).map(Str::as_str), Some("replaced"));

    // A replace with the old resourceVersion conflicts.
    let stale = api.replace("target", &PostParams::default(), &replacement).await.expect_err("stale");
    assert!(stale.is_conflict(), "{stale}");

    let merged = api
        .patch("target", &PatchParams::default(), &Patch::Merge(serde_json::json!({"data": {"merged": "yes"}})))
        .await
        .expect("merge patch");
    assert_eq!(merged.data.as_ref().map(StringMap::len), Some(2));
    let json_patched = api
        .patch(
            "target",
            &PatchParams::default(),
            &Patch::<()>::Json(serde_json::json!([{"op": "replace", "path": "/data/merged", "value": "json"}])),
        )
        .await
        .expect("json patch");
    assert_eq!(json_patched.data.as_ref().and_then(|d| d.get("merged")).map(Str::as_str), Some("json"));
    let strategic = api
        .patch(
            "target",
            &PatchParams::default(),
            &Patch::Strategic(serde_json::json!({"metadata": {"labels": {"tier": "front"}}})),
        )
        .await
        .expect("strategic merge patch");
    assert_eq!(strategic.metadata.label("tier"), Some("front"));

    // A dry run changes nothing.
    let dry = api
        .patch("target", &PatchParams::default().dry_run(), &Patch::Merge(serde_json::json!({"data": {"dry": "run"}})))
        .await
        .expect("dry-run patch");
    assert!(dry.data.as_ref().is_some_and(|d| d.contains_key("dry")));
    assert!(!api.get("target").await.expect("get").data.is_some_and(|d| d.contains_key("dry")));
}

#[tokio::test]
async fn server_side_apply_conflicts_between_managers() {
    let (_ns, api) = setup("cm-apply").await;
    let mut desired = configmap("applied", "web");
    desired.data = Some(StringMap::from([("owner", "alice".into())]));
    let applied =
        api.patch("applied", &PatchParams::apply("alice"), &Patch::Apply(&desired)).await.expect("apply creates");
    let managers: Vec<Str> =
        applied.metadata.managed_fields.iter().flatten().filter_map(|entry| entry.manager.clone()).collect();
    assert_eq!(managers, ["alice"]);

    let mut theirs = configmap("applied", "web");
    theirs.data = Some(StringMap::from([("owner", "bob".into())]));
    let conflict =
        api.patch("applied", &PatchParams::apply("bob"), &Patch::Apply(&theirs)).await.expect_err("conflict");
    assert!(conflict.is_conflict(), "{conflict}");
    assert!(conflict.to_string().contains("conflict"), "{conflict}");
    let api_error = conflict.api().expect("a server error");
    assert_eq!(api_error.code, 409);
    assert!(api_error.status.details.as_ref().and_then(|d| d.causes.as_ref()).is_some_and(|c| !c.is_empty()));

    let forced = api.apply(&theirs, &PatchParams::apply("bob").force()).await.expect("forced apply");
    assert_eq!(forced.data.as_ref().and_then(|d| d.get("owner")).map(Str::as_str), Some("bob"));
    let missing_manager =
        api.patch("applied", &PatchParams::default(), &Patch::Apply(&theirs)).await.expect_err("apply needs a manager");
    assert!(matches!(missing_manager, kubegen_runtime::Error::InvalidRequest(_)), "{missing_manager}");
}

#[tokio::test]
async fn delete_with_preconditions_and_delete_collection() {
    let (_ns, api) = setup("cm-delete").await;
    let created = api.create(&PostParams::default(), &configmap("doomed", "web")).await.expect("create");

    let wrong_uid = api.delete("doomed", &DeleteParams::default().uid("not-the-uid")).await.expect_err("precondition");
    assert!(wrong_uid.is_conflict(), "{wrong_uid}");
    let deleted = api
        .delete(
            "doomed",
            &DeleteParams::background()
                .grace_period(0)
                .uid(created.metadata.uid.as_deref().expect("uid"))
                .resource_version(created.metadata.resource_version().expect("rv")),
        )
        .await
        .expect("delete");
    assert!(matches!(deleted, Deleted::Object(_) | Deleted::Status(_)));
    let gone = api.get("doomed").await.expect_err("gone");
    assert_eq!(gone.reason(), Some(Reason::NotFound));
    assert!(gone.to_string().contains("\"doomed\" not found"), "{gone}");

    for i in 0..4 {
        api.create(&PostParams::default(), &configmap(&format!("batch-{i}"), if i < 3 { "batch" } else { "keep" }))
            .await
            .expect("create");
    }
    let dry = api
        .delete_collection(&DeleteParams::default().dry_run(), &ListParams::default().labels("app=batch"))
        .await
        .expect("dry-run delete-collection");
    assert!(matches!(dry, Deleted::Object(ref list) if list.items.len() == 3));
    assert_eq!(api.list(&ListParams::default()).await.expect("list").items.len(), 4);
    api.delete_collection(&DeleteParams::default(), &ListParams::default().labels("app=batch"))
        .await
        .expect("delete-collection");
    assert_eq!(names(api.list(&ListParams::default()).await.expect("list")), ["batch-3"]);
}
