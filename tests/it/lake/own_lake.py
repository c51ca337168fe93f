"""Writes the analyst's own tables into a copy of the sample lake, the way
other tools write them (tests/it/lake/own.rs), and prints, as CSV, the
join the test asks kpiql for, worked out here with pyarrow:

    python own_lake.py LAKE ELSEWHERE

- LAKE/accounts/: a CRM's accounts, one Parquet file per region, a tier
  per customer of `interactions` (the customer id's last digit: 0-2 gold,
  3-5 silver, else bronze; a few customers have no account).
- LAKE/plans.parquet: a price per tier.
- LAKE/deals/: a Delta table written twice (the second an overwrite of
  three rows, so the folder holds a removed file).
- LAKE/Bad Name/: Parquet under a name that is not a table name.
- ELSEWHERE/roster/: an HR roster (agent_id, site), for --table.

Prints `tier,n` (interactions per tier of their customer's account,
inner join, by tier) and then `deals=<rows>`.
"""
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import write_deltalake

lake, elsewhere = sys.argv[1:3]
interactions = ds.dataset(os.path.join(lake, "interactions"), format="parquet").to_table(
    columns=["customer_id", "agent_id"])

customers = sorted(set(c for c in interactions.column("customer_id").to_pylist() if c))
tier = {"0": "gold", "1": "gold", "2": "gold", "3": "silver", "4": "silver", "5": "silver"}
accounts = [(c, tier.get(c[-1], "bronze")) for c in customers if not c.endswith("7")]
os.makedirs(os.path.join(lake, "accounts"))
half = len(accounts) // 2
for region, part in (("emea", accounts[:half]), ("amer", accounts[half:])):
    pq.write_table(pa.table({"customer_id": [a for a, _ in part],
                             "tier": [t for _, t in part]}),
                   os.path.join(lake, "accounts", f"{region}.parquet"))

pq.write_table(pa.table({"tier": ["gold", "silver", "bronze"],
                         "monthly_price": [300.0, 120.0, 40.0]}),
               os.path.join(lake, "plans.parquet"))

deals = os.path.join(lake, "deals")
write_deltalake(deals, pa.table({"deal": ["a", "b", "c", "d"], "amount": [1, 2, 3, 4]}))
write_deltalake(deals, pa.table({"deal": ["x", "y", "z"], "amount": [7, 8, 9]}), mode="overwrite")

os.makedirs(os.path.join(lake, "Bad Name"))
pq.write_table(pa.table({"x": [1]}), os.path.join(lake, "Bad Name", "x.parquet"))

agents = sorted(set(a for a in interactions.column("agent_id").to_pylist() if a))
os.makedirs(os.path.join(elsewhere, "roster"))
pq.write_table(pa.table({"agent_id": agents,
                         "site": ["lisbon" if i % 2 else "austin" for i in range(len(agents))]}),
               os.path.join(elsewhere, "roster", "part-0.parquet"))

acc = pa.table({"customer_id": [a for a, _ in accounts], "tier": [t for _, t in accounts]})
joined = interactions.join(acc, "customer_id", join_type="inner")
counts = joined.group_by("tier").aggregate([("tier", "count")])
print("tier,n")
for t, n in sorted(zip(counts.column("tier").to_pylist(), counts.column("tier_count").to_pylist())):
    print(f"{t},{n}")
print("deals=3")
