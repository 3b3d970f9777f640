//! The run's context for the report: machine (cores, load, memory), versions of the toolchains
//! and libraries, the kubegen commit, and load samples taken before each workload.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// What the report's header shows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Environment {
    /// `available_parallelism`.
    pub cores: usize,
    /// CPU model from /proc/cpuinfo.
    pub cpu: String,
    /// Total and available memory, in GiB.
    pub memory_total_gib: f64,
    /// Available memory at the start, in GiB.
    pub memory_available_gib: f64,
    /// `rustc --version`.
    pub rustc: String,
    /// `go version`.
    pub go: String,
    /// `(crate, version)` of kube, k8s-openapi and serde_json from bench/Cargo.lock.
    pub crates: Vec<(String, String)>,
    /// `(module, version)` of client-go and friends from bench/go/go.mod.
    pub go_modules: Vec<(String, String)>,
    /// The commit measured (`git describe --always --dirty`, from run.sh).
    pub kubegen_commit: String,
    /// UTC date and time of the run.
    pub date: String,
    /// kube-apiserver version used for the cluster workload.
    pub apiserver: String,
}

/// A load sample.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadSample {
    /// The workload about to run.
    pub stage: String,
    /// 1, 5 and 15-minute load averages.
    pub load: [f64; 3],
}

/// Collects the environment of a run of the bench in `repo`.
pub fn collect(repo: &Path, commit: &str) -> Environment {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = |field: &str| {
        meminfo
            .lines()
            .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse::<f64>().ok())
            .map_or(0.0, |kib| kib / (1024.0 * 1024.0))
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':').map(|(_, model)| model.trim().to_owned()))
        .unwrap_or_default();
    let bench = repo.join("bench");
    let lock = std::fs::read_to_string(bench.join("Cargo.lock")).unwrap_or_default();
    let go_mod = std::fs::read_to_string(bench.join("go/go.mod")).unwrap_or_default();
    let apiserver_mod =
        std::fs::read_to_string(repo.join("tests/control-plane/kube-apiserver/go.mod")).unwrap_or_default();
    Environment {
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        cpu,
        memory_total_gib: memory("MemTotal:"),
        memory_available_gib: memory("MemAvailable:"),
        rustc: output("rustc", &["--version"], repo),
        go: output("go", &["version"], repo),
        crates: ["kube", "k8s-openapi", "serde_json"]
            .iter()
            .map(|name| (name.to_string(), lock_version(&lock, name)))
            .collect(),
        go_modules: ["k8s.io/client-go", "k8s.io/api", "k8s.io/apimachinery"]
            .iter()
            .map(|module| (module.to_string(), go_mod_version(&go_mod, module)))
            .collect(),
        kubegen_commit: commit.to_owned(),
        date: output("date", &["-u", "+%Y-%m-%d %H:%M UTC"], repo),
        apiserver: go_mod_version(&apiserver_mod, "k8s.io/kubernetes"),
    }
}

/// The current load averages.
pub fn load(stage: &str) -> anyhow::Result<LoadSample> {
    let text = std::fs::read_to_string("/proc/loadavg").context("reading /proc/loadavg")?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    let mut next = || -> anyhow::Result<f64> {
        fields.next().context("/proc/loadavg is short")?.with_context(|| format!("parsing /proc/loadavg {text:?}"))
    };
    Ok(LoadSample { stage: stage.to_owned(), load: [next()?, next()?, next()?] })
}

fn output(program: &str, args: &[&str], dir: &Path) -> String {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|| format!("unknown ({program} failed)"))
}

/// The version of package `name` in a Cargo.lock (the first entry, if several).
fn lock_version(lock: &str, name: &str) -> String {
    let header = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == header
            && let Some(version) = lines.next().and_then(|line| line.trim().strip_prefix("version = "))
        {
            return version.trim_matches('"').to_owned();
        }
    }
    "unknown".to_owned()
}

/// The version a go.mod requires of `module`.
fn go_mod_version(go_mod: &str, module: &str) -> String {
    go_mod
        .lines()
        .map(str::trim)
        .find_map(|line| {
            let line = line.strip_prefix("require ").unwrap_or(line);
            let mut parts = line.split_whitespace();
            (parts.next() == Some(module)).then(|| parts.next().unwrap_or("unknown").to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
