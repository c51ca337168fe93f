//! One writer per report table: a lock beside the table, `DEST/.<report>.lock`.
//!
//! Two runs publishing the same table would race (one run's clean-up
//! deleting the other's staging files, two manifests written over each
//! other), so a run takes the table's lock before it touches the table and
//! holds it through publish and clean-up. A second run is refused with an
//! error naming the holder. The lock sits beside the table, not inside it,
//! because the Parquet publisher swaps the whole table folder.
//!
//! - **Local folder.** An exclusive `flock` on the lock file. The kernel
//!   releases it when the holder exits, killed or not, so a killed run never
//!   blocks the next one. The holder deletes the file when done; a run
//!   that locked a file someone deleted meanwhile (it opened the old file
//!   before the delete) sees that the path now names another file or none,
//!   and tries again, so two runs never both hold the lock. The file is
//!   opened with `O_NOFOLLOW`: a symbolic link (or a hard link) at the
//!   lock's path is refused, and neither it nor what it points to touched.
//! - **Object store.** No `flock`: the lock is an object created with a
//!   conditional put (`If-None-Match: *`), holding its holder and an expiry.
//!   A killed run's lock blocks others until it expires
//!   ([`REMOTE_EXPIRY`]); then the next run takes it over with a put
//!   conditional on the expired object's ETag, so two runs cannot both take
//!   it. While the holder works, a background task renews the lock every
//!   quarter of the expiry, rewriting it with a later expiry by a put
//!   conditional on the ETag of its last write, so a run of any length keeps
//!   its lock while a killed one's still frees itself. A renewal refused
//!   (the object is gone, or another ETag: someone took the lock) marks the
//!   lock lost. Right before it publishes, the holder checks that the lock
//!   object still has the ETag of its last write and has not expired, and
//!   refuses to publish otherwise; it stops the renewal and deletes the
//!   lock, if still its own, when done (dropped, the renewal just stops).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::Destination;

/// How long an object-store lock holds without its holder: a killed run
/// blocks its table this long at most. A live run renews its lock every
/// quarter of this ([`renewal_interval`]), so it never expires under one.
pub const REMOTE_EXPIRY: chrono::Duration = chrono::Duration::hours(1);

/// The test-only variable that shortens [`REMOTE_EXPIRY`]:
/// `KPIQL_TEST_ONLY_LOCK_EXPIRY_SECONDS=N` (a whole number of seconds, at
/// least 2) makes this process's object-store locks expire after `N`
/// seconds and renew every `N/4`, so a test can outlive an expiry in
/// seconds instead of an hour. Said on stderr when in force; not a flag,
/// since a short expiry only makes a killed run's lock free itself sooner.
pub(crate) const TEST_EXPIRY_VAR: &str = "KPIQL_TEST_ONLY_LOCK_EXPIRY_SECONDS";

/// This process's object-store lock expiry: [`REMOTE_EXPIRY`], or the
/// test hook's ([`TEST_EXPIRY_VAR`]).
fn remote_expiry() -> chrono::Duration {
    match std::env::var(TEST_EXPIRY_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
    {
        Some(seconds) if seconds >= 2 => {
            eprintln!(
                "object-store table locks expire after {seconds} s (the test hook \
                 {TEST_EXPIRY_VAR} is set)"
            );
            chrono::Duration::seconds(seconds.into())
        }
        _ => REMOTE_EXPIRY,
    }
}

/// How often a held object-store lock is renewed: a quarter of its expiry,
/// so three renewals in a row can fail (a store briefly unreachable)
/// before it expires.
fn renewal_interval(expiry: chrono::Duration) -> std::time::Duration {
    (expiry / 4)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1))
}

/// Who holds a lock, as written into it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    run_id: String,
    pid: u32,
    host: String,
    acquired_at: DateTime<Utc>,
    /// Object-store locks only.
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

