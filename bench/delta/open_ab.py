"""The cost of opening lakes with binaries, A against B: `sql "SELECT 1"`,
alternating runs, wall and CPU ms (first quartile and median).

    python3 bench/delta/open_ab.py 60 OLD:/tmp/lake10m NEW:/tmp/lake10m

Each case is BINARY:LAKE.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    runs, cases = int(sys.argv[1]), sys.argv[2:]
    wall = {c: [] for c in cases}
    cpu = {c: [] for c in cases}
    for _ in range(runs):
        for case in cases:
            binary, lake = case.rsplit(":", 1)
            start = time.perf_counter()
            child = subprocess.Popen([binary, "-q", "--data", lake, "--threads", "2",
                                      "sql", "SELECT 1"], stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(child.pid, 0)
            if status != 0:
                raise SystemExit(f"{case}: exit status {status}")
            wall[case].append(time.perf_counter() - start)
            cpu[case].append(usage.ru_utime + usage.ru_stime)
    for case in cases:
        w, c = sorted(wall[case]), sorted(cpu[case])
        print(f"{case:50} wall p25 {w[len(w) // 4] * 1000:6.2f} "
              f"med {statistics.median(w) * 1000:6.2f} | "
              f"cpu p25 {c[len(c) // 4] * 1000:6.2f} med {statistics.median(c) * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
