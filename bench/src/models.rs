//! The two Rust model crates under test, behind one trait, so that every workload is written
//! once and instantiated per library: [`Kubegen`] (`kubegen-api` + `kubegen-runtime`) and
//! [`KubeRs`] (`k8s-openapi` + `kube`).

use serde::de::DeserializeOwned;

use kubegen_api::core_v1 as kg;
use kubegen_runtime::client::{ListDecoder, ObjectList};
use kubegen_runtime::watch::WatchEvent as KgEvent;

use k8s_openapi::api::core::v1 as ko;
use kube::core::WatchEvent as KubeEvent;

/// One library's types for the Pod and ConfigMap workloads.
pub trait Models {
    /// The library's name in the results.
    const LIBRARY: &'static str;
    /// A Pod.
    type Pod: Object;
    /// A ConfigMap.
    type ConfigMap: Object;
    /// A PodList as the library's client returns it.
    type PodList: Items<Self::Pod>;
    /// A watch event carrying a Pod.
    type PodEvent: DeserializeOwned + IntoObject<Self::Pod>;
    /// A watch event carrying a ConfigMap.
    type ConfigMapEvent: DeserializeOwned + IntoObject<Self::ConfigMap>;

    /// Parses a response body or a watch line the way the library's client does.
    fn parse<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T>;

    /// Decodes a Pod list body the way the library's client decodes a list response.
    fn parse_pod_list(bytes: &[u8]) -> anyhow::Result<Self::PodList>;
}

/// The size of the chunks a list body is handed over in: HTTP/2's default frame size, the
/// most that one DATA frame (and so one chunk from the client) carries.
const CHUNK: usize = 16 * 1024;

/// What the workloads need of an object: its cache key and its share of the fixture checksum.
pub trait Object: DeserializeOwned + Send + Sync + 'static {
    /// `namespace/name`.
    fn key(&self) -> String;
    /// Containers of a Pod, data keys of a ConfigMap.
    fn checksum(&self) -> usize;
}

/// The items of a list.
pub trait Items<T> {
    /// The items.
    fn items(&self) -> &[T];
}

/// The object of an ADDED/MODIFIED/DELETED watch event.
pub trait IntoObject<T> {
    /// The object, or `None` for bookmarks and errors.
    fn into_object(self) -> Option<T>;
}

/// kubegen: `kubegen-api` models, `kubegen-runtime` watch events.
pub struct Kubegen;

impl Models for Kubegen {
    const LIBRARY: &'static str = "kubegen";
    type Pod = kg::Pod;
    type ConfigMap = kg::ConfigMap;
    type PodList = ObjectList<kg::Pod>;
    type PodEvent = KgEvent<kg::Pod>;
    type ConfigMapEvent = KgEvent<kg::ConfigMap>;

    /// The runtime's own function, which its client runs on every body and watch line: one
    /// UTF-8 check of the whole input, then `serde_json::from_str`.
    fn parse<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
        kubegen_runtime::client::parse_json(bytes)
    }

    /// `Api::list` decodes the body while it arrives: each element of `items` as soon as it
    /// is complete (`ListDecoder`), here fed in 16 KiB chunks.
    fn parse_pod_list(bytes: &[u8]) -> anyhow::Result<Self::PodList> {
        let mut decoder = ListDecoder::new();
        for chunk in bytes.chunks(CHUNK) {
            decoder.push(chunk)?;
        }
        Ok(decoder.finish()?)
    }
}

/// kube-rs: `k8s-openapi` models, `kube-core` watch events (what kube-runtime's watcher decodes).
pub struct KubeRs;

impl Models for KubeRs {
    const LIBRARY: &'static str = "kube-rs";
    type Pod = ko::Pod;
    type ConfigMap = ko::ConfigMap;
    type PodList = k8s_openapi::List<ko::Pod>;
    type PodEvent = KubeEvent<ko::Pod>;
    type ConfigMapEvent = KubeEvent<ko::ConfigMap>;

    /// What kube-client 5.0 does: `Client::request` takes the body as a `String`
    /// (`String::from_utf8(body.to_vec())` in `request_text`) and runs `serde_json::from_str`;
    /// watch lines arrive as `String`s from `tokio_util`'s `LinesCodec` (a UTF-8 check and a
    /// copy) and go through `serde_json::from_str` too (kube-client `src/client/mod.rs`).
    fn parse<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
        let text = String::from_utf8(bytes.to_vec()).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        serde_json::from_str(&text)
    }
    /// `Api::list` reads the whole body, then parses it as above.
    fn parse_pod_list(bytes: &[u8]) -> anyhow::Result<Self::PodList> {
        Ok(Self::parse(bytes)?)
    }
}

fn key(namespace: Option<&str>, name: Option<&str>) -> String {
    format!("{}/{}", namespace.unwrap_or_default(), name.unwrap_or_default())
}

impl Object for kg::Pod {
    fn key(&self) -> String {
        key(self.metadata.namespace.as_deref(), self.metadata.name.as_deref())
    }
    fn checksum(&self) -> usize {
        self.spec.as_ref().map_or(0, |spec| spec.containers.len())
    }
}

impl Object for kg::ConfigMap {
    fn key(&self) -> String {
        key(self.metadata.namespace.as_deref(), self.metadata.name.as_deref())
    }
    fn checksum(&self) -> usize {
        self.data.as_ref().map_or(0, |data| data.len())
    }
}

impl Object for ko::Pod {
    fn key(&self) -> String {
        key(self.metadata.namespace.as_deref(), self.metadata.name.as_deref())
    }
    fn checksum(&self) -> usize {
        self.spec.as_ref().map_or(0, |spec| spec.containers.len())
    }
}

impl Object for ko::ConfigMap {
    fn key(&self) -> String {
        key(self.metadata.namespace.as_deref(), self.metadata.name.as_deref())
    }
    fn checksum(&self) -> usize {
        self.data.as_ref().map_or(0, |data| data.len())
    }
}

impl Items<kg::Pod> for ObjectList<kg::Pod> {
    fn items(&self) -> &[kg::Pod] {
        &self.items
    }
}

impl<T: k8s_openapi::ListableResource> Items<T> for k8s_openapi::List<T> {
    fn items(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoObject<T> for KgEvent<T> {
    fn into_object(self) -> Option<T> {
        match self {
            KgEvent::Added(object) | KgEvent::Modified(object) | KgEvent::Deleted(object) => Some(object),
            KgEvent::Bookmark(_) | KgEvent::Error(_) => None,
        }
    }
}

impl<T> IntoObject<T> for KubeEvent<T> {
    fn into_object(self) -> Option<T> {
        match self {
            KubeEvent::Added(object) | KubeEvent::Modified(object) | KubeEvent::Deleted(object) => Some(object),
            KubeEvent::Bookmark(_) | KubeEvent::Error(_) => None,
        }
    }
}
