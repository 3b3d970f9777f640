//! The command line of both binaries: one subcommand per workload, and the internal ones.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::cluster::child::RustLibrary;
use crate::cluster::probe::InformerParams;
use crate::cluster::requests::RequestParams;
use crate::{alloc, build_time, cluster, decode, env, fixtures, generation, heap, report, results, sizes};

/// Benchmarks of kubegen against kube-rs and client-go.
#[derive(Parser)]
#[command(name = "kubegen-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the fixtures (once per seed) into DIR.
    Fixtures {
        /// The fixture directory.
        #[arg(long)]
        dir: PathBuf,
        /// The generator's seed.
        #[arg(long, default_value_t = 20_260_101)]
        seed: u64,
        /// Objects of each kind.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
    },
    /// Workload 1: decode throughput.
    Decode {
        #[command(flatten)]
        io: FixtureIo,
        /// Timed runs after the warm-up.
        #[arg(long, default_value_t = 5)]
        iterations: usize,
    },
    /// Workload 2: heap retained per cached object (in `kubegen-bench-heap` only, the binary
    /// with the counting allocator).
    Heap {
        #[command(flatten)]
        io: FixtureIo,
    },
    /// `size_of` of the main types.
    Sizes {
        /// The results file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Workload 3: generation time.
    Generate {
        /// The release `kubegen` binary.
        #[arg(long)]
        kubegen: PathBuf,
        /// Scratch directory for the output.
        #[arg(long)]
        scratch: PathBuf,
        /// Timed runs after the warm-up.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// The results file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Workload 4: build time of the model crates.
    BuildTime {
        /// The repository root.
        #[arg(long)]
        repo: PathBuf,
        /// Scratch directory for the projects and their target directory.
        #[arg(long)]
        scratch: PathBuf,
        /// Timed rebuilds per crate and profile.
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// The results file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Workload 5: informers and requests against a real kube-apiserver.
    Cluster {
        #[command(flatten)]
        io: FixtureIo,
        #[command(flatten)]
        options: cluster::ClusterOptions,
    },
    /// Workload 6: port-forward and exec through kube-apiserver to a fake kubelet.
    Streams {
        /// The results file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        options: cluster::streams::StreamOptions,
    },
    /// Workload 7: a controller reconciling 10,000 ConfigMaps, then their updates.
    Controller {
        #[command(flatten)]
        io: FixtureIo,
        #[command(flatten)]
        options: cluster::controller::ControllerOptions,
    },
    /// (Internal) one Rust library's controller measurement, started by `controller`.
    ControllerChild {
        /// The library.
        #[arg(long, value_enum)]
        library: RustLibrary,
        #[command(flatten)]
        params: cluster::tally::ControllerParams,
    },
    /// (Internal) one Rust library's streams measurement, started by `streams`.
    StreamsChild {
        /// The library.
        #[arg(long, value_enum)]
        library: RustLibrary,
        #[command(flatten)]
        params: cluster::streams::StreamParams,
    },
    /// (Internal) one Rust library's informer measurement, started by `cluster`.
    InformerChild {
        /// The library.
        #[arg(long, value_enum)]
        library: RustLibrary,
        #[command(flatten)]
        params: InformerParams,
    },
    /// (Internal) one Rust library's requests measurement, started by `cluster`.
    RequestsChild {
        /// The library.
        #[arg(long, value_enum)]
        library: RustLibrary,
        #[command(flatten)]
        params: RequestParams,
    },
    /// Machine and versions, for the report.
    Env {
        /// The repository root.
        #[arg(long)]
        repo: PathBuf,
        /// The commit measured.
        #[arg(long)]
        commit: String,
        /// The output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// The load average now, labelled with the workload about to run.
    Load {
        /// The workload about to run.
        #[arg(long)]
        stage: String,
        /// The output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Render the report from a results directory.
    Render {
        /// The results directory.
        #[arg(long)]
        results: PathBuf,
        /// The Markdown file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the fixtures are and where the results go.
#[derive(clap::Args)]
struct FixtureIo {
    /// The fixture directory (written by `fixtures`).
    #[arg(long)]
    fixtures: PathBuf,
    /// The results file.
    #[arg(long)]
    out: PathBuf,
}

/// Runs the subcommand of the command line.
pub fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fixtures { dir, seed, count } => fixtures::ensure(&dir, seed, count).map(drop),
        Command::Decode { io, iterations } => {
            let manifest = fixtures::Manifest::read(&io.fixtures)?;
            results::write(&io.out, &decode::run(&io.fixtures, &manifest, iterations)?)
        }
        Command::Heap { io } => {
            if !alloc::counts() {
                bail!("the heap workload counts allocations: run it with kubegen-bench-heap, not kubegen-bench");
            }
            let manifest = fixtures::Manifest::read(&io.fixtures)?;
            results::write(&io.out, &heap::run(&io.fixtures, &manifest)?)
        }
        Command::Sizes { out } => results::write(&out, &sizes::run()),
        Command::Generate { kubegen, scratch, runs, out } => {
            create_dir(&scratch)?;
            results::write(&out, &generation::run(&kubegen, &scratch, runs)?)
        }
        Command::BuildTime { repo, scratch, repeats, out } => {
            create_dir(&scratch)?;
            let lock = repo.join("bench/Cargo.lock");
            results::write(&out, &build_time::run(&repo, &scratch, &lock, repeats)?)
        }
        Command::Cluster { io, options } => {
            let manifest = fixtures::Manifest::read(&io.fixtures)?;
            let records = runtime()?.block_on(cluster::run(io.fixtures.clone(), &manifest, &options))?;
            results::write(&io.out, &records)
        }
        Command::InformerChild { library, params } => runtime()?.block_on(cluster::child::informer(library, params)),
        Command::RequestsChild { library, params } => runtime()?.block_on(cluster::child::requests(library, params)),
        Command::Streams { out, options } => {
            let records = runtime()?.block_on(cluster::streams::run(&options))?;
            results::write(&out, &records)
        }
        Command::StreamsChild { library, params } => runtime()?.block_on(cluster::child::streams(library, params)),
        Command::Controller { io, options } => {
            let manifest = fixtures::Manifest::read(&io.fixtures)?;
            let records = runtime()?.block_on(cluster::controller::run(io.fixtures.clone(), &manifest, &options))?;
            results::write(&io.out, &records)
        }
        Command::ControllerChild { library, params } => {
            runtime()?.block_on(cluster::child::controller(library, params))
        }
        Command::Env { repo, commit, out } => {
            let json = serde_json::to_vec_pretty(&env::collect(&repo, &commit)).context("encoding the environment")?;
            std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))
        }
        Command::Load { stage, out } => {
            let sample = env::load(&stage)?;
            eprintln!("load before {stage}: {:?}", sample.load);
            let json = serde_json::to_vec_pretty(&sample).context("encoding the load sample")?;
            std::fs::write(&out, json).with_context(|| format!("writing {}", out.display()))
        }
        Command::Render { results, out } => {
            let markdown = report::render(&results)?;
            std::fs::write(&out, markdown).with_context(|| format!("writing {}", out.display()))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the tokio runtime")
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
