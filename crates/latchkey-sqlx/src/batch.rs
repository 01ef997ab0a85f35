//! Coalescing concurrent store calls into one statement: the PostgreSQL backend's
//! group commit. Under load, many token requests wait on the same few statements (consume
//! a code, store a grant, read a client), and each round trip costs a context switch in the
//! server, a backend's parse/bind/execute and, for writes, a commit. A [`Batcher`] hands
//! each call to a worker task that takes everything queued — up to [`MAX_BATCH`] calls —
//! and runs it as one statement over `unnest`ed arrays, with at most
//! [`BATCHES_IN_FLIGHT`] such statements running at once. An idle store therefore runs
//! each call at once as a batch of one (no added latency); a busy one turns N round trips
//! and N commits into one. Each operation's batch function answers every call separately
//! (one code's replay never fails another caller's exchange), and at-most-once still comes
//! from the database's row locks, exactly as for a single statement.
//!
//! The worker is spawned on the Tokio runtime of the first call (sqlx needs Tokio anyway).
//! If that runtime has gone away (a store shared between test runtimes), the next call
//! starts a new worker; with no runtime at all, calls run inline as batches of one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use latchkey_engine::store::StoreError;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// The most calls one statement carries.
pub(crate) const MAX_BATCH: usize = 64;

/// How many batch statements of one operation may run at once (each holds a pooled
/// connection; sqlx's default pool has ten).
pub(crate) const BATCHES_IN_FLIGHT: usize = 3;

/// What a batch function returns: one answer per input, in input order.
pub(crate) type BatchFuture<O> = Pin<Box<dyn Future<Output = Vec<Result<O, StoreError>>> + Send>>;

type Answer<O> = oneshot::Sender<Result<O, StoreError>>;
type Queue<I, O> = mpsc::UnboundedSender<(I, Answer<O>)>;
type RunBatch<I, O> = Arc<dyn Fn(Vec<I>) -> BatchFuture<O> + Send + Sync>;

/// Runs calls of one operation in batches (see the module docs).
pub(crate) struct Batcher<I, O> {
    op: &'static str,
    queue: Mutex<Option<Queue<I, O>>>,
    run: RunBatch<I, O>,
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// A batcher for operation `op` (named in errors) whose batches `run` executes.
    pub(crate) fn new(
        op: &'static str,
        run: impl Fn(Vec<I>) -> BatchFuture<O> + Send + Sync + 'static,
    ) -> Self {
        Self {
            op,
            queue: Mutex::new(None),
            run: Arc::new(run),
        }
    }

    /// Runs `item` in the next batch and returns its own answer.
    pub(crate) async fn call(&self, item: I) -> Result<O, StoreError> {
        let (answer, reply) = oneshot::channel();
        let mut job = (item, answer);
        // Two tries: the first worker may belong to a runtime that has shut down.
        for _ in 0..2 {
            let Some(queue) = self.queue()? else {
                let (item, _) = job;
                return self.inline(item).await;
            };
            match queue.send(job) {
                Ok(()) => {
                    return reply.await.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable(format!(
                            "{}: the batch worker stopped",
                            self.op
                        )))
                    })
                }
                Err(mpsc::error::SendError(back)) => {
                    self.forget(&queue)?;
                    job = back;
                }
            }
        }
        let (item, _) = job;
        self.inline(item).await
    }

    /// Runs `item` alone, in this task.
    async fn inline(&self, item: I) -> Result<O, StoreError> {
        (self.run)(vec![item]).await.pop().unwrap_or_else(|| {
            Err(StoreError::Other(format!(
                "{}: the batch returned no answer",
                self.op
            )))
        })
    }

    fn poisoned(&self) -> StoreError {
        StoreError::Other(format!("{}: batch queue lock poisoned", self.op))
    }

    /// The live worker's queue, starting a worker on the current runtime if there is none;
    /// `None` outside any Tokio runtime.
    fn queue(&self) -> Result<Option<Queue<I, O>>, StoreError> {
        let mut slot = self.queue.lock().map_err(|_| self.poisoned())?;
        if let Some(queue) = slot.as_ref().filter(|q| !q.is_closed()) {
            return Ok(Some(queue.clone()));
        }
        let Ok(runtime) = Handle::try_current() else {
            return Ok(None);
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        runtime.spawn(work(jobs, Arc::clone(&self.run)));
        *slot = Some(queue.clone());
        Ok(Some(queue))
    }

    /// Drops `dead` (a queue whose worker is gone) unless another call already replaced it.
    fn forget(&self, dead: &Queue<I, O>) -> Result<(), StoreError> {
        let mut slot = self.queue.lock().map_err(|_| self.poisoned())?;
        if slot.as_ref().is_some_and(|q| q.same_channel(dead)) {
            *slot = None;
        }
        Ok(())
    }
}

/// The worker: whenever a batch slot is free, takes everything queued (up to
/// [`MAX_BATCH`]) and runs it in a task of its own. Ends when the batcher is dropped.
async fn work<I: Send + 'static, O: Send + 'static>(
    mut jobs: mpsc::UnboundedReceiver<(I, Answer<O>)>,
    run: RunBatch<I, O>,
) {
    let slots = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MAX_BATCH);
        if jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let run = Arc::clone(&run);
        tokio::spawn(async move {
            let (items, answers): (Vec<I>, Vec<Answer<O>>) = batch.into_iter().unzip();
            let results = run(items).await;
            // A caller that gave up (its request was cancelled) just misses its answer;
            // an answer missing from `results` reaches its caller as "worker stopped".
            for (answer, result) in answers.into_iter().zip(results) {
                let _ = answer.send(result);
            }
            drop(slot);
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn doubling(sizes: Arc<Mutex<Vec<usize>>>) -> Batcher<u32, u32> {
        Batcher::new("double", move |items: Vec<u32>| {
            let sizes = Arc::clone(&sizes);
            Box::pin(async move {
                sizes.lock().unwrap().push(items.len());
                tokio::task::yield_now().await;
                items
                    .into_iter()
                    .map(|i| {
                        if i == 13 {
                            Err(StoreError::Other("unlucky".into()))
                        } else {
                            Ok(i * 2)
                        }
                    })
                    .collect()
            })
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_gets_its_own_answer_and_concurrent_calls_share_batches() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let batcher = Arc::new(doubling(Arc::clone(&sizes)));
        let tasks: Vec<_> = (0..200u32)
            .map(|i| {
                let batcher = Arc::clone(&batcher);
                tokio::spawn(async move { (i, batcher.call(i).await) })
            })
            .collect();
        for task in tasks {
            let (i, answer) = task.await.unwrap();
            match answer {
                Ok(doubled) => assert_eq!(doubled, i * 2),
                Err(_) => assert_eq!(i, 13, "only the failing item fails"),
            }
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.iter().all(|&n| n <= MAX_BATCH));
        assert!(sizes.len() < 200, "some calls were batched: {sizes:?}");
    }

    #[test]
    fn outside_a_runtime_calls_run_inline() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let batcher = doubling(Arc::clone(&sizes));
        assert_eq!(futures::executor::block_on(batcher.call(4)).unwrap(), 8);
        assert_eq!(*sizes.lock().unwrap(), vec![1]);
    }

    #[test]
    fn a_worker_whose_runtime_ended_is_replaced() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let batcher = Batcher::new("count", move |items: Vec<u8>| {
            counted.fetch_add(items.len(), Ordering::SeqCst);
            Box::pin(async move { items.into_iter().map(Ok).collect() })
        });
        for _ in 0..3 {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            assert_eq!(runtime.block_on(batcher.call(7)).unwrap(), 7);
            drop(runtime);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
