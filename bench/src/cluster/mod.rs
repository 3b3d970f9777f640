//! Workload 5: against a real kube-apiserver (the repository's harness, `kubegen-tests`):
//! informer sync of 10,000 ConfigMaps, the measuring process's RSS, 10,000 updates reaching a
//! handler, and GET / LIST-of-500 request rates.
//!
//! This module is the orchestrator: it starts the control plane, creates the ConfigMaps, and
//! for each [`Library`] starts a fresh child process (so RSS is the library's own) that
//! reports over the [`protocol`]. For the informer, the orchestrator sends the updates itself
//! once the child says `synced`, and times until the child says `done`.
//!
//! Where each library's code lives: [`kube_rs`], [`kubegen`] (slots), and `go/informer.go`,
//! `go/requests.go`. The controller workload is [`controller`], on its own control plane.

pub mod child;
pub mod controller;
mod cpu;
mod cpu_limit;
mod kube_rs;
mod kubegen;
mod library;
pub mod probe;
mod protocol;
pub mod requests;
mod rss;
mod seed;
pub mod streams;
pub mod tally;
mod transfer;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kubegen_tests::{ControlPlane, Http};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::ChildStdout;

use self::library::{Library, Workload};
use self::protocol::Message;
use crate::fixtures::Manifest;
use crate::report::format::{figure, thousands};
use crate::results::{Better, Record};

/// The namespace of the ConfigMaps.
const NAMESPACE: &str = "bench";
/// The longest the orchestrator waits for one message of a child.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// What the cluster workloads do.
#[derive(Clone, Debug, clap::Args)]
pub struct ClusterOptions {
    /// The Go bench binary.
    #[arg(long)]
    pub go_bin: PathBuf,
    /// ConfigMaps to create and sync in the first informer round.
    #[arg(long, default_value_t = 10_000)]
    pub objects: usize,
    /// ConfigMaps in the second informer round (more are created first); 0 skips the round.
    #[arg(long, default_value_t = 50_000)]
    pub large_objects: usize,
    /// Updates to send after each sync of the first informer round.
    #[arg(long, default_value_t = 10_000)]
    pub updates: usize,
    /// Sync rounds per object count: each runs every library's informer once, starting
    /// with the next library (whichever runs first meets a server still settling after the
    /// creates); the first also times update delivery, the others only sync. Sync time and
    /// RSS after sync are the median of the rounds: one sync of 50,000 objects varied from
    /// 0.7x to 1.6x of client-go's between runs, with the server's list time. The default,
    /// one round per library, puts every library in every place of the order once; with
    /// fewer, some library never runs first (with three, client-go never did).
    #[arg(long, default_value_t = library::INFORMER.len())]
    pub sync_rounds: usize,
    /// Requests in flight while creating and updating.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Sequential GETs of the requests workload.
    #[arg(long, default_value_t = 2000)]
    pub gets: usize,
    /// Sequential LISTs of 500 of the requests workload.
    #[arg(long, default_value_t = 100)]
    pub lists: usize,
    /// Rounds of the requests workload; each runs every library once, starting with a
    /// different one, and the report keeps each library's median.
    #[arg(long, default_value_t = 3)]
    pub request_rounds: usize,
    /// Extra kube-apiserver flags (repeatable), e.g. `--max-requests-inflight=800`.
    #[arg(long = "apiserver-arg", allow_hyphen_values = true)]
    pub apiserver_args: Vec<String>,
}

/// Runs the cluster workloads for every library.
pub async fn run(fixtures: PathBuf, manifest: &Manifest, options: &ClusterOptions) -> anyhow::Result<Vec<Record>> {
    let args = options.apiserver_args.clone();
    let plane = tokio::task::spawn_blocking(move || ControlPlane::builder().apiserver_args(args).start())
        .await
        .context("the control plane's start-up task")?
        .context("starting the control plane")?;
    eprintln!("cluster: control plane at {} (started in {:?})", plane.server_url(), plane.started_in());
    let http = plane.http().context("the harness's HTTP client")?;
    let mut names = Vec::new();
    let mut records = Vec::new();
    let mut rounds = vec![options.objects];
    if options.large_objects > options.objects {
        rounds.push(options.large_objects);
    }
    for count in rounds {
        let started = Instant::now();
        let created =
            seed::create(&http, NAMESPACE, &fixtures, manifest, names.len(), count, options.concurrency).await?;
        eprintln!("cluster: created {} ConfigMaps in {:?}", created.len(), started.elapsed());
        names.extend(created);
        let (floor, bytes) = transfer::list_floor(&http, NAMESPACE).await.context("the list-transfer floor")?;
        eprintln!("cluster: the list alone ({bytes} bytes of protobuf) took {floor:?}");
        let objects = thousands(i64::try_from(names.len()).unwrap_or(i64::MAX));
        records.push(
            Record::new(
                "informer",
                &format!("sync time, {objects} objects"),
                "s",
                transfer::LIBRARY,
                floor.as_secs_f64(),
                Better::Lower,
            )
            .with_note(format!(
                "the harness's HTTP client GETs the list an informer starts with (resourceVersion=0, \
                 protobuf, {bytes} bytes) and reads it without decoding; median of 3"
            )),
        );
        let mut rounds = Vec::new();
        for round in 0..options.sync_rounds.max(1) {
            let updates = if round == 0 { options.updates } else { 0 };
            for library in library::rotated(&library::INFORMER, round) {
                let name = library.name();
                rounds.push(informer(&plane, &http, &names, library, updates, options).await.with_context(|| {
                    format!(
                        "informer workload of {name} ({count} objects, round {}); logs: {}",
                        round + 1,
                        plane.dir().display()
                    )
                })?);
            }
        }
        records.extend(median_records(rounds));
    }
    records.extend(request_rounds(&plane, options).await?);
    Ok(records)
}

