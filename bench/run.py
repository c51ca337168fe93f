"""kpiql against DuckDB on the preset reports (issue 11).

    python bench/run.py --kpiql target/release/kpiql --lake DIR \
        [--reports all|a,b] [--runs N] [--threads T] [--check] \
        [--from DATE --to DATE] [--fiscal-year-start-month M] [--param k=v ...]

For each report of queries/reports/ it runs kpiql (`kpiql -q --data LAKE
--threads T report R --from .. --to .. --param k=v ... --format csv`) and its
DuckDB twin (bench/duckdb/R.sql through bench/duckdb_runner.py, `SET threads
= T`) as separate processes with the same parameters, every parameter given
explicitly so that neither side computes a default. The engines alternate
run by run; each report's time is the best of --runs wall times of the whole
process, its memory the largest peak RSS (wait4's ru_maxrss) of those runs.
The results are compared cell by cell: the same columns in the same order,
the same rows after sorting, numbers equal as decimals after the rounding the
report applies to the column (`round(x, N) AS col` in its SQL), -0 equal to
0, NaN equal only to NaN, NULL (an empty CSV field) only to NULL. Every
differing row is printed.

--check: one run of each engine, equality only (what `cargo test` runs).
Exit status: 0 when every report agreed, 1 when any differed, 2 when an
engine failed.

The period, unless --from/--to give it: the latest full month of the data
(the month of the newest interactions.created_at when that is the month's
last day, else the month before, as kpiql's defaults) for the monthly
reports; for the reports whose $start defaults to the fiscal year start
(management, team_month), from the start of that month's fiscal year
(--fiscal-year-start-month, default 1) to the month's end. Other parameters
take the default written in the report's header unless --param sets them.
Standard library and duckdb only.
"""

import argparse
import csv
import datetime as dt
import decimal
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter

decimal.getcontext().prec = 60  # quantize() must not run out of digits

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import duckdb_runner  # noqa: E402  (bench/duckdb_runner.py, beside this file)

REPORTS = duckdb_runner.REPORTS
TWINS = duckdb_runner.TWINS


# --- reports and their parameters -------------------------------------------


def header_params(report):
    """[(name, type, default)] of the kpiql report's `@param` lines."""
    params = []
    for line in duckdb_runner.sql_text(os.path.join(REPORTS, report + ".sql")).splitlines():
        m = re.match(r"--\s*@param\s+(\w+)\s+(\S+)\s+(\S+)", line)
        if m:
            params.append(m.groups())
    return params


def roundings(report):
    """column -> decimals, for the columns the report's SQL rounds."""
    text = duckdb_runner.sql_text(os.path.join(REPORTS, report + ".sql"))
    return {
        m.group(2): int(m.group(1))
        for m in re.finditer(r"round\(.*,\s*(\d+)\)\s+AS\s+(\w+)", text, re.IGNORECASE)
    }


def unchecked(report):
    """column -> reason, for the columns the twin cannot compute
    (`-- @unchecked COLUMN: reason` in bench/duckdb/REPORT.sql): present in
    both outputs, not compared (their tests are elsewhere, named in the
    reason)."""
    text = duckdb_runner.sql_text(os.path.join(TWINS, report + ".sql"))
    return {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^--\s*@unchecked\s+(\w+):(.*)$", text, re.MULTILINE)
    }


def all_reports():
    kpiql = sorted(f[:-4] for f in os.listdir(REPORTS) if f.endswith(".sql"))
    missing = [r for r in kpiql if not os.path.isfile(os.path.join(TWINS, r + ".sql"))]
    if missing:
        raise SystemExit(f"no DuckDB twin bench/duckdb/<report>.sql for: {', '.join(missing)}")
    return kpiql


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def latest_full_month(lake, zone="UTC"):
    """First day of the latest full month of interactions in `zone` (kpiql's
    rule)."""
    from zoneinfo import ZoneInfo

    con = duckdb_runner.connect(lake, calendars=False)
    (newest,) = con.execute("SELECT max(created_at) FROM interactions").fetchone()
    if newest is None:
        raise SystemExit("the lake has no interactions: give --from and --to")
    last = newest.astimezone(dt.timezone.utc if zone == "UTC" else ZoneInfo(zone)).date()
    month = last.replace(day=1)
    return month if (last + dt.timedelta(days=1)).day == 1 else add_months(month, -1)


