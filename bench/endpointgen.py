#!/usr/bin/env python3
"""endpointgen: pipes and loopback TCP connections for bench/endpoints.py.

    endpointgen.py --procs N --pipes P --tcp T

The calling process listens on 127.0.0.1 (an ephemeral port) and forks N children. Each child
makes P pipes and forks nothing: it keeps the write end and hands the read end to the server over
a Unix socketpair (SCM_RIGHTS), so each pipe joins two processes; then it makes T TCP connections
to the server, which accepts and keeps every accepted end. Prints "ready" when all is built;
tears the group down when stdin closes or on SIGTERM. Children die with the server (PDEATHSIG).
"""
import argparse, array, ctypes, os, resource, signal, socket, sys

PR_SET_PDEATHSIG = 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=100)
    ap.add_argument("--pipes", type=int, default=20)
    ap.add_argument("--tcp", type=int, default=20)
    a = ap.parse_args()
    need = a.procs * (a.pipes + a.tcp) + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), max(hard, need)))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    port = listener.getsockname()[1]
    libc = ctypes.CDLL(None, use_errno=True)
    children, kept, server = [], [], os.getpid()
    for _ in range(a.procs):
        mine, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != server:
                os._exit(1)
            mine.close()
            hold = []
            for _ in range(a.pipes):
                r, w = os.pipe()
                theirs.sendmsg([b"p"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r]))])
                os.close(r)
                hold.append(w)
            for _ in range(a.tcp):
                c = socket.socket()
                c.connect(("127.0.0.1", port))
                hold.append(c)
            theirs.sendall(b"k")
            try:
                theirs.recv(1)  # EOF when the server goes
            finally:
                os._exit(0)
        theirs.close()
        children.append(pid)
        got = 0
        while got < a.pipes:
            msg, anc, _, _ = mine.recvmsg(1, socket.CMSG_SPACE(4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    kept.extend(array.array("i", data[:4]))
                    got += 1
        for _ in range(a.tcp):
            s, _ = listener.accept()
            kept.append(s)
        if mine.recv(1) != b"k":
            print("a child failed", file=sys.stderr)
            return 3
        kept.append(mine)

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
