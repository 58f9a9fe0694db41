#!/usr/bin/env python3
"""Overhead of `sockpeer watch --source ebpf` on real daemons over Unix sockets (issue 22).

  python3 bench/daemon_overhead.py --sockpeer artifacts/sockpeer/sockpeer [--rounds 5] [--seconds 5] [--only redis,pg,web]

Each daemon runs by hand from a private configuration in a fresh temporary directory, on a Unix
socket there (nginx's front listens on 127.0.0.1 only, as `ab` speaks TCP); no system service or
default configuration is used, and every daemon is stopped and the directory removed at the end,
also on failure or Ctrl-C.

- redis: `redis-server --port 0 --unixsocket DIR/redis.sock`, measured with `redis-benchmark -s`
  (GET and SET, 50 clients).
- postgresql: a cluster `initdb`'d in DIR (as the `postgres` user when run as root), socket in DIR,
  no TCP; `pgbench -S` (select-only, 4 clients, 2 threads) over the socket.
- nginx + php-fpm: php-fpm's pool on DIR/php.sock, nginx on 127.0.0.1:PORT passing every request to
  it over that socket (a new Unix connection per request); `ab -c 8` on a one-line PHP page.

Each benchmark runs --rounds times with and without `sockpeer watch --source ebpf > FILE` (no filter:
the watcher prints every connection of the host), A/B alternated (the order flips every round, so
drift on a shared machine hits both alike); the report gives the medians and the ratio with/without.
The load average is printed before and after: read the ratios against it.
Needs root (eBPF), redis-server redis-tools postgresql postgresql-contrib nginx php-fpm apache2-utils.
"""
import argparse
import json
import glob
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {(r.stderr or r.stdout)[-500:]}")
    return r


