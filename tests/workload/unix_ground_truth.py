#!/usr/bin/env python3
"""Ground truth for `sockpeer watch` and serve's connection counters.

A scripted AF_UNIX workload in separate OS processes that logs, from inside its own processes, every
listen, connect, accept and close it makes (pid, fd, the socket's inode from fstat, CLOCK_MONOTONIC ns),
and a checker that compares `sockpeer watch --json` lines with that log.

Scenes: listeners that exist before the watcher starts and listeners started (and stopped) while it
runs; a server that accepts at once, one that accepts late, one that never accepts (its clients give
up); connections held 1 ms to ~1 s, closed first by the client or by the server; a forking server (the
child closes the accepted end, the parent its copy); a pre-forked server (children accept); clients in
another network namespace (`unshare --net`); a connected socket passed with SCM_RIGHTS to a helper
that makes the last close.

With --record (issue 26), `sockpeer record` keeps the events in a journal instead, and `sockpeer
history` is checked against the log: by path (the same line-by-line check as watch), by pid, by user,
and in a time window (every connect of the window once, none outside it; closes with their durations).

Run by hand:
  tests/workload/unix_ground_truth.py run --sockpeer artifacts/sockpeer/sockpeer --connections 300 --source ebpf --record
  tests/workload/unix_ground_truth.py run --sockpeer artifacts/sockpeer/sockpeer --connections 3000 --source ebpf --unfiltered
  tests/workload/unix_ground_truth.py run --sockpeer artifacts/sockpeer/sockpeer --connections 300 --source poll --interval-ms 100
Needs root (eBPF, unshare). Exit 0 when every check passed; the report says what was compared.
"""
import argparse
import array
import calendar
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

LOG_FD = None
COPIES = {}
HOST_NETNS = os.stat("/proc/self/ns/net").st_ino
CROSS_NETNS_UNNAMED = []  # pending lines of another namespace's clients read between two namespaces' dumps


def log(op, pid=None, **fields):
    """One JSON line per operation, one write(2) each (O_APPEND: lines from many processes never mix)."""
    fields.update(op=op, pid=pid or os.getpid(), t=time.monotonic_ns())
    os.write(LOG_FD, (json.dumps(fields) + "\n").encode())


def ino(s):
    return os.fstat(s.fileno()).st_ino


# ---------------------------------------------------------------- servers

def serve_conn(conn, path, fd, inode, acceptor):
    """
    Logs the accept (made by pid acceptor) with the client's inode, which the client sends, then
    follows the client's order: 'S ms' (the server closes first after ms) or 'C' (the client closes first).
    """
    try:
        msg = conn.recv(64).split()
        log("accept", pid=acceptor, path=path, fd=fd, inode=inode, client=int(msg[-1]))
        conn.sendall(b"a")
        if msg[0] == b"S":
            time.sleep(int(msg[1]) / 1000)
            log("close", end="server", path=path, fd=fd, inode=inode)
            conn.close()
            return
        while conn.recv(64):
            pass
    except OSError:
        pass
    log("close", end="server", path=path, fd=fd, inode=inode)
    conn.close()


def listen(path, backlog=128):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(backlog)
    log("listen", path=path, fd=s.fileno(), inode=ino(s))
    return s


def unlisten(s, path):
    log("unlisten", path=path, fd=s.fileno(), inode=ino(s))
    s.close()
    os.unlink(path)


def accepted(s, path):
    conn, _ = s.accept()
    return conn


def server_at_once(path, stop_file):
    s = listen(path)
    s.settimeout(0.2)
    while not os.path.exists(stop_file):
        try:
            conn = accepted(s, path)
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve_conn, args=(conn, path, conn.fileno(), ino(conn), os.getpid()), daemon=True).start()
    time.sleep(1.5)  # connections still open finish
    unlisten(s, path)


def server_late(path, stop_file):
    """Accepts each client 150-500 ms after the previous accept: clients wait in the queue."""
    s = listen(path)
    s.settimeout(0.2)
    while not os.path.exists(stop_file):
        time.sleep(random.uniform(0.15, 0.5))
        try:
            conn = accepted(s, path)
        except socket.timeout:
            continue
        conn.settimeout(None)
        threading.Thread(target=serve_conn, args=(conn, path, conn.fileno(), ino(conn), os.getpid()), daemon=True).start()
    time.sleep(1.5)
    unlisten(s, path)


