//! Workload 7: a controller against a real kube-apiserver: kubegen's
//! `kubegen_runtime::controller::Controller` beside kube-runtime's `Controller` (kube 5), on
//! the same private control plane and the same 10,000 ConfigMaps.
//!
//! The orchestrator ([`run`]) starts the control plane, creates the ConfigMaps, and in each of
//! `rounds` rounds (each starting with the next library) starts a fresh child per Rust library
//! (`controller-child`, so peak RSS is the library's own) with `workers` concurrent reconciles.
//! The child reports `reconciled` once every object was reconciled (timed from its start,
//! client construction included); the orchestrator then updates every object once (merge
//! patches with the harness's plain HTTP client, as the informer workload does) and times until
//! the child reports `done`: every object reconciled again at its updated version. The
//! reconcile makes no API request (see [`tally`]). client-go has no slot here. Each figure is
//! the median of a library's rounds: the update phase follows the API server's write rate,
//! which moves during a run, and with a fixed order the second library met the slower server in
//! both runs tried (kubegen first: 8.7 s against kube-rs's 12.7 s; kube-rs first: 9.8 s against
//! kubegen's 10.2 s). An even number of rotated rounds gives both libraries the same mean
//! position.
//!
//! Then the same rounds again with each child under a CPU limit ([`CpuLimit`], 25m by default,
//! a quarter of what kube-rs's controller spends while keeping up with the server): there the
//! controller, not the server, sets the pace, as it does for a controller deployed with a small
//! `resources.limits.cpu`. Those records are the `controller-cpu-limited` section.
//!
//! [`tally`]: super::tally

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use kubegen_tests::{ControlPlane, Http};
use tokio::io::{AsyncBufReadExt as _, BufReader};

use super::cpu_limit::CpuLimit;
use super::library::{Library, Workload, rotated};
use super::{median_records, next_message, seed};
use crate::fixtures::Manifest;
use crate::report::format::thousands;
use crate::results::{Better, Record};

/// The namespace of the ConfigMaps.
const NAMESPACE: &str = "bench-controller";
/// The report section of the rounds without a CPU limit.
const SECTION: &str = "controller";
/// The report section of the rounds under a CPU limit.
const LIMITED_SECTION: &str = "controller-cpu-limited";
/// The libraries with a controller slot, in the report's order.
const LIBRARIES: [Library; 2] = [Library::Kubegen, Library::KubeRs];

/// What the controller workload does.
#[derive(Clone, Debug, clap::Args)]
pub struct ControllerOptions {
    /// ConfigMaps to create, reconcile and update.
    #[arg(long, default_value_t = 10_000)]
    pub objects: usize,
    /// Rounds; each runs every library once, starting with the next one (an even count gives
    /// every library the same mean position in the run).
    #[arg(long, default_value_t = 4)]
    pub rounds: usize,
    /// Concurrent reconciles of each controller.
    #[arg(long, default_value_t = 4)]
    pub workers: u16,
    /// Requests in flight while creating and updating.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// The CPU limit of the limited rounds, in thousandths of a CPU (0 skips them; they are
    /// skipped with a note where no cgroup can be made).
    #[arg(long, default_value_t = 25)]
    pub limited_millicores: u32,
    /// Only these libraries, in this order (repeatable: kubegen, kube-rs; default both, kubegen
    /// first).
    #[arg(long = "library")]
    pub libraries: Vec<String>,
    /// Extra kube-apiserver flags (repeatable).
    #[arg(long = "apiserver-arg", allow_hyphen_values = true)]
    pub apiserver_args: Vec<String>,
}

