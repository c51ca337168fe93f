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
import math
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
    "business_hours": "(SELECT NULL::VARCHAR AS calendar_id, NULL::VARCHAR AS time_zone, "
    "NULL::INTEGER AS weekday, NULL::INTEGER AS open_minute, NULL::INTEGER AS close_minute, "
    "NULL::DATE AS valid_from WHERE false)",
    "holidays": "(SELECT NULL::VARCHAR AS calendar_id, NULL::DATE AS date, "
    "NULL::VARCHAR AS name WHERE false)",
    "teams": "(SELECT NULL::VARCHAR AS team, NULL::VARCHAR AS calendar_id WHERE false)",
    "agent_surveys": "(SELECT NULL::VARCHAR AS survey_id, NULL::VARCHAR AS agent_id, "
    "NULL::VARCHAR AS team, NULL::VARCHAR AS kind, NULL::INTEGER AS score, "
    "NULL::TIMESTAMPTZ AS submitted_at, NULL::VARCHAR AS comment WHERE false)",
    "customers": "(SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS segment, "
    "NULL::DATE AS since, NULL::DATE AS churned_at WHERE false)",
    "kb_views": "(SELECT NULL::VARCHAR AS view_id, NULL::VARCHAR AS article_id, "
    "NULL::VARCHAR AS customer_id, NULL::VARCHAR AS session_id, "
    "NULL::TIMESTAMPTZ AS viewed_at, NULL::DOUBLE AS read_seconds, "
    "NULL::BOOLEAN AS helpful WHERE false)",
    "kb_articles": "(SELECT NULL::VARCHAR AS article_id, NULL::VARCHAR AS title, "
    "NULL::VARCHAR AS category WHERE false)",
}
# Nullable columns added to a table after lakes were written: views.sql
# names them {table.column}.
OPTIONAL_COLUMNS = {"interactions": ("bot",)}
TABLES = (
    "interactions",
    "surveys",
    "agent_states",
    "costs",
    "business_hours",
    "holidays",
    "teams",
    "agent_surveys",
    "customers",
    "kb_views",
    "kb_articles",
)


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


def connect(lake, threads=None, calendars=True, zone="UTC"):
    """A DuckDB connection with the lake's tables and the tickets view, and
    the calendars expanded into biz_intervals when `calendars` (only the
    twins that measure business time need them). The session TimeZone is
    `zone`, the report time zone: date_trunc, date_part and casts to DATE
    of TIMESTAMPTZ values are its months, days and hours."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET TimeZone = {quote(zone)}")
    views = sql_text(os.path.join(TWINS, "views.sql"))
    for table in TABLES:
        where = source(lake, table)
        views = views.replace("{" + table + "}", where)
        for column in OPTIONAL_COLUMNS.get(table, ()):
            # A nullable column no file has reads as NULL (DESIGN §1).
            have = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {where}").fetchall()}
            views = views.replace("{" + table + "." + column + "}", column if column in have else "NULL")
    statements = split_statements(views)
    # biz_intervals must exist before the macros that read it are created.
    con.execute(
        "CREATE TABLE biz_intervals (calendar_id VARCHAR, s BIGINT, e BIGINT, before BIGINT)"
    )
    for statement in statements:
        con.execute(statement)
    if calendars:
        expand_calendars(con)
    return con


UTC = dt.timezone.utc


def local_instant(zone, day, minute):
    """The UTC instant (µs) of local minute `minute` of `day` in `zone`
    ([`wall_instant`])."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    u = wall_instant(naive, zone)
    return int((u - dt.datetime(1970, 1, 1, tzinfo=UTC)) / dt.timedelta(microseconds=1))


def wall_instant(naive, zone):
    """The instant (aware, UTC) of wall-clock time `naive` in the tzinfo
    `zone`: a time in a DST gap moves to the gap's end, an ambiguous one is
    its first occurrence (DESIGN §2, §4), found here with zoneinfo's fold."""

    def local(u):
        return u.astimezone(zone).replace(tzinfo=None)

    candidates = [naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1)]
    real = [u for u in candidates if local(u) == naive]
    if real:
        return min(real)
    # A gap: the first second whose local time is past `naive`.
    lo, hi = min(candidates), max(candidates)
    lo -= dt.timedelta(hours=1)
    while (hi - lo) > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if local(mid) > naive:
            hi = mid
        else:
            lo = mid
    return hi


