//! Subscriptions: an informer's notifications as a `Stream`, for async code that would
//! rather poll than register a handler.
//!
//! Each subscription has its own buffer, filled by the informer and drained by polling, so a
//! slow subscriber delays nobody. A subscription made after the informer synced starts with
//! the cache as initial adds, as a late handler does. A buffer may be capped: when a capped
//! buffer is full, the subscription ends (the stream returns `None` and
//! [`overflowed`](Subscription::overflowed) says why) instead of dropping notifications in
//! silence; subscribe again to start over from the cache. Dropping a subscription
//! unregisters it.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use futures::Stream;
use futures::task::AtomicWaker;

use super::handler::Notification;
use super::listener::{Listener, ListenerCore};
use super::processor::Processor;

struct Buffer<K> {
    items: VecDeque<Notification<K>>,
    closed: bool,
    overflowed: bool,
}

/// The listener side of a subscription.
pub(crate) struct SubscriberListener<K> {
    core: ListenerCore,
    capacity: Option<usize>,
    buffer: Mutex<Buffer<K>>,
    waker: AtomicWaker,
}

impl<K> SubscriberListener<K> {
    pub(crate) fn new(core: ListenerCore, capacity: Option<usize>) -> Arc<Self> {
        Arc::new(SubscriberListener {
            core,
            capacity,
            buffer: Mutex::new(Buffer { items: VecDeque::new(), closed: false, overflowed: false }),
            waker: AtomicWaker::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Buffer<K>> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Send + Sync + 'static> Listener<K> for SubscriberListener<K> {
    fn core(&self) -> &ListenerCore {
        &self.core
    }

    fn push(&self, notification: Notification<K>) {
        {
            let mut buffer = self.lock();
            if buffer.closed {
                return;
            }
            if self.capacity.is_some_and(|capacity| buffer.items.len() >= capacity) {
                buffer.closed = true;
                buffer.overflowed = true;
                let dropped = std::mem::take(&mut buffer.items);
                self.core.forget_queued(&dropped);
            } else {
                self.core.note_queued(&notification);
                buffer.items.push_back(notification);
            }
        }
        self.waker.wake();
    }

    fn backlog(&self) -> usize {
        self.lock().items.len()
    }

    fn close(&self) {
        let dropped = {
            let mut buffer = self.lock();
            buffer.closed = true;
            std::mem::take(&mut buffer.items)
        };
        self.core.forget_queued(&dropped);
        self.waker.wake();
    }
}

/// An informer's notifications as a stream. See the module documentation.
pub struct Subscription<K: Send + Sync + 'static> {
    listener: Arc<SubscriberListener<K>>,
    processor: Weak<Processor<K>>,
}

impl<K: Send + Sync + 'static> Subscription<K> {
    pub(crate) fn new(listener: Arc<SubscriberListener<K>>, processor: Weak<Processor<K>>) -> Self {
        Self { listener, processor }
    }

    /// Notifications waiting to be polled.
    pub fn backlog(&self) -> usize {
        self.listener.backlog()
    }

    /// Whether the subscription ended because its capped buffer was full.
    pub fn overflowed(&self) -> bool {
        self.listener.lock().overflowed
    }

    /// Whether every initial-list notification has been polled.
    pub fn initial_list_handled(&self) -> bool {
        self.listener.core.initial_list_handled()
    }
}

impl<K: Send + Sync + 'static> std::fmt::Debug for Subscription<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("backlog", &self.backlog()).finish_non_exhaustive()
    }
}

impl<K: Send + Sync + 'static> Stream for Subscription<K> {
    type Item = Notification<K>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let listener = &self.listener;
        let take = |buffer: &mut Buffer<K>| match buffer.items.pop_front() {
            Some(notification) => {
                listener.core.note_handled(&notification);
                Poll::Ready(Some(notification))
            }
            None if buffer.closed => Poll::Ready(None),
            None => Poll::Pending,
        };
        if let ready @ Poll::Ready(_) = take(&mut listener.lock()) {
            return ready;
        }
        listener.waker.register(cx.waker());
        take(&mut listener.lock())
    }
}

impl<K: Send + Sync + 'static> Drop for Subscription<K> {
    fn drop(&mut self) {
        if let Some(processor) = self.processor.upgrade() {
            processor.remove(self.listener.core.id());
        }
    }
}
