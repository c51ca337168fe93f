"""Writes the Delta twin of a kpiql lake for bench/delta/run.py (issue 25):

    python write_lake.py PARQUET_LAKE DELTA_LAKE

Every table but `interactions` is copied as it is. `interactions` becomes
a Delta table written the way a connector fills one: one commit per month
of `created_at`, then the newest month replaced by a `replaceWhere` of the
same rows (so the folder holds that month twice, the log once, and every
report must equal the Parquet lake's). Needs the Python `deltalake`
package and pyarrow (target/delta-venv, which `cargo test` makes).
"""
import datetime as dt
import os
import shutil
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake

source, target = sys.argv[1:3]
if os.path.exists(target):
    sys.exit(f"{target} exists: give a new folder")
os.makedirs(target)
for entry in os.listdir(source):
    if entry.startswith("interactions"):
        continue
    src, dst = os.path.join(source, entry), os.path.join(target, entry)
    (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst)

rows = ds.dataset(os.path.join(source, "interactions"), format="parquet")
created = ds.field("created_at")
table = os.path.join(target, "interactions")
first = rows.to_table(columns=["created_at"]).column("created_at")
low, high = pc.min(first).as_py(), pc.max(first).as_py()
month = dt.datetime(low.year, low.month, 1, tzinfo=dt.timezone.utc)
months = []
while month <= high:
    nxt = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1,
                      tzinfo=dt.timezone.utc)
    months.append((month, nxt))
    month = nxt


def rows_of(start, end):
    ts = lambda t: pa.scalar(t, pa.timestamp("us", "UTC"))
    return rows.to_table(filter=(created >= ts(start)) & (created < ts(end)))


for start, end in months:
    write_deltalake(table, rows_of(start, end), mode="append")
start, end = months[-1]
write_deltalake(table, rows_of(start, end), mode="overwrite",
                predicate=f"created_at >= '{start.isoformat()}' AND created_at < '{end.isoformat()}'")
dt_ = DeltaTable(table)
print(f"{table}: {len(months)} monthly commits and one replaceWhere, version {dt_.version()}, "
      f"{len(dt_.file_uris())} live files")
