#!/bin/bash
# Load balancer system test (L2 DSR): real HTTP servers (python3
# http.server) in two backend namespaces behind the XDP datapath
# (pathlab-xdp run) in the balancer namespace; the client uses real curl
# against the VIP. Backend weights and states change with `pathlab-xdp
# policy` while the program runs.
#  - 200 new connections all succeed and split 1:1 within +-15 % (weights 1:1)
#  - weights 3:1: 200 connections split 75 % / 25 % within +-12 %
#  - a backend set to draining while a slow download runs on it: the
#    download completes, and every new connection goes to the other backend.
#  - a client port used again (new SYN from one CPU, the rest of the flow
#    from another, whose connection entry held the old backend): the new
#    backend answers all 20.
#  - NAT mode: 100 connections answered (replies reverse-NATed to the VIP).
#  - IPv6 DSR: 100 connections to an IPv6 VIP answered, split 1:1 +- 20 %.
#  - IP-in-IP: the encapsulated SYNs reach both backends with valid outer
#    headers (captured: this kernel cannot decapsulate, see below).
#   test-lb.sh BUILD_DIR [xdp|afxdp]
# Topology: a pl-topo lb with two backends (client GEN, balancer DUT with
# DUT_IN, DUT_OUT1, DUT_OUT2, backends BE1, BE2 holding VIP4/VIP6 on lo;
# ARP and ND resolved by the stacks).
# afxdp: the balancer is pathlab-afxdp --placement user on the three
# interfaces (the LB in user space, DSR out another port as REDIRECT); its
# host addresses move to its TAP devices; only the first check (200
# connections, weights 1:1) runs (no live policy reload there).
BUILD=$1 FRONT=${2:-xdp}
PL_TAG=sb${FRONT:0:1}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3)
need curl ethtool ss
stages_topo lb --topo lb --backends 2 --neigh dynamic
LC=$GEN_NS LB=$NS_DUT C_IP=$GEN_IP4
ip netns exec "$LB" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
for b in 1 2; do
	v=BE${b}_NS bns=${!v} v=BE${b}_IF bif=${!v}
	ip netns exec "$bns" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$bif.rp_filter=0"
	mkdir -p "$TMP/www$b"
	echo "backend$b" >"$TMP/www$b/index.html"
	{ echo "backend$b"; head -c 8000000 /dev/zero | tr '\0' x; } >"$TMP/www$b/big"
	ip netns exec "$bns" $PY -m http.server 80 --bind :: --directory "$TMP/www$b" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	xdp_pass "$bns" "$bif"
done
policy() { # weight1 weight2 state1 state2
	cat >"$TMP/policy" <<P
lb service web $VIP4 80 tcp mode dsr size 4093
lb backend web $BE1_IP4 mac $BE1_MAC src-mac $DUT_OUT1_MAC via $DUT_OUT1_IF weight $1 state $3
lb backend web $BE2_IP4 mac $BE2_MAC src-mac $DUT_OUT2_MAC via $DUT_OUT2_IF weight $2 state $4
P
}
policy 1 1 up up
if [ "$FRONT" = afxdp ]; then
	TAPP=${PL_PREFIX}t
	start_afxdp "$LB" -i "$DUT_IN_IF" -i "$DUT_OUT1_IF" -i "$DUT_OUT2_IF" --policy "$TMP/policy" --tap-prefix "$TAPP" --quiet
	i=0
	for ep in DUT_IN DUT_OUT1 DUT_OUT2; do
		v=${ep}_IF ifn=${!v} v=${ep}_IP4 a=${!v}
		ip -n "$LB" addr del "$a/24" dev "$ifn"
		ip -n "$LB" addr add "$a/24" dev "$TAPP$i"
		i=$((i + 1))
	done
else
	start_xdp "$LB" "$TMP/policy" "$DUT_IN_IF" "$DUT_OUT1_IF" "$DUT_OUT2_IF"
fi
sleep 1 # servers up
fail=0
spread() { # N [URL] -> "ok b1 b2"
	urls=""
	for _ in $(seq "$1"); do urls="$urls ${2:-http://$VIP4/}"; done
	ip netns exec "$LC" sh -c "curl -sS --max-time 30 $urls" 2>"$TMP/curl.err" >"$TMP/spread"
	echo "$(wc -l <"$TMP/spread") $(grep -c backend1 "$TMP/spread") $(grep -c backend2 "$TMP/spread")"
}
within() { # value want tol
	awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { exit !(v >= w - t && v <= w + t) }'
}
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 200)
echo "weights 1:1: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 200 ] || { echo "FAIL: $1/200 connections answered; $(head -3 "$TMP/curl.err")"; fail=1; }
within "$2" 100 30 || { echo "FAIL: backend1 got $2 of 200, want 100 +- 30"; fail=1; }
if [ "$FRONT" = afxdp ]; then
	kill -INT $DUT
	wait $DUT || { echo "FAIL: pathlab-afxdp exited $?"; fail=1; }
	grep -A1 '^\[afxdp-user-total\]' "$TMP/dut.log"
	dsr=$(afxdp_total lb_dsr)
	newf=$(afxdp_total lb_new_flow)
	[ "${newf:-0}" -ge 200 ] && [ "${dsr:-0}" -ge "${newf:-0}" ] && echo "ok: lb_new_flow=$newf lb_dsr=$dsr" ||
		{ echo "FAIL: counters lb_new_flow=$newf lb_dsr=$dsr"; fail=1; }
	exit $fail
