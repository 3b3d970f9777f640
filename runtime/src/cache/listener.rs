//! Listeners: one per registered handler or subscriber, each with its own queue, so that no
//! handler ever waits for another and the informer never waits for any (client-go's
//! `processorListener`).
//!
//! Four kinds share the [`Listener`] interface:
//!
//! - [`SyncListener`]: a synchronous [`EventHandler`], run by the process's
//!   [`HandlerPool`](super::handler_pool) one notification at a time;
//! - [`AsyncListener`]: an async handler, run by a tokio task of its own;
//! - [`Subscription`](super::subscription::Subscription)'s buffer, drained by whoever polls
//!   the stream;
//! - [`InlineListener`]: a handler that never blocks, called as the notification is
//!   distributed (the crate's own: a controller's enqueue), with no queue.
//!
//! Each keeps its notifications in order and counts its backlog with the notification being
//! handled, so that "idle" (backlog zero) means every notification so far was handled.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use futures::FutureExt;

use super::handler::{EventHandler, Notification};
use super::handler_pool::{HandlerPool, Job};

/// Notifications one pool job handles before it lets another handler's job run.
const QUANTUM: usize = 64;

/// What the processor needs of every listener.
pub trait Listener<K>: Send + Sync {
    /// The state every listener has.
    fn core(&self) -> &ListenerCore;

    /// Appends a notification; never waits.
    fn push(&self, notification: Notification<K>);

    /// Notifications waiting, plus the one being handled.
    fn backlog(&self) -> usize;

    /// Stops: what is queued is dropped; a notification being handled finishes.
    fn close(&self);
}

/// Identity, resync schedule and initial-list accounting, common to every listener.
#[derive(Debug)]
pub struct ListenerCore {
    id: u64,
    resync_period: Option<Duration>,
    next_resync: Mutex<Instant>,
    /// Initial-list notifications queued but not yet handled.
    pending_initial: AtomicUsize,
}

impl ListenerCore {
    pub(crate) fn new(id: u64, resync_period: Option<Duration>) -> Self {
        Self {
            id,
            resync_period,
            next_resync: Mutex::new(Instant::now() + resync_period.unwrap_or_default()),
            pending_initial: AtomicUsize::new(0),
        }
    }

    /// The listener's id, unique within its informer.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How often the handler wants the cache replayed, if at all.
    pub fn resync_period(&self) -> Option<Duration> {
        self.resync_period
    }

    /// Whether a resync is due at `now`; if so, schedules the next one.
    pub(crate) fn take_resync_if_due(&self, now: Instant) -> bool {
        let Some(period) = self.resync_period else { return false };
        let mut next = self.next_resync.lock().unwrap_or_else(PoisonError::into_inner);
        if now >= *next {
            *next = now + period;
            true
        } else {
            false
        }
    }

    /// Whether every initial-list notification has been handled.
    pub fn initial_list_handled(&self) -> bool {
        self.pending_initial.load(Ordering::Acquire) == 0
    }

    pub(crate) fn note_queued<K>(&self, notification: &Notification<K>) {
        if notification.is_initial() {
            self.pending_initial.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub(crate) fn note_handled<K>(&self, notification: &Notification<K>) {
        if notification.is_initial() {
            self.pending_initial.fetch_sub(1, Ordering::AcqRel);
        }
    }

    pub(crate) fn forget_queued<K>(&self, dropped: &VecDeque<Notification<K>>) {
        let initial = dropped.iter().filter(|notification| notification.is_initial()).count();
        self.pending_initial.fetch_sub(initial, Ordering::AcqRel);
    }
}

/// A listener's queue.
struct Queue<K> {
    items: VecDeque<Notification<K>>,
    /// A notification is being handled.
    in_progress: bool,
    /// A pool job or task wake-up is pending for this queue.
    scheduled: bool,
    closed: bool,
}

impl<K> Queue<K> {
    fn new() -> Self {
        Self { items: VecDeque::new(), in_progress: false, scheduled: false, closed: false }
    }

    fn backlog(&self) -> usize {
        self.items.len() + usize::from(self.in_progress)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// A synchronous handler, run on the process's handler pool (`handler_pool`).
pub struct SyncListener<K> {
    core: ListenerCore,
    name: String,
    handler: Arc<dyn EventHandler<K>>,
    queue: Mutex<Queue<K>>,
    me: Weak<SyncListener<K>>,
}

impl<K: Send + Sync + 'static> SyncListener<K> {
    pub(crate) fn new(core: ListenerCore, name: &str, handler: Arc<dyn EventHandler<K>>) -> Arc<Self> {
        Arc::new_cyclic(|me| SyncListener {
            core,
            name: name.to_owned(),
            handler,
            queue: Mutex::new(Queue::new()),
            me: me.clone(),
        })
    }
}

impl<K: Send + Sync + 'static> Listener<K> for SyncListener<K> {
    fn core(&self) -> &ListenerCore {
        &self.core
    }

    fn push(&self, notification: Notification<K>) {
        self.core.note_queued(&notification);
        let submit = {
            let mut queue = lock(&self.queue);
            if queue.closed {
                drop(queue);
                self.core.note_handled(&notification);
                return;
            }
            queue.items.push_back(notification);
            !std::mem::replace(&mut queue.scheduled, true)
        };
        if submit && let Some(me) = self.me.upgrade() {
            HandlerPool::global().submit(me);
        }
    }

    fn backlog(&self) -> usize {
        lock(&self.queue).backlog()
    }

    fn close(&self) {
        let dropped = {
            let mut queue = lock(&self.queue);
            queue.closed = true;
            std::mem::take(&mut queue.items)
        };
        self.core.forget_queued(&dropped);
    }
}

impl<K: Send + Sync + 'static> Job for SyncListener<K> {
    fn run(&self) -> bool {
        for _ in 0..QUANTUM {
            let notification = {
                let mut queue = lock(&self.queue);
                match queue.items.pop_front() {
                    Some(notification) if !queue.closed => {
                        queue.in_progress = true;
                        notification
                    }
                    _ => {
                        queue.scheduled = false;
                        return false;
                    }
                }
            };
            let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| notification.deliver(self.handler.as_ref())));
            if let Err(panic) = delivered {
                tracing::error!(informer = %self.name, handler = self.core.id, "an event handler panicked: {}", panic_message(&*panic));
            }
            self.core.note_handled(&notification);
            lock(&self.queue).in_progress = false;
        }
        let mut queue = lock(&self.queue);
        let more = !queue.items.is_empty() && !queue.closed;
        queue.scheduled = more;
        more
    }
}

