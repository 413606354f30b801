#!/usr/bin/env bash
# The shell test library (tests/lib/lib.sh) does what it promises: ok/bad
# and pl_done give the exit status, skip gives 77, fail exits 1 at once,
# and the teardown (deferred commands newest first, tracked processes
# stopped, PL_TMP removed) runs on a normal exit, on fail, on SIGINT and
# on SIGTERM, keeping the exit status. No root needed (no topology).
# Usage: test-lib.sh
set -u
lib=$(cd "$(dirname "$0")" && pwd)/lib.sh
out=$(mktemp -d /tmp/plt-u-lib.XXXXXX)
own=/tmp/plt-u-own.$$
trap 'rm -rf "$out" "$own"' EXIT
nfail=0
check() { # check WHAT EXPECTED_RC SCRIPT [SIGNAL]: run SCRIPT with the library
	local what=$1 want=$2 body=$3 sig=${4:-} rc
	printf '. %q\n%s\n' "$lib" "$body" >"$out/t.sh"
	if [ -n "$sig" ]; then
		# job control on: the test does not start with SIGINT ignored, as
		# background jobs of a non-interactive shell otherwise do
		set -m
		bash "$out/t.sh" >"$out/log" 2>&1 &
		local pid=$!
		set +m
		for _ in $(seq 100); do [ -e "$out/ready" ] && break; sleep 0.05; done
		kill -"$sig" "$pid"
		wait "$pid"
		rc=$?
	else
		bash "$out/t.sh" >"$out/log" 2>&1
		rc=$?
	fi
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $what: exit $rc, expected $want"; sed 's/^/  | /' "$out/log"; nfail=$((nfail + 1))
		return 1
	fi
	echo "ok: $what (exit $rc)"
}
# after a run: the teardown left this trace, PL_TMP is gone, no sleeper left
torn() {
	local what=$1 want=$2 got
	got=$(cat "$out/trace" 2>/dev/null)
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: teardown trace '$got', expected '$want'"; nfail=$((nfail + 1))
	elif [ -e "$(cat "$out/tmp")" ]; then
		echo "FAIL: $what: PL_TMP left behind"; nfail=$((nfail + 1))
	elif [ -s "$out/pid" ] && kill -0 "$(cat "$out/pid")" 2>/dev/null; then
		echo "FAIL: $what: tracked process still running"; nfail=$((nfail + 1))
	else
		echo "ok: $what: teardown ran ($got)"
	fi
	rm -f "$out/trace" "$out/tmp" "$out/pid" "$out/ready"
}
setup="echo \"\$PL_TMP\" >$out/tmp; sleep 300 & echo \$! >$out/pid; pl_track \$!
pl_defer sh -c 'echo -n a >>$out/trace'; pl_defer sh -c 'echo -n b >>$out/trace'"

check "all ok" 0 "$setup; ok one; ok two; pl_done"
torn "all ok" ba
check "one bad of two" 1 "$setup; ok one; bad two; ok three; pl_done"
torn "one bad" ba
grep -q '^FAIL: two$' "$out/log" && grep -q '^ok: three$' "$out/log" &&
	echo "ok: bad goes on after the failure" || { echo "FAIL: bad did not go on"; nfail=$((nfail + 1)); }
check "fail exits at once" 1 "$setup; fail stop; ok never"
torn "fail" ba
grep -q '^ok: never' "$out/log" && { echo "FAIL: fail did not stop the test"; nfail=$((nfail + 1)); }
check "fail runs the test's pl_on_fail" 1 "pl_on_fail() { echo the-log; }; fail stop"
grep -q '^the-log$' "$out/log" || { echo "FAIL: pl_on_fail not run"; nfail=$((nfail + 1)); }
check "skip gives 77 with the reason" 77 "$setup; skip no widget here"
torn "skip" ba
grep -q '^SKIP: no widget here$' "$out/log" || { echo "FAIL: skip reason missing"; nfail=$((nfail + 1)); }
check "require_tool of a missing tool skips" 77 "require_tool sh plt-no-such-tool"
grep -q 'plt-no-such-tool not installed' "$out/log" || { echo "FAIL: require_tool's reason"; nfail=$((nfail + 1)); }
check "require_tool of present tools goes on" 0 "require_tool sh cat; pl_done"
check "SIGINT" 130 "$setup; touch $out/ready; sleep 30 & pl_track \$!; wait \$!" INT
torn "SIGINT" ba
check "SIGTERM" 143 "$setup; touch $out/ready; sleep 30 & pl_track \$!; wait \$!" TERM
torn "SIGTERM" ba
check "a plain exit 3 keeps its status" 3 "$setup; exit 3"
torn "exit 3" ba
# pl_own: what the test made outside PL_TMP goes at teardown; only plt-* names
mkdir -p "$own"
check "pl_own path" 0 "pl_own path $own; pl_done"
[ ! -e "$own" ] && echo "ok: pl_own: the owned path went at teardown" ||
	{ echo "FAIL: pl_own: $own left"; nfail=$((nfail + 1)); }
check "pl_own of a name that is not plt-*" 1 "pl_own path /tmp/not-ours"
grep -q "only names starting plt- are removed" "$out/log" || { echo "FAIL: pl_own's refusal"; nfail=$((nfail + 1)); }
# SIGKILL: no teardown runs; the next run stops what the killed one tracked and
# the daemon whose pidfile is in its PL_TMP, removes what it owned and that PL_TMP
mkdir -p "$own"
printf '. %q\n%s\n' "$lib" "echo \"\$PL_TMP\" >$out/tmp; sleep 300 & echo \$! >$out/pid; pl_track \$!; pl_own path $own
sh -c 'while :; do sleep 1; done' \"\$PL_TMP/daemon\" & echo \$! >\"\$PL_TMP/daemon.pid\"; echo \$! >$out/daemon
touch $out/ready; wait" >"$out/k.sh"
bash "$out/k.sh" >"$out/log" 2>&1 &
kpid=$!
for _ in $(seq 100); do [ -e "$out/ready" ] && break; sleep 0.05; done
kill -9 $kpid
wait $kpid 2>/dev/null
check "the run after a SIGKILLed one" 0 "pl_done"
if [ -e "$(cat "$out/tmp")" ]; then
	echo "FAIL: SIGKILL: the killed run's PL_TMP was not reaped"; nfail=$((nfail + 1))
elif [ -e "$own" ]; then
	echo "FAIL: SIGKILL: what the killed run owned ($own) was not removed"; nfail=$((nfail + 1))
elif kill -0 "$(cat "$out/pid")" 2>/dev/null || kill -0 "$(cat "$out/daemon")" 2>/dev/null; then
	echo "FAIL: SIGKILL: a process of the killed run is still running"; nfail=$((nfail + 1))
else
	echo "ok: SIGKILL: the next run stopped the killed run's tracked process and daemon, removed what it owned and its PL_TMP"
fi
[ $nfail = 0 ] || { echo "$nfail check(s) failed"; exit 1; }
echo "all checks passed"
