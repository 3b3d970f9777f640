//! The threads that run synchronous event handlers, shared by every informer in the process.
//!
//! A handler is a job with a queue of its own (see [`listener`](super::listener)): when its
//! queue goes from empty to non-empty, the job is submitted here, and a worker runs it for a
//! quantum of notifications, then puts it back at the end of the line if more are waiting.
//! Exactly one submission of a job exists at a time, so a handler runs on one thread at a
//! time and sees its notifications in order, while the number of threads does not grow with
//! the number of handlers (client-go gives each handler a goroutine; threads are dearer).
//!
//! A handler that blocks (or computes for long) holds its worker. So that it cannot stall the
//! others, a monitor thread watches the workers while any is busy: when work is waiting, no
//! worker is idle, and a worker has been in one job for longer than [`STUCK_AFTER`], it starts
//! another worker, up to [`MAX_WORKERS`]. Workers beyond the base count exit after
//! [`EXTRA_WORKER_IDLE`] without work. A panic in a handler is caught and logged by the job;
//! the worker goes on.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Workers started before any is found stuck: the machine's parallelism, between 2 and 8.
fn base_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from).clamp(2, 8)
}

/// The most workers the pool runs, blocked ones included.
pub const MAX_WORKERS: usize = 32;

/// A worker in one job for longer than this counts as stuck.
pub const STUCK_AFTER: Duration = Duration::from_millis(100);

/// How often the monitor looks at busy workers.
const MONITOR_TICK: Duration = Duration::from_millis(25);

/// Workers beyond the base count exit after this long without work.
pub const EXTRA_WORKER_IDLE: Duration = Duration::from_secs(10);

/// What a worker runs.
pub(crate) trait Job: Send + Sync {
    /// Handles a quantum of work; true if more is waiting (the job is submitted again).
    fn run(&self) -> bool;
}

/// A pool of worker threads running [`Job`]s.
pub(crate) struct HandlerPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is ready.
    work: Condvar,
    /// Signalled when a worker starts a job while the monitor is parked (wakes it).
    busy: Condvar,
}

#[derive(Default)]
struct State {
    ready: VecDeque<Arc<dyn Job>>,
    workers: usize,
    idle: usize,
    /// When each busy worker started its current job.
    running: HashMap<u64, Instant>,
    next_worker: u64,
    monitor: bool,
    /// The monitor waits for a worker to start a job (none was running); only then does a
    /// job's start wake it, so that a busy pool does not wake it once per notification.
    monitor_parked: bool,
}

impl HandlerPool {
    /// The process's pool.
    pub(crate) fn global() -> &'static HandlerPool {
        static POOL: OnceLock<HandlerPool> = OnceLock::new();
        POOL.get_or_init(HandlerPool::new)
    }

    fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                busy: Condvar::new(),
            }),
        }
    }

    /// Queues a job to run on a worker.
    pub(crate) fn submit(&self, job: Arc<dyn Job>) {
        let mut state = self.shared.lock();
        state.ready.push_back(job);
        if state.idle > 0 {
            self.shared.work.notify_one();
        } else if state.workers < base_workers() {
            self.shared.spawn_worker(&mut state);
        }
        if !state.monitor {
            state.monitor = true;
            let shared = self.shared.clone();
            let spawned =
                std::thread::Builder::new().name("kubegen-handlers-monitor".into()).spawn(move || shared.monitor());
            if let Err(error) = spawned {
                state.monitor = false;
                tracing::error!("cannot start the handler pool's monitor: {error}");
            }
        }
    }

    /// The number of worker threads now.
    pub(crate) fn workers(&self) -> usize {
        self.shared.lock().workers
    }
}

/// The number of threads running synchronous handlers in this process now.
pub fn handler_threads() -> usize {
    HandlerPool::global().workers()
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn_worker(self: &Arc<Self>, state: &mut State) {
        let id = state.next_worker;
        state.next_worker += 1;
        let shared = self.clone();
        let spawned =
            std::thread::Builder::new().name(format!("kubegen-handlers-{id}")).spawn(move || shared.work_loop(id));
        match spawned {
            Ok(_) => state.workers += 1,
            Err(error) => tracing::error!("cannot start a handler thread: {error}"),
        }
    }

    fn work_loop(self: Arc<Self>, id: u64) {
        let mut state = self.lock();
        loop {
            let job = loop {
                if let Some(job) = state.ready.pop_front() {
                    break job;
                }
                state.idle += 1;
                let (guard, waited) =
                    self.work.wait_timeout(state, EXTRA_WORKER_IDLE).unwrap_or_else(PoisonError::into_inner);
                state = guard;
                state.idle -= 1;
                if waited.timed_out() && state.ready.is_empty() && state.workers > base_workers() {
                    state.workers -= 1;
                    return;
                }
            };
            state.running.insert(id, Instant::now());
            if state.monitor_parked {
                self.busy.notify_one();
            }
            drop(state);
            let more = job.run();
            state = self.lock();
            state.running.remove(&id);
            if more {
                state.ready.push_back(job);
            }
        }
    }

    /// Starts a worker whenever work waits while every worker is busy and one is stuck.
    fn monitor(self: Arc<Self>) {
        let mut state = self.lock();
        loop {
            while state.running.is_empty() {
                state.monitor_parked = true;
                state = self.busy.wait(state).unwrap_or_else(PoisonError::into_inner);
                state.monitor_parked = false;
            }
            // A tick without the lock: jobs that start meanwhile need not wake the monitor.
            drop(state);
            std::thread::sleep(MONITOR_TICK);
            state = self.lock();
            let stuck = state.running.values().any(|started| started.elapsed() >= STUCK_AFTER);
            if !state.ready.is_empty() && state.idle == 0 && stuck && state.workers < MAX_WORKERS {
                tracing::debug!(workers = state.workers + 1, "a handler is slow or blocked; adding a handler thread");
                self.spawn_worker(&mut state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Counter {
        runs: AtomicUsize,
        block: Option<Duration>,
    }

    impl Job for Counter {
        fn run(&self) -> bool {
            if let Some(block) = self.block {
                std::thread::sleep(block);
            }
            self.runs.fetch_add(1, Ordering::AcqRel) + 1 < 3
        }
    }

    fn wait_until(condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() {
            assert!(Instant::now() < deadline, "timed out");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn jobs_run_until_they_say_they_are_done() {
        let pool = HandlerPool::new();
        let job = Arc::new(Counter { runs: AtomicUsize::new(0), block: None });
        pool.submit(job.clone());
        wait_until(|| job.runs.load(Ordering::Acquire) == 3);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(job.runs.load(Ordering::Acquire), 3);
    }

    #[test]
    fn blocked_jobs_do_not_stall_the_others() {
        let pool = HandlerPool::new();
        let blocked: Vec<Arc<Counter>> = (0..base_workers() + 2)
            .map(|_| Arc::new(Counter { runs: AtomicUsize::new(2), block: Some(Duration::from_secs(2)) }))
            .collect();
        for job in &blocked {
            pool.submit(job.clone());
        }
        let quick = Arc::new(Counter { runs: AtomicUsize::new(0), block: None });
        pool.submit(quick.clone());
        let started = Instant::now();
        wait_until(|| quick.runs.load(Ordering::Acquire) == 3);
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert!(pool.workers() > base_workers());
        assert!(pool.workers() <= MAX_WORKERS);
    }
}
