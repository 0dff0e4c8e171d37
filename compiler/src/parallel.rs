//! Spreading independent work over the cores, in one place. Parsing, validation and code
//! generation each split large specs into parts that need nothing from each other; small specs
//! (the real one has 13 items) run on the calling thread, where spawning would cost more than
//! it saves.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads work of `size` deserves: one below `threshold`, else every core.
pub(crate) fn threads_for(size: usize, threshold: usize) -> usize {
    if size < threshold {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
}

/// `f` over every input on up to `threads` threads, results in input order. Threads take the
/// next input from a shared counter, so put the largest inputs first to keep every core busy.
/// A panic in `f` is resumed on the calling thread.
pub(crate) fn map<I: Sync, R: Send>(
    inputs: &[I],
    threads: usize,
    f: impl Fn(&I) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(inputs.len()).max(1);
    if threads == 1 {
        return inputs.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(inputs.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let next = &next;
                let f = &f;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else {
                            return done;
                        };
                        done.push((i, f(input)));
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_on_any_number_of_threads() {
        let inputs: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 7] {
            let out = map(&inputs, threads, |n| n * n);
            assert_eq!(out, inputs.iter().map(|n| n * n).collect::<Vec<_>>());
        }
        assert!(map(&[] as &[u8], 4, |b| *b).is_empty());
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| map(&[1, 2, 3, 4], 2, |n| assert!(*n != 3)));
        assert!(caught.is_err());
    }
}
