//! A counting global allocator: the bytes the process holds, for heap-retained figures.
//!
//! Counts requested sizes (`Layout::size`), not the allocator's rounding, and only while
//! [`enable`] is on. Only `kubegen-bench-heap` installs it: even switched off it costs every
//! allocation a call and a load, which timed workloads should not pay. Go's `HeapAlloc`
//! counts size-class-rounded objects; the report says so. The other helpers here (keeping
//! freed memory mapped, settling between runs) are for the decode workload.

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

/// Whether this process's global allocator is [`Counting`] (an allocation while enabled
/// shows up in [`live`]).
pub fn counts() -> bool {
    enable();
    let probe = std::hint::black_box(Box::new(0u64));
    let counted = live() > 0;
    drop(probe);
    disable();
    counted
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
/// the system (with [`keep_freed_memory`], nothing else does either), so the next run does
/// not have to fault its pages in again.
pub fn settle() {
    let block = std::hint::black_box(Vec::<u8>::with_capacity(1 << 20));
    drop(block);
}

/// Keeps the memory this process frees mapped, so that no timed run pays the kernel for
/// faulting in pages a run before it gave back. By default glibc gives memory back on its own:
/// blocks of more than its mmap threshold (a list's item vector) are unmapped when freed, and
/// the top of the heap is trimmed once more than the trim threshold is free. Which run then
/// pays depends on the allocator's state (both thresholds grow with the largest block freed so
/// far): in a decode run with the defaults, k8s-openapi's 10,000-Pod list took 305-325 ms and
/// 210-215 ms without the give-backs, while kubegen's took the same either way. Decoding is
/// what the workload measures; memory is measured by the heap workload.
///
/// A no-op (returning `false`) where the C library is not glibc.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and only changes the allocator's parameters.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0) == 1 && libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}
