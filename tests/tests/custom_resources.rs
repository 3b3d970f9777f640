//! Every verb of the typed client on a custom resource: cert-manager's `Certificate`, from the
//! crate kubegen generated from its CRD (`tests/crd-api`), including the status subresource,
//! schema validation errors, and server-side apply.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kubegen_runtime::watch::WatchEvent;
use kubegen_runtime::{Api, ObjectMeta, StringMap, Time};
use kubegen_test_crds::Clientset;
use kubegen_test_crds::cert_manager_io_v1::{
    Certificate, CertificateSpec, CertificateSpecIssuerRef, CertificateSpecPrivateKey,
    CertificateSpecPrivateKeyAlgorithm, CertificateStatus, CertificateStatusCondition,
    CertificateStatusConditionStatus,
};
use kubegen_tests::ControlPlane;
use kubegen_tests::round_trip::assert_round_trip;

const EVENT_WAIT: Duration = Duration::from_secs(20);

fn crd_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/crds").join(name)
}

fn certificate(name: &str, tier: &str) -> Certificate {
    Certificate {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(StringMap::from([("tier", tier.into())])),
            ..ObjectMeta::default()
        },
        spec: Some(CertificateSpec {
            secret_name: format!("{name}-tls").into(),
            dns_names: Some(vec![format!("{name}.example.com").into()]),
            issuer_ref: CertificateSpecIssuerRef {
                name: "test-issuer".into(),
                kind: Some("Issuer".into()),
                ..CertificateSpecIssuerRef::default()
            },
            ..CertificateSpec::default()
        }),
        ..Certificate::default()
    }
}

async fn setup(prefix: &str) -> (String, Api<Certificate>) {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let installed = cp
        .install_crds(&[
            crd_path("cert-manager-v1.21.1-cert-manager.io_certificates.yaml"),
            crd_path("cert-manager-v1.21.1-cert-manager.io_issuers.yaml"),
        ])
        .await
        .expect("install CRDs");
    assert_eq!(installed, ["certificates.cert-manager.io", "issuers.cert-manager.io"]);
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    let api = Clientset::new(cp.kube_client().expect("client")).cert_manager_io_v1().certificates(&ns);
    (ns, api)
}

#[tokio::test]
async fn certificate_verbs() {
    let (ns, api) = setup("certificates").await;
    for i in 0..5 {
        api.create(
            &PostParams::default(),
            &certificate(&format!("cert-{i}"), if i % 2 == 0 { "front" } else { "back" }),
        )
        .await
        .expect("create");
    }
    let got = api.get("cert-0").await.expect("get");
    assert_eq!(got.spec.as_ref().map(|spec| spec.secret_name.as_str()), Some("cert-0-tls"));
    let front = api.list(&ListParams::default().labels("tier=front")).await.expect("list");
    assert_eq!(front.items.len(), 3);
    let page = api.list(&ListParams::default().limit(2)).await.expect("page");
    assert_eq!(page.items.len(), 2);
    assert!(page.continue_token().is_some());

    // Schema validation: a value the enum does not list is rejected (422) with the field named.
    // The generated enum's catch-all variant lets the client send it in the first place.
    let mut invalid = certificate("invalid", "front");
    invalid.spec.as_mut().expect("spec").private_key = Some(Box::new(CertificateSpecPrivateKey {
        algorithm: Some(CertificateSpecPrivateKeyAlgorithm::Other("DSA".into())),
        ..CertificateSpecPrivateKey::default()
    }));
    let error = api.create(&PostParams::default(), &invalid).await.expect_err("invalid");
    assert!(error.is_invalid(), "{error}");
    assert!(error.to_string().contains("spec.privateKey.algorithm"), "{error}");

    // Watch from the list's version, then change and delete.
    let version = page.resource_version().expect("version").to_owned();
    let mut events = Box::pin(api.watch(&WatchParams::default().timeout(30), &version).await.expect("watch"));
    let mut changed = api.get("cert-1").await.expect("get");
    changed.spec.as_mut().expect("spec").dns_names = Some(vec!["changed.example.com".into()]);
    let replaced = api.replace("cert-1", &PostParams::default(), &changed).await.expect("replace");
    assert_eq!(replaced.metadata.generation, Some(2));
    let merged = api
        .patch(
            "cert-1",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"renewBefore": "360h0m0s"}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(merged.spec.as_ref().and_then(|spec| spec.renew_before.as_deref()), Some("360h0m0s"));
    // Strategic merge patches are for built-in types; the server says so with a 415.
    let strategic = api
        .patch("cert-1", &PatchParams::default(), &Patch::Strategic(serde_json::json!({"spec": {}})))
        .await
        .expect_err("unsupported");
    assert_eq!(strategic.code(), Some(415), "{strategic}");
    api.delete("cert-4", &DeleteParams::default()).await.expect("delete");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = tokio::time::timeout(EVENT_WAIT, events.next()).await.expect("in time").expect("open");
        match event.expect("decodes") {
            WatchEvent::Modified(cert) => seen.push(format!("modified {}", cert.metadata.name())),
            WatchEvent::Deleted(cert) => seen.push(format!("deleted {}", cert.metadata.name())),
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["modified cert-1", "modified cert-1", "deleted cert-4"]);

    let raw = ControlPlane::shared()
        .expect("shared")
        .http()
        .expect("http")
        .get(&format!("/apis/cert-manager.io/v1/namespaces/{ns}/certificates/cert-1"))
        .await
        .expect("raw");
    assert_round_trip::<Certificate>(&raw);
}

