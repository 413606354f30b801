#!/bin/bash
# SPDX-License-Identifier: MIT
# Two hosts, one command, through a real sshd:
#  - wires: two veth pairs stand in for two cables; their root-namespace ends
#    are the DUT's ports (--dut-if, --dut-out-if);
#  - one host: the generator's ends on this host (--gen-if, no --gen-host):
#    the run moves them into a namespace of its own and gives them back;
#  - two hosts: the generator's ends in a namespace playing the second host,
#    with an sshd of Debian's openssh-server in it (its own sshd_config, host
#    key and client key made here, port 2222 on the namespace's address); the
#    run reaches it with --gen-host (keys only, BatchMode) and --tune;
#  - both give the same rows as the veth run (path, workload, placement,
#    status, frame accounting correct), the sshd saw the key logins, every
#    setting of the DUT ports is back (threaded NAPI, busy-poll settings), no
#    XDP program is left, nothing runs on the second host;
#  - kill -9 of the harness in the middle of a two-host cell: within seconds
#    pl-sink and pl-gen are gone on the second host, the ssh clients here,
#    XDP is off the DUT ports and --tune's threaded NAPI is back off;
#  - the interface of the default route is refused as --dut-if of a
#    measured run (not only with --dry-run), unless --force.
# The test's own sshd runs under pdeathsig and is killed by PID; keys,
# configs, namespaces and veths go on exit. Asserts nothing about speed.
set -u
SRC=${PL_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PATHLAB_BUILD:-$SRC/build}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "namespaces, XDP, sshd"
[ -x /usr/sbin/sshd ] || skip "needs openssh-server (scripts/bootstrap.sh installs it)"
TMP=$PL_TMP
chmod 0700 "$TMP"
export PL_BENCH_STATE_DIR=$TMP/state PATHLAB_BUILD=$BUILD
NS=plt-2h-host2
D0=plt-2hd0 D1=plt-2hd1 G0=plt-2hg0 S0=plt-2hs0 M0=plt-2hm0 M1=plt-2hm1
C=$SRC/bench/compare.sh
SSHD=""
MADE_RUN_SSHD=0
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -z "$SSHD" ] || kill -9 "$SSHD" 2>/dev/null
	"$C" cleanup >/dev/null 2>&1
	for p in plt-2a plt-2b plt-2c plt-2k; do ip netns del "$p-gh" 2>/dev/null; done
	[ $MADE_RUN_SSHD = 0 ] || rmdir /run/sshd 2>/dev/null
}
pl_defer cleanup
pl_own netns $NS
pl_own link $D0 $D1 $M0 $G0 $S0

# stand-ins for NIC ports: NAPI (GRO) on, so XDP redirects into them work;
# no IPv6, so only the generator's frames cross the wires
port() { # port NS IF ("" NS: the root namespace)
	local x=()
	[ -z "$1" ] || x=(ip netns exec "$1")
	"${x[@]}" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	"${x[@]}" ethtool -K "$2" gro on >/dev/null
	"${x[@]}" ip link set dev "$2" up
}
ip link add $D0 type veth peer name $G0 || fail "cannot make veths"
ip link add $D1 type veth peer name $S0
for i in $D0 $D1 $G0 $S0; do port "" "$i"; done

# the rows of a run: path workload variant status correct
rows() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
res = json.load(open(sys.argv[1] + "/results.json"))
for r in res["rows"]:
    print(r["path"], r["workload"], r.get("variant", "-"), r["status"], r.get("correct", "-"))
PY
}
OPTS=(--paths "linux,xdp-native,ref-xdp" --workloads "drop,fwd" --placements dut --jumbo-fwd 0 --repeat 1
	--overload-seconds 0.3 --no-bpf-stats)
