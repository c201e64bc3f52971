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
//!
//! A request whose job runs alone has its answer watched for (see
//! [`watch_alone`]) rather than slept on.
//!
//! Under load, answers are handed over in batches (see [`Held`]): each
//! answer woke the runtime thread, which then took a core from a worker in
//! the middle of a search, once or twice a request. While the queue holds
//! a next job for every worker, an answer waits for the next one instead,
//! and the runtime thread wakes once for several.
//!
//! A worker that finds the queue empty while no other job is in flight
//! keeps looking for a moment before it sleeps: a request that follows
//! its predecessor closely (a client asking in sequence) then starts at
//! once, instead of after a sleeping thread is woken (on this virtual
//! machine the median of a cheap search at 1 connection fell from 0.14 to
//! 0.07 ms).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};

/// A job runs the request's work and returns how to hand its answer over
/// (`None`: nobody is waiting for it).
type Job = Box<dyn FnOnce() -> Option<Delivery> + Send>;

/// Hands a finished job's answer to its request (and wakes that request).
type Delivery = Box<dyn FnOnce() + Send>;

/// How long an idle worker looks for the next job before it sleeps, at
/// most: about a loopback round trip (the answer written, the client's next
/// request read and routed). Only when nothing else is in flight, only one
/// worker at a time, and never longer than its last job took: looking
/// holds a core, and after short jobs (cached answers) the runtime thread
/// and the clients need it more (with 250 µs after every job, cached
/// answers at 8 connections lost about 6 % of their throughput).
const LOOK_BEFORE_SLEEP: Duration = Duration::from_micros(250);

/// After this long, a held answer goes with the next job to finish,
/// however full the queue (see [`Held`]).
const HOLD_AT_MOST: Duration = Duration::from_millis(1);

/// Answers are held only after jobs at least this long (searches, not
/// cached answers). With cached answers (about 13 µs a job) the runtime
/// thread, not the workers, is the busy side, and holding them cost 7-13 %
/// of the throughput at 8 connections (three alternating pairs: 31,345-
/// 31,539 against 27,193-29,162 queries/s; with this bound 31,162-31,748
/// against 31,484-32,381 in two more).
const HOLD_AFTER_JOBS_OF: Duration = Duration::from_micros(100);

/// Answers finished but not yet handed over, oldest first.
///
/// While at least as many jobs are queued as there are workers, every
/// worker has a next job and new requests are not needed yet, so an answer
/// is held until a job finishes with fewer queued (or it has waited
/// [`HOLD_AT_MOST`]); then all held answers go at once. Each handed-over
/// answer wakes the runtime thread, which on a busy machine takes a core
/// from a worker mid-search: held, several answers cost one wake. At 8
/// connections (wrk over the replicated corpus, cache off, three
/// alternating pairs of 8 s runs) throughput went 2,994 -> 3,232,
/// 3,096 -> 3,262 and 3,075 -> 3,350 queries/s, server CPU per request
/// 610-614 -> 563-580 µs, p99 5.35-5.75 -> 4.78-5.36 ms; in one 10 s run
/// each, the runtime thread slept 0.72 instead of 1.17 times a request
/// and the workers were preempted 0.68 instead of 1.18 times. An answer
/// waits at most [`HOLD_AT_MOST`] and then until the next job finishes;
/// at 1 connection the queue is empty and nothing is held.
/// (Closed-loop clients wait for answers anyway: by Little's law the mean
/// latency at a given number of connections only falls as throughput rises.)
#[derive(Default)]
struct Held {
    answers: Mutex<Vec<(Instant, Delivery)>>,
}

impl Held {
    /// Holds `delivery`, then hands over every held answer unless `hold`
    /// (every worker has a next job, after a long one) and the oldest has
    /// waited less than [`HOLD_AT_MOST`].
    fn add(&self, delivery: Option<Delivery>, hold: bool) {
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(delivery) = delivery {
            answers.push((Instant::now(), delivery));
        }
        let due = !hold
            || answers
                .first()
                .is_some_and(|(since, _)| since.elapsed() >= HOLD_AT_MOST);
        if !due || answers.is_empty() {
            return;
        }
        let due: Vec<(Instant, Delivery)> = std::mem::take(&mut *answers);
        drop(answers); // handing over wakes tasks: not under the lock
        for (_, deliver) in due {
            deliver();
        }
    }
}

/// A queue of jobs and the workers draining it.
pub struct CpuPool {
    jobs: Sender<Job>,
    /// Jobs queued or running.
    in_flight: Arc<AtomicUsize>,
}

