#!/usr/bin/env bash
# Peak memory of `kpiql serve` while one client streams a whole table
# (issue 16): the result must flow through, not be collected.
#
#   bench/serve_stream.sh KPIQL LAKE [MEMORY_LIMIT] [TABLE]
#
# Starts KPIQL --data LAKE --memory-limit MEMORY_LIMIT serve on a free
# loopback port, streams `SELECT * FROM TABLE` (default interactions) to
# psql (rows counted, not kept: psql's FETCH_COUNT reads through a cursor),
# and prints the rows, the seconds, and the server's peak RSS (VmHWM) next
# to its RSS before the query. Needs psql. Figures: bench/README.md.
set -euo pipefail
kpiql=$1
lake=$2
limit=${3:-1G}
table=${4:-interactions}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
KPIQL_PASSWORD=bench "$kpiql" --data "$lake" --memory-limit "$limit" serve --listen "127.0.0.1:$port" 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 600); do
    grep -q "listening on" "$log" && break
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
rss() { awk -v k="$1" '$1 == k":" {print int($2 / 1024)}' /proc/$server/status; }
before=$(rss VmRSS)
start=$(date +%s%N)
rows=$(PGPASSWORD=bench psql "host=127.0.0.1 port=$port dbname=kpiql user=kpiql sslmode=disable" \
    -X -q -A -t -v FETCH_COUNT=50000 -c "SELECT * FROM $table" | wc -l)
end=$(date +%s%N)
peak=$(rss VmHWM)
printf '%s rows of %s in %s s; server RSS before %s MiB, peak %s MiB (--memory-limit %s)\n' \
    "$rows" "$table" "$(( (end - start) / 1000000000 )).$(( (end - start) / 100000000 % 10 ))" "$before" "$peak" "$limit"
