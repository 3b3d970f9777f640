//! Typed server-side apply against a real API server: apply configurations own only what
//! they set, conflicts name the field and force takes it, `extract` gives back exactly what a
//! manager applied, and map-list items merge by key across managers; on a Deployment and on a
//! cert-manager Certificate generated from its CRD.

use std::path::PathBuf;

use kubegen_api::Clientset;
use kubegen_api::apps_v1::apply::{DeploymentApply, DeploymentSpecApply};
use kubegen_api::apps_v1::{Deployment, DeploymentSpec};
use kubegen_api::core_v1::apply::{ContainerApply, EnvVarApply, PodSpecApply, PodTemplateSpecApply};
use kubegen_api::meta_v1::LabelSelector;
use kubegen_runtime::apply::HasApply;
use kubegen_runtime::client::params::{Patch, PatchParams};
use kubegen_runtime::{Api, Error, ObjectMeta};
use kubegen_test_crds::cert_manager_io_v1::apply::{
    CertificateApply, CertificateSpecApply, CertificateSpecIssuerRefApply, CertificateStatusApply,
    CertificateStatusConditionApply,
};
use kubegen_test_crds::cert_manager_io_v1::{Certificate, CertificateStatusConditionStatus};
use kubegen_tests::ControlPlane;

/// The managers that own `path` (a FieldsV1 path such as `["f:spec", "f:replicas"]`).
fn owners<K: kubegen_runtime::Object>(object: &K, path: &[&str]) -> Vec<String> {
    let mut owners: Vec<String> = object
        .metadata()
        .managed_fields
        .iter()
        .flatten()
        .filter(|entry| {
            let fields = entry.fields_v1.as_ref().map(|fields| fields.to_value()).unwrap_or_default();
            path.iter().try_fold(&fields, |node, step| node.get(step)).is_some()
        })
        .filter_map(|entry| entry.manager.as_ref().map(|manager| manager.to_string()))
        .collect();
    owners.sort();
    owners.dedup();
    owners
}

fn assert_conflict_on(error: &Error, field: &str) {
    assert!(error.is_conflict(), "{error}");
    assert!(error.to_string().contains(field), "the conflict names {field}: {error}");
}

fn creator_deployment(name: &str, namespace: &str) -> DeploymentApply {
    let labels = [("app", name)];
    // An atomic struct: its model is what the manager sends and owns, whole.
    let selector = LabelSelector {
        match_labels: Some(labels.into_iter().map(|(key, value)| (key, value.into())).collect()),
        ..LabelSelector::default()
    };
    DeploymentApply::new(name, namespace).spec(
        DeploymentSpecApply::default().selector(selector).template(
            PodTemplateSpecApply::default()
                .metadata(ObjectMeta {
                    labels: Some(labels.into_iter().map(|(key, value)| (key, value.into())).collect()),
                    ..ObjectMeta::default()
                })
                .spec(
                    PodSpecApply::default()
                        .containers([ContainerApply::default().name("app").image("registry.example.com/web:1")]),
                ),
        ),
    )
}

async fn deployments(prefix: &str) -> (String, Api<Deployment>) {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    let api = Clientset::new(cp.kube_client().expect("client")).apps_v1().deployments(&ns);
    (ns, api)
}

#[tokio::test]
async fn partial_apply_owns_only_its_fields_and_conflicts_name_the_field() {
    let (ns, api) = deployments("ssa-partial").await;
    let created = api.apply(&creator_deployment("web", &ns), &PatchParams::apply("creator")).await.expect("create");
    assert_eq!(owners(&created, &["f:spec", "f:selector"]), ["creator"]);

    // The full model with only replicas set claims selector and template at their defaults:
    // the bug apply configurations fix.
    let model = Deployment {
        metadata: ObjectMeta { name: Some("web".into()), ..ObjectMeta::default() },
        spec: Some(DeploymentSpec { replicas: Some(3), ..DeploymentSpec::default() }),
        ..Deployment::default()
    };
    let error = api.apply(&model, &PatchParams::apply("scaler")).await.expect_err("the model conflicts");
    assert_conflict_on(&error, ".spec.selector");

    // The apply configuration sends replicas alone.
    let scaler = DeploymentApply::new("web", &ns).spec(DeploymentSpecApply::default().replicas(3));
    let scaled = api.apply(&scaler, &PatchParams::apply("scaler")).await.expect("apply replicas");
    assert_eq!(scaled.spec.as_ref().and_then(|spec| spec.replicas), Some(3));
    assert_eq!(owners(&scaled, &["f:spec", "f:replicas"]), ["scaler"]);
    assert_eq!(owners(&scaled, &["f:spec", "f:selector"]), ["creator"]);
    assert_eq!(owners(&scaled, &["f:spec", "f:template"]), ["creator"]);

    // A second manager setting the same field to another value conflicts, naming it; force
    // takes it over.
    let other = DeploymentApply::new("web", &ns).spec(DeploymentSpecApply::default().replicas(5));
    let error = api.apply(&other, &PatchParams::apply("autoscaler")).await.expect_err("conflict");
    assert_conflict_on(&error, ".spec.replicas");
    assert_eq!(error.api().map(|api| api.code), Some(409));
    let forced = api.apply(&other, &PatchParams::apply("autoscaler").force()).await.expect("forced");
    assert_eq!(forced.spec.as_ref().and_then(|spec| spec.replicas), Some(5));
    assert_eq!(owners(&forced, &["f:spec", "f:replicas"]), ["autoscaler"]);

    // Each manager's extract is what it applied (the scaler lost replicas to the force).
    let live = api.get("web").await.expect("get");
    assert_eq!(live.extract("creator").expect("extract creator"), creator_deployment("web", &ns));
    assert_eq!(live.extract("autoscaler").expect("extract autoscaler"), other);
    assert_eq!(live.extract("scaler").expect("extract scaler"), DeploymentApply::new("web", &ns));

    // A controller reads its intent back, changes it and applies again.
    let mut intent = live.extract("autoscaler").expect("extract");
    intent.spec.get_or_insert_default().replicas = Some(2);
    let changed = api.apply(&intent, &PatchParams::apply("autoscaler")).await.expect("apply the changed intent");
    assert_eq!(changed.spec.as_ref().and_then(|spec| spec.replicas), Some(2));
}