/// One worker's view of the pool.
struct Worker {
    queue: Receiver<Job>,
    /// Workers in the pool.
    workers: usize,
    held: Arc<Held>,
    in_flight: Arc<AtomicUsize>,
    /// Some worker is looking for a job instead of sleeping.
    looking: Arc<AtomicBool>,
}

impl Worker {
    fn run(self) {
        let mut last_job = Duration::ZERO;
        while let Some(job) = self.next(last_job.min(LOOK_BEFORE_SLEEP)) {
            let started = Instant::now();
            // A panicking job fails its request, not the worker
            // (the panic hook has logged it).
            let delivery = catch_unwind(AssertUnwindSafe(job)).unwrap_or(None);
            last_job = started.elapsed();
            // After a short job the runtime thread is the busy side: held
            // answers would leave it idle.
            let hold = last_job >= HOLD_AFTER_JOBS_OF && self.queue.len() >= self.workers;
            self.held.add(delivery, hold);
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// The next job, looked for up to `look` before sleeping; `None` when
    /// the pool is gone.
    fn next(&self, look: Duration) -> Option<Job> {
        if !look.is_zero()
            && self.in_flight.load(Ordering::Acquire) == 0
            && !self.looking.swap(true, Ordering::AcqRel)
        {
            let found = self.look(look);
            self.looking.store(false, Ordering::Release);
            if found.is_some() {
                return found;
            }
        }
        self.queue.recv().ok()
    }

    /// Polls the queue for `look`, or until a job is in flight that
    /// another worker took.
    fn look(&self, look: Duration) -> Option<Job> {
        let until = Instant::now() + look;
        loop {
            if let Ok(job) = self.queue.try_recv() {
                return Some(job);
            }
            // A job counted but not yet queued is about to be: `recv` gets it.
            if self.in_flight.load(Ordering::Acquire) > 0 || Instant::now() >= until {
                return None;
            }
            std::hint::spin_loop();
        }
    }
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
        let in_flight = Arc::new(AtomicUsize::new(0));
        let looking = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Held::default());
        let workers = workers.max(1);
        for i in 0..workers {
            let worker = Worker {
                queue: queue.clone(),
                workers,
                held: held.clone(),
                in_flight: in_flight.clone(),
                looking: looking.clone(),
            };
            std::thread::Builder::new()
                .name(format!("baton-cpu-{i}"))
                .spawn(move || worker.run())
                .expect("cannot start a CPU worker thread");
        }
        CpuPool { jobs, in_flight }
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
        let (answer, mut answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A request that timed out or was dropped while queued is not
            // worked on: under overload the queue drains instead of growing.
            if answer.is_closed() {
                return None;
            }
            let value = f();
            Some(Box::new(move || {
                let _ = answer.send(value);
            }))
        });
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if self.jobs.send(job).is_err() {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(JobFailed);
        }
        if self.in_flight.load(Ordering::Acquire) <= 1 {
            if let Some(answer) = watch_alone(&mut answered, &self.in_flight).await {
                return answer;
            }
        }
        answered.await.map_err(|_| JobFailed)
    }
}

/// How long the runtime thread keeps polling for the answer of a job that
/// runs alone, at most: longer than almost every search takes.
const WATCH_ALONE: Duration = Duration::from_millis(2);

