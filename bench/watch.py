#!/usr/bin/env python3
"""Costs of `sockpeer watch` (issue 9), recorded in bench/RESULTS.md by hand.

    python3 bench/watch.py                      # idle cost on population A for 10 min, then latency
    python3 bench/watch.py --minutes 3          # a shorter idle run (RSS compared at 1 min and at 3)
    python3 bench/watch.py --skip-idle          # latency only
    python3 bench/watch.py --existing --minutes 2   # on the sockets already there (no population built)

Idle: builds population A with bench/popgen.c (500 processes x (20 pairs + 20 connections),
40,001 sockets), starts `sockpeer watch --interval 1s` with stdout to /dev/null, and reads the
watcher's CPU (utime + stime from /proc/PID/stat) and RSS (VmRSS) at 1 minute and at the end.
CPU is the share of one core between second 5 and second 65 (start-up excluded).

Latency: with population A gone, `sockpeer watch --json --interval 100ms --path DIR/*` and a
listener in DIR; a client connect()s N times (one at a time, at random phases of the interval),
and the time from just before connect() to the arrival of its event line is recorded. Median and
spread are printed. Run as root.
"""
import argparse, json, os, random, select, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def build_popgen(tmp):
    exe = Path(tmp) / "popgen"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(ROOT / "bench/popgen.c")], check=True)
    return exe


def idle(binary, minutes, existing):
    with tempfile.TemporaryDirectory(prefix="sockpeer-watchbench-") as tmp:
        pop = None
        if not existing:
            popgen = build_popgen(tmp)
            os.mkdir(tmp + "/pop")
            pop = subprocess.Popen([str(popgen), "--dir", tmp + "/pop", "--procs", "500", "--pairs", "20", "--conns", "20"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            if pop is not None and pop.stdout.readline().strip() != b"ready":
                sys.exit("popgen did not get ready")
            stats = subprocess.run([str(binary), "list"], capture_output=True, env=dict(os.environ, SOCKPEER_STATS="1")).stderr.decode()
            sockets = next((l.split(", ")[3] for l in stats.splitlines() if "sockets" in l), "?")
            events = open(Path(tmp) / "events", "w+")
            watch = subprocess.Popen([str(binary), "watch", "--json", "--interval", "1s"], stdout=events, stderr=subprocess.DEVNULL)
            try:
                time.sleep(5)
                c0, t0 = cpu_seconds(watch.pid), time.monotonic()
                time.sleep(60)
                c1, t1 = cpu_seconds(watch.pid), time.monotonic()
                rss1 = rss_kib(watch.pid)
                time.sleep(max(0, minutes * 60 - 65))
                rss_end = rss_kib(watch.pid)
                c2, t2 = cpu_seconds(watch.pid), time.monotonic()
            finally:
                watch.terminate()
                watch.wait()
            events.seek(0)
            lines = [json.loads(l) for l in events if l.strip()]
            slow = [e["message"] for e in lines if e.get("code") == "slow_poll"]
            print(f"events while idle: {sum(1 for e in lines if e['event'] != 'warning')} (other activity on the machine), warnings: {sum(1 for e in lines if e['event'] == 'warning')}")
            print("slow ticks: " + (slow[0] if slow else "none: every snapshot took less than the 1 s interval"))
            print(f"population: {sockets}; {sum(1 for p in os.listdir('/proc') if p.isdigit())} processes")
            print(f"idle CPU, seconds 5-65: {100 * (c1 - c0) / (t1 - t0):.1f} % of one core")
            print(f"idle CPU, seconds 5-{int(t2 - t0 + 5)}: {100 * (c2 - c0) / (t2 - t0):.1f} % of one core")
            print(f"RSS at 1 min: {rss1 / 1024:.1f} MiB; at {minutes} min: {rss_end / 1024:.1f} MiB; growth {(rss_end - rss1) / 1024:+.1f} MiB")
        finally:
            if pop is not None:
                pop.stdin.close()
                pop.wait()


def latency(binary, runs):
    with tempfile.TemporaryDirectory(prefix="sockpeer-watchlat-") as d:
        sentinel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sentinel.bind(d + "/sentinel.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(d + "/s.sock")
        listener.listen(128)
        watch = subprocess.Popen([str(binary), "watch", "--json", "--initial", "--interval", "100ms", "--path", d + "/*"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = watch.stdout
        def next_event(deadline):
            while time.monotonic() < deadline:
                ready, _, _ = select.select([out], [], [], deadline - time.monotonic())
                if ready:
                    line = out.readline()
                    if not line:
                        return None, None
                    return json.loads(line), time.monotonic()
            return None, None
        try:
            while True:
                e, _ = next_event(time.monotonic() + 60)
                if e is None:
                    sys.exit("watch did not start")
                if e["event"] == "exists" and e["socket"]["inode"] == os.fstat(sentinel.fileno()).st_ino:
                    break
            samples, clients = [], []
            for _ in range(runs):
                time.sleep(random.uniform(0.3, 0.5))  # a random phase of the 100 ms interval
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                start = time.monotonic()
                c.connect(d + "/s.sock")
                inode = os.fstat(c.fileno()).st_ino
                clients.append(c)
                while True:
                    e, arrived = next_event(start + 30)
                    if e is None:
                        sys.exit("no event for a connect within 30 s")
                    if e["event"] in ("connect", "pending") and e["socket"]["inode"] == inode:
                        samples.append((arrived - start) * 1000)
                        break
                listener.accept()
            samples.sort()
            q = statistics.quantiles(samples, n=10)
            print(f"connect-to-event latency at --interval 100ms, {runs} connects: median {statistics.median(samples):.0f} ms, "
                  f"p10 {q[0]:.0f} ms, p90 {q[-1]:.0f} ms, min {samples[0]:.0f} ms, max {samples[-1]:.0f} ms")
        finally:
            watch.terminate()
            watch.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockpeer", default=str(ROOT / "artifacts/sockpeer/sockpeer"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--skip-idle", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--existing", action="store_true", help="measure on the sockets already there (do not build population A)")
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not a.skip_idle:
        idle(a.sockpeer, a.minutes, a.existing)
    if not a.skip_latency:
        latency(a.sockpeer, a.runs)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