#[tokio::test]
async fn map_list_items_merge_by_key_across_managers() {
    let (ns, api) = deployments("ssa-merge").await;
    api.apply(&creator_deployment("web", &ns), &PatchParams::apply("creator")).await.expect("create");
    let with_container = |container: ContainerApply| {
        DeploymentApply::new("web", &ns).spec(
            DeploymentSpecApply::default()
                .template(PodTemplateSpecApply::default().spec(PodSpecApply::default().containers([container]))),
        )
    };
    let sidecar = with_container(ContainerApply::default().name("proxy").image("registry.example.com/proxy:1"));
    api.apply(&sidecar, &PatchParams::apply("injector")).await.expect("add a container");
    let env = with_container(
        ContainerApply::default().name("proxy").env([EnvVarApply::default().name("MODE").value("strict")]),
    );
    let merged = api.apply(&env, &PatchParams::apply("configurer")).await.expect("add an env var");

    let containers = &merged.spec.as_ref().expect("spec").template.spec.as_ref().expect("pod spec").containers;
    let names: Vec<&str> = containers.iter().map(|container| container.name.as_str()).collect();
    assert_eq!(names, ["app", "proxy"]);
    let proxy = &containers[1];
    assert_eq!(proxy.image.as_deref(), Some("registry.example.com/proxy:1"));
    let env_vars: Vec<(&str, Option<&str>)> =
        proxy.env.iter().flatten().map(|var| (var.name.as_str(), var.value.as_deref())).collect();
    assert_eq!(env_vars, [("MODE", Some("strict"))]);

    assert_eq!(merged.extract("injector").expect("extract injector"), sidecar);
    assert_eq!(merged.extract("configurer").expect("extract configurer"), env);
    assert_eq!(merged.extract("creator").expect("extract creator"), creator_deployment("web", &ns));
}

fn crd_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/crds").join(name)
}

async fn certificates(prefix: &str) -> (String, Api<Certificate>) {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    cp.install_crds(&[
        crd_path("cert-manager-v1.21.1-cert-manager.io_certificates.yaml"),
        crd_path("cert-manager-v1.21.1-cert-manager.io_issuers.yaml"),
    ])
    .await
    .expect("install CRDs");
    let ns = cp.fresh_namespace(prefix).await.expect("namespace");
    (
        ns.clone(),
        kubegen_test_crds::Clientset::new(cp.kube_client().expect("client")).cert_manager_io_v1().certificates(&ns),
    )
}

#[tokio::test]
async fn the_same_flow_on_a_custom_resource() {
    let (ns, api) = certificates("ssa-crd").await;
    let creator = CertificateApply::new("site", &ns).spec(
        CertificateSpecApply::default()
            .secret_name("site-tls")
            .dns_names(["site.example.com"])
            .issuer_ref(CertificateSpecIssuerRefApply::default().name("issuer").kind("Issuer")),
    );
    api.apply(&creator, &PatchParams::apply("creator")).await.expect("create");

    let alice =
        CertificateApply::new("site", &ns).spec(CertificateSpecApply::default().common_name("alice.example.com"));
    let applied = api.apply(&alice, &PatchParams::apply("alice")).await.expect("partial apply");
    assert_eq!(owners(&applied, &["f:spec", "f:commonName"]), ["alice"]);
    assert_eq!(owners(&applied, &["f:spec", "f:secretName"]), ["creator"]);
    assert_eq!(owners(&applied, &["f:spec", "f:issuerRef"]), ["creator"]);

    let bob = CertificateApply::new("site", &ns).spec(CertificateSpecApply::default().common_name("bob.example.com"));
    let error = api.apply(&bob, &PatchParams::apply("bob")).await.expect_err("conflict");
    assert_conflict_on(&error, ".spec.commonName");
    let forced = api.apply(&bob, &PatchParams::apply("bob").force()).await.expect("forced");
    assert_eq!(forced.spec.as_ref().and_then(|spec| spec.common_name.as_deref()), Some("bob.example.com"));

    let live = api.get("site").await.expect("get");
    assert_eq!(live.extract("creator").expect("extract creator"), creator);
    assert_eq!(live.extract("bob").expect("extract bob"), bob);
    assert_eq!(live.extract("alice").expect("extract alice"), CertificateApply::new("site", &ns));

    // Status conditions are a map list keyed by type: two managers' conditions both survive.
    let condition = |kind: &str| {
        CertificateApply::new("site", &ns).status(
            CertificateStatusApply::default().conditions([CertificateStatusConditionApply::default()
                .type_(kind)
                .status(CertificateStatusConditionStatus::True)
                .reason("Test")]),
        )
    };
    api.patch_status("site", &PatchParams::apply("issuer"), &Patch::Apply(&condition("Ready")))
        .await
        .expect("apply Ready");
    let both = api
        .patch_status("site", &PatchParams::apply("checker"), &Patch::Apply(&condition("Issuing")))
        .await
        .expect("apply Issuing");
    let types: Vec<String> = both
        .status
        .iter()
        .flat_map(|status| status.conditions.iter().flatten())
        .map(|condition| condition.type_.to_string())
        .collect();
    assert_eq!(types, ["Ready", "Issuing"]);
}
