//! What a scheduler or executor says, before it starts, about where it
//! listens (issue 30): one line naming its addresses, after a loud warning
//! when another machine can reach any of them.
//!
//! Ballista 55 has no authentication, and its servers speak plain gRPC:
//! `ballista.client.use_tls` only makes clients dial `https://`, and
//! neither the scheduler nor the executor can be given a certificate. So
//! whoever can open a connection to a scheduler submits jobs, and whoever
//! can reach an executor launches tasks and fetches shuffle partitions. A
//! task can read every file and bucket the executor can; results are the
//! rows of whatever it read. On loopback only this machine's users can
//! connect; anywhere else, only the network protects the cluster (DESIGN
//! §5 "Ballista cluster" says how to run it).

use std::net::SocketAddr;

/// Where the DESIGN says how to run a cluster safely.
const HOW_TO: &str = "docs/DESIGN.md, \"Ballista cluster\"";

/// Whether only this machine can connect to `addr` (`127.0.0.0/8`, `::1`,
/// and IPv4-mapped loopback).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// The addresses as text: `A` or `A and B`.
fn named(listens: &[(SocketAddr, &str)]) -> String {
    let parts: Vec<String> = listens
        .iter()
        .map(|(addr, what)| {
            if what.is_empty() {
                addr.to_string()
            } else {
                format!("{addr} ({what})")
            }
        })
        .collect();
    parts.join(" and ")
}

/// What `process` (`scheduler`, `executor`) prints on stderr before it
/// starts: a warning of several `WARNING:` lines when any of `listens`
/// (each address with what it serves) is not a loopback address, then the
/// line saying where it listens. `reach` says what a connection can do
/// there.
pub fn startup_lines(process: &str, listens: &[(SocketAddr, &str)], reach: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let exposed: Vec<(SocketAddr, &str)> = listens
        .iter()
        .filter(|(addr, _)| !is_loopback(addr))
        .copied()
        .collect();
    if !exposed.is_empty() {
        let where_ = if exposed.iter().any(|(a, _)| a.ip().is_unspecified()) {
            "every network this machine is on"
        } else {
            "that network"
        };
        lines.extend([
            format!(
                "WARNING: kpiql {process} listens on {}, not a loopback address: \
                 any machine on {where_} can connect.",
                named(&exposed)
            ),
            format!(
                "WARNING: Ballista has no authentication and no TLS: whoever connects can {reach}, \
                 reading any file and s3:// bucket the cluster can, and all of it travels in \
                 plain text."
            ),
            format!(
                "WARNING: run the cluster only on a private network behind a firewall that admits \
                 its own machines and clients alone, or bind 127.0.0.1 and reach it through an \
                 SSH tunnel ({HOW_TO})."
            ),
        ]);
    }
    let scope = if exposed.is_empty() {
        "loopback: this machine only"
    } else {
        "reachable from other machines, without authentication or TLS"
    };
    lines.push(format!(
        "kpiql {process} listening on {} ({scope})",
        named(listens)
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn loopback_is_this_machine_only() {
        for local in [
            "127.0.0.1:1",
            "127.3.2.1:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_loopback(&addr(local)), "{local}");
        }
        for open in [
            "0.0.0.0:1",
            "[::]:1",
            "10.0.0.5:1",
            "192.168.1.2:1",
            "[fe80::1]:1",
        ] {
            assert!(!is_loopback(&addr(open)), "{open}");
        }
    }

    #[test]
    fn only_an_address_others_reach_is_warned_about() {
        let quiet = startup_lines("scheduler", &[(addr("127.0.0.1:50050"), "")], "submit jobs");
        assert_eq!(
            quiet,
            ["kpiql scheduler listening on 127.0.0.1:50050 (loopback: this machine only)"]
        );
        let loud = startup_lines(
            "executor",
            &[
                (addr("0.0.0.0:50051"), "Flight"),
                (addr("0.0.0.0:50052"), "gRPC"),
            ],
            "launch tasks",
        );
        assert_eq!(loud.len(), 4, "{loud:#?}");
        assert!(loud[..3].iter().all(|l| l.starts_with("WARNING: ")));
        assert!(
            loud[0].contains("0.0.0.0:50051 (Flight) and 0.0.0.0:50052 (gRPC)")
                && loud[0].contains("every network"),
            "{}",
            loud[0]
        );
        assert!(
            loud[1].contains("no authentication and no TLS") && loud[1].contains("launch tasks")
        );
        assert!(loud[2].contains("SSH tunnel") && loud[2].contains(HOW_TO));
        assert!(loud[3].starts_with("kpiql executor listening on 0.0.0.0:50051 (Flight)"));
    }
}
