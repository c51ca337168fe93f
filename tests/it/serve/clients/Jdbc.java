// pgjdbc against `kpiql serve` (tests/it/serve/clients.rs), run with the
// source launcher: java -cp postgresql.jar Jdbc.java PORT PASSWORD.
// Introspects through DatabaseMetaData the way Metabase and DBeaver do,
// runs a KPI query with a bound parameter, report('team', ...), a report
// view and a write, and prints one JSON object. Any error is thrown.
import java.sql.*;
import java.util.*;

public class Jdbc {
    static String q(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static String list(List<String> xs) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (String x : xs) j.add(x);
        return j.toString();
    }

    static List<String> column(ResultSet rs, String name) throws SQLException {
        List<String> out = new ArrayList<>();
        while (rs.next()) out.add(q(rs.getString(name)));
        rs.close();
        return out;
    }

    static String table(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> rows = new ArrayList<>();
        List<String> head = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) head.add(q(md.getColumnLabel(i)));
        rows.add(list(head));
        while (rs.next()) {
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                String v = rs.getString(i);
                row.add(q(v == null ? "" : v.equals("t") ? "true" : v.equals("f") ? "false" : v));
            }
            rows.add(list(row));
        }
        rs.close();
        return list(rows);
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/kpiql?sslmode=disable";
        Properties props = new Properties();
        props.setProperty("user", "kpiql");
        props.setProperty("password", args[1]);
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(url, props)) {
            DatabaseMetaData md = c.getMetaData();
            List<String> schemas = column(md.getSchemas(), "TABLE_SCHEM");
            Collections.sort(schemas);
            out.put("schemas", list(schemas));
            List<String> tables = column(md.getTables(null, "public", "%", new String[] {"TABLE"}), "TABLE_NAME");
            Collections.sort(tables);
            out.put("tables", list(tables));
            List<String> views = column(md.getTables(null, "reports", "%", new String[] {"VIEW"}), "TABLE_NAME");
            Collections.sort(views);
            out.put("views", list(views));
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = md.getColumns(null, "public", "interactions", "%")) {
                while (rs.next()) {
                    columns.add(list(List.of(q(rs.getString("COLUMN_NAME")), q(rs.getString("TYPE_NAME")))));
                }
            }
            out.put("columns", list(columns));
            out.put("pk", list(column(md.getPrimaryKeys(null, "public", "interactions"), "COLUMN_NAME")));
            out.put("indexes", list(column(md.getIndexInfo(null, "public", "interactions", false, true), "INDEX_NAME")));
            out.put("foreign_keys", list(column(md.getImportedKeys(null, "public", "interactions"), "FKCOLUMN_NAME")));
            // DBeaver's and DataGrip's function list.
            List<String> functions = column(md.getFunctions(null, null, "business_seconds"), "FUNCTION_NAME");
            out.put("functions", list(functions));
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT fcr(contact_seq, resolved) AS fcr_pct FROM interactions WHERE channel = ?")) {
                p.setString(1, "chat");
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    out.put("kpi", q(rs.getString(1)));
                }
            }
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM report('team', '2026-10-01', '2026-11-01')")) {
                out.put("report", table(p.executeQuery()));
            }
            try (Statement s = c.createStatement()) {
                out.put("view", table(s.executeQuery("SELECT * FROM reports.team")));
            }
            List<String> writes = new ArrayList<>();
            for (String w : new String[] {"CREATE TABLE kpiql_t (a int)", "DELETE FROM interactions"}) {
                try (Statement s = c.createStatement()) {
                    s.execute(w);
                    writes.add(q("accepted"));
                } catch (SQLException e) {
                    writes.add(q(e.getSQLState()));
                }
            }
            out.put("writes", list(writes));
        }
        StringJoiner j = new StringJoiner(",", "{", "}");
        for (Map.Entry<String, String> e : out.entrySet()) j.add(q(e.getKey()) + ":" + e.getValue());
        System.out.println(j);
    }
}
