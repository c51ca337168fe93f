//! Noticing a client that went away while its query runs.
//!
//! While a query plans or computes, pgwire reads nothing from the socket,
//! so a client that disconnects is noticed only when a row is written —
//! for an aggregation, minutes later, with the query's cores and memory
//! held all that time. PostgreSQL 14 answers this with
//! `client_connection_check_interval`: `poll(2)` for `POLLRDHUP`. kpiql
//! does the same, always on: one thread ([`Watcher`]) polls a duplicate of
//! every connection's socket for the peer's hang-up (`POLLRDHUP`, and
//! `POLLHUP`/`POLLERR`, which poll always reports). Those are level
//! conditions: data a client pipelined and pgwire has not read yet does
//! not wake the watcher, and a hang-up is seen however busy the query
//! runtime is. When one comes, the connection's [`Gone`] fires: its query
//! is cancelled and its task dropped, which drops DataFusion's streams and
//! their tasks.
//!
//! A connection registered meanwhile waits at most [`INTERVAL`] to be
//! watched, so a query is freed within that (plus the time its tasks take
//! to reach their next `await`).
//!
//! The same thread notices a client that stopped reading: every
//! [`INTERVAL`] it asks, without waiting, which sockets can take more
//! bytes (`POLLOUT`); one that could not for `--idle-timeout` in a row has
//! a full send buffer its client does not empty, and its connection is
//! dropped the same way, with the result pgwire holds for it.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

/// How often the watcher takes in new connections (and how long a poll
/// waits at most).
pub const INTERVAL: Duration = Duration::from_millis(200);

/// Why a connection is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The client hung up.
    HungUp,
    /// The client has not read what was sent to it for the idle timeout.
    StoppedReading,
}

/// One connection's "the client went away" signal.
#[derive(Debug, Default)]
pub struct Gone {
    fired: AtomicBool,
    stopped_reading: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Gone {
    /// Whether the client hung up.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// Resolves once the client hung up.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.fired() {
                return;
            }
            notified.await;
        }
    }

    /// Why it fired, once it has.
    pub fn why(&self) -> Option<Why> {
        self.fired().then(|| {
            if self.stopped_reading.load(Ordering::Acquire) {
                Why::StoppedReading
            } else {
                Why::HungUp
            }
        })
    }

    fn fire(&self, why: Why) {
        self.stopped_reading
            .store(why == Why::StoppedReading, Ordering::Release);
        self.fired.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }
}

/// A watched socket.
#[derive(Debug)]
struct Watched {
    /// A duplicate of the connection's socket (same open file, own number).
    fd: OwnedFd,
    gone: Arc<Gone>,
    /// Set when the connection ended by itself: stop watching.
    done: AtomicBool,
}

/// Keeps a socket watched; dropping it stops that.
#[derive(Debug)]
pub struct Watch(Arc<Watched>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Release);
    }
}

/// The one watcher thread of a server.
#[derive(Debug, Default)]
pub struct Watcher {
    new: Mutex<Vec<Arc<Watched>>>,
    started: OnceLock<()>,
    /// How long a socket may stay full before its client counts as gone
    /// (`None`: never).
    stall: Option<Duration>,
}

impl Watcher {
    /// A watcher that also gives up clients whose socket stays full for
    /// `stall`.
    pub fn new(stall: Option<Duration>) -> Watcher {
        Watcher {
            stall,
            ..Watcher::default()
        }
    }

