#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# UDP peer for the metrics system test.
#   peer.py send HOST PORT N [SRC]  send N datagrams to HOST:PORT, 1 ms apart
#                                (from address SRC when given)
#   peer.py recv PORT FILE       count datagrams on UDP PORT; write the count
#                                to FILE after each one (first line "ready")
import socket, sys, time

def send(host, port, n, src=None):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src:
        u.bind((src, 0))
    for i in range(int(n)):
        u.sendto(b"pathlab metrics %d" % i, (host, int(port)))
        time.sleep(0.001)
    return 0

def recv(port, path):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", int(port)))
    n = 0
    with open(path, "w") as f:
        f.write("ready 0\n")
    while True:
        u.recvfrom(2048)
        n += 1
        with open(path + ".tmp", "w") as f:
            f.write("count %d\n" % n)
        import os
        os.replace(path + ".tmp", path)

if __name__ == "__main__":
    if sys.argv[1] == "send":
        sys.exit(send(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None))
    if sys.argv[1] == "recv":
        recv(sys.argv[2], sys.argv[3])
    sys.exit("usage: peer.py send HOST PORT N [SRC] | recv PORT FILE")