def server_never(path, stop_file):
    s = listen(path, backlog=4096)
    while not os.path.exists(stop_file):
        time.sleep(0.05)
    time.sleep(1.5)
    unlisten(s, path)


def server_forking(path, stop_file):
    """accept(), fork a child per connection; the parent closes its copy (not a socket close), the child serves."""
    s = listen(path)
    s.settimeout(0.2)
    children = []
    while not os.path.exists(stop_file):
        try:
            conn = accepted(s, path)
        except socket.timeout:
            children = [c for c in children if os.waitpid(c, os.WNOHANG) == (0, 0)]
            continue
        conn.settimeout(None)
        fd, inode = conn.fileno(), ino(conn)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            s.close()
            serve_conn(conn, path, fd, inode, parent)
            os._exit(0)
        children.append(pid)
        log("close_copy", path=path, fd=fd, inode=inode)
        conn.close()
    for c in children:
        os.waitpid(c, 0)
    time.sleep(1.5)
    unlisten(s, path)


def server_preforked(path, stop_file, workers=2):
    """The parent listens; children accept (the accept's pid is a child's)."""
    s = listen(path)
    s.settimeout(0.2)
    kids = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            while not os.path.exists(stop_file):
                try:
                    conn = accepted(s, path)
                except (socket.timeout, BlockingIOError):
                    continue
                conn.settimeout(None)
                threading.Thread(target=serve_conn, args=(conn, path, conn.fileno(), ino(conn), os.getpid()), daemon=True).start()
            time.sleep(1.5)
            os._exit(0)
        kids.append(pid)
    for k in kids:
        os.waitpid(k, 0)
    unlisten(s, path)


SERVERS = {"now": server_at_once, "late": server_late, "never": server_never, "fork": server_forking, "prefork": server_preforked}


# ---------------------------------------------------------------- clients

def connect(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    log("connect", path=path, fd=c.fileno(), inode=ino(c), netns=os.stat("/proc/self/ns/net").st_ino)
    return c


def one_connection(spec, helper):
    path, hold_ms, closer = spec["path"], spec["hold"], spec["closer"]
    try:
        c = connect(path)
    except OSError as e:
        log("connect_failed", path=path, errno=e.errno)
        return
    fd, inode = c.fileno(), ino(c)
    if closer == "giveup":  # a server that never accepts: wait, then give up
        time.sleep(hold_ms / 1000)
        log("close", end="client", path=path, fd=fd, inode=inode)
        c.close()
        return
    c.sendall(b"S %d %d" % (hold_ms, inode) if closer == "server" else b"C %d" % inode)
    c.recv(1)  # accepted: every close below comes after the accept
    if closer == "server":
        try:
            while c.recv(64):
                pass
        except OSError:
            pass
        log("close", end="client", path=path, fd=fd, inode=inode)
        c.close()
        return
    time.sleep(hold_ms / 1000)
    if closer == "pass" and helper is not None:
        # Hand the connected socket to the helper, which makes the last close.
        helper.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        helper.recv(1)  # the helper has it
        log("close_copy", end="client", path=path, fd=fd, inode=inode)
        c.close()
        # Only then may the helper close: two closes racing on one file each see the other's
        # reference at sys_enter_close, and neither is reported (a limit of the eBPF program).
        helper.send(b"c")
        return
    log("close", end="client", path=path, fd=fd, inode=inode)
    c.close()


def fd_helper(sock):
    """Receives connected sockets and closes each a little later: the last holder of a passed socket."""
    while True:
        try:
            msg, anc, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(4))
        except OSError:
            return
        if not msg:
            return
        fds = array.array("i")
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
        sock.send(b"k")
        sock.recv(1)  # the sender closed its copy
        for fd in fds:
            time.sleep(0.01)
            log("close", end="client", passed=True, fd=fd, inode=os.fstat(fd).st_ino)
            os.close(fd)


