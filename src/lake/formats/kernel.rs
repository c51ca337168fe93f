//! The delta-kernel engine kpiql reads a Delta log with: delta-kernel's
//! default engine (object_store reads, Arrow JSON and Parquet decoding) with
//! a task executor that runs each read on the calling thread.
//!
//! Why not delta-rs's own engine: delta-rs calls the kernel, which is
//! synchronous, on a blocking thread, and its engine's executor hands every
//! read (each commit file, twice) to a runtime worker and waits for the
//! answer on a channel. On a lake of 24 commits that hand-off, not the
//! reading, made opening a Delta table dearer than a Parquet one
//! (bench/README.md, issue 25). [`OnCaller`] drives the read where the
//! kernel asked for it; the object store's own work (a local file's read on
//! the blocking pool, an S3 request on the runtime's I/O driver) is as
//! before.
//!
//! delta-rs takes an engine for a snapshot (`try_new_with_engine`) but reads
//! the live files with its log store's engine, so [`ReadLog`] is the log
//! store with this engine in place of delta-rs's; everything else is the
//! wrapped store's.

use std::sync::Arc;

use buoyant_kernel_engine::DefaultEngineBuilder;
use buoyant_kernel_engine::executor::TaskExecutor;
use bytes::Bytes;
use delta_kernel::{DeltaResult, Engine};
use deltalake::kernel::transaction::TransactionError;
use deltalake::logstore::{CommitOrBytes, LogStore, LogStoreConfig};
use futures::TryFutureExt;
use futures::future::BoxFuture;
use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use tokio::runtime::{EnterGuard, Handle};
use url::Url;
use uuid::Uuid;

/// Runs the kernel's reads on the thread that asks for them, inside the
/// runtime `handle` (so an object store may spawn onto it).
///
/// `block_on` blocks its thread: delta-rs calls the kernel on blocking
/// threads only (`spawn_blocking`), never on a runtime worker.
#[derive(Debug)]
pub struct OnCaller {
    handle: Handle,
}

impl TaskExecutor for OnCaller {
    type Guard<'a> = EnterGuard<'a>;

    fn block_on<T>(&self, task: T) -> T::Output
    where
        T: Future + Send + 'static,
        T::Output: Send + 'static,
    {
        let _inside = self.handle.enter();
        futures::executor::block_on(task)
    }

    fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(task);
    }

    fn spawn_blocking<T, R>(&self, task: T) -> BoxFuture<'_, DeltaResult<R>>
    where
        T: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Box::pin(
            self.handle
                .spawn_blocking(task)
                .map_err(delta_kernel::Error::join_failure),
        )
    }

    fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }
}

/// A kernel engine over `store` (rooted at the table's folder) whose reads
/// run on the calling thread.
pub fn engine(store: Arc<dyn ObjectStore>) -> Arc<dyn Engine> {
    Arc::new(
        DefaultEngineBuilder::new(store)
            .with_task_executor(Arc::new(OnCaller {
                handle: Handle::current(),
            }))
            .build(),
    )
}

/// A log store that reads with [`engine`] and never writes: kpiql only
/// reads a lake's tables, so a commit through it is refused; every other
/// call is the wrapped store's.
pub struct ReadLog {
    store: Arc<dyn LogStore>,
    engine: Arc<dyn Engine>,
}

impl std::fmt::Debug for ReadLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadLog")
            .field("store", &self.store.name())
            .field("root", self.store.root_url())
            .finish_non_exhaustive()
    }
}

impl ReadLog {
    pub fn new(store: Arc<dyn LogStore>) -> ReadLog {
        let engine = engine(store.root_object_store(None));
        ReadLog { store, engine }
    }

    pub fn engine(&self) -> Arc<dyn Engine> {
        Arc::clone(&self.engine)
    }

    /// The table's URL, ending in `/` as the kernel joins paths onto it.
    pub fn table_root(&self) -> Url {
        let mut root = self.store.config().location().clone();
        if !root.path().ends_with('/') {
            root.set_path(&format!("{}/", root.path()));
        }
        root
    }
}

/// The refusal of a commit through [`ReadLog`].
fn read_only(version: deltalake::kernel::Version) -> TransactionError {
    TransactionError::LogStoreError {
        msg: format!("kpiql reads this table and does not commit to it (version {version})"),
        source: "read-only log store".into(),
    }
}

#[async_trait::async_trait]
impl LogStore for ReadLog {
    fn name(&self) -> String {
        self.store.name()
    }

    async fn refresh(&self) -> deltalake::DeltaResult<()> {
        self.store.refresh().await
    }