    /// Watches `socket` until the returned [`Watch`] is dropped; `gone`
    /// fires if its peer hangs up first. `None` (and a warning) when the
    /// socket cannot be duplicated or the thread not started: the
    /// connection is served unwatched.
    pub fn watch(self: &Arc<Self>, socket: BorrowedFd<'_>, gone: Arc<Gone>) -> Option<Watch> {
        let fd = match socket.try_clone_to_owned() {
            Ok(fd) => fd,
            Err(e) => {
                log::warn!("cannot watch a connection for its client's hang-up: {e}");
                return None;
            }
        };
        if self.started.get().is_none() {
            let watcher = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("kpiql-hangups".into())
                .spawn(move || watcher.run());
            if let Err(e) = spawned {
                log::warn!("cannot watch connections for their clients' hang-ups: {e}");
                return None;
            }
            let _ = self.started.set(());
        }
        let watched = Arc::new(Watched {
            fd,
            gone,
            done: AtomicBool::new(false),
        });
        self.new
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&watched));
        Some(Watch(watched))
    }

    fn run(&self) {
        // Each socket, and since when it has been full.
        let mut watched: Vec<(Arc<Watched>, Option<Instant>)> = Vec::new();
        let interval = Timespec {
            tv_sec: 0,
            tv_nsec: INTERVAL.as_nanos() as _,
        };
        let mut sampled = Instant::now();
        loop {
            let new = std::mem::take(&mut *self.new.lock().unwrap_or_else(|e| e.into_inner()));
            watched.extend(new.into_iter().map(|w| (w, None)));
            watched.retain(|(w, _)| !w.done.load(Ordering::Acquire) && !w.gone.fired());
            if watched.is_empty() {
                std::thread::sleep(INTERVAL);
                continue;
            }
            let hung_up = events(&watched, PollFlags::RDHUP, Some(&interval));
            for ((w, _), hung_up) in watched.iter().zip(hung_up) {
                if hung_up.intersects(PollFlags::RDHUP | PollFlags::HUP | PollFlags::ERR) {
                    w.gone.fire(Why::HungUp);
                }
            }
            let Some(stall) = self.stall else { continue };
            if sampled.elapsed() < INTERVAL {
                continue;
            }
            sampled = Instant::now();
            let writable = events(
                &watched,
                PollFlags::OUT,
                Some(&Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                }),
            );
            for ((w, full_since), writable) in watched.iter_mut().zip(writable) {
                if writable.contains(PollFlags::OUT) {
                    *full_since = None;
                } else if full_since.get_or_insert(sampled).elapsed() >= stall {
                    w.gone.fire(Why::StoppedReading);
                }
            }
        }
    }
}

/// The events of each socket in `watched` among `wanted` (with `POLLHUP`
/// and `POLLERR`), waiting up to `timeout`; none where poll fails.
fn events(
    watched: &[(Arc<Watched>, Option<Instant>)],
    wanted: PollFlags,
    timeout: Option<&Timespec>,
) -> Vec<PollFlags> {
    let mut fds: Vec<PollFd<'_>> = watched
        .iter()
        .map(|(w, _)| PollFd::new(&w.fd, wanted))
        .collect();
    match poll(&mut fds, timeout) {
        Ok(_) => fds.iter().map(PollFd::revents).collect(),
        Err(e) => {
            if e != rustix::io::Errno::INTR {
                log::warn!("watching connections for hang-ups: {e}");
                std::thread::sleep(INTERVAL);
            }
            vec![PollFlags::empty(); watched.len()]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn a_hang_up_fires_and_pipelined_data_does_not() {
        let watcher = Arc::new(Watcher::new(None));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("test set-up");
        let mut client = std::net::TcpStream::connect(listener.local_addr().expect("test set-up"))
            .expect("test set-up");
        let (server, _) = listener.accept().expect("test set-up");
        let gone = Arc::new(Gone::default());
        let _watch = watcher
            .watch(server.as_fd(), Arc::clone(&gone))
            .expect("test set-up");
        // Unread data is not a hang-up: three intervals pass unfired.
        client.write_all(b"pipelined").expect("test set-up");
        std::thread::sleep(INTERVAL * 3);
        assert!(!gone.fired(), "unread data taken for a hang-up");
        drop(client);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !gone.fired() {
            assert!(std::time::Instant::now() < deadline, "hang-up not seen");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