/// One informer process of `library`: its sync, then, when `updates` is not 0, the delivery
/// of that many updates (a round without updates reports the sync figures only).
async fn informer(
    plane: &ControlPlane,
    http: &Http,
    names: &[String],
    library: Library,
    updates: usize,
    options: &ClusterOptions,
) -> anyhow::Result<Vec<Record>> {
    let name = library.name();
    let token = format!("{name}-{}", std::process::id());
    let mut command = library.command(Workload::Informer, &options.go_bin)?;
    command.arg("--kubeconfig").arg(plane.kubeconfig_path()).args([
        "--namespace",
        NAMESPACE,
        "--expect",
        &names.len().to_string(),
        "--updates",
        &updates.to_string(),
        "--token",
        &token,
    ]);
    let mut child = command.spawn().with_context(|| format!("starting the {name} informer process"))?;
    let mut lines = BufReader::new(child.stdout.take().context("the child's stdout")?).lines();
    let synced = next_message(&mut lines).await?;
    let objects = thousands(i64::try_from(names.len()).unwrap_or(i64::MAX));
    let record = |metric: &str, unit: &str, value: f64, better: Better| {
        Record::new("informer", &format!("{metric}, {objects} objects"), unit, name, value, better)
    };
    let records = match synced.event.as_str() {
        "pending" => {
            let why = synced.note.as_deref().unwrap_or("pending");
            let metrics = if updates == 0 { &INFORMER_METRICS[..SYNC_METRICS] } else { &INFORMER_METRICS[..] };
            metrics
                .iter()
                .map(|(metric, unit, better)| {
                    let metric = format!("{metric}, {objects} objects");
                    Record::pending("informer", &metric, unit, name, *better, why)
                })
                .collect()
        }
        "synced" => {
            let sync = {
                let seconds = synced.sync_seconds.context("`synced` without sync_seconds")?;
                let sync = record("sync time", "s", seconds, Better::Lower);
                match &synced.note {
                    Some(note) => sync.with_note(note.clone()),
                    None => sync,
                }
            };
            let rss = record("RSS after sync", "MB", synced.rss_mb.context("`synced` without rss_mb")?, Better::Lower);
            let updates_started = Instant::now();
            if updates > 0 {
                seed::update(http, NAMESPACE, names, updates, &token, options.concurrency).await?;
            }
            let writes_done = Instant::now();
            let done = next_message(&mut lines).await?;
            let delivered = Instant::now();
            if done.event != "done" || done.updates_seen != Some(updates) {
                bail!("{name}: expected `done` after {updates} updates, got {done:?}");
            }
            if updates == 0 {
                eprintln!("cluster: {name}: synced {synced:?} (sync only)");
                vec![sync, rss]
            } else {
                let delivery = delivered - updates_started;
                eprintln!("cluster: {name}: synced {synced:?}; {updates} updates delivered in {delivery:?}");
                vec![
                    sync,
                    rss,
                    record("peak RSS", "MB", done.peak_rss_mb.context("`done` without peak_rss_mb")?, Better::Lower),
                    record("updates delivered", "updates/s", updates as f64 / delivery.as_secs_f64(), Better::Higher),
                    record(
                        "lag after the last write",
                        "ms",
                        (delivered - writes_done).as_secs_f64() * 1e3,
                        Better::Lower,
                    ),
                    record(
                        "writes acknowledged (updater, context)",
                        "updates/s",
                        updates as f64 / (writes_done - updates_started).as_secs_f64(),
                        Better::Higher,
                    ),
                ]
            }
        }
        other => bail!("{name}: expected `synced` or `pending`, got `{other}`"),
    };
    let status = child.wait().await.with_context(|| format!("waiting for the {name} informer process"))?;
    if !status.success() {
        bail!("the {name} informer process failed ({status})");
    }
    Ok(records)
}

/// How many of [`INFORMER_METRICS`], from the first, a round without updates reports.
const SYNC_METRICS: usize = 2;

