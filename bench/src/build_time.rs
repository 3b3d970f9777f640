//! Workload 4: build time of `kubegen-api` (all features, and `core_v1` alone, each with and
//! without the `apply` feature's apply configurations) beside
//! `k8s-openapi` (feature `v1_35`), dev and release. Each crate is the one dependency of a
//! scratch project under the bench cache (all sharing one target directory and the bench's
//! Cargo.lock, so dependency versions match); the project is built once to warm its
//! dependencies, then `cargo clean -p <crate>` and a timed `cargo build` rebuild that crate
//! alone (and the empty scratch library on top), `repeats` rounds of every build in turn; the
//! figure is the median.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::results::{Better, Record};
use crate::stats;

/// One scratch project: the crate it builds and how it depends on it.
struct Case {
    /// Directory name and package name suffix.
    name: &'static str,
    /// The package `cargo clean -p` removes.
    package: &'static str,
    /// The `[dependencies]` line.
    dependency: String,
    /// The library column and the metric suffix this case fills.
    library: &'static str,
    features: &'static str,
    /// Whether the scratch project turns incremental compilation off for the crate
    /// (`[profile.dev.package.<crate>] incremental = false`, as the generated README
    /// recommends); a path dependency is compiled incrementally in dev builds otherwise,
    /// a registry one (k8s-openapi) never is.
    incremental_off: bool,
}

/// Measures every case in dev and release.
pub fn run(repo: &Path, scratch: &Path, bench_lock: &Path, repeats: usize) -> anyhow::Result<Vec<Record>> {
    let generated = repo.join("generated");
    let generated = generated.display();
    let cases = [
        Case {
            name: "kubegen-api-all",
            package: "kubegen-api",
            dependency: format!("kubegen-api = {{ path = \"{generated}\" }}"),
            library: "kubegen",
            features: "all features",
            incremental_off: false,
        },
        Case {
            name: "kubegen-api-core-v1",
            package: "kubegen-api",
            dependency: format!(
                "kubegen-api = {{ path = \"{generated}\", default-features = false, features = [\"core_v1\"] }}"
            ),
            library: "kubegen",
            features: "core_v1 only",
            incremental_off: false,
        },
        Case {
            name: "kubegen-api-all-apply",
            package: "kubegen-api",
            dependency: format!("kubegen-api = {{ path = \"{generated}\", features = [\"apply\"] }}"),
            library: "kubegen",
            features: "all features + apply",
            incremental_off: false,
        },
        Case {
            name: "kubegen-api-all-apply-not-incremental",
            package: "kubegen-api",
            dependency: format!("kubegen-api = {{ path = \"{generated}\", features = [\"apply\"] }}"),
            library: "kubegen",
            features: "all features + apply, not incremental",
            incremental_off: true,
        },
        Case {
            name: "kubegen-api-core-v1-apply",
            package: "kubegen-api",
            dependency: format!(
                "kubegen-api = {{ path = \"{generated}\", default-features = false, features = [\"core_v1\", \"apply\"] }}"
            ),
            library: "kubegen",
            features: "core_v1 + apply",
            incremental_off: false,
        },
        Case {
            name: "k8s-openapi",
            package: "k8s-openapi",
            dependency: "k8s-openapi = { version = \"0.29\", features = [\"v1_35\"] }".to_owned(),
            library: "kube-rs",
            features: "all features",
            incremental_off: false,
        },
    ];
    let target = scratch.join("target");
    // Every (case, profile) build is one slot; release builds are never incremental, so the
    // override changes nothing there.
    let mut slots = Vec::new();
    for case in &cases {
        let project = write_project(scratch, case, bench_lock)?;
        for release in [false, true] {
            if !(release && case.incremental_off) {
                slots.push(Slot { case, project: project.clone(), release, samples: Vec::with_capacity(repeats) });
            }
        }
    }
    for slot in &slots {
        cargo(&slot.project, &target, &["build"], slot.release)
            .with_context(|| format!("warming {} ({})", slot.case.name, slot.profile()))?;
    }
    // Round by round, every slot once per round: the machine's speed drifts over the minutes
    // a run takes, and measuring one crate's repeats after the other's let a drift decide a
    // ratio; interleaved, every slot meets the same stretch of it.
    for _ in 0..repeats {
        for slot in &mut slots {
            cargo(&slot.project, &target, &["clean", "-p", slot.case.package], slot.release)?;
            let sample = cargo(&slot.project, &target, &["build"], slot.release)?;
            slot.samples.push(sample);
        }
    }
    let mut records = Vec::new();
    for slot in &slots {
        let (case, release, profile) = (slot.case, slot.release, slot.profile());
        let median = stats::median(&slot.samples);
        eprintln!("build: {} {profile}: median {median:?} of {:?}", case.name, slot.samples);
        let metric = format!("{profile}, {}", case.features);
        records.push(Record::new("build", &metric, "s", case.library, median.as_secs_f64(), Better::Lower));
        if case.package == "k8s-openapi" {
            // k8s-openapi has no per-group features: the whole crate is what a user of
            // core/v1 alone compiles too.
            let metric = format!("{profile}, core_v1 only");
            let record = Record::new("build", &metric, "s", case.library, median.as_secs_f64(), Better::Lower)
                .with_note("k8s-openapi cannot build one group alone: the whole crate");
            records.push(record);
            // Nor apply configurations (kube-rs has none): the same crate is the
            // counterpart of the `apply` rows.
            let apply_rows = cases.iter().filter(|other| {
                other.package == "kubegen-api"
                    && other.features.contains("apply")
                    && !(release && other.incremental_off)
            });
            for features in apply_rows.map(|other| other.features) {
                let metric = format!("{profile}, {features}");
                let record = Record::new("build", &metric, "s", case.library, median.as_secs_f64(), Better::Lower)
                    .with_note("k8s-openapi has no apply configurations: the whole crate");
                records.push(record);
            }
        }
    }
    Ok(records)
}

