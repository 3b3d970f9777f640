//! `BENCHMARKS.md` from the results directory: `env.json` (machine and versions),
//! `load-*.json` (load before each workload), `commands.txt` (what `run.sh` ran) and every
//! other `*.json` file as result records. The layout comes from the [`catalogue`]; the figures
//! only from the records.

mod catalogue;
pub mod format;
mod table;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::env::{Environment, LoadSample};
use crate::results::{self, Record};

/// Reads the results in `dir` and renders the report.
pub fn render(dir: &Path) -> anyhow::Result<String> {
    let env_path = dir.join("env.json");
    let env: Environment =
        serde_json::from_slice(&std::fs::read(&env_path).with_context(|| format!("reading {}", env_path.display()))?)
            .with_context(|| format!("decoding {}", env_path.display()))?;
    let mut records = Vec::new();
    let mut loads = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", dir.display()))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "env.json" {
            continue;
        }
        if name.starts_with("load-") {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let sample: LoadSample =
                serde_json::from_slice(&bytes).with_context(|| format!("decoding {}", path.display()))?;
            loads.push(sample);
        } else {
            records.extend(results::read(&path)?);
        }
    }
    let commands = std::fs::read_to_string(dir.join("commands.txt")).unwrap_or_default();
    Ok(document(&env, &loads, &commands, &records))
}

fn document(env: &Environment, loads: &[LoadSample], commands: &str, records: &[Record]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "kubegen beside kube-rs (kube + k8s-openapi) and client-go, on the same fixtures and the same \
         API server, in one run. Written by `bench/run.sh` on {}; do not edit by hand, run it again. \
         Ratios are kubegen ÷ the other library: with ↑ (higher is better) a ratio above 1 favours \
         kubegen, with ↓ (lower is better) a ratio below 1 does. \"pending\" marks a kubegen feature \
         that does not exist yet; \"—\" a figure that does not apply.\n",
        env.date
    );
    machine(&mut out, env, loads);
    let _ = writeln!(out, "## Commands\n");
    let _ = writeln!(
        out,
        "`bench/run.sh` runs everything and writes this file; `bench/run.sh decode heap` runs some \
         workloads only (fixtures, decode, heap, sizes, generate, build, cluster, streams, controller) and renders the \
         report from these and the earlier results in the bench cache. What this run executed:\n"
    );
    let _ = writeln!(out, "```\n{}\n```\n", commands.trim_end());
    let mut shown = Vec::new();
    for section in catalogue::SECTIONS {
        shown.push(section.id);
        let _ = writeln!(out, "## {}\n\n{}\n", section.title, section.about);
        let of_section: Vec<&Record> = records.iter().filter(|record| record.workload == section.id).collect();
        if of_section.is_empty() {
            let _ = writeln!(out, "Not measured in this run.\n");
        } else {
            let _ = writeln!(out, "{}", table::render(&of_section));
        }
    }
    let mut rest: Vec<&str> = records.iter().map(|record| record.workload.as_str()).collect();
    rest.retain(|id| !shown.contains(id));
    rest.dedup();
    for id in rest {
        let of_section: Vec<&Record> = records.iter().filter(|record| record.workload == id).collect();
        let _ = writeln!(out, "## {id}\n\n{}", table::render(&of_section));
    }
    out
}

fn machine(out: &mut String, env: &Environment, loads: &[LoadSample]) {
    let _ = writeln!(out, "## Machine and versions\n\n| | |\n|---|---|");
    let _ = writeln!(out, "| cores | {} ({}) |", env.cores, env.cpu);
    let _ = writeln!(
        out,
        "| memory | {:.1} GiB, {:.1} GiB available at the start |",
        env.memory_total_gib, env.memory_available_gib
    );
    if !loads.is_empty() {
        let samples: Vec<String> = loads
            .iter()
            .map(|sample| {
                format!("{} {:.2} / {:.2} / {:.2}", sample.stage, sample.load[0], sample.load[1], sample.load[2])
            })
            .collect();
        let _ = writeln!(out, "| load (1 / 5 / 15 min) before each workload | {} |", samples.join("; "));
    }
    let _ = writeln!(out, "| rustc | {} |", env.rustc);
    let _ = writeln!(out, "| go | {} |", env.go);
    for (name, version) in &env.crates {
        let _ = writeln!(out, "| {name} (crates.io) | {version} |");
    }
    for (module, version) in &env.go_modules {
        let _ = writeln!(out, "| {module} | {version} |");
    }
    let _ = writeln!(out, "| kubegen commit | {} |", env.kubegen_commit);
    let _ = writeln!(out, "| kube-apiserver (harness) | {} |\n", env.apiserver);
}
