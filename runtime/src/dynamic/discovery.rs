//! Discovery: which groups, versions and resources the server serves.
//!
//! Aggregated discovery (`apidiscovery.k8s.io/v2`, on by default since Kubernetes 1.30) gives
//! everything in two requests, `/api` and `/apis`. Servers without it get the classic walk:
//! `/api`, `/apis`, then one request per group/version, concurrently; a group/version whose
//! request fails (an aggregated API that is down) is skipped and named in the result.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::Method;
use serde::Deserialize;

use super::ApiResource;
use crate::client::{Client, Error, Request};

/// Asks for aggregated discovery, accepting the classic documents.
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A request failed.
    #[error("discovery: {0}")]
    Request(#[from] Error),
}

/// A group and its versions, preferred first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiGroup {
    /// The group's name, empty for core.
    pub name: String,
    /// Its versions, the preferred one first.
    pub versions: Vec<String>,
    /// Its resources, in every version.
    pub resources: Vec<ApiResource>,
}

impl ApiGroup {
    /// The version the server prefers.
    pub fn preferred_version(&self) -> Option<&str> {
        self.versions.first().map(String::as_str)
    }
}

/// What the server serves.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    groups: Vec<ApiGroup>,
    failed: Vec<(String, String)>,
    aggregated: bool,
}

impl Discovery {
    /// Discovers everything the server serves.
    pub async fn run(client: &Client) -> Result<Self, DiscoveryError> {
        if let Some(discovery) = Self::aggregated(client).await? {
            return Ok(discovery);
        }
        Self::classic(client).await
    }

    /// Every group, core first.
    pub fn groups(&self) -> &[ApiGroup] {
        &self.groups
    }

    /// Every resource of every version (without subresources, which are listed on their
    /// resource).
    pub fn resources(&self) -> impl Iterator<Item = &ApiResource> {
        self.groups.iter().flat_map(|group| group.resources.iter())
    }

    /// Group/versions whose discovery failed, with the error.
    pub fn failed(&self) -> &[(String, String)] {
        &self.failed
    }

    /// Whether the server answered with aggregated discovery.
    pub fn is_aggregated(&self) -> bool {
        self.aggregated
    }

    /// The resource `name` names as kubectl resolves it: a plural, singular, short name or
    /// kind (case-insensitive), optionally `name.group`; the group's preferred version wins.
    pub fn resolve(&self, name: &str) -> Option<&ApiResource> {
        let name = name.to_lowercase();
        let (resource, group) = match name.split_once('.') {
            Some((resource, group)) => (resource.to_owned(), Some(group.to_owned())),
            None => (name.clone(), None),
        };
        let matches = |candidate: &ApiResource| {
            candidate.plural == resource
                || candidate.singular == resource
                || candidate.kind.to_lowercase() == resource
                || candidate.short_names.contains(&resource)
        };
        self.groups.iter().filter(|candidate| group.as_ref().is_none_or(|group| *group == candidate.name)).find_map(
            |group| {
                let preferred = group.preferred_version();
                group
                    .resources
                    .iter()
                    .filter(|candidate| matches(candidate))
                    .min_by_key(|candidate| Some(candidate.version.as_str()) != preferred)
            },
        )
    }

    /// The resource of `kind` in `group`/`version`.
    pub fn find(&self, group: &str, version: &str, kind: &str) -> Option<&ApiResource> {
        self.resources()
            .find(|resource| resource.group == group && resource.version == version && resource.kind == kind)
    }

    async fn aggregated(client: &Client) -> Result<Option<Self>, DiscoveryError> {
        let mut groups = Vec::new();
        for path in ["/api", "/apis"] {
            let response = client.send(Request::new(Method::GET, path.to_owned()).accept(AGGREGATED)).await?;
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if !content_type.contains("as=APIGroupDiscoveryList") {
                return Ok(None);
            }
            let url = client.display_url(path);
            let bytes = response.bytes().await.map_err(|source| Error::Transport {
                method: "GET".into(),
                url: url.clone(),
                message: crate::client::error_chain(&source),
                source,
            })?;
            let list: aggregated::GroupList = crate::client::decode(&bytes, "GET", &url)?;
            groups.extend(list.items.into_iter().map(aggregated::Group::into_api_group));
        }
        Ok(Some(Discovery { groups, failed: Vec::new(), aggregated: true }))
    }

