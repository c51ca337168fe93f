"""Writes a kpiql lake whose `interactions` is a Delta table, the way other
tools write one (the Python `deltalake` package), and the same data as a
plain-Parquet lake (tests/it/lake/delta.rs).

    python delta_lake.py SAMPLE DELTA_LAKE PARQUET_LAKE CASE

SAMPLE is the sample lake (data/sample). Both lakes get its other tables
as they are. `interactions` is written as a Delta table by CASE:

- history: the October rows appended, then all rows appended, then the
  table overwritten with the rows of September and October, then
  September replaced by its non-email rows (replaceWhere), then the
  October rows of channel 'chat' deleted, then an append of rows that have
  an extra nullable column. The plain lake holds the rows that survive;
  PARQUET_LAKE-v0 the rows of version 0. Commit v is dated
  2026-11-0(v+1) at midnight UTC.
- deletion-vectors / column-mapping / reader-v4: one append, then a
  commit whose protocol needs that reader feature (edited into the log,
  as a writer that uses it would leave it).
- partitioned: partitioned by priority (NULLs), escalated and channel:
  October, September appended, October's chat rows deleted; the plain
  lake holds the survivors.
- partition-value: partitioned by contact_seq written as text, one value
  of which is "n/a".
- missing-file: one append, then one of its data files removed.
- corrupt-log: one append, then a commit file that is not JSON.
- drift-long: `contact_seq` as Int64 (the log's `long`, the contract's
  Int32): October, then one row whose contact_seq is 2^40, then one row
  whose channel is NULL (one file each). The plain lake holds October.
- drift-double: `contact_seq` as Float64 (whole numbers): October, then one
  row whose contact_seq is 4.5.
- drift-type: `created_at` as text in the log's schema.

Prints the Delta table's version.
"""
import json
import os
import shutil
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

sample, delta_lake, parquet_lake, case = sys.argv[1:5]

for lake in (delta_lake, parquet_lake):
    os.makedirs(lake, exist_ok=True)
    for entry in os.listdir(sample):
        if entry.startswith("interactions"):
            continue
        src = os.path.join(sample, entry)
        dst = os.path.join(lake, entry)
        if os.path.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy(src, dst)

rows = ds.dataset(os.path.join(sample, "interactions"), format="parquet").to_table()
# The history deletes contacts one by one (October's chat rows), which can
# leave a ticket without its first contact, and `ticket_created_at` would
# then name a contact the table no longer has (`validate` says so). The
# Delta lakes are written without the column, which a lake may leave out
# (DESIGN §1).
if "ticket_created_at" in rows.column_names:
    rows = rows.drop_columns(["ticket_created_at"])
table = os.path.join(delta_lake, "interactions")
created = rows.column("created_at")
oct_start = pa.scalar(1790812800000000, pa.timestamp("us", "UTC"))   # 2026-10-01
sep_start = pa.scalar(1788220800000000, pa.timestamp("us", "UTC"))   # 2026-09-01
october = rows.filter(pc.greater_equal(created, oct_start))
sep_oct = rows.filter(pc.greater_equal(created, sep_start))


def commit(version, actions):
    """A commit of `actions` written into the log, as another writer would."""
    path = os.path.join(table, "_delta_log", f"{version:020d}.json")
    with open(path, "w") as f:
        for a in actions:
            f.write(json.dumps(a) + "\n")


if case == "history":
    # v0: October. v1: every row appended. v2: overwritten with September
    # and October. v3: September replaced (replaceWhere) by its rows not
    # by email. v4: October's chat rows deleted. v5: ten rows appended
    # with a new nullable column.
    write_deltalake(table, october)
    write_deltalake(table, rows, mode="append")
    write_deltalake(table, sep_oct, mode="overwrite")
    september = sep_oct.filter(pc.less(sep_oct.column("created_at"), oct_start))
    sep_kept = september.filter(pc.not_equal(september.column("channel"), "email"))
    write_deltalake(table, sep_kept, mode="overwrite",
                    predicate="created_at >= '2026-09-01T00:00:00Z' "
                              "AND created_at < '2026-10-01T00:00:00Z'")
    dt = DeltaTable(table)
    dt.delete("channel = 'chat' AND created_at >= '2026-10-01T00:00:00Z'")
    oct_kept = october.filter(pc.not_equal(october.column("channel"), "chat"))
    keep = pa.concat_tables([sep_kept, oct_kept])
    # A later writer adds a nullable column (schema evolution); its rows
    # are a copy of ten live rows with new ids.
    extra = keep.slice(0, 10)
    ids = pa.array([f"evolved-{i}" for i in range(10)])
    extra = extra.set_column(extra.schema.get_field_index("interaction_id"), "interaction_id", ids)
    extra = extra.append_column("note", pa.array(["x"] * 10, pa.string()))
    write_deltalake(table, extra, mode="append", schema_mode="merge")
    survivors = pa.concat_tables([keep, extra.drop_columns(["note"]).cast(keep.schema)])
    # The survivors worked out above are the rows the package itself reads
    # from the live files its log lists (the second reader).
    live = DeltaTable(table).to_pyarrow_dataset().to_table()
    assert sorted(live.column("interaction_id").to_pylist()) == \
        sorted(survivors.column("interaction_id").to_pylist()), "live rows differ"
    os.makedirs(os.path.join(parquet_lake, "interactions"))
    pq.write_table(survivors, os.path.join(parquet_lake, "interactions", "part-0.parquet"))
    # The twin of version 0, for --as-of: October alone.
    first = parquet_lake + "-v0"
    shutil.copytree(parquet_lake, first, ignore=shutil.ignore_patterns("interactions"))
    os.makedirs(os.path.join(first, "interactions"))
    pq.write_table(october, os.path.join(first, "interactions", "part-0.parquet"))
    # Commit times, which --as-of TIMESTAMP reads (a commit file's time):
    # version v at 2026-11-0(v+1)T00:00:00Z.
    for v in range(6):
        t = 1793491200 + v * 86400  # 2026-11-01T00:00:00Z
        os.utime(os.path.join(table, "_delta_log", f"{v:020d}.json"), (t, t))
    version = DeltaTable(table).version()
