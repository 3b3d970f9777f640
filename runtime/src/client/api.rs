//! `Api<K>`: the verbs of one resource, typed, generic over the generated types.
//!
//! Each method is bounded on the marker trait of its verb (see
//! [`resource::verbs`](crate::resource::verbs)), which the generator implements only where
//! the spec's paths have that verb: `Api::<Binding>::list` does not compile.

use std::marker::PhantomData;

use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde::Serialize;

use super::params::{DeleteParams, GetParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use super::request::{PathBuilder, Request, RequestKind};
use super::segment::segment;
use super::{Client, Deleted, Error, ObjectList};
use crate::resource::{NamespaceScoped, Object, Resource, Scope, verbs};
use crate::types::ListMeta;
use crate::watch::{WatchEvent, decode_events};

/// Where a resource lives: its group, version, plural and, for a namespaced view, the
/// namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourcePath {
    /// API group, empty for core.
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural name.
    pub plural: String,
    /// Whether the resource is namespaced.
    pub namespaced: bool,
    /// The namespace of this view; `None` for cluster-scoped resources and for views across
    /// all namespaces.
    pub namespace: Option<String>,
}

impl ResourcePath {
    /// The path of a typed resource, in `namespace` (or across namespaces when `None`).
    pub fn of<K: Resource>(namespace: Option<&str>) -> Self {
        ResourcePath {
            group: K::GROUP.to_owned(),
            version: K::VERSION.to_owned(),
            plural: K::PLURAL.to_owned(),
            namespaced: K::Scope::NAMESPACED,
            namespace: if K::Scope::NAMESPACED { namespace.map(str::to_owned) } else { None },
        }
    }

    /// `/api/v1` or `/apis/<group>/<version>`. Each part is checked as a path segment (see
    /// [`segment`](super::segment)): a group or version from a hostile discovery document
    /// cannot climb out of its place.
    pub fn prefix(&self) -> Result<String, Error> {
        let version = segment("version", &self.version)?;
        Ok(if self.group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{}/{version}", segment("group", &self.group)?)
        })
    }

    /// The collection: `<prefix>[/namespaces/<namespace>]/<plural>`.
    pub fn collection(&self) -> Result<String, Error> {
        let prefix = self.prefix()?;
        let plural = segment("resource", &self.plural)?;
        Ok(match &self.namespace {
            Some(namespace) => format!("{prefix}/namespaces/{}/{plural}", segment("namespace", namespace)?),
            None => format!("{prefix}/{plural}"),
        })
    }

    /// One object: `<collection>/<name>`.
    pub fn item(&self, name: &str) -> Result<String, Error> {
        if self.namespaced && self.namespace.is_none() {
            return Err(Error::InvalidRequest(format!(
                "{} is namespaced: use a namespaced Api to address one object",
                self.plural
            )));
        }
        let name = segment("name", name)?;
        Ok(format!("{}/{name}", self.collection()?))
    }

    /// A subresource of one object: `<item>/<subresource>`.
    pub fn subresource(&self, name: &str, subresource: &str) -> Result<String, Error> {
        let subresource = segment("subresource", subresource)?;
        Ok(format!("{}/{subresource}", self.item(name)?))
    }
}

/// The typed client of one resource, in one namespace or across all.
pub struct Api<K> {
    pub(super) client: Client,
    pub(super) path: ResourcePath,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Api<K> {
    fn clone(&self) -> Self {
        Self { client: self.client.clone(), path: self.path.clone(), _kind: PhantomData }
    }
}

impl<K> std::fmt::Debug for Api<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("path", &self.path).finish_non_exhaustive()
    }
}

impl<K: Resource> Api<K> {
    /// The objects in `namespace`.
    pub fn namespaced(client: Client, namespace: &str) -> Self
    where
        K: Resource<Scope = NamespaceScoped>,
    {
        Self::from_path(client, ResourcePath::of::<K>(Some(namespace)))
    }

    /// The objects in the client's default namespace.
    pub fn default_namespaced(client: Client) -> Self
    where
        K: Resource<Scope = NamespaceScoped>,
    {
        let namespace = client.default_namespace().to_owned();
        Self::namespaced(client, &namespace)
    }

    /// Every object: across all namespaces for a namespaced resource (for list, watch and
    /// delete-collection), or the cluster-scoped resource itself.
    pub fn all(client: Client) -> Self {
        Self::from_path(client, ResourcePath::of::<K>(None))
    }
}

