//! The `kubegen` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kubegen::emit::RuntimeDependency;
use kubegen::{Options, generate};

/// Generates Rust clients, models, informers and listers from Kubernetes OpenAPI specs.
#[derive(Parser)]
#[command(name = "kubegen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a crate from specs and CRDs (the bundled Kubernetes v1.35 spec by default).
    Generate(GenerateArgs),
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// A Swagger 2.0 file, an OpenAPI 3 document, or a directory of OpenAPI 3 documents (one
    /// per group/version). Repeatable. Without it, the bundled Kubernetes v1.35 spec.
    #[arg(long = "spec", value_name = "PATH")]
    specs: Vec<PathBuf>,
    /// Read the spec of the cluster the kubeconfig names (`/openapi/v3`, or `/openapi/v2` from
    /// older servers) instead of the bundled spec.
    #[arg(long)]
    from_cluster: bool,
    /// With --from-cluster: the kubeconfig file (default: `KUBECONFIG`, else
    /// `~/.kube/config`).
    #[arg(long, value_name = "FILE", requires = "from_cluster")]
    kubeconfig: Option<PathBuf>,
    /// With --from-cluster: the kubeconfig context (default: the current one).
    #[arg(long, value_name = "NAME", requires = "from_cluster")]
    context: Option<String>,
    /// With --from-cluster: only this API group (`core` for the core group). Repeatable.
    #[arg(long = "group", value_name = "GROUP", requires = "from_cluster")]
    groups: Vec<String>,
    /// A CustomResourceDefinition manifest (YAML or JSON, one or many documents). Repeatable.
    #[arg(long = "crd", value_name = "FILE")]
    crds: Vec<PathBuf>,
    /// The crate directory to write.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Package name of the generated crate.
    #[arg(long, default_value = "kubegen-api")]
    crate_name: String,
    /// Package version of the generated crate.
    #[arg(long, default_value = "0.1.0")]
    crate_version: String,
    /// Depend on kubegen-runtime at this path (relative to the crate).
    #[arg(long, value_name = "PATH", conflicts_with = "runtime_version")]
    runtime_path: Option<String>,
    /// Depend on kubegen-runtime at this crates.io version requirement.
    #[arg(long, value_name = "VERSION")]
    runtime_version: Option<String>,
    /// Refer to the types of this generated crate (package name, for example `kubegen-api`)
    /// instead of generating them: for a crate of custom resources on top of the bundled
    /// Kubernetes types.
    #[arg(long, value_name = "PACKAGE")]
    extern_types: Option<String>,
    /// With --extern-types: the spec that crate was generated from (default: the bundled one).
    #[arg(long, value_name = "PATH", requires = "extern_types")]
    extern_spec: Vec<PathBuf>,
    /// With --extern-types: depend on that crate at this path (relative to the crate),
    /// instead of by version.
    #[arg(long, value_name = "PATH", requires = "extern_types")]
    extern_path: Option<String>,
    /// Write nothing; exit non-zero, naming the stale files, if DIR differs from what would be
    /// generated.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUBEGEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let Command::Generate(args) = Cli::parse().command;
    let runtime = match (args.runtime_path, args.runtime_version) {
        (Some(path), _) => Some(RuntimeDependency::Path(path)),
        (None, Some(version)) => Some(RuntimeDependency::Version(version)),
        (None, None) => None,
    };
    let options = Options {
        specs: args.specs,
        crds: args.crds,
        out: args.out,
        crate_name: args.crate_name,
        crate_version: args.crate_version,
        runtime,
        check: args.check,
        extern_types: args.extern_types.map(|package| kubegen::generate::ExternTypes {
            package,
            dependency: match args.extern_path {
                Some(path) => RuntimeDependency::Path(path),
                None => RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_owned()),
            },
            specs: args.extern_spec,
        }),
        from_cluster: args.from_cluster.then_some(kubegen::spec::cluster::ClusterOptions {
            kubeconfig: args.kubeconfig,
            context: args.context,
            groups: args.groups,
        }),
    };
    let started = std::time::Instant::now();
    match generate(&options) {
        Ok(report) => {
            let verb = if options.check { "checked" } else { "generated" };
            eprintln!(
                "kubegen: {verb} {} types, {} resources in {} modules: {} files ({} written, {} unchanged, {} removed) in {:.2} s",
                report.types,
                report.resources,
                report.modules,
                report.files,
                report.write.written.len(),
                report.write.unchanged,
                report.write.removed.len(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("kubegen: error: {error}");
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}
