//! CPU time of this process, from /proc/self/stat: what a controller spent on a phase,
//! whatever the API server's pace (the update phase's wall time is bound by its write rate).

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