def wait_for(pred, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemons:
    """Every process started here, stopped in reverse order."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, **kw):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kw)
        self.procs.append((name, p))
        return p

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        self.procs.clear()


# ------------------------------------------------------------------ the daemons

def redis_setup(d, daemons, seconds):
    sock = os.path.join(d, "redis.sock")
    daemons.start("redis", ["redis-server", "--port", "0", "--bind", "127.0.0.1", "--unixsocket", sock, "--unixsocketperm", "700",
                            "--save", "", "--appendonly", "no", "--dir", d, "--daemonize", "no"])
    wait_for(lambda: os.path.exists(sock), "redis's socket")
    n = 0

    def bench():
        nonlocal n
        # About `seconds` per run: size the request count from a first short run.
        if n == 0:
            out = run(["redis-benchmark", "-s", sock, "-t", "get,set", "-n", "20000", "-c", "50", "--csv"]).stdout
            rate = min(float(v) for k, v in parse_redis(out).items())
            n = max(20000, int(rate * seconds))
        out = run(["redis-benchmark", "-s", sock, "-t", "get,set", "-n", str(n), "-c", "50", "--csv"]).stdout
        return {f"redis {k}": v for k, v in parse_redis(out).items()}
    return bench


def parse_redis(out):
    rates = {}
    for line in out.splitlines():
        m = re.match(r'"(\w+)","([\d.]+)"', line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    if not rates:
        raise RuntimeError(f"redis-benchmark printed no rate: {out[:300]}")
    return rates


def pg_setup(d, daemons, seconds):
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    data = os.path.join(d, "pg")
    as_user = []
    if os.geteuid() == 0:
        # postgres refuses to run as root: the cluster and its process belong to the postgres user.
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    run(as_user + [f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
    daemons.start("postgres", as_user + [f"{bindir}/postgres", "-D", data, "-k", d, "-c", "listen_addresses=", "-c", "fsync=off",
                                         "-c", "max_connections=50", "-c", "shared_buffers=64MB"])
    sock = os.path.join(d, ".s.PGSQL.5432")
    wait_for(lambda: os.path.exists(sock), "postgres's socket")
    wait_for(lambda: subprocess.run([f"{bindir}/pg_isready", "-h", d, "-U", "postgres"], capture_output=True).returncode == 0, "postgres to accept")
    run([f"{bindir}/pgbench", "-i", "-s", "4", "-q", "-h", d, "-U", "postgres", "postgres"])

    def bench():
        out = run([f"{bindir}/pgbench", "-S", "-c", "4", "-j", "2", "-T", str(seconds), "-h", d, "-U", "postgres", "postgres"]).stdout
        m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        if not m:
            raise RuntimeError(f"pgbench printed no tps: {out[-300:]}")
        return {"pgbench -S tps": float(m.group(1))}
    return bench


PHP_FPM = """[global]
pid = {d}/php-fpm.pid
error_log = {d}/php-fpm.log
daemonize = no
[web]
user = {user}
group = {group}
listen = {d}/php.sock
listen.mode = 0600
pm = static
pm.max_children = 4
"""

NGINX = """daemon off;
master_process on;
worker_processes 1;
user {user} {group};
pid {d}/nginx.pid;
error_log {d}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/nginx-body;
    fastcgi_temp_path {d}/nginx-fastcgi;
    proxy_temp_path {d}/nginx-proxy;
    uwsgi_temp_path {d}/nginx-uwsgi;
    scgi_temp_path {d}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location ~ \\.php$ {{
            fastcgi_pass unix:{d}/php.sock;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param QUERY_STRING $query_string;
        }}
    }}
}}
"""


def web_setup(d, daemons, seconds):
    fpm = sorted(glob.glob("/usr/sbin/php-fpm*"))[-1]
    os.makedirs(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "index.php"), "w") as f:
        f.write("<?php echo 'hello from php-fpm';\n")
    os.chmod(d, 0o755)
    user, group = "root", "root"
    with open(os.path.join(d, "php-fpm.conf"), "w") as f:
        f.write(PHP_FPM.format(d=d, user=user, group=group))
    port = free_port()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX.format(d=d, user=user, group=group, port=port))
    daemons.start("php-fpm", [fpm, "-R", "-F", "-y", os.path.join(d, "php-fpm.conf")])
    wait_for(lambda: os.path.exists(os.path.join(d, "php.sock")), "php-fpm's socket")
    daemons.start("nginx", ["nginx", "-p", d, "-c", os.path.join(d, "nginx.conf"), "-e", os.path.join(d, "nginx-error.log")])
    url = f"http://127.0.0.1:{port}/index.php"

    def up():
        try:
            return run(["ab", "-n", "1", url]).stdout.count("Complete requests:      1") == 1
        except RuntimeError:
            return False
    wait_for(up, "nginx to answer")

    def bench():
        out = run(["ab", "-q", "-c", "8", "-t", str(seconds), "-n", "10000000", url]).stdout
        m = re.search(r"Requests per second:\s+([\d.]+)", out)
        failed = re.search(r"Failed requests:\s+(\d+)", out)
        if not m or (failed and int(failed.group(1)) > 0):
            raise RuntimeError(f"ab: {out[-500:]}")
        return {"nginx+php-fpm req/s": float(m.group(1))}
    return bench


SETUPS = {"redis": redis_setup, "pg": pg_setup, "web": web_setup}


# ------------------------------------------------------------------ the watcher

# A --path no socket has: the programs run on every connect, accept and close as with "watch", and the
# kernel-side name filter then drops each event, so nothing crosses the ring and nothing is printed.
FILTERED = ["--path", "/nonexistent-sockpeer-bench/*"]


def start_watcher_to_null(sockpeer):
    """The watcher printing to /dev/null: what writing its lines to a file costs (the page cache, writeback) drops out."""
    w = subprocess.Popen([sockpeer, "watch", "--source", "ebpf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(3)  # no first line to wait for: the program loads and the first snapshot is taken well within this
    if w.poll() is not None:
        raise RuntimeError("the watcher exited")
    return w


def start_watcher(sockpeer, out_path, extra=(), prefix=()):
    out = open(out_path, "wb")
    err = open(out_path + ".err", "wb")
    w = subprocess.Popen([*prefix, sockpeer, "watch", "--source", "ebpf", *extra], stdout=out, stderr=err, start_new_session=True)
    out.close()
    err.close()
    # Attached once it has printed its first line (the program loads, then the first snapshot).
    wait_for(lambda: os.path.getsize(out_path) > 0 or w.poll() is not None, "the watcher's first line")
    if w.poll() is not None:
        raise RuntimeError(f"the watcher exited: {open(out_path + '.err').read()[:500]}")
    return w


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root):
    """CPU of a process and every live descendant, with the children they reaped (a daemon and its workers, live or gone)."""
    parent, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(x) for x in fields[11:15])  # its own and its reaped children's (a backend that exited)
    total = 0
    for pid, t in ticks.items():
        p = pid
        while p > 1 and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += t
    return total / os.sysconf("SC_CLK_TCK")


def host_cpu_seconds():
    """(busy, idle) CPU seconds of the whole host so far, from /proc/stat (idle includes iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:8]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / hz, idle / hz


bpftool_cpu = 0.0  # what reading the programs' statistics cost this script's children, kept out of the load generator's


