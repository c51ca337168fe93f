#!/usr/bin/env python3
"""kpiql in-process against kpiql on a Ballista cluster on this machine
(issue 17): wall time of each report and peak RSS of every process.

For each report and each setup, fresh processes: the in-process run is one
`kpiql report`; a cluster run starts `kpiql scheduler` and the executors,
waits until the scheduler has registered them, times the client's
`kpiql --cluster ... report`, then stops the cluster and reads each
process's peak resident set from `wait4`. The cluster's results are
compared with the in-process run's, byte for byte (CSV).

    python3 bench/cluster.py --kpiql target/release/kpiql --lake /tmp/lake100m

runs every preset report (queries/reports/) on one executor with two task
slots and on two executors with one each (--tasks 2 --executors 1,2); the
shuffle is the bytes the executors wrote to their work folders, also as a
share of the lake's bytes.

Standard library only. Exit status 0 when every cluster result equals the
in-process one, 1 otherwise, 2 when a run failed.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port_pair():
    """A port p with p + 1 free too (an executor listens on both)."""
    for _ in range(100):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no two free ports in a row")


def reap(proc):
    """Stops `proc` (SIGTERM, then SIGKILL) and returns its peak RSS in MiB."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    while True:
        pid, _status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = 0
            return usage.ru_maxrss / 1024
        if time.time() > deadline:
            proc.kill()
            _pid, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            return usage.ru_maxrss / 1024
        time.sleep(0.05)


def run_client(args, out_path):
    """Runs a kpiql client; returns (seconds, peak RSS MiB, exit code)."""
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        start = time.time()
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.time() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def start_cluster(kpiql, executors, tasks, logs, work):
    port = free_port_pair()
    slog = open(os.path.join(logs, "scheduler.log"), "wb")
    scheduler = subprocess.Popen(
        [kpiql, "scheduler", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=slog,
    )
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                raise RuntimeError("the scheduler did not listen")
            time.sleep(0.05)
    procs = []
    for n in range(executors):
        own = free_port_pair()
        elog = open(os.path.join(logs, f"executor{n}.log"), "wb")
        wd = os.path.join(work, f"executor{n}")
        os.makedirs(wd, exist_ok=True)
        procs.append(
            subprocess.Popen(
                [kpiql, "executor", "--scheduler", f"127.0.0.1:{port}",
                 "--bind", f"127.0.0.1:{own}", "--concurrent-tasks", str(tasks),
                 "--work-dir", wd],
                stdout=subprocess.DEVNULL,
                stderr=elog,
            )
        )
    while True:
        with open(os.path.join(logs, "scheduler.log"), "rb") as f:
            seen = f.read().count(b"Received register executor request")
        if seen >= executors:
            break
        if time.time() > deadline:
            raise RuntimeError("the executors did not register")
        time.sleep(0.05)
    return f"df://127.0.0.1:{port}", scheduler, procs


REPORTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "queries", "reports")


def all_reports():
    return ",".join(sorted(f[:-4] for f in os.listdir(REPORTS) if f.endswith(".sql")))


def tree_bytes(path):
    """Bytes of the files under `path` (an executor's shuffle files)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def stages_and_tasks(logs):
    """Stages and tasks the executors ran, from their logs ("Execute task
    : [TID job/stage.attempt/partition...]")."""
    stages, tasks = set(), 0
    for name in os.listdir(logs):
        if name.startswith("executor") and name.endswith(".log"):
            with open(os.path.join(logs, name), "rb") as f:
                for m in re.finditer(rb"Execute task\s*: \[TID (\w+)/(\d+)\.", f.read()):
                    stages.add((m.group(1), m.group(2)))
                    tasks += 1
    return len(stages), tasks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kpiql", required=True)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--reports", default=None, help="comma-separated (default: all)")
    ap.add_argument("--tasks", type=int, default=os.cpu_count(),
                    help="task slots in all, split over the executors (default: one per core)")
    ap.add_argument("--executors", default="1,2",
                    help="cluster sizes to run (default 1,2)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads of the in-process run and of the client")
    args = ap.parse_args()
    reports = args.reports or all_reports()
    lake_mib = tree_bytes(args.lake) / 2**20

    rows = []
    failed = differed = False
    with tempfile.TemporaryDirectory(prefix="kpiql-cluster-bench-") as tmp:
        for report in reports.split(","):
            base = [args.kpiql, "-q", "--data", args.lake, "--threads", str(args.threads)]
            here = os.path.join(tmp, f"{report}.inprocess.csv")
            secs, rss, code = run_client(base + ["report", report, "--format", "csv"], here)
            if code != 0:
                failed = True
                print(f"{report} in-process failed: {open(here + '.err').read()}", file=sys.stderr)
                continue
            rows.append((report, "in-process", secs, rss, None, [], None, None, "-"))
            print(f"{report}: in-process {secs:.2f} s", file=sys.stderr)
            for executors in [int(n) for n in args.executors.split(",")]:
                logs = os.path.join(tmp, f"{report}-{executors}")
                os.makedirs(logs)
                per = max(1, args.tasks // executors)
                url, scheduler, procs = start_cluster(args.kpiql, executors, per, logs, logs)
                there = os.path.join(tmp, f"{report}.{executors}.csv")
                try:
                    secs, rss, code = run_client(
                        base + ["--cluster", url, "--cluster-timeout", "2h",
                                "report", report, "--format", "csv"],
                        there,
                    )
                    shuffled = tree_bytes(logs) / 2**20
                    work = stages_and_tasks(logs)
                finally:
                    executor_rss = [reap(p) for p in procs]
                    scheduler_rss = reap(scheduler)
                if code != 0:
                    failed = True
                    print(f"{report} on {executors} executor(s) failed: "
                          f"{open(there + '.err').read()}", file=sys.stderr)
                    continue
                same = open(here, "rb").read() == open(there, "rb").read()
                differed |= not same
                setup = f"{executors} x {per} task{'s' if per > 1 else ''}"
                rows.append((report, setup, secs, rss, scheduler_rss, executor_rss,
                             shuffled, work, "equal" if same else "DIFFERS"))
                print(f"{report}: {setup} {secs:.2f} s", file=sys.stderr)

    print(f"lake {args.lake}: {lake_mib:.0f} MiB")
    print("report              setup          time s  / in-process  client RSS  scheduler RSS  executor RSS           shuffle  of lake  stages/tasks  result")
    print("------------------  -------------  ------  ------------  ----------  -------------  -------------------  ---------  -------  ------------  ------")
    base_secs = {}
    for report, setup, secs, rss, srss, erss, shuffled, work, result in rows:
        s = f"{srss:.0f} MiB" if srss is not None else "-"
        e = " + ".join(f"{r:.0f}" for r in erss) + " MiB" if erss else "-"
        sh = f"{shuffled:.1f} MiB" if shuffled is not None else "-"
        share = f"{100 * shuffled / lake_mib:.1f} %" if shuffled is not None and lake_mib else "-"
        w = f"{work[0]}/{work[1]}" if work else "-"
        if setup == "in-process":
            base_secs[report] = secs
        ratio = f"{secs / base_secs[report]:.2f}x" if report in base_secs and setup != "in-process" else "-"
        print(f"{report:<18}  {setup:<13}  {secs:6.2f}  {ratio:>12}  {rss:6.0f} MiB  {s:>13}  {e:<19}  {sh:>9}  {share:>7}  {w:>12}  {result}")
    sys.exit(2 if failed else 1 if differed else 0)


if __name__ == "__main__":
    main()
