//! Group commit for new orders. With `synchronous = FULL`, SQLite on this class of machine does a
//! few hundred fsync'd commits a second; one writer task that takes every order waiting in its
//! queue and writes them in one transaction turns that into thousands of orders a second, and
//! still answers each request only after its order is durable. Each order gets a savepoint, so a
//! failing one is rolled back alone and the rest commit.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{Order, PreparedOrder, Written, write_as};
use crate::{Result, Store, StoreError};

/// How many queued orders one transaction takes at most.
pub const MAX_BATCH: usize = 256;

struct Job {
    order: Arc<PreparedOrder>,
    reply: oneshot::Sender<Result<Written>>,
}

/// A handle to the writer task; cheap to clone. The task ends when every handle is dropped.
#[derive(Clone)]
pub struct OrderWriter {
    queue: mpsc::Sender<Job>,
    store: Store,
}

impl OrderWriter {
    /// Starts the writer task for `store`.
    pub fn spawn(store: Store) -> OrderWriter {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(store.clone(), rx));
        OrderWriter { queue, store }
    }

    /// Opens an order through the writer: validated here, written in the next batch, answered
    /// (from what was written) once its batch is committed.
    pub async fn create(&self, actor: &crate::Actor, new: &super::NewOrder) -> Result<Order> {
        let order = Arc::new(super::prepare(&self.store, actor, new).await?);
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job {
                order: order.clone(),
                reply,
            })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        let written = answer.await.map_err(|_| StoreError::WriterStopped)??;
        order.answer(&self.store, &written).await
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let results = write_batch(&store, &jobs).await;
        match results {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, batch = jobs.len(), "order batch failed; nothing of it was written");
                for job in jobs {
                    let _ = job.reply.send(Err(StoreError::Format(format!(
                        "the batch could not be committed: {e}"
                    ))));
                }
            }
        }
    }
}

/// One transaction for the batch: all orders with one statement per table, or, when that fails
/// (an order whose contract went away since it was checked, say), each order inside its own
/// savepoint, so the bad one fails alone.
async fn write_batch(store: &Store, jobs: &[Job]) -> Result<Vec<Result<Written>>> {
    let mut tx = store.pool.begin().await?;
    if let [job] = jobs {
        // Alone in its batch: no savepoint needed, a failure rolls back only this order.
        return Ok(
            match super::batch::write_many(&mut tx, store.backend(), &[job.order.as_ref()]).await {
                Ok(ids) => {
                    tx.commit().await?;
                    ids.into_iter().map(Ok).collect()
                }
                Err(e) => vec![Err(e)],
            },
        );
    }
    {
        sqlx::query("SAVEPOINT all_orders")
            .execute(&mut *tx)
            .await?;
        let orders: Vec<&PreparedOrder> = jobs.iter().map(|j| j.order.as_ref()).collect();
        match super::batch::write_many(&mut tx, store.backend(), &orders).await {
            Ok(ids) => {
                sqlx::query("RELEASE SAVEPOINT all_orders")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(ids.into_iter().map(Ok).collect());
            }
            Err(e) => {
                tracing::info!(error = %e, batch = jobs.len(), "order batch falls back to one order at a time");
                sqlx::query("ROLLBACK TO SAVEPOINT all_orders")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT all_orders")
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        sqlx::query("SAVEPOINT one_order").execute(&mut *tx).await?;
        match write_as(&mut tx, store.backend(), &job.order, &job.order.subject).await {
            Ok(id) => {
                sqlx::query("RELEASE SAVEPOINT one_order")
                    .execute(&mut *tx)
                    .await?;
                results.push(Ok(id));
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT one_order")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT one_order")
                    .execute(&mut *tx)
                    .await?;
                results.push(Err(e));
            }
        }
    }
    tx.commit().await?;
    Ok(results)
}
