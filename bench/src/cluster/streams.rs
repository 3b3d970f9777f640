//! Workload 6: streaming through kube-apiserver to a kubelet: port-forward throughput, exec
//! round trips, and stdin-to-stdout round trips in one exec, with the harness's fake kubelet
//! (`kubegen_tests::Kubelet`: the kubelet's own streaming handlers, a loopback echo server
//! behind port-forwards).
//!
//! The orchestrator ([`run`]) starts a private control plane and a kubelet with one Pod, then
//! runs each library's measuring process (`streams-child`, the Go binary's `streams`) in
//! rounds that rotate which library goes first, and keeps each figure's median. The timing
//! helpers here are shared by the Rust libraries' slots (`kubegen.rs`, `kube_rs.rs`), so both
//! do the same reads and writes; `go/streams.go` does the same in Go.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kubegen_tests::ControlPlane;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::library::{Library, Workload};
use super::{median_records, next_message};
use crate::results::{Better, Record};
use crate::stats;

/// The namespace and Pod of the workload.
const NAMESPACE: &str = "bench-streams";
const POD: &str = "box";
/// Each write (and read buffer) of the throughput measurement.
const CHUNK: usize = 1 << 20;
/// The stdin message of the echo round trips.
const ECHO_MESSAGE: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n";

/// What the streams workload does.
#[derive(Clone, Debug, clap::Args)]
pub struct StreamOptions {
    /// The Go bench binary (client-go's slot).
    #[arg(long)]
    pub go_bin: PathBuf,
    /// Bytes sent (and echoed back) through the port-forward, per child.
    #[arg(long, default_value_t = 256 << 20)]
    pub forward_bytes: usize,
    /// Sequential `echo` execs timed, per child.
    #[arg(long, default_value_t = 100)]
    pub execs: usize,
    /// Round trips through `cat` in one exec, per child.
    #[arg(long, default_value_t = 2000)]
    pub echoes: usize,
    /// Rounds; each runs every library once, starting with a different one.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Only these libraries (repeatable: kubegen, kube-rs, client-go; default all).
    #[arg(long = "library")]
    pub libraries: Vec<String>,
}

/// What a streams child measures.
#[derive(Clone, Debug, clap::Args)]
pub struct StreamParams {
    /// The kubeconfig of the control plane.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// The Pod's namespace.
    #[arg(long)]
    pub namespace: String,
    /// The Pod.
    #[arg(long)]
    pub pod: String,
    /// The Pod's port with the echo server.
    #[arg(long)]
    pub port: u16,
    /// Bytes sent (and echoed back) through the port-forward.
    #[arg(long)]
    pub forward_bytes: usize,
    /// Sequential `echo` execs timed.
    #[arg(long)]
    pub execs: usize,
    /// Round trips through `cat` in one exec.
    #[arg(long)]
    pub echoes: usize,
}

/// A streams child's figures.
#[derive(Clone, Copy, Debug)]
pub struct StreamFigures {
    /// Port-forward throughput, MB/s each way (the echo sends every byte back).
    pub forward_mb_per_second: f64,
    /// Median time of a whole `exec echo` (upgrade, output, exit status), ms.
    pub exec_ms: f64,
    /// Median time of a 64-byte stdin-to-stdout round trip through `cat`, µs.
    pub echo_us: f64,
}

/// Runs the workload for every library.
pub async fn run(options: &StreamOptions) -> anyhow::Result<Vec<Record>> {
    let plane = tokio::task::spawn_blocking(|| ControlPlane::builder().start())
        .await
        .context("the control plane's start-up task")?
        .context("starting the control plane")?;
    let kubelet = plane.start_kubelet().await.context("starting the fake kubelet")?;
    let http = plane.http().context("the harness's HTTP client")?;
    http.post("/api/v1/namespaces", &serde_json::json!({ "metadata": { "name": NAMESPACE } }))
        .await
        .context("creating the namespace")?;
    kubelet.create_pod(&http, NAMESPACE, POD, &["app"]).await.context("creating the Pod")?;
    eprintln!("streams: control plane at {}, kubelet on node {}", plane.server_url(), kubelet.node_name());
    let mut libraries = super::library::ALL.to_vec();
    if !options.libraries.is_empty() {
        libraries.retain(|library| options.libraries.iter().any(|wanted| wanted == library.name()));
    }
    let mut rounds = Vec::new();
    for round in 0..options.rounds.max(1) {
        for library in super::library::rotated(&libraries, round) {
            rounds.push(
                child(&plane, kubelet.echo_port(), library, options)
                    .await
                    .with_context(|| format!("streams workload of {} (round {})", library.name(), round + 1))?,
            );
        }
    }
    Ok(median_records(rounds))
}