/// Polls for the answer of the only job in flight, yielding to the
/// runtime's other tasks between polls, for up to [`WATCH_ALONE`] or until
/// another job is queued; `None` when it is still not there. A runtime
/// thread that sleeps on its answer instead has to be woken when the
/// answer comes: at 1 connection that added 0.03-0.08 ms to the median
/// request of `benches/load.sh` (0.62-0.68 ms against 0.55-0.62 ms, six
/// alternating runs on this virtual machine), up to half of what HTTP
/// adds to the search. Under load there are other jobs and the thread
/// sleeps as before: looking then would take a core from the searches.
async fn watch_alone<T>(
    answered: &mut tokio::sync::oneshot::Receiver<T>,
    in_flight: &AtomicUsize,
) -> Option<Result<T, JobFailed>> {
    use tokio::sync::oneshot::error::TryRecvError;
    let until = Instant::now() + WATCH_ALONE;
    loop {
        match answered.try_recv() {
            Ok(answer) => return Some(Ok(answer)),
            Err(TryRecvError::Closed) => return Some(Err(JobFailed)),
            Err(TryRecvError::Empty) => {}
        }
        if in_flight.load(Ordering::Acquire) > 1 || Instant::now() >= until {
            return None;
        }
        tokio::task::yield_now().await;
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_job_alone_answers_whether_watched_or_awaited() {
        let pool: &'static CpuPool = Box::leak(Box::new(CpuPool::new(1)));
        // Answered while the runtime thread watches for it.
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
        // Answered after the watch gave up, to the sleeping thread.
        let slow = pool.run(|| {
            std::thread::sleep(WATCH_ALONE * 3);
            2
        });
        assert_eq!(slow.await.unwrap(), 2);
        // A job that panics while watched fails its request.
        assert!(pool.run(|| -> u32 { panic!("job panics") }).await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_job_is_lost_between_looking_and_sleeping() {
        // Jobs arrive back to back (taken by the looking worker), after
        // pauses longer than the look (taken from sleep), and concurrently
        // from several tasks (taken by whichever worker is free).
        let pool: &'static CpuPool = Box::leak(Box::new(CpuPool::new(2)));
        let mut numbers = crate::test_support::numbers(7);
        let pauses: Vec<u64> = (0..200).map(|_| numbers(400) as u64).collect();
        let mut tasks = Vec::new();
        for task in 0..4u64 {
            let pauses = pauses.clone();
            tasks.push(tokio::spawn(async move {
                let mut sum = 0;
                for (i, pause) in pauses.into_iter().enumerate() {
                    if (i as u64 + task).is_multiple_of(3) {
                        std::thread::sleep(Duration::from_micros(pause));
                    }
                    sum += pool.run(move || i as u64 * task).await.unwrap();
                }
                sum
            }));
        }
        let wait = Duration::from_secs(30);
        for (task, handle) in tasks.into_iter().enumerate() {
            let sum = tokio::time::timeout(wait, handle).await.unwrap().unwrap();
            assert_eq!(sum, (0..200).sum::<u64>() * task as u64);
        }
        // A job's count drops just after its answer is sent.
        let settled = Instant::now() + Duration::from_secs(5);
        while pool.in_flight.load(Ordering::Acquire) != 0 && Instant::now() < settled {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(pool.in_flight.load(Ordering::Acquire), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn held_answers_are_handed_over_when_the_queue_runs_short() {
        // One worker; its first job waits until five more are queued, and
        // every job lasts long enough to be held after. The first answers
        // are then held (a job is still queued behind each), and the last
        // job, finding the queue empty, hands over whatever the 1 ms bound
        // has not already. None may be lost or kept.
        let pool: &'static CpuPool = Box::leak(Box::new(CpuPool::new(1)));
        let (queued, gate) = std::sync::mpsc::channel::<()>();
        let mut answers = vec![tokio::spawn(
            pool.run(move || gate.recv().map(|_| 0).unwrap_or(99)),
        )];
        while pool.in_flight.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        answers.extend((1..6u32).map(|i| {
            tokio::spawn(pool.run(move || {
                std::thread::sleep(HOLD_AFTER_JOBS_OF * 2);
                i
            }))
        }));
        while pool.in_flight.load(Ordering::Acquire) < 6 {
            tokio::task::yield_now().await;
        }
        queued.send(()).unwrap();
        for (i, answer) in (0..6u32).zip(answers) {
            let answer = tokio::time::timeout(Duration::from_secs(10), answer).await;
            assert_eq!(answer.expect("answer handed over").unwrap().unwrap(), i);
        }
    }

    #[test]
    fn an_answer_is_held_only_while_every_worker_has_a_next_job() {
        let held = Held::default();
        let handed = Arc::new(AtomicUsize::new(0));
        let delivery = |handed: &Arc<AtomicUsize>| -> Option<Delivery> {
            let handed = handed.clone();
            Some(Box::new(move || {
                handed.fetch_add(1, Ordering::SeqCst);
            }))
        };
        // Every worker has a next job: held.
        held.add(delivery(&handed), true);
        held.add(delivery(&handed), true);
        assert_eq!(handed.load(Ordering::SeqCst), 0);
        // The queue runs short: both held answers and this one go.
        held.add(delivery(&handed), false);
        assert_eq!(handed.load(Ordering::SeqCst), 3);
        // Held too long: handed over even with a full queue.
        held.add(delivery(&handed), true);
        std::thread::sleep(HOLD_AT_MOST * 2);
        held.add(None, true);
        assert_eq!(handed.load(Ordering::SeqCst), 4);
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
