#!/bin/bash
# SPDX-License-Identifier: MIT
# --sample-out: pathlab-dpdk on net_pcap (rx_pcap/tx_pcap files, no
# hugepages, no namespace) under a policy that samples 1 in 2 frames. Ten
# known UDP frames (source ports 1000..1009) in; the sample pcap, read by
# tcpdump, holds exactly the 1st, 3rd, ... of them (ports 1000, 1002, ...,
# 1008), and its count equals the core's `sampled` counter in the exit
# report. Then the errors: a file that cannot be created fails the run with
# its name; a policy without a `sample` statement is warned about.
#   sample-out.sh PATHLAB_DPDK
set -u
DPDK=$1
PL_TAG=ds
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "DPDK EAL"
require_tool tcpdump
T=$PL_TMP
PREFIX=plt-ds$$
cleanup() { rm -rf "/var/run/dpdk/$PREFIX"; }
pl_defer cleanup
PY=/usr/bin/python3

"$PY" "$(dirname "$0")/../lib/pl_udp_pcap.py" "$T/in.pcap" 32:100{0..9}:4000 ||
	fail "writing the input pcap"
printf "mode policy\nmalformed drop\ndefault pass\nsample every 2 snap 128\nforward reflect\n" >"$T/s.policy"
printf "mode policy\nmalformed drop\ndefault pass\nforward reflect\n" >"$T/nosample.policy"

run() { # run LOG POLICY SAMPLE_OUT
	timeout 60 "$DPDK" -l 0 --no-huge -m 256 --no-pci --file-prefix "$PREFIX" --log-level=error \
		--vdev "net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/out.pcap" -- \
		--policy "$2" --duration 2 --stats-interval 0 --sample-out "$3" >"$1" 2>&1
}

run "$T/dut.log" "$T/s.policy" "$T/s.pcap"
rc=$?
[ "$rc" = 0 ] || { cat "$T/dut.log"; fail "pathlab-dpdk --sample-out exited $rc"; }
line=$(grep -- "--sample-out $T/s.pcap: " "$T/dut.log") ||
	{ cat "$T/dut.log"; fail "no sampled/sample_lost/written line in the exit report"; }
sampled=$(sed -n 's/.* sampled=\([0-9]*\).*/\1/p' <<<"$line")
lost=$(sed -n 's/.* sample_lost=\([0-9]*\).*/\1/p' <<<"$line")
written=$(sed -n 's/.* written=\([0-9]*\).*/\1/p' <<<"$line")
td=$(tcpdump -n -r "$T/s.pcap" 2>/dev/null) || fail "tcpdump cannot read $T/s.pcap"
got=$(grep -o 'IP 10\.0\.0\.1\.[0-9]* > 10\.0\.0\.2\.4000: UDP' <<<"$td" | cut -d' ' -f2 | cut -d. -f5 | tr '\n' ' ')
n=$(grep -c . <<<"$td")
[ "$got" = "1000 1002 1004 1006 1008 " ] && [ "$n" = 5 ] ||
	fail "tcpdump -r: source ports '$got' ($n lines), want 1000 1002 1004 1006 1008: $td"
[ "$sampled" = "$n" ] && [ "$written" = "$n" ] && [ "$lost" = 0 ] ||
	fail "exit report: $line; want sampled=written=$n, sample_lost=0"
echo "ok: tcpdump reads the 5 sampled frames (ports $got), $line"

# a file that cannot be created: the run fails, naming it
run "$T/bad.log" "$T/s.policy" "$T/no/such/dir/s.pcap"
rc=$?
[ "$rc" != 0 ] && grep -q "$T/no/such/dir/s.pcap: cannot create" "$T/bad.log" ||
	{ cat "$T/bad.log"; fail "--sample-out to a missing directory: exit $rc, no clear message"; }
echo "ok: unwritable --sample-out: exit $rc, $(grep "cannot create" "$T/bad.log")"

# no `sample` statement: a warning, the run goes on, an empty pcap
run "$T/nos.log" "$T/nosample.policy" "$T/n.pcap"
rc=$?
[ "$rc" = 0 ] && grep -q "the policy has no \`sample\` statement" "$T/nos.log" &&
	grep -q "written=0" "$T/nos.log" ||
	{ cat "$T/nos.log"; fail "--sample-out without a sample statement: exit $rc, no warning"; }
echo "ok: no sample statement: $(grep "no \`sample\`" "$T/nos.log")"
pl_done dpdk-sample-out
