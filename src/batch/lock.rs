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
//!   it. The holder checks, right before it publishes, that the lock is
//!   still its own, and deletes it when done.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::Destination;

/// How long an object-store lock holds without its holder: a killed run
/// blocks its table this long at most. Publishing one report takes far
/// less; a run that still holds it past this is refused at publish.
pub const REMOTE_EXPIRY: chrono::Duration = chrono::Duration::hours(1);

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
    fn new(run_id: &str, expires: bool) -> Holder {
        let now = Utc::now();
        Holder {
            run_id: run_id.to_string(),
            pid: std::process::id(),
            host: host_name(),
            acquired_at: now,
            expires_at: expires.then(|| now + REMOTE_EXPIRY),
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
    /// The lock object and the ETag of our version of it.
    Remote {
        store: Arc<dyn ObjectStore>,
        path: Path,
        url: String,
        e_tag: Option<String>,
        run_id: String,
    },
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
    let holder = serde_json::to_vec_pretty(&Holder::new(run_id, false))?;
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
    let store = Arc::clone(&dest.store);
    let url = dest.url.join(&lock_name(report))?;
    let path = Path::from_url_path(url.path())?;
    let body = || -> anyhow::Result<PutPayload> {
        Ok(serde_json::to_vec_pretty(&Holder::new(run_id, true))?.into())
    };
    let create = PutOptions {
        mode: PutMode::Create,
        ..PutOptions::default()
    };
    let put = store.put_opts(&path, body()?, create).await;
    let e_tag = match put {
        Ok(result) => result.e_tag,
        Err(object_store::Error::AlreadyExists { .. }) => {
            let current = store
                .get(&path)
                .await
                .with_context(|| format!("cannot read the table lock {url}"))?;
            let e_tag = current.meta.e_tag.clone();
            let version = current.meta.version.clone();
            let bytes = current.bytes().await?;
            let holder: Option<Holder> = serde_json::from_slice(&bytes).ok();
            let expired = holder
                .as_ref()
                .and_then(|h| h.expires_at)
                .is_some_and(|t| t <= Utc::now());
            if !expired {
                let who = holder
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
                .e_tag
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create the table lock {url}")),
    };
    Ok(TableLock::Remote {
        store,
        path,
        url: url.to_string(),
        e_tag,
        run_id: run_id.to_string(),
    })
}

impl TableLock {
    /// Fails unless the lock is still ours and not expired: called right
    /// before publishing, so a run whose lock was taken over never publishes.
    pub(crate) async fn check(&self) -> anyhow::Result<()> {
        let TableLock::Remote {
            store,
            path,
            url,
            run_id,
            ..
        } = self
        else {
            return Ok(());
        };
        let bytes = store
            .get(path)
            .await
            .with_context(|| format!("the table lock {url} is gone; not publishing"))?
            .bytes()
            .await?;
        let holder: Holder = serde_json::from_slice(&bytes)
            .with_context(|| format!("the table lock {url} is unreadable; not publishing"))?;
        if &holder.run_id != run_id {
            anyhow::bail!(
                "the table lock {url} was taken over by {}; not publishing",
                holder.describe()
            );
        }
        if holder.expires_at.is_some_and(|t| t <= Utc::now()) {
            anyhow::bail!("the table lock {url} expired while this run held it; not publishing");
        }
        Ok(())
    }

    /// Gives the lock back. A local lock file is deleted, then closed,
    /// which releases the lock (a dying process's lock is released by the
    /// kernel; its file stays for the next run to reuse); an object-store
    /// lock is deleted if it is still ours.
    pub(crate) async fn release(self) -> anyhow::Result<()> {
        if let TableLock::Local { file, path } = self {
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
            return removed;
        }
        if let TableLock::Remote {
            store,
            path,
            url,
            e_tag,
            run_id,
        } = self
        {
            let current = match store.head(&path).await {
                Ok(meta) => meta,
                Err(object_store::Error::NotFound { .. }) => return Ok(()),
                Err(e) => return Err(e).with_context(|| format!("cannot read the lock {url}")),
            };
            let ours = match (&current.e_tag, &e_tag) {
                (Some(a), Some(b)) => a == b,
                // No ETags from the store: compare the holder instead.
                _ => {
                    let bytes = store.get(&path).await?.bytes().await?;
                    serde_json::from_slice::<Holder>(&bytes).is_ok_and(|h| h.run_id == run_id)
                }
            };
            if ours {
                store
                    .delete(&path)
                    .await
                    .with_context(|| format!("cannot delete the lock {url}"))?;
            }
        }
        Ok(())
    }
}
