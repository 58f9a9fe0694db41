#!/usr/bin/env python3
"""The watcher's own CPU per event: `sockpeer watch --source ebpf` (JSON and human) writing to a file
while bench/connloop.c makes short connections at a steady rate (issue 22).

  python3 bench/watcher_cpu.py --sockpeer artifacts/sockpeer/sockpeer [--runs 5] [--connections 30000] [--rate 6000]

Per run: start the watcher with stdout to a file, wait until it prints (a probe connection per 100 ms
until a line shows up), take its utime+stime from /proc/PID/stat, run connloop (COUNT connections at
RATE a second: each is one connect, one accept and one close line), wait until the file stops growing,
take the CPU again, stop the watcher. Reported: CPU seconds per 100,000 lines written (the median of
--runs), lines, and the watcher's idle CPU over the same time (its snapshots underneath), measured
in a run without connections. CPU time, not throughput: on a loaded machine it moves far less.
Everything is in a fresh temporary directory, removed at the end.
"""
import argparse, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def probe(path):
    """One connection to a listener of our own, so a --json watcher (no header line) prints something."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    s, _ = srv.accept()
    for x in (c, s, srv):
        x.close()
    os.unlink(path)


def settle(path, quiet=0.6, timeout=60):
    """Waits until the file has not grown for `quiet` seconds; returns its line count."""
    size, since, deadline = -1, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = os.path.getsize(path)
        if s != size:
            size, since = s, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.1)
    return lines(path)


def one_run(sockpeer, connloop, d, json, count, rate):
    out_path = os.path.join(d, "watch.out")
    with open(out_path, "wb") as out, open(out_path + ".err", "wb") as err:
        argv = [sockpeer, "watch", "--source", "ebpf"] + (["--json"] if json else [])
        w = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while os.path.getsize(out_path) == 0:
            if w.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the watcher did not start: " + open(out_path + ".err").read()[:500])
            probe(os.path.join(d, "probe.sock"))
            time.sleep(0.1)
        base = settle(out_path)
        before, t0 = cpu_seconds(w.pid), time.monotonic()
        if count > 0:
            subprocess.run([connloop, os.path.join(d, "loop.sock"), str(count), str(rate)], check=True, capture_output=True)
        else:
            time.sleep(5)
        n = settle(out_path) - base
        used, wall = cpu_seconds(w.pid) - before, time.monotonic() - t0
    finally:
        w.send_signal(signal.SIGINT)
        try:
            w.wait(15)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()
    return used, n, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockpeer", default="artifacts/sockpeer/sockpeer")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--connections", type=int, default=30000)
    ap.add_argument("--rate", type=float, default=6000)
    ap.add_argument("--views", default="json,human")
    args = ap.parse_args()
    sockpeer = os.path.abspath(args.sockpeer)
    d = tempfile.mkdtemp(prefix="sp-watchcpu-")
    connloop = os.path.join(d, "connloop")
    subprocess.run(["gcc", "-O2", "-o", connloop, os.path.join(HERE, "connloop.c")], check=True)
    load = os.getloadavg()
    try:
        print(f"{args.runs} runs per view, {args.connections:,} connections at {args.rate:,.0f}/s each; load average before {load[0]:.1f}/{load[1]:.1f}")
        print()
        print("| view | CPU s per 100k lines (median) | runs (CPU s / lines) | idle CPU over the same wall time |")
        print("|---|---:|---|---:|")
        for view in args.views.split(","):
            json = view == "json"
            per, runs, walls = [], [], []
            for _ in range(args.runs):
                used, n, wall = one_run(sockpeer, connloop, d, json, args.connections, args.rate)
                per.append(used / max(n, 1) * 100000)
                runs.append(f"{used:.2f}/{n:,}")
                walls.append(wall)
            idle, _, idle_wall = one_run(sockpeer, connloop, d, json, 0, 0)
            idle_share = idle / idle_wall * statistics.median(walls)
            print(f"| {view} | {statistics.median(per):.3f} | {', '.join(runs)} | {idle_share:.2f} s |", flush=True)
        load = os.getloadavg()
        print()
        print(f"load average after {load[0]:.1f}/{load[1]:.1f}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
