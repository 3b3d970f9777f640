//! Every verb on a custom resource (cert-manager's `Certificate`, from the CRD copied into
//! `tests/fixtures/crds/`) against the shared control plane of this binary, over plain HTTP.

use std::path::PathBuf;
use std::time::Duration;

use kubegen_tests::{ControlPlane, PatchType, query};
use serde_json::{Value, json};

const EVENT_WAIT: Duration = Duration::from_secs(20);
const CRD_FILE: &str = "cert-manager-v1.21.1-cert-manager.io_certificates.yaml";

fn crd_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("crds")
        .join(CRD_FILE)
}

fn certificate(name: &str, tier: &str) -> Value {
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": { "name": name, "labels": { "tier": tier } },
        "spec": {
            "secretName": format!("{name}-tls"),
            "dnsNames": [format!("{name}.example.com")],
            "issuerRef": { "name": "test-issuer", "kind": "Issuer" },
        },
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
async fn certificate_verbs() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let installed = cp.install_crds(&[crd_path()]).await.expect("install CRD");
    assert_eq!(installed, ["certificates.cert-manager.io"]);
    // Installing again is harmless (server-side apply).
    cp.install_crds(&[crd_path()]).await.expect("reinstall CRD");

    let ns = cp.fresh_namespace("certificates").await.expect("namespace");
    let http = cp.http().expect("client");
    let base = format!("/apis/cert-manager.io/v1/namespaces/{ns}/certificates");

    // create
    for i in 0..5 {
        let tier = if i % 2 == 0 { "front" } else { "back" };
        http.post(&base, &certificate(&format!("cert-{i}"), tier))
            .await
            .expect("create");
    }

    // schema validation rejects a Certificate without the required issuerRef
    let mut invalid = certificate("invalid", "front");
    invalid["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("issuerRef");
    let rejected = http.post(&base, &invalid).await.expect_err("invalid");
    assert_eq!(rejected.http_status(), Some(422), "{rejected}");

    // get
    let got = http.get(&format!("{base}/cert-0")).await.expect("get");
    assert_eq!(got["spec"]["secretName"], "cert-0-tls");

    // list with a label selector
    let front = http
        .get(&query(&base, &[("labelSelector", "tier=front")]))
        .await
        .expect("list by label");
    assert_eq!(names(&front), ["cert-0", "cert-2", "cert-4"]);

    // paged list
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut token = String::new();
    loop {
        let mut params = vec![("limit", "2")];
        if !token.is_empty() {
            params.push(("continue", token.as_str()));
        }
        let page = http.get(&query(&base, &params)).await.expect("list page");
        sizes.push(page["items"].as_array().expect("items").len());
        seen.extend(names(&page));
        token = page["metadata"]["continue"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(seen.len(), 5);

    // watch from the list's resourceVersion
    let list = http.get(&base).await.expect("list");
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .to_string();
    let mut watch = http
        .watch(&query(
            &base,
            &[("resourceVersion", &rv), ("timeoutSeconds", "60")],
        ))
        .await
        .expect("watch");

    // update (PUT)
    let mut updated = got.clone();
    updated["spec"]["dnsNames"] = json!(["renamed.example.com"]);
    let updated = http
        .put(&format!("{base}/cert-0"), &updated)
        .await
        .expect("update");
    assert_eq!(updated["spec"]["dnsNames"][0], "renamed.example.com");
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type != "BOOKMARK")
        .await
        .expect("event after update");
    assert_eq!(
        (event.event_type.as_str(), event.name()),
        ("MODIFIED", Some("cert-0"))
    );

    // merge patch
    let patched = http
        .patch(
            &format!("{base}/cert-1"),
            PatchType::Merge,
            &json!({ "spec": { "duration": "2160h" } }),
        )
        .await
        .expect("merge patch");
    assert_eq!(patched["spec"]["duration"], "2160h");
    assert_eq!(patched["spec"]["secretName"], "cert-1-tls");
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type != "BOOKMARK")
        .await
        .expect("event after patch");
    assert_eq!(
        (event.event_type.as_str(), event.name()),
        ("MODIFIED", Some("cert-1"))
    );

    // strategic merge patch is not supported for custom resources: 415
    let unsupported = http
        .patch(
            &format!("{base}/cert-1"),
            PatchType::StrategicMerge,
            &json!({ "spec": { "duration": "1h" } }),
        )
        .await
        .expect_err("strategic merge on a CR");
    assert_eq!(unsupported.http_status(), Some(415), "{unsupported}");

    // server-side apply, twice, with a field manager
    let apply_path = query(
        &format!("{base}/applied"),
        &[("fieldManager", "certificate-test")],
    );
    let applied = http
        .patch(
            &apply_path,
            PatchType::Apply,
            &certificate("applied", "front"),
        )
        .await
        .expect("apply (create)");
    assert_eq!(
        applied["metadata"]["managedFields"][0]["manager"],
        "certificate-test"
    );
    let mut changed = certificate("applied", "front");
    changed["spec"]["secretName"] = json!("applied-secret");
    let applied = http
        .patch(&apply_path, PatchType::Apply, &changed)
        .await
        .expect("apply (update)");
    assert_eq!(applied["spec"]["secretName"], "applied-secret");
    // another manager changing an owned field without force is a 409 conflict
    let other = query(
        &format!("{base}/applied"),
        &[("fieldManager", "someone-else")],
    );
    let mut conflicting = certificate("applied", "front");
    conflicting["spec"]["secretName"] = json!("stolen");
    let conflict = http
        .patch(&other, PatchType::Apply, &conflicting)
        .await
        .expect_err("apply conflict");
    assert_eq!(conflict.http_status(), Some(409), "{conflict}");

    // delete
    http.delete(&format!("{base}/cert-2"))
        .await
        .expect("delete");
    let event = watch
        .wait_for(EVENT_WAIT, |e| e.event_type == "DELETED")
        .await
        .expect("event after delete");
    assert_eq!(event.name(), Some("cert-2"));
    let gone = http
        .get(&format!("{base}/cert-2"))
        .await
        .expect_err("deleted");
    assert_eq!(gone.http_status(), Some(404));
}
