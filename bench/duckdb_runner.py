"""Runs one DuckDB twin of a kpiql report (bench/duckdb/<report>.sql) and
writes its result as CSV: the DuckDB side of bench/run.py, in a process of
its own so that its wall time and peak memory are measured like kpiql's.

    python bench/duckdb_runner.py --lake DIR --report NAME --threads T \
        --out FILE.csv [--param name=value ...]

Parameters are typed by the kpiql report's header (`-- @param NAME TYPE ...`
in queries/reports/NAME.sql) and bound as DuckDB named parameters, so `$end`
is a TIMESTAMPTZ, `$top` a BIGINT, a target a DOUBLE, as kpiql binds them.
Standard library and duckdb only.
"""

import argparse
import datetime as dt
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TWINS = os.path.join(HERE, "duckdb")
REPORTS = os.path.join(ROOT, "queries", "reports")

# The canonical schema of each optional table (DESIGN §1), for a lake that
# lacks it: kpiql registers it empty with this schema.
EMPTY = {
    "agent_states": "(SELECT NULL::VARCHAR AS agent_id, NULL::VARCHAR AS team, "
    "NULL::VARCHAR AS state, NULL::TIMESTAMPTZ AS started_at, "
    "NULL::DOUBLE AS seconds WHERE false)",
    "costs": "(SELECT NULL::DATE AS month, NULL::VARCHAR AS team, "
    "NULL::DECIMAL(18, 2) AS amount, NULL::VARCHAR AS currency WHERE false)",
}
TABLES = ("interactions", "surveys", "agent_states", "costs")


def sql_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def source(lake, table):
    """Where `table` is in `lake`, as a DuckDB FROM item (DESIGN §1)."""
    folder = os.path.join(lake, table)
    single = os.path.join(lake, table + ".parquet")
    if os.path.isdir(folder) and os.path.isfile(single):
        raise SystemExit(f"{table}: both {folder}/ and {single} exist (kpiql refuses this too)")
    if os.path.isdir(folder):
        glob = os.path.join(folder, "**", "*.parquet")
        return f"read_parquet({quote(glob)}, union_by_name = true, hive_partitioning = false)"
    if os.path.isfile(single):
        return f"read_parquet({quote(single)}, hive_partitioning = false)"
    if table in EMPTY:
        return EMPTY[table]
    raise SystemExit(f"the lake has no {table} table: neither {folder}/ nor {single}")


def connect(lake, threads=None):
    """A DuckDB connection with the lake's tables and the tickets view."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET TimeZone = 'UTC'")
    views = sql_text(os.path.join(TWINS, "views.sql"))
    for table in TABLES:
        views = views.replace("{" + table + "}", source(lake, table))
    for statement in split_statements(views):
        con.execute(statement)
    return con


def split_statements(text):
    """The statements of a file of ours (no `;` inside strings or comments)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def param_types(report):
    """NAME -> TYPE of the kpiql report's `@param` header lines."""
    types = {}
    for line in sql_text(os.path.join(REPORTS, report + ".sql")).splitlines():
        m = re.match(r"--\s*@param\s+(\w+)\s+(\w+)\s", line)
        if m:
            types[m.group(1)] = m.group(2)
    return types


def parse_instant(text):
    """YYYY-MM-DD, YYYY-MM or ISO 8601 as an aware UTC datetime (a time
    without a zone is UTC, as in kpiql)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def typed(ty, text):
    if ty == "timestamp":
        return parse_instant(text)
    if ty == "date":
        return dt.date.fromisoformat(text.strip())
    if ty == "int":
        return int(text)
    if ty == "float":
        return float(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args(argv)

    types = param_types(args.report)
    query = sql_text(os.path.join(TWINS, args.report + ".sql")).strip().rstrip(";")
    code = "\n".join(line.split("--")[0] for line in query.splitlines())
    used = set(re.findall(r"\$(\w+)", code))
    params = {}
    for item in args.param:
        name, _, value = item.partition("=")
        if name not in types:
            raise SystemExit(f"report {args.report} has no parameter {name!r}")
        if name in used:  # DuckDB refuses a named parameter the query lacks
            params[name] = typed(types[name], value)
    missing = used - set(params)
    if missing:
        raise SystemExit(f"no value for {', '.join(sorted(missing))}")

    con = connect(args.lake, args.threads)
    # The query ends on a line of its own: a trailing comment cannot eat
    # the closing parenthesis.
    con.execute(f"COPY (\n{query}\n) TO {quote(args.out)} (FORMAT csv, HEADER)", params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