async fn child(
    plane: &ControlPlane,
    port: u16,
    library: Library,
    options: &StreamOptions,
) -> anyhow::Result<Vec<Record>> {
    let name = library.name();
    let mut command = library.command(Workload::Streams, &options.go_bin)?;
    command.arg("--kubeconfig").arg(plane.kubeconfig_path()).args([
        "--namespace",
        NAMESPACE,
        "--pod",
        POD,
        "--port",
        &port.to_string(),
        "--forward-bytes",
        &options.forward_bytes.to_string(),
        "--execs",
        &options.execs.to_string(),
        "--echoes",
        &options.echoes.to_string(),
    ]);
    let mut child = command.spawn().with_context(|| format!("starting the {name} streams process"))?;
    let mut lines = BufReader::new(child.stdout.take().context("the child's stdout")?).lines();
    let message = next_message(&mut lines).await?;
    let metrics = [
        ("port-forward through an echo, each way", "MB/s", Better::Higher),
        ("exec `echo` round trip (upgrade to exit status)", "ms", Better::Lower),
        ("stdin to stdout round trip in one exec, 64 bytes", "µs", Better::Lower),
    ];
    let records = match message.event.as_str() {
        "pending" => {
            let why = message.note.as_deref().unwrap_or("pending");
            metrics
                .iter()
                .map(|(metric, unit, better)| Record::pending("streams", metric, unit, name, *better, why))
                .collect()
        }
        "streams" => {
            eprintln!("streams: {name}: {message:?}");
            let values = [
                message.forward_mb_per_second.context("no forward_mb_per_second")?,
                message.exec_ms.context("no exec_ms")?,
                message.echo_us.context("no echo_us")?,
            ];
            metrics
                .iter()
                .zip(values)
                .map(|((metric, unit, better), value)| Record::new("streams", metric, unit, name, value, *better))
                .collect()
        }
        other => bail!("{name}: expected `streams` or `pending`, got `{other}`"),
    };
    let status = child.wait().await.with_context(|| format!("waiting for the {name} streams process"))?;
    if !status.success() {
        bail!("the {name} streams process failed ({status})");
    }
    Ok(records)
}

/// Sends `bytes` through `stream` to the echo server and reads them back, concurrently, in
/// 1 MiB writes and reads; returns MB/s each way. 1 MiB goes through untimed first.
pub async fn throughput<S>(stream: S, bytes: usize) -> anyhow::Result<f64>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut read, mut write) = tokio::io::split(stream);
    let chunk: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
    let mut buffer = vec![0; CHUNK];
    let (written, echoed) = tokio::join!(write.write_all(&chunk), read.read_exact(&mut buffer));
    written.context("warm-up write")?;
    echoed.context("warm-up read")?;
    if buffer != chunk {
        bail!("the echo changed the warm-up megabyte");
    }
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        let mut left = bytes;
        while left > 0 {
            let n = left.min(CHUNK);
            write.write_all(&chunk[..n]).await?;
            left -= n;
        }
        anyhow::Ok(write)
    });
    let mut received = 0;
    while received < bytes {
        let n = read.read(&mut buffer).await.context("reading the echo")?;
        if n == 0 {
            bail!("the port-forward ended after {received} of {bytes} bytes");
        }
        received += n;
    }
    let elapsed = started.elapsed();
    drop(writer.await.context("the writer task")?.context("writing")?);
    Ok(stats::per_second(bytes as f64 / 1e6, elapsed))
}

/// Runs `exec` (one whole `echo` exec, returning its stdout) once untimed and `count` times
/// timed; returns the median in ms.
pub async fn exec_round_trips<F, Fut>(count: usize, exec: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<u8>>>,
{
    let check = |output: Vec<u8>| {
        if output != b"hi\n" {
            bail!("exec echo wrote {:?}", String::from_utf8_lossy(&output));
        }
        Ok(())
    };
    check(exec().await?)?;
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let output = exec().await?;
        samples.push(started.elapsed());
        check(output)?;
    }
    Ok(millis(stats::median(&samples)))
}

/// Writes a 64-byte line to `cat`'s stdin and reads it back from its stdout, once untimed and
/// `count` times timed; returns the median in µs.
pub async fn echo_round_trips<W, R>(stdin: &mut W, stdout: R, count: usize) -> anyhow::Result<f64>
where
    W: AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    let mut stdout = BufReader::new(stdout);
    let mut line = Vec::with_capacity(ECHO_MESSAGE.len());
    let mut samples = Vec::with_capacity(count);
    for round in 0..=count {
        let started = Instant::now();
        stdin.write_all(ECHO_MESSAGE).await.context("writing stdin")?;
        stdin.flush().await.context("flushing stdin")?;
        line.clear();
        stdout.read_until(b'\n', &mut line).await.context("reading stdout")?;
        if round > 0 {
            samples.push(started.elapsed());
        }
        if line != ECHO_MESSAGE {
            bail!("cat answered {:?}", String::from_utf8_lossy(&line));
        }
    }
    Ok(stats::median(&samples).as_secs_f64() * 1e6)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