fi
policy 3 1 up up; reload "$TMP/policy"
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 200)
echo "weights 3:1: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 200 ] || { echo "FAIL: $1/200 answered"; fail=1; }
within "$2" 150 24 || { echo "FAIL: backend1 got $2 of 200, want 150 +- 24"; fail=1; }

# draining keeps an established connection
policy 1 1 up up; reload "$TMP/policy"
# A slow reader (small receive buffer, paced reads): the connection lasts
# ~8 s whatever the machine's speed (curl --limit-rate let it finish in
# 0.2 s here, before draining was even set).
ip netns exec "$LC" timeout 60 /usr/bin/python3 "$(dirname "$0")/slow-get.py" "$VIP4" 80 /big 8 \
	>"$TMP/big" 2>"$TMP/big.w" &
DL=$!
on=""
for _ in $(seq 400); do # up to 40 s: a SYN lost on a busy machine costs 1+2+4+8+16 s of retries
	sleep 0.1
	for b in 1 2; do
		v=BE${b}_NS
		ip netns exec "${!v}" ss -Htn state established '( sport = :80 )' | grep -q "${C_IP//./\\.}\\]*:" && on=$b
	done
	[ -n "$on" ] && break
done
[ -n "$on" ] || { echo "FAIL: slow download not established in 40 s"; fail=1; on=1; }
sleep 0.5
if [ "$on" = 1 ]; then policy 1 1 draining up; else policy 1 1 up draining; fi
reload "$TMP/policy"
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 40)
echo "backend$on draining: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 40 ] || { echo "FAIL: $1/40 answered while draining"; fail=1; }
cnt_on=$(grep -c "backend$on" "$TMP/spread")
[ "$cnt_on" = 0 ] || { echo "FAIL: $cnt_on new connections went to draining backend$on"; fail=1; }
wait $DL
dlrc=$?
if [ $dlrc = 0 ] && [ "$(head -1 "$TMP/big")" = "backend$on" ] && [ "$(wc -c <"$TMP/big")" -gt 8000000 ]; then
	echo "ok: download on draining backend$on completed ($(wc -c <"$TMP/big") bytes; $(cat "$TMP/big.w"))"
else
	echo "FAIL: download on draining backend$on broke: curl rc=$dlrc, $(wc -c <"$TMP/big") bytes from '$(head -c 8 "$TMP/big")' $(cat "$TMP/big.w")"; fail=1
fi

# A reused 5-tuple is a new connection on every CPU: 20 connections from
# fixed client ports to backend1 (from CPU 0, then reset: nothing left in
# TIME_WAIT), then backend1 draining and the same ports again: each SYN
# (sent from CPU 1) is placed on backend2, the request after it is sent
# from CPU 0, whose connection entry held backend1 from the first round.
if [ "$(nproc)" -ge 2 ]; then
	policy 1 1 up down; reload "$TMP/policy"
	ip netns exec "$LC" $PY "$(dirname "$0")/lb-reuse.py" "$VIP4" 80 20100 20 open >"$TMP/reuse1" 2>&1 ||
		{ echo "FAIL: first round of fixed-port connections: $(grep -v opened "$TMP/reuse1" | head -3)"; fail=1; }
	policy 1 1 draining up; reload "$TMP/policy"
	ip netns exec "$LC" $PY "$(dirname "$0")/lb-reuse.py" "$VIP4" 80 20100 20 get >"$TMP/reuse2" 2>&1
	n2=$(grep -c ' backend2$' "$TMP/reuse2")
	echo "reused 5-tuples placed anew: $n2/20 answered by backend2"
	[ "$n2" = 20 ] || { echo "FAIL: reused 5-tuples: $(grep -v ' backend2$' "$TMP/reuse2" | head -3)"; fail=1; }
fi

# NAT: destination rewritten to the backend, handed to the host to route;
# the backend's replies get the VIP back on the backend-side interfaces.
cat >"$TMP/policy" <<P
lb service web $VIP4 80 tcp mode nat size 4093
lb backend web $BE1_IP4 port 80 via pass
lb backend web $BE2_IP4 port 80 via pass
P
reload "$TMP/policy"
for b in 1 2; do v=BE${b}_NS; ip -n "${!v}" addr del "$VIP4/32" dev lo; done
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 100)
echo "NAT: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 100 ] || { echo "FAIL: NAT $1/100 answered; $(head -3 "$TMP/curl.err")"; fail=1; }
within "$2" 50 20 || { echo "FAIL: NAT backend1 got $2 of 100"; fail=1; }
nat=$(counter lb_nat)
[ "$nat" -ge 300 ] || { echo "FAIL: lb_nat $nat"; fail=1; }
newf=$(counter lb_new_flow); hit=$(counter lb_ct_hit); dsr=$(counter lb_dsr)
echo "counters: lb_new_flow=$newf lb_ct_hit=$hit lb_dsr=$dsr"
[ "$newf" -ge 541 ] && [ "$dsr" -ge "$newf" ] || { echo "FAIL: counters"; fail=1; }