settings() { # the DUT ports' settings the paths change
	for i in $D0 $D1; do
		for f in threaded napi_defer_hard_irqs gro_flush_timeout; do echo "$i $f $(cat "/sys/class/net/$i/$f")"; done
	done
}
no_xdp() { # no_xdp WHEN: no XDP program on the DUT ports
	for i in $D0 $D1; do
		ip -d link show dev "$i" | grep -q 'prog/xdp' && fail "$1: an XDP program is left on $i: $(ip -d link show dev "$i")"
	done
	return 0
}
before=$(settings)

# 1. the veth run (one host, pl-topo)
timeout 200 "$C" "${OPTS[@]}" --no-search --prefix plt-2a --out "$TMP/veth" >"$TMP/veth.stdout" 2>"$TMP/veth.stderr"
rc=$?
[ $rc = 0 ] || { tail -20 "$TMP/veth.stderr"; fail "veth run exited $rc"; }
rows "$TMP/veth" >"$TMP/veth.rows"
grep -q ' ok OK$' "$TMP/veth.rows" || fail "veth run: no measured row: $(cat "$TMP/veth.rows")"

# 2. real ports, the generator's on this host (a namespace the run makes)
timeout 200 "$C" "${OPTS[@]}" --no-search --dut-if $D0 --dut-out-if $D1 --gen-if $G0,$S0 --prefix plt-2b \
	--out "$TMP/local" >"$TMP/local.stdout" 2>"$TMP/local.stderr"
rc=$?
[ $rc = 0 ] || { tail -20 "$TMP/local.stderr"; fail "one-host real-port run exited $rc"; }
rows "$TMP/local" >"$TMP/local.rows"
diff "$TMP/veth.rows" "$TMP/local.rows" >"$TMP/diff" || fail "one-host real ports: rows differ from the veth run: $(cat "$TMP/diff")"
if [ ! -e /sys/class/net/$G0 ] || [ ! -e /sys/class/net/$S0 ]; then fail "one host: the generator's ports were not given back"; fi
[ ! -e /run/netns/plt-2b-gh ] || fail "one host: namespace plt-2b-gh left"
no_xdp "one host"
[ "$(settings)" = "$before" ] || fail "one host: DUT port settings not restored: $(diff <(echo "$before") <(settings))"

# 3. the second host: a namespace with the generator's ports and an sshd
ip netns add $NS
ip -n $NS link set lo up
ip link set dev $G0 netns $NS
ip link set dev $S0 netns $NS
for i in $G0 $S0; do port $NS "$i"; done
ip link add $M0 type veth peer name $M1 netns $NS
ip addr add 10.252.9.1/24 dev $M0
ip link set dev $M0 up
ip -n $NS addr add 10.252.9.2/24 dev $M1
ip -n $NS link set dev $M1 up
ssh-keygen -q -t ed25519 -N '' -C plt-host2 -f "$TMP/host_key" || fail "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C plt-client -f "$TMP/id" || fail "ssh-keygen"
cp "$TMP/id.pub" "$TMP/authorized_keys"
cat >"$TMP/sshd_config" <<EOF
ListenAddress 10.252.9.2:2222
HostKey $TMP/host_key
PidFile $TMP/sshd.pid
AuthorizedKeysFile $TMP/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 64
LogLevel VERBOSE
EOF
[ -d /run/sshd ] || { mkdir -m 0755 /run/sshd && MADE_RUN_SSHD=1; }
setpriv --pdeathsig KILL -- ip netns exec $NS /usr/sbin/sshd -D -e -f "$TMP/sshd_config" 2>"$TMP/sshd.log" &
SSHD=$!
echo "[10.252.9.2]:2222 $(cut -d' ' -f1,2 "$TMP/host_key.pub")" >"$TMP/known_hosts"
cat >"$TMP/ssh_config" <<EOF
Host plt-host2
	HostName 10.252.9.2
	Port 2222
	User root
	IdentityFile $TMP/id
	IdentitiesOnly yes
	UserKnownHostsFile $TMP/known_hosts
	StrictHostKeyChecking yes
EOF
for _ in $(seq 1 50); do
	ssh -F "$TMP/ssh_config" -o BatchMode=yes plt-host2 true 2>/dev/null && break
	kill -0 $SSHD 2>/dev/null || fail "sshd exited: $(cat "$TMP/sshd.log")"
	sleep 0.2
