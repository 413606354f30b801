#!/bin/bash
# SPDX-License-Identifier: MIT
# compare.sh --dut-if on real ports, everything up to the bind (--dry-run):
#  - the interface of the default route is refused (by name and by its PCI
#    address), as is the one of the ssh session (SSH_CONNECTION), unless --force;
#  - a PCI address is taken (no pl-topo failure): an unknown one gets a clear
#    error, a recorded ENA probe gives the vfio-pci bind, testpmd on the same
#    PMD and the restore to ena; a recorded r8169 probe gives generic XDP and
#    no PMD before DPDK 24.11; the README's command line;
#  - a state file left by an interrupted run is announced with its restore.
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PL_TAG=rp
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "interfaces"
WORK=$PL_TMP
V=$PL_PREFIX
pl_own link $V
export PL_BYPASS_STATE=$WORK/bypass.json
C="$SRC/bench/compare.sh"
expect() { # expect RC PATTERN -- compare.sh args: the exit status and a line of the output
	local want=$1 pat=$2; shift 3
	"$C" "$@" >"$WORK/out" 2>&1
	local rc=$?
	[ $rc = "$want" ] || bad "compare.sh $*: exit $rc, expected $want: $(tail -3 "$WORK/out")"
	grep -qF -- "$pat" "$WORK/out" || bad "compare.sh $*: no '$pat' in: $(cat "$WORK/out")"
}

DEF=$(ip -j route show default | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["dev"] if r else "")')
if [ -n "$DEF" ]; then
	expect 2 "refused: interface $DEF is this machine's way in: it carries the default route" -- --dut-if "$DEF" --dry-run
	expect 0 "warning: forced" -- --dut-if "$DEF" --dry-run --force
	PCI=$(basename "$(readlink -f /sys/class/net/$DEF/device/..)")
	case $PCI in ????:??:??.?) ;; *) PCI=$(basename "$(readlink -f /sys/class/net/$DEF/device)") ;; esac
	case $PCI in
	????:??:??.?) expect 2 "refused: interface $DEF is this machine's way in" -- --dut-if "$PCI" --dry-run ;;
	esac
else
	echo "note: no default route here: that refusal is not checked"
fi

# the ssh session's interface
ip link add $V type veth peer name ${V}p
ip addr add 10.251.7.1/24 dev $V
SSH_CONNECTION="10.251.7.9 50000 10.251.7.1 22" expect 2 "it carries this ssh session" -- --dut-if $V --dry-run
expect 0 "DUT port: $V" -- --dut-if $V --dry-run

# PCI addresses
expect 2 "--dut-if 0000:7e:00.0: no such PCI device here" -- --dut-if 0000:7e:00.0 --dry-run
expect 0 "bind:    dpdk-devbind.py --bind=vfio-pci 0000:7e:00.0" -- --dut-if 0000:7e:00.0 --nic-probe "$SRC/tests/bench/probes/ena.probe" --dry-run --dut-cpus 1
grep -qF "restore: dpdk-devbind.py --bind=ena 0000:7e:00.0" "$WORK/out" || bad "ena: no restore line: $(cat "$WORK/out")"
grep -qF "ref-testpmd: dpdk-testpmd -l 0,1 --main-lcore 0 -a 0000:7e:00.0" "$WORK/out" || bad "ena: no testpmd on the PMD"
grep -qF "xdp-native    n/a: driver ena refuses native XDP here (MTU 9001 above 3498" "$WORK/out" || bad "ena: native not refused with its MTU"
expect 0 "modes: XDP generic; AF_XDP copy over generic XDP" -- --dut-if 0000:03:00.0 --nic-probe "$SRC/tests/bench/probes/r8169.probe" --dry-run
grep -qF "xdp-native    n/a: driver r8169 has no native XDP" "$WORK/out" || bad "r8169: native row not refused"
grep -qF "bypass: n/a: DPDK" "$WORK/out" && { grep -qF "it arrived in DPDK 24.11" "$WORK/out" || bad "r8169: no 24.11 reason"; }

# the README's "real NICs" command line (with the recorded probe standing in for the NIC)
line=$(sed -n 's/^sudo bench\/compare.sh \(--dut-if .*--dry-run\)$/\1/p' "$SRC/README.md" | head -1)
[ -n "$line" ] || bad "README: no 'sudo bench/compare.sh --dut-if ... --dry-run' line"
# shellcheck disable=SC2086
[ -z "$line" ] || expect 0 "bypass:" -- $line --nic-probe "$SRC/tests/bench/probes/r8169.probe"

# without --dry-run: a clear refusal, nothing touched
expect 2 "a run through real ports needs the DUT's second port (--dut-out-if)" -- --dut-if $V

# a state file an interrupted run left: announced with its restore command
echo '{"pci": "0000:7e:00.0", "driver": "ena", "pid": 999999999}' >"$PL_BYPASS_STATE"
expect 0 "a real run first runs: dpdk-devbind.py --bind=ena 0000:7e:00.0" -- --dut-if $V --dry-run
[ -f "$PL_BYPASS_STATE" ] || bad "--dry-run removed the state file"

[ $fails = 0 ] && ok "management interfaces refused, PCI addresses planned, bypass dry-run, leftover state announced"
pl_done "real ports"