def program_seconds():
    """Seconds our eBPF programs have run (kernel.bpf_stats_enabled), and how many times."""
    global bpftool_cpu
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True, timeout=10).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    bpftool_cpu += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    ns = runs = 0
    for prog in json.loads(out or "[]"):
        if prog.get("name", "").startswith("sockpeer_"):
            ns += prog.get("run_time_ns", 0)
            runs += prog.get("run_cnt", 0)
    return ns / 1e9, runs


class Account:
    """
    Where the CPU of one benchmark run goes: the host's busy and idle time (/proc/stat), the daemons'
    (each with its descendants, which includes our programs' time, as a tracepoint program runs in the task that
    made the syscall), the load generator's (this script's waited-for children), the watcher's, and our
    programs' (kernel.bpf_stats_enabled). Per request, the difference between two conditions is the
    CPU the watcher adds, split by where it lands.
    """

    def __init__(self, sessions, watcher):
        self.sessions, self.watcher = sessions, watcher
        self.start = self.read()

    def read(self):
        busy, idle = host_cpu_seconds()
        prog, runs = program_seconds()
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        daemons = {f"daemon {name}": tree_cpu_seconds(pid) for name, pid in self.sessions}
        return {"busy": busy, "idle": idle, **daemons,
                "loadgen": kids.ru_utime + kids.ru_stime - bpftool_cpu, "watcher": cpu_seconds(self.watcher) if self.watcher else 0.0,
                "programs": prog, "program runs": runs}

    def stop(self):
        end = self.read()
        return {k: end[k] - self.start[k] for k in end}


def stop_watcher(w):
    """Stops the watcher; returns the CPU seconds it used in all."""
    used = cpu_seconds(w.pid)
    w.send_signal(signal.SIGINT)
    try:
        w.wait(15)
    except subprocess.TimeoutExpired:
        w.kill()
        w.wait()
    return used


BURNER = """
import sys, time
busy, period = float(sys.argv[1]), float(sys.argv[2])
try:
    while True:
        start = time.perf_counter()
        while time.perf_counter() - start < busy:
            pass
        time.sleep(max(0.0, period - (time.perf_counter() - start)))
except KeyboardInterrupt:
    pass
"""


def start_burner(share, period):
    """
    A process that spins <share> of one core, in one burst every <period> seconds (the watcher drains
    every 50 ms): what taking that much CPU in that rhythm costs the daemons, whoever takes it (no BPF,
    no output).
    """
    p = subprocess.Popen([sys.executable, "-c", BURNER, str(share * period), str(period)], start_new_session=True)
    time.sleep(0.5)
    return p


SLOWPATH_EVENT = "/sys/kernel/tracing/events/syscalls/sys_enter_getppid/enable"


class Slowpath:
    """
    The cost of any syscall tracepoint alone: enabling one (here ftrace's sys_enter_getppid, a
    syscall nothing here makes, so no event is ever written) sets SYSCALL_WORK_SYSCALL_TRACEPOINT on
    every task, and every syscall of the host takes the slow entry/exit path, as it does while the
    eBPF watcher's syscall tracepoints are attached.
    """

    def __init__(self):
        with open(SLOWPATH_EVENT, "w") as f:
            f.write("1")

    def stop(self):
        with open(SLOWPATH_EVENT, "w") as f:
            f.write("0")