done
ssh -F "$TMP/ssh_config" -o BatchMode=yes plt-host2 true || fail "no ssh login to the second host: $(tail -5 "$TMP/sshd.log")"
[ "$(ssh -F "$TMP/ssh_config" -o BatchMode=yes plt-host2 ip -o link show dev $G0 | wc -l)" = 1 ] ||
	fail "the ssh session is not in the second host's namespace"

# 4. two hosts, one command: the README's line, its ports and host replaced
# by the stand-ins (and the ssh config that names the second host)
line=$(sed -n 's/^sudo bench\/compare.sh \(--dut-if .*--gen-host .*\)$/\1/p' "$SRC/README.md" | head -1)
[ -n "$line" ] || fail "README: no 'sudo bench/compare.sh --dut-if ... --gen-host ...' line"
read -ra TWO <<<"$line"
for ((k = 1; k < ${#TWO[@]}; k++)); do
	case "${TWO[k - 1]}" in
	--dut-if) TWO[k]=$D0 ;;
	--dut-out-if) TWO[k]=$D1 ;;
	--gen-host) TWO[k]=plt-host2 ;;
	--gen-if) TWO[k]=$G0,$S0 ;;
	esac
done
TWO+=(--ssh-config "$TMP/ssh_config")
echo "two hosts: compare.sh ${TWO[*]}"
# with a (short) search: its latency trials read pl-sink's histogram there (SIGUSR1 over ssh)
timeout 300 "$C" "${OPTS[@]}" "${TWO[@]}" --search-repeat 1 --steps 1 --window 0.3 --short 0.1 --latency-seconds 0.1 \
	--prefix plt-2c --out "$TMP/two" >"$TMP/two.stdout" 2>"$TMP/two.stderr"
rc=$?
[ $rc = 0 ] || { tail -20 "$TMP/two.stderr"; fail "two-host run exited $rc"; }
rows "$TMP/two" >"$TMP/two.rows"
diff "$TMP/veth.rows" "$TMP/two.rows" >"$TMP/diff" || fail "two hosts: rows differ from the veth run: $(cat "$TMP/diff")"
grep -q "Accepted publickey for root" "$TMP/sshd.log" || fail "the sshd saw no key login: $(tail -5 "$TMP/sshd.log")"
grep -q "^[0-9:]* ssh .*plt-host2 -- .*pl-gen" "$TMP/two/commands.txt" || fail "commands.txt: pl-gen did not run over ssh"
grep -q "^[0-9:]* ssh .*plt-host2 -- .*pl-sink" "$TMP/two/commands.txt" || fail "commands.txt: pl-sink did not run over ssh"
/usr/bin/python3 - "$TMP/two" "$D0" <<'PY' || exit 1
import json, sys
m = json.load(open(sys.argv[1] + "/results.json"))["meta"]
rp = m.get("real_port") or {}
assert rp.get("generator_host") == "ssh plt-host2", "meta.real_port: %r" % rp
t = rp.get("tune") or {}
assert t.get(sys.argv[2], {}).get("applied", {}).get("threaded_napi") == "on", "tune: %r" % t
na = t[sys.argv[2]]["n/a"]
rows = json.load(open(sys.argv[1] + "/results.json"))["rows"]
lat = [r for r in rows if r["workload"] == "fwd" and r.get("latency")]
assert lat, "no fwd row with latency trials"
for r in lat:
    probes = [v.get("probes", 0) for v in r["latency"].values()]
    assert any(probes), "%s: no latency probes from the far pl-sink: %r" % (r["path"], r["latency"])
