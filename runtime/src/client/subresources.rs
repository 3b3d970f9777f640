//! Subresources: status, scale, log, eviction, binding, token, ephemeral containers, resize,
//! approval and finalize, each available where the spec declares it.

use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::params::{Patch, PatchParams, PostParams};
use super::request::{PathBuilder, Request, RequestKind};
use super::{Api, Error};
use crate::resource::{Object, subresource};
use crate::types::Status;

/// The result of a delete: the object, while finalizers or a grace period keep it, or the
/// server's `Status` once it is gone.
#[derive(Clone, Debug, PartialEq)]
pub enum Deleted<T> {
    /// The object, still present (being deleted).
    Object(T),
    /// The object is gone.
    Status(Box<Status>),
}

impl<T: DeserializeOwned> Deleted<T> {
    pub(super) fn from_value(value: serde_json::Value, path: &str) -> Result<Self, Error> {
        let decode_error = |error: serde_json::Error, what: &'static str| Error::Decode {
            method: "DELETE".to_owned(),
            url: path.to_owned(),
            what,
            message: error.to_string(),
        };
        if value.get("kind").and_then(serde_json::Value::as_str) == Some("Status") {
            serde_json::from_value(value).map(Deleted::Status).map_err(|error| decode_error(error, "Status"))
        } else {
            serde_json::from_value(value)
                .map(Deleted::Object)
                .map_err(|error| decode_error(error, std::any::type_name::<T>()))
        }
    }
}

impl<T> Deleted<T> {
    /// The object, if the server returned it.
    pub fn object(self) -> Option<T> {
        match self {
            Deleted::Object(object) => Some(object),
            Deleted::Status(_) => None,
        }
    }
}

/// Parameters of a log read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogParams {
    /// The container; needed when the Pod has several.
    pub container: Option<String>,
    /// Keep streaming as the container writes.
    pub follow: bool,
    /// The log of the previous, terminated container.
    pub previous: bool,
    /// Only lines newer than this many seconds.
    pub since_seconds: Option<i64>,
    /// Only the last lines.
    pub tail_lines: Option<i64>,
    /// Prefix each line with an RFC 3339 timestamp.
    pub timestamps: bool,
    /// Stop after this many bytes.
    pub limit_bytes: Option<i64>,
}

impl LogParams {
    fn populate(&self, query: &mut PathBuilder) {
        query.optional("container", self.container.as_deref());
        if self.follow {
            query.param("follow", "true");
        }
        if self.previous {
            query.param("previous", "true");
        }
        if self.timestamps {
            query.param("timestamps", "true");
        }
        query
            .optional("sinceSeconds", self.since_seconds)
            .optional("tailLines", self.tail_lines)
            .optional("limitBytes", self.limit_bytes);
    }
}

impl<K: Object> Api<K> {
    /// Reads a subresource as `T`.
    pub async fn get_subresource<T: DeserializeOwned>(&self, name: &str, subresource: &str) -> Result<T, Error> {
        self.client.request(Request::new(Method::GET, self.path.subresource(name, subresource)?)).await
    }

    /// Replaces a subresource with `object`.
    pub async fn replace_subresource<T: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        subresource: &str,
        params: &PostParams,
        object: &T,
    ) -> Result<R, Error> {
        self.put(self.path.subresource(name, subresource)?, params, object).await
    }

    /// Patches a subresource.
    pub async fn patch_subresource<P: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        subresource: &str,
        params: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<R, Error> {
        self.send_patch(self.path.subresource(name, subresource)?, params, patch).await
    }

    /// Creates (posts) to a subresource.
    pub async fn create_subresource<T: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        subresource: &str,
        params: &PostParams,
        object: &T,
    ) -> Result<R, Error> {
        let mut query = PathBuilder::new(self.path.subresource(name, subresource)?);
        params.populate(&mut query);
        let body = serde_json::to_vec(object).map_err(Error::Encode)?;
        self.client.request(Request::new(Method::POST, query.build()).json(body)).await
    }
}