    async fn classic(client: &Client) -> Result<Self, DiscoveryError> {
        let core: classic::Versions = client.request(Request::new(Method::GET, "/api".to_owned())).await?;
        let groups: classic::GroupList = client.request(Request::new(Method::GET, "/apis".to_owned())).await?;
        // Group and version names come from the server: each is checked as a path segment
        // (`ResourcePath::prefix`), and one that is not valid is reported as a failed group.
        let mut failed = Vec::new();
        let mut wanted: Vec<(String, String, String)> = Vec::new();
        let mut want = |group: &str, version: &str| {
            let path = crate::client::ResourcePath {
                group: group.to_owned(),
                version: version.to_owned(),
                plural: String::new(),
                namespaced: false,
                namespace: None,
            }
            .prefix();
            match path {
                Ok(path) => wanted.push((group.to_owned(), version.to_owned(), path)),
                Err(error) => {
                    let api_version = if group.is_empty() { version.to_owned() } else { format!("{group}/{version}") };
                    tracing::warn!("discovery of {api_version:?} skipped: {error}");
                    failed.push((api_version, error.to_string()));
                }
            }
        };
        for version in &core.versions {
            want("", version);
        }
        let mut order: Vec<(String, Vec<String>)> = vec![(String::new(), core.versions.clone())];
        for group in &groups.groups {
            let mut versions: Vec<String> = group.versions.iter().map(|version| version.version.clone()).collect();
            if let Some(preferred) = &group.preferred_version {
                versions.sort_by_key(|version| *version != preferred.version);
            }
            for version in &versions {
                want(&group.name, version);
            }
            order.push((group.name.clone(), versions));
        }
        let fetched: Vec<_> = futures::stream::iter(wanted)
            .map(|(group, version, path)| async move {
                let result: Result<classic::ResourceList, Error> =
                    client.request(Request::new(Method::GET, path)).await;
                (group, version, result)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut by_group: BTreeMap<String, Vec<ApiResource>> = BTreeMap::new();
        for (group, version, result) in fetched {
            match result {
                Ok(list) => by_group.entry(group.clone()).or_default().extend(list.into_resources(&group, &version)),
                Err(error) => {
                    let api_version = if group.is_empty() { version } else { format!("{group}/{version}") };
                    tracing::warn!("discovery of {api_version} failed: {error}");
                    failed.push((api_version, error.to_string()));
                }
            }
        }
        let groups = order
            .into_iter()
            .map(|(name, versions)| {
                let mut resources = by_group.remove(&name).unwrap_or_default();
                resources.sort_by_key(|resource| versions.iter().position(|version| *version == resource.version));
                ApiGroup { name, versions, resources }
            })
            .collect();
        Ok(Discovery { groups, failed, aggregated: false })
    }
}

/// Discovery cached for a while, refreshed on demand.
pub struct CachedDiscovery {
    client: Client,
    ttl: Duration,
    cached: Mutex<Option<(Instant, Arc<Discovery>)>>,
}

impl CachedDiscovery {
    /// A cache of `client`'s discovery, valid for `ttl`.
    pub fn new(client: Client, ttl: Duration) -> Self {
        Self { client, ttl, cached: Mutex::new(None) }
    }

    /// The cached discovery, or a fresh one if it is older than the TTL.
    pub async fn get(&self) -> Result<Arc<Discovery>, DiscoveryError> {
        if let Some((at, discovery)) = self.cached.lock().unwrap_or_else(PoisonError::into_inner).as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(discovery.clone());
        }
        self.refresh().await
    }

    /// A fresh discovery, cached.
    pub async fn refresh(&self) -> Result<Arc<Discovery>, DiscoveryError> {
        let discovery = Arc::new(Discovery::run(&self.client).await?);
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), discovery.clone()));
        Ok(discovery)
    }
}

/// The documents of aggregated discovery (`apidiscovery.k8s.io/v2`).
mod aggregated {
    use super::*;