/// Runs the workload for every library.
pub async fn run(fixtures: PathBuf, manifest: &Manifest, options: &ControllerOptions) -> anyhow::Result<Vec<Record>> {
    let args = options.apiserver_args.clone();
    let plane = tokio::task::spawn_blocking(move || ControlPlane::builder().apiserver_args(args).start())
        .await
        .context("the control plane's start-up task")?
        .context("starting the control plane")?;
    eprintln!("controller: control plane at {} (started in {:?})", plane.server_url(), plane.started_in());
    let http = plane.http().context("the harness's HTTP client")?;
    let started = Instant::now();
    let names = seed::create(&http, NAMESPACE, &fixtures, manifest, 0, options.objects, options.concurrency).await?;
    eprintln!("controller: created {} ConfigMaps in {:?}", names.len(), started.elapsed());
    let libraries = if options.libraries.is_empty() {
        LIBRARIES.to_vec()
    } else {
        options
            .libraries
            .iter()
            .map(|wanted| {
                LIBRARIES
                    .into_iter()
                    .find(|library| library.name() == wanted)
                    .with_context(|| format!("no controller slot for library {wanted:?} (known: kubegen, kube-rs)"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let mut records = rounds(&plane, &http, &names, &libraries, None, options).await?;
    if options.limited_millicores > 0 {
        match CpuLimit::create(options.limited_millicores) {
            Ok(limit) => records.extend(rounds(&plane, &http, &names, &libraries, Some(&limit), options).await?),
            Err(error) => eprintln!("controller: skipping the CPU-limited rounds: {error:#}"),
        }
    }
    Ok(records)
}

/// Every library's controller in each of `options.rounds` rounds, the median of each figure.
async fn rounds(
    plane: &ControlPlane,
    http: &Http,
    names: &[String],
    libraries: &[Library],
    limit: Option<&CpuLimit>,
    options: &ControllerOptions,
) -> anyhow::Result<Vec<Record>> {
    let mut rounds = Vec::new();
    for round in 0..options.rounds.max(1) {
        for library in rotated(libraries, round) {
            rounds.push(child(plane, http, names, library, round, limit, options).await.with_context(|| {
                let limited = limit.map(|limit| format!(", CPU limit {}m", limit.millicores())).unwrap_or_default();
                format!(
                    "controller workload of {} (round {}{limited}); logs: {}",
                    library.name(),
                    round + 1,
                    plane.dir().display()
                )
            })?);
        }
    }
    Ok(median_records(rounds))
}

async fn child(
    plane: &ControlPlane,
    http: &Http,
    names: &[String],
    library: Library,
    round: usize,
    limit: Option<&CpuLimit>,
    options: &ControllerOptions,
) -> anyhow::Result<Vec<Record>> {
    let name = library.name();
    let section = if limit.is_some() { LIMITED_SECTION } else { SECTION };
    // Unique per child: an update writing the value an object already has changes nothing, and
    // the controller would wait for an event that never comes.
    let token = format!("{name}-{}-{section}-{round}", std::process::id());
    // The Go binary is never started: client-go has no slot in this workload.
    let mut command = library.command(Workload::Controller, std::path::Path::new("kubegen-bench-go"))?;
    command.arg("--kubeconfig").arg(plane.kubeconfig_path()).args([
        "--namespace",
        NAMESPACE,
        "--expect",
        &names.len().to_string(),
        "--workers",
        &options.workers.to_string(),
        "--token",
        &token,
    ]);
    let mut child = command.spawn().with_context(|| format!("starting the {name} controller process"))?;
    if let Some(limit) = limit {
        // At once: what the child ran before the move is its exec and the start of its runtime.
        let pid = child.id().context("the controller process's pid")?;
        limit.add(pid).with_context(|| format!("limiting the {name} controller process to {}m", limit.millicores()))?;
    }
    let mut lines = BufReader::new(child.stdout.take().context("the child's stdout")?).lines();
    let reconciled = next_message(&mut lines).await?;
    if reconciled.event != "reconciled" {
        bail!("{name}: expected `reconciled`, got {reconciled:?}");
    }
    let updates_started = Instant::now();
    seed::update(http, NAMESPACE, names, names.len(), &token, options.concurrency).await?;
    let writes_done = Instant::now();
    let done = next_message(&mut lines).await?;
    let delivered = Instant::now();
    if done.event != "done" || done.updates_seen != Some(names.len()) {
        bail!("{name}: expected `done` after {} updates, got {done:?}", names.len());
    }
    let status = child.wait().await.with_context(|| format!("waiting for the {name} controller process"))?;
    if !status.success() {
        bail!("the {name} controller process failed ({status})");
    }
    eprintln!(
        "{section}: {name}: {reconciled:?}; {} updates reconciled in {:?}; {done:?}",
        names.len(),
        delivered - updates_started
    );

    let objects = names.len() as f64;
    let initial = reconciled.reconcile_seconds.context("`reconciled` without reconcile_seconds")?;
    let updates = (delivered - updates_started).as_secs_f64();
    let initial_cpu = reconciled.cpu_seconds.context("`reconciled` without cpu_seconds")?;
    let update_cpu = done.cpu_seconds.context("`done` without cpu_seconds")? - initial_cpu;
    let switches = |message: &super::protocol::Message| message.context_switches.map_or(0.0, |count| count as f64);
    let switches_per_update = (switches(&done) - switches(&reconciled)) / objects;
    let count = thousands(i64::try_from(names.len()).unwrap_or(i64::MAX));
    let record = |metric: String, unit: &str, value: f64, better: Better| {
        Record::new(section, &metric, unit, name, value, better)
    };
    let reconciles = |message: &super::protocol::Message| message.reconciles.map_or(0.0, |count| count as f64);
    Ok(vec![
        record(
            format!("every object reconciled once, from process start ({count} objects)"),
            "s",
            initial,
            Better::Lower,
        ),
        record(format!("initial reconciles ({count} objects)"), "objects/s", objects / initial, Better::Higher),
        record(format!("every update reconciled, from the first write ({count} updates)"), "s", updates, Better::Lower),
        record(format!("updates reconciled ({count} updates)"), "objects/s", objects / updates, Better::Higher),
        record(
            "throughput over both phases".to_owned(),
            "objects/s",
            2.0 * objects / (initial + updates),
            Better::Higher,
        ),
        record(
            "lag after the last write".to_owned(),
            "ms",
            (delivered - writes_done).as_secs_f64() * 1e3,
            Better::Lower,
        ),
        record(
            "RSS after the initial reconciles".to_owned(),
            "MB",
            reconciled.rss_mb.context("`reconciled` without rss_mb")?,
            Better::Lower,
        ),
        record(
            "peak RSS by the end of the initial reconciles (diagnostic)".to_owned(),
            "MB",
            reconciled.peak_rss_mb.context("`reconciled` without peak_rss_mb")?,
            Better::Lower,
        ),
        record("peak RSS".to_owned(), "MB", done.peak_rss_mb.context("`done` without peak_rss_mb")?, Better::Lower),
        record(
            "CPU time of the process, initial phase (from process start)".to_owned(),
            "s",
            initial_cpu,
            Better::Lower,
        ),
        record("CPU time of the process, update phase".to_owned(), "s", update_cpu, Better::Lower),
        record(
            "reconciles per CPU second over both phases".to_owned(),
            "reconciles/s",
            2.0 * objects / (initial_cpu + update_cpu),
            Better::Higher,
        ),
        record(
            "context switches per update reconciled (diagnostic)".to_owned(),
            "switches",
            switches_per_update,
            Better::Lower,
        ),
        record("reconciles run (diagnostic)".to_owned(), "reconciles", reconciles(&done), Better::Lower),
        record(
            "writes acknowledged (updater, context)".to_owned(),
            "updates/s",
            objects / (writes_done - updates_started).as_secs_f64(),
            Better::Higher,
        ),
    ])
}
