//! The bundled v1.35 spec: every definition has a type, and resources have the right scope,
//! verbs and subresources (a sample across groups, checked against the API server's
//! discovery of a v1.35 cluster).

use std::collections::BTreeSet;

use kubegen::fixups::StalePolicy;
use kubegen::generate::{build_model, load_inputs};
use kubegen::ir::{Model, TypeKind, Verb};
use kubegen::spec::bundled;

fn model() -> Model {
    build_model(load_inputs(&[], &[]).expect("loads"), StalePolicy::Fail).expect("builds")
}

#[test]
fn every_definition_has_a_type_and_a_file() {
    let spec = bundled::load().expect("loads");
    assert_eq!(spec.definitions.len(), 735);
    let model = model();
    let settings = kubegen::emit::CrateSettings {
        name: "kubegen-api".into(),
        version: "0.1.0".into(),
        runtime: kubegen::emit::RuntimeDependency::Path("../runtime".into()),
        inputs: vec![],
        extern_crate: None,
    };
    let files = kubegen::emit::emit(&model, &settings).expect("emits");
    for name in spec.definitions.keys() {
        let ty = model.types.get(name).unwrap_or_else(|| panic!("{name} has no type"));
        let module_file = &files[&format!("src/{}/mod.rs", ty.module)];
        if let TypeKind::Provided(provided) = &ty.kind {
            assert!(
                module_file.contains(&format!("pub use ::kubegen_runtime::{};", provided.runtime_path)),
                "{name} is not re-exported"
            );
        } else {
            let file = &files[&format!("src/{}/{}.rs", ty.module, ty.file)];
            assert!(
                file.contains(&format!("pub struct {} ", ty.name))
                    || file.contains(&format!("pub enum {} ", ty.name))
                    || file.contains(&format!("pub type {} ", ty.name)),
                "{name} is not defined in its file"
            );
            assert!(
                module_file.contains(&format!("include!(\"{}.rs\");", ty.file)),
                "{name}'s file is not included in its module"
            );
        }
    }
    assert_eq!(model.types.len(), 735, "no type beyond the definitions");
}

const ALL: &[Verb] = &[
    Verb::Get,
    Verb::List,
    Verb::Watch,
    Verb::Create,
    Verb::Update,
    Verb::Patch,
    Verb::Delete,
    Verb::DeleteCollection,
];
const CREATE: &[Verb] = &[Verb::Create];

/// (type, api version, plural, namespaced, verbs, subresources)
type Expected = (&'static str, &'static str, &'static str, bool, &'static [Verb], &'static [&'static str]);

