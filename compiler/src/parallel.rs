//! Spreading independent work over the cores, in one place. Parsing, validation and code
//! generation each split large specs into parts that need nothing from each other; small specs
//! (the real one has 13 items) run on the calling thread, where spawning would cost more than
//! it saves. Each worker thread readies its heap first (see [`crate::heap`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

/// How many threads work of `size` deserves: one below `threshold`, else every core.
pub(crate) fn threads_for(size: usize, threshold: usize) -> usize {
    /// Asked once: on Linux the answer reads the cgroup's CPU quota from files each time.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if size < threshold {
        1
    } else {
        *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
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
                    crate::heap::prepare_thread();
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

/// The state behind `m`, even if a thread panicked while holding it (the state is two plain
/// values, always consistent).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `f` over every input on `threads` worker threads, while `sink` takes the results on the
/// calling thread in input order, each as soon as it and those before it are ready. Workers
/// stay less than `window` inputs ahead of `sink`, so memory holds a window of results, not
/// all of them. The first error of `sink` stops the workers and is returned; a panic in `f` is
/// resumed on the calling thread. With one thread, all of it runs on the calling thread.
pub(crate) fn ordered<I: Sync, R: Send, E>(
    inputs: &[I],
    threads: usize,
    window: usize,
    f: impl Fn(&I) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    let threads = threads.min(inputs.len());
    if threads <= 1 {
        return inputs.iter().try_for_each(|input| sink(f(input)));
    }
    let window = window.max(1);
    let next = AtomicUsize::new(0);
    // How many results `sink` has taken, and whether the workers must stop.
    let progress = (Mutex::new((0usize, false)), Condvar::new());
    let stop = || {
        lock(&progress.0).1 = true;
        progress.1.notify_all();
    };
    std::thread::scope(|scope| {
        let (done, results) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let done = done.clone();
            let (next, progress, f) = (&next, &progress, &f);
            scope.spawn(move || {
                crate::heap::prepare_thread();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { return };
                    {
                        let mut state = lock(&progress.0);
                        while !state.1 && i >= state.0 + window {
                            state = progress
                                .1
                                .wait(state)
                                .unwrap_or_else(PoisonError::into_inner);
                        }
                        if state.1 {
                            return;
                        }
                    }
                    let result =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(input)));
                    let failed = result.is_err();
                    if done.send((i, result)).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(done);
        // However this thread leaves (an error, a panic in `f` or in `sink`), no worker may
        // stay waiting for it.
        struct StopOnExit<F: Fn()>(F);
        impl<F: Fn()> Drop for StopOnExit<F> {
            fn drop(&mut self) {
                (self.0)();
            }
        }
        let _stop = StopOnExit(stop);
        let mut pending: Vec<Option<R>> =
            std::iter::repeat_with(|| None).take(inputs.len()).collect();
        let mut taken = 0;
        for (i, result) in results {
            match result {
                Ok(r) => pending[i] = Some(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
            while let Some(r) = pending.get_mut(taken).and_then(Option::take) {
                sink(r)?;
                taken += 1;
                lock(&progress.0).0 = taken;
                progress.1.notify_all();
            }
        }
        Ok(())
    })
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
    fn ordered_results_reach_the_sink_in_order_within_the_window() {
        let inputs: Vec<u64> = (0..500).collect();
        for (threads, window) in [(1, 1), (2, 1), (2, 8), (3, 1000)] {
            let ahead = AtomicUsize::new(0);
            let taken = AtomicUsize::new(0);
            let mut seen = Vec::new();
            let result: Result<(), ()> = ordered(
                &inputs,
                threads,
                window,
                |n| {
                    // No input is started `window` or more inputs before the sink takes it.
                    let gap = (*n as usize).saturating_sub(taken.load(Ordering::SeqCst));
                    ahead.fetch_max(gap, Ordering::SeqCst);
                    n * 3
                },
                |r| {
                    seen.push(r);
                    taken.store(seen.len(), Ordering::SeqCst);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(seen, inputs.iter().map(|n| n * 3).collect::<Vec<_>>());
            assert!(
                ahead.load(Ordering::SeqCst) < window.max(1),
                "{threads} threads, window {window}"
            );
        }
    }

    #[test]
    fn ordered_stops_at_the_first_error_and_resumes_a_panic() {
        let inputs: Vec<u64> = (0..10_000).collect();
        let started = AtomicUsize::new(0);
        let result = ordered(
            &inputs,
            2,
            4,
            |n| {
                started.fetch_add(1, Ordering::SeqCst);
                *n
            },
            |n| if n == 10 { Err(n) } else { Ok(()) },
        );
        assert_eq!(result, Err(10));
        assert!(started.load(Ordering::SeqCst) < 100, "the workers stopped");
        let caught = std::panic::catch_unwind(|| {
            ordered(&inputs, 2, 4, |n| assert!(*n != 50), |()| Ok::<(), ()>(()))
        });
        assert!(caught.is_err());
        // A panic in the sink stops the workers too (they would otherwise wait for it).
        let caught = std::panic::catch_unwind(|| {
            ordered(
                &inputs,
                2,
                4,
                |n| *n,
                |n| {
                    assert!(n != 20);
                    Ok::<(), ()>(())
                },
            )
        });
        assert!(caught.is_err());
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| map(&[1, 2, 3, 4], 2, |n| assert!(*n != 3)));
        assert!(caught.is_err());
    }
}
