#!/usr/bin/env python3
"""Start-up of two sockpeer binaries, alternated run by run (the machine is shared: drift hits both).

    python3 bench/startup_compare.py BINARY_A BINARY_B [ARGS...]     (ROUNDS=60 by default)

Prints wall and CPU (user + system, from wait4) medians and minimums; the first 5 rounds are warm-up.
Used to decide whether `sockpeer serve` is linked into `sockpeer` (bench/RESULTS.md).
"""
import os, sys, time, statistics
bins = {"A": sys.argv[1], "B": sys.argv[2]}
args = sys.argv[3:]
res = {k: ([], []) for k in bins}
for r in range(int(os.environ.get("ROUNDS", "60"))):
    for k, b in (bins.items() if r % 2 == 0 else reversed(list(bins.items()))):
        t = time.perf_counter()
        pid = os.posix_spawn(b, [b] + args, os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        _, st, ru = os.wait4(pid, 0)
        w = time.perf_counter() - t
        if r >= 5:
            res[k][0].append(w); res[k][1].append(ru.ru_utime + ru.ru_stime)
for k, (w, c) in res.items():
    print(f"{k:2s} {' '.join(args):28s} wall median {statistics.median(w)*1000:6.2f} ms min {min(w)*1000:6.2f} ms | cpu median {statistics.median(c)*1000:6.2f} ms min {min(c)*1000:6.2f} ms (n={len(w)})")
