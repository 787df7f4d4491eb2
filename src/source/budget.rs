//! A byte budget shared by the threads that read blobs whole into memory, so that memory does not
//! grow with the number of threads. A reader takes as many bytes as the blob it is about to read
//! (at most the whole budget) and gives them back when it is done. Takers are served first come,
//! first served: a blob as large as the budget waits for every other reader to finish and then
//! is read alone, and no stream of small blobs can keep it waiting for ever.

use std::sync::{Condvar, Mutex, MutexGuard};

#[derive(Debug)]
pub struct Budget {
    limit: u64,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes taken and not yet given back.
    used: u64,
    /// The next ticket handed out, and the ticket whose turn it is: first come, first served.
    next_ticket: u64,
    serving: u64,
    /// Takers waiting: when there are none, nobody needs waking (a wake is a system call).
    waiting: usize,
}

/// Bytes taken from a budget, given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            limit: limit.max(1),
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }
    }

    /// Waits until `bytes` (at most the whole budget) can be taken, then takes them.
    pub fn take(&self, bytes: u64) -> Permit<'_> {
        let bytes = bytes.min(self.limit);
        let mut s = self.lock();
        let ticket = s.next_ticket;
        s.next_ticket += 1;
        while s.serving != ticket || s.used + bytes > self.limit {
            s.waiting += 1;
            s = self
                .changed
                .wait(s)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            s.waiting -= 1;
        }
        s.serving += 1;
        s.used += bytes;
        let wake = s.waiting > 0;
        drop(s);
        if wake {
            // The next ticket may fit too.
            self.changed.notify_all();
        }
        Permit {
            budget: self,
            bytes,
        }
    }

    /// Bytes taken now (for tests).
    #[cfg(test)]
    fn used(&self) -> u64 {
        self.lock().used
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two counters, consistent after every statement: a panic elsewhere
        // leaves nothing half done.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.budget.lock();
        s.used -= self.bytes;
        let wake = s.waiting > 0;
        drop(s);
        if wake {
            self.budget.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn small_takers_share_and_a_large_one_is_alone() {
        let budget = Budget::new(100);
        let a = budget.take(30);
        let b = budget.take(30);
        assert_eq!(budget.used(), 60);
        drop((a, b));
        let big = budget.take(1_000);
        assert_eq!(budget.used(), 100, "a blob over the budget takes all of it");
        drop(big);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn never_more_than_the_budget_at_once_and_large_takers_are_not_starved() {
        let budget = Arc::new(Budget::new(100));
        let peak = Arc::new(AtomicU64::new(0));
        let now = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let (budget, peak, now) = (budget.clone(), peak.clone(), now.clone());
                std::thread::spawn(move || {
                    for i in 0..200u64 {
                        // Every 50th request of each thread is larger than the budget.
                        let want = if i % 50 == t {
                            500
                        } else {
                            10 + (i * 7 + t) % 40
                        };
                        let permit = budget.take(want);
                        let held = now.fetch_add(want.min(100), Ordering::SeqCst) + want.min(100);
                        peak.fetch_max(held, Ordering::SeqCst);
                        std::thread::yield_now();
                        now.fetch_sub(want.min(100), Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(budget.used(), 0);
    }
}