def client_worker(specs_file):
    with open(specs_file) as f:
        specs = json.load(f)
    helper = None
    if any(s["closer"] == "pass" for s in specs):
        a, b = socket.socketpair()
        if os.fork() == 0:
            a.close()
            fd_helper(b)
            os._exit(0)
        b.close()
        helper = a
    for spec in specs:
        if spec.get("after"):
            while time.monotonic() < spec["after"]:
                time.sleep(0.005)
        one_connection(spec, helper)
    if helper is not None:
        helper.close()
        os.wait()


# ---------------------------------------------------------------- the run

def plan(dirpath, n, seed):
    """Listeners and connection specs for n connections in total, over about n/40 seconds."""
    rng = random.Random(seed)
    listeners = {
        "now": {"kind": "now", "path": f"{dirpath}/now.sock", "early": True},
        "late": {"kind": "late", "path": f"{dirpath}/late.sock", "early": True},
        "never": {"kind": "never", "path": f"{dirpath}/never.sock", "early": True},
        "fork": {"kind": "fork", "path": f"{dirpath}/fork.sock", "early": False},
        "prefork": {"kind": "prefork", "path": f"{dirpath}/prefork.sock", "early": False},
        "fresh": {"kind": "now", "path": f"{dirpath}/fresh.sock", "early": False},
    }
    specs = []
    for i in range(n):
        r = rng.random()
        if r < 0.45:
            target = rng.choice(["now", "now", "fresh", "prefork"])
        elif r < 0.55:
            target = "late"
        elif r < 0.65:
            target = "never"
        else:
            target = rng.choice(["fork", "now"])
        # Mostly short connections, some long: 1 ms to ~1 s.
        hold = rng.choice([1, 1, 2, 5, 10, 20, 50]) if rng.random() < 0.8 else rng.randint(200, 1000)
        closer = "giveup" if target == "never" else rng.choice(["client", "server", "client", "server", "pass"])
        ns = target == "now" and rng.random() < 0.15
        specs.append({"path": listeners[target]["path"], "listener": target, "hold": hold, "closer": closer, "netns": ns})
    return listeners, specs


