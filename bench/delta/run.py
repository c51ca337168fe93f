"""kpiql on a Delta lake against kpiql on the same lake as plain Parquet
(issue 25): every preset report's time and peak RSS on each, best of N
alternating runs, the two results compared byte for byte, and the cost of
opening each lake (`sql "SELECT 1"`: listing, the Delta log, every live
file's footer checked against the contract).

    target/duckdb-venv/bin/python bench/delta/run.py --kpiql target/release/kpiql \\
        --parquet /tmp/lake10m --delta /tmp/lake10m-delta --runs 3

Uses bench/run.py's parameter binding (so DuckDB's Python package, for the
latest full month). Exit 1 when any report differs between the lakes.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import run as bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kpiql", required=True)
    ap.add_argument("--parquet", required=True, help="the plain-Parquet lake")
    ap.add_argument("--delta", required=True, help="its Delta twin (write_lake.py)")
    ap.add_argument("--reports", default="all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--open-runs", type=int, default=40,
                    help="alternating runs of the opening (a few ms each: "
                         "more runs than a report's to see past the noise)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--time-zone", default="UTC", help="as bench/run.py's")
    args = ap.parse_args()
    args.param, args.fiscal_year_start_month = [], 1
    setattr(args, "from", None)
    args.to = None
    reports = bench.all_reports() if args.reports == "all" else args.reports.split(",")
    latest = bench.latest_full_month(args.parquet)
    differ = False
    print(f"{'report':<16} {'parquet s':>10} {'delta s':>9} {'ratio':>6} "
          f"{'parquet MiB':>12} {'delta MiB':>10} {'ratio':>6}")

    def best(argv_of, runs=args.runs):
        times = {"parquet": [], "delta": []}
        rss = {"parquet": [], "delta": []}
        outs = {}
        for run in range(runs):
            for kind in ("parquet", "delta"):
                out = os.path.join("/tmp", f"kpiql-delta-bench-{kind}.csv")
                wall, kib, code, err = bench.measure(argv_of(kind), out)
                if code != 0:
                    raise SystemExit(f"{kind}: exit {code}: {err}")
                times[kind].append(wall)
                rss[kind].append(kib)
                with open(out, "rb") as f:
                    outs[kind] = f.read()
        return times, rss, outs

    rows = []
    for report in reports:
        values = bench.bind(report, args, latest)

        def argv_of(kind, report=report, values=values):
            lake_args = argparse.Namespace(kpiql=args.kpiql, lake=getattr(args, kind),
                                           time_zone=args.time_zone)
            return bench.kpiql_argv(lake_args, report, values, args.threads)

        times, rss, outs = best(argv_of)
        same = outs["parquet"] == outs["delta"]
        differ |= not same
        rows.append((report, min(times["parquet"]), min(times["delta"]),
                     min(rss["parquet"]), min(rss["delta"]), same))
    for report, tp, td, rp, rd, same in rows:
        print(f"{report:<16} {tp:>10.2f} {td:>9.2f} {td / tp:>6.2f} "
              f"{bench.mib(rp):>12} {bench.mib(rd):>10} {rd / rp:>6.2f}"
              + ("" if same else "  RESULTS DIFFER"))

    def open_argv(kind):
        return [args.kpiql, "-q", "--data", getattr(args, kind), "--threads",
                str(args.threads), "sql", "SELECT 1"]

    times, rss, _ = best(open_argv, args.open_runs)
    tp, td = sorted(times["parquet"]), sorted(times["delta"])
    print(f"{'open (SELECT 1)':<16} {tp[0]:>10.3f} {td[0]:>9.3f} {td[0] / tp[0]:>6.2f} "
          f"{bench.mib(min(rss['parquet'])):>12} {bench.mib(min(rss['delta'])):>10}")
    mp, md = tp[len(tp) // 2], td[len(td) // 2]
    print(f"{'  its median':<16} {mp:>10.3f} {md:>9.3f} {md / mp:>6.2f}  "
          f"(of {args.open_runs} alternating runs)")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