/// `get_<x>`, `replace_<x>` and `patch_<x>` for a subresource that reads and writes the
/// object itself.
macro_rules! object_subresource {
    ($marker:ident, $name:literal, $get:ident, $replace:ident, $patch:ident) => {
        impl<K: subresource::$marker> Api<K> {
            #[doc = concat!("Reads the object through its `", $name, "` subresource.")]
            pub async fn $get(&self, name: &str) -> Result<K, Error> {
                self.get_subresource(name, $name).await
            }

            #[doc = concat!("Replaces the object through its `", $name, "` subresource.")]
            pub async fn $replace(&self, name: &str, params: &PostParams, object: &K) -> Result<K, Error> {
                self.replace_subresource(name, $name, params, object).await
            }

            #[doc = concat!("Patches the object through its `", $name, "` subresource.")]
            pub async fn $patch<P: Serialize>(
                &self,
                name: &str,
                params: &PatchParams,
                patch: &Patch<P>,
            ) -> Result<K, Error> {
                self.patch_subresource(name, $name, params, patch).await
            }
        }
    };
}

object_subresource!(Status, "status", get_status, replace_status, patch_status);
object_subresource!(
    EphemeralContainers,
    "ephemeralcontainers",
    get_ephemeral_containers,
    replace_ephemeral_containers,
    patch_ephemeral_containers
);
object_subresource!(Resize, "resize", get_resize, replace_resize, patch_resize);
object_subresource!(Approval, "approval", get_approval, replace_approval, patch_approval);

impl<K: subresource::Scale> Api<K> {
    /// Reads the scale of a workload.
    pub async fn get_scale(&self, name: &str) -> Result<K::Scale, Error> {
        self.get_subresource(name, "scale").await
    }

    /// Replaces the scale of a workload.
    pub async fn replace_scale(&self, name: &str, params: &PostParams, scale: &K::Scale) -> Result<K::Scale, Error> {
        self.replace_subresource(name, "scale", params, scale).await
    }

    /// Patches the scale of a workload.
    pub async fn patch_scale<P: Serialize>(
        &self,
        name: &str,
        params: &PatchParams,
        patch: &Patch<P>,
    ) -> Result<K::Scale, Error> {
        self.patch_subresource(name, "scale", params, patch).await
    }
}

impl<K: subresource::Log> Api<K> {
    /// Reads a container's log (`follow` is ignored: use [`Api::log_stream`]).
    pub async fn logs(&self, name: &str, params: &LogParams) -> Result<String, Error> {
        let mut query = PathBuilder::new(self.path.subresource(name, "log")?);
        LogParams { follow: false, ..params.clone() }.populate(&mut query);
        self.client.request_text(Request::new(Method::GET, query.build())).await
    }

    /// Streams a container's log as it is written (with `follow`), in chunks of bytes.
    pub async fn log_stream(
        &self,
        name: &str,
        params: &LogParams,
    ) -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
        let mut query = PathBuilder::new(self.path.subresource(name, "log")?);
        params.populate(&mut query);
        let path = query.build();
        let url = self.client.display_url(&path);
        let response = self.client.send(Request::new(Method::GET, path).kind(RequestKind::Stream)).await?;
        Ok(response.bytes_stream().map_err(move |source| Error::Transport {
            method: "GET".to_owned(),
            url: url.clone(),
            message: format!("log stream broke: {}", super::error_chain(&source)),
            source,
        }))
    }
}

impl<K: subresource::Evict> Api<K> {
    /// Evicts a Pod, respecting its PodDisruptionBudgets: 429 TooManyRequests when a budget
    /// forbids it now.
    pub async fn evict(&self, name: &str, params: &PostParams, eviction: &K::Eviction) -> Result<Status, Error> {
        self.create_subresource(name, "eviction", params, eviction).await
    }
}

impl<K: subresource::Bind> Api<K> {
    /// Binds a Pod to a node (what a scheduler does).
    pub async fn bind(&self, name: &str, params: &PostParams, binding: &K::Binding) -> Result<Status, Error> {
        self.create_subresource(name, "binding", params, binding).await
    }
}

impl<K: subresource::Token> Api<K> {
    /// Requests a token for a ServiceAccount.
    pub async fn create_token(
        &self,
        name: &str,
        params: &PostParams,
        request: &K::TokenRequest,
    ) -> Result<K::TokenRequest, Error> {
        self.create_subresource(name, "token", params, request).await
    }
}

impl<K: subresource::Finalize> Api<K> {
    /// Replaces a Namespace's `spec.finalizers` through its `finalize` subresource.
    pub async fn replace_finalize(&self, name: &str, params: &PostParams, object: &K) -> Result<K, Error> {
        self.replace_subresource(name, "finalize", params, object).await
    }
}
