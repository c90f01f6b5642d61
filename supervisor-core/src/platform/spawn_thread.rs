//! The thread a supervisor's children are cloned from.
//!
//! Linux sends a child its `PR_SET_PDEATHSIG` when the *thread* that cloned
//! it exits, not the process. A child cloned from a tokio blocking-pool
//! thread (which exits after a while idle), or from a runtime that an
//! embedding program moves between threads, would be killed for nothing.
//! So each supervisor clones every child from one thread of its own that
//! lives exactly as long as the supervisor does; when the supervisor is
//! gone, the thread ends and the kernel kills any child still running.

use std::sync::mpsc::{Sender, sync_channel};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

/// A thread that runs one job at a time for its owner, who waits for each.
pub(crate) struct SpawnThread {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl SpawnThread {
    /// Starts the thread.
    pub(crate) fn start() -> std::io::Result<SpawnThread> {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let thread = std::thread::Builder::new().name("supervisor-spawn".into()).spawn(move || {
            while let Ok(job) = inbox.recv() {
                job();
                // Once the job has answered: see `settle`.
                super::spawn::settle();
            }
        })?;
        Ok(SpawnThread { jobs: Some(jobs), thread: Some(thread) })
    }

    /// Runs `job` on the thread and returns what it returned; `None` if the
    /// thread is gone (it panicked).
    pub(crate) fn run<R: Send + 'static>(&self, job: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (reply, answer) = sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = reply.send(job());
        });
        self.jobs.as_ref()?.send(job).ok()?;
        answer.recv().ok()
    }
}

impl Drop for SpawnThread {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_one_named_thread_that_ends_with_its_owner() {
        let thread = SpawnThread::start().expect("thread");
        let first = thread.run(|| std::thread::current().id()).expect("ran");
        let name = thread.run(|| std::thread::current().name().map(str::to_owned)).expect("ran");
        assert_eq!(thread.run(|| std::thread::current().id()), Some(first), "always the same thread");
        assert_ne!(first, std::thread::current().id());
        assert_eq!(name.as_deref(), Some("supervisor-spawn"));
        drop(thread); // joins: it must not hang
    }
}
