//! Runs a future on a thread of its own, on the current tokio runtime: what an informer's
//! reflector runs on when `InformerOptions::reflector_thread` asks for it (off by default), so
//! that every object it decodes is allocated by one thread.
//!
//! Why: glibc's malloc gives each thread an arena and frees memory into the arena it came
//! from. A reflector spawned as a task moves between the runtime's workers, so the objects of
//! the first list come from one worker's arena and their replacements, under churn, from
//! another's; the freed versions leave holes the other arena never reuses, and a cache of
//! 10,000 ConfigMaps grew by about 10 MB over 10,000 updates (bench/'s controller workload,
//! commit 463adbe). Polled on one thread, the reflector allocates each new version where the
//! old ones were freed. Since the controller's enqueue runs on the informer's consumer, that
//! workload no longer grows without the thread, and the thread's wake-ups cost more CPU per
//! event than the task, so it became opt-in.
//!
//! The future runs under [`Handle::block_on`] on a plain thread: timers, I/O and the tasks it
//! spawns (the HTTP client's connections) stay with the runtime and its workers, so nothing
//! depends on the thread outliving the runtime. Only a multi-threaded runtime gets a thread:
//! a current-thread runtime polls everything on one thread already (and a test runtime with
//! paused time must see every timer as its own).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::task::JoinHandle;

/// Runs `future` to completion on a new thread named `name` when the current runtime is
/// multi-threaded (or spawns it as a task on any other runtime, or if no thread can be
/// started). The returned handle completes when the future has.
///
/// If the runtime shuts down first, the future is dropped unpolled at the next wake-up rather
/// than polled against stopped timers.
///
/// # Panics
///
/// Outside a tokio runtime, as `tokio::spawn` does.
pub(crate) fn spawn_pinned<F>(name: &str, future: F) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = Handle::current();
    if handle.runtime_flavor() != RuntimeFlavor::MultiThread {
        return tokio::spawn(future);
    }
    // Ends when the runtime drops its tasks (shutdown), which drops the sender.
    let (runtime_alive, runtime_gone) = tokio::sync::oneshot::channel::<()>();
    let (finished, done) = tokio::sync::oneshot::channel::<()>();
    let waiter = tokio::spawn(async move {
        let _alive = runtime_alive;
        let _ = done.await;
    });
    // Shared with the thread, so that the future can be taken back if the thread cannot start.
    let slot = Arc::new(Mutex::new(Some(future)));
    let in_thread = slot.clone();
    let started = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        let taken = in_thread.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(future) = taken {
            handle.block_on(async move {
                tokio::select! {
                    biased;
                    _ = runtime_gone => {}
                    () = future => {}
                }
            });
        }
        let _ = finished.send(());
    });
    if let Err(error) = started {
        tracing::warn!(thread = %name, %error, "could not start a thread; running as a task instead");
        if let Some(future) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
            waiter.abort();
            return tokio::spawn(future);
        }
    }
    waiter
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn thread_name() -> Option<String> {
        std::thread::current().name().map(str::to_owned)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_multi_threaded_runtime_polls_the_future_on_its_own_thread_with_the_runtimes_timers() {
        let (names, mut seen) = tokio::sync::mpsc::unbounded_channel();
        let task = spawn_pinned("kubegen-test-pin", async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                // A task spawned from the thread runs on the runtime.
                let spawned = tokio::spawn(async { thread_name() }).await.ok().flatten();
                let _ = names.send((thread_name(), spawned));
            }
        });
        task.await.expect("the waiter ends when the future has");
        let mut polls = Vec::new();
        while let Ok(names) = seen.try_recv() {
            polls.push(names);
        }
        assert_eq!(polls.len(), 3);
        for (own, spawned) in polls {
            assert_eq!(own.as_deref(), Some("kubegen-test-pin"));
            assert_ne!(spawned.as_deref(), Some("kubegen-test-pin"));
        }
    }

    #[tokio::test]
    async fn a_current_thread_runtime_runs_it_as_a_task() {
        let test_thread = thread_name();
        let (name, seen) = tokio::sync::oneshot::channel();
        spawn_pinned("kubegen-test-pin", async move {
            let _ = name.send(thread_name());
        })
        .await
        .expect("the task ends");
        assert_eq!(seen.await.ok().flatten(), test_thread);
    }

    #[test]
    fn a_runtime_shut_down_first_drops_the_future_and_the_thread_ends() {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
        let runtime = runtime.expect("a runtime");
        let (dropped, was_dropped) = std::sync::mpsc::channel::<()>();
        struct Guard(std::sync::mpsc::Sender<()>);
        impl Drop for Guard {
            fn drop(&mut self) {
                let _ = self.0.send(());
            }
        }
        runtime.block_on(async {
            let guard = Guard(dropped);
            drop(spawn_pinned("kubegen-test-pin", async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }));
            // Let the thread start and park in the sleep.
            tokio::time::sleep(Duration::from_millis(20)).await;
        });
        drop(runtime);
        assert!(was_dropped.recv_timeout(Duration::from_secs(10)).is_ok(), "the future was dropped");
    }
}
