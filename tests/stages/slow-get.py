#!/usr/bin/python3
# slow-get.py HOST PORT PATH SECONDS: an HTTP/1.0 GET whose reader is slow on
# purpose (small receive buffer, paced reads), so the connection stays
# established for about SECONDS whatever the client's or server's speed.
# The body goes to stdout; a line "connect S total S bytes N" to stderr.
# Exit 0 when the whole body (Content-Length) arrived.
import socket
import sys
import time

host, port, path, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
t0 = time.monotonic()
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
s.settimeout(30)
s.connect((host, port))
t_conn = time.monotonic() - t0
s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(65536)
    if not d:
        break
    buf += d
head, _, body = buf.partition(b"\r\n\r\n")
length = None
for line in head.split(b"\r\n"):
    if line.lower().startswith(b"content-length:"):
        length = int(line.split(b":")[1])
got = len(body)
out = sys.stdout.buffer
out.write(body)
pace = secs / max(1, (length or 8000000) // 65536)
while length is None or got < length:
    time.sleep(pace)
    d = s.recv(65536)
    if not d:
        break
    out.write(d)
    got += len(d)
out.flush()
print(f"connect {t_conn:.4f}s total {time.monotonic() - t0:.2f}s bytes {got}", file=sys.stderr)
sys.exit(0 if length is not None and got >= length else 1)