elif case in ("deletion-vectors", "column-mapping", "reader-v4"):
    write_deltalake(table, october)
    protocol = {
        "deletion-vectors": {"minReaderVersion": 3, "minWriterVersion": 7,
                             "readerFeatures": ["deletionVectors"],
                             "writerFeatures": ["deletionVectors"]},
        "column-mapping": {"minReaderVersion": 2, "minWriterVersion": 5},
        "reader-v4": {"minReaderVersion": 4, "minWriterVersion": 7,
                      "writerFeatures": []},
    }[case]
    actions = [{"protocol": protocol}]
    if case == "column-mapping":
        meta = None
        with open(os.path.join(table, "_delta_log", f"{0:020d}.json")) as f:
            for line in f:
                a = json.loads(line)
                if "metaData" in a:
                    meta = a["metaData"]
        schema = json.loads(meta["schemaString"])
        for i, field in enumerate(schema["fields"]):
            field["metadata"] = {"delta.columnMapping.id": i + 1,
                                 "delta.columnMapping.physicalName": f"col-{i + 1}"}
        meta["schemaString"] = json.dumps(schema)
        meta["configuration"] = {"delta.columnMapping.mode": "name",
                                 "delta.columnMapping.maxColumnId": str(len(schema["fields"]))}
        actions.append({"metaData": meta})
    commit(1, actions)
    version = 1
elif case == "partitioned":
    # Partitioned by a string with NULLs (priority), a boolean and a
    # channel; September appended, then October's chat rows deleted.
    by = ["priority", "escalated", "channel"]
    write_deltalake(table, october, partition_by=by)
    september = sep_oct.filter(pc.less(sep_oct.column("created_at"), oct_start))
    write_deltalake(table, september, mode="append")
    DeltaTable(table).delete("channel = 'chat' AND created_at >= '2026-10-01T00:00:00Z'")
    oct_kept = october.filter(pc.not_equal(october.column("channel"), "chat"))
    survivors = pa.concat_tables([september, oct_kept])
    live = DeltaTable(table).to_pyarrow_dataset().to_table()
    assert live.num_rows == survivors.num_rows, (live.num_rows, survivors.num_rows)
    os.makedirs(os.path.join(parquet_lake, "interactions"))
    pq.write_table(survivors, os.path.join(parquet_lake, "interactions", "part-0.parquet"))
    version = DeltaTable(table).version()
elif case == "partition-value":
    # contact_seq (Int32 in the contract) as a string partition column
    # with one value that is no number.
    seq = pc.cast(october.column("contact_seq"), pa.string())
    seq = pa.array(["n/a"] + seq.to_pylist()[1:], pa.string())
    bad = october.set_column(october.schema.get_field_index("contact_seq"), "contact_seq", seq)
    write_deltalake(table, bad, partition_by=["contact_seq"])
    version = 0
elif case == "missing-file":
    write_deltalake(table, october)
    write_deltalake(table, october, mode="append")
    gone = sorted(f for f in os.listdir(table) if f.endswith(".parquet"))[0]
    os.remove(os.path.join(table, gone))
    print(gone, file=sys.stderr)
    version = 1
elif case == "corrupt-log":
    write_deltalake(table, october)
    with open(os.path.join(table, "_delta_log", f"{1:020d}.json"), "w") as f:
        f.write("{\"add\": {\"path\": \n")
    version = 1
elif case.startswith("drift-"):
    def retyped(rows, name, ty):
        i = rows.schema.get_field_index(name)
        return rows.set_column(i, name, pc.cast(rows.column(name), ty))

    def with_value(rows, name, value, ty):
        i = rows.schema.get_field_index(name)
        return rows.set_column(i, name, pa.array([value], ty))

    # Every column nullable in the log (as most writers leave it), so a
    # NULL channel is a valid Delta write that breaks only the contract.
    loose = october.cast(pa.schema([f.with_nullable(True) for f in october.schema]))
    if case == "drift-long":
        base = retyped(loose, "contact_seq", pa.int64())
        write_deltalake(table, base)
        write_deltalake(table, with_value(base.slice(0, 1), "contact_seq", 2**40, pa.int64()),
                        mode="append")
        write_deltalake(table, with_value(base.slice(0, 1), "channel", None, pa.string()),
                        mode="append")
        version = 2
    elif case == "drift-double":
        base = retyped(loose, "contact_seq", pa.float64())
        write_deltalake(table, base)
        write_deltalake(table, with_value(base.slice(0, 1), "contact_seq", 4.5, pa.float64()),
                        mode="append")
        version = 1
    elif case == "drift-type":
        write_deltalake(table, retyped(loose, "created_at", pa.string()))
        version = 0
    else:
        sys.exit(f"unknown case {case}")
    os.makedirs(os.path.join(parquet_lake, "interactions"))
    pq.write_table(october, os.path.join(parquet_lake, "interactions", "part-0.parquet"))
else:
    sys.exit(f"unknown case {case}")

print(version)