#[tokio::test]
async fn status_subresource_and_apply() {
    let (_ns, api) = setup("certificate-status").await;
    let created = api.create(&PostParams::default(), &certificate("with-status", "front")).await.expect("create");
    assert!(created.status.is_none());

    let mut with_status = created.clone();
    with_status.status = Some(CertificateStatus {
        conditions: Some(vec![CertificateStatusCondition {
            type_: "Ready".into(),
            status: CertificateStatusConditionStatus::True,
            reason: Some("Issued".into()),
            last_transition_time: Some(Time::now()),
            ..CertificateStatusCondition::default()
        }]),
        revision: Some(1),
        ..CertificateStatus::default()
    });
    // A replace of the main resource ignores status; the status subresource sets it.
    let ignored = api.replace("with-status", &PostParams::default(), &with_status).await.expect("replace");
    assert!(ignored.status.is_none());
    with_status.metadata.resource_version = ignored.metadata.resource_version.clone();
    let updated = api.replace_status("with-status", &PostParams::default(), &with_status).await.expect("status");
    assert_eq!(updated.status.as_ref().and_then(|status| status.revision), Some(1));
    let read = api.get_status("with-status").await.expect("get status");
    let condition = &read.status.expect("status").conditions.expect("conditions")[0];
    assert_eq!(condition.status, CertificateStatusConditionStatus::True);
    let patched = api
        .patch_status(
            "with-status",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"revision": 2}})),
        )
        .await
        .expect("patch status");
    assert_eq!(patched.status.and_then(|status| status.revision), Some(2));

    // Server-side apply on a custom resource, with a conflict between managers.
    let mut desired = certificate("applied", "front");
    desired.spec.as_mut().expect("spec").common_name = Some("alice.example.com".into());
    api.apply(&desired, &PatchParams::apply("alice")).await.expect("apply");
    desired.spec.as_mut().expect("spec").common_name = Some("bob.example.com".into());
    let conflict = api.apply(&desired, &PatchParams::apply("bob")).await.expect_err("conflict");
    assert!(conflict.is_conflict(), "{conflict}");
    let forced = api.apply(&desired, &PatchParams::apply("bob").force()).await.expect("forced");
    assert_eq!(forced.spec.and_then(|spec| spec.common_name).as_deref(), Some("bob.example.com"));
}
