"""Runs the DuckDB twin of kpiql's Zendesk ticket_metrics report
(bench/duckdb/zendesk_ticket_metrics.sql) on a Fivetran Zendesk lake and
writes its result as CSV, sorted by ticket_id.

    python bench/zendesk_twin.py --lake DIR --now 2026-12-01T00:00:00Z \
        --threads 2 --out FILE.csv

Each Fivetran table is a view over DIR/<table>/**/*.parquet or
DIR/<table>.parquet with the declared column types (a column no file has
reads as a typed NULL; a missing optional table is an empty view). The
Zendesk zone names come from queries/sources/zendesk/zone_names.sql (or
zendesk_zone_names.sql): its VALUES rows, read with a regex, become the
table zone_names(zendesk_name, iana_name). TimeZone is UTC; $now is bound as
a TIMESTAMPTZ. Prints the wall time. Standard library and duckdb only.
"""

import argparse
import datetime as dt
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SQL = os.path.join(HERE, "duckdb", "zendesk_ticket_metrics.sql")
ZONE_FILES = (
    os.path.join(ROOT, "queries", "sources", "zendesk", "zone_names.sql"),
    os.path.join(ROOT, "queries", "sources", "zendesk", "zendesk_zone_names.sql"),
)

# Fivetran table -> (required, [(column, DuckDB type)]).
TABLES = {
    "ticket": (True, [
        ("id", "BIGINT"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
        ("status", "VARCHAR"), ("priority", "VARCHAR"), ("via_channel", "VARCHAR"),
        ("group_id", "BIGINT"), ("assignee_id", "BIGINT"), ("requester_id", "BIGINT"),
        ("submitter_id", "BIGINT"), ("organization_id", "BIGINT"), ("brand_id", "BIGINT"),
        ("type", "VARCHAR"), ("subject", "VARCHAR"), ("_fivetran_deleted", "BOOLEAN"),
    ]),
    "ticket_comment": (False, [
        ("id", "BIGINT"), ("ticket_id", "BIGINT"), ("user_id", "BIGINT"),
        ("created", "TIMESTAMP"), ("public", "BOOLEAN"), ("body", "VARCHAR"),
    ]),
    "ticket_field_history": (False, [
        ("ticket_id", "BIGINT"), ("field_name", "VARCHAR"), ("updated", "TIMESTAMP"),
        ("value", "VARCHAR"), ("user_id", "BIGINT"),
    ]),
    "user": (False, [
        ("id", "BIGINT"), ("name", "VARCHAR"), ("role", "VARCHAR"), ("active", "BOOLEAN"),
        ("time_zone", "VARCHAR"), ("email", "VARCHAR"),
    ]),
    "group": (False, [
        ("id", "BIGINT"), ("name", "VARCHAR"), ("_fivetran_deleted", "BOOLEAN"),
    ]),
    "schedule": (False, [
        ("id", "BIGINT"), ("name", "VARCHAR"), ("start_time", "BIGINT"), ("end_time", "BIGINT"),
        ("time_zone", "VARCHAR"), ("created_at", "TIMESTAMP"), ("_fivetran_deleted", "BOOLEAN"),
    ]),
    # start_date / end_date land as 'YYYY-MM-DD' strings; the cast to DATE
    # also takes a DATE or TIMESTAMP column.
    "schedule_holiday": (False, [
        ("id", "BIGINT"), ("schedule_id", "BIGINT"), ("name", "VARCHAR"),
        ("start_date", "DATE"), ("end_date", "DATE"), ("_fivetran_deleted", "BOOLEAN"),
    ]),
    "ticket_schedule": (False, [
        ("ticket_id", "BIGINT"), ("schedule_id", "BIGINT"), ("created_at", "TIMESTAMP"),
    ]),
}


def quote(text):
    return "'" + text.replace("'", "''") + "'"


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def source(lake, table):
    """The FROM item of `table` in `lake`, or None when it is absent."""
    folder = os.path.join(lake, table)
    single = os.path.join(lake, table + ".parquet")
    if os.path.isdir(folder) and os.path.isfile(single):
        raise SystemExit(f"{table}: both {folder}/ and {single} exist")
    if os.path.isdir(folder):
        glob = os.path.join(folder, "**", "*.parquet")
        return f"read_parquet({quote(glob)}, union_by_name = true, hive_partitioning = false)"
    if os.path.isfile(single):
        return f"read_parquet({quote(single)}, hive_partitioning = false)"
    return None


def create_views(con, lake):
    for table, (required, columns) in TABLES.items():
        where = source(lake, table)
        if where is None:
            if required:
                raise SystemExit(f"the lake has no {table} table in {lake}")
            print(f"note: no {table} table, an empty one is used", file=sys.stderr)
            cols = ", ".join(f"CAST(NULL AS {ty}) AS {ident(c)}" for c, ty in columns)
            con.execute(f"CREATE VIEW {ident(table)} AS SELECT {cols} WHERE false")
            continue
        have = {r[0].lower() for r in con.execute(f"DESCRIBE SELECT * FROM {where}").fetchall()}
        cols = ", ".join(
            f"CAST({ident(c) if c in have else 'NULL'} AS {ty}) AS {ident(c)}" for c, ty in columns
        )
        con.execute(f"CREATE VIEW {ident(table)} AS SELECT {cols} FROM {where}")


def load_zone_names(con, path):
    con.execute("CREATE TABLE zone_names (zendesk_name VARCHAR, iana_name VARCHAR)")
    if path is None:
        path = next((p for p in ZONE_FILES if os.path.isfile(p)), None)
    if path is None or not os.path.isfile(path):
        print("note: no zone names file; schedule zones must be IANA names", file=sys.stderr)
        return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    lit = r"'((?:[^']|'')*)'"
    rows = [
        (a.replace("''", "'"), b.replace("''", "'"))
        for a, b in re.findall(r"\(\s*" + lit + r"\s*,\s*" + lit + r"\s*\)", text)
    ]
    if not rows:
        raise SystemExit(f"{path}: no ('zendesk name', 'iana name') rows found")
    con.executemany("INSERT INTO zone_names VALUES (?, ?)", rows)


def parse_now(text):
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", required=True)
    ap.add_argument("--now", required=True, help="ISO 8601 instant; no offset means UTC")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--zone-names", help="file of (zendesk_name, iana_name) VALUES rows")
    ap.add_argument("--sql", default=SQL)
    args = ap.parse_args(argv)

    started = time.perf_counter()
    import duckdb

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute("SET TimeZone = 'UTC'")
    create_views(con, args.lake)
    load_zone_names(con, args.zone_names)
    with open(args.sql, encoding="utf-8") as f:
        query = f.read().strip().rstrip(";")
    query_started = time.perf_counter()
    # The query ends on a line of its own: a trailing comment cannot eat
    # the closing parenthesis.
    con.execute(
        f"COPY (\n{query}\n) TO {quote(args.out)} (FORMAT csv, HEADER)",
        {"now": parse_now(args.now)},
    )
    done = time.perf_counter()
    print(f"wall time: {done - started:.3f} s (query {done - query_started:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
