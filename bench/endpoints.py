#!/usr/bin/env python3
"""Times `sockpeer list --kind all` against `sockpeer list` and `lsof +E` (issue 12).

Population A of bench/run.py (500 processes, 40,001 Unix sockets) plus bench/endpointgen.py:
100 processes with 20 pipes (write end in the process, read end in the server) and 20 loopback
TCP connections each: 2,000 pipes and 2,000 TCP connections. Tools run round-robin through
bench/measure.c (wall time, CPU, peak RSS); medians. Prints a markdown table; run as root.

    python3 bench/endpoints.py [--runs 5] [--sockpeer PATH] [--quick]
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the harness: Population, Runner, Tool, limits and cleanups)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sockpeer", default=str(run.DEFAULT_SOCKPEER))
    ap.add_argument("--quick", action="store_true", help="5 processes each, 2 runs")
    a = ap.parse_args()
    pop = run.QUICK_POPS["A"] if a.quick else run.FULL_POPS["A"]
    gen = dict(procs=5, pipes=3, tcp=3) if a.quick else dict(procs=100, pipes=20, tcp=20)
    runs = 2 if a.quick else a.runs
    popgen, _, measure = run.compile_helpers()
    try:
        err = run.ensure_fd_capacity("A", pop)
        if err:
            run.log(err)
            return 1
        started = time.monotonic()
        population = run.Population("A", pop, popgen, 900)
        run.log(f"population A ready in {time.monotonic() - started:.1f}s")
        g = subprocess.Popen([sys.executable, str(Path(__file__).with_name("endpointgen.py"))]
                             + [x for k, v in gen.items() for x in (f"--{k}", str(v))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        run.on_cleanup(lambda: (g.stdin.close(), g.wait()))
        if g.stdout.readline() != b"ready\n":
            run.log("endpointgen failed")
            return 1
        run.log(f"endpoints ready ({gen})")
        sp = a.sockpeer
        tools = [
            run.Tool("sockpeer list", [sp, "list"], sockpeer=True, runs=runs),
            run.Tool("sockpeer list --kind all", [sp, "list", "--kind", "all"], sockpeer=True, runs=runs),
            run.Tool("sockpeer list --kind all --json", [sp, "list", "--kind", "all", "--json"], sockpeer=True, runs=runs),
            # lsof +E takes minutes on this population: one run, no warm-up.
            run.Tool("lsof +E", ["/usr/bin/lsof", "+E"], runs=1, warmup=0),
        ]
        load_before = run.loadavg()
        runner = run.Runner(measure, 900)
        runner.round_robin("A+endpoints", tools)
        load_after = run.loadavg()
        med = {t.label: t.median_wall() for t in tools}
        print(f"Population A + {gen['procs'] * gen['pipes']:,} pipes + {gen['procs'] * gen['tcp']:,} loopback TCP connections; "
              f"{runs} runs after 1 warm-up (lsof: 1 run), medians; load {load_before} -> {load_after}.\n")
        print("| tool | runs | median wall | median CPU | peak RSS | vs `lsof +E` | vs `sockpeer list` |")
        print("|---|---|---|---|---|---|---|")
        for t in tools:
            w = t.median_wall()
            print(f"| `{t.label}` | {len(t.samples)} | {run.fmt_time(w)} | {run.fmt_time(t.median_cpu())} | "
                  f"{(t.peak_rss_mib() or 0):.1f} MiB | {run.fmt_ratio(w, med['lsof +E'])} | {run.fmt_ratio(w, med['sockpeer list'])} |"
                  + (f" FAILED: {t.failure}" if t.failure else ""))
        return 0
    finally:
        run.run_cleanups()


if __name__ == "__main__":
    sys.exit(main())