/// An async handler: called with each notification, awaited before the next.
pub type AsyncHandlerFn<K> =
    Arc<dyn Fn(Notification<K>) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> + Send + Sync>;

/// An async handler, run by a tokio task of its own.
pub struct AsyncListener<K> {
    core: ListenerCore,
    queue: Mutex<Queue<K>>,
    wake: tokio::sync::Notify,
}

impl<K: Send + Sync + 'static> AsyncListener<K> {
    /// Starts the handler's task on `runtime`.
    pub(crate) fn start(
        core: ListenerCore,
        name: &str,
        handler: AsyncHandlerFn<K>,
        runtime: &tokio::runtime::Handle,
    ) -> Arc<Self> {
        let listener =
            Arc::new(AsyncListener { core, queue: Mutex::new(Queue::new()), wake: tokio::sync::Notify::new() });
        let runner = listener.clone();
        let name = name.to_owned();
        runtime.spawn(async move { runner.run(&name, handler).await });
        listener
    }

    async fn run(&self, name: &str, handler: AsyncHandlerFn<K>) {
        loop {
            let notification = loop {
                let woken = self.wake.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                {
                    let mut queue = lock(&self.queue);
                    if queue.closed {
                        return;
                    }
                    if let Some(notification) = queue.items.pop_front() {
                        queue.in_progress = true;
                        break notification;
                    }
                }
                woken.await;
            };
            let initial = notification.is_initial();
            let handled = AssertUnwindSafe(handler(notification)).catch_unwind().await;
            if let Err(panic) = handled {
                tracing::error!(informer = %name, handler = self.core.id, "an async event handler panicked: {}", panic_message(&*panic));
            }
            if initial {
                self.core.pending_initial.fetch_sub(1, Ordering::AcqRel);
            }
            lock(&self.queue).in_progress = false;
        }
    }
}

impl<K: Send + Sync + 'static> Listener<K> for AsyncListener<K> {
    fn core(&self) -> &ListenerCore {
        &self.core
    }

    fn push(&self, notification: Notification<K>) {
        self.core.note_queued(&notification);
        {
            let mut queue = lock(&self.queue);
            if queue.closed {
                drop(queue);
                self.core.note_handled(&notification);
                return;
            }
            queue.items.push_back(notification);
        }
        self.wake.notify_one();
    }

    fn backlog(&self) -> usize {
        lock(&self.queue).backlog()
    }

    fn close(&self) {
        let dropped = {
            let mut queue = lock(&self.queue);
            queue.closed = true;
            std::mem::take(&mut queue.items)
        };
        self.core.forget_queued(&dropped);
        self.wake.notify_one();
    }
}

/// A handler called by the informer itself, in `push`, as each notification is distributed:
/// for handlers that only hand work on without waiting (a controller's enqueue), which would
/// otherwise cost a pool thread's wake-up per notification. Such a handler must not block: it
/// delays the informer's consumer and every other handler. A panic is caught and logged.
pub struct InlineListener<K> {
    core: ListenerCore,
    name: String,
    handler: Arc<dyn EventHandler<K>>,
    closed: std::sync::atomic::AtomicBool,
    /// Notifications being handled right now (pushes from a handler's registration and from
    /// the consumer can overlap), so that a stop waits for them.
    handling: AtomicUsize,
}

impl<K: Send + Sync + 'static> InlineListener<K> {
    pub(crate) fn new(core: ListenerCore, name: &str, handler: Arc<dyn EventHandler<K>>) -> Arc<Self> {
        Arc::new(InlineListener {
            core,
            name: name.to_owned(),
            handler,
            closed: std::sync::atomic::AtomicBool::new(false),
            handling: AtomicUsize::new(0),
        })
    }
}

impl<K: Send + Sync + 'static> Listener<K> for InlineListener<K> {
    fn core(&self) -> &ListenerCore {
        &self.core
    }

    fn push(&self, notification: Notification<K>) {
        self.handling.fetch_add(1, Ordering::AcqRel);
        if !self.closed.load(Ordering::Acquire) {
            let delivered = std::panic::catch_unwind(AssertUnwindSafe(|| notification.deliver(self.handler.as_ref())));
            if let Err(panic) = delivered {
                tracing::error!(informer = %self.name, handler = self.core.id, "an event handler panicked: {}", panic_message(&*panic));
            }
        }
        self.handling.fetch_sub(1, Ordering::AcqRel);
    }

    fn backlog(&self) -> usize {
        self.handling.load(Ordering::Acquire)
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}
