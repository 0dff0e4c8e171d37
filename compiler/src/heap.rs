//! Readying the allocator for the worker threads of a large spec.
//!
//! On Linux, Rust programs allocate through glibc, which gives every thread its own heap and
//! grows it one page at a time, each step an `mprotect` call that takes the lock of the whole
//! address space, the lock the other threads' page faults wait for: at 10,000 items that was
//! about 700 calls per `rust` run. Buffers above glibc's mmap threshold (128 KiB at first) are
//! mapped afresh and unmapped when freed, so their pages are faulted in again every time.
//!
//! Both are eased by freeing a block as soon as it is allocated, which touches none of its
//! pages. The first such block, larger than the threshold, is mapped and unmapped, and glibc
//! then raises its mmap threshold to the block's size and its trim threshold to twice that
//! (the "dynamic mmap threshold" of mallopt(3)): larger buffers come from the heaps and their
//! memory is reused. Each later block grows the calling thread's heap in one step. With
//! another allocator this costs an allocation and a free per thread, nothing else.

/// The block each worker thread frees first. Larger blocks (up to 16 MiB) grow the heaps
/// further but raise the threshold with them, and the buffers between the old and the new
/// threshold then stay in the heaps once freed: at 100,000 items 16 MiB kept 60 MiB more at
/// the peak than no preparation, 3 MiB 17 MiB more, for about the same time at 10,000.
const THREAD_HEAP: usize = 3 << 20;

/// The block freed once per process to raise the mmap threshold: above [`THREAD_HEAP`], so
/// that block comes from the heap.
const THRESHOLD: usize = 4 << 20;

/// Called first thing in a worker thread of a large spec (see the module documentation).
pub(crate) fn prepare_thread() {
    static RAISED: std::sync::Once = std::sync::Once::new();
    RAISED.call_once(|| free_at_once(THRESHOLD));
    free_at_once(THREAD_HEAP);
}

fn free_at_once(bytes: usize) {
    // `black_box`: an allocation nobody uses may otherwise be left out altogether.
    drop(std::hint::black_box(Vec::<u8>::with_capacity(bytes)));
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// The size of the writable mapping of this process that holds `address`.
    fn mapping_size(address: usize) -> u64 {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_else(|e| panic!("{e}"));
        let address = address as u64;
        maps.lines()
            .filter(|line| {
                line.split_whitespace()
                    .nth(1)
                    .is_some_and(|p| p.starts_with("rw"))
            })
            .filter_map(|line| {
                let (start, end) = line.split_whitespace().next()?.split_once('-')?;
                Some((
                    u64::from_str_radix(start, 16).ok()?,
                    u64::from_str_radix(end, 16).ok()?,
                ))
            })
            .find(|&(start, end)| (start..end).contains(&address))
            .map_or(0, |(start, end)| end - start)
    }

    /// The size of the writable part of the calling thread's heap, found through an
    /// allocation made in it.
    fn own_heap() -> u64 {
        // Larger than glibc's per-thread cache of small blocks, which may hold blocks of other
        // heaps (those the spawning thread allocated and this one freed).
        let probe = std::hint::black_box(Vec::<u8>::with_capacity(4096));
        mapping_size(probe.as_ptr() as usize)
    }

    #[test]
    fn a_prepared_thread_owns_a_heap_grown_in_one_step() {
        // A fresh thread's heap is a few pages until it grows; prepared, it is writable for at
        // least the prepared size. (A thread may inherit the heap of a thread that ended;
        // then it may be large before, and after must still be.)
        let (before, after) = std::thread::spawn(|| {
            let before = own_heap();
            super::prepare_thread();
            (before, own_heap())
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let wanted = super::THREAD_HEAP as u64;
        assert!(
            after >= wanted,
            "heap of {after} bytes after preparing (before: {before})"
        );
        assert!(before >= wanted || after > before, "{before} -> {after}");
    }
}
