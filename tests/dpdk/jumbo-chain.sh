#!/bin/bash
# SPDX-License-Identifier: MIT
# Jumbo frames as mbuf chains: pathlab-dpdk on net_pcap (rx_pcap/tx_pcap
# files, no hugepages, no namespace) with the default mbuf data room (2 KiB),
# so each 9014-byte frame arrives as a chain of segments. Policy: UDP port 9
# dropped by the ACL, everything else reflected (TX). Checks, exactly: the
# core saw every frame once with all its bytes (rx_packets, rx_bytes over the
# whole chain), the ACL drops the two port-9 jumbo frames, and tx_pcap holds
# the reflected frames whole: every byte of each one as sent, MACs swapped.
# Then net_af_xdp, which has no AF_XDP multi-buffer in DPDK 22.11: on a veth
# with MTU 9000 (in a private network namespace) pathlab-dpdk says that
# frames above one mbuf never reach it and what to use instead (--hybrid: that
# only USER frames are limited); at MTU 1500 it says nothing of the kind.
#   jumbo-chain.sh PATHLAB_DPDK
set -u
DPDK=$1
PL_TAG=dj
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "DPDK EAL"
require_tool curl
T=$PL_TMP
PREFIX=plt-dj$$
DUT=
cleanup() {
	[ -n "$DUT" ] && kill "$DUT" 2>/dev/null && wait "$DUT" 2>/dev/null
	rm -rf "/var/run/dpdk/$PREFIX"
}
pl_on_fail() { echo "--- pathlab-dpdk output:"; cat "$T/dut.log"; }
pl_defer cleanup
PY=/usr/bin/python3

# 5 jumbo frames (UDP 4000), 2 jumbo frames to UDP 9, 3 minimum frames
"$PY" "$(dirname "$0")/../lib/pl_udp_pcap.py" "$T/in.pcap" \
	8972:100{0..4}:4000 8972:2000:9 8972:2000:9 18:300{0..2}:4000 || fail "writing the input pcap"
cat >"$T/p.policy" <<'POL'
mode policy
malformed drop
default pass
acl drop proto udp dport 9
forward reflect
POL
PORT=$((19900 + RANDOM % 500))
"$DPDK" -l 0 --no-huge -m 256 --no-pci --file-prefix "$PREFIX" --log-level=error \
	--vdev "net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/out.pcap" -- \
	--policy "$T/p.policy" --duration 4 --stats-interval 0 --metrics "127.0.0.1:$PORT" >"$T/dut.log" 2>&1 &
DUT=$!
m=
for _ in $(seq 40); do
	sleep 0.1
	cur=$(curl -s "127.0.0.1:$PORT/metrics") && [ -n "$cur" ] && m=$cur
	grep -q '^pathlab_rx_packets_total.* 10$' <<<"$m" && break
done
metric() { awk -v n="$1" -v f="${2:-}" 'index($1, n) == 1 && index($0, f) {print $NF}' <<<"$m" | head -1; }
rx=$(metric pathlab_rx_packets_total) bytes=$(metric pathlab_rx_bytes_total)
drop=$(metric pathlab_packets_total 'verdict="drop"') tx=$(metric pathlab_packets_total 'verdict="tx"')
wait "$DUT"
rc=$?
DUT=
[ "$rc" = 0 ] || fail "pathlab-dpdk exited $rc"
# 7 x 9014 + 3 x 60: every byte of every chain counted
[ "$rx" = 10 ] && [ "$bytes" = 63278 ] ||
	fail "the core saw rx_packets=$rx rx_bytes=$bytes, want 10 and 63278 (whole frames)"
[ "$drop" = 2 ] && [ "$tx" = 8 ] || fail "verdicts drop=$drop tx=$tx, want 2 and 8"
"$PY" - "$T/in.pcap" "$T/out.pcap" <<'PYEOF' || fail "tx_pcap does not hold the reflected frames whole"
import struct, sys
def frames(p):
    d = open(p, "rb").read()
    out, o = [], 24
    while o < len(d):
        _, _, incl, orig = struct.unpack("<IIII", d[o:o + 16])
        out.append(d[o + 16:o + 16 + incl])
        o += 16 + incl
    return out
sent = [f for f in frames(sys.argv[1]) if struct.unpack("!H", f[36:38])[0] != 9]
got = frames(sys.argv[2])
want = [f[6:12] + f[0:6] + f[12:] for f in sent]
if got != want:
    print("tx_pcap: %d frames of %s bytes, want %d of %s" % (len(got), [len(f) for f in got], len(want),
                                                             [len(f) for f in want]))
    sys.exit(1)
print("ok: %d frames reflected whole (%d of 9014 bytes, as mbuf chains)" % (len(got), sum(len(f) == 9014 for f in got)))
PYEOF
echo "ok: rx_packets=10 rx_bytes=63278 drop=2 tx=8"

# net_af_xdp at MTU 9000 and 1500, in a namespace of this process alone
require_tool unshare
DPDK=$(realpath "$DPDK")
# shellcheck disable=SC2016 # expanded by the inner shell
timeout 90 unshare -n sh -c '
	ip link add plt-dja type veth peer name plt-djb && ip link set plt-dja up && ip link set plt-djb up || exit 9
	run() { timeout 20 "$1" -l 0 --no-huge -m 256 --no-pci --file-prefix "$2" --log-level=error -- \
		--iface plt-djb $3 --duration 0.5 --stats-interval 0 >"$4" 2>&1; }
	run "$0" "$1" "" "$2/mtu1500.log"
	ip link set plt-dja mtu 9000 && ip link set plt-djb mtu 9000 || exit 9
	run "$0" "$1" "" "$2/mtu9000.log"
	run "$0" "$1" --hybrid "$2/hybrid.log"
	exit 0' "$DPDK" "$PREFIX" "$T" || fail "the namespace for the net_af_xdp runs"
! grep -q "multi-buffer" "$T/mtu1500.log" || { cat "$T/mtu1500.log"; fail "a warning at MTU 1500"; }
grep -q "plt-djb: MTU 9000: net_af_xdp (DPDK [0-9.]*) has no AF_XDP multi-buffer: frames longer than [0-9]* bytes are dropped by the kernel before pathlab-dpdk sees them (for jumbo frames: --hybrid" "$T/mtu9000.log" ||
	{ cat "$T/mtu9000.log"; fail "no clear word at MTU 9000 that net_af_xdp cannot take jumbo frames"; }
grep -q "MTU 9000: .*USER frames longer than [0-9]* bytes are dropped" "$T/hybrid.log" ||
	{ cat "$T/hybrid.log"; fail "--hybrid at MTU 9000: no word that USER frames are limited"; }
echo "ok: net_af_xdp at MTU 9000 says that frames above one mbuf never reach it (and --hybrid: USER frames)"