const SAMPLE: &[Expected] = &[
    (
        "io.k8s.api.core.v1.Pod",
        "v1",
        "pods",
        true,
        ALL,
        &[
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "resize",
            "status",
        ],
    ),
    ("io.k8s.api.core.v1.ConfigMap", "v1", "configmaps", true, ALL, &[]),
    (
        "io.k8s.api.core.v1.Namespace",
        "v1",
        "namespaces",
        false,
        &[Verb::Get, Verb::List, Verb::Watch, Verb::Create, Verb::Update, Verb::Patch, Verb::Delete],
        &["finalize", "status"],
    ),
    ("io.k8s.api.core.v1.Node", "v1", "nodes", false, ALL, &["proxy", "status"]),
    ("io.k8s.api.core.v1.Service", "v1", "services", true, ALL, &["proxy", "status"]),
    ("io.k8s.api.core.v1.ServiceAccount", "v1", "serviceaccounts", true, ALL, &["token"]),
    ("io.k8s.api.core.v1.Binding", "v1", "bindings", true, CREATE, &[]),
    ("io.k8s.api.core.v1.ComponentStatus", "v1", "componentstatuses", false, &[Verb::Get, Verb::List], &[]),
    ("io.k8s.api.core.v1.PersistentVolume", "v1", "persistentvolumes", false, ALL, &["status"]),
    ("io.k8s.api.core.v1.ReplicationController", "v1", "replicationcontrollers", true, ALL, &["scale", "status"]),
    ("io.k8s.api.apps.v1.Deployment", "apps/v1", "deployments", true, ALL, &["scale", "status"]),
    ("io.k8s.api.apps.v1.DaemonSet", "apps/v1", "daemonsets", true, ALL, &["status"]),
    ("io.k8s.api.apps.v1.ControllerRevision", "apps/v1", "controllerrevisions", true, ALL, &[]),
    ("io.k8s.api.batch.v1.CronJob", "batch/v1", "cronjobs", true, ALL, &["status"]),
    (
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
        "autoscaling/v2",
        "horizontalpodautoscalers",
        true,
        ALL,
        &["status"],
    ),
    ("io.k8s.api.rbac.v1.ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", false, ALL, &[]),
    ("io.k8s.api.rbac.v1.RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", true, ALL, &[]),
    ("io.k8s.api.authentication.v1.TokenReview", "authentication.k8s.io/v1", "tokenreviews", false, CREATE, &[]),
    (
        "io.k8s.api.authorization.v1.LocalSubjectAccessReview",
        "authorization.k8s.io/v1",
        "localsubjectaccessreviews",
        true,
        CREATE,
        &[],
    ),
    (
        "io.k8s.api.certificates.v1.CertificateSigningRequest",
        "certificates.k8s.io/v1",
        "certificatesigningrequests",
        false,
        ALL,
        &["approval", "status"],
    ),
    ("io.k8s.api.coordination.v1.Lease", "coordination.k8s.io/v1", "leases", true, ALL, &[]),
    ("io.k8s.api.events.v1.Event", "events.k8s.io/v1", "events", true, ALL, &[]),
    ("io.k8s.api.networking.v1.Ingress", "networking.k8s.io/v1", "ingresses", true, ALL, &["status"]),
    ("io.k8s.api.networking.v1.IngressClass", "networking.k8s.io/v1", "ingressclasses", false, ALL, &[]),
    ("io.k8s.api.policy.v1.PodDisruptionBudget", "policy/v1", "poddisruptionbudgets", true, ALL, &["status"]),
    ("io.k8s.api.scheduling.v1.PriorityClass", "scheduling.k8s.io/v1", "priorityclasses", false, ALL, &[]),
    ("io.k8s.api.storage.v1.VolumeAttachment", "storage.k8s.io/v1", "volumeattachments", false, ALL, &["status"]),
    ("io.k8s.api.resource.v1.ResourceClaim", "resource.k8s.io/v1", "resourceclaims", true, ALL, &["status"]),
    (
        "io.k8s.api.apiserverinternal.v1alpha1.StorageVersion",
        "internal.apiserver.k8s.io/v1alpha1",
        "storageversions",
        false,
        ALL,
        &["status"],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        "apiextensions.k8s.io/v1",
        "customresourcedefinitions",
        false,
        ALL,
        &["status"],
    ),
    (
        "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService",
        "apiregistration.k8s.io/v1",
        "apiservices",
        false,
        ALL,
        &["status"],
    ),
    ("io.k8s.api.flowcontrol.v1.FlowSchema", "flowcontrol.apiserver.k8s.io/v1", "flowschemas", false, ALL, &["status"]),
];

#[test]
fn resources_have_the_right_scope_verbs_and_subresources() {
    let model = model();
    for (id, api_version, plural, namespaced, verbs, subresources) in SAMPLE {
        let resource = model.resources.get(*id).unwrap_or_else(|| panic!("{id} is not a resource"));
        assert_eq!(resource.group_version_kind.api_version(), *api_version, "{id}");
        assert_eq!(resource.plural, *plural, "{id}");
        assert_eq!(resource.namespaced, *namespaced, "{id} scope");
        assert_eq!(resource.verbs, verbs.iter().copied().collect::<BTreeSet<_>>(), "{id} verbs");
        let found: Vec<&str> = resource.subresources.keys().map(String::as_str).collect();
        assert_eq!(found, *subresources, "{id} subresources");
    }
    assert!(SAMPLE.len() >= 20);
}

