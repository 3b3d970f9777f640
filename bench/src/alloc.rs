//! A counting global allocator: the bytes the process holds, for heap-retained figures.
//!
//! Counts requested sizes (`Layout::size`), not the allocator's rounding, and only while
//! [`enable`] is on, so that decode throughput runs pay a single relaxed load per allocation.
//! Go's `HeapAlloc` counts size-class-rounded objects; the report says so.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The global allocator of the bench binary.
pub struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// Starts counting from zero.
pub fn enable() {
    LIVE.store(0, Ordering::SeqCst);
    ENABLED.store(true, Ordering::SeqCst);
}

/// Stops counting.
pub fn disable() {
    ENABLED.store(false, Ordering::SeqCst);
}

/// Bytes allocated and not freed since [`enable`] (frees of older blocks count negative).
pub fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

fn track(delta: isize) {
    if ENABLED.load(Ordering::Relaxed) {
        LIVE.fetch_add(delta, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` unchanged and only adds bookkeeping.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            track(layout.size() as isize);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            track(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) };
        track(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        moved
    }
}

/// Makes the allocator merge the small blocks freed so far, so that a timed run does not pay
/// for the frees of the run before it: glibc defers that merging until the next large
/// allocation, which would charge one library's drop to whichever library decodes next. A
/// 1 MiB allocation is such a large request; unlike `malloc_trim`, it gives no memory back to
/// the system, so the next run does not have to fault its pages in again.
pub fn settle() {
    let block = std::hint::black_box(Vec::<u8>::with_capacity(1 << 20));
    drop(block);
}
