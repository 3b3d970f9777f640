//! The measuring child processes of the Rust libraries: `kubegen-bench informer-child`,
//! `kubegen-bench requests-child`, `kubegen-bench streams-child` and
//! `kubegen-bench controller-child`. Each runs one library's
//! measurement in a fresh process (so its peak RSS is its own) and reports through
//! [`protocol`](super::protocol) lines.

use std::time::Duration;

use anyhow::Context as _;

use super::probe::{InformerParams, Probe};
use super::protocol::{Message, Outcome};
use super::requests::RequestParams;
use super::streams::StreamParams;
use super::tally::{ControllerParams, Tally};
use super::{kube_rs, kubegen};

/// The longest a child measurement may take.
const CHILD_TIMEOUT: Duration = Duration::from_secs(600);

/// A Rust library under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RustLibrary {
    /// `kubegen-runtime` + `kubegen-api`.
    Kubegen,
    /// kubegen's informer with `Paging::SEQUENTIAL` (the informer workload only).
    KubegenSequential,
    /// `kube` + `k8s-openapi`.
    KubeRs,
}

/// The error of a workload other than the informer's asked of [`RustLibrary::KubegenSequential`].
fn informer_only() -> anyhow::Error {
    anyhow::anyhow!("kubegen-sequential runs the informer workload only")
}

/// Runs one library's informer measurement.
pub async fn informer(library: RustLibrary, params: InformerParams) -> anyhow::Result<()> {
    let probe = Probe::new(params);
    let measured = async {
        match library {
            RustLibrary::Kubegen => kubegen::informer(&probe, None).await,
            RustLibrary::KubegenSequential => kubegen::informer(&probe, Some(kubegen::sequential_pages())).await,
            RustLibrary::KubeRs => kube_rs::informer(&probe).await,
        }
    };
    let outcome = tokio::time::timeout(CHILD_TIMEOUT, measured)
        .await
        .with_context(|| format!("the {library:?} informer measurement took over {CHILD_TIMEOUT:?}"))??;
    match outcome {
        // `done` was sent when the handler had seen every update.
        Outcome::Measured(()) => Ok(()),
        Outcome::Pending(reason) => Message { note: Some(reason.to_owned()), ..Message::new("pending") }.send(),
    }
}

/// Runs one library's controller measurement.
pub async fn controller(library: RustLibrary, params: ControllerParams) -> anyhow::Result<()> {
    let tally = Tally::new(params);
    let measured = async {
        match library {
            RustLibrary::Kubegen => kubegen::controller(&tally).await,
            RustLibrary::KubegenSequential => Err(informer_only()),
            RustLibrary::KubeRs => kube_rs::controller(&tally).await,
        }
    };
    let outcome = tokio::time::timeout(CHILD_TIMEOUT, measured)
        .await
        .with_context(|| format!("the {library:?} controller measurement took over {CHILD_TIMEOUT:?}"))??;
    match outcome {
        // `reconciled` and `done` were sent by the tally.
        Outcome::Measured(()) => Ok(()),
        Outcome::Pending(reason) => Message { note: Some(reason.to_owned()), ..Message::new("pending") }.send(),
    }
}

/// Runs one library's requests measurement.
pub async fn requests(library: RustLibrary, params: RequestParams) -> anyhow::Result<()> {
    let measured = async {
        match library {
            RustLibrary::Kubegen => kubegen::requests(&params).await,
            RustLibrary::KubegenSequential => Err(informer_only()),
            RustLibrary::KubeRs => kube_rs::requests(&params).await,
        }
    };
    let outcome = tokio::time::timeout(CHILD_TIMEOUT, measured)
        .await
        .with_context(|| format!("the {library:?} requests measurement took over {CHILD_TIMEOUT:?}"))??;
    match outcome {
        Outcome::Measured(figures) => Message {
            gets_per_second: Some(figures.gets_per_second),
            lists_per_second: Some(figures.lists_per_second),
            ..Message::new("requests")
        }
        .send(),
        Outcome::Pending(reason) => Message { note: Some(reason.to_owned()), ..Message::new("pending") }.send(),
    }
}

/// Runs one library's streams measurement.
pub async fn streams(library: RustLibrary, params: StreamParams) -> anyhow::Result<()> {
    let measured = async {
        match library {
            RustLibrary::Kubegen => kubegen::streams(&params).await,
            RustLibrary::KubegenSequential => Err(informer_only()),
            RustLibrary::KubeRs => kube_rs::streams(&params).await,
        }
    };
    let outcome = tokio::time::timeout(CHILD_TIMEOUT, measured)
        .await
        .with_context(|| format!("the {library:?} streams measurement took over {CHILD_TIMEOUT:?}"))??;
    match outcome {
        Outcome::Measured(figures) => Message {
            forward_mb_per_second: Some(figures.forward_mb_per_second),
            exec_ms: Some(figures.exec_ms),
            echo_us: Some(figures.echo_us),
            ..Message::new("streams")
        }
        .send(),
        Outcome::Pending(reason) => Message { note: Some(reason.to_owned()), ..Message::new("pending") }.send(),
    }
}
