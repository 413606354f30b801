#!/usr/bin/python3
# lb-reuse.py HOST PORT FIRST_SPORT COUNT open|get: client connections from
# fixed source ports FIRST_SPORT, FIRST_SPORT+1, ... (COUNT of them), so a
# later run reuses the 5-tuples of an earlier one.
#  open: connect from CPU 0, then reset the connection (SO_LINGER 0): no
#        TIME_WAIT on either side, the port can be used again at once.
#  get:  connect from CPU 1 (the SYN leaves on CPU 1), move to CPU 0, send
#        an HTTP/1.0 GET and read the answer: the flow's packets after its
#        SYN leave on another CPU than the SYN.
# Prints one line per connection: the answer's first body line, or
# "error: ..." (a reset, a timeout); exit 0 when every GET was answered.
import os
import socket
import struct
import sys

host, port, first, count, what = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
ok = 0
for sport in range(first, first + count):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(5)
    try:
        s.bind(("", sport))
        os.sched_setaffinity(0, {0 if what == "open" else 1})
        s.connect((host, port))
        if what == "open":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            print(f"{sport} opened")
            ok += 1
        else:
            os.sched_setaffinity(0, {0})
            s.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            buf = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            body = buf.partition(b"\r\n\r\n")[2].decode(errors="replace").split("\n")[0]
            print(f"{sport} {body}")
            ok += body != ""
    except OSError as e:
        print(f"{sport} error: {e}")
    finally:
        s.close()
sys.exit(0 if ok == count else 1)