const INFORMER_METRICS: [(&str, &str, Better); 6] = [
    ("sync time", "s", Better::Lower),
    ("RSS after sync", "MB", Better::Lower),
    ("peak RSS", "MB", Better::Lower),
    ("updates delivered", "updates/s", Better::Higher),
    ("lag after the last write", "ms", Better::Lower),
    ("writes acknowledged (updater, context)", "updates/s", Better::Higher),
];

/// The requests workload, `request_rounds` times, each round starting with the next library
/// (whichever runs first meets the server still settling after the informer rounds); per
/// library and figure the median of its rounds.
async fn request_rounds(plane: &ControlPlane, options: &ClusterOptions) -> anyhow::Result<Vec<Record>> {
    let mut rounds: Vec<Vec<Record>> = Vec::new();
    for round in 0..options.request_rounds.max(1) {
        for library in library::rotated(&library::ALL, round) {
            rounds.push(
                requests(plane, library, options)
                    .await
                    .with_context(|| format!("requests workload of {} (round {})", library.name(), round + 1))?,
            );
        }
    }
    Ok(median_records(rounds))
}

async fn requests(plane: &ControlPlane, library: Library, options: &ClusterOptions) -> anyhow::Result<Vec<Record>> {
    let name = library.name();
    let mut command = library.command(Workload::Requests, &options.go_bin)?;
    command.arg("--kubeconfig").arg(plane.kubeconfig_path()).args([
        "--namespace",
        NAMESPACE,
        "--gets",
        &options.gets.to_string(),
        "--lists",
        &options.lists.to_string(),
    ]);
    let mut child = command.spawn().with_context(|| format!("starting the {name} requests process"))?;
    let mut lines = BufReader::new(child.stdout.take().context("the child's stdout")?).lines();
    let message = next_message(&mut lines).await?;
    let get = "GET one ConfigMap";
    let list = "LIST 500 ConfigMaps";
    let records = match message.event.as_str() {
        "pending" => {
            let why = message.note.as_deref().unwrap_or("pending");
            vec![
                Record::pending("requests", get, "requests/s", name, Better::Higher, why),
                Record::pending("requests", list, "requests/s", name, Better::Higher, why),
            ]
        }
        "requests" => {
            eprintln!("cluster: {name}: {message:?}");
            vec![
                Record::new(
                    "requests",
                    get,
                    "requests/s",
                    name,
                    message.gets_per_second.context("no gets_per_second")?,
                    Better::Higher,
                ),
                Record::new(
                    "requests",
                    list,
                    "requests/s",
                    name,
                    message.lists_per_second.context("no lists_per_second")?,
                    Better::Higher,
                ),
            ]
        }
        other => bail!("{name}: expected `requests` or `pending`, got `{other}`"),
    };
    let status = child.wait().await.with_context(|| format!("waiting for the {name} requests process"))?;
    if !status.success() {
        bail!("the {name} requests process failed ({status})");
    }
    Ok(records)
}

/// The next protocol line of a child; an error if it ends or takes too long.
async fn next_message(lines: &mut Lines<BufReader<ChildStdout>>) -> anyhow::Result<Message> {
    let line = tokio::time::timeout(MESSAGE_TIMEOUT, lines.next_line())
        .await
        .with_context(|| format!("no message from the child within {MESSAGE_TIMEOUT:?}"))?
        .context("reading the child's stdout")?
        .context("the child exited without a message")?;
    serde_json::from_str(&line).with_context(|| format!("decoding the child's message {line:?}"))
}

/// One record per workload, metric and library (in first-seen order) with the median of the
/// rounds' values and a note listing them; a pending record stays pending.
fn median_records(rounds: Vec<Vec<Record>>) -> Vec<Record> {
    let mut merged: Vec<(Record, Vec<f64>)> = Vec::new();
    for record in rounds.into_iter().flatten() {
        let same = |(seen, _): &&mut (Record, Vec<f64>)| {
            seen.workload == record.workload && seen.metric == record.metric && seen.library == record.library
        };
        match (merged.iter_mut().find(same), record.value) {
            (Some((_, values)), Some(value)) => values.push(value),
            (Some(_), None) => {}
            (None, value) => merged.push((record, value.into_iter().collect())),
        }
    }
    merged
        .into_iter()
        .map(|(record, mut values)| {
            if record.value.is_none() || values.len() < 2 {
                return record;
            }
            let median = crate::stats::median_value(&values);
            values.sort_by(f64::total_cmp);
            let listed = values.iter().map(|value| figure(*value)).collect::<Vec<_>>().join(", ");
            // A note the record had (client-go's feature gates) is kept before the rounds.
            let note = match &record.note {
                Some(note) => format!("{note}; median of rounds: {listed}"),
                None => format!("median of rounds: {listed}"),
            };
            Record { value: Some(median), ..record }.with_note(note)
        })
        .collect()
}