impl<K: Object> Api<K> {
    /// An `Api` for objects at `path`; for dynamic resources found by discovery.
    pub fn from_path(client: Client, path: ResourcePath) -> Self {
        Self { client, path, _kind: PhantomData }
    }

    /// Where this `Api` sends requests.
    pub fn resource_path(&self) -> &ResourcePath {
        &self.path
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The namespace of this view, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.path.namespace.as_deref()
    }

    /// Reads an object.
    pub async fn get(&self, name: &str) -> Result<K, Error>
    where
        K: verbs::Get,
    {
        self.get_with(name, &GetParams::default()).await
    }

    /// Reads an object, or `None` if it does not exist.
    pub async fn get_opt(&self, name: &str) -> Result<Option<K>, Error>
    where
        K: verbs::Get,
    {
        match self.get(name).await {
            Ok(object) => Ok(Some(object)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Reads an object with parameters (a resourceVersion).
    pub async fn get_with(&self, name: &str, params: &GetParams) -> Result<K, Error>
    where
        K: verbs::Get,
    {
        let mut query = PathBuilder::new(self.path.item(name)?);
        params.populate(&mut query);
        self.client.request_object(Request::new(Method::GET, query.build())).await
    }

    /// Lists objects (one page if `params.limit` is set).
    pub async fn list(&self, params: &ListParams) -> Result<ObjectList<K>, Error>
    where
        K: verbs::List,
    {
        let mut query = PathBuilder::new(self.path.collection()?);
        params.populate(&mut query);
        self.client.request_object_list(Request::new(Method::GET, query.build())).await
    }

    /// Lists one page as [`Api::list`] does, and calls `on_metadata` with the page's metadata
    /// (its continue token) as soon as it is known, while the items may still be arriving
    /// ([`Client::request_object_list_with`]): the next page can be asked for that early.
    pub async fn list_with_early_metadata(
        &self,
        params: &ListParams,
        on_metadata: impl FnOnce(&ListMeta) + Send,
    ) -> Result<ObjectList<K>, Error>
    where
        K: verbs::List,
    {
        let mut query = PathBuilder::new(self.path.collection()?);
        params.populate(&mut query);
        self.client.request_object_list_with(Request::new(Method::GET, query.build()), on_metadata).await
    }

    /// Lists every object, page by page (`params.limit` per page, 500 by default), as a
    /// stream: memory holds one page at a time.
    pub fn list_all(&self, params: &ListParams) -> impl Stream<Item = Result<K, Error>> + Send + 'static
    where
        K: verbs::List,
    {
        let api = self.clone();
        let mut first = params.clone();
        first.limit = Some(params.limit.unwrap_or(500));
        futures::stream::try_unfold(Some(first), move |next| {
            let api = api.clone();
            async move {
                let Some(params) = next else { return Ok(None) };
                let page = api.list(&params).await?;
                let next = page.continue_token().map(|token| ListParams {
                    continue_token: Some(token.to_owned()),
                    resource_version: None,
                    version_match: None,
                    ..params.clone()
                });
                Ok::<_, Error>(Some((futures::stream::iter(page.items.into_iter().map(Ok)), next)))
            }
        })
        .try_flatten()
    }

    /// Watches objects from `resource_version` (`""` for the newest state with synthetic
    /// ADDED events, `"0"` for any): a stream of events that ends when the server closes the
    /// watch (after `timeout_seconds`).
    pub async fn watch(
        &self,
        params: &WatchParams,
        resource_version: &str,
    ) -> Result<impl Stream<Item = Result<WatchEvent<K>, Error>> + Send + 'static, Error>
    where
        K: verbs::Watch,
    {
        let mut query = PathBuilder::new(self.path.collection()?);
        params.populate(&mut query, resource_version);
        let path = query.build();
        let url = self.client.display_url(&path);
        let mut request = Request::new(Method::GET, path).kind(RequestKind::Watch);
        // A protobuf answer comes in `;stream=watch` frames of the type the server chose.
        if let Some(accept) = self.client.accept_for::<K>(super::protobuf::Answer::Object) {
            request = request.accept(accept);
        }
        let response = self.client.send(request).await?;
        let protobuf = super::protobuf::is_protobuf(&response);
        let body = Box::pin(response.bytes_stream());
        Ok(if protobuf {
            futures::future::Either::Left(crate::watch::decode_proto_events(body, url))
        } else {
            futures::future::Either::Right(decode_events(body, url))
        })
    }

    /// Creates an object.
    pub async fn create(&self, params: &PostParams, object: &K) -> Result<K, Error>
    where
        K: verbs::Create,
    {
        let mut query = PathBuilder::new(self.path.collection()?);
        params.populate(&mut query);
        let request = self.client.with_object_body(Request::new(Method::POST, query.build()), object)?;
        self.client.request_object(request).await
    }

    /// Replaces an object (an update: its `metadata.resourceVersion` must be current, or the
    /// server answers 409 Conflict).
    pub async fn replace(&self, name: &str, params: &PostParams, object: &K) -> Result<K, Error>
    where
        K: verbs::Update,
    {
        let mut query = PathBuilder::new(self.path.item(name)?);
        params.populate(&mut query);
        let request = self.client.with_object_body(Request::new(Method::PUT, query.build()), object)?;
        self.client.request_object(request).await
    }

    pub(super) async fn put<T: Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: String,
        params: &PostParams,
        object: &T,
    ) -> Result<R, Error> {
        let mut query = PathBuilder::new(path);
        params.populate(&mut query);
        let body = serde_json::to_vec(object).map_err(Error::Encode)?;
        self.client.request(Request::new(Method::PUT, query.build()).json(body)).await
    }

    /// Patches an object: JSON patch, merge patch, strategic merge patch or server-side apply.
    pub async fn patch<P: Serialize>(&self, name: &str, params: &PatchParams, patch: &Patch<P>) -> Result<K, Error>
    where
        K: verbs::Patch,
    {
        let request = Self::patch_request(self.path.item(name)?, params, patch)?;
        self.client.request_object(request).await
    }

    pub(super) async fn send_patch<P: Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: String,
        params: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<R, Error> {
        self.client.request(Self::patch_request(path, params, patch)?).await
    }

    fn patch_request<P: Serialize>(path: String, params: &PatchParams, patch: &Patch<P>) -> Result<Request, Error> {
        if patch.is_apply() && params.field_manager.is_none() {
            return Err(Error::InvalidRequest("server-side apply needs a field manager".into()));
        }
        let mut query = PathBuilder::new(path);
        params.populate(&mut query);
        let body = patch.to_body().map_err(Error::Encode)?;
        Ok(Request::new(Method::PATCH, query.build()).body(body, patch.content_type()))
    }

    /// Deletes an object. The server returns the object while finalizers or graceful deletion
    /// keep it, and a `Status` once it is gone.
    pub async fn delete(&self, name: &str, params: &DeleteParams) -> Result<Deleted<K>, Error>
    where
        K: verbs::Delete,
    {
        let body = serde_json::to_vec(params).map_err(Error::Encode)?;
        let value: serde_json::Value =
            self.client.request(Request::new(Method::DELETE, self.path.item(name)?).json(body)).await?;
        Deleted::from_value(value, &self.path.item(name)?)
    }

    /// Deletes the objects matching `list` (across namespaces with an `all` view). Returns
    /// the deleted objects, or a `Status`.
    pub async fn delete_collection(
        &self,
        params: &DeleteParams,
        list: &ListParams,
    ) -> Result<Deleted<ObjectList<K>>, Error>
    where
        K: verbs::DeleteCollection,
    {
        let mut query = PathBuilder::new(self.path.collection()?);
        list.populate(&mut query);
        let body = serde_json::to_vec(params).map_err(Error::Encode)?;
        let path = query.build();
        let value: serde_json::Value =
            self.client.request(Request::new(Method::DELETE, path.clone()).json(body)).await?;
        Deleted::from_value(value, &path)
    }

    /// Creates or updates an object with server-side apply: the field manager (required)
    /// and `force` come from `params` (`PatchParams::apply("manager")`). `object` is an
    /// apply configuration (`DeploymentApply`, only its set fields are sent and owned) or a
    /// full model (every field is sent, required ones at their defaults, and owned); its
    /// metadata names the object.
    pub async fn apply<A>(&self, object: &A, params: &PatchParams) -> Result<K, Error>
    where
        K: verbs::Patch,
        A: crate::apply::ApplyObject<Resource = K>,
    {
        let name = object.apply_metadata().and_then(|metadata| metadata.name.as_deref()).unwrap_or_default();
        if name.is_empty() {
            return Err(Error::InvalidRequest("server-side apply needs the object's metadata.name".into()));
        }
        self.patch(name, params, &Patch::Apply(object)).await
    }
}
