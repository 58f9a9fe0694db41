#!/usr/bin/env python3
"""Benchmark of `sockpeer serve` on population A (see run.py and popgen.c).

- steady /metrics scrape time against a one-shot `sockpeer list --json`, alternated run by run
  (the server runs with --min-interval 0, so every scrape takes a new snapshot, as a 15 s
  Prometheus scrape interval would);
- CPU used by the idle server over 10 s after the scrapes;
- RSS after 10 scrapes and after 1,000.

Prints a Markdown section for bench/RESULTS.md. Usage:
    python3 bench/serve.py [--sockpeer artifacts/sockpeer/sockpeer] [--rounds 15] [--scrapes 1000] [--quick]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the harness: populations, timer, cleanup)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stat(pid: int) -> tuple[float, int]:
    """(CPU seconds used, RSS bytes) of pid."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return cpu, rss


def scrape(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read()
    elapsed = time.perf_counter() - start
    if b"sockpeer_build_info" not in body:
        raise RuntimeError("scrape without sockpeer_build_info")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockpeer", default=str(run.DEFAULT_SOCKPEER))
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--scrapes", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="small population, few rounds (a smoke test)")
    args = ap.parse_args()
    sockpeer = Path(args.sockpeer).resolve()
    serve_bin = sockpeer.parent / "sockpeer-serve"
    params = run.QUICK_POPS["A"] if args.quick else run.FULL_POPS["A"]
    rounds, scrapes = (3, 20) if args.quick else (args.rounds, args.scrapes)

    popgen, _, measure = run.compile_helpers()
    pop = run.Population("A", params, popgen, timeout=300)
    timer = run.Runner(measure, timeout=120)
    port = free_port()
    server = subprocess.Popen([str(serve_bin), "--listen", f"127.0.0.1:{port}", "--min-interval", "0"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run.on_cleanup(lambda: (server.terminate(), server.wait()))
    url = f"http://127.0.0.1:{port}/metrics"
    line = server.stderr.readline().decode().strip()
    if not line.startswith("sockpeer: serving"):
        raise RuntimeError(f"server did not start: {line}")

    load_before = run.loadavg()
    list_times, scrape_times = [], []
    for i in range(args.warmup + rounds):
        wall, _, _, err = timer.run([str(sockpeer), "list", "--json"])
        if err:
            raise RuntimeError(f"sockpeer list --json: {err}")
        s = scrape(url)
        if i >= args.warmup:
            list_times.append(wall)
            scrape_times.append(s)
    list_med, scrape_med = statistics.median(list_times), statistics.median(scrape_times)

    # RSS after 10 and after `scrapes` scrapes (counted from here on).
    for _ in range(10):
        scrape(url)
    _, rss10 = proc_stat(server.pid)
    for _ in range(scrapes - 10):
        scrape(url)
    _, rss_n = proc_stat(server.pid)

    cpu0, _ = proc_stat(server.pid)
    time.sleep(10)
    cpu1, _ = proc_stat(server.pid)
    load_after = run.loadavg()

    server.terminate()
    server.wait(timeout=10)
    pop.stop()

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    ratio = scrape_med / list_med
    print(f"### sockpeer serve on population A ({when}{', quick' if args.quick else ''})\n")
    print(f"`python3 bench/serve.py{' --quick' if args.quick else ''}`; load {load_before} before, {load_after} after "
          f"(2 cores shared with other sessions' builds and tests).\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| `sockpeer list --json`, one-shot (median of {rounds}) | {list_med * 1000:.0f} ms | |")
    print(f"| `/metrics` scrape, new snapshot each (median of {rounds}) | {scrape_med * 1000:.0f} ms "
          f"({ratio:.2f} ×) | ≤ 0.5 × {'met' if ratio <= 0.5 else 'MISSED'} |")
    print(f"| CPU of the idle server over 10 s | {(cpu1 - cpu0) * 1000:.0f} ms | none measurable |")
    print(f"| RSS after 10 scrapes / after {scrapes} | {rss10 / 2**20:.1f} MiB / {rss_n / 2**20:.1f} MiB "
          f"({(rss_n - rss10) / 2**20:+.1f} MiB) | within 5 MiB {'met' if abs(rss_n - rss10) <= 5 * 2**20 else 'MISSED'} |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        run.run_cleanups()
