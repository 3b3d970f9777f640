//! Workload 3: wall time of `kubegen generate --out <tmp>` on the bundled spec, with the
//! release binary of the main workspace; the median of `runs` runs after one warm-up (which
//! fills the page cache with the spec). Each run writes into a fresh directory, so every file
//! is written (generation skips files whose content is unchanged).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::results::{Better, Record};
use crate::stats;

/// Runs the generator `runs` times (plus a warm-up) with scratch output under `scratch`.
pub fn run(kubegen: &Path, scratch: &Path, runs: usize) -> anyhow::Result<Vec<Record>> {
    let mut run_number = 0;
    let median = stats::median_of(runs, || {
        run_number += 1;
        let out = scratch.join(format!("generate-{run_number}"));
        if out.exists() {
            std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        }
        let elapsed = generate_once(kubegen, &out)?;
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
        Ok(elapsed)
    })?;
    eprintln!("generate: median {median:?} over {runs} runs");
    Ok(vec![Record::new("generate", "wall time", "s", "kubegen", median.as_secs_f64(), Better::Lower)])
}

fn generate_once(kubegen: &Path, out: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = Command::new(kubegen)
        .arg("generate")
        .arg("--out")
        .arg(out)
        .env("KUBEGEN_LOG", "warn")
        .output()
        .with_context(|| format!("running {}", kubegen.display()))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        bail!(
            "{} generate --out {} failed ({}): {}",
            kubegen.display(),
            out.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}
