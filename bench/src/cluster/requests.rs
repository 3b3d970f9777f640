//! The requests workload's parameters and figures, and the timing loop each library's client
//! runs: `gets` sequential GETs of single ConfigMaps (cycling through the names of one page),
//! then `lists` sequential LISTs of 500 ConfigMaps.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;

use crate::stats;

/// Size of one LIST page.
pub const PAGE: u32 = 500;

/// What a requests measurement works on.
#[derive(Clone, Debug, clap::Args)]
pub struct RequestParams {
    /// The kubeconfig of the control plane.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The namespace of the ConfigMaps.
    #[arg(long)]
    pub namespace: String,
    /// Sequential GETs to time.
    #[arg(long, default_value_t = 2000)]
    pub gets: usize,
    /// Sequential LISTs of 500 to time.
    #[arg(long, default_value_t = 100)]
    pub lists: usize,
}

/// Requests per second.
#[derive(Clone, Copy, Debug)]
pub struct RequestFigures {
    /// GETs per second.
    pub gets_per_second: f64,
    /// LISTs of 500 per second.
    pub lists_per_second: f64,
}

/// Times the workload. `list` lists one page of [`PAGE`] and returns the names on it (checked to
/// be a full page); `get` gets one ConfigMap by name.
pub async fn measure<L, LF, G, GF>(params: &RequestParams, list: L, get: G) -> anyhow::Result<RequestFigures>
where
    L: Fn() -> LF,
    LF: Future<Output = anyhow::Result<Vec<String>>>,
    G: Fn(String) -> GF,
    GF: Future<Output = anyhow::Result<()>>,
{
    // Untimed: warms the connection and gives the names to get.
    let names = list().await.context("listing the first page")?;
    if names.len() != PAGE as usize {
        anyhow::bail!("a LIST with limit {PAGE} returned {} ConfigMaps", names.len());
    }
    let started = Instant::now();
    for name in names.iter().cycle().take(params.gets) {
        get(name.clone()).await.with_context(|| format!("getting ConfigMap {name}"))?;
    }
    let gets_per_second = stats::per_second(params.gets as f64, started.elapsed());
    let started = Instant::now();
    for _ in 0..params.lists {
        let page = list().await?;
        if page.len() != PAGE as usize {
            anyhow::bail!("a LIST with limit {PAGE} returned {} ConfigMaps", page.len());
        }
    }
    let lists_per_second = stats::per_second(params.lists as f64, started.elapsed());
    Ok(RequestFigures { gets_per_second, lists_per_second })
}
