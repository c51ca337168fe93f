"""One BI client against `kpiql serve` (tests/it/serve/clients.rs).

    python bi.py sqlalchemy-psycopg|sqlalchemy-psycopg2|asyncpg PORT PASSWORD

Connects with the password, introspects the way the client's users do, runs
a KPI query with a bound parameter, report('team', ...), a report view and
a write, and prints one JSON object that the Rust test compares with the
command line. Any error on the way is raised: the test wants none.
"""
import asyncio
import json
import sys

FROM, TO = "2026-10-01", "2026-11-01"
KPI = "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = {p}"
INFO_COLUMNS = (
    "SELECT column_name, data_type, udt_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name = 'interactions' ORDER BY ordinal_position"
)
WRITES = ["CREATE TABLE kpiql_t (a int)", "DELETE FROM interactions"]


def cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def table(names, rows):
    return [list(names)] + [[cell(v) for v in r] for r in rows]


def sqlalchemy_client(driver, port, password):
    import sqlalchemy as sa

    url = sa.engine.URL.create(
        f"postgresql+{driver}", username="kpiql", password=password,
        host="127.0.0.1", port=port, database="kpiql",
        query={"sslmode": "disable"},
    )
    engine = sa.create_engine(url)
    insp = sa.inspect(engine)
    out = {
        "schemas": sorted(insp.get_schema_names()),
        "tables": sorted(insp.get_table_names(schema="public")),
        "views": sorted(insp.get_view_names(schema="reports")),
        # SQLAlchemy's own type objects, compiled back to PostgreSQL's names.
        "columns": [
            [c["name"], c["type"].compile(dialect=engine.dialect).lower()]
            for c in insp.get_columns("interactions", schema="public")
        ],
        "pk": insp.get_pk_constraint("interactions", schema="public")["constrained_columns"],
        "indexes": [i["name"] for i in insp.get_indexes("interactions", schema="public")],
        "foreign_keys": insp.get_foreign_keys("interactions", schema="public"),
        "unique": insp.get_unique_constraints("interactions", schema="public"),
        "view_columns": [c["name"] for c in insp.get_columns("team", schema="reports")],
        "view_comments": [c["comment"] for c in insp.get_columns("team", schema="reports")],
    }
    with engine.connect() as conn:
        out["info_schema"] = [list(r) for r in conn.execute(sa.text(INFO_COLUMNS))]
        # A parameter bound by the driver (psycopg 3 binds on the server).
        out["kpi"] = cell(conn.execute(sa.text(KPI.format(p=":c")), {"c": "chat"}).scalar_one())
        r = conn.execute(sa.text(f"SELECT * FROM report('team', '{FROM}', '{TO}')"))
        out["report"] = table(r.keys(), r)
        r = conn.execute(sa.text("SELECT * FROM reports.team"))
        out["view"] = table(r.keys(), r)
        # pandas.read_sql's path: a Table reflected from the catalog.
        team = sa.Table("team", sa.MetaData(), schema="reports", autoload_with=conn)
        out["reflected"] = len(conn.execute(sa.select(team)).all())
    out["writes"] = []
    for w in WRITES:
        with engine.connect() as conn:
            try:
                conn.execute(sa.text(w))
                out["writes"].append("accepted")
            except sa.exc.DBAPIError as e:
                code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
                out["writes"].append(code)
    return out


async def asyncpg_client(port, password):
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="kpiql",
                                 password=password, database="kpiql", ssl=False)
    out = {}
    out["schemas"] = sorted(r[0] for r in await conn.fetch(
        "SELECT schema_name FROM information_schema.schemata"))
    out["tables"] = sorted(r[0] for r in await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"))
    out["views"] = sorted(r[0] for r in await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = $1 AND table_type = 'VIEW'", "reports"))
    out["info_schema"] = [list(r) for r in await conn.fetch(INFO_COLUMNS)]
    # asyncpg decodes by the OIDs of the row description: its introspection
    # of those types runs against pg_type.
    out["columns"] = [[a.name, a.type.name] for a in
                      (await conn.prepare("SELECT * FROM interactions LIMIT 1")).get_attributes()]
    out["pk"] = [r[0] for r in await conn.fetch(
        "SELECT kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name "
        "WHERE tc.table_name = 'interactions' AND tc.constraint_type = 'PRIMARY KEY'")]
    out["indexes"] = [r[0] for r in await conn.fetch(
        "SELECT i.indexrelid FROM pg_catalog.pg_index i "
        "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid WHERE c.relname = 'interactions'")]
    out["kpi"] = cell(await conn.fetchval(KPI.format(p="$1"), "chat"))
    stmt = await conn.prepare(f"SELECT * FROM report('team', '{FROM}', '{TO}')")
    out["report"] = table([a.name for a in stmt.get_attributes()], await stmt.fetch())
    stmt = await conn.prepare("SELECT * FROM reports.team")
    out["view"] = table([a.name for a in stmt.get_attributes()], await stmt.fetch())
    out["writes"] = []
    for w in WRITES:
        try:
            await conn.execute(w)
            out["writes"].append("accepted")
        except asyncpg.PostgresError as e:
            out["writes"].append(e.sqlstate)
    await conn.close()
    return out


def main():
    client, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if client == "asyncpg":
        out = asyncio.run(asyncpg_client(port, password))
    else:
        out = sqlalchemy_client(client.removeprefix("sqlalchemy-"), port, password)
    print(json.dumps(out, default=str))


main()