/// One case in one profile, and its timed builds.
struct Slot<'a> {
    case: &'a Case,
    project: PathBuf,
    release: bool,
    samples: Vec<Duration>,
}

impl Slot<'_> {
    fn profile(&self) -> &'static str {
        if self.release { "release" } else { "dev" }
    }
}

/// Writes the scratch project of `case` and returns its directory.
fn write_project(scratch: &Path, case: &Case, bench_lock: &Path) -> anyhow::Result<PathBuf> {
    let project = scratch.join(case.name);
    let src = project.join("src");
    std::fs::create_dir_all(&src).with_context(|| format!("creating {}", src.display()))?;
    let profile = if case.incremental_off {
        format!("\n[profile.dev.package.{}]\nincremental = false\n", case.package)
    } else {
        String::new()
    };
    let manifest = format!(
        "# Written by kubegen-bench (build-time workload); rewritten on every run.\n\
         [package]\nname = \"scratch-{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{}\n\n[workspace]\n{profile}",
        case.name, case.dependency
    );
    write_if_changed(&project.join("Cargo.toml"), manifest.as_bytes())?;
    write_if_changed(&src.join("lib.rs"), b"//! Empty: only the dependency's build is measured.\n")?;
    let lock = project.join("Cargo.lock");
    if !lock.exists() {
        std::fs::copy(bench_lock, &lock)
            .with_context(|| format!("copying {} to {}", bench_lock.display(), lock.display()))?;
    }
    Ok(project)
}

fn write_if_changed(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).ok().as_deref() == Some(content) {
        return Ok(());
    }
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

/// Runs `cargo <args> [--release]` in `project` with `target` as the target directory and
/// returns its wall time; its output goes to `cargo.log` in the project.
fn cargo(project: &Path, target: &Path, args: &[&str], release: bool) -> anyhow::Result<Duration> {
    let log_path = project.join("cargo.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let stderr = log.try_clone().with_context(|| format!("duplicating {}", log_path.display()))?;
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.args(args).current_dir(project).env("CARGO_TARGET_DIR", target).env("CARGO_TERM_COLOR", "never");
    if release {
        command.arg("--release");
    }
    let started = Instant::now();
    let status = command.stdout(log).stderr(stderr).status().with_context(|| format!("running cargo {args:?}"))?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("cargo {args:?} in {} failed ({status}); see {}", project.display(), log_path.display());
    }
    Ok(elapsed)
}
