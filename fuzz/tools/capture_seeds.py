#!/usr/bin/env python3
"""Captures the seed corpora under fuzz/seeds/ from this machine.

Opens a few sockets with known properties (listener with pending clients, abstract names with odd
bytes, a path with a space and a newline, socketpair, datagram pair, a closed peer, fds in flight),
then saves what the kernel and /proc say about them: sock_diag datagrams (seq 1, as the engine's
first request uses), /proc/net/unix, status, fdinfo, cmdline, comm, getdents64 buffers, cgroup
files and fd link targets. Run as: python3 fuzz/tools/capture_seeds.py [OUTDIR]
"""
import array
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "seeds"))

NAME, VFS, PEER, ICONS, RQLEN, MEMINFO, UID = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40
MAIN_SHOW = NAME | VFS | PEER | RQLEN | UID  # what SocketInventoryReader asks for
LISTENER_SHOW = ICONS | RQLEN


def save(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def request(seq, flags, states, inode, show, cookie=(0xFFFFFFFF, 0xFFFFFFFF)):
    return struct.pack("<IHHII", 40, 20, flags, seq, 0) + struct.pack(
        "<BBHIIIII", 1, 0, 0, states, inode, show, cookie[0], cookie[1])


def exchange(req, dump=True):
    """Sends one request; returns the reply datagrams up to NLMSG_DONE or NLMSG_ERROR."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    s.sendto(req, (0, 0))
    grams = []
    while True:
        d = s.recv(65536)
        grams.append(d)
        types = [m[1] for m in messages(d)]
        if not dump or 3 in types or 2 in types:
            break
    s.close()
    return grams


def messages(d):
    off = 0
    while off + 16 <= len(d):
        ln, typ, flags, seq, pid = struct.unpack_from("<IHHII", d, off)
        if ln < 16:
            break
        yield d[off:off + ln], typ
        off += (ln + 3) & ~3


def attrs(payload):
    off = 16
    while off + 4 <= len(payload):
        ln, typ = struct.unpack_from("<HH", payload, off)
        if ln < 4:
            break
        yield typ & 0x3FFF, payload[off + 4:off + ln]
        off += (ln + 3) & ~3


def main():
    if os.path.isdir(OUT):
        for t in os.listdir(OUT):
            if os.path.isdir(os.path.join(OUT, t)):
                shutil.rmtree(os.path.join(OUT, t))
    tmp = tempfile.mkdtemp(prefix="sockpeer-seeds-")
    keep = []
    # A listener with two clients waiting in its accept queue (ICONS, RQLEN).
    lpath = os.path.join(tmp, "listen.sock")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(lpath)
    lst.listen(8)
    for _ in range(2):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(lpath)
        keep.append(c)
    # One accepted connection, with queued bytes.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(lpath)
    acc, _ = lst.accept()
    c.send(b"hello")
    keep += [c, acc]
    # Abstract listener whose name holds an inner NUL, a newline, '@', a backslash and a non-UTF-8 byte.
    ab = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ab.bind(b"\0sockpeer-fuzz\0in@ner\n\\\xff")
    ab.listen(1)
    keep.append(ab)
    # A path with a space and a newline (breaks a /proc/net/unix row), and one starting with '@'.
    odd = os.path.join(tmp, "we ird\nname.sock").encode()
    o = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    o.bind(odd)
    o.listen(1)
    at = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    at_path = os.path.join(tmp, "@at")
    at.bind(at_path)
    keep += [o, at]
    # Datagram server and a connected client; an autobound client.
    dsrv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dsrv.bind(os.path.join(tmp, "dgram.sock"))
    dcl = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dcl.bind(b"")  # autobind: NUL + 5 hex digits
    dcl.connect(os.path.join(tmp, "dgram.sock"))
    keep += [dsrv, dcl]
    # socketpair with two fds in flight (scm_fds) and a stream whose peer closed (PEER 0, SHUTDOWN).
    pa, pb = socket.socketpair()
    r, w = os.pipe()
    pa.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w]))])
    qa, qb = socket.socketpair()
    qb.close()
    keep += [pa, pb, qa]

    # Inodes of the sockets opened above: the machine may hold thousands of other sockets, and seeds
    # must stay small, so the corpora keep these plus the first few others.
    mine = {os.fstat(s.fileno()).st_ino for s in keep + [lst]}

    # --- netlink ---
    main_grams = exchange(request(1, 0x301, 0xFFFFFFFF, 0, MAIN_SHOW))
    save("netlink", "dump-main-first.bin", main_grams[0])  # a whole datagram as the kernel sent it
    save("netlink", "dump-main-last.bin", main_grams[-1])  # the one holding NLMSG_DONE
    lis = exchange(request(1, 0x301, 1 << 10, 0, LISTENER_SHOW))
    mem = exchange(request(1, 0x301, 0xFFFFFFFF, 0, MAIN_SHOW | MEMINFO | ICONS))
    # The records of our own sockets, packed into one datagram ending with the kernel's NLMSG_DONE.
    for label, grams in [("main", main_grams), ("listeners", lis), ("meminfo", mem)]:
        recs, done = [], b""
        for g in grams:
            for msg, typ in messages(g):
                if typ == 20 and struct.unpack_from("<I", msg, 20)[0] in mine:
                    recs.append(msg + b"\0" * (-len(msg) % 4))
                elif typ == 3:
                    done = msg
        save("netlink", f"fixture-{label}.bin", b"".join(recs) + done)
    # One message per datagram, for small seeds: pick records showing each attribute kind.
    picked = {}
    for g in main_grams + lis + mem:
        for msg, typ in messages(g):
            if typ != 20:
                picked.setdefault(f"type{typ}", msg)
                continue
            kinds = sorted({k for k, _ in attrs(msg[16:])})
            name = dict(attrs(msg[16:])).get(0)
            key = "rec-" + "-".join(map(str, kinds))
            if name is not None:
                key += "-abstract" if name[:1] == b"\0" else "-path"
            picked.setdefault(key, msg)
    for key, msg in sorted(picked.items()):
        save("netlink", f"single-{key}.bin", msg)
    ino = os.fstat(lst.fileno()).st_ino
    save("netlink", "exact-listener.bin", exchange(request(1, 0x1, 0xFFFFFFFF, ino, MAIN_SHOW | ICONS), dump=False)[0])
    save("netlink", "error-enoent.bin", exchange(request(1, 0x1, 0xFFFFFFFF, 1, MAIN_SHOW), dump=False)[0])

    # --- socketname: names exactly as sock_diag gave them (pathnames without their NUL) ---
    n = 0
    for g in main_grams:
        for msg, typ in messages(g):
            if typ == 20 and (struct.unpack_from("<I", msg, 20)[0] in mine or n < 8):
                for k, v in attrs(msg[16:]):
                    if k == 0:
                        v = v if v[:1] == b"\0" else v.split(b"\0")[0]
                        save("socketname", f"name-{n}.bin", v)
                        n += 1
    save("socketname", "empty.bin", b"")
    save("socketname", "utf8-and-bidi.bin", "/run/caf\u00e9/\u202eevil\u2028.sock".encode())

    # --- procnetunix ---
    with open("/proc/net/unix", "rb") as f:
        lines = f.read().split(b"\n")
    kept = []
    for i, line in enumerate(lines):
        fields = line.split()
        if i < 12 or (len(fields) > 6 and fields[6].isdigit() and int(fields[6]) in mine) \
                or (i > 0 and b"we ird" in lines[i - 1]):
            kept.append(line)
    save("procnetunix", "proc-net-unix.txt", b"\n".join(kept) + b"\n")

    # --- status, fdinfo, cmdline/comm ---
    for src, dst in [("/proc/self/status", "self-status.txt"), ("/proc/1/status", "pid1-status.txt")]:
        with open(src, "rb") as f:
            save("status", dst, f.read())
    with open(f"/proc/self/fdinfo/{pb.fileno()}", "rb") as f:
        save("fdinfo", "unix-socket-scm2.txt", f.read())
    with open(f"/proc/self/fdinfo/{qa.fileno()}", "rb") as f:
        save("fdinfo", "unix-socket.txt", f.read())
    with open(f"/proc/self/fdinfo/{r}", "rb") as f:
        save("fdinfo", "pipe.txt", f.read())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "", "caf\u00e9", "a b"])
    time.sleep(0.3)
    try:
        for src, dst in [(f"/proc/{child.pid}/cmdline", "sleep-cmdline.bin"), ("/proc/self/cmdline", "self-cmdline.bin"),
                         ("/proc/self/comm", "self-comm.txt")]:
            with open(src, "rb") as f:
                save("cmdline", dst, f.read())
    finally:
        child.kill()
        child.wait()

    # A kernel thread's cmdline is empty (kthreadd, pid 2).
    if os.path.exists("/proc/2/cmdline"):
        with open("/proc/2/cmdline", "rb") as f:
            save("cmdline", "kthreadd-cmdline.bin", f.read())

    # --- passwd: the first lines of this machine's file ---
    with open("/etc/passwd", "rb") as f:
        save("passwd", "etc-passwd.txt", b"".join(f.readlines()[:12]))

    # --- dirent: getdents64 buffers of /proc, /proc/self/fd and /proc/self/task ---
    exe = os.path.join(tmp, "dents")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(HERE, "dents.c")], check=True)
    os.makedirs(os.path.join(OUT, "dirent"), exist_ok=True)
    for src, dst, size in [("/proc", "proc.bin", 1024), ("/proc/self/fd", "self-fd.bin", 4096),
                           ("/proc/self/task", "self-task.bin", 4096)]:
        subprocess.run([exe, src, os.path.join(OUT, "dirent", dst), str(size)], check=True)

    # --- cgroup ---
    with open("/proc/self/cgroup", "rb") as f:
        save("cgroup", "self-cgroup.txt", f.read())
    with open("/proc/1/cgroup", "rb") as f:
        save("cgroup", "pid1-cgroup.txt", f.read())
    # Not captured: this machine runs no container runtime. The layouts CgroupParser documents,
    # one file each, so the fuzzer starts from every branch.
    hexid = "0123456789abcdef" * 4
    for i, path in enumerate([f"/system.slice/docker-{hexid}.scope", f"/docker/{hexid}",
                              f"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c4d.slice/cri-containerd-{hexid}.scope",
                              f"/kubepods/besteffort/pod1a2b-3c4d/{hexid}", f"/machine.slice/libpod-{hexid}.scope",
                              f"/machine.slice/crio-{hexid}.scope", f"/libpod_parent/{hexid}",
                              "/lxc.payload.web/init.scope", "/lxc/web", "/system.slice/nginx.service"]):
        save("cgroup", f"synthetic-{i}.txt", f"12:memory:{path}\n0::{path}\n".encode())

    # --- links: fd link targets and the network namespace link ---
    for i, fd in enumerate([pa.fileno(), r, 0]):
        save("links", f"fd-{i}.txt", os.readlink(f"/proc/self/fd/{fd}").encode())
    save("links", "ns-net.txt", os.readlink("/proc/self/ns/net").encode())
    save("links", "pid.txt", str(os.getpid()).encode())

    for s in keep + [lst]:
        s.close()
    shutil.rmtree(tmp)
    for t in sorted(os.listdir(OUT)):
        if os.path.isdir(os.path.join(OUT, t)):
            files = os.listdir(os.path.join(OUT, t))
            print(f"{t}: {len(files)} files, {sum(os.path.getsize(os.path.join(OUT, t, x)) for x in files)} bytes")


if __name__ == "__main__":
    main()
