"""Builds the tiny hand-made Fivetran Zendesk lake of
bench/zendesk_twin_check.md, runs the DuckDB twin on it
(bench/zendesk_twin.py) and compares every cell with the values worked out
by hand in that file.

    python bench/zendesk_twin_check.py [--lake /tmp/zd_tiny]

Exit status 0 when all cells agree. Standard library and duckdb only.
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = "2026-12-01T00:00:00Z"

T, F = True, False

# (table, "column type, ...", rows)
DATA = [
    ("ticket",
     "id BIGINT, created_at TIMESTAMP, updated_at TIMESTAMP, status VARCHAR, priority VARCHAR, "
     "via_channel VARCHAR, group_id BIGINT, assignee_id BIGINT, requester_id BIGINT, "
     "submitter_id BIGINT, organization_id BIGINT, brand_id BIGINT, type VARCHAR, "
     "subject VARCHAR, _fivetran_deleted BOOLEAN",
     [
         (1, "2024-01-15 10:00:00", "closed", "normal", "web", 1, 10, 1, 1),
         (2, "2024-02-05 09:00:00", "closed", "high", "email", 2, 12, 2, 2),
         (3, "2024-02-12 10:00:00", "pending", "low", "api", 5, 10, 1, 10),
         (4, "2024-02-13 08:55:00", "open", None, "web", 1, 11, 3, 11),
         (5, "2024-03-04 12:00:00", "solved", "normal", "web", None, None, 98, 98),
         (6, "2024-03-11 13:00:00", "solved", "urgent", "email", 1, 12, 1, 1),
         (7, "2024-03-29 15:00:00", "solved", "normal", "web", 1, 10, 1, 1),
         (8, "2024-03-30 12:00:00", "open", "normal", "web", 1, 10, 1, 1),
         (9, "2024-10-26 12:00:00", "solved", "normal", "web", 1, 12, 2, 2),
         (10, "2024-05-01 09:00:00", "new", None, "web", 1, None, 1, 1),
         (11, "2024-05-06 09:00:00", "closed", "normal", "web", 1, None, 1, 1),
         (12, "2024-01-16 10:00:00", "open", "normal", "web", 1, None, 1, 1),
     ]),
    ("ticket_comment",
     "id BIGINT, ticket_id BIGINT, user_id BIGINT, created TIMESTAMP, public BOOLEAN, body VARCHAR",
     [
         (101, 1, 1, "2024-01-15 10:00:00", T),
         (102, 1, 10, "2024-01-15 11:30:30", T),
         (201, 2, 2, "2024-02-05 09:00:00", T),
         (202, 2, 12, "2024-02-05 09:20:00", T),
         (203, 2, 2, "2024-02-06 08:00:00", T),
         (204, 2, 10, "2024-02-06 09:00:00", T),
         (205, 2, 10, "2024-02-06 09:05:00", F),
         (206, 2, 2, "2024-02-07 10:00:00", T),
         (207, 2, 12, "2024-02-07 10:30:00", T),
         (301, 3, 10, "2024-02-12 10:00:00", T),
         (302, 3, 1, "2024-02-12 11:00:00", T),
         (303, 3, 10, "2024-02-12 11:45:00", T),
         (401, 4, 11, "2024-02-13 09:00:00", F),
         (402, 4, 11, "2024-02-13 09:10:00", T),
         (403, 4, 3, "2024-02-13 09:30:00", T),
         (501, 5, 2, "2024-03-04 12:00:00", T),
         (502, 5, 99, "2024-03-04 12:30:00", T),
         (503, 5, 13, "2024-03-04 13:00:00", T),
         (601, 6, 1, "2024-03-11 13:00:00", T),
         (602, 6, 12, "2024-03-12 13:30:00", T),
         (701, 7, 1, "2024-03-29 15:00:00", T),
         (702, 7, 10, "2024-04-02 08:00:00", T),
         (801, 8, 1, "2024-03-30 12:00:00", T),
         (802, 8, 10, "2024-04-01 12:00:00", T),
         (901, 9, 2, "2024-10-26 12:00:00", T),
         (902, 9, 12, "2024-10-28 12:00:00", T),
         (903, 9, 10, "2024-10-29 09:00:00", T),
         (1201, 12, 1, "2024-01-16 10:00:00", T),
         (1202, 12, 12, "2024-01-16 14:00:00", T),
     ]),
    ("ticket_field_history",
     "ticket_id BIGINT, field_name VARCHAR, updated TIMESTAMP, value VARCHAR, user_id BIGINT",
     [
         (1, "status", "2024-01-15 10:00:00", "new"),
         (1, "status", "2024-01-15 11:31:10", "solved"),
         (1, "status", "2024-01-15 11:31:10", "solved"),  # exact duplicate (D2)
         (1, "status", "2024-01-19 12:00:00", "closed"),
         (1, "assignee_id", "2024-01-15 10:05:00", "10"),
         (2, "status", "2024-02-05 09:00:00", "new"),
         (2, "status", "2024-02-05 09:20:00", "open"),
         (2, "status", "2024-02-05 12:00:30", "solved"),
         (2, "status", "2024-02-06 08:00:00", "open"),
         (2, "status", "2024-02-06 09:00:00", "pending"),
         (2, "status", "2024-02-06 15:00:00", "solved"),
         (2, "status", "2024-02-07 10:00:00", "open"),
         (2, "status", "2024-02-07 10:30:00", "hold"),
         (2, "status", "2024-02-07 11:00:59", "solved"),
         (2, "status", "2024-02-11 12:00:00", "closed"),
         (2, "assignee_id", "2024-02-05 09:20:00", "12"),
         (2, "assignee_id", "2024-02-06 09:00:00", "10"),
         (2, "assignee_id", "2024-02-07 10:30:00", "12"),
         (3, "status", "2024-02-12 10:00:00", "open"),
         (3, "status", "2024-02-12 11:45:00", "pending"),
         (4, "status", "2024-02-13 08:55:00", "open"),
         (5, "status", "2024-03-04 12:00:00", "new"),
         (5, "status", "2024-03-05 12:00:00", "solved"),
         (6, "status", "2024-03-11 13:00:00", "new"),
         (6, "status", "2024-03-11 15:00:00", "open"),
         (6, "status", "2024-03-12 14:00:00", "solved"),
         (7, "status", "2024-03-29 15:00:00", "new"),
         (7, "status", "2024-04-02 10:30:00", "solved"),
         (8, "status", "2024-03-30 12:00:00", "new"),
         (8, "status", "2024-04-01 12:00:00", "open"),
         (9, "status", "2024-10-26 12:00:00", "new"),
         (9, "status", "2024-10-28 12:00:00", "open"),
         (9, "status", "2024-11-04 12:00:00", "solved"),
         (11, "status", "2024-05-06 09:00:00", "new"),
         (11, "status", "2024-05-06 10:00:00", "closed"),
         (12, "status", "2024-01-16 10:00:00", "open"),
     ]),
    ("user",
     "id BIGINT, name VARCHAR, role VARCHAR, active BOOLEAN, time_zone VARCHAR, email VARCHAR",
     [
         (1, "Alice", "end-user"),
         (2, "Bob", "end-user"),
         (3, "Cleo", "not set"),
         (10, "Ann", "agent"),
         (11, "Carl", "admin"),
         (12, "Dave", "agent"),
         (13, "Nora", None),
     ]),
    ("group",
     "id BIGINT, name VARCHAR, _fivetran_deleted BOOLEAN",
     [(1, "Support", F), (2, "Billing", T)]),
    ("schedule",
     "id BIGINT, name VARCHAR, start_time INTEGER, end_time INTEGER, time_zone VARCHAR, "
     "created_at TIMESTAMP, _fivetran_deleted BOOLEAN",
     # 100 Warsaw Mon-Fri 09:00-17:00 (the default: oldest non-deleted).
     [(100, "Warsaw office", d * 1440 + 540, d * 1440 + 1020, "Warsaw", "2020-01-01 00:00:00", F)
      for d in range(1, 6)]
     # 200 New York Mon-Fri 08:00-12:00 and Mon 22:00 - Tue 02:00.
     + [(200, "New York", d * 1440 + 480, d * 1440 + 720,
         "Eastern Time (US & Canada)", "2021-01-01 00:00:00", F) for d in range(1, 6)]
     + [(200, "New York", 1440 + 1320, 2 * 1440 + 120, "Eastern Time (US & Canada)",
         "2021-01-01 00:00:00", F)]
     # 300 deleted, older: never the default.
     + [(300, "Old 24/5", d * 1440, (d + 1) * 1440, "UTC", "2019-01-01 00:00:00", T)
        for d in range(1, 6)]
     # 400 Sunday 02:30-04:00, zone given as an IANA name.
     + [(400, "Night shift", 150, 240, "Europe/Warsaw", "2022-01-01 00:00:00", F)]),
    ("schedule_holiday",
     "id BIGINT, schedule_id BIGINT, name VARCHAR, start_date VARCHAR, end_date VARCHAR",
     [(1, 100, "Easter Monday", "2024-04-01", "2024-04-01"),
      (2, 200, "A Tuesday off", "2024-03-12", "2024-03-12")]),
    ("ticket_schedule",
     "ticket_id BIGINT, schedule_id BIGINT, created_at TIMESTAMP",
     [(6, 200, "2024-03-11 15:00:00"),
      (8, 400, "2024-03-30 12:00:03"),
      (9, 400, "2024-10-26 12:00:05"),
      (12, 200, "2024-01-16 10:00:06")]),
]

N = None
COLUMNS = (
    "ticket_id status priority group_name created_channel created_at "
    "first_reply_time_calendar_minutes first_reply_time_business_minutes "
    "first_resolution_calendar_minutes final_resolution_calendar_minutes "
    "first_resolution_business_minutes full_resolution_business_minutes "
    "count_resolutions count_reopens count_agent_comments count_public_agent_comments "
    "count_end_user_comments total_agent_replies count_ticket_handoffs unique_assignee_count "
    "is_one_touch_resolution is_two_touch_resolution is_multi_touch_resolution "
    "agent_wait_time_in_calendar_minutes requester_wait_time_in_calendar_minutes "
    "on_hold_time_in_calendar_minutes"
).split()
# Worked by hand in bench/zendesk_twin_check.md, from first_reply_time_calendar_minutes on.
EXPECTED = {
    1: ("Support", 90.5, 90.5, 91, 91, 91.1667, 91.1667, 1, 0, 1, 1, 1, 1, 1, 1, T, F, F, 0, 91, 0),
    2: (N, 20, 20, 180, 3000, 180.5, 1080.9833, 3, 2, 4, 3, 3, 3, 2, 2, F, F, T, 360, 300, 30),
    3: (N, 105, 105, N, N, N, N, N, N, 2, 2, 1, 1, 1, N, F, F, F, 1472415, 105, 0),
    4: ("Support", 15, 15, N, N, N, N, N, N, 2, 1, 1, 0, 1, N, F, F, F, 0, 1471145, 0),
    5: (N, N, N, 1440, 1440, 480, 480, 1, 0, 0, 0, 1, 0, 0, N, F, F, T, 0, 1440, 0),
    6: ("Support", 1470, 300, 1500, 1500, 300, 300, 1, 0, 1, 1, 1, 1, 1, N, T, F, F, 0, 1500, 0),
    7: ("Support", 5340, 120, 5490, 5490, 270, 270, 1, 0, 1, 1, 1, 1, 1, N, T, F, F, 0, 5490, 0),
    8: ("Support", 2880, 60, N, N, N, N, N, N, 1, 1, 1, 1, 1, N, F, F, F, 0, 1404720, 0),
    9: ("Support", 2880, 150, 12960, 12960, 240, 240, 1, 0, 2, 2, 1, 2, 2, N, F, T, F, 0, 12960, 0),
    10: ("Support", N, N, N, N, N, N, N, N, 0, 0, 0, 0, 0, N, F, F, F, N, N, N),
    11: ("Support", N, N, 60, 60, 60, 60, 0, 0, 0, 0, 0, 0, 0, N, F, F, F, 0, 60, 0),
    12: ("Support", 240, 60.1, N, N, N, N, N, N, 1, 1, 1, 1, 1, N, F, F, F, 0, 1511400, 0),
}


def build(lake):
    import duckdb

    if os.path.isdir(lake):
        shutil.rmtree(lake)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, schema, rows in DATA:
        ncols = schema.count(",") + 1
        con.execute(f'CREATE TABLE "{table}" ({schema})')
        if table == "ticket":  # updated_at = created_at
            rows = [(r[0], r[1], r[1]) + tuple(r[2:]) for r in rows]
        padded = [tuple(r) + (None,) * (ncols - len(r)) for r in rows]
        con.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * ncols)})', padded)
        os.makedirs(os.path.join(lake, table))
        con.execute(
            f"COPY \"{table}\" TO '{os.path.join(lake, table, 'part-0.parquet')}' (FORMAT parquet)"
        )


def same(want, got):
    if want is None:
        return got == ""
    if isinstance(want, bool):
        return got == ("true" if want else "false")
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        try:
            return abs(float(got) - want) < 1e-9
        except ValueError:
            return False
    return got == want


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lake", default="/tmp/zd_tiny")
    ap.add_argument("--out", default="/tmp/zd_tiny.csv")
    args = ap.parse_args(argv)
    build(args.lake)
    subprocess.run(
        [sys.executable, os.path.join(HERE, "zendesk_twin.py"), "--lake", args.lake,
         "--now", NOW, "--threads", "2", "--out", args.out],
        check=True,
    )
    with open(args.out, newline="") as f:
        rows = list(csv.DictReader(f))
    bad = 0
    assert list(rows[0].keys()) == COLUMNS, list(rows[0].keys())
    assert [int(r["ticket_id"]) for r in rows] == sorted(EXPECTED), [r["ticket_id"] for r in rows]
    for r in rows:
        want = EXPECTED[int(r["ticket_id"])]
        for col, w in zip(COLUMNS[3:4] + COLUMNS[6:], want):
            if not same(w, r[col]):
                bad += 1
                print(f"ticket {r['ticket_id']} {col}: expected {w!r}, twin {r[col]!r}")
    print(f"{len(rows)} tickets, {bad} cells differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