def foreign_syscall_tracepoints():
    """BPF programs other processes (other sessions' watchers) have on syscall tracepoints: they put every task on the slow path."""
    try:
        out = subprocess.run(["bpftool", "perf", "list"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return -1
    return sum(1 for line in out.splitlines() if "sys_enter" in line or "sys_exit" in line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockpeer", default="artifacts/sockpeer/sockpeer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--only", default="redis,pg,web")
    ap.add_argument("--with", dest="conditions", default="watch",
                    help="conditions compared with none: watch (sockpeer watch --source ebpf > file), "
                         "slowpath (an ftrace syscall tracepoint that never fires: the syscall slow path alone), "
                         "filtered (watch with a --path no socket has: the programs run, the kernel drops every event), "
                         "devnull (watch > /dev/null: as watch, without the file's writes), "
                         "batch (watch under chrt --batch: its wake-ups do not preempt the daemons), "
                         "nice (watch under nice -n 19), "
                         "burn (no watcher: a process spinning --burn-share of one core in a burst every 50 ms)")
    ap.add_argument("--burn-share", type=float, default=0.06,
                    help="for the burn condition: the share of one core it spins (the watcher's, measured)")
    ap.add_argument("--burn-period", type=float, default=0.05,
                    help="for the burn condition: seconds between its bursts (the watcher's drain interval is 0.05)")
    ap.add_argument("--account", action="store_true",
                    help="also split each run's CPU per request: daemons (with our programs' share, from "
                         "kernel.bpf_stats_enabled, turned on for the run), load generator, watcher, the rest of the host, idle")
    args = ap.parse_args()
    sockpeer = os.path.abspath(args.sockpeer)
    conditions = ["off"] + args.conditions.split(",")
    d = tempfile.mkdtemp(prefix="sp-daemons-")
    os.chmod(d, 0o755)  # the postgres user walks into it
    daemons = Daemons()
    results = {}  # metric -> condition -> [values]
    watch_lines = []
    watch_cpu = {}  # benchmark name -> [(CPU seconds during the benchmark, lines printed during it, wall seconds)]
    foreign = []
    accounts = {}  # benchmark name -> condition -> [Account.stop() of each run]
    stats_before = None
    if args.account:
        with open(STATS_SWITCH) as f:
            stats_before = f.read().strip()
        with open(STATS_SWITCH, "w") as f:
            f.write("1")
    load_before = os.getloadavg()
    t0 = time.monotonic()
    try:
        for name in args.only.split(","):
            sub = os.path.join(d, name)
            os.makedirs(sub)
            bench = SETUPS[name](sub, daemons, args.seconds)
            bench()  # warm-up, not counted
            for r in range(args.rounds):
                k = r % len(conditions)
                order = conditions[k:] + conditions[:k]  # rotated every round: drift hits every condition alike
                if r % 2 == 1:
                    order.reverse()
                for cond in order:
                    out_path = os.path.join(d, f"watch-{name}-{r}.txt")
                    active = (start_watcher(sockpeer, out_path) if cond == "watch"
                              else start_watcher(sockpeer, out_path, FILTERED) if cond == "filtered"
                              else start_watcher_to_null(sockpeer) if cond == "devnull"
                              else start_watcher(sockpeer, out_path, prefix=["chrt", "--batch", "0"]) if cond == "batch"
                              else start_watcher(sockpeer, out_path, prefix=["nice", "-n", "19"]) if cond == "nice"
                              else start_burner(args.burn_share, args.burn_period) if cond == "burn"
                              else Slowpath() if cond == "slowpath" else None)
                    cpu0 = None
                    account = None
                    try:
                        if args.account:
                            account = Account([(n, p.pid) for n, p in daemons.procs],
                                              active.pid if isinstance(active, subprocess.Popen) else None)
                            t_acc = time.monotonic()
                        if cond == "off":
                            foreign.append(foreign_syscall_tracepoints())
                        if cond == "watch":
                            # The watcher's own CPU while the benchmark runs (not its start-up).
                            with open(out_path, "rb") as f:
                                lines0 = sum(1 for _ in f)
                            cpu0, t0_run = cpu_seconds(active.pid), time.monotonic()
                        got = bench()
                        if account:
                            used = account.stop()
                            used["wall"] = time.monotonic() - t_acc
                            used["rate"] = next(iter(got.values())) if len(got) == 1 else None
                            accounts.setdefault(name, {}).setdefault(cond, []).append(used)
                    finally:
                        if cond in ("filtered", "devnull", "batch", "nice", "burn"):
                            stop_watcher(active)
                        elif isinstance(active, subprocess.Popen):
                            cpu1 = stop_watcher(active)
                            with open(out_path, "rb") as f:
                                watch_lines.append(sum(1 for _ in f))
                            if cpu0 is not None:
                                watch_cpu.setdefault(name, []).append((cpu1 - cpu0, watch_lines[-1] - lines0, time.monotonic() - t0_run))
                        elif active:
                            active.stop()
                    for m, v in got.items():
                        results.setdefault(m, {}).setdefault(cond, []).append(v)
                    print(f"  {name} round {r + 1} {cond}: " + ", ".join(f"{m} {v:,.0f}" for m, v in got.items()), file=sys.stderr, flush=True)
            daemons.stop_all()
    finally:
        daemons.stop_all()
        if os.path.exists(SLOWPATH_EVENT):
            with open(SLOWPATH_EVENT, "w") as f:
                f.write("0")
        shutil.rmtree(d, ignore_errors=True)
        if stats_before is not None:
            with open(STATS_SWITCH, "w") as f:
                f.write(stats_before)
    load_after = os.getloadavg()
    busy = sum(1 for x in foreign if x > 0)
    print(f"rounds {args.rounds} x {args.seconds} s, conditions rotated; load average before {load_before[0]:.1f}/{load_before[1]:.1f}, "
          f"after {load_after[0]:.1f}/{load_after[1]:.1f} (1/5 min), {os.cpu_count()} CPUs; {time.monotonic() - t0:.0f} s; "
          f"watcher output {min(watch_lines, default=0)}-{max(watch_lines, default=0)} lines per run; "
          f"other processes' BPF syscall tracepoints attached during {busy} of {len(foreign)} runs without ours")
    print()
    labels = {"off": "none", "watch": "`watch --source ebpf > file`", "slowpath": "syscall slow path only",
              "filtered": "programs, every event filtered out", "devnull": "`watch --source ebpf > /dev/null`",
              "batch": "`chrt --batch 0 watch > file`", "nice": "`nice -n 19 watch > file`",
              "burn": f"a process spinning {args.burn_share:.1%} of a core, a burst every {args.burn_period * 1000:g} ms"}
    print("| benchmark | " + " | ".join(f"{labels[c]} (median)" for c in conditions) + " | " + " | ".join(f"ratio {labels[c]}" for c in conditions[1:]) + " | runs |")
    print("|---|" + "---:|" * (2 * len(conditions) - 1) + "---|")
    for m, v in results.items():
        med = {c: statistics.median(v[c]) for c in conditions}
        runs = "; ".join(f"{c}: " + ", ".join(f"{x:,.0f}" for x in v[c]) for c in conditions)
        print(f"| {m} | " + " | ".join(f"{med[c]:,.0f}" for c in conditions) + " | " + " | ".join(f"{med[c] / med['off']:.3f}" for c in conditions[1:]) + f" | {runs} |")
    if watch_cpu:
        print()
        print("The watcher's own CPU while each benchmark ran (utime+stime from /proc/PID/stat; on 2 cores, CPU it takes from the daemons):")
        print()
        print("| daemons | watcher CPU, % of one core (median) | lines printed per second (median) | CPU s per 100k lines (median) | runs (CPU s / lines / s) |")
        print("|---|---:|---:|---:|---|")
        for name, runs in watch_cpu.items():
            share = statistics.median(100 * c / w for c, _, w in runs)
            rate = statistics.median(n / w for _, n, w in runs)
            per = statistics.median(c / n * 100000 for c, n, _ in runs if n > 0) if any(n > 0 for _, n, _ in runs) else float("nan")
            print(f"| {name} | {share:.1f} % | {rate:,.0f} | {per:.3f} | " + ", ".join(f"{c:.2f}/{n:,}/{w:.1f}" for c, n, w in runs) + " |")
    if accounts:
        print_accounts(accounts, conditions, labels)
    return 0


STATS_SWITCH = "/proc/sys/kernel/bpf_stats_enabled"


def print_accounts(accounts, conditions, labels):
    """Per benchmark and condition, the medians of where the CPU went, per request where a run has one rate."""
    print()
    print("Where the CPU went (medians over the runs; µs of CPU per request, or cores when a run has several rates; "
          "each daemon's column includes our programs' share, which `programs` gives, `rest` is the host's busy time outside every column before it; "
          "busy + idle = the 2 cores × wall):")
    print()
    for name, by_cond in accounts.items():
        first = next(iter(by_cond.values()))[0]
        parts = [k for k in first if k.startswith("daemon ")] + ["programs", "loadgen", "watcher", "rest", "idle"]
        print("| benchmark | condition | req/s | " + " | ".join(parts) + " | total | program runs per request |")
        print("|---|---|---:|" + "---:|" * (len(parts) + 2))
        for cond in conditions:
            runs = by_cond.get(cond, [])
            if not runs:
                continue
            rows = []
            for u in runs:
                split = {k: v for k, v in u.items() if k.startswith("daemon ")}
                split.update({"programs": u["programs"], "loadgen": u["loadgen"], "watcher": u["watcher"], "idle": u["idle"]})
                split["rest"] = u["busy"] - sum(v for k, v in u.items() if k.startswith("daemon ")) - u["loadgen"] - u["watcher"]
                requests = u["rate"] * u["wall"] if u["rate"] else None
                scale = (1e6 / requests) if requests else (1 / u["wall"])
                row = {k: v * scale for k, v in split.items()}
                row["total"] = sum(v for k, v in row.items() if k != "programs")
                row["runs"] = u["program runs"] / requests if requests else u["program runs"] / u["wall"]
                row["rate"] = u["rate"] or 0
                rows.append(row)
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            unit = "" if runs[0]["rate"] else " cores"
            print(f"| {name} | {labels[cond]} | {med['rate']:,.0f} | " + " | ".join(f"{med[k]:.1f}{unit}" for k in parts)
                  + f" | {med['total']:.1f} | {med['runs']:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
