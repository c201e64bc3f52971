//! The threads that run CPU-bound request work: searches, snippets,
//! Markdown rendering, related articles.
//!
//! A fixed set of workers, one per core, takes jobs from one queue in
//! arrival order. tokio's blocking pool instead runs every request in
//! flight on a thread of its own: at 8 connections on 2 cores each search
//! shared the cores with 7 others and took several times its own time
//! (p99 22 ms, against 9 ms here at the same throughput, `benches/load.sh`).
//! A semaphore in front of the blocking pool bounded that too, but lost 8 %
//! of throughput to hand-offs (a finished search had to wake the next
//! request before a core had work again); a worker here takes the next job
//! the moment it is done. (One worker more than the cores measured the same
//! throughput with p99 12 ms.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use crossbeam_channel::{unbounded, Sender};

type Job = Box<dyn FnOnce() + Send>;

/// A queue of jobs and the workers draining it.
pub struct CpuPool {
    jobs: Sender<Job>,
}

/// The machine's cores (2 when they cannot be told).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The job's worker went away before it answered (it panicked).
#[derive(Debug, thiserror::Error)]
#[error("the request's work failed (see the log)")]
pub struct JobFailed;

impl CpuPool {
    /// A pool of `workers` threads.
    pub fn new(workers: usize) -> CpuPool {
        let (jobs, queue) = unbounded::<Job>();
        for i in 0..workers.max(1) {
            let queue = queue.clone();
            let worker = move || {
                for job in queue {
                    // A panicking job fails its request, not the worker
                    // (the panic hook has logged it).
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            };
            std::thread::Builder::new()
                .name(format!("baton-cpu-{i}"))
                .spawn(worker)
                .expect("cannot start a CPU worker thread");
        }
        CpuPool { jobs }
    }

    /// The process's pool: one worker per core.
    pub fn shared() -> &'static CpuPool {
        static POOL: OnceLock<CpuPool> = OnceLock::new();
        POOL.get_or_init(|| CpuPool::new(cores()))
    }

    /// Runs `f` on a worker, after the jobs queued before it.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, JobFailed> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A request that timed out or was dropped while queued is not
            // worked on: under overload the queue drains instead of growing.
            if !answer.is_closed() {
                let _ = answer.send(f());
            }
        });
        self.jobs.send(job).map_err(|_| JobFailed)?;
        answered.await.map_err(|_| JobFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_survives_a_panicking_one() {
        let pool = CpuPool::new(1);
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        let failed = pool.run(|| -> u32 { panic!("job panics") }).await;
        assert!(failed.is_err());
        // The single worker is still there for the next job.
        assert_eq!(pool.run(|| "still serving").await.unwrap(), "still serving");
    }

    #[tokio::test]
    async fn a_job_whose_request_is_gone_is_skipped() {
        let pool: &'static CpuPool = Box::leak(Box::new(CpuPool::new(1)));
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn(pool.run(move || {
            let _ = started.send(());
            blocked.recv().is_ok()
        }));
        running.await.unwrap();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        // Queued behind the busy worker, then dropped (as a timed-out request is).
        let dropped = pool.run(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
        let wait = std::time::Duration::from_millis(20);
        assert!(tokio::time::timeout(wait, dropped).await.is_err());
        release.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        // One worker, jobs in order: the dropped job's turn has passed.
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }
}