#[test]
fn subresources_name_their_types() {
    let model = model();
    let pod = &model.resources["io.k8s.api.core.v1.Pod"];
    let type_of = |name: &str| pod.subresources[name].type_id.as_deref();
    assert_eq!(type_of("eviction"), Some("io.k8s.api.policy.v1.Eviction"));
    assert_eq!(type_of("binding"), Some("io.k8s.api.core.v1.Binding"));
    assert_eq!(type_of("status"), Some("io.k8s.api.core.v1.Pod"));
    let deployment = &model.resources["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(deployment.subresources["scale"].type_id.as_deref(), Some("io.k8s.api.autoscaling.v1.Scale"));
    assert_eq!(deployment.subresources["scale"].verbs, [Verb::Get, Verb::Update, Verb::Patch].into_iter().collect());
    let account = &model.resources["io.k8s.api.core.v1.ServiceAccount"];
    assert_eq!(account.subresources["token"].type_id.as_deref(), Some("io.k8s.api.authentication.v1.TokenRequest"));
}

#[test]
fn types_with_many_kinds_are_not_resources() {
    let spec = bundled::load().expect("loads");
    let model = model();
    for name in
        ["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"]
    {
        assert_eq!(spec.definitions[name].schema.group_version_kinds.len(), 62, "{name}");
        assert!(!model.resources.contains_key(name), "{name} must not be a resource");
        let ty = &model.types[name];
        assert!(ty.group_version_kind.is_none(), "{name} has no single kind");
    }
    assert_eq!(model.resources.len(), 90);
}

/// The protobuf field table matches the bundled spec: every property of every type the table
/// knows has a field (a new Kubernetes version cannot drift silently; generation fails naming
/// the property), and the structs left without a decoder are exactly the known ones.
#[test]
fn the_protobuf_table_covers_the_bundled_spec() {
    let model = model();
    let table = kubegen::spec::protobuf::load().expect("table");
    assert_eq!(kubegen::emit::missing_fields(&model, &table), Vec::new());
    let support = kubegen::emit::ProtoSupport::new(&model, &table);
    let without: Vec<String> = support.without_decoder(&model);
    let mut expected = vec![
        // Request bodies: `apiVersion` and `kind` are properties of DeleteOptions, not
        // protobuf fields; Eviction holds it. Neither is ever decoded from a response.
        "io.k8s.api.policy.v1.Eviction".to_owned(),
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions".to_owned(),
    ];
    expected.sort();
    let mut without = without;
    without.sort();
    assert_eq!(without, expected);
    // CustomResourceDefinition's schema unions are matched field to variant, both ways.
    let apiextensions = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1";
    for name in
        ["CustomResourceDefinition", "JSONSchemaPropsOrBool", "JSONSchemaPropsOrArray", "JSONSchemaPropsOrStringArray"]
    {
        let id = format!("{apiextensions}.{name}");
        assert!(support.has_decoder(&id) && support.has_encoder(&id), "{name} decodes and encodes");
    }
}

/// A property the table lacks is named, with its definition.
#[test]
fn a_property_missing_from_the_protobuf_table_is_named() {
    let mut model = model();
    let pod_spec = model.types.get_mut("io.k8s.api.core.v1.PodSpec").expect("PodSpec");
    let TypeKind::Struct(body) = &mut pod_spec.kind else { panic!("PodSpec is a struct") };
    let mut added = body.fields[0].clone();
    added.json_name = "fromKubernetes2".into();
    added.rust_name = "from_kubernetes_2".into();
    body.fields.push(added);
    let table = kubegen::spec::protobuf::load().expect("table");
    let missing = kubegen::emit::missing_fields(&model, &table);
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].definition.as_str(), missing[0].property.as_str()),
        ("io.k8s.api.core.v1.PodSpec", "fromKubernetes2")
    );
    let support = kubegen::emit::ProtoSupport::new(&model, &table);
    let without = support.without_decoder(&model);
    for holder in ["io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment"] {
        assert!(without.iter().any(|id| id == holder), "{holder} decodes as JSON only");
    }
}

#[test]
fn apply_configurations_are_for_what_a_patchable_resource_holds() {
    let model = model();
    let applicable = kubegen::emit::Applicable::new(&model);
    let has = |id: &str| applicable.has(&model, id);
    // Patchable resources, their subresources' types, and what they hold at any depth.
    for id in [
        "io.k8s.api.apps.v1.Deployment",
        "io.k8s.api.apps.v1.DeploymentSpec",
        "io.k8s.api.core.v1.PodTemplateSpec",
        "io.k8s.api.core.v1.EnvVar",
        "io.k8s.api.autoscaling.v1.Scale",
        "io.k8s.api.core.v1.Container",
        "io.k8s.api.core.v1.ContainerPort",
        "io.k8s.api.core.v1.PodStatus",
        "io.k8s.api.apps.v1.DeploymentCondition",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec",
    ] {
        assert!(has(id), "{id} should have an apply configuration");
    }
    // Reached only through values the server replaces whole: atomic structs (`LabelSelector`,
    // `ConfigMapKeySelector`) and what they hold, the items of an atomic list
    // (`PodStatus.containerStatuses`) and what those hold: the field holds the model.
    for id in [
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        "io.k8s.api.core.v1.ContainerStatus",
        "io.k8s.api.core.v1.ContainerStateTerminated",
        "io.k8s.api.core.v1.ConfigMapKeySelector",
    ] {
        assert!(!has(id), "{id} is only ever replaced whole: no apply configuration");
    }
    // Lists, create-only reviews, and types no resource holds are never applied.
    for id in [
        "io.k8s.api.apps.v1.DeploymentList",
        "io.k8s.api.core.v1.PodList",
        "io.k8s.api.authentication.v1.TokenReview",
        "io.k8s.api.authorization.v1.SubjectAccessReviewSpec",
        "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    ] {
        assert!(!has(id), "{id} should have no apply configuration");
    }
}
