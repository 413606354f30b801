#!/usr/bin/env bash
# pl-sink leaves nothing attached however it ends: killed with SIGKILL (the
# kernel drops its bpf_link), and on SIGHUP and SIGQUIT it stops cleanly
# (summary printed, exit 0, program detached), as on SIGINT/SIGTERM.
PREFIX=plt-k
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

n=k$RUN_ID
"$PLTOPO" up "$n" --prefix "$PREFIX" 2>/dev/null || fail "up"
eval "$("$PLTOPO" info "$n")"
attached() { ip -n "$DUT_IN_NS" -d link show dev "$DUT_IN_IF" | grep -q 'prog/xdp'; }

# pl-sink itself (start_sink's PID is the timeout wrapping it)
sink_pid() {
	local p
	for _ in $(seq 100); do
		p=$(pgrep -P "$SINK_PID" -x pl-sink || true)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	fail "pl-sink process not found"
}

start_sink "$n" dut -i "$DUT_IN_IF" -d 60
attached || fail "pl-sink not attached"
kill -KILL "$(sink_pid)"
wait "$SINK_PID" 2>/dev/null || true
attached && fail "an XDP program stayed on $DUT_IN_IF after kill -9 of pl-sink"
ok "kill -9: nothing left attached"

for sig in HUP QUIT; do
	start_sink "$n" dut -i "$DUT_IN_IF" -d 60
	attached || fail "pl-sink not attached"
	kill -"$sig" "$(sink_pid)"
	rc=0
	wait "$SINK_PID" || rc=$?
	[ "$rc" = 0 ] || fail "SIG$sig: pl-sink exited $rc, want a clean exit"
	jq -e '.packets' "$SINK_OUT" >/dev/null || fail "SIG$sig: no summary printed"
	attached && fail "SIG$sig: an XDP program stayed on $DUT_IN_IF"
	ok "SIG$sig: clean exit, summary, nothing attached"
done
"$PLTOPO" down "$n"
