#!/usr/bin/env python3
# UDP helper for the OVS system tests.
#   udp.py recv ADDR PORT,PORT... SECONDS [IDLE]
#                                           count datagrams per port for at most SECONDS, or until
#                                           IDLE s (default 0.5) pass without one, or until
#                                           SIGTERM/SIGINT; print "PORT=N ..."
#   udp.py send ADDR PORT,PORT... COUNT     send COUNT 64-byte datagrams to each port, paced
#   udp.py stream ADDR PORT,PORT... SECONDS PPS
#                                           for SECONDS, PPS datagrams a second taking the ports in
#                                           turn (until SIGTERM/SIGINT if sooner); print "PORT=N ..." sent
import signal
import socket
import sys
import time

mode, addr, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
signal.signal(signal.SIGINT, lambda *_: stop.append(1))
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
    idle = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
    while time.time() < end and (last is None or time.time() - last < idle) and not stop:
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
elif mode == "stream":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seconds, pps = float(sys.argv[4]), float(sys.argv[5])
    cnt = {p: 0 for p in ports}
    print("sending", flush=True)
    t0 = time.time()
    k = 0
    while time.time() - t0 < seconds and not stop:
        p = ports[k % len(ports)]
        s.sendto(b"x" * 64, (addr, p))
        cnt[p] += 1
        k += 1
        delay = t0 + k / pps - time.time()
        if delay > 0:
            time.sleep(delay)
    print(" ".join("%d=%d" % (p, cnt[p]) for p in ports), flush=True)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in ports:
        for i in range(int(sys.argv[4])):
            s.sendto(b"x" * 64, (addr, p))
            if i % 20 == 19:
                time.sleep(0.002)
