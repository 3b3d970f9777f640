//! Polling until a process is ready, noticing when it dies instead; and [`wait_until`], the
//! end-to-end tests' wait for a condition.
//!
//! Also [`block_on`]: synchronous entry points (`ControlPlane::start`, `shared`) run their async
//! readiness checks on a short-lived thread with its own current-thread runtime, so they work
//! both from plain `#[test]`s and from inside a `#[tokio::test]`'s runtime.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::Error;

const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// One probe may take at most this long (kube-apiserver can hang while etcd is unreachable).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a wait ended without success.
pub(crate) enum WaitFailure {
    /// The liveness check failed (the process exited); carries its error.
    Died(Error),
    /// The deadline passed; carries the last probe failure.
    TimedOut(String),
}

/// Polls `probe` every 100 ms until it returns `Ok`, `alive` fails, or `deadline` passes.
pub(crate) async fn until_ready(
    deadline: Instant,
    mut alive: impl FnMut() -> Result<(), Error>,
    mut probe: impl AsyncFnMut() -> Result<(), String>,
) -> Result<(), WaitFailure> {
    let mut last = String::from("no probe answered");
    loop {
        alive().map_err(WaitFailure::Died)?;
        let limit = deadline.saturating_duration_since(Instant::now()).min(PROBE_TIMEOUT);
        match tokio::time::timeout(limit, probe()).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = e,
            Err(_) => {
                last = format!("no answer within {:.1} s (before that: {last})", limit.as_secs_f64());
            }
        }
        if Instant::now() >= deadline {
            // One last look: a process that died explains more than a timeout.
            alive().map_err(WaitFailure::Died)?;
            return Err(WaitFailure::TimedOut(last));
        }
        tokio::time::sleep(POLL_INTERVAL.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// Runs the future made by `make` to completion on a new thread with its own runtime.
pub(crate) fn block_on<T, Fut>(make: impl FnOnce() -> Fut + Send) -> Result<T, Error>
where
    Fut: Future<Output = Result<T, Error>>,
    T: Send,
{
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("kubegen-control-plane-start".into())
            .spawn_scoped(scope, move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| Error::io("building a tokio runtime for", "start-up", e))?;
                runtime.block_on(make())
            })
            .map_err(|source| Error::Spawn { process: "start-up thread", binary: "<thread>".into(), source })?;
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Polls `condition` every 50 ms until it holds; panics naming `what` after 30 s. For tests
/// waiting on what a controller or an informer does in the background.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