    async fn read_commit_entry(
        &self,
        version: deltalake::kernel::Version,
    ) -> Result<Option<Bytes>, deltalake::DeltaTableError> {
        self.store.read_commit_entry(version).await
    }

    async fn write_commit_entry(
        &self,
        version: deltalake::kernel::Version,
        _commit_or_bytes: CommitOrBytes,
        _operation_id: Uuid,
    ) -> Result<(), TransactionError> {
        Err(read_only(version))
    }

    async fn abort_commit_entry(
        &self,
        version: deltalake::kernel::Version,
        _commit_or_bytes: CommitOrBytes,
        _operation_id: Uuid,
    ) -> Result<(), TransactionError> {
        Err(read_only(version))
    }

    async fn get_latest_version(
        &self,
        start_version: deltalake::kernel::Version,
    ) -> Result<deltalake::kernel::Version, deltalake::DeltaTableError> {
        self.store.get_latest_version(start_version).await
    }

    fn object_store(&self, operation_id: Option<Uuid>) -> Arc<dyn ObjectStore> {
        self.store.object_store(operation_id)
    }

    fn root_object_store(&self, operation_id: Option<Uuid>) -> Arc<dyn ObjectStore> {
        self.store.root_object_store(operation_id)
    }

    fn engine(&self, _operation_id: Option<Uuid>) -> Arc<dyn Engine> {
        Arc::clone(&self.engine)
    }

    fn to_uri(&self, location: &StorePath) -> String {
        self.store.to_uri(location)
    }

    fn root_url(&self) -> &Url {
        self.store.root_url()
    }

    fn log_path(&self) -> &StorePath {
        self.store.log_path()
    }

    async fn is_delta_table_location(&self) -> Result<bool, deltalake::DeltaTableError> {
        self.store.is_delta_table_location().await
    }

    fn config(&self) -> &LogStoreConfig {
        self.store.config()
    }

    fn object_store_url(&self) -> datafusion::execution::object_store::ObjectStoreUrl {
        self.store.object_store_url()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What makes opening cheap: the kernel's read runs on the thread that
    /// asked (delta-rs's blocking thread), not on a runtime worker it would
    /// wait for. The read may still use the runtime (an object store's
    /// `spawn_blocking`, a timer).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_runs_on_the_thread_that_asks() -> Result<(), Box<dyn std::error::Error>> {
        let executor = OnCaller {
            handle: Handle::current(),
        };
        let (asker, reader, answer) = tokio::task::spawn_blocking(move || {
            let asker = std::thread::current().id();
            let (reader, answer) = executor.block_on(async {
                let reader = std::thread::current().id();
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                let answer = tokio::task::spawn_blocking(|| 6 * 7).await;
                (reader, answer)
            });
            (asker, reader, answer)
        })
        .await?;
        assert_eq!(asker, reader);
        assert_eq!(answer?, 42);
        Ok(())
    }

    /// On a current-thread runtime (a `#[tokio::test]`, `serve`'s
    /// acceptor) the runtime's one thread drives the read's I/O while it
    /// waits for the blocking thread, so the read finishes.
    #[tokio::test(flavor = "current_thread")]
    async fn a_read_finishes_on_a_current_thread_runtime() -> Result<(), Box<dyn std::error::Error>>
    {
        let executor = OnCaller {
            handle: Handle::current(),
        };
        let answer = tokio::task::spawn_blocking(move || {
            executor.block_on(async {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                tokio::task::spawn_blocking(|| 6 * 7).await
            })
        })
        .await??;
        assert_eq!(answer, 42);
        Ok(())
    }

    /// kpiql reads a lake's tables and never commits to one: a commit
    /// through the log store it reads with is refused and writes nothing.
    #[tokio::test]
    async fn the_log_store_refuses_a_commit() -> Result<(), Box<dyn std::error::Error>> {
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let log = ReadLog::new(
            deltalake::DeltaTableBuilder::from_url(Url::parse("memory:///lake/t/")?)?
                .with_storage_backend(Arc::clone(&store), Url::parse("memory:///")?)
                .build_storage()?,
        );
        let commit = CommitOrBytes::LogBytes(Bytes::from_static(b"{}"));
        let refused = log.write_commit_entry(0, commit, Uuid::nil()).await;
        assert!(
            matches!(&refused, Err(TransactionError::LogStoreError { msg, .. })
                if msg.contains("does not commit")),
            "{refused:?}"
        );
        let written: Vec<_> = futures::TryStreamExt::try_collect(store.list(None)).await?;
        assert!(written.is_empty(), "{written:?}");
        Ok(())
    }
}
