//! Traits that generated types implement.
//!
//! A generated resource type implements [`ApiType`] (its group, version and kind),
//! [`Object`] (access to its `metadata`) and [`Resource`] (its plural and scope), plus one
//! marker trait from [`verbs`] for every verb the spec's paths declare for it and one from
//! [`subresource`] for every subresource. Methods of the typed client are bounded on these
//! markers, so `api.delete_collection(..)` on a resource that does not support it is a
//! compile error rather than a 405 at run time.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::ObjectMeta;

/// A type with a single group/version/kind: resources, their lists, and request bodies such
/// as `Eviction` or `TokenRequest`.
///
/// Generated types carry [`ApiVersion`](crate::ApiVersion) and [`Kind`](crate::Kind) fields
/// that serialize these constants, so a user never sets `apiVersion` or `kind` by hand.
pub trait ApiType {
    /// API group, empty for the core group.
    const GROUP: &'static str;
    /// API version within the group, for example `v1`.
    const VERSION: &'static str;
    /// Kind, for example `Pod`.
    const KIND: &'static str;
    /// `group/version`, or just `version` for the core group.
    const API_VERSION: &'static str;
}

/// An object with standard metadata that travels as JSON.
///
/// Implemented by every generated resource type and by the runtime's dynamic object, so that
/// the client and the informer machinery can work on both.
pub trait Object: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The object's metadata.
    fn metadata(&self) -> &ObjectMeta;
    /// The object's metadata, mutable.
    fn metadata_mut(&mut self) -> &mut ObjectMeta;

    /// Whether [`Object::from_protobuf`] decodes this type: built-in types of a crate built
    /// with its `protobuf` feature. The client then asks the server for protobuf.
    const PROTOBUF: bool = false;

    /// The object as a protobuf request body (`k8s\0` envelope), for types with an encoder
    /// (built-in types of a crate built with its `protobuf` feature); `None` sends JSON.
    fn to_protobuf(&self) -> Option<Vec<u8>> {
        None
    }

    /// Whether this type is a metadata-only view of objects of any resource
    /// ([`PartialObjectMetadata`](crate::dynamic::PartialObjectMetadata)): the client asks the
    /// server to convert what it sends (`as=PartialObjectMetadata;g=meta.k8s.io;v=v1`, and
    /// `PartialObjectMetadataList` for lists), so only metadata crosses the wire.
    const METADATA_ONLY: bool = false;

    /// Decodes the object from its protobuf message (the `raw` of a `k8s\0` envelope).
    fn from_protobuf(raw: &[u8]) -> Result<Self, crate::proto::DecodeError> {
        let _ = raw;
        Err(crate::proto::DecodeError::new(crate::proto::DecodeErrorKind::NoDecoder(std::any::type_name::<Self>())))
    }
}

/// A resource the API server serves under a plural name, namespaced or cluster-wide.
pub trait Resource: ApiType + Object {
    /// The plural name used in URL paths, for example `pods`.
    const PLURAL: &'static str;
    /// The kind of this resource's list type, for example `PodList`.
    const LIST_KIND: &'static str;
    /// [`NamespaceScoped`] or [`ClusterScoped`].
    type Scope: Scope;
}

/// Whether a resource lives in a namespace.
pub trait Scope: sealed::Sealed + Send + Sync + 'static {
    /// True for namespaced resources.
    const NAMESPACED: bool;
}

/// Scope of resources that live in a namespace, such as Pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NamespaceScoped;

/// Scope of resources that live outside namespaces, such as Nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterScoped;

impl Scope for NamespaceScoped {
    const NAMESPACED: bool = true;
}

impl Scope for ClusterScoped {
    const NAMESPACED: bool = false;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::NamespaceScoped {}
    impl Sealed for super::ClusterScoped {}
}

/// Marker traits for the verbs a resource supports, from the spec's `x-kubernetes-action`s.
pub mod verbs {
    use super::Object;

    /// `get` on the object path.
    pub trait Get: Object {}
    /// `list` on the collection path.
    pub trait List: Object {}
    /// `watch` (or `watchlist`) on the collection path.
    pub trait Watch: Object {}
    /// `post` on the collection path.
    pub trait Create: Object {}
    /// `put` on the object path.
    pub trait Update: Object {}
    /// `patch` on the object path.
    pub trait Patch: Object {}
    /// `delete` on the object path.
    pub trait Delete: Object {}
    /// `deletecollection` on the collection path.
    pub trait DeleteCollection: Object {}
}

/// Marker traits for subresources, from the spec's `{name}/<subresource>` paths.
///
/// Where a subresource takes or returns a type other than the resource itself, the trait names
/// it, so that the generic client method is typed.
pub mod subresource {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::Object;

    /// `status`: get, replace and patch the object through its status subresource.
    pub trait Status: Object {}

    /// `scale`: get, replace and patch the scale of a workload.
    pub trait Scale: Object {
        /// The scale type, `autoscaling/v1` `Scale` for the built-in resources.
        type Scale: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
    }

    /// `log`: read a Pod's log.
    pub trait Log: Object {}

    /// `eviction`: create an eviction for a Pod.
    pub trait Evict: Object {
        /// The eviction body, `policy/v1` `Eviction`.
        type Eviction: Serialize + DeserializeOwned + Send + Sync + 'static;
    }

    /// `binding`: bind a Pod to a node.
    pub trait Bind: Object {
        /// The binding body, core `v1` `Binding`.
        type Binding: Serialize + DeserializeOwned + Send + Sync + 'static;
    }

    /// `token`: request a token for a ServiceAccount.
    pub trait Token: Object {
        /// The token request, `authentication.k8s.io/v1` `TokenRequest`.
        type TokenRequest: Serialize + DeserializeOwned + Send + Sync + 'static;
    }

    /// `ephemeralcontainers`: get, replace and patch a Pod's ephemeral containers.
    pub trait EphemeralContainers: Object {}

    /// `resize`: get, replace and patch a Pod's resources in place.
    pub trait Resize: Object {}

    /// `approval`: get, replace and patch the approval of a CertificateSigningRequest.
    pub trait Approval: Object {}

    /// `finalize`: replace a Namespace's finalizers.
    pub trait Finalize: Object {}

    /// `exec`: run a command in a container (a streaming connection).
    pub trait Exec: Object {}

    /// `attach`: attach to a running container (a streaming connection).
    pub trait Attach: Object {}

    /// `portforward`: forward ports of a Pod (a streaming connection).
    pub trait PortForward: Object {}

    /// `proxy`: proxy HTTP requests to a Pod, Service or Node.
    pub trait Proxy: Object {}
}