    #[derive(Deserialize)]
    pub struct GroupList {
        #[serde(default)]
        pub items: Vec<Group>,
    }

    #[derive(Deserialize)]
    pub struct Group {
        #[serde(default)]
        metadata: Name,
        #[serde(default)]
        versions: Vec<Version>,
    }

    #[derive(Default, Deserialize)]
    struct Name {
        #[serde(default)]
        name: String,
    }

    #[derive(Deserialize)]
    struct Version {
        version: String,
        #[serde(default)]
        resources: Vec<Resource>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Resource {
        resource: String,
        #[serde(default)]
        response_kind: Option<Kind>,
        #[serde(default)]
        scope: String,
        #[serde(default)]
        singular_resource: String,
        #[serde(default)]
        verbs: Vec<String>,
        #[serde(default)]
        short_names: Vec<String>,
        #[serde(default)]
        categories: Vec<String>,
        #[serde(default)]
        subresources: Vec<Subresource>,
    }

    #[derive(Deserialize)]
    struct Kind {
        #[serde(default)]
        kind: String,
    }

    #[derive(Deserialize)]
    struct Subresource {
        subresource: String,
    }

    impl Group {
        pub fn into_api_group(self) -> ApiGroup {
            let name = self.metadata.name;
            let versions = self.versions.iter().map(|version| version.version.clone()).collect();
            let resources = self
                .versions
                .into_iter()
                .flat_map(|version| {
                    let group = name.clone();
                    version.resources.into_iter().map(move |resource| ApiResource {
                        group: group.clone(),
                        version: version.version.clone(),
                        kind: resource.response_kind.map(|kind| kind.kind).unwrap_or_default(),
                        plural: resource.resource,
                        singular: resource.singular_resource,
                        namespaced: resource.scope == "Namespaced",
                        verbs: resource.verbs,
                        short_names: resource.short_names,
                        categories: resource.categories,
                        subresources: resource.subresources.into_iter().map(|sub| sub.subresource).collect(),
                    })
                })
                .collect();
            ApiGroup { name, versions, resources }
        }
    }
}

/// The classic discovery documents (`APIVersions`, `APIGroupList`, `APIResourceList`).
mod classic {
    use super::*;

    #[derive(Deserialize)]
    pub struct Versions {
        #[serde(default)]
        pub versions: Vec<String>,
    }

    #[derive(Deserialize)]
    pub struct GroupList {
        #[serde(default)]
        pub groups: Vec<Group>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Group {
        pub name: String,
        #[serde(default)]
        pub versions: Vec<GroupVersion>,
        #[serde(default)]
        pub preferred_version: Option<GroupVersion>,
    }

    #[derive(Deserialize)]
    pub struct GroupVersion {
        pub version: String,
    }

    #[derive(Deserialize)]
    pub struct ResourceList {
        #[serde(default)]
        resources: Vec<Resource>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Resource {
        name: String,
        #[serde(default)]
        singular_name: String,
        #[serde(default)]
        namespaced: bool,
        #[serde(default)]
        kind: String,
        #[serde(default)]
        verbs: Vec<String>,
        #[serde(default)]
        short_names: Vec<String>,
        #[serde(default)]
        categories: Vec<String>,
    }

    impl ResourceList {
        pub fn into_resources(self, group: &str, version: &str) -> Vec<ApiResource> {
            let mut resources: Vec<ApiResource> = Vec::new();
            let mut subresources: Vec<(String, String)> = Vec::new();
            for resource in self.resources {
                if let Some((parent, sub)) = resource.name.split_once('/') {
                    subresources.push((parent.to_owned(), sub.to_owned()));
                    continue;
                }
                resources.push(ApiResource {
                    group: group.to_owned(),
                    version: version.to_owned(),
                    kind: resource.kind,
                    plural: resource.name,
                    singular: resource.singular_name,
                    namespaced: resource.namespaced,
                    verbs: resource.verbs,
                    short_names: resource.short_names,
                    categories: resource.categories,
                    subresources: Vec::new(),
                });
            }
            for (parent, sub) in subresources {
                if let Some(resource) = resources.iter_mut().find(|resource| resource.plural == parent) {
                    resource.subresources.push(sub);
                }
            }
            resources
        }
    }
}
