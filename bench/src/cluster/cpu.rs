//! CPU time and context switches of this process, from /proc: what a controller spent on a
//! phase, whatever the API server's pace (the update phase's wall time is bound by its write
//! rate), and how often its threads slept and woke for it.

use anyhow::Context as _;

/// The kernel's `USER_HZ`: /proc reports times in these ticks, fixed at 100 on the
/// architectures Linux exports it for, whatever the kernel's internal HZ.
const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system CPU seconds of every thread of this process so far.
pub fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").context("reading /proc/self/stat")?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).context("no `)` in /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is fields[0], so utime (14) and stime (15) are fields[11] and [12].
    let ticks = |index: usize, name: &str| -> anyhow::Result<f64> {
        let field = fields.get(index).with_context(|| format!("no {name} in /proc/self/stat"))?;
        field.parse::<f64>().with_context(|| format!("parsing {name} {field:?} of /proc/self/stat"))
    };
    Ok((ticks(11, "utime")? + ticks(12, "stime")?) / TICKS_PER_SECOND)
}

/// Context switches (voluntary and not) of the threads of this process alive now.
pub fn context_switches() -> anyhow::Result<u64> {
    let mut total = 0;
    let tasks = std::fs::read_dir("/proc/self/task").context("listing /proc/self/task")?;
    for task in tasks {
        let path = task.context("listing /proc/self/task")?.path().join("status");
        // A thread that exited meanwhile has no status any more; its switches are lost.
        let Ok(status) = std::fs::read_to_string(&path) else { continue };
        for line in status.lines() {
            if let Some(value) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total +=
                    value.trim().parse::<u64>().with_context(|| format!("parsing {line:?} of {}", path.display()))?;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    #[test]
    fn grows_with_work() -> anyhow::Result<()> {
        let before = super::cpu_seconds()?;
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(super::cpu_seconds()? >= before + 0.1, "{x}");
        Ok(())
    }
}
