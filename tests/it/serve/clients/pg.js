// node-postgres against `kpiql serve` (tests/it/serve/clients.rs):
// node pg.js PORT PASSWORD, with `pg` installed beside it (NODE_PATH).
// Lists schemas, tables and columns from information_schema as dashboard
// apps do, runs a KPI query with a bound parameter, report('team', ...), a
// report view and a write, and prints one JSON object.
const { Client } = require("pg");

const cell = (v) =>
  v === null ? "" : typeof v === "boolean" ? String(v) : v instanceof Date ? v.toISOString() : String(v);
const table = (r) => [r.fields.map((f) => f.name), ...r.rows.map((row) => r.fields.map((f) => cell(row[f.name])))];

(async () => {
  const c = new Client({
    host: "127.0.0.1", port: Number(process.argv[2]), user: "kpiql",
    password: process.argv[3], database: "kpiql", ssl: false,
  });
  await c.connect();
  const out = {};
  const col = async (sql, params) => (await c.query(sql, params)).rows.map((r) => Object.values(r)[0]);
  out.schemas = (await col("SELECT schema_name FROM information_schema.schemata")).sort();
  out.tables = (await col(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    ["public"])).sort();
  out.views = (await col(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'VIEW'",
    ["reports"])).sort();
  const info = await c.query({
    text: "SELECT column_name, data_type, udt_name FROM information_schema.columns " +
      "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    values: ["interactions"], rowMode: "array",
  });
  out.info_schema = info.rows;
  // The OIDs of the row description, named through pg_type.
  const r = await c.query("SELECT * FROM interactions LIMIT 1");
  const oids = r.fields.map((f) => f.dataTypeID);
  const names = await c.query("SELECT oid, typname FROM pg_catalog.pg_type");
  const byOid = Object.fromEntries(names.rows.map((t) => [Number(t.oid), t.typname]));
  out.columns = r.fields.map((f) => [f.name, byOid[f.dataTypeID] ?? String(f.dataTypeID)]);
  out.pk = await col(
    "SELECT kcu.column_name FROM information_schema.table_constraints tc " +
      "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name " +
      "WHERE tc.table_name = $1 AND tc.constraint_type = 'PRIMARY KEY'", ["interactions"]);
  out.indexes = await col(
    "SELECT i.indexrelid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid " +
      "WHERE c.relname = $1", ["interactions"]);
  out.kpi = cell((await c.query(
    "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = $1", ["chat"])).rows[0].fcr_pct);
  out.report = table(await c.query("SELECT * FROM report('team', '2026-10-01', '2026-11-01')"));
  out.view = table(await c.query("SELECT * FROM reports.team"));
  out.writes = [];
  for (const w of ["CREATE TABLE kpiql_t (a int)", "DELETE FROM interactions"]) {
    try {
      await c.query(w);
      out.writes.push("accepted");
    } catch (e) {
      out.writes.push(e.code);
    }
  }
  await c.end();
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
