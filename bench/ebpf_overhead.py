#!/usr/bin/env python3
"""Overhead of `sockpeer watch --source ebpf` on a Unix connect/close loop (issue 15's numbers).

  python3 bench/ebpf_overhead.py --sockpeer artifacts/sockpeer/sockpeer [--seconds 5] [--rounds 3]

1. Connections per second of a client that connects to a local listener and closes, with and
   without the watcher attached (alternating rounds, medians): the slowdown is the overhead. Twice:
   the watcher printing every connection of the loop, and watching another directory (the kernel
   drops the loop's events: what the watcher costs a busy host's other sockets).
2. The watcher's own CPU (utime+stime from /proc/PID/stat) while a client makes 10,000 connections
   per second, as a share of one core.
Everything binds a socket in a fresh temporary directory and stops by itself.
"""
import argparse, os, socket, statistics, subprocess, sys, tempfile, threading, time

def serve(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4096)
    def loop():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.close()
    threading.Thread(target=loop, daemon=True).start()
    return srv

CLIENT = r"""
import socket, sys, time
path, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n = 0
start = time.monotonic()
end = start + seconds
while True:
    now = time.monotonic()
    if now >= end:
        break
    if rate > 0 and n >= (now - start) * rate:
        time.sleep(0.0005)
        continue
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.close()
    n += 1
print(n / (time.monotonic() - start))
"""

def client(path, seconds, rate=0.0):
    out = subprocess.run([sys.executable, "-c", CLIENT, path, str(seconds), str(rate)], check=True, capture_output=True, text=True)
    return float(out.stdout)

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def start_watcher(sockpeer, directory):
    w = subprocess.Popen([sockpeer, "watch", "--source", "ebpf", "--json", "--path", directory.rstrip("/") + "/*"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)  # attach and first snapshot
    if w.poll() is not None:
        sys.exit("watcher exited: " + w.stderr.read().decode())
    return w

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockpeer", required=True)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    directory = tempfile.mkdtemp(prefix="sockpeer-ebpf-bench-")
    path = os.path.join(directory, "s.sock")
    srv = serve(path)
    try:
        elsewhere = tempfile.mkdtemp(prefix="sockpeer-ebpf-bench-other-")
        without, with_, other = [], [], []
        for _ in range(args.rounds):
            without.append(client(path, args.seconds))
            for watched, results in ((directory, with_), (elsewhere, other)):
                w = start_watcher(args.sockpeer, watched)
                try:
                    results.append(client(path, args.seconds))
                finally:
                    w.terminate(); w.wait(10)
        os.rmdir(elsewhere)
        base, attached, filtered = statistics.median(without), statistics.median(with_), statistics.median(other)
        print(f"- connect/close loop: {base:,.0f}/s without the watcher, {attached:,.0f}/s with it printing every event "
              f"(medians of {args.rounds}; {100 * (1 - attached / base):+.1f} % slower)")
        print(f"- the same loop, the watcher watching another directory: {filtered:,.0f}/s ({100 * (1 - filtered / base):+.1f} % slower)")
        w = start_watcher(args.sockpeer, directory)
        try:
            before = cpu_seconds(w.pid)
            t0 = time.monotonic()
            achieved = client(path, args.seconds, rate=10_000)
            used = cpu_seconds(w.pid) - before
            wall = time.monotonic() - t0
        finally:
            w.terminate(); w.wait(10)
        print(f"- watcher CPU at {achieved:,.0f} connects/s: {100 * used / wall:.1f} % of one core over {wall:.1f} s")
        print(f"- load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        srv.close()
        for f in os.listdir(directory):
            os.unlink(os.path.join(directory, f))
        os.rmdir(directory)

if __name__ == "__main__":
    main()
