#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Write a pcap of IPv4/UDP frames 10.0.0.1 -> 10.0.0.2 (MACs 02:..:01 ->
# 02:..:02), one per argument PLEN:SPORT:DPORT (PLEN: UDP payload bytes, the
# payload a pattern of SPORT), timestamps 1 s + i us.
#   pl_udp_pcap.py OUT.pcap PLEN:SPORT:DPORT...
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff


def frame(plen, sport, dport):
    payload = bytes((i * 7 + sport) & 0xff for i in range(plen))
    udp = struct.pack("!HHHH", sport, dport, 8 + plen, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + udp


with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, spec in enumerate(sys.argv[2:]):
        x = frame(*(int(v) for v in spec.split(":")))
        f.write(struct.pack("<IIII", 1, i, len(x), len(x)) + x)