def expand_calendars(con):
    """Fills biz_intervals for every calendar over the lake's dates."""
    from zoneinfo import ZoneInfo

    rows = con.execute(
        "SELECT calendar_id, time_zone, weekday, open_minute, close_minute, valid_from "
        "FROM business_hours"
    ).fetchall()
    if not rows:
        return
    lo, hi = con.execute(
        "SELECT min(created_at)::DATE - 3, "
        "greatest(max(created_at), max(resolved_at), max(first_response_at))::DATE + 40 "
        "FROM interactions"
    ).fetchone()
    holidays = set(con.execute("SELECT calendar_id, date FROM holidays").fetchall())
    calendars = {}
    for cal, zone, weekday, open_, close, valid_from in rows:
        c = calendars.setdefault(cal, {"zone": ZoneInfo(zone), "schedules": {}})
        c["schedules"].setdefault(valid_from, []).append((weekday, open_, close))
    out = []
    for cal, c in calendars.items():
        froms = sorted(c["schedules"], key=lambda d: (d is not None, d or dt.date.min))
        intervals = []
        day = lo
        while day <= hi:
            if (cal, day) not in holidays:
                applicable = [f for f in froms if f is None or f <= day]
                if applicable:
                    for weekday, open_, close in c["schedules"][applicable[-1]]:
                        if weekday == day.isoweekday():
                            s = local_instant(c["zone"], day, open_)
                            e = local_instant(c["zone"], day, close)
                            if e > s:
                                intervals.append((s, e))
            day += dt.timedelta(days=1)
        intervals.sort()
        merged = []
        for s, e in intervals:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        before = 0
        for s, e in merged:
            out.append((cal, s, e, before))
            before += e - s
    con.executemany("INSERT INTO biz_intervals VALUES (?, ?, ?, ?)", out)


def split_statements(text):
    """The statements of a file of ours (no `;` inside strings or comments)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def param_types(report):
    """NAME -> TYPE of the kpiql report's `@param` header lines."""
    types = {}
    for line in sql_text(os.path.join(REPORTS, report + ".sql")).splitlines():
        m = re.match(r"--\s*@param\s+(\w+)\s+(\S+)\s", line)
        if m:
            types[m.group(1)] = m.group(2)
    return types


def parse_instant(text, zone="UTC"):
    """YYYY-MM-DD, YYYY-MM or ISO 8601 as an aware UTC datetime. A date or a
    time without an offset is a wall-clock time of `zone`, as in kpiql
    --time-zone: of a repeated time the earlier, of a skipped time the
    instant the clocks jump at."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        from zoneinfo import ZoneInfo

        value = wall_instant(value, UTC if zone == "UTC" else ZoneInfo(zone))
    return value.astimezone(dt.timezone.utc)


def typed(ty, text, zone="UTC"):
    if ty == "timestamp":
        return parse_instant(text, zone)
    if ty == "date":
        return dt.date.fromisoformat(text.strip())
    if ty == "int":
        return int(text)
    if ty == "float":
        return float(text)
    if ty == "bool":
        if text.strip() not in ("true", "false"):
            raise SystemExit(f"{text!r} is not true or false")
        return text.strip() == "true"
    return text


def erlang_c_agents(contacts, interval, aht, answer, target_pct, max_occupancy_pct):
    """The fewest agents for the service level, by the textbook Erlang C
    formula: C = (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! * N/(N-A)),
    service level 1 - C e^(-(N-A) t / aht) (DESIGN §2). Row by row; the
    twins call it once per (team, weekday, hour)."""
    if None in (contacts, interval, aht, answer, target_pct, max_occupancy_pct):
        return None
    a = contacts * aht / interval
    if a <= 0:
        return 0
    n = math.floor(a) + 1
    while True:
        if 100.0 * a / n <= max_occupancy_pct:
            term, total = 1.0, 0.0
            for k in range(n):
                total += term
                term *= a / (k + 1)
            last = term * n / (n - a)
            c = last / (total + last)
            if 100.0 * (1.0 - c * math.exp(-(n - a) * answer / aht)) >= target_pct:
                return n
        n += 1


def register_erlang(con):
    from duckdb.sqltypes import BIGINT, DOUBLE

    con.create_function(
        "erlang_c_agents",
        erlang_c_agents,
        [DOUBLE] * 6,
        BIGINT,
        null_handling="special",
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--time-zone", default="UTC", help="the report time zone (kpiql --time-zone)")
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
            params[name] = typed(types[name], value, args.time_zone)
    missing = used - set(params)
    if missing:
        raise SystemExit(f"no value for {', '.join(sorted(missing))}")

    con = connect(args.lake, args.threads, calendars="biz_intervals" in code, zone=args.time_zone)
    if "erlang_c_agents" in code:
        register_erlang(con)
    # The query ends on a line of its own: a trailing comment cannot eat
    # the closing parenthesis.
    con.execute(f"COPY (\n{query}\n) TO {quote(args.out)} (FORMAT csv, HEADER)", params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
