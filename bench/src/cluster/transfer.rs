//! The floor under every library's sync time: the API server's answer to the list an informer
//! starts with (`resourceVersion=0`, served from the watch cache in one response), fetched as
//! protobuf by the harness's plain HTTP client and read without decoding. What is left of a
//! library's sync time above it is the library's own (decoding, caching, start-up) or time it
//! made the server spend.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kubegen_tests::Http;

use crate::stats;

/// The column of the floor in the informer table.
pub const LIBRARY: &str = "list transfer only";
/// Fetches per figure; the figure is their median.
const FETCHES: usize = 3;

/// The median time to fetch the namespace's ConfigMaps once, and the body's size in bytes.
pub async fn list_floor(http: &Http, namespace: &str) -> anyhow::Result<(Duration, usize)> {
    let url = http.url(&format!("/api/v1/namespaces/{namespace}/configmaps?resourceVersion=0"));
    let mut samples = Vec::with_capacity(FETCHES);
    let mut size = 0;
    for _ in 0..FETCHES {
        let started = Instant::now();
        let mut response = http
            .client()
            .get(&url)
            .header("Accept", "application/vnd.kubernetes.protobuf")
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        if !response.status().is_success() {
            bail!("GET {url}: {}", response.status());
        }
        size = 0;
        while let Some(chunk) = response.chunk().await.with_context(|| format!("reading GET {url}"))? {
            size += chunk.len();
        }
        samples.push(started.elapsed());
    }
    Ok((stats::median(&samples), size))
}
