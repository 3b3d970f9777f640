//! Rendering files on every core.
//!
//! Formatting (token streams parsed by `syn`, printed by `prettyplease`) is most of a
//! generation's CPU time, and the files are independent. `proc_macro2` token streams cannot
//! cross threads, so each thread builds and renders its own share; the results go into a
//! sorted map, so the output does not depend on which thread rendered what.

use std::num::NonZeroUsize;
use std::thread;

/// `render` applied to every item, on up to one thread per core, in the items' order.
pub fn map<T: Sync, R: Send>(items: &[T], render: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get).min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(render).collect();
    }
    // Thread `t` takes items t, t + threads, t + 2 * threads, ...: big and small files (one
    // module's are adjacent) spread evenly.
    let shares: Vec<Vec<(usize, R)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|first| {
                let render = &render;
                scope.spawn(move || {
                    items.iter().enumerate().skip(first).step_by(threads).map(|(i, item)| (i, render(item))).collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut results: Vec<(usize, R)> = shares.into_iter().flatten().collect();
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..101).collect();
        assert_eq!(super::map(&items, |item| item * 2), items.iter().map(|item| item * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], |item| *item).is_empty());
    }
}