impl Holder {
    fn new(run_id: &str, expires_in: Option<chrono::Duration>) -> Holder {
        let now = Utc::now();
        Holder {
            run_id: run_id.to_string(),
            pid: std::process::id(),
            host: host_name(),
            acquired_at: now,
            expires_at: expires_in.map(|e| now + e),
        }
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "run {} (pid {} on {}) since {}",
            self.run_id,
            self.pid,
            self.host,
            self.acquired_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        if let Some(until) = self.expires_at {
            text.push_str(&format!(
                ", lock expires {}",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        text
    }
}

/// This machine's name, for telling a user where a lock's holder runs.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unnamed host".to_string())
}

/// A held table lock; [`TableLock::release`] gives it back.
#[derive(Debug)]
pub(crate) enum TableLock {
    /// The locked file (the lock goes with the descriptor) and its path.
    Local { file: std::fs::File, path: PathBuf },
    /// The lock object, kept ours by its renewal.
    Remote(RemoteLock),
}

/// A held object-store lock and the task renewing it.
#[derive(Debug)]
pub(crate) struct RemoteLock {
    shared: Arc<Remote>,
    renewal: Renewal,
}

/// What the holder and its renewal task both use.
#[derive(Debug)]
struct Remote {
    store: Arc<dyn ObjectStore>,
    path: Path,
    url: String,
    /// Who we are, as written into the lock (each renewal moves only
    /// `expires_at`).
    holder: Holder,
    expiry: chrono::Duration,
    /// Held across every put and check of the lock, so a check never
    /// compares the object with an ETag a renewal is replacing.
    held: tokio::sync::Mutex<Held>,
}

/// Our latest write of the lock object, and whether it is still ours.
#[derive(Debug)]
struct Held {
    e_tag: Option<String>,
    version: Option<String>,
    expires_at: DateTime<Utc>,
    /// Why the lock is no longer ours, once a renewal or check found so.
    lost: Option<String>,
    /// The last renewal's failure, while renewals fail for other reasons
    /// (the store unreachable): the lock stays ours until it expires.
    failing: Option<String>,
}

/// The renewal task: stopped by [`Renewal::stop`], aborted when dropped.
#[derive(Debug)]
struct Renewal {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Renewal {
    fn start(shared: Arc<Remote>) -> Renewal {
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(renew(shared, stopped));
        Renewal {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops renewing and waits for a renewal in flight to finish, so no
    /// put of the lock follows.
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Renews the lock every [`renewal_interval`] until stopped or lost.
async fn renew(shared: Arc<Remote>, mut stopped: tokio::sync::oneshot::Receiver<()>) {
    let every = renewal_interval(shared.expiry);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(every) => {}
        }
        let mut held = shared.held.lock().await;
        if held.lost.is_some() {
            return;
        }
        renew_once(&shared, &mut held).await;
        if held.lost.is_some() {
            return;
        }
    }
}

/// One renewal: the lock rewritten with a later expiry, by a put
/// conditional on our last write's ETag.
async fn renew_once(shared: &Remote, held: &mut Held) {
    let expires_at = Utc::now() + shared.expiry;
    let holder = Holder {
        expires_at: Some(expires_at),
        ..shared.holder.clone()
    };
    let body = match serde_json::to_vec_pretty(&holder) {
        Ok(body) => body,
        Err(e) => {
            held.failing = Some(e.to_string());
            return;
        }
    };
    let update = PutOptions {
        mode: PutMode::Update(UpdateVersion {
            e_tag: held.e_tag.clone(),
            version: held.version.clone(),
        }),
        ..PutOptions::default()
    };
    match shared
        .store
        .put_opts(&shared.path, body.into(), update)
        .await
    {
        Ok(put) => {
            held.e_tag = put.e_tag;
            held.version = put.version;
            held.expires_at = expires_at;
            held.failing = None;
        }
        Err(object_store::Error::Precondition { .. } | object_store::Error::NotFound { .. }) => {
            // Our own last renewal may have landed with its answer lost:
            // then the object is still ours (no other run writes our run
            // id), with an ETag we did not see.
            match shared.store.get(&shared.path).await {
                Ok(current) => {
                    let meta = current.meta.clone();
                    let theirs = current
                        .bytes()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Holder>(&b).ok());
                    match theirs {
                        Some(h) if h.run_id == shared.holder.run_id => {
                            held.e_tag = meta.e_tag;
                            held.version = meta.version;
                            if let Some(t) = h.expires_at {
                                held.expires_at = t;
                            }
                        }
                        Some(h) => held.lost = Some(format!("taken over by {}", h.describe())),
                        None => {
                            held.lost = Some("overwritten with something unreadable".to_string())
                        }
                    }
                }
                Err(object_store::Error::NotFound { .. }) => {
                    held.lost = Some("deleted".to_string());
                }
                Err(e) => held.failing = Some(e.to_string()),
            }
        }
        Err(e) => held.failing = Some(e.to_string()),
    }
}

/// Where the lock of `report`'s table is: beside the table.
fn lock_name(report: &str) -> String {
    format!(".{report}.lock")
}

/// Takes the lock of `report`'s table in `dest`, or fails naming who holds it.
pub(crate) async fn acquire(
    dest: &Destination,
    report: &str,
    run_id: &str,
) -> anyhow::Result<TableLock> {
    match &dest.local {
        Some(folder) => acquire_local(folder.join(lock_name(report)), report, run_id, dest),
        None => acquire_remote(dest, report, run_id).await,
    }
}

fn acquire_local(
    path: PathBuf,
    report: &str,
    run_id: &str,
    dest: &Destination,
) -> anyhow::Result<TableLock> {
    // A few tries: each lost race is another run finishing in between.
    for _ in 0..8 {
        if let Some(lock) = try_local(&path, report, run_id, dest)? {
            return Ok(lock);
        }
    }
    anyhow::bail!(
        "cannot take the table lock {}: other runs keep taking and releasing it",
        path.display()
    )
}

/// The lock, or `None` when the file locked is no longer the one at `path`.
fn try_local(
    path: &std::path::Path,
    report: &str,
    run_id: &str,
    dest: &Destination,
) -> anyhow::Result<Option<TableLock>> {
    use rustix::fs::{FlockOperation, flock};
    use std::io::{Read, Seek, Write};
    let mut file = open_lock(path, report, dest)?;
    if let Err(e) = flock(&file, FlockOperation::NonBlockingLockExclusive) {
        if e != rustix::io::Errno::WOULDBLOCK {
            return Err(std::io::Error::from(e))
                .with_context(|| format!("cannot lock {}", path.display()));
        }
        let mut text = String::new();
        let _ = file.read_to_string(&mut text);
        let holder = serde_json::from_str::<Holder>(&text)
            .map(|h| h.describe())
            .unwrap_or_else(|_| "another process".to_string());
        anyhow::bail!(
            "{} is being written by another kpiql batch: {holder} holds the lock {}; \
             one run writes a table at a time, so run this one again when that one has finished",
            dest.table_url(report)?,
            path.display()
        );
    }
    if !names(path, &file) {
        return Ok(None);
    }
    let holder = serde_json::to_vec_pretty(&Holder::new(run_id, None))?;
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(&holder)?;
    Ok(Some(TableLock::Local {
        file,
        path: path.to_path_buf(),
    }))
}

/// Opens the lock file at `path`, creating it, but never through a symbolic
/// link (`O_NOFOLLOW`): a link there, a user's or planted, would have the
/// lock's JSON written into (or a file created at) whatever it points to,
/// and the release delete the link. Refused instead, naming the link, and
/// so is anything but a plain file with one name (a hard link of a user's
/// file would be overwritten just the same). Nothing is written, created
/// or removed.
fn open_lock(
    path: &std::path::Path,
    report: &str,
    dest: &Destination,
) -> anyhow::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    use std::os::unix::fs::MetadataExt;
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let table = dest.table_url(report)?;
    let file = match rustix::fs::open(path, flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => std::fs::File::from(fd),
        Err(rustix::io::Errno::LOOP) => {
            let to = std::fs::read_link(path)
                .map(|t| format!(" (to {})", t.display()))
                .unwrap_or_default();
            anyhow::bail!(
                "the table lock {} is a symbolic link{to}, not a lock file kpiql batch made; \
                 kpiql batch never follows one and leaves the link and what it points to \
                 alone: remove the link if no kpiql batch is writing {}",
                path.display(),
                table
            );
        }
        Err(e) => {
            return Err(std::io::Error::from(e))
                .with_context(|| format!("cannot open the table lock {}", path.display()));
        }
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read the table lock {}", path.display()))?;
    // No name (0) is a file another run deleted as we opened it: the
    // caller sees the path changed and tries again.
    if !meta.is_file() || meta.nlink() > 1 {
        let what = if meta.is_file() {
            format!("a file with {} names (hard links)", meta.nlink())
        } else {
            "not a plain file".to_string()
        };
        anyhow::bail!(
            "the table lock {} is {what}, not a lock file kpiql batch made, and is left \
             alone: remove it if no kpiql batch is writing {}",
            path.display(),
            table
        );
    }
    Ok(file)
}

/// Whether `path` itself (not what a link there points to) is `file`.
fn names(path: &std::path::Path, file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(now), Ok(ours)) => now.dev() == ours.dev() && now.ino() == ours.ino(),
        _ => false,
    }
}

async fn acquire_remote(
    dest: &Destination,
    report: &str,
    run_id: &str,
) -> anyhow::Result<TableLock> {
    acquire_remote_expiring(dest, report, run_id, remote_expiry()).await
}

/// [`acquire_remote`] with a lock that expires after `expiry`.
async fn acquire_remote_expiring(
    dest: &Destination,
    report: &str,
    run_id: &str,
    expiry: chrono::Duration,
) -> anyhow::Result<TableLock> {
    let store = Arc::clone(&dest.store);
    let url = dest.url.join(&lock_name(report))?;
    let path = Path::from_url_path(url.path())?;
    let holder = Holder::new(run_id, Some(expiry));
    let body = || -> anyhow::Result<PutPayload> { Ok(serde_json::to_vec_pretty(&holder)?.into()) };
    let create = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    let put = store.put_opts(&path, body()?, create).await;
    let put = match put {
        Ok(result) => result,
        Err(object_store::Error::AlreadyExists { .. }) => {
            let current = store
                .get(&path)
                .await
                .with_context(|| format!("cannot read the table lock {url}"))?;
            let e_tag = current.meta.e_tag.clone();
            let version = current.meta.version.clone();
            let bytes = current.bytes().await?;
            let found: Option<Holder> = serde_json::from_slice(&bytes).ok();
            let expired = found
                .as_ref()
                .and_then(|h| h.expires_at)
                .is_some_and(|t| t <= Utc::now());
            if !expired {
                let who = found
                    .map(|h| h.describe())
                    .unwrap_or_else(|| "an unreadable lock".to_string());
                anyhow::bail!(
                    "{} is being written by another kpiql batch: {who} holds the lock {url}; \
                     one run writes a table at a time. If that run was killed, the lock \
                     frees itself when it expires (or delete {url})",
                    dest.table_url(report)?
                );
            }
            // Expired: take it over, but only from the version we read, so
            // two runs that both saw it expire cannot both take it.
            let table = dest.table_url(report)?;
            let update = PutOptions {
                mode: PutMode::Update(UpdateVersion { e_tag, version }),
                ..PutOptions::default()
            };
            store
                .put_opts(&path, body()?, update)
                .await
                .with_context(|| {
                    format!(
                        "the lock {url} has expired, but taking it over failed \
                         (another run may have taken it); delete {url} if no run is writing {table}"
                    )
                })?
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create the table lock {url}")),
    };
    let held = Held {
        e_tag: put.e_tag,
        version: put.version,
        expires_at: holder.expires_at.unwrap_or_else(|| Utc::now() + expiry),
        lost: None,
        failing: None,
    };
    let shared = Arc::new(Remote {
        store,
        path,
        url: url.to_string(),
        holder,
        expiry,
        held: tokio::sync::Mutex::new(held),
    });
    let renewal = Renewal::start(Arc::clone(&shared));
    Ok(TableLock::Remote(RemoteLock { shared, renewal }))
}

impl TableLock {
    /// Fails unless the lock is still ours and not expired: called right
    /// before publishing, so a run whose lock was taken over never
    /// publishes. Ours means the lock object still has the ETag of our
    /// last write (the acquiring put or the latest renewal).
    pub(crate) async fn check(&self) -> anyhow::Result<()> {
        let TableLock::Remote(RemoteLock { shared, .. }) = self else {
            return Ok(());
        };
        let url = &shared.url;
        let mut held = shared.held.lock().await;
        let refused = |why: &str| {
            anyhow::anyhow!(
                "this run lost the table lock {url} ({why}), so another run may be \
                 writing the table; not publishing: the table is left as it was"
            )
        };
        if let Some(why) = &held.lost {
            return Err(refused(why));
        }
        if held.expires_at <= Utc::now() {
            let why = match &held.failing {
                Some(e) => format!("it expired: renewing it failed: {e}"),
                None => "it expired".to_string(),
            };
            held.lost = Some(why.clone());
            return Err(refused(&why));
        }
        let current = match shared.store.get(&shared.path).await {
            Ok(current) => current,
            Err(object_store::Error::NotFound { .. }) => {
                held.lost = Some("deleted".to_string());
                return Err(refused("deleted"));
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the table lock {url}; not publishing"));
            }
        };
        let e_tag = current.meta.e_tag.clone();
        let bytes = current.bytes().await?;
        let found = serde_json::from_slice::<Holder>(&bytes).ok();
        let ours = match (&e_tag, &held.e_tag) {
            (Some(now), Some(ours)) => now == ours,
            // No ETags from the store: compare the holder instead.
            _ => found
                .as_ref()
                .is_some_and(|h| h.run_id == shared.holder.run_id),
        };
        if !ours {
            let why = match found {
                Some(h) => format!("taken over by {}", h.describe()),
                None => "overwritten with something unreadable".to_string(),
            };
            held.lost = Some(why.clone());
            return Err(refused(&why));
        }
        Ok(())
    }

    /// Gives the lock back. A local lock file is deleted, then closed,
    /// which releases the lock (a dying process's lock is released by the
    /// kernel; its file stays for the next run to reuse); an object-store
    /// lock's renewal is stopped and the lock deleted if it is still ours.
    pub(crate) async fn release(self) -> anyhow::Result<()> {
        match self {
            TableLock::Local { file, path } => {
                // Deleted while still locked: a run that opened it meanwhile
                // finds the path changed and tries again. Only if the path
                // still names our file: whatever else is there now is left.
                let removed = if names(&path, &file) {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove the table lock {}", path.display()))
                } else {
                    Ok(())
                };
                drop(file);
                removed
            }
            TableLock::Remote(RemoteLock {
                shared,
                mut renewal,
            }) => {
                renewal.stop().await;
                let held = shared.held.lock().await;
                if held.lost.is_some() {
                    return Ok(());
                }
                let (store, path, url) = (&shared.store, &shared.path, &shared.url);
                let current = match store.head(path).await {
                    Ok(meta) => meta,
                    Err(object_store::Error::NotFound { .. }) => return Ok(()),
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot read the lock {url}"));
                    }
                };
                let ours = match (&current.e_tag, &held.e_tag) {
                    (Some(a), Some(b)) => a == b,
                    // No ETags from the store: compare the holder instead.
                    _ => {
                        let bytes = store.get(path).await?.bytes().await?;
                        serde_json::from_slice::<Holder>(&bytes)
                            .is_ok_and(|h| h.run_id == shared.holder.run_id)
                    }
                };
                if ours {
                    store
                        .delete(path)
                        .await
                        .with_context(|| format!("cannot delete the lock {url}"))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    fn in_memory() -> Destination {
        Destination {
            url: url::Url::parse("s3://bucket/out/").expect("url"),
            local: None,
            store: Arc::new(InMemory::new()),
        }
    }

    fn lock_path() -> Path {
        Path::from("out/.team.lock")
    }

    /// Polls until the lock object's ETag is no longer `from`.
    async fn renewed(dest: &Destination, from: &Option<String>) -> Option<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = dest.store.head(&lock_path()).await.expect("lock").e_tag;
            if &now != from {
                return now;
            }
            assert!(std::time::Instant::now() < deadline, "never renewed");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    // guards: the check and the release compared the acquiring put's ETag,
    // so a renewed lock would be taken for lost and never deleted.
    #[tokio::test]
    async fn a_renewed_lock_is_still_ours_and_released() {
        let dest = in_memory();
        let expiry = chrono::Duration::seconds(2);
        let lock = acquire_remote_expiring(&dest, "team", "run-a", expiry)
            .await
            .expect("lock");
        let first = dest.store.head(&lock_path()).await.expect("lock").e_tag;
        let second = renewed(&dest, &first).await;
        renewed(&dest, &second).await;
        lock.check().await.expect("still ours");
        lock.release().await.expect("released");
        assert!(matches!(
            dest.store.head(&lock_path()).await,
            Err(object_store::Error::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn a_lock_taken_over_is_refused_and_left_to_its_new_holder() {
        let dest = in_memory();
        let expiry = chrono::Duration::seconds(2);
        let lock = acquire_remote_expiring(&dest, "team", "run-a", expiry)
            .await
            .expect("lock");
        let thief = serde_json::to_vec(&Holder::new("run-b", Some(expiry))).expect("json");
        dest.store
            .put(&lock_path(), thief.clone().into())
            .await
            .expect("steal");
        let err = lock.check().await.expect_err("lost");
        let text = format!("{err:#}");
        assert!(
            text.contains("lost the table lock s3://bucket/out/.team.lock")
                && text.contains("taken over by run run-b")
                && text.contains("not publishing"),
            "{text}"
        );
        lock.release().await.expect("released");
        let left = dest.store.get(&lock_path()).await.expect("kept");
        assert_eq!(left.bytes().await.expect("bytes").to_vec(), thief);
    }

    #[test]
    fn renewals_come_well_before_the_expiry() {
        assert_eq!(
            renewal_interval(REMOTE_EXPIRY),
            std::time::Duration::from_secs(15 * 60)
        );
    }
}