assert "rings" in na and "irq_affinity" in na, "tune on veth: rings and IRQs must be n/a with a reason: %r" % na
PY
no_xdp "two hosts"
[ "$(settings)" = "$before" ] || fail "two hosts: DUT port settings not restored: $(diff <(echo "$before") <(settings))"
left=$(ip netns pids $NS | grep -vx "$SSHD" | while read -r p; do c=$(cat "/proc/$p/comm" 2>/dev/null) && [ "$c" != sshd ] && echo "$p:$c"; done)
[ -z "$left" ] || fail "two hosts: processes left on the second host: $left"
[ -z "$(ls "$TMP/state" 2>/dev/null)" ] || fail "two hosts: state left: $(ls "$TMP/state")"

# 5. kill -9 of the harness while a two-host cell runs
"$C" "${OPTS[@]}" "${TWO[@]}" --no-search --paths xdp-native --workloads fwd --repeat 200 --overload-seconds 1 \
	--prefix plt-2k --out "$TMP/kill" >"$TMP/kill.stdout" 2>"$TMP/kill.stderr" &
H=$!
pids+=("$H")
for _ in $(seq 1 300); do
	grep -q "pl-gen" "$TMP/kill/commands.txt" 2>/dev/null && [ "$(cat /sys/class/net/$D0/threaded)" = 1 ] &&
		ip -d link show dev $D0 | grep -q 'prog/xdp' && break
	kill -0 $H 2>/dev/null || { tail -5 "$TMP/kill.stderr"; fail "kill: the run ended early"; }
	sleep 0.2
done
ip netns pids $NS | while read -r p; do cat "/proc/$p/comm" 2>/dev/null; done | grep -qx pl-sink || fail "kill: no pl-sink on the second host before the kill"
kill -9 $H
gone=0
for _ in $(seq 1 150); do
	far=$(ip netns pids $NS | while read -r p; do c=$(cat "/proc/$p/comm" 2>/dev/null) && case $c in pl-*) echo "$p:$c" ;; esac; done)
	near=$(pgrep -f "ControlPath=$TMP/state/plt-2k.ssh" || true)
	# the watchdog removes the run's state file once it has undone everything
	if [ -z "$far$near" ] && ! ip -d link show dev $D0 | grep -q 'prog/xdp' && [ "$(cat /sys/class/net/$D0/threaded)" = 0 ] &&
		[ -z "$(ls "$TMP/state" 2>/dev/null)" ]; then
		gone=1
		break
	fi
	sleep 0.2
done
[ $gone = 1 ] || fail "kill -9: 30 s later: state $(ls "$TMP/state" 2>/dev/null); second host: '${far}'; ssh here: '${near}'; $(ip -d link show dev $D0 | grep -o 'prog/xdp.*'); threaded $(cat /sys/class/net/$D0/threaded)"
no_xdp "kill -9"
[ "$(settings)" = "$before" ] || fail "kill -9: DUT port settings not restored: $(diff <(echo "$before") <(settings))"
[ -z "$(ls "$TMP/state" 2>/dev/null)" ] || fail "kill -9: state left: $(ls "$TMP/state")"
# the second host's /tmp is this one's (a namespace): pl-sink's counts file went with the run
[ ! -e /tmp/plt-2k-sink.counts ] || fail "kill -9: the second host's /tmp/plt-2k-sink.counts is left"

# 6. the default route's interface is refused for a measured run too
DEF=$(ip -j route show default | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["dev"] if r else "")')
if [ -n "$DEF" ]; then
	"$C" "${OPTS[@]}" --no-search --dut-if "$DEF" --dut-out-if $D1 --gen-host plt-host2 --ssh-config "$TMP/ssh_config" \
		--gen-if $G0,$S0 --prefix plt-2r --out "$TMP/refused" >"$TMP/ref.out" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "--dut-if $DEF (default route) measured run: exit $rc, expected 2: $(tail -3 "$TMP/ref.out")"
	grep -q "refused: interface $DEF is this machine's way in" "$TMP/ref.out" || fail "no refusal: $(cat "$TMP/ref.out")"
else
	echo "note: no default route here: that refusal is not checked"
fi
echo "ok: veth, one-host and two-host (sshd) runs give the same rows; settings restored; kill -9 leaves nothing"
