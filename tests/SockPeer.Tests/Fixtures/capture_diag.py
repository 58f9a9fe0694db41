#!/usr/bin/env python3
"""Captures the raw reply datagrams of a real AF_UNIX sock_diag dump, for replay tests.

Run once by hand (as root, so that it can enter a fresh network namespace and dump only the
sockets it made); the output is committed:

    python3 tests/SockPeer.Tests/Fixtures/capture_diag.py tests/SockPeer.Tests/Fixtures/diag-dump-small

It writes NAME.bin and NAME.json.

NAME.bin framing (little-endian):
    b"SPDG"            magic
    u32 version = 1
    u32 count          number of datagrams
    count times: u32 length, then length bytes (one recv() result, exactly as the kernel sent it)

NAME.json: the request that was sent (sequence, states, show) and the population the script made,
with the values each socket's record must carry (inodes from fstat, peers by role, names, VFS).

The population (one stream listener on a path with one accepted connection, one client it
accepted, one client still pending in the accept queue, a socketpair, an abstract datagram socket
whose name holds an inner NUL) is made in a new network namespace when possible, so the dump holds
nothing else. Without CAP_SYS_ADMIN the host's namespace is used and the other sockets' messages
are dropped from the datagrams (the sidecar then says "filtered": true).
"""
import ctypes
import json
import os
import platform
import socket
import struct
import sys
import tempfile

SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
NETLINK_SOCK_DIAG = 4
CLONE_NEWNET = 0x40000000

SHOW_NAME, SHOW_VFS, SHOW_PEER, SHOW_ICONS, SHOW_RQLEN, SHOW_UID = 0x1, 0x2, 0x4, 0x8, 0x10, 0x40
SHOW = SHOW_NAME | SHOW_VFS | SHOW_PEER | SHOW_RQLEN | SHOW_UID | SHOW_ICONS
STATES = 0xFFFFFFFF
SEQUENCE = 1  # a fresh DiagDump sends its first request with sequence 1


def enter_new_netns():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        return False
    return True


def ino(s):
    return os.fstat(s.fileno()).st_ino


def kernel_dev(st_dev):
    # sock_diag reports the superblock's internal dev_t: major << 20 | minor.
    return (os.major(st_dev) << 20) | os.minor(st_dev)


def make_population(workdir):
    path = os.path.join(workdir, "server.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    accepted, _ = listener.accept()
    pending = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pending.connect(path)  # stays in the accept queue
    pair_a, pair_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract_name = b"\0sockpeer\0fixture"
    dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dgram.bind(abstract_name)
    st = os.stat(path)
    sockets = {
        "listener": listener,
        "client": client,
        "accepted": accepted,
        "pending": pending,
        "pair_a": pair_a,
        "pair_b": pair_b,
        "abstract_dgram": dgram,
    }
    expected = {
        "listener": dict(type=1, state=10, name=path.encode().hex(), vfs_ino=st.st_ino,
                         vfs_dev=kernel_dev(st.st_dev), peer=None, icons=["pending"], rqueue=1, wqueue=4),
        "accepted": dict(type=1, state=1, name=path.encode().hex(), vfs_ino=st.st_ino,
                         vfs_dev=kernel_dev(st.st_dev), peer="client"),
        "client": dict(type=1, state=1, name=None, peer="accepted"),
        "pending": dict(type=1, state=1, name=None, peer=0),
        "pair_a": dict(type=1, state=1, name=None, peer="pair_b"),
        "pair_b": dict(type=1, state=1, name=None, peer="pair_a"),
        "abstract_dgram": dict(type=2, state=7, name=abstract_name.hex(), peer=None),
    }
    return sockets, expected


def dump():
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    nl.bind((0, 0))
    request = struct.pack("=IHHII", 40, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, SEQUENCE, 0)
    request += struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, STATES, 0, SHOW, 0xFFFFFFFF, 0xFFFFFFFF)
    assert len(request) == 40
    nl.sendto(request, (0, 0))
    datagrams = []
    done = False
    while not done:
        data, _, flags, _ = nl.recvmsg(65536)
        if flags & socket.MSG_TRUNC:
            raise RuntimeError("reply truncated")
        datagrams.append(data)
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if kind in (NLMSG_DONE, NLMSG_ERROR):
                done = True
            if length < 16:
                break
            offset += (length + 3) & ~3
    nl.close()
    return request, datagrams


def keep_only(datagrams, inodes):
    """Drops the messages of sockets not in inodes; keeps every other message byte for byte."""
    kept = []
    for data in datagrams:
        out = b""
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            step = (length + 3) & ~3
            message = data[offset:offset + step]
            if kind != SOCK_DIAG_BY_FAMILY or struct.unpack_from("=I", data, offset + 20)[0] in inodes:
                out += message
            offset += step
        if out:
            kept.append(out)
    return kept


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: capture_diag.py OUTPUT_PREFIX")
    prefix = sys.argv[1]
    isolated = enter_new_netns()
    with tempfile.TemporaryDirectory(prefix="sockpeer-fixture-") as workdir:
        sockets, expected = make_population(workdir)
        inodes = {role: ino(s) for role, s in sockets.items()}
        request, datagrams = dump()
        if not isolated:
            datagrams = keep_only(datagrams, set(inodes.values()))
        for role, e in expected.items():
            e["inode"] = inodes[role]
            if isinstance(e["peer"], str):
                e["peer"] = inodes[e["peer"]]
            if "icons" in e:
                e["icons"] = [inodes[r] for r in e["icons"]]
            e["uid"] = os.getuid()
        with open(prefix + ".bin", "wb") as f:
            f.write(b"SPDG" + struct.pack("<II", 1, len(datagrams)))
            for d in datagrams:
                f.write(struct.pack("<I", len(d)) + d)
        sidecar = {
            "description": "Raw NETLINK_SOCK_DIAG reply datagrams of one AF_UNIX dump, captured by capture_diag.py",
            "kernel": platform.release(),
            "filtered": not isolated,
            "request_hex": request.hex(),
            "sequence": SEQUENCE,
            "states": STATES,
            "show": SHOW,
            "datagrams": len(datagrams),
            "sockets": expected,
        }
        with open(prefix + ".json", "w") as f:
            json.dump(sidecar, f, indent=2)
            f.write("\n")
        for s in sockets.values():
            s.close()


if __name__ == "__main__":
    main()
