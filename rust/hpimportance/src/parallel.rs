//! Where the work runs: a thread pool built per call.
//!
//! A pool of its own per call (instead of rayon's global one) gives the caller a thread-count
//! argument, keeps `RAYON_NUM_THREADS` from being read once and frozen, and leaves no worker
//! threads behind that a process forked later could inherit in a locked state.

use crate::error::Error;

/// The most worker threads a pool starts, whatever is asked: more than a machine has cores
/// only wait on each other, and tens of thousands would take seconds and gigabytes to start.
pub const MAX_THREADS: usize = 1024;

/// A pool of worker threads for one computation. Results never depend on its size.
#[derive(Debug)]
pub struct WorkerPool {
    pool: rayon::ThreadPool,
}

impl WorkerPool {
    /// Starts `n_threads` workers (`None`: one per available core), but no more than
    /// `n_tasks` (a thread without a task to run is only a cost) or [`MAX_THREADS`].
    ///
    /// # Errors
    /// [`Error::InvalidForestSetting`] for `Some(0)`, [`Error::ThreadPool`] if the operating
    /// system refuses to start the threads.
    pub fn new(n_threads: Option<usize>, n_tasks: usize) -> Result<Self, Error> {
        let n_threads = thread_count(n_threads, n_tasks)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .map_err(|error| Error::ThreadPool { n_threads, reason: error.to_string() })?;
        Ok(Self { pool })
    }

    /// The number of worker threads.
    pub fn n_threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `work` on the pool's threads (rayon's parallel iterators inside it use them).
    pub fn install<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        self.pool.install(work)
    }
}

/// How many workers [`WorkerPool::new`] starts.
fn thread_count(requested: Option<usize>, n_tasks: usize) -> Result<usize, Error> {
    let wanted = match requested {
        Some(0) => return Err(Error::InvalidForestSetting { name: "n_threads", value: 0 }),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    Ok(wanted.min(n_tasks.max(1)).min(MAX_THREADS))
}

/// Runs `work`, made of `n_tasks` parallel tasks, in a fresh pool of `n_threads` workers
/// (`None`: one per available core).
///
/// # Errors
/// As [`WorkerPool::new`].
pub(crate) fn run_in_pool<T, F>(
    n_threads: Option<usize>,
    n_tasks: usize,
    work: F,
) -> Result<T, Error>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    Ok(WorkerPool::new(n_threads, n_tasks)?.install(work))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_is_capped_by_tasks_and_by_the_maximum() {
        assert_eq!(thread_count(Some(8), 3), Ok(3));
        assert_eq!(thread_count(Some(2), 0), Ok(1));
        assert_eq!(thread_count(Some(usize::MAX), usize::MAX), Ok(MAX_THREADS));
        assert!(matches!(thread_count(None, usize::MAX), Ok(1..=MAX_THREADS)));
        assert_eq!(
            thread_count(Some(0), 4),
            Err(Error::InvalidForestSetting { name: "n_threads", value: 0 })
        );
    }
}