# IP-in-IP on the live XDP path (the head grows on veth): this kernel has no
# ipip module (CONFIG_NET_IPIP off), so the backends cannot decapsulate and
# the connections cannot complete; what reaches each backend is captured
# and checked instead: 40 client SYNs arrive encapsulated (outer DUT_IN
# -> backend, protocol 4, IPv4 header checksum verified by tcpdump; inner
# client -> VIP port 80), spread over both backends.
cat >"$TMP/policy" <<P
lb service web $VIP4 80 tcp mode ipip size 4093 encap-src $DUT_IN_IP4
lb backend web $BE1_IP4 mac $BE1_MAC src-mac $DUT_OUT1_MAC via $DUT_OUT1_IF
lb backend web $BE2_IP4 mac $BE2_MAC src-mac $DUT_OUT2_MAC via $DUT_OUT2_IF
P
reload "$TMP/policy"
for b in 1 2; do
	v=BE${b}_NS bns=${!v} v=BE${b}_IF bif=${!v}
	ip netns exec "$bns" timeout 15 tcpdump -nn -U -i "$bif" -w "$TMP/ipip$b.pcap" 'ip proto 4' 2>"$TMP/td$b.err" &
	PIDS="$PIDS $!"
done
for _ in $(seq 50); do
	grep -q listening "$TMP/td1.err" && grep -q listening "$TMP/td2.err" && break
	sleep 0.1
done
ip0=$(counter lb_ipip)
ip netns exec "$LC" sh -c 'for i in $(seq 40); do curl -s --max-time 0.5 "http://$0/" & done; wait' "$VIP4" >/dev/null 2>&1
sleep 0.5
for b in 1 2; do
	tcpdump -nn -vv -r "$TMP/ipip$b.pcap" 2>/dev/null >"$TMP/ipip$b.txt"
done
ipip=$(($(counter lb_ipip) - ip0))
syn="$C_IP.[0-9]* > $VIP4.80: Flags \\[S\\]"
n1=$(grep -c "$syn" "$TMP/ipip1.txt")
n2=$(grep -c "$syn" "$TMP/ipip2.txt")
outer=$(cat "$TMP/ipip1.txt" "$TMP/ipip2.txt" | grep -Ec "$DUT_IN_IP4 > ($BE1_IP4|$BE2_IP4): IP ")
bad=$(cat "$TMP/ipip1.txt" "$TMP/ipip2.txt" | grep -ci 'bad cksum\|incorrect')
echo "IP-in-IP: lb_ipip=$ipip; encapsulated SYNs captured: backend1=$n1 backend2=$n2; bad checksums: $bad"
[ $((n1 + n2)) -ge 40 ] || { echo "FAIL: $((n1 + n2)) encapsulated SYNs reached the backends, want >= 40"; head -4 "$TMP/ipip1.txt"; fail=1; }
[ "$n1" -ge 8 ] && [ "$n2" -ge 8 ] || { echo "FAIL: IP-in-IP spread $n1/$n2"; fail=1; }
[ "$bad" = 0 ] || { echo "FAIL: bad checksums in the encapsulated frames"; grep -i -B1 'bad cksum\|incorrect' "$TMP/ipip1.txt" | head -4; fail=1; }
[ "$outer" -ge $((n1 + n2)) ] || { echo "FAIL: $outer outer headers $DUT_IN_IP4 -> backend for $((n1 + n2)) SYNs"; head -6 "$TMP/ipip1.txt"; fail=1; }
[ "$ipip" -ge $((n1 + n2)) ] || { echo "FAIL: lb_ipip $ipip < frames captured"; fail=1; }

# IPv6: a DSR service on VIP6 (the backends hold it on lo, the same
# http.server answers on ::).
cat >"$TMP/policy" <<P
lb service web6 $VIP6 80 tcp mode dsr size 4093
lb backend web6 $BE1_IP6 mac $BE1_MAC src-mac $DUT_OUT1_MAC via $DUT_OUT1_IF
lb backend web6 $BE2_IP6 mac $BE2_MAC src-mac $DUT_OUT2_MAC via $DUT_OUT2_IF
P
reload "$TMP/policy"
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 100 "http://[$VIP6]/")
echo "IPv6 DSR: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 100 ] || { echo "FAIL: IPv6 $1/100 answered; $(head -3 "$TMP/curl.err")"; fail=1; }
within "$2" 50 20 || { echo "FAIL: IPv6 backend1 got $2 of 100"; fail=1; }
exit $fail
