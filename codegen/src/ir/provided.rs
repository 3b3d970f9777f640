//! Definitions that `kubegen-runtime` provides instead of the generated crate.
//!
//! The runtime's behaviour depends on these types (errors are `Status`es, the informer keys
//! objects by `ObjectMeta`, scalars need custom serde), so they are written by hand there and
//! re-exported by generated crates. For the struct types, each entry lists the JSON properties
//! the runtime's type has: if a spec's definition has a property the runtime lacks, generation
//! fails, since objects would otherwise lose that field. A test in this crate checks that the
//! lists match the runtime's types.

/// A runtime-provided definition.
#[derive(Debug, PartialEq, Eq)]
pub struct Provided {
    /// The spec's definition name.
    pub definition: &'static str,
    /// The type's path under `kubegen_runtime`.
    pub runtime_path: &'static str,
    /// JSON properties of the runtime's struct; `None` for scalars and opaque values.
    pub properties: Option<&'static [&'static str]>,
}

/// Every runtime-provided definition.
pub const PROVIDED: &[Provided] = &[
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        runtime_path: "ObjectMeta",
        properties: Some(&[
            "annotations",
            "creationTimestamp",
            "deletionGracePeriodSeconds",
            "deletionTimestamp",
            "finalizers",
            "generateName",
            "generation",
            "labels",
            "managedFields",
            "name",
            "namespace",
            "ownerReferences",
            "resourceVersion",
            "selfLink",
            "uid",
        ]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
        runtime_path: "ListMeta",
        properties: Some(&["continue", "remainingItemCount", "resourceVersion", "selfLink"]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
        runtime_path: "OwnerReference",
        properties: Some(&["apiVersion", "blockOwnerDeletion", "controller", "kind", "name", "uid"]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
        runtime_path: "ManagedFieldsEntry",
        properties: Some(&["apiVersion", "fieldsType", "fieldsV1", "manager", "operation", "subresource", "time"]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
        runtime_path: "FieldsV1",
        properties: None,
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        runtime_path: "Status",
        properties: Some(&["apiVersion", "code", "details", "kind", "message", "metadata", "reason", "status"]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails",
        runtime_path: "StatusDetails",
        properties: Some(&["causes", "group", "kind", "name", "retryAfterSeconds", "uid"]),
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause",
        runtime_path: "StatusCause",
        properties: Some(&["field", "message", "reason"]),
    },
    Provided { definition: "io.k8s.apimachinery.pkg.apis.meta.v1.Time", runtime_path: "Time", properties: None },
    Provided {
        definition: "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
        runtime_path: "MicroTime",
        properties: None,
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.api.resource.Quantity",
        runtime_path: "Quantity",
        properties: None,
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        runtime_path: "IntOrString",
        properties: None,
    },
    Provided {
        definition: "io.k8s.apimachinery.pkg.runtime.RawExtension",
        runtime_path: "RawExtension",
        properties: None,
    },
];

/// The provided type for a definition name, if the runtime provides it.
pub fn lookup(definition: &str) -> Option<&'static Provided> {
    if !definition.starts_with("io.k8s.apimachinery.") {
        return None;
    }
    PROVIDED.iter().find(|provided| provided.definition == definition)
}

/// `ObjectMeta`'s definition name.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// The `Quantity` definition: also what a `type` of `string` and `number` means.
pub const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    fn keys(value: Value) -> BTreeSet<String> {
        match value {
            Value::Object(map) => map.into_iter().map(|(key, _)| key).collect(),
            other => panic!("expected an object, got {other}"),
        }
    }

    fn listed(definition: &str) -> BTreeSet<String> {
        let provided = lookup(definition).expect("provided");
        provided.properties.expect("struct").iter().map(|p| (*p).to_owned()).collect()
    }

    /// The property lists above must equal what the runtime's types serialize when every
    /// field is set; otherwise the contract check at generation time would be wrong.
    #[test]
    fn property_lists_match_the_runtime_types() {
        let full_meta = serde_json::json!({
            "annotations": {"a": "b"}, "creationTimestamp": "2024-01-01T00:00:00Z",
            "deletionGracePeriodSeconds": 1, "deletionTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": ["f"], "generateName": "g", "generation": 1, "labels": {"a": "b"},
            "managedFields": [{"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {},
                "manager": "m", "operation": "Apply", "subresource": "status",
                "time": "2024-01-01T00:00:00Z"}],
            "name": "n", "namespace": "ns",
            "ownerReferences": [{"apiVersion": "v1", "blockOwnerDeletion": true, "controller": true,
                "kind": "K", "name": "n", "uid": "u"}],
            "resourceVersion": "1", "selfLink": "s", "uid": "u"
        });
        let meta: kubegen_runtime::ObjectMeta = serde_json::from_value(full_meta.clone()).expect("decodes");
        let encoded = serde_json::to_value(&meta).expect("encodes");
        assert_eq!(encoded, full_meta, "ObjectMeta round-trips with every field set");
        assert_eq!(keys(encoded.clone()), listed(&format!("{META}ObjectMeta")));
        assert_eq!(keys(encoded["managedFields"][0].clone()), listed(&format!("{META}ManagedFieldsEntry")));
        assert_eq!(keys(encoded["ownerReferences"][0].clone()), listed(&format!("{META}OwnerReference")));

        let full_status = serde_json::json!({
            "apiVersion": "v1", "kind": "Status", "code": 404, "message": "m", "reason": "NotFound",
            "status": "Failure",
            "metadata": {"continue": "c", "remainingItemCount": 1, "resourceVersion": "1", "selfLink": "s"},
            "details": {"causes": [{"field": "f", "message": "m", "reason": "r"}], "group": "g",
                "kind": "k", "name": "n", "retryAfterSeconds": 1, "uid": "u"}
        });
        let status: kubegen_runtime::Status = serde_json::from_value(full_status.clone()).expect("decodes");
        let encoded = serde_json::to_value(&status).expect("encodes");
        assert_eq!(encoded, full_status, "Status round-trips with every field set");
        assert_eq!(keys(encoded.clone()), listed(&format!("{META}Status")));
        assert_eq!(keys(encoded["metadata"].clone()), listed(&format!("{META}ListMeta")));
        assert_eq!(keys(encoded["details"].clone()), listed(&format!("{META}StatusDetails")));
        assert_eq!(keys(encoded["details"]["causes"][0].clone()), listed(&format!("{META}StatusCause")));
    }
}
