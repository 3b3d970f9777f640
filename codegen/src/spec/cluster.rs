//! Loading a live cluster's spec: `/openapi/v3` (its index, then each group/version document,
//! concurrently), or `/openapi/v2` from servers without v3.
//!
//! The kubeconfig is read as kubectl and the runtime read it (`KUBECONFIG`, contexts, exec
//! plugins). Errors name the URL and the HTTP status; nothing is written before every
//! document has arrived and parsed.

use std::time::Instant;

use futures::StreamExt;
use kubegen_runtime::client::{Request, RequestKind};
use kubegen_runtime::config::{Config, Kubeconfig, KubeconfigOptions};
use reqwest::Method;
use serde::Deserialize;

use super::document;
use super::raw::RawSpec;
use crate::error::{Error, Result};
use crate::location::Location;

/// Which cluster, and which of its groups.
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    /// The kubeconfig file; the default files (`KUBECONFIG`, `~/.kube/config`) when `None`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context; the current one when `None`.
    pub context: Option<String>,
    /// Only these API groups (`core` or `""` for the core group); every group when empty.
    pub groups: Vec<String>,
}

/// `/openapi/v3`: the documents the server serves, by discovery path.
#[derive(Deserialize)]
struct Index {
    paths: std::collections::BTreeMap<String, IndexEntry>,
}

#[derive(Deserialize)]
struct IndexEntry {
    #[serde(rename = "serverRelativeURL")]
    server_relative_url: String,
}

/// How many documents are fetched at once.
const CONCURRENCY: usize = 8;

/// Loads the spec of the cluster the kubeconfig names.
pub fn load(options: &ClusterOptions) -> Result<RawSpec> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| Error::io("the tokio runtime", error))?;
    runtime.block_on(fetch(options))
}

fn cluster_error(url: &str, message: impl Into<String>) -> Error {
    Error::Cluster { url: url.to_owned(), message: message.into() }
}

