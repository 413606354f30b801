#!/bin/sh
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
# afxdp: the balancer is pathlab-afxdp --placement user on the three
# interfaces (the LB in user space, DSR out another port as REDIRECT); its
# host addresses move to its TAP devices plt-s-lt0/1/2; only the first
# check (200 connections, weights 1:1) runs (no live policy reload there).
BUILD=$1 FRONT=${2:-xdp}
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3)
need curl ethtool ss
mkns plt-s-lc; mkns plt-s-lb; mkns plt-s-b1; mkns plt-s-b2
link plt-s-lc plt-s-lc0 plt-s-lb plt-s-lb0
link plt-s-lb plt-s-lb1 plt-s-b1 plt-s-b1
link plt-s-lb plt-s-lb2 plt-s-b2 plt-s-b2
ip -n plt-s-lc addr add 10.79.0.1/24 dev plt-s-lc0
ip -n plt-s-lc route add 10.79.9.9/32 via 10.79.0.2
ip -n plt-s-lc addr add fd79::1/64 dev plt-s-lc0 nodad
ip -n plt-s-lc -6 route add fd79:9::9/128 via fd79::2
ip -n plt-s-lb addr add fd79::2/64 dev plt-s-lb0 nodad
ip -n plt-s-lb addr add fd79:1::1/64 dev plt-s-lb1 nodad
ip -n plt-s-lb addr add fd79:2::1/64 dev plt-s-lb2 nodad
ip netns exec plt-s-lb sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n plt-s-lb addr add 10.79.0.2/24 dev plt-s-lb0
ip -n plt-s-lb addr add 10.79.1.1/24 dev plt-s-lb1
ip -n plt-s-lb addr add 10.79.2.1/24 dev plt-s-lb2
ip netns exec plt-s-lb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
for b in 1 2; do
	ip -n plt-s-b$b addr add 10.79.$b.2/24 dev plt-s-b$b
	ip -n plt-s-b$b addr add 10.79.9.9/32 dev lo
	ip -n plt-s-b$b route add default via 10.79.$b.1
	ip -n plt-s-b$b addr add fd79:$b::2/64 dev plt-s-b$b nodad
	ip -n plt-s-b$b addr add fd79:9::9/128 dev lo nodad
	ip -n plt-s-b$b -6 route add default via fd79:$b::1
	ip netns exec plt-s-b$b sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.plt-s-b$b.rp_filter=0
	mkdir -p "$TMP/www$b"
	echo "backend$b" >"$TMP/www$b/index.html"
	{ echo "backend$b"; head -c 8000000 /dev/zero | tr '\0' x; } >"$TMP/www$b/big"
	ip netns exec plt-s-b$b $PY -m http.server 80 --bind :: --directory "$TMP/www$b" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	xdp_pass plt-s-b$b plt-s-b$b
