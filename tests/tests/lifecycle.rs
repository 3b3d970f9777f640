//! The control plane's processes never outlive their owner: dropping a `ControlPlane` stops
//! them, and a test process that dies without dropping anything (as with the never-dropped
//! `ControlPlane::shared()`) takes them with it (PR_SET_PDEATHSIG).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kubegen_tests::ControlPlane;

const HELPER_ENV: &str = "KUBEGEN_TEST_PIDS_FILE";

/// Whether `pid` is gone: no `/proc/<pid>`, or a zombie (dead; some container inits never reap
/// orphans).
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
        Err(_) => true,
        // Format: "pid (comm) state ...": the state follows the last ')'.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn wait_gone(pids: &[u32], limit: Duration) {
    let deadline = Instant::now() + limit;
    while !pids.iter().all(|&pid| is_gone(pid)) {
        assert!(
            Instant::now() < deadline,
            "still running after {limit:?}: {:?}",
            pids.iter().filter(|&&pid| !is_gone(pid)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn dropping_the_control_plane_stops_its_processes() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::start().expect("control plane");
    let pids = [cp.etcd_pid().expect("etcd pid"), cp.apiserver_pid().expect("apiserver pid")];
    let dir = cp.dir().to_path_buf();
    assert!(pids.iter().all(|&pid| !is_gone(pid)), "both run");
    assert!(dir.exists());

    drop(cp);

    // Drop kills and reaps synchronously.
    wait_gone(&pids, Duration::ZERO);
    assert!(!dir.exists(), "the temporary directory is removed");
}

#[test]
fn processes_die_with_the_test_process() {
    kubegen_tests::init_tracing();
    let scratch = tempfile::tempdir().expect("temp dir");
    let pids_file = scratch.path().join("pids");
    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args(["shared_plane_then_abort", "--exact", "--ignored", "--nocapture"])
        .env(HELPER_ENV, &pids_file)
        .status()
        .expect("run the helper test");
    assert!(!status.success(), "the helper aborts");

    let text = std::fs::read_to_string(&pids_file).expect("the helper wrote its pids");
    let pids: Vec<u32> = text.split_whitespace().map(|pid| pid.parse().expect("pid")).collect();
    assert_eq!(pids.len(), 2, "{text}");
    // SIGKILL from the kernel is immediate; allow for scheduling.
    wait_gone(&pids, Duration::from_secs(10));
}

/// Run by `processes_die_with_the_test_process` in a child process: starts the shared plane,
/// writes its pids, and aborts (no destructors run, as when a test binary crashes or is killed).
#[test]
#[ignore = "helper: run by processes_die_with_the_test_process"]
fn shared_plane_then_abort() {
    let Some(pids_file) = std::env::var_os(HELPER_ENV) else {
        return;
    };
    let cp = ControlPlane::shared().expect("shared control plane");
    let pids = format!("{} {}", cp.etcd_pid().expect("etcd pid"), cp.apiserver_pid().expect("apiserver pid"));
    std::fs::write(&pids_file, pids).expect("write pids");
    std::process::abort();
}

/// Measures start-to-ready time: `cargo test -p kubegen-tests --test lifecycle -- --ignored
/// --nocapture measure_start_time` (set KUBEGEN_START_RUNS for more runs).
#[test]
#[ignore = "measurement, not a check"]
fn measure_start_time() {
    let runs: usize = std::env::var("KUBEGEN_START_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let cp = ControlPlane::start().expect("control plane");
        let ready = started.elapsed();
        let measured_inside = cp.started_in();
        let stop = Instant::now();
        drop(cp);
        println!(
            "start-to-ready {:.2} s (inside start: {:.2} s), drop {:.2} s",
            ready.as_secs_f64(),
            measured_inside.as_secs_f64(),
            stop.elapsed().as_secs_f64()
        );
        times.push(ready.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "runs {runs}: min {:.2} s, median {:.2} s, max {:.2} s",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
