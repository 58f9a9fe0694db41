#!/usr/bin/env python3
"""Draws docs/demo-graph.svg: `sockpeer graph --format svg` on the scene `sockpeer demo` makes
(an echo server that hands each connection to a handler process, and a client whose socket its
reader child shares), started through the binary's hidden demo roles. Needs Graphviz's dot.
Usage: scripts/demo-graph.py [SOCKPEER_BINARY] [OUTPUT.svg]"""
import os, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SOCKPEER_BIN", os.path.join(root, "artifacts/sockpeer/sockpeer"))
output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "docs/demo-graph.svg")
with tempfile.TemporaryDirectory(prefix="sockpeer-demo-") as scratch:
    path = os.path.join(scratch, "echo.sock")
    roles = []
    try:
        server = subprocess.Popen([binary, "__demo-server", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        roles.append(server)
        assert server.stdout.readline().strip() == "ready", "the demo server did not start"
        client = subprocess.Popen([binary, "__demo-client", path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        roles.append(client)
        assert client.stdout.readline().startswith("client "), "the demo client did not start"
        client.stdin.write("hello\n")
        client.stdin.flush()
        # The reader's reply means the server has started the connection's handler.
        assert client.stdout.readline().strip() == "reply 1 -> hello", "the demo handler did not answer"
        subprocess.run([binary, "graph", "--path", path, "--format", "svg", "-o", output], check=True)
    finally:
        for role in reversed(roles):
            role.stdin.close()
            try:
                role.wait(timeout=10)
            except subprocess.TimeoutExpired:
                role.kill()
print(f"wrote {output}")
