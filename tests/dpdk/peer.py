#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Test peer for the DPDK system tests.
#   peer.py serve LOG          listen on TCP 80, TCP 22 and UDP 9999; append
#                              "tcp PORT" / "udp" to LOG for each connection/datagram
#   peer.py tcp HOST PORT      connect (2 s timeout), send, expect a reply; exit 0/1
#   peer.py udp HOST N         send N datagrams to HOST:9999
import selectors, socket, sys, time

def serve(log):
    sel = selectors.DefaultSelector()
    out = open(log, "a", buffering=1)
    for port in (80, 22):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port)); s.listen(16); sel.register(s, selectors.EVENT_READ, ("tcp", port))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 9999))
    sel.register(u, selectors.EVENT_READ, ("udp", 9999))
    out.write("ready\n")
    while True:
        for key, _ in sel.select():
            kind, port = key.data
            if kind == "udp":
                key.fileobj.recvfrom(2048); out.write("udp\n")
            else:
                c, _ = key.fileobj.accept(); c.settimeout(1)
                try:
                    c.recv(64); c.sendall(b"ok\n")
                except OSError:
                    pass
                c.close(); out.write("tcp %d\n" % port)

def tcp(host, port):
    try:
        c = socket.create_connection((host, int(port)), timeout=2)
        c.sendall(b"hello\n"); ok = c.recv(8) == b"ok\n"; c.close()
        return 0 if ok else 1
    except OSError as e:
        print("tcp %s:%s: %s" % (host, port, e)); return 1

def udp(host, n):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(int(n)):
        u.sendto(b"pathlab %d" % i, (host, 9999)); time.sleep(0.002)
    return 0

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve": serve(sys.argv[2])
    elif cmd == "tcp": sys.exit(tcp(sys.argv[2], sys.argv[3]))
    elif cmd == "udp": sys.exit(udp(sys.argv[2], sys.argv[3]))
    else: sys.exit(2)