class Recorder:
    """`sockpeer record` into a journal in the run's directory; started when it says it records."""

    def __init__(self, sockpeer, dirpath, source):
        self.sockpeer = sockpeer
        self.db = os.path.join(dirpath, "journal.db")
        self.name = "history"
        self.proc = subprocess.Popen([sockpeer, "record", "--db", self.db, "--source", source, "--path", f"{dirpath}/*"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.err = ""

    def wait_started(self, timeout=30):
        line = self.proc.stderr.readline().decode(errors="replace")
        self.err += line
        if "recording" not in line:
            raise RuntimeError("record did not start: " + line + self.proc.stderr.read().decode(errors="replace"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.err += err.decode(errors="replace")
        if self.proc.returncode != 0:
            raise RuntimeError(f"record exited {self.proc.returncode}: {self.err}")
        self.lines = self.history("--path", f"{os.path.dirname(self.db)}/*")
        return "" if "recorded" in self.err and "warning" not in self.err else self.err

    def history(self, *args):
        r = subprocess.run([self.sockpeer, "history", "--db", self.db, "--json", *args], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"history {' '.join(args)} exited {r.returncode}: {r.stderr.decode(errors='replace')}")
        return [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]


class Watcher:
    def __init__(self, name, argv):
        self.name = name
        self.out = tempfile.NamedTemporaryFile("w+", prefix=f"gt-{name}-", suffix=".jsonl", delete=False)
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.PIPE)

    def wait_started(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.getsize(self.out.name) > 0 or self.proc.poll() is not None:
                break
            time.sleep(0.05)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        with open(self.out.name) as f:
            self.lines = [json.loads(l) for l in f if l.strip()]
        os.unlink(self.out.name)
        return err.decode(errors="replace")


def start_serve(sockpeer, dirpath):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([sockpeer, "serve", "--listen", f"127.0.0.1:{port}", "--source", "ebpf", "--path", f"{dirpath}/*"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read()
            return p, port
        except OSError:
            if p.poll() is not None:
                raise RuntimeError("serve exited: " + p.stderr.read().decode(errors="replace"))
            time.sleep(0.1)
    raise RuntimeError("serve did not answer")


def serve_counts(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    counts = {}
    for line in text.splitlines():
        for metric in ("sockpeer_unix_connects_total", "sockpeer_unix_accepts_total"):
            if line.startswith(metric + "{"):
                labels, value = line[len(metric) + 1:].rsplit("} ", 1)
                path = None
                for part in labels.split('",'):
                    k, _, v = part.partition('="')
                    if k.strip() == "path":
                        path = v.rstrip('"')
                counts[(metric, path)] = counts.get((metric, path), 0) + float(value)
    return counts


def run(args):
    global LOG_FD
    dirpath = args.dir = tempfile.mkdtemp(prefix="sp-gt-")
    os.chmod(dirpath, 0o755)
    logpath = os.path.join(dirpath, "log.jsonl")
    LOG_FD = os.open(logpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    stop_file = os.path.join(dirpath, "stop")
    listeners, specs = plan(dirpath, args.connections, args.seed)
    procs, watchers, serve = [], [], None
    me = os.path.abspath(__file__)
    try:
        def start_server(l):
            pid = os.fork()
            if pid == 0:
                try:
                    SERVERS[l["kind"]](l["path"], stop_file)
                finally:
                    os._exit(0)
            procs.append(pid)
            deadline = time.monotonic() + 5
            while not os.path.exists(l["path"]) and time.monotonic() < deadline:
                time.sleep(0.01)

        for l in listeners.values():
            if l["early"]:
                start_server(l)
        interval = f"{args.interval_ms}ms"
        if args.record:
            watchers.append(Recorder(args.sockpeer, dirpath, args.source))
            wall_offset = time.time_ns() - time.monotonic_ns()
        elif args.source == "ebpf":
            watchers.append(Watcher("path", [args.sockpeer, "watch", "--json", "--source", "ebpf", "--path", f"{dirpath}/*"]))
            if args.unfiltered:
                watchers.append(Watcher("all", [args.sockpeer, "watch", "--json", "--source", "ebpf"]))
            serve = start_serve(args.sockpeer, dirpath)
        else:
            # Unfiltered by default: with --path, a pending client whose listener a snapshot did not
            # resolve (pendingOn null) fails the filter and is not announced (issue 22, still open).
            path = ["--path", f"{dirpath}/*"] if args.poll_path else []
            watchers.append(Watcher("path" if path else "all", [args.sockpeer, "watch", "--json", "--source", "poll", "--interval", interval] + path))
        for w in watchers:
            w.wait_started()
        time.sleep(0.5 if args.source == "ebpf" else 3 * args.interval_ms / 1000)
        # Listeners started while the watchers run: newer than any snapshot they have.
        for l in listeners.values():
            if not l["early"]:
                start_server(l)
        # Client workers: netns clients on their own, the rest spread over a few workers.
        workers = max(2, min(8, args.connections // 40))
        groups = [[] for _ in range(workers)]
        nsgroup = []
        for i, s in enumerate(specs):
            (nsgroup if s["netns"] else groups[i % workers]).append(s)
        clients = []
        for i, g in enumerate(groups + [nsgroup]):
            if not g:
                continue
            f = os.path.join(dirpath, f"specs{i}.json")
            with open(f, "w") as fh:
                json.dump(g, fh)
            argv = [sys.executable, me, "client", f, logpath]
            if g is nsgroup:
                argv = ["unshare", "--net", "--"] + argv
            clients.append(subprocess.Popen(argv))
        for c in clients:
            c.wait()
        open(stop_file, "w").close()
        for p in procs:
            os.waitpid(p, 0)
        procs.clear()
        # The watchers see the last closes (and a poller its next snapshot).
        time.sleep(1.0 + 3 * args.interval_ms / 1000)
        counts = serve_counts(serve[1]) if serve else None
        errs = {w.name: w.stop() for w in watchers}
        with open(logpath) as f:
            entries = [json.loads(l) for l in f]
        failures, report = check(entries, {w.name: w.lines for w in watchers}, args, counts)
        if args.record:
            f, r = check_queries(watchers[0], entries, wall_offset, args)
            failures += f
            report += "\n" + r
        print(report)
        for name, err in errs.items():
            if err.strip():
                print(f"[{name} stderr] {err.strip()[:2000]}")
        if failures:
            print(f"FAILED: {len(failures)} problem(s)")
            for f in failures[: args.show]:
                print("  " + f)
            if args.keep:
                print(f"log and watch lines kept in {dirpath}")
                for w in watchers:
                    with open(os.path.join(dirpath, f"watch-{w.name}.jsonl"), "w") as fh:
                        for line in w.lines:
                            fh.write(json.dumps(line) + "\n")
            return 1
        return 0
    finally:
        open(stop_file, "a").close()
        for p in procs:
            try:
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
            except OSError:
                pass
        for w in watchers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
        if serve:
            serve[0].terminate()
            serve[0].wait()
        if not args.keep:
            shutil.rmtree(dirpath, ignore_errors=True)


# ---------------------------------------------------------------- the check

class Conn:
    def __init__(self, c):
        self.connect = c
        self.accept = None
        self.closes = []

    @property
    def first_close(self):
        return min(self.closes, key=lambda e: e["t"]) if self.closes else None


def connections(entries):
    """The log's connections, by client inode; each accept joined to its client through the kernel's pairing (the server's peer)."""
    conns = {}
    for e in entries:
        if e["op"] == "connect":
            conns[e["inode"]] = Conn(e)
    return conns


def holder_fd(sock, pid):
    for h in (sock or {}).get("holders", []):
        if h["pid"] == pid:
            return h["fd"]
    return None


def check(entries, watches, args, counts):
    failures = []
    conns = connections(entries)
    by_inode_close = {}
    for e in entries:
        if e["op"] == "close":
            by_inode_close.setdefault(e["inode"], []).append(e)
    accepts = [e for e in entries if e["op"] == "accept"]
    for e in entries:
        if e["op"] == "close_copy":
            COPIES.setdefault(e["inode"], []).append(e)
    report = []
    # The client sends its inode; the server logs it with its accept.
    server_of = {a["client"]: a for a in accepts}
    for c in conns.values():
        c.accept = server_of.get(c.connect["inode"])
        c.closes = list(by_inode_close.get(c.connect["inode"], []))
        if c.accept:
            c.closes += by_inode_close.get(c.accept["inode"], [])
    never = {c.connect["inode"] for c in conns.values() if c.connect["path"].endswith("/never.sock")}
    for name, lines in watches.items():
        f = check_one(name, lines, conns, accepts, never, args)
        failures += f
        kinds = {}
        for l in lines:
            kinds[l.get("event")] = kinds.get(l.get("event"), 0) + 1
        report.append(f"{name} ({args.source}): {len(lines)} lines {dict(sorted(kinds.items()))}; {len(f)} problem(s)"
          )
    if CROSS_NETNS_UNNAMED:
        report.append(f"known limit, not failed: {len(CROSS_NETNS_UNNAMED)} pending line(s) of clients in another namespace "
                      f"than their listener, read between the two namespaces' dumps: {'; '.join(CROSS_NETNS_UNNAMED[:5])}")
    if counts is not None:
        for path in sorted({c.connect["path"] for c in conns.values()}):
            want_c = sum(1 for c in conns.values() if c.connect["path"] == path)
            want_a = sum(1 for a in accepts if a["path"] == path)
            got_c = counts.get(("sockpeer_unix_connects_total", path), 0)
            got_a = counts.get(("sockpeer_unix_accepts_total", path), 0)
            report.append(f"serve {os.path.basename(path)}: connects {got_c:.0f}/{want_c}, accepts {got_a:.0f}/{want_a}")
            if got_c != want_c or got_a != want_a:
                failures.append(f"serve: {path}: connects_total {got_c:.0f} (log {want_c}), accepts_total {got_a:.0f} (log {want_a})")
    ops = {}
    for e in entries:
        ops[e["op"]] = ops.get(e["op"], 0) + 1
    report.insert(0, f"workload: {dict(sorted(ops.items()))}")
    return failures, "\n".join(report)


def check_one(name, lines, conns, accepts, never, args):
    fails = []
    mine = {}
    order = {}
    for i, l in enumerate(lines):
        ev = l.get("event")
        if ev not in ("connect", "pending", "accept", "close"):
            continue
        s = l.get("socket") or {}
        if s.get("inode") in conns:
            mine.setdefault(s["inode"], []).append((i, l))
        else:
            p = l.get("peer") or {}
            if p.get("inode") in conns:
                fails.append(f"{name}: line {i} {ev}: a client of the workload shown as the peer, not the socket")
    poll = args.source == "poll"
    # Two intervals, or two of the snapshot times the watcher says it achieved (a loaded host).
    period = args.interval_ms
    for l in lines:
        m = re.search(r"took (\d+) (ms|s)", l.get("message") or "") if l.get("code") == "slow_poll" else None
        if m:
            period = max(period, int(m.group(1)) * (1000 if m.group(2) == "s" else 1))
    two = 2 * period * 1_000_000
    for inode, c in conns.items():
        got = mine.get(inode, [])
        kinds = [l["event"] for _, l in got]
        path = c.connect["path"]
        close = c.first_close
        lived = (close["t"] - c.connect["t"]) if close else None
        tag = f"{name}: #{inode} to {os.path.basename(path)} (pid {c.connect['pid']}, lived {lived / 1e6 if lived else '?'} ms)"
        announced = kinds.count("connect") + kinds.count("pending")
        if poll:
            if announced > 1 or kinds.count("close") > 1 or kinds.count("accept") > 1:
                fails.append(f"{tag}: repeated events {kinds}")
            if kinds.count("close") and not announced:
                fails.append(f"{tag}: closed, never announced {kinds}")
            if lived is not None and lived >= two and (not announced or kinds.count("close") != 1):
                fails.append(f"{tag}: lived over two intervals, events {kinds}")
            for _, l in got:
                # A pending client's listener comes from the snapshot's pendingOn (src/SockPeer/Joining);
                # a client the kernel still holds in an accept queue always has one. Known limit: a
                # client in another network namespace than its listener that connected between the two
                # namespaces' dumps is in no queue the snapshot read (namespaces are dumped one after
                # the other), so its pending line has no listener: counted and reported, not failed.
                if (l["event"] == "pending" and not name_is(l, path) and c.connect.get("netns") not in (None, HOST_NETNS)
                        and (l.get("socket") or {}).get("pendingOn") is None and l.get("listener") is None):
                    CROSS_NETNS_UNNAMED.append(tag)
                    continue
                if l["event"] in ("connect", "pending") and not name_is(l, path):
                    fails.append(f"{tag}: {l['event']} does not name {path}: listener {short(l.get('listener'))} socket {short(l.get('socket'))}"
                                 + (f" pendingOn {(l.get('socket') or {}).get('pendingOn')}" if l["event"] == "pending" else ""))
            continue
        want = ["connect"] + (["accept"] if c.accept else []) + (["close"] if close else [])
        if sorted(kinds) != sorted(want):
            fails.append(f"{tag}: events {kinds}, expected {want}")
            continue
        pos = {l["event"]: i for i, l in got}
        if c.accept and pos["accept"] < pos["connect"]:
            fails.append(f"{tag}: accept before its connect")
        if close and pos["close"] < pos.get("accept", pos["connect"]):
            fails.append(f"{tag}: close before connect/accept")
        for i, l in got:
            ev = l["event"]
            pids = {p["pid"] for p in l.get("processes", [])}
            if not name_is(l, path):
                fails.append(f"{tag}: line {i} {ev} does not name {path}: listener {short(l.get('listener'))} peer {short(l.get('peer'))}")
            if ev == "connect":
                if c.connect["pid"] not in pids:
                    fails.append(f"{tag}: connect without the client's pid {c.connect['pid']}: {sorted(pids)}")
                fd = holder_fd(l["socket"], c.connect["pid"])
                if fd is not None and fd != c.connect["fd"]:
                    fails.append(f"{tag}: connect shows fd {fd}, the client used {c.connect['fd']}")
                if l.get("peer") is not None:
                    fails.append(f"{tag}: connect with a peer (the kernel's connect has no server end yet)")
            elif ev == "accept":
                a = c.accept
                if a["pid"] not in pids:
                    fails.append(f"{tag}: accept without the server's pid {a['pid']}: {sorted(pids)}")
                if (l.get("peer") or {}).get("inode") != a["inode"]:
                    fails.append(f"{tag}: accept's peer {short(l.get('peer'))}, the server end is #{a['inode']}")
                fd = holder_fd(l.get("peer"), a["pid"])
                if fd is not None and fd != a["fd"]:
                    fails.append(f"{tag}: accept shows server fd {fd}, the server got {a['fd']}")
            elif ev == "close":
                # The releasing close is the last descriptor's: with a forking server the parent's copy
                # (close_copy) may go after the child's close.
                closers = {close["pid"]} | {e["pid"] for e in COPIES.get(inode, []) + COPIES.get((c.accept or {}).get("inode"), [])}
                if not closers & pids:
                    fails.append(f"{tag}: close without the closer's pid {close['pid']}: {sorted(pids)}")
                if c.accept:
                    if (l.get("peer") or {}).get("inode") != c.accept["inode"]:
                        fails.append(f"{tag}: an accepted connection's close with peer {short(l.get('peer'))} (server #{c.accept['inode']}): reads as 'was waiting'")
                    if l["socket"].get("awaitingAccept"):
                        fails.append(f"{tag}: an accepted connection's close says awaitingAccept")
                else:
                    if l.get("peer") is not None or not l["socket"].get("awaitingAccept"):
                        fails.append(f"{tag}: a client that gave up unaccepted, not shown as waiting: peer {short(l.get('peer'))}")
    # Nothing of the workload's path reported that the workload did not do.
    for i, l in enumerate(lines):
        if l.get("event") in ("connect", "accept") and name_is_dir(l, args) and (l.get("socket") or {}).get("inode") not in conns:
            fails.append(f"{name}: line {i} {l['event']} #{(l.get('socket') or {}).get('inode')}: no such connect in the log")
    return fails


def rfc3339(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + ".%03dZ" % (ns // 1_000_000 % 1000)


def line_ns(l):
    """A line's time (milliseconds, UTC) in ns."""
    t = l["time"]
    return calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) * 1_000_000_000 + int(t[20:23]) * 1_000_000


def check_queries(rec, entries, wall_offset, args):
    """history by pid, by user and in a time window, against the log (issue 26)."""
    fails, report = [], []
    conns = connections(entries)
    by_inode_close = {}
    for e in entries:
        if e["op"] == "close":
            by_inode_close.setdefault(e["inode"], []).append(e)
    server_of = {e["client"]: e for e in entries if e["op"] == "accept"}
    for c in conns.values():
        c.accept = server_of.get(c.connect["inode"])
        c.closes = list(by_inode_close.get(c.connect["inode"], []))
        if c.accept:
            c.closes += by_inode_close.get(c.accept["inode"], [])
    mine = [c for c in conns.values() if c.connect["path"].startswith(args.dir + "/")]
    # By pid: a client worker's pid selects its connects, and only connects that pid holds at either end.
    pids = sorted({c.connect["pid"] for c in mine})
    pid = pids[0]
    lines = rec.history("--pid", str(pid), "--event", "connect")
    got = [l["socket"]["inode"] for l in lines]
    # --pid selects the sockets the pid holds, as watch's filter does: a connect line whose socket
    # came without its holder (the eBPF event named the process, no snapshot saw the fd) is not
    # selected by pid, in watch as in history. Those are counted, not expected.
    by_path = {l["socket"]["inode"]: l for l in rec.lines if l.get("event") == "connect"}
    unheld = {c.connect["inode"] for c in mine if c.connect["pid"] == pid and c.connect["inode"] in by_path and holder_fd(by_path[c.connect["inode"]].get("socket"), pid) is None}
    want = sorted(c.connect["inode"] for c in mine if c.connect["pid"] == pid and c.connect["inode"] not in unheld)
    got = [i for i in got if i not in unheld]
    if sorted(got) != want:
        fails.append(f"history --pid {pid} --event connect: {len(got)} connects, the log has {len(want)}; missing {sorted(set(want) - set(got))[:5]}, extra {sorted(set(got) - set(want))[:5]}")
    for l in lines:
        if pid not in {p["pid"] for p in l.get("processes", [])}:
            fails.append(f"history --pid {pid}: a line without pid {pid}")
    report.append(f"history --pid {pid}: {len(got)} connect(s), log {len(want)} (and {len(unheld)} stored without their holder)")
    # By user: the workload runs as root; nobody holds none of its sockets.
    root = {l["socket"]["inode"] for l in rec.history("--user", "root", "--event", "connect", "--path", f"{args.dir}/*")}
    nobody = rec.history("--user", "nobody", "--event", "connect", "--path", f"{args.dir}/*")
    if not {c.connect["inode"] for c in mine} <= root:
        fails.append(f"history --user root: {len({c.connect['inode'] for c in mine} - root)} connect(s) of the workload missing")
    if nobody:
        fails.append(f"history --user nobody: {len(nobody)} line(s), expected none")
    report.append(f"history --user root: {len(root)} connect(s); --user nobody: {len(nobody)}")
    # A time window over the middle third of the connects, on wall-clock time.
    times = sorted(c.connect["t"] + wall_offset for c in mine)
    since, until = times[len(times) // 3], times[2 * len(times) // 3]
    since -= since % 1_000_000
    until -= until % 1_000_000
    lines = rec.history("--since", rfc3339(since), "--until", rfc3339(until), "--path", f"{args.dir}/*", "--event", "connect,close")
    margin = 50_000_000
    seen = {}
    for l in lines:
        if not since <= line_ns(l) <= until:
            fails.append(f"history window: a line at {l['time']} outside {rfc3339(since)}..{rfc3339(until)}")
        if l["event"] == "connect":
            seen[l["socket"]["inode"]] = seen.get(l["socket"]["inode"], 0) + 1
    inside = [c for c in mine if since + margin <= c.connect["t"] + wall_offset <= until - margin]
    outside = {c.connect["inode"] for c in mine if not since - margin <= c.connect["t"] + wall_offset <= until + margin}
    for c in inside:
        if seen.get(c.connect["inode"], 0) != 1:
            fails.append(f"history window: #{c.connect['inode']} connected at {rfc3339(c.connect['t'] + wall_offset)}: {seen.get(c.connect['inode'], 0)} connect line(s)")
    for inode in seen:
        if inode in outside:
            fails.append(f"history window: #{inode} connected outside the window, listed")
    # Durations: a close's observedFor against the log's own connect..close.
    closes = {l["socket"]["inode"]: l for l in lines if l["event"] == "close"}
    checked = 0
    for c in inside:
        l, close = closes.get(c.connect["inode"]), c.first_close
        if l is None or close is None or l.get("observedFor") is None:
            continue
        lived = (close["t"] - c.connect["t"]) / 1e9
        checked += 1
        if abs(l["observedFor"] - lived) > 0.05 + 0.1 * lived:
            fails.append(f"history window: #{c.connect['inode']} observedFor {l['observedFor']}s, the log says {lived:.3f}s")
    report.append(f"history window {rfc3339(since)}..{rfc3339(until)}: {len(seen)} connect(s), {len(inside)} inside by the log; {checked} duration(s) checked")
    return fails, "\n".join(report)


def short(s):
    return None if not s else f"#{s.get('inode')} {s.get('name')}"


def name_is(l, path):
    return any((l.get(k) or {}).get("name") == path for k in ("listener", "peer", "socket"))


def name_is_dir(l, args):
    return any(((l.get(k) or {}).get("name") or "").startswith(args.dir + "/") for k in ("listener", "peer", "socket"))


def main():
    global LOG_FD
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        LOG_FD = os.open(sys.argv[3], os.O_WRONLY | os.O_APPEND)
        client_worker(sys.argv[2])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the workload under sockpeer and check it")
    r.add_argument("--sockpeer", required=True)
    r.add_argument("--connections", type=int, default=300)
    r.add_argument("--source", choices=["ebpf", "poll"], default="ebpf")
    r.add_argument("--interval-ms", type=int, default=100)
    r.add_argument("--seed", type=int, default=22)
    r.add_argument("--poll-path", action="store_true", help="with poll, watch with --path (see the open case in run())")
    r.add_argument("--unfiltered", action="store_true", help="with ebpf, also check a watcher without --path (every event of the host)")
    r.add_argument("--record", action="store_true", help="record into a journal and check `sockpeer history` (issue 26)")
    r.add_argument("--show", type=int, default=40, help="problems to print")
    r.add_argument("--keep", action="store_true", help="keep the log and the watch lines")
    args = ap.parse_args()
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
