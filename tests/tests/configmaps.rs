//! Every verb on a built-in resource (ConfigMap) against the shared control plane of this
//! binary, over plain HTTP: create, get, list with a label selector, paged list, watch, update,
//! merge patch, server-side apply, delete.

use std::time::Duration;

use kubegen_tests::{ControlPlane, PatchType, query};
use serde_json::{Value, json};

const EVENT_WAIT: Duration = Duration::from_secs(20);

fn configmap(name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": { "name": name, "labels": { "app": app } },
        "data": { "key": "initial" },
    })
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["items"]
        .as_array()
        .expect("a list has items")
        .iter()
        .map(|item| item["metadata"]["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn configmap_verbs() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("configmaps").await.expect("namespace");
    let http = cp.http().expect("client");
    let base = format!("/api/v1/namespaces/{ns}/configmaps");

    // create: five objects, three labelled app=web.
    for i in 0..5 {
        let app = if i < 3 { "web" } else { "db" };
        let created = http
            .post(&base, &configmap(&format!("cm-{i}"), app))
            .await
            .expect("create");
        assert_eq!(created["metadata"]["namespace"], ns.as_str());
        assert!(created["metadata"]["uid"].is_string());
    }

    // get
    let got = http.get(&format!("{base}/cm-0")).await.expect("get");
    assert_eq!(got["data"]["key"], "initial");
    assert_eq!(got["metadata"]["labels"]["app"], "web");

    // get of a missing object is a 404 with a Status body
    let missing = http.get(&format!("{base}/nope")).await.expect_err("404");
    assert_eq!(missing.http_status(), Some(404), "{missing}");

    // list with a label selector
    let web = http
        .get(&query(&base, &[("labelSelector", "app=web")]))
        .await
        .expect("list by label");
    assert_eq!(names(&web), ["cm-0", "cm-1", "cm-2"]);

    // paged list: limit=2 and continue, 2 + 2 + 1
    let mut pages = Vec::new();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let mut params = vec![("limit", "2")];
        if !token.is_empty() {
            params.push(("continue", token.as_str()));
        }
        let page = http.get(&query(&base, &params)).await.expect("list page");
        pages.push(page["items"].as_array().expect("items").len());
        seen.extend(names(&page));
        token = page["metadata"]["continue"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(pages, [2, 2, 1]);
    seen.sort();
    assert_eq!(seen, ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);

    // watch from the list's resourceVersion: only what happens afterwards arrives.
    let list = http.get(&base).await.expect("list");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("list resourceVersion")
        .to_string();
    let mut watch = http
        .watch(&query(
            &base,
            &[("resourceVersion", &rv), ("timeoutSeconds", "60")],
        ))
        .await
        .expect("watch");

    // update (PUT) -> MODIFIED
    let mut updated = got.clone();
    updated["data"]["key"] = json!("updated");
    let updated = http
        .put(&format!("{base}/cm-0"), &updated)
        .await
        .expect("update");
    assert_eq!(updated["data"]["key"], "updated");
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type != "BOOKMARK")
        .await
        .expect("event after update");
    assert_eq!(event.event_type, "MODIFIED");
    assert_eq!(event.name(), Some("cm-0"));
    assert_eq!(event.object["data"]["key"], "updated");

    // an update with a stale resourceVersion is a 409 Conflict
    let stale = http
        .put(&format!("{base}/cm-0"), &got)
        .await
        .expect_err("conflict");
    assert_eq!(stale.http_status(), Some(409), "{stale}");

    // merge patch -> MODIFIED
    let patched = http
        .patch(
            &format!("{base}/cm-1"),
            PatchType::Merge,
            &json!({ "data": { "patched": "yes" } }),
        )
        .await
        .expect("merge patch");
    assert_eq!(patched["data"]["patched"], "yes");
    assert_eq!(patched["data"]["key"], "initial");
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type != "BOOKMARK")
        .await
        .expect("event after patch");
    assert_eq!(
        (event.event_type.as_str(), event.name()),
        ("MODIFIED", Some("cm-1"))
    );

    // server-side apply: create a new object, then change a field it owns.
    let apply_path = query(
        &format!("{base}/applied"),
        &[("fieldManager", "configmap-test")],
    );
    let applied = http
        .patch(&apply_path, PatchType::Apply, &configmap("applied", "web"))
        .await
        .expect("apply (create)");
    let managers: Vec<&str> = applied["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["configmap-test"]);
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type != "BOOKMARK")
        .await
        .expect("event after apply");
    assert_eq!(
        (event.event_type.as_str(), event.name()),
        ("ADDED", Some("applied"))
    );
    let mut changed = configmap("applied", "web");
    changed["data"]["key"] = json!("applied again");
    let applied = http
        .patch(&apply_path, PatchType::Apply, &changed)
        .await
        .expect("apply (update)");
    assert_eq!(applied["data"]["key"], "applied again");

    // delete -> DELETED
    http.delete(&format!("{base}/cm-2")).await.expect("delete");
    let event = watch
        .wait_for(EVENT_WAIT, |e| {
            e.event_type == "DELETED" || e.name() == Some("cm-2")
        })
        .await
        .expect("event after delete");
    assert_eq!(
        (event.event_type.as_str(), event.name()),
        ("DELETED", Some("cm-2"))
    );
    let gone = http
        .get(&format!("{base}/cm-2"))
        .await
        .expect_err("deleted");
    assert_eq!(gone.http_status(), Some(404));
}