async fn fetch(options: &ClusterOptions) -> Result<RawSpec> {
    let kubeconfig_options = KubeconfigOptions { context: options.context.clone(), ..KubeconfigOptions::default() };
    let loaded = match &options.kubeconfig {
        Some(path) => Kubeconfig::read(path)
            .and_then(|kubeconfig| Config::from_custom_kubeconfig(&kubeconfig, &kubeconfig_options)),
        None => Config::from_kubeconfig(&kubeconfig_options),
    };
    let mut config =
        loaded.map_err(|error| cluster_error("kubeconfig", format!("cannot load the kubeconfig: {error}")))?;
    // Generation is a one-off batch of large reads: no client-side throttling.
    config.rate_limit = None;
    let server = config.cluster_url.to_string();
    let client = kubegen_runtime::Client::new(config).map_err(|error| cluster_error(&server, error.to_string()))?;
    let started = Instant::now();

    let index_url = url(&client, "/openapi/v3");
    let index = match get(&client, "/openapi/v3").await {
        Ok(bytes) => bytes,
        Err(error) if error.code() == Some(404) => {
            tracing::info!("{index_url} is not served; reading /openapi/v2");
            return fetch_v2(&client, started).await;
        }
        Err(error) => return Err(cluster_error(&index_url, error.to_string())),
    };
    let index: Index = serde_json::from_slice(&index)
        .map_err(|error| cluster_error(&index_url, format!("not an OpenAPI v3 index: {error}")))?;
    let wanted: Vec<(String, String)> = index
        .paths
        .into_iter()
        .filter(|(path, _)| is_group_version(path) && wanted_group(path, &options.groups))
        .map(|(path, entry)| (path, entry.server_relative_url))
        .collect();
    if wanted.is_empty() {
        return Err(cluster_error(
            &index_url,
            format!("no group/version document matches the groups {:?}", options.groups),
        ));
    }
    tracing::info!("fetching {} OpenAPI v3 documents from {server}", wanted.len());

    let fetched: Vec<(String, std::result::Result<bytes::Bytes, kubegen_runtime::Error>)> =
        futures::stream::iter(wanted)
            .map(|(path, relative)| {
                let client = client.clone();
                async move { (path, get(&client, &relative).await) }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
    let mut documents: Vec<(String, bytes::Bytes)> = Vec::with_capacity(fetched.len());
    for (path, result) in fetched {
        let document_url = url(&client, &format!("/openapi/v3/{path}"));
        documents
            .push((document_url.clone(), result.map_err(|error| cluster_error(&document_url, error.to_string()))?));
    }
    documents.sort_by(|a, b| a.0.cmp(&b.0));
    let bytes: usize = documents.iter().map(|(_, document)| document.len()).sum();
    let mut merged = RawSpec::default();
    for (name, document) in &documents {
        let (dialect, spec) = document::load_bytes(document, name)?;
        if dialect != document::Dialect::OpenApi3 {
            return Err(Error::spec(&Location::document(name.clone()), "expected an OpenAPI 3 document"));
        }
        merged.merge(spec)?;
    }
    tracing::info!(
        "fetched {} documents, {:.1} MB in {:.1} s",
        documents.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(merged)
}

async fn fetch_v2(client: &kubegen_runtime::Client, started: Instant) -> Result<RawSpec> {
    let v2_url = url(client, "/openapi/v2");
    let bytes = get(client, "/openapi/v2").await.map_err(|error| cluster_error(&v2_url, error.to_string()))?;
    let (_, spec) = document::load_bytes(&bytes, &v2_url)?;
    tracing::info!("fetched {v2_url}, {:.1} MB in {:.1} s", bytes.len() as f64 / 1e6, started.elapsed().as_secs_f64());
    Ok(spec)
}

/// How many times a document's stale `?hash=` is followed to the current one.
const MAX_OPENAPI_REDIRECTS: usize = 3;

/// GETs `path`. When the OpenAPI v3 documents change between the index and a document's
/// fetch (a CRD was added), the server answers the stale `?hash=` with a redirect to the
/// current one; that redirect, and only that one (to `/openapi/v3/` on the same server), is
/// followed: the client follows no redirect by itself.
async fn get(
    client: &kubegen_runtime::Client,
    path: &str,
) -> std::result::Result<bytes::Bytes, kubegen_runtime::Error> {
    let mut path = path.to_owned();
    for _ in 0..MAX_OPENAPI_REDIRECTS {
        let result = get_once(client, &path).await;
        let next = match &result {
            Err(kubegen_runtime::Error::Redirect { location, .. }) => openapi_redirect(client, location),
            _ => None,
        };
        match next {
            Some(next) => {
                tracing::debug!("{path} moved to {next} (the documents changed); following");
                path = next;
            }
            None => return result,
        }
    }
    get_once(client, &path).await
}

/// The path of a redirect's `location` if it stays under `/openapi/v3/` on the client's
/// server (Go's `http.Redirect` sends a path; an absolute URL must name the same server).
fn openapi_redirect(client: &kubegen_runtime::Client, location: &str) -> Option<String> {
    let base = client.cluster_url().as_str().trim_end_matches('/').to_owned();
    let path = location.strip_prefix(base.as_str()).unwrap_or(location);
    (path.starts_with("/openapi/v3/") && !path.contains("..")).then(|| path.to_owned())
}

async fn get_once(
    client: &kubegen_runtime::Client,
    path: &str,
) -> std::result::Result<bytes::Bytes, kubegen_runtime::Error> {
    let request = Request::new(Method::GET, path.to_owned()).kind(RequestKind::Stream);
    let response = client.send(request).await?;
    let url = response.url().to_string();
    response.bytes().await.map_err(|source| kubegen_runtime::Error::Transport {
        method: "GET".into(),
        url,
        message: source.to_string(),
        source,
    })
}

fn url(client: &kubegen_runtime::Client, path: &str) -> String {
    format!("{}{path}", client.cluster_url().as_str().trim_end_matches('/'))
}

/// `api/v1` and `apis/<group>/<version>`; not the discovery documents (`api`, `apis`,
/// `apis/<group>`) nor `version`, `logs`, `.well-known/...`.
fn is_group_version(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    matches!(segments.as_slice(), ["api", _] | ["apis", _, _])
}

fn wanted_group(path: &str, groups: &[String]) -> bool {
    if groups.is_empty() {
        return true;
    }
    let group = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["apis", group, _] => (*group).to_owned(),
        _ => String::new(),
    };
    groups.iter().any(|wanted| *wanted == group || (group.is_empty() && wanted == "core"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_group_version_documents() {
        assert!(is_group_version("api/v1"));
        assert!(is_group_version("apis/apps/v1"));
        assert!(!is_group_version("apis/apps"));
        assert!(!is_group_version("apis"));
        assert!(!is_group_version(".well-known/openid-configuration"));
        let groups = vec!["core".to_owned(), "cert-manager.io".to_owned()];
        assert!(wanted_group("api/v1", &groups));
        assert!(wanted_group("apis/cert-manager.io/v1", &groups));
        assert!(!wanted_group("apis/apps/v1", &groups));
        assert!(wanted_group("apis/apps/v1", &[]));
    }
}