def bind(report, args, latest):
    """The report's parameters, every one explicit: {name: text}."""
    given = dict(p.split("=", 1) for p in args.param)
    params = header_params(report)
    names = {name for name, _, _ in params}
    fiscal = int(given.get("fiscal_year_start_month", args.fiscal_year_start_month))
    values = {}
    for name, _, default in params:
        if name in given:
            values[name] = given[name]
        elif name == "fiscal_year_start_month":
            values[name] = str(fiscal)
        elif name in ("start", "end") and getattr(args, "from" if name == "start" else "to"):
            values[name] = getattr(args, "from" if name == "start" else "to")
        elif default == "latest_full_month_start":
            values[name] = latest.isoformat()
        elif default == "latest_full_month_end":
            values[name] = add_months(latest, 1).isoformat()
        elif default == "fiscal_year_start":
            values[name] = add_months(latest, -((latest.month + 12 - fiscal) % 12)).isoformat()
        elif default == "-":
            raise SystemExit(f"report {report} needs --param {name}=...")
        else:
            values[name] = default
    return {k: v for k, v in values.items() if k in names}


# --- running the engines ----------------------------------------------------


def measure(argv, out_path=None):
    """Runs argv; returns (wall seconds, peak RSS KiB, exit code, stderr)."""
    with tempfile.TemporaryFile() as err:
        out = open(out_path, "wb") if out_path else subprocess.DEVNULL
        try:
            started = time.perf_counter()
            child = subprocess.Popen(argv, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if out_path:
                out.close()
        err.seek(0)
        return wall, usage.ru_maxrss, child.returncode, err.read().decode(errors="replace")


def kpiql_argv(args, report, values, threads, memory_limit=None):
    argv = [args.kpiql, "-q", "--data", args.lake, "--threads", str(threads), "--time-zone", args.time_zone]
    if memory_limit:
        argv += ["--memory-limit", memory_limit]
    argv += ["report", report]
    for name, value in values.items():
        if name == "start":
            argv += ["--from", value]
        elif name == "end":
            argv += ["--to", value]
        else:
            argv += ["--param", f"{name}={value}"]
    return argv + ["--format", "csv"]


def duckdb_argv(args, report, values, threads, out):
    argv = [sys.executable, os.path.join(HERE, "duckdb_runner.py"), "--lake", args.lake,
            "--report", report, "--threads", str(threads), "--out", out, "--time-zone", args.time_zone]
    for name, value in values.items():
        argv += ["--param", f"{name}={value}"]
    return argv


# --- comparing results ------------------------------------------------------


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def cell(text, decimals):
    """A CSV field as a comparable, sortable value: (kind, value)."""
    if text == "":
        return (0, "NULL")
    try:
        number = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        return (3, text)
    if number.is_nan():
        return (1, "NaN")
    if number.is_infinite():
        return (2, "-inf" if number < 0 else "inf")
    if decimals is not None:
        number = number.quantize(decimal.Decimal(1).scaleb(-decimals), rounding=decimal.ROUND_HALF_EVEN)
    if number == 0:
        number = abs(number)  # -0.0 is 0.0
    return (4, number.normalize())


def shown(value):
    kind, v = value
    return format(v, "f") if kind == 4 else str(v)


def compare(report, kpiql_csv, duckdb_csv):
    """Lines describing every difference; empty when the results agree."""
    k_head, k_rows = read_csv(kpiql_csv)
    d_head, d_rows = read_csv(duckdb_csv)
    if k_head != d_head:
        return [f"columns differ:\n    kpiql:  {k_head}\n    DuckDB: {d_head}"]
    digits = roundings(report)
    skip = unchecked(report)
    norm = lambda row: tuple(  # noqa: E731
        (5, "not compared") if c in skip else cell(t, digits.get(c)) for c, t in zip(k_head, row)
    )
    k, d = Counter(map(norm, k_rows)), Counter(map(norm, d_rows))
    only_k, only_d = sorted((k - d).elements()), sorted((d - k).elements())
    if not only_k and not only_d:
        return []
    lines = [f"{len(k_rows)} rows from kpiql, {len(d_rows)} from DuckDB; "
             f"{len(only_k)} only in kpiql, {len(only_d)} only in DuckDB"]
    # Pair rows with the same first column (the report's key) to name the
    # differing cells; print the rest whole.
    by_key = {}
    for row in only_d:
        by_key.setdefault(row[0], []).append(row)
    for row in only_k:
        twins = by_key.get(row[0])
        if twins:
            other = twins.pop(0)
            cells = ", ".join(
                f"{c}: kpiql {shown(a)} / DuckDB {shown(b)}"
                for c, a, b in zip(k_head, row, other) if a != b)
            lines.append(f"  {k_head[0]}={shown(row[0])}: {cells}")
        else:
            lines.append("  only in kpiql:  " + ",".join(map(shown, row)))
    for rows in by_key.values():
        for row in rows:
            lines.append("  only in DuckDB: " + ",".join(map(shown, row)))
    return lines


# --- the table --------------------------------------------------------------


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="kpiql against DuckDB on the preset reports: time, peak memory, equal results.",
        epilog="See bench/README.md.")
    ap.add_argument("--kpiql", required=True, help="the kpiql binary (a release build for timings)")
    ap.add_argument("--lake", required=True, help="a local lake folder (e.g. from `kpiql generate`)")
    ap.add_argument("--reports", default="all", help="all, or report names separated by commas")
    ap.add_argument("--runs", type=int, default=3, help="runs of each engine; the best time counts (default 3)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both engines (default: the CPUs)")
    ap.add_argument("--check", action="store_true", help="one run each, compare results only")
    ap.add_argument("--from", dest="from", help="$start for every report (default: from the data)")
    ap.add_argument("--to", help="$end for every report (default: from the data)")
    ap.add_argument("--fiscal-year-start-month", type=int, default=1, help="1-12 (default 1)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a report parameter, given to every report that has it")
    ap.add_argument("--time-zone", default="UTC", metavar="ZONE",
                    help="the report time zone for both engines (kpiql --time-zone, DuckDB SET TimeZone; "
                         "default UTC): periods given or defaulted are its dates")
    ap.add_argument("--memory-limit", metavar="SIZE",
                    help="also run kpiql with --memory-limit SIZE: its time, peak RSS, the "
                         "limited/unbounded time ratio, and its result compared with the unbounded one")
    args = ap.parse_args(argv)
    args.lake = os.path.abspath(args.lake)
    args.kpiql = os.path.abspath(args.kpiql)
    runs = 1 if args.check else max(1, args.runs)

    reports = all_reports() if args.reports == "all" else [r.strip() for r in args.reports.split(",")]
    for r in reports:
        if not os.path.isfile(os.path.join(REPORTS, r + ".sql")):
            raise SystemExit(f"no report {r!r} in queries/reports/")
        if not os.path.isfile(os.path.join(TWINS, r + ".sql")):
            raise SystemExit(f"no DuckDB twin bench/duckdb/{r}.sql")

    latest = latest_full_month(args.lake, args.time_zone) if not (args.__dict__["from"] and args.to) else None
    print(f"lake {args.lake}; kpiql {args.kpiql}; threads {args.threads}; time zone {args.time_zone}; "
          f"{'check (1 run each)' if args.check else f'best of {runs} runs'}")
    if latest:
        print(f"latest full month of the data: {latest:%Y-%m}")

    results, differed, failed = [], False, False
    with tempfile.TemporaryDirectory(prefix="kpiql-bench-") as tmp:
        for report in reports:
            values = bind(report, args, latest)
            print(f"\n{report}: " + " ".join(f"{k}={v}" for k, v in values.items()), flush=True)
            k_out, d_out = os.path.join(tmp, report + ".kpiql.csv"), os.path.join(tmp, report + ".duckdb.csv")
            k_argv = kpiql_argv(args, report, values, args.threads)
            d_argv = duckdb_argv(args, report, values, args.threads, d_out)
            times = {"kpiql": [], "duckdb": [], "limited": []}
            rss = {"kpiql": 0, "duckdb": 0, "limited": 0}
            error = None
            l_out = os.path.join(tmp, report + ".limited.csv")
            l_argv = kpiql_argv(args, report, values, args.threads, args.memory_limit) if args.memory_limit else None
            for i in range(runs):
                order = [("kpiql", k_argv, k_out), ("duckdb", d_argv, None)]
                if l_argv:
                    order.append(("limited", l_argv, l_out))
                for engine, cmd, out in order if i % 2 == 0 else order[::-1]:
                    wall, peak, code, err = measure(cmd, out)
                    if code != 0:
                        error = f"{engine} failed (exit {code}): {' '.join(cmd)}\n{err.strip()}"
                        break
                    times[engine].append(wall)
                    rss[engine] = max(rss[engine], peak)
                if error:
                    break
            if error:
                print("  " + error.replace("\n", "\n  "))
                failed = True
                results.append((report, None, None, None, None, "FAILED", None))
                continue
            diff = compare(report, k_out, d_out)
            if l_argv:
                with open(k_out, "rb") as a, open(l_out, "rb") as b:
                    if a.read() != b.read():
                        diff.append(f"kpiql with --memory-limit {args.memory_limit} differs from kpiql unbounded")
            verdict = "equal" if not diff else "DIFFERENT"
            if diff:
                differed = True
                print("  results differ:\n  " + "\n  ".join(diff))
            else:
                print("  results equal")
                for column, reason in unchecked(report).items():
                    print(f"  ({column} not compared: {reason})")
            limited = (min(times["limited"]), rss["limited"]) if l_argv else None
            results.append((report, min(times["kpiql"]), min(times["duckdb"]), rss["kpiql"], rss["duckdb"], verdict,
                            limited))

    print()
    head = ("report", "kpiql s", "DuckDB s", "ratio", "kpiql peak RSS", "DuckDB peak RSS")
    if args.memory_limit:
        head += ("limited s", "limited/unbounded", "limited peak RSS")
    head += ("result",)
    table = [head]
    ratios, limited_ratios = [], []
    for report, k, d, kr, dr, verdict, limited in results:
        if k is None:
            table.append((report,) + ("-",) * (len(head) - 2) + (verdict,))
            continue
        ratio = k / d if d > 0 else math.inf
        ratios.append(ratio)
        row = (report, f"{k:.3f}", f"{d:.3f}", f"{ratio:.2f}", mib(kr), mib(dr))
        if limited:
            lt, lr = limited
            limited_ratios.append(lt / k if k > 0 else math.inf)
            row += (f"{lt:.3f}", f"{lt / k:.2f}", mib(lr))
        table.append(row + (verdict,))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for n, row in enumerate(table):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row[:-1], widths))]
        print("  ".join(cells + [row[-1]]))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"\ngeometric mean of ratios (kpiql s / DuckDB s; below 1 = kpiql faster): {geo:.2f}")
    if limited_ratios:
        print(f"with --memory-limit {args.memory_limit}: largest limited/unbounded time {max(limited_ratios):.2f}")
    if failed:
        return 2
    return 1 if differed else 0


if __name__ == "__main__":
    sys.exit(main())
