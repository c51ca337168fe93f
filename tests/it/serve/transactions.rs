//! Transactions as clients use them (issue 26): psycopg opens one before
//! its first statement, and its nested `transaction()` blocks are
//! savepoints. All are no-ops here, with PostgreSQL's tags and statuses.

use std::process::Command as StdCommand;

use super::{PASSWORD, serve};

#[test]
fn psycopg_transactions_and_savepoints_are_accepted_and_writes_still_refused() {
    let python = crate::fixtures::venv_python("psycopg-venv", "psycopg", "psycopg[binary]");
    let server = serve(&[]);
    // Each line printed is a transaction status (psycopg reads it from
    // ReadyForQuery) or a result, in the order PostgreSQL 16 gives them.
    let script = r#"
import sys, psycopg
from psycopg.pq import TransactionStatus as S
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), dbname="kpiql",
                     user="kpiql", password=sys.argv[2], sslmode="disable") as conn:
    print(conn.info.transaction_status.name)          # IDLE
    n = conn.execute("SELECT count(*) FROM interactions").fetchone()[0]
    print(conn.info.transaction_status.name, n)       # INTRANS 20000 (psycopg sent BEGIN)
    with conn.transaction():                          # SAVEPOINT
        with conn.transaction():                      # SAVEPOINT
            m = conn.execute("SELECT count(*) FROM interactions WHERE channel = %s",
                             ("chat",)).fetchone()[0]
        print(conn.info.transaction_status.name, m > 0)   # after RELEASE: INTRANS True
    print(conn.info.transaction_status.name)          # INTRANS
    conn.execute("SET TRANSACTION READ ONLY")
    conn.commit()
    print(conn.info.transaction_status.name)          # IDLE
    try:
        conn.execute("CREATE TABLE t (a int)")
    except psycopg.Error as e:
        print(e.sqlstate, conn.info.transaction_status.name)   # 25006 INERROR
    try:
        conn.execute("SELECT 1")
    except psycopg.Error as e:
        print(e.sqlstate)                             # 25P02
    conn.rollback()
    print(conn.info.transaction_status.name)          # IDLE
    conn.autocommit = True
    try:
        conn.execute("SAVEPOINT outside")
    except psycopg.Error as e:
        print(e.sqlstate)                             # 25P01
    cur = conn.execute("START TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    print(cur.statusmessage, conn.info.transaction_status.name)   # START TRANSACTION INTRANS
    conn.execute("COMMIT")
    print(conn.info.transaction_status.name)          # IDLE
    conn.autocommit = False
    conn.execute("SELECT 1")                          # BEGIN, then the query
    # A failed statement inside a savepoint: psycopg rolls back to it
    # (ROLLBACK TO SAVEPOINT), and the transaction goes on.
    try:
        with conn.transaction():
            conn.execute("CREATE TABLE t (a int)")
    except psycopg.Error as e:
        print(e.sqlstate, conn.info.transaction_status.name)   # 25006 INTRANS
    print(conn.execute("SELECT 1 + 1").fetchone()[0])  # 2
    conn.rollback()
"#;
    let out = StdCommand::new(python)
        .args(["-c", script, &server.port.to_string(), PASSWORD])
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The sample lake's 20000 interactions (psql_sees_the_tables...).
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "IDLE",
            "INTRANS 20000",
            "INTRANS True",
            "INTRANS",
            "IDLE",
            "25006 INERROR",
            "25P02",
            "IDLE",
            "25P01",
            "START TRANSACTION INTRANS",
            "IDLE",
            "25006 INTRANS",
            "2",
        ],
        "{stdout}"
    );
}
