#!/usr/bin/env python3
"""Churn stress harness for `sockpeer list --json` (see README.md beside this file).

Worker processes keep forking, connecting, accepting, passing descriptors with SCM_RIGHTS and
exiting, while this script runs `sockpeer list --json` again and again. Every run must exit 0,
print valid JSON and no exception text, and every reported connection must be consistent or
explained. Exit status: 0 when every run passed, 1 on any violation, 2 on a harness error.
"""
import argparse
import array
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent(parent):
    """Workers and their children die when whoever forked them dies, even on SIGKILL of the harness."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def fork_child(body):
    """Forks a child that runs body() and exits; the child never returns into the caller's loop."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            die_with_parent(parent)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            body()
        except BaseException:  # noqa: BLE001 - a churn child may fail in any way; it must just exit
            code = 1
        os._exit(code)
    return pid


def send_fds(sock, fds, data=b"x"):
    sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])


def recv_fds(sock, maxfds=4):
    fds = array.array("i")
    msg, anc, _, _ = sock.recvmsg(16, socket.CMSG_LEN(maxfds * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return list(fds)


class Worker:
    """One churn loop in its own process (and process group); reaps its children as it goes."""

    MAX_CHILDREN = 12

    def __init__(self, index, workdir, rate):
        self.index = index
        self.workdir = workdir
        self.rate = rate
        self.rnd = random.Random(os.getpid() ^ index)
        self.children = set()

    def reap(self, block=False):
        while self.children:
            try:
                pid, _ = os.waitpid(-1, 0 if block and len(self.children) >= self.MAX_CHILDREN else os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            block = False

    def spawn(self, body):
        self.reap(block=True)
        self.children.add(fork_child(body))

    def nap(self, scale=1.0):
        time.sleep(self.rnd.random() * self.rate * scale)

    def run(self):
        kinds = [self.stream_round, self.dgram_round, self.pair_round, self.pass_round]
        setup = [self.setup_stream, self.setup_dgram]
        for s in setup:
            s()
        while True:
            self.rnd.choice(kinds)()
            self.reap()
            self.nap()

    # --- stream and seqpacket: connect, accept late or never, hand the accepted socket over ---
    def setup_stream(self):
        self.stream_path = os.path.join(self.workdir, f"w{self.index}.stream")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.stream_path)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.abstract = f"\0sockpeer-churn-{os.getpid()}-{self.index}"
        self.seq_listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.seq_listener.bind(self.abstract)
        self.seq_listener.listen(64)
        self.seq_listener.setblocking(False)
        self.accepted = []

    def stream_round(self):
        use_seq = self.rnd.random() < 0.3
        address = self.abstract if use_seq else self.stream_path
        kind = socket.SOCK_SEQPACKET if use_seq else socket.SOCK_STREAM
        linger = self.rnd.random() * self.rate * 20
        share = self.rnd.random() < 0.3

        def client():
            c = socket.socket(socket.AF_UNIX, kind)
            c.settimeout(2)
            c.connect(address)
            c.send(b"hello")
            if share:  # a grandchild shares the socket, then both go away at different times
                fork_child(lambda: time.sleep(linger / 2))
            time.sleep(linger)

        for _ in range(self.rnd.randint(1, 3)):
            self.spawn(client)
        # Accept only some of the waiting connections: the rest stay pending for a while.
        for lst in (self.listener, self.seq_listener):
            for _ in range(self.rnd.randint(0, 3)):
                try:
                    conn, _ = lst.accept()
                except (BlockingIOError, InterruptedError):
                    break
                if self.rnd.random() < 0.5:
                    self.hand_over(conn)
                else:
                    self.accepted.append(conn)
        while len(self.accepted) > 8:
            self.accepted.pop(self.rnd.randrange(len(self.accepted))).close()

    def hand_over(self, conn):
        """Passes an accepted socket to a handler process with SCM_RIGHTS, like a pre-forked server."""
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        hold = self.rnd.random() * self.rate * 10

        def handler():
            parent_end.close()
            child_end.settimeout(2)
            fds = recv_fds(child_end)
            socks = [socket.socket(fileno=fd) for fd in fds]
            for s in socks:
                s.settimeout(0.2)
                try:
                    s.recv(64)
                except OSError:
                    pass
            time.sleep(hold)

        self.spawn(handler)
        child_end.close()
        try:
            send_fds(parent_end, [conn.fileno()])
        except OSError:
            pass
        conn.close()
        parent_end.close()

    # --- datagram: a bound server, clients that connect to it, send and exit ---
    def setup_dgram(self):
        self.dgram_path = os.path.join(self.workdir, f"w{self.index}.dgram")
        self.dgram_server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.dgram_server.bind(self.dgram_path)
        self.dgram_server.setblocking(False)

    def dgram_round(self):
        linger = self.rnd.random() * self.rate * 20
        path = self.dgram_path

        def client():
            c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            c.settimeout(1)
            c.connect(path)
            c.send(b"ping")
            time.sleep(linger)

        self.spawn(client)
        for _ in range(8):
            try:
                self.dgram_server.recv(64)
            except (BlockingIOError, InterruptedError):
                break

    # --- socketpairs shared with short-lived children ---
    def pair_round(self):
        kind = self.rnd.choice([socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET])
        a, b = socket.socketpair(socket.AF_UNIX, kind)
        linger = self.rnd.random() * self.rate * 20

        def child():
            a.close()
            b.send(b"x")
            time.sleep(linger)

        self.spawn(child)
        b.close()
        if self.rnd.random() < 0.5:
            time.sleep(self.rnd.random() * self.rate)
        a.close()

    # --- SCM_RIGHTS: descriptors received, and descriptors left in flight until their carrier closes ---
    def pass_round(self):
        carrier_a, carrier_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        receive = self.rnd.random() < 0.5
        linger = self.rnd.random() * self.rate * 20

        def receiver():
            carrier_a.close()
            x.close()
            y.close()
            if receive:
                carrier_b.settimeout(1)
                got = recv_fds(carrier_b)
                time.sleep(linger)
                for fd in got:
                    os.close(fd)
            else:
                time.sleep(linger)  # the descriptors stay queued (in flight) until we exit

        self.spawn(receiver)
        carrier_b.close()
        try:
            send_fds(carrier_a, [x.fileno(), y.fileno()])
        except OSError:
            pass
        x.close()
        y.close()
        carrier_a.close()


def start_workers(count, workdir, rate):
    pids = []
    harness = os.getpid()
    for i in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                die_with_parent(harness)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                Worker(i, workdir, rate).run()
            except BaseException:  # noqa: BLE001
                os._exit(3)
            os._exit(0)
        pids.append(pid)
    return pids


def stop_workers(pids):
    """Kills each worker's own process group (the worker and everything it forked), by id."""
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


EXCEPTION_MARKERS = ("Exception", "   at ", "Unhandled", "Segmentation", "core dumped", "Traceback")
TYPES = {"stream", "dgram", "seqpacket"}
STAT_KEYS = ("sockets", "warnings", "peer_mutual", "peer_absent", "dgram_client_of_server", "peer_saw_close",
             "peer_read_before_accept", "pending_clients", "pending_unlisted", "in_flight", "holder_process_gone")
STATES = {"listening", "connected", "unconnected"}


def check_document(doc, stats):
    """Returns the list of violations (each a (message, excerpt) pair) in one `list` document."""
    bad = []
    if not isinstance(doc, dict) or doc.get("schema") != 1:
        return [("not a schema-1 list document", doc if not isinstance(doc, dict) else {k: doc[k] for k in list(doc)[:3]})]
    sockets = doc.get("sockets")
    if not isinstance(sockets, list) or not isinstance(doc.get("processes"), list) or not isinstance(doc.get("warnings"), list):
        return [("sockets, processes or warnings is not an array", {k: type(v).__name__ for k, v in doc.items()})]
    by_inode = {}
    for s in sockets:
        if s["inode"] in by_inode:
            bad.append(("socket listed twice", [by_inode[s["inode"]], s]))
        by_inode[s["inode"]] = s
    peers_known = doc.get("peersKnown", True)
    pids = {p["pid"] for p in doc["processes"]}
    stats["sockets"] += len(sockets)
    stats["warnings"] += len(doc["warnings"])
    for w in doc["warnings"]:
        key = " ".join(t if not any(ch.isdigit() for ch in t) else "N" for t in w.split())
        stats.setdefault("warning_texts", {}).setdefault(key, 0)
        stats["warning_texts"][key] += 1
    for s in sockets:
        if s["type"] not in TYPES or s["state"] not in STATES:
            bad.append(("unknown type or state", s))
        holders = [(h["pid"], h["fd"]) for h in s["holders"]]
        if holders != sorted(set(holders)):
            bad.append(("holders not sorted or duplicated", s))
        for pid, _ in holders:
            if pid not in pids:
                stats["holder_process_gone"] += 1  # exited between the fd walk and reading its details
        if s["inFlight"] and holders:
            bad.append(("in flight but held", s))
        if s["state"] != "listening" and (s["pending"] or s["pendingCount"] is not None):
            bad.append(("pending list on a socket that is not listening", s))
        if s["state"] == "listening" and s["peer"] is not None:
            bad.append(("listener with a peer", s))
        peer = s["peer"]
        if peer is not None and peer != 0:
            p = by_inode.get(peer)
            if p is None:
                stats["peer_absent"] += 1  # closed between the dump and ..., or in an unseen namespace
            elif p["peer"] == s["inode"]:
                stats["peer_mutual"] += 1
            elif s["type"] == "dgram" and s["inode"] in p["clients"]:
                stats["dgram_client_of_server"] += 1
            elif s["type"] != "dgram" and p["peer"] == 0:
                stats["peer_saw_close"] += 1  # the peer was read after this socket closed: the dump is not a snapshot
            elif s["type"] != "dgram" and p["peer"] is None and p["state"] == "connected":
                stats["peer_read_before_accept"] += 1  # the client was read while it waited, this socket came from accept() after
            else:
                bad.append((f"socket {s['inode']} names {peer} as peer, which neither points back nor lists it as a client", [s, p]))
        elif peer is None and s["state"] == "connected" and s["type"] != "dgram" and peers_known and s["pendingOn"] is None:
            stats["pending_unlisted"] += 1  # waiting to be accepted, on a listener whose list did not name it (partial, or changed between passes)
        for c in s["clients"]:
            cs = by_inode.get(c)
            if cs is not None and cs["peer"] != s["inode"]:
                bad.append((f"client {c} of {s['inode']} does not name it as peer", [s, cs]))
        if s["socketpair"]:
            p = by_inode.get(peer) if peer else None
            if p is None or not p["socketpair"] or p["peer"] != s["inode"] or s["name"] is not None:
                bad.append(("socketpair end without a mutual unnamed peer", [s, p]))
        if s["pendingOn"] is not None:
            stats["pending_clients"] += 1
            lst = by_inode.get(s["pendingOn"])
            if lst is not None and (lst["state"] != "listening" or s["inode"] not in lst["pending"]):
                bad.append(("pendingOn names a socket that does not list it as pending", [s, lst]))
        if s["listener"] is not None:
            lst = by_inode.get(s["listener"])
            if lst is not None and lst["state"] != "listening":
                bad.append(("listener field names a socket that is not listening", [s, lst]))
        for i in s["pending"]:
            c = by_inode.get(i)
            if c is not None and c["pendingOn"] != s["inode"]:
                bad.append((f"pending client {i} of {s['inode']} does not name it in pendingOn", [s, c]))
        if s["pendingPartial"] and not doc["warnings"]:
            bad.append(("pendingPartial without a warning", s))
        if s["inFlight"]:
            stats["in_flight"] += 1
    return bad


def self_test():
    """Checks that check_document accepts a consistent document and flags doctored ones."""
    def sock(inode, **kw):
        base = {"inode": inode, "cookie": 1, "netns": None, "type": "stream", "state": "connected", "name": None, "nameBytes": None,
                "abstract": False, "file": None, "peer": None, "listener": None, "pending": [], "pendingCount": None, "backlog": None,
                "recvQueue": 0, "sendQueue": 0, "shutdown": "none", "uid": 0, "holders": [], "inFlightOn": None, "socketpair": False,
                "pendingOn": None, "pendingPartial": False, "clients": [], "inFlight": False}
        base.update(kw)
        return base

    def doc(*sockets):
        return {"schema": 1, "peersKnown": True, "sockets": list(sockets), "processes": [], "warnings": []}

    good = doc(sock(1, peer=2, socketpair=True), sock(2, peer=1, socketpair=True),
               sock(3, type="dgram", peer=4), sock(4, type="dgram", state="connected", clients=[3]),
               sock(5, peer=99), sock(6, peer=7), sock(7, peer=0, shutdown="both"), sock(8, peer=9), sock(9, clients=[8]))
    doctored = {
        "stream peer that names someone else": doc(sock(1, peer=2), sock(2, peer=3), sock(3, peer=2)),
        "dgram client missing from clients": doc(sock(3, type="dgram", peer=4), sock(4, type="dgram", state="connected")),
        "duplicate inode": doc(sock(1, peer=0), sock(1, peer=0)),
        "unsorted holders": doc(sock(1, peer=0, holders=[{"pid": 5, "fd": 3}, {"pid": 4, "fd": 3}])),
        "in flight but held": doc(sock(1, peer=0, inFlight=True, holders=[{"pid": 4, "fd": 3}])),
    }
    failed = []
    if check_document(good, {k: 0 for k in STAT_KEYS}):
        failed.append("a consistent document was flagged: " + str(check_document(good, {k: 0 for k in STAT_KEYS})))
    for name, d in doctored.items():
        if not check_document(d, {k: 0 for k in STAT_KEYS}):
            failed.append(f"not flagged: {name}")
    for f in failed:
        print(f"churn self-test: {f}", file=sys.stderr)
    print(f"churn self-test: {'failed' if failed else 'passed'}")
    return 1 if failed else 0


def excerpt(value, limit=4000):
    text = json.dumps(value, indent=1)
    return text if len(text) <= limit else text[:limit] + "\n... (cut)"


def run_once(binary, extra, timeout):
    started = time.monotonic()
    p = subprocess.run([binary, "list", "--json", *extra], stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace"), time.monotonic() - started


def default_binary():
    env = os.environ.get("SOCKPEER_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "artifacts", "sockpeer", "sockpeer")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockpeer", default=default_binary(), help="the sockpeer binary (default: $SOCKPEER_BIN or artifacts/sockpeer/sockpeer)")
    ap.add_argument("--runs", type=int, default=None, help="sockpeer runs (default 300; 30 with --quick)")
    ap.add_argument("--workers", type=int, default=None, help="churn worker processes (default 3; 2 with --quick)")
    ap.add_argument("--interval", type=float, default=None, help="seconds between runs (default 0.3)")
    ap.add_argument("--rate", type=float, default=0.01, help="a worker's mean pause per round, seconds (lower = more churn)")
    ap.add_argument("--quick", action="store_true", help="CI size: 30 runs, stopping early after 40 s on a loaded machine")
    ap.add_argument("--max-seconds", type=float, default=None, help="stop starting runs after this long (default 1800; 40 with --quick)")
    ap.add_argument("--keep-going", action="store_true", help="do not stop at the first failing run")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--self-test", action="store_true", help="only check that the consistency checks catch doctored documents")
    ap.add_argument("sockpeer_args", nargs="*", help="extra arguments for `sockpeer list --json` (after --)")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    runs = args.runs if args.runs is not None else (30 if args.quick else 300)
    workers = args.workers if args.workers is not None else (2 if args.quick else 3)
    interval = args.interval if args.interval is not None else 0.3
    max_seconds = args.max_seconds if args.max_seconds is not None else (40 if args.quick else 1800)
    if args.seed is not None:
        random.seed(args.seed)
    binary = os.path.abspath(args.sockpeer)
    if not os.access(binary, os.X_OK):
        print(f"churn: sockpeer binary not found: {binary}", file=sys.stderr)
        return 2

    workdir = tempfile.mkdtemp(prefix="sockpeer-churn-")
    pids = []
    stats = {k: 0 for k in STAT_KEYS}
    failures = 0
    durations = []
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    try:
        pids = start_workers(workers, workdir, args.rate)
        time.sleep(min(1.0, interval * 2))  # let the churn get going
        deadline = time.monotonic() + max_seconds
        done = 0
        for run in range(1, runs + 1):
            if time.monotonic() > deadline:
                print(f"churn: stopping after {done} runs: --max-seconds {max_seconds} reached")
                break
            for pid in pids:
                if os.waitpid(pid, os.WNOHANG)[0] != 0:
                    print(f"churn: worker {pid} died; the harness itself is broken", file=sys.stderr)
                    return 2
            problems = []
            try:
                code, out, err, took = run_once(binary, args.sockpeer_args, timeout=60)
            except subprocess.TimeoutExpired:
                problems.append(("sockpeer did not finish within 60 s", None))
                code, out, err, took = None, b"", "", 60.0
            durations.append(took)
            if code is not None and code != 0:
                problems.append((f"exit status {code}", err[-2000:]))
            for line in err.splitlines():
                if any(m in line for m in EXCEPTION_MARKERS) or not line.startswith("sockpeer: "):
                    problems.append(("unexpected text on stderr", err[-2000:]))
                    break
            doc = None
            if code == 0:
                try:
                    doc = json.loads(out)
                except ValueError as e:
                    problems.append((f"invalid JSON: {e}", out[max(0, e.pos - 200) : e.pos + 200].decode(errors="replace") if hasattr(e, "pos") else None))
            if doc is not None:
                problems.extend(check_document(doc, stats))
            done += 1
            if problems:
                failures += 1
                print(f"churn: run {run}: {len(problems)} violation(s)", file=sys.stderr)
                for message, value in problems[:5]:
                    print(f"  - {message}", file=sys.stderr)
                    if value is not None:
                        print("    " + excerpt(value).replace("\n", "\n    "), file=sys.stderr)
                if not args.keep_going:
                    break
            time.sleep(interval)
    finally:
        stop_workers(pids)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)

    durations.sort()
    median = durations[len(durations) // 2] if durations else 0
    print(f"churn: {len(durations)} runs, {failures} failing; sockpeer took median {median * 1000:.0f} ms, max {max(durations, default=0) * 1000:.0f} ms")
    texts = stats.pop("warning_texts", {})
    print("churn: seen " + ", ".join(f"{k}={v}" for k, v in stats.items()))
    for text, n in sorted(texts.items(), key=lambda kv: -kv[1]):
        print(f"churn: warning x{n}: {text}")
    if failures == 0 and len(durations) == 0:
        print("churn: no run happened", file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
