#!/usr/bin/env python3
"""The journal's numbers (issue 26): recording 10,000 connections a second, and history's query speed.

  python3 bench/journal.py --sockpeer artifacts/sockpeer/sockpeer [--seconds 10] [--events 1000000]
  python3 bench/journal.py --sockpeer artifacts/sockpeer/sockpeer --quick     # a few seconds, small db

1. `sockpeer record --source ebpf --path DIR/*` while a client makes 10,000 connections a second (connect,
   the server accepts and closes, the client closes) to a listener in a fresh directory: connections
   made (the client counts) against connect events stored (SQL on the journal); the recorder's CPU
   (utime+stime from /proc/PID/stat) as a share of one core; database bytes per million connections.
2. A journal of N events (default 1,000,000) spread over one day on 50 paths, generated with SQL (not
   through the kernel): `sockpeer history --path P --since T --until T+1h --json` timed (median of 5),
   with the number of lines it printed.
Needs root for eBPF (part 1 is skipped without it). Everything is made in a temporary directory and removed.
"""
import argparse, base64, json, os, shutil, socket, sqlite3, statistics, subprocess, sys, tempfile, time

from ebpf_overhead import serve  # the benches' listener that accepts and closes each connection (bench/ is on the path)

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
    if n >= (now - start) * rate:
        time.sleep(0.0005)
        continue
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.close()
    n += 1
print(n)
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def record_part(args, d):
    db = os.path.join(d, "rec.db")
    path = os.path.join(d, "s.sock")
    srv = serve(path)
    rec = subprocess.Popen([args.sockpeer, "record", "--db", db, "--source", "ebpf", "--path", d + "/*"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    line = rec.stderr.readline().decode()
    if "recording" not in line:
        print("record did not start:", line, rec.stderr.read().decode())
        return
    time.sleep(0.5)
    cpu0, t0 = cpu_seconds(rec.pid), time.monotonic()
    out = subprocess.run([sys.executable, "-c", CLIENT, path, str(args.seconds), "10000"], check=True, capture_output=True, text=True)
    made = int(out.stdout)
    time.sleep(1.5)  # the last batches
    cpu1, t1 = cpu_seconds(rec.pid), time.monotonic()
    rec.terminate()
    rec.wait(timeout=30)
    srv.close()
    c = sqlite3.connect(db)
    stored = c.execute("SELECT count(*) FROM events WHERE kind = 'connect' AND path = ?", (path,)).fetchone()[0]
    closes = c.execute("SELECT count(*) FROM events WHERE kind = 'close' AND path = ?", (path,)).fetchone()[0]
    lost = c.execute("SELECT count(*) FROM events WHERE kind = 'warning' AND json LIKE '%ebpf_lost%'").fetchone()[0]
    c.close()
    size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
    print(f"record: {made} connections in {args.seconds:.0f}s ({made / args.seconds:.0f}/s); stored {stored} connect, {closes} close events "
          f"({'every connection' if stored == made else f'{made - stored} missing'}); lost-event warnings {lost}")
    print(f"record: recorder CPU {100 * (cpu1 - cpu0) / (t1 - t0):.1f}% of one core over {t1 - t0:.1f}s; "
          f"database {size / 1e6:.1f} MB = {size / max(made, 1):.0f} bytes per connection = {size / max(made, 1):.0f} MB per million connections")


def history_part(args, d):
    db = os.path.join(d, "big.db")
    # A real journal's schema and a real line: a short recording makes them.
    rec = subprocess.Popen([args.sockpeer, "record", "--db", db, "--source", "poll", "--interval", "100ms"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rec.stderr.readline()
    path = os.path.join(d, "seed.sock")
    srv = serve(path)
    c1 = socket.socket(socket.AF_UNIX)
    c1.connect(path)
    time.sleep(0.5)
    rec.terminate()
    rec.wait(timeout=30)
    c1.close()
    srv.close()
    c = sqlite3.connect(db)
    seed = json.loads(c.execute("SELECT json FROM events WHERE kind = 'listen' AND path = ? LIMIT 1", (path,)).fetchone()[0])

    def line_for(p):
        """The seed's listen line, its sockets renamed to p (name and nameBytes), in the writer's compact form."""
        e = json.loads(json.dumps(seed))
        for k in ("socket", "peer", "listener"):
            if e.get(k) and e[k].get("name") == path:
                e[k]["name"] = p
                e[k]["nameBytes"] = base64.b64encode(p.encode()).decode()
        return json.dumps(e, separators=(",", ":"), ensure_ascii=False)
    lines = [line_for(f"/run/app{i}.sock") for i in range(50)]
    day_ns = 86400 * 10**9
    start_ns = (time.time_ns() - day_ns)
    n = args.events
    t = time.monotonic()
    c.execute("DELETE FROM events")
    c.executemany(
        "INSERT INTO events (time_ns, kind, path, client_pid, client_fd, client_inode, client_command, client_uid, source, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ebpf', ?)",
        ((start_ns + i * day_ns // n, ("connect", "accept", "close")[i % 3], f"/run/app{i % 50}.sock", 1000 + i % 997, 5, 100000 + i, "client", 0, lines[i % 50])
         for i in range(n)))
    c.commit()
    c.close()
    size = os.path.getsize(db)
    print(f"history: generated {n} events over one day on 50 paths in {time.monotonic() - t:.1f}s ({size / 1e6:.0f} MB)")
    since = start_ns + day_ns // 2
    fmt = lambda ns: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + "Z"
    argv = [args.sockpeer, "history", "--db", db, "--json", "--path", "/run/app7.sock", "--since", fmt(since), "--until", fmt(since + 3600 * 10**9)]
    times, lines = [], 0
    for _ in range(5):
        t = time.monotonic()
        out = subprocess.run(argv, check=True, capture_output=True)
        times.append(time.monotonic() - t)
        lines = out.stdout.count(b"\n")
    print(f"history: --path /run/app7.sock and a one-hour window over {n} events: median {1000 * statistics.median(times):.0f} ms "
          f"(min {1000 * min(times):.0f}, max {1000 * max(times):.0f}; the whole process), {lines} lines")
    argv = [args.sockpeer, "history", "--db", db, "--summary", "--since", fmt(since), "--until", fmt(since + 3600 * 10**9)]
    t = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    print(f"history --summary over that hour, every path: {1000 * (time.monotonic() - t):.0f} ms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockpeer", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="2 s of recording and 50,000 events")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.events = 2, 50_000
    d = tempfile.mkdtemp(prefix="sp-journal-bench-")
    try:
        if os.geteuid() == 0:
            record_part(args, d)
        else:
            print("record: skipped (eBPF needs root)")
        history_part(args, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
