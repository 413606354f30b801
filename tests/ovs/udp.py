#!/usr/bin/env python3
# UDP helper for the OVS system tests.
#   udp.py recv ADDR PORT,PORT... SECONDS   count datagrams per port for at most SECONDS, or until
#                                           0.5 s pass without one; print "PORT=N ..."
#   udp.py send ADDR PORT,PORT... COUNT     send COUNT 64-byte datagrams to each port, paced
import socket
import sys
import time

mode, addr, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
if mode == "recv":
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((addr, p))
        s.setblocking(False)
        socks.append(s)
    print("ready", flush=True)
    cnt = {p: 0 for p in ports}
    end = time.time() + float(sys.argv[4])
    last = None  # time of the last datagram: stop 0.5 s after traffic ends
    while time.time() < end and (last is None or time.time() - last < 0.5):
        for p, s in zip(ports, socks):
            try:
                while True:
                    s.recv(2048)
                    cnt[p] += 1
                    last = time.time()
            except BlockingIOError:
                pass
        time.sleep(0.005)
    print(" ".join("%d=%d" % (p, cnt[p]) for p in ports), flush=True)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in ports:
        for i in range(int(sys.argv[4])):
            s.sendto(b"x" * 64, (addr, p))
            if i % 20 == 19:
                time.sleep(0.002)
