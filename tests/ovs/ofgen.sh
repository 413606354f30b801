#!/bin/bash
# pathlab-ofgen translations (no OVS, no root): every example policy translates or names what it
# cannot; port ranges become value/mask pairs covering exactly the range; steering, forwarding
# (redirect with MAC rewrite, reflect), the USER port, --in-ports, modes, defaults, counters;
# an aggregate shared ratelimit as meters, other ratelimits named as not translated.
#   ofgen.sh SRCDIR BUILDDIR
set -u
SRC=$1
OFGEN=$2/ovs/pathlab-ofgen
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
T=$PL_TMP
[ -x "$OFGEN" ] || fail "$OFGEN not built"
gen() { "$OFGEN" --port-map plt-a0=1,plt-b0=2,plt-c0=3,plt-c1=4 "$@" 2>"$T/err"; }

for f in "$SRC"/examples/*.policy; do
	if gen "$f" >"$T/out"; then
		grep -q '^table=' "$T/out" && ok "$(basename "$f"): $(grep -c '^table=' "$T/out") flows" || bad "$(basename "$f"): no flows"
	else
		bad "$(basename "$f"): $(cat "$T/err")"
	fi
done

# Port ranges: the value/mask pairs cover exactly lo..hi, without overlap.
for r in 1-65535 1000-2000 5000-5009 7-7 0-1023 1024-65535 3-4; do
	printf 'acl drop proto tcp dport %s\n' "$r" >"$T/r.policy"
	gen "$T/r.policy" | grep -o 'tcp,tp_dst=[^,]*' | sed 's/tcp,tp_dst=//' >"$T/masks"
	python3 - "$r" "$T/masks" <<'PY' && ok "dport $r: exact cover" || bad "dport $r: $(tr '\n' ' ' <"$T/masks")"
import sys
lo, hi = map(int, sys.argv[1].split("-"))
seen = [0] * 65536
for line in open(sys.argv[2]):
    v, m = (line.strip().split("/") + ["0xffff"])[:2]
    v, m = int(v, 0), int(m, 0)
    for p in range(65536):
        if p & m == v:
            seen[p] += 1
sys.exit(0 if all(seen[p] == (1 if lo <= p <= hi else 0) for p in range(65536)) else 1)
PY
done

cat >"$T/all.policy" <<'P'
mode policy
default drop
acl drop proto udp from 10.1.0.0/16 dport 53
acl user proto tcp to 2001:db8::/32 dport 443
acl pass proto icmp
acl default pass
steer udp 4242 user
steer tcp 8080 drop
forward redirect from plt-a0 to plt-b0 dst-mac 02:00:00:00:0b:02 src-mac 02:00:00:00:0a:01
P
gen --user-port plt-c0 "$T/all.policy" >"$T/out" || bad "all.policy: $(cat "$T/err")"
want=(
 'table=0,priority=60000,cookie=0x100000003,udp,nw_src=10.1.0.0/255.255.0.0,tp_dst=53,actions=drop'
 'table=0,priority=59990,cookie=0x300000004,tcp6,ipv6_dst=2001:db8::/ffff:ffff::,tp_dst=443,actions=output:3'
 'table=0,priority=59980,cookie=0x200000005,icmp,actions=resubmit(,1)'
 'table=0,priority=10,cookie=0x400000000,ip,actions=resubmit(,1)'
 'table=1,priority=100,cookie=0x500000000,udp,tp_dst=4242,actions=output:3'
 'table=1,priority=100,cookie=0x500000000,tcp6,tp_dst=8080,actions=drop'
 'table=2,priority=100,cookie=0x600000000,in_port=1,actions=mod_dl_dst:02:00:00:00:0b:02,mod_dl_src:02:00:00:00:0a:01,output:2'
 'table=2,priority=0,cookie=0x700000000,actions=drop'
)
for w in "${want[@]}"; do grep -qxF "$w" "$T/out" && ok "flow $w" || bad "missing flow $w"; done
grep -q 'tcp,.*tp_dst=443' "$T/out" && bad "an IPv6 rule produced an IPv4 flow" || ok "IPv6 rule: IPv6 flows only"

printf 'forward reflect\n' >"$T/refl.policy"
gen "$T/refl.policy" | grep -q 'table=2,priority=0,cookie=0x600000000,actions=push:NXM_OF_ETH_SRC\[\],push:NXM_OF_ETH_DST\[\],pop:NXM_OF_ETH_SRC\[\],pop:NXM_OF_ETH_DST\[\],in_port' &&
	ok "reflect: swap MACs, in_port" || bad "reflect"
printf 'mode drop-all\n' >"$T/d.policy"
[ "$(gen "$T/d.policy" | grep '^table=')" = 'table=0,priority=0,cookie=0x800000000,actions=drop' ] && ok "drop-all" || bad "drop-all"
printf 'acl drop proto tcp dport 22\n' >"$T/in.policy"
gen --in-ports plt-b0 "$T/in.policy" >"$T/out"
grep -q 'priority=65000,cookie=0x900000000,in_port=1,actions=NORMAL' "$T/out" &&
	grep -q 'in_port=2,tcp,tp_dst=22,actions=drop' "$T/out" && ok "--in-ports" || bad "--in-ports: $(cat "$T/out")"

# ratelimit: an aggregate shared budget becomes meters (bytes/s -> kbit/s), charged before the
# ACL on every IP frame; per-source or per-CPU budgets are named as not translated.
printf 'ratelimit pps 2000 burst 300 bytes 125000 byte-burst 15000 aggregate shared\nacl drop proto tcp dport 22\n' >"$T/rl.policy"
gen --in-ports plt-b0 "$T/rl.policy" >"$T/out" || bad "rl.policy: $(cat "$T/err")"
want=(
 '#meter meter=1,pktps,burst,stats,bands=type=drop,rate=2000,burst_size=300'
 '#meter meter=2,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=120'
 'table=0,priority=65100,cookie=0xa00000000,in_port=2,ip,reg0=0,actions=meter:1,load:1->NXM_NX_REG0[],resubmit(,0)'
 'table=0,priority=65100,cookie=0xa00000000,in_port=2,ipv6,reg0=0,actions=meter:1,load:1->NXM_NX_REG0[],resubmit(,0)'
 'table=0,priority=65100,cookie=0x0,in_port=2,ip,reg0=1,actions=meter:2,load:2->NXM_NX_REG0[],resubmit(,0)'
 'table=0,priority=65100,cookie=0x0,in_port=2,ipv6,reg0=1,actions=meter:2,load:2->NXM_NX_REG0[],resubmit(,0)'
)
for w in "${want[@]}"; do grep -qxF "$w" "$T/out" && ok "ratelimit: $w" || bad "ratelimit: missing $w"; done
grep -q 'in_port=1.*meter' "$T/out" && bad "a port outside --in-ports is metered" || ok "ratelimit: only --in-ports metered"
grep -q 'not translated' "$T/err" && bad "aggregate shared named as not translated: $(cat "$T/err")" ||
	ok "aggregate shared: translated"
for v in "" " aggregate" " shared"; do
	printf 'ratelimit pps 10%s\n' "$v" >"$T/rl2.policy"
	gen "$T/rl2.policy" >"$T/out"
	case $v in " aggregate") why="add 'shared'" ;; *) why="per-source token buckets" ;; esac
	grep -q "not translated: ratelimit (.*$why" "$T/err" && ! grep -q 'meter[=:]' "$T/out" &&
		ok "ratelimit pps 10$v: not translated ($why)" || bad "ratelimit pps 10$v: $(cat "$T/err")"
	gen --strict "$T/rl2.policy" >/dev/null
	[ $? = 3 ] && ok "ratelimit pps 10$v: --strict exits 3" || bad "ratelimit pps 10$v: --strict did not exit 3"
done

# Counters from dump-flows text.
cat >"$T/dump" <<'D'
 cookie=0x100000003, duration=1.0s, table=0, n_packets=7, n_bytes=420, priority=60000,udp actions=drop
 cookie=0x100000003, duration=1.0s, table=0, n_packets=3, n_bytes=180, priority=60000,udp6 actions=drop
 cookie=0x400000000, duration=1.0s, table=0, n_packets=5, n_bytes=300, priority=10,ip actions=resubmit(,1)
 cookie=0x700000000, duration=1.0s, table=2, n_packets=2, n_bytes=120, priority=0 actions=drop
D
c=$("$OFGEN" --counters <"$T/dump")
echo "$c" | grep -qx 'acl_drop=10' && echo "$c" | grep -qx 'acl_default=5' && echo "$c" | grep -qx 'dropped=12' &&
	echo "$c" | grep -qx 'line3_acl_drop=10' && ok "--counters" || bad "--counters: $c"

pl_done
