"""The Zendesk source on a generated Fivetran lake (issue 29): kpiql's
ticket_metrics against its DuckDB twin (bench/duckdb/zendesk_ticket_metrics.sql
through bench/zendesk_twin.py), then every preset report, each in a process
of its own, wall time and peak RSS (GNU time), median of --runs.

    python bench/zendesk.py --kpiql target/release/kpiql --lake DIR \
        [--threads 2] [--runs 3] [--now 2027-01-01T00:00:00Z] [--check]

Make the lake with `kpiql generate --source zendesk --rows 1000000 --out DIR`.
--check compares the two ticket_metrics results cell by cell. Standard
library only (the twin's own process needs duckdb: run this with the
duckdb virtualenv's python).
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = (
    "agent", "agent_satisfaction", "bots", "channels", "customers", "feedback",
    "knowledge_base", "management", "retention", "sla", "staffing", "team",
    "team_month",
)


def timed(cmd):
    """Runs cmd under GNU time: (seconds, peak RSS in MB, exit code, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        seconds, kb = open(t.name).read().split()[-2:]
    return float(seconds), int(kb) / 1024, proc.returncode, proc.stderr


def median_run(cmd, runs):
    results = [timed(cmd) for _ in range(runs)]
    code, err = results[-1][2], results[-1][3]
    return (
        statistics.median(r[0] for r in results),
        statistics.median(r[1] for r in results),
        code,
        err,
    )


def cells(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    def norm(v):
        try:
            return f"{float(v):.4f}"
        except ValueError:
            v = v.replace("T", " ").rstrip("Z")
            if "." in v:
                whole, frac = v.split(".", 1)
                v = f"{whole}.{frac.rstrip('0'):0<6}"
            return v
    return rows[0], {r[0]: [norm(v) for v in r] for r in rows[1:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kpiql", required=True)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--now", default="2027-01-01T00:00:00Z")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    out = tempfile.mkdtemp(prefix="kpiql-zendesk-bench-")
    base = [args.kpiql, "-q", "--threads", str(args.threads), "--source", "zendesk",
            "--data", args.lake]
    ours_csv = os.path.join(out, "kpiql.csv")
    twin_csv = os.path.join(out, "duckdb.csv")
    ours = median_run(base + ["report", "ticket_metrics", "--param", f"now={args.now}",
                              "--format", "csv", "--out", ours_csv], args.runs)
    twin = median_run([sys.executable, os.path.join(HERE, "zendesk_twin.py"), "--lake",
                       args.lake, "--now", args.now, "--threads", str(args.threads),
                       "--out", twin_csv], args.runs)
    if ours[2] != 0 or twin[2] != 0:
        sys.exit(f"ticket_metrics failed: kpiql {ours[3]} duckdb {twin[3]}")
    print(f"{'what':<28} {'kpiql s':>8} {'MB':>6} {'duckdb s':>9} {'MB':>6} {'ratio':>6}")
    print(f"{'ticket_metrics':<28} {ours[0]:>8.2f} {ours[1]:>6.0f} {twin[0]:>9.2f} "
          f"{twin[1]:>6.0f} {ours[0] / twin[0]:>6.2f}")
    if args.check:
        h1, a = cells(ours_csv)
        h2, b = cells(twin_csv)
        differ = sum(1 for k in a for x, y in zip(a[k], b.get(k, [])) if x != y)
        same = h1 == h2 and a.keys() == b.keys() and differ == 0
        print(f"check: {len(a)} tickets, {differ} cells differ" + ("" if same else "  MISMATCH"))
        if not same:
            sys.exit(1)
    for report in REPORTS:
        r = median_run(base + ["report", report, "--format", "csv", "--out",
                               os.path.join(out, f"{report}.csv")], args.runs)
        said = "" if r[2] == 0 else "  (refused: " + r[3].strip().splitlines()[-1][:90] + ")"
        print(f"{report:<28} {r[0]:>8.2f} {r[1]:>6.0f}{said}")


if __name__ == "__main__":
    main()
