#!/bin/bash
# Error paths of the Open vSwitch integration (no OVS needed), on the DUT port of a pl-topo
# pair (every command in the DUT namespace, with its persistent bpffs):
#   errors.sh SRCDIR BUILDDIR
#   1. attach-ovs on a veth without XDP: a clear error, nothing attached, no pins
#   2. attach-ovs on a veth where pathlab runs directly: refused, the program unchanged
#   3. attach-ovs on a veth with some other XDP program (pl-sink's): refused naming it, unchanged
#   4. pl-ovs add-port / prefilter / openflow without a running OVS or with a bad name: clear errors;
#      --xdp-mode hw/offload refused before anything, skb (xdp-tools' name) accepted
#   5. pathlab-ofgen: unknown interface, untranslated stages named (and --strict fails)
set -u
SRC=$1
BUILD=$2
OFGEN=$BUILD/ovs/pathlab-ofgen
PL_TAG=oe
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
RUN=$PL_TMP

require_root XDP
for t in "$BUILD/xdp/pathlab-xdp" "$OFGEN"; do [ -x "$t" ] || fail "$t not built"; done

pl_topo_up pair --topo pair
A=$DUT_IN_IF
PINS=$RUNDIR/bpffs/dut/pathlab # the DUT's /sys/fs/bpf/pathlab
XDP() { pl_in dut "$BUILD/xdp/pathlab-xdp" "$@"; }
PLOVS() { pl_in dut "$SRC/ovs/pl-ovs" "$@"; }
cleanup() { XDP detach "$A" >/dev/null 2>&1; }
pl_defer cleanup
prog_of() { ip -n "$NS_DUT" -d link show dev "$1" | sed -n 's/.*prog\/xdp[a-z]* id \([0-9]*\) name \([^ ]*\).*/\2 \1/p'; }

# 1. no XDP program at all
out=$(XDP attach-ovs "$A" 2>&1)
rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "not an Open vSwitch afxdp port" && ok "no program: $out" ||
	bad "no program: rc=$rc: $out"
[ -z "$(prog_of $A)" ] && ok "nothing attached to $A" || bad "left attached: $(prog_of $A)"
[ -e "$PINS/ovs-$A" ] && bad "pins left" || ok "no pins"

# 2. pathlab attached directly
XDP attach "$A" >/dev/null 2>&1 || bad "pathlab-xdp attach $A"
before=$(prog_of $A)
out=$(XDP attach-ovs "$A" 2>&1)
rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "not by attach-ovs" && ok "pathlab direct: $out" ||
	bad "pathlab direct: rc=$rc: $out"
[ "$(prog_of $A)" = "$before" ] && ok "program unchanged ($before)" || bad "program changed: $(prog_of $A)"
XDP detach "$A" >/dev/null 2>&1

# 3. another program (the bench sink's, loaded by iproute2)
OTHER=$BUILD/bench/pl_sink.bpf.o
[ -f "$OTHER" ] || OTHER=$BUILD/xdp/pathlab.bpf.o
ip -n "$NS_DUT" link set dev "$A" xdpgeneric obj "$OTHER" sec xdp 2>/dev/null
before=$(prog_of $A)
if [ -n "$before" ] && [ "${before%% *}" != pathlab ]; then
	out=$(XDP attach-ovs "$A" 2>&1)
	rc=$?
	[ $rc != 0 ] && echo "$out" | grep -q "not Open vSwitch's xsk_def_prog" && ok "other program: $out" ||
		bad "other program: rc=$rc: $out"
	[ "$(prog_of $A)" = "$before" ] && ok "program unchanged ($before)" || bad "program changed: $(prog_of $A)"
else
	# iproute2 loaded 'pathlab' (first program of the section) or nothing: use bpftool's view
	ok "iproute2 loaded '${before:-nothing}': other-program case covered by name check only"
fi
ip -n "$NS_DUT" link set dev "$A" xdpgeneric off 2>/dev/null; ip -n "$NS_DUT" link set dev "$A" xdp off 2>/dev/null
[ -z "$(prog_of $A)" ] && ok "$A clean" || bad "$A not clean: $(prog_of $A)"

# 4. pl-ovs without OVS / bad names
out=$(PLOVS --rundir "$RUN" add-port "$A" 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "no Open vSwitch running" && ok "add-port without OVS: $out" || bad "add-port without OVS: $out"
out=$(PLOVS --rundir "$RUN" --build "$BUILD" prefilter attach "$A" 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "not an Open vSwitch afxdp port" && ok "prefilter attach on a non-OVS port refused" ||
	bad "prefilter attach on non-OVS: $out"
for m in hw offload; do
	out=$(PLOVS --rundir "$RUN" --xdp-mode $m add-port "$A" 2>&1)
	[ $? != 0 ] && [[ "$out" == *"refused"*"XSKMAP"* ]] && ok "--xdp-mode $m refused before anything: $out" ||
		bad "--xdp-mode $m: $out"
done
out=$(PLOVS --rundir "$RUN" --xdp-mode skb add-port "$A" 2>&1)
[ $? != 0 ] && echo "$out" | grep -q "no Open vSwitch running" && ok "--xdp-mode skb accepted (xdp-tools' name)" ||
	bad "--xdp-mode skb: $out"
out=$("$SRC/ovs/pl-ovs" --rundir "$RUN" frobnicate 2>&1)
[ $? = 2 ] && ok "unknown command: $out" || bad "unknown command: $out"
"$SRC/ovs/pl-ovs" --help | grep -q "bench-setup" && ok "--help lists the commands" || bad "--help"

# 5. pathlab-ofgen
printf 'forward redirect from plt-oq0 to plt-oq1\n' >"$RUN/fwd.policy"
out=$("$OFGEN" --port-map plt-oq0=1 "$RUN/fwd.policy" 2>&1 >/dev/null)
[ $? = 1 ] && echo "$out" | grep -q "unknown interface 'plt-oq1'" && ok "ofgen unknown interface: $out" || bad "ofgen unknown interface: $out"
out=$("$OFGEN" --port-map a=1 "$SRC/examples/lb.policy" 2>&1 >/dev/null)
[ $? = 0 ] && echo "$out" | grep -q "not translated: lb" && ok "ofgen names untranslated lb" || bad "ofgen lb: $out"
"$OFGEN" --strict --port-map a=1 "$SRC/examples/ratelimit.policy" >/dev/null 2>&1
[ $? = 3 ] && ok "ofgen --strict fails on ratelimit" || bad "ofgen --strict did not fail"
flows=$("$OFGEN" --port-map a=1 "$SRC/examples/acl.policy" 2>/dev/null)
echo "$flows" | grep -q "priority=60000,cookie=0x10000000a,tcp,tp_dst=22,actions=drop" &&
	ok "ofgen: acl drop tcp 22 -> prioritised drop flow" || bad "ofgen acl flows: $flows"

pl_done