done
mac() { ip -n "$1" link show "$2" | awk '/link\/ether/ { print $2 }'; }
policy() { # weight1 weight2 state1 state2
	cat >"$TMP/policy" <<P
lb service web 10.79.9.9 80 tcp mode dsr size 4093
lb backend web 10.79.1.2 mac $(mac plt-s-b1 plt-s-b1) src-mac $(mac plt-s-lb plt-s-lb1) via plt-s-lb1 weight $1 state $3
lb backend web 10.79.2.2 mac $(mac plt-s-b2 plt-s-b2) src-mac $(mac plt-s-lb plt-s-lb2) via plt-s-lb2 weight $2 state $4
P
}
policy 1 1 up up
if [ "$FRONT" = afxdp ]; then
	start_afxdp plt-s-lb -i plt-s-lb0 -i plt-s-lb1 -i plt-s-lb2 --policy "$TMP/policy" --tap-prefix plt-s-lt --quiet
	for a in 0:10.79.0.2 1:10.79.1.1 2:10.79.2.1; do
		ip -n plt-s-lb addr del ${a#*:}/24 dev plt-s-lb${a%%:*}
		ip -n plt-s-lb addr add ${a#*:}/24 dev plt-s-lt${a%%:*}
	done
else
	start_xdp plt-s-lb "$TMP/policy" plt-s-lb0 plt-s-lb1 plt-s-lb2
fi
sleep 1 # servers up
fail=0
spread() { # N [URL] -> "ok b1 b2"
	urls=""
	for _ in $(seq "$1"); do urls="$urls ${2:-http://10.79.9.9/}"; done
	ip netns exec plt-s-lc sh -c "curl -sS --max-time 30 $urls" 2>"$TMP/curl.err" >"$TMP/spread"
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
ip netns exec plt-s-lc timeout 60 /usr/bin/python3 "$(dirname "$0")/slow-get.py" 10.79.9.9 80 /big 8 \
	>"$TMP/big" 2>"$TMP/big.w" &
DL=$!
on=""
for _ in $(seq 400); do # up to 40 s: a SYN lost on a busy machine costs 1+2+4+8+16 s of retries
	sleep 0.1
	for b in 1 2; do
		ip netns exec plt-s-b$b ss -Htn state established '( sport = :80 )' | grep -q '10\.79\.0\.1\]*:' && on=$b
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
	ip netns exec plt-s-lc $PY "$(dirname "$0")/lb-reuse.py" 10.79.9.9 80 20100 20 open >"$TMP/reuse1" 2>&1 ||
		{ echo "FAIL: first round of fixed-port connections: $(grep -v opened "$TMP/reuse1" | head -3)"; fail=1; }
	policy 1 1 draining up; reload "$TMP/policy"
	ip netns exec plt-s-lc $PY "$(dirname "$0")/lb-reuse.py" 10.79.9.9 80 20100 20 get >"$TMP/reuse2" 2>&1
	n2=$(grep -c ' backend2$' "$TMP/reuse2")
	echo "reused 5-tuples placed anew: $n2/20 answered by backend2"
	[ "$n2" = 20 ] || { echo "FAIL: reused 5-tuples: $(grep -v ' backend2$' "$TMP/reuse2" | head -3)"; fail=1; }
fi

# NAT: destination rewritten to the backend, handed to the host to route;
# the backend's replies get the VIP back on the backend-side interfaces.
cat >"$TMP/policy" <<P
lb service web 10.79.9.9 80 tcp mode nat size 4093
lb backend web 10.79.1.2 port 80 via pass
lb backend web 10.79.2.2 port 80 via pass
P
reload "$TMP/policy"
for b in 1 2; do ip -n plt-s-b$b addr del 10.79.9.9/32 dev lo; done
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
# and checked instead: 40 client SYNs arrive encapsulated (outer 10.79.0.2
# -> backend, protocol 4, IPv4 header checksum verified by tcpdump; inner
# client -> VIP port 80), spread over both backends.
cat >"$TMP/policy" <<P
lb service web 10.79.9.9 80 tcp mode ipip size 4093 encap-src 10.79.0.2
lb backend web 10.79.1.2 mac $(mac plt-s-b1 plt-s-b1) src-mac $(mac plt-s-lb plt-s-lb1) via plt-s-lb1
lb backend web 10.79.2.2 mac $(mac plt-s-b2 plt-s-b2) src-mac $(mac plt-s-lb plt-s-lb2) via plt-s-lb2
P
reload "$TMP/policy"
for b in 1 2; do
	ip netns exec plt-s-b$b timeout 15 tcpdump -nn -U -i plt-s-b$b -w "$TMP/ipip$b.pcap" 'ip proto 4' 2>"$TMP/td$b.err" &
	PIDS="$PIDS $!"
done
for _ in $(seq 50); do
	grep -q listening "$TMP/td1.err" && grep -q listening "$TMP/td2.err" && break
	sleep 0.1
done
ip0=$(counter lb_ipip)
ip netns exec plt-s-lc sh -c 'for i in $(seq 40); do curl -s --max-time 0.5 http://10.79.9.9/ & done; wait' >/dev/null 2>&1
sleep 0.5
for b in 1 2; do
	tcpdump -nn -vv -r "$TMP/ipip$b.pcap" 2>/dev/null >"$TMP/ipip$b.txt"
done
ipip=$(($(counter lb_ipip) - ip0))
n1=$(grep -c '10.79.0.1.[0-9]* > 10.79.9.9.80: Flags \[S\]' "$TMP/ipip1.txt")
n2=$(grep -c '10.79.0.1.[0-9]* > 10.79.9.9.80: Flags \[S\]' "$TMP/ipip2.txt")
outer=$(cat "$TMP/ipip1.txt" "$TMP/ipip2.txt" | grep -c "10.79.0.2 > 10.79.[12].2: IP ")
bad=$(cat "$TMP/ipip1.txt" "$TMP/ipip2.txt" | grep -ci 'bad cksum\|incorrect')
echo "IP-in-IP: lb_ipip=$ipip; encapsulated SYNs captured: backend1=$n1 backend2=$n2; bad checksums: $bad"
[ $((n1 + n2)) -ge 40 ] || { echo "FAIL: $((n1 + n2)) encapsulated SYNs reached the backends, want >= 40"; head -4 "$TMP/ipip1.txt"; fail=1; }
[ "$n1" -ge 8 ] && [ "$n2" -ge 8 ] || { echo "FAIL: IP-in-IP spread $n1/$n2"; fail=1; }
[ "$bad" = 0 ] || { echo "FAIL: bad checksums in the encapsulated frames"; grep -i -B1 'bad cksum\|incorrect' "$TMP/ipip1.txt" | head -4; fail=1; }
[ "$outer" -ge $((n1 + n2)) ] || { echo "FAIL: $outer outer headers 10.79.0.2 -> backend for $((n1 + n2)) SYNs"; head -6 "$TMP/ipip1.txt"; fail=1; }
[ "$ipip" -ge $((n1 + n2)) ] || { echo "FAIL: lb_ipip $ipip < frames captured"; fail=1; }

# IPv6: a DSR service on fd79:9::9 (the backends hold it on lo, the same
# http.server answers on ::).
cat >"$TMP/policy" <<P
lb service web6 fd79:9::9 80 tcp mode dsr size 4093
lb backend web6 fd79:1::2 mac $(mac plt-s-b1 plt-s-b1) src-mac $(mac plt-s-lb plt-s-lb1) via plt-s-lb1
lb backend web6 fd79:2::2 mac $(mac plt-s-b2 plt-s-b2) src-mac $(mac plt-s-lb plt-s-lb2) via plt-s-lb2
P
reload "$TMP/policy"
# shellcheck disable=SC2046 # spread prints two counts
set -- $(spread 100 'http://[fd79:9::9]/')
echo "IPv6 DSR: $1 answers, backend1=$2 backend2=$3"
[ "$1" = 100 ] || { echo "FAIL: IPv6 $1/100 answered; $(head -3 "$TMP/curl.err")"; fail=1; }
within "$2" 50 20 || { echo "FAIL: IPv6 backend1 got $2 of 100"; fail=1; }
exit $fail
