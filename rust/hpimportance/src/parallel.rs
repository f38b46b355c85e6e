//! Where the work runs: a thread pool built per call.
//!
//! A pool of its own per call (instead of rayon's global one) gives the caller a thread-count
//! argument, keeps `RAYON_NUM_THREADS` from being read once and frozen, and leaves no worker
//! threads behind that a process forked later could inherit in a locked state.

use crate::error::Error;

/// Runs `work` inside a rayon pool of `n_threads` workers (`None`: one per available core).
///
/// # Errors
/// [`Error::InvalidForestSetting`] for `Some(0)`, [`Error::ThreadPool`] if the operating system
/// refuses to start the threads.
pub(crate) fn run_in_pool<T, F>(n_threads: Option<usize>, work: F) -> Result<T, Error>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    let n_threads = match n_threads {
        Some(0) => {
            return Err(Error::InvalidForestSetting {
                name: "n_threads",
                value: 0,
            })
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n_threads)
        .build()
        .map_err(|error| Error::ThreadPool {
            n_threads,
            reason: error.to_string(),
        })?;
    Ok(pool.install(work))
}
