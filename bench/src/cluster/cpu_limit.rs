//! A CPU limit for a child process, as a Kubernetes container's `resources.limits.cpu` sets
//! one: a cgroup whose CFS quota is the limit's share of a 100 ms period (the kubelet's
//! default `cpuCFSQuotaPeriod`). The child is moved into it as soon as it has started.
//!
//! Why: in the controller workload the API server's write rate sets the pace of the update
//! phase for both libraries. Under a limit below what either controller needs to keep up, the
//! controller sets the pace, and wall-clock throughput shows what a controller with a small
//! CPU limit gets done.
//!
//! cgroup v2 (`cpu.max`) where the unified hierarchy has the `cpu` controller, else cgroup v1
//! (`cpu.cfs_quota_us` under `/sys/fs/cgroup/cpu`). Needs write access to the hierarchy
//! (root, or a delegated subtree).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The CFS period, in microseconds.
const PERIOD_US: u64 = 100_000;
/// The smallest quota the kernel takes, in microseconds.
const MIN_QUOTA_US: u64 = 1_000;

/// A cgroup with a CPU quota; removed when dropped (once the processes in it have exited).
#[derive(Debug)]
pub struct CpuLimit {
    dir: PathBuf,
    millicores: u32,
}

impl CpuLimit {
    /// Creates a cgroup limited to `millicores` thousandths of a CPU.
    pub fn create(millicores: u32) -> anyhow::Result<Self> {
        let quota = PERIOD_US * u64::from(millicores) / 1000;
        if quota < MIN_QUOTA_US {
            bail!("a CPU limit of {millicores}m is a quota of {quota} µs per 100 ms; the kernel's least is 1 ms (10m)");
        }
        let name = format!("kubegen-bench-{}", std::process::id());
        let v2_root = Path::new("/sys/fs/cgroup");
        let v1_root = Path::new("/sys/fs/cgroup/cpu");
        let v2_controllers = std::fs::read_to_string(v2_root.join("cgroup.controllers")).unwrap_or_default();
        let dir = if v2_controllers.split_whitespace().any(|controller| controller == "cpu") {
            // The parent must hand the controller down before a child cgroup can use it.
            write(&v2_root.join("cgroup.subtree_control"), "+cpu")?;
            let dir = v2_root.join(name);
            make_dir(&dir)?;
            write(&dir.join("cpu.max"), &format!("{quota} {PERIOD_US}"))?;
            dir
        } else if v1_root.join("cpu.cfs_quota_us").exists() {
            let dir = v1_root.join(name);
            make_dir(&dir)?;
            write(&dir.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
            write(&dir.join("cpu.cfs_quota_us"), &quota.to_string())?;
            dir
        } else {
            bail!(
                "no cgroup CPU controller: neither cgroup v2's cpu.max nor v1's cpu.cfs_quota_us under /sys/fs/cgroup"
            );
        };
        Ok(Self { dir, millicores })
    }

    /// The limit, in thousandths of a CPU.
    pub fn millicores(&self) -> u32 {
        self.millicores
    }

    /// Moves process `pid` (every thread of it) into the cgroup.
    pub fn add(&self, pid: u32) -> anyhow::Result<()> {
        write(&self.dir.join("cgroup.procs"), &pid.to_string())
    }
}

impl Drop for CpuLimit {
    fn drop(&mut self) {
        // Fails while a process is still in it; the orchestrator waits for its children first.
        if let Err(error) = std::fs::remove_dir(&self.dir) {
            eprintln!("controller: could not remove cgroup {}: {error}", self.dir.display());
        }
    }
}

fn make_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir(dir).with_context(|| format!("creating cgroup {}", dir.display()))
}

fn write(path: &Path, value: &str) -> anyhow::Result<()> {
    std::fs::write(path, value).with_context(|| format!("writing {value:?} to {}", path.display()))
}
