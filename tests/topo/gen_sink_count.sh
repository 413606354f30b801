#!/usr/bin/env bash
# On a lossless path (pair, 10 kpps for 1 s) the generator's count equals
# the sink's, per class too; also IPv6 with a protocol mix and latency
# probes, an exact --count, and the AF_XDP transmit fallback (paced and full speed).
PREFIX=plt-c
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

"$PLTOPO" up "c$RUN_ID" --prefix "$PREFIX" 2>"$TMP/up.err" || { cat "$TMP/up.err" >&2; fail "pl-topo up"; }

# run_pair NAME ARGS...: one generator run into a fresh sink; compares counts
run_pair() {
	local what=$1 sent recv
	shift
	start_sink "c$RUN_ID" dut --idle 0.5 -d 20
	"$PLTOPO" exec "c$RUN_ID" gen -- timeout 30 "$PLGEN" -T "c$RUN_ID" --json "$@" >"$TMP/gen.json" || fail "$what: pl-gen failed"
	wait "$SINK_PID" || fail "$what: pl-sink failed"
	sent=$(jnum "$TMP/gen.json" packets)
	# frames the generator cannot have sent (IPv6 MLD reports at link-up...) are not compared
	recv=$(jq -r '.packets - ([.classes["other4","other6","non-ip"].packets // 0] | add)' "$SINK_OUT")
	echo "$what: sent $sent received $recv ($(jnum "$TMP/gen.json" mode))"
	[ "$sent" -gt 0 ] || fail "$what: nothing sent"
	[ "$sent" = "$recv" ] || fail "$what: sent $sent != received $recv"
}

run_pair "udp4 10kpps 1s" -r 10k -d 1
# Pacing: never above the target (10 kpps for 1 s, plus one catch-up burst);
# below it only as far as a busy machine starves the generator (not judged:
# speed is reported, not asserted; docs/performance.md).
sent=$(jnum "$TMP/gen.json" packets)
[ "$sent" -le 10064 ] || fail "10 kpps for 1 s sent $sent: more than the target"
[ "$sent" -ge 1000 ] || fail "10 kpps for 1 s sent only $sent"
[ "$(jq -r '.classes.udp4.packets' "$SINK_OUT")" = "$(jnum "$TMP/gen.json" packets)" ] || fail "not all counted as udp4"

run_pair "ipv6 mix + probes" -6 -s 128 -p udp:2,tcp:1,icmp:1 --probe-every 100 -r 10k -d 1
probes=$(jnum "$TMP/gen.json" probes)
[ "$(jq -r '.classes.probe.packets' "$SINK_OUT")" = "$probes" ] || fail "probe class count != probes sent"
[ "$(jq -r '.latency_ns.probes' "$SINK_OUT")" = "$probes" ] || fail "latency samples != probes"
jq -e '.latency_ns.p50 > 0 and .latency_ns.p50 <= .latency_ns.p99 and .latency_ns.p99 <= .latency_ns.max' "$SINK_OUT" >/dev/null ||
	fail "latency percentiles not ordered"
[ "$(jq -r '.classes.tcp6.packets' "$SINK_OUT")" -gt 0 ] && [ "$(jq -r '.classes.icmp6.packets' "$SINK_OUT")" -gt 0 ] ||
	fail "protocol mix not seen"

run_pair "exact count" -n 12345 -r 50k -d 5
[ "$(jnum "$TMP/gen.json" packets)" = 12345 ] || fail "--count 12345 not exact"

# full speed for a set time: BPF_PROG_TEST_RUN calls (one, unless the program
# runs faster than its first guess), the last ended by the alarm at the
# deadline; the rate is over the time it sent, the calls' set-up excluded
# (counts are not compared: at full speed the veth refuses frames)
"$PLTOPO" exec "c$RUN_ID" gen -- timeout 30 "$PLGEN" -T "c$RUN_ID" --json -d 0.3 >"$TMP/gen.json" ||
	fail "full speed 0.3 s: pl-gen failed"
[ "$(jnum "$TMP/gen.json" calls)" -ge 1 ] 2>/dev/null || fail "full speed 0.3 s: no test_run call counted"
jq -e '.seconds > 0 and .seconds < .wall_seconds and .seconds <= 0.3' "$TMP/gen.json" >/dev/null ||
	fail "full speed 0.3 s: sending time $(jnum "$TMP/gen.json" seconds) s not inside (0, wall $(jnum "$TMP/gen.json" wall_seconds) s) and at most 0.3 s"

run_pair "afxdp fallback" --mode afxdp -r 10k -d 1
[ "$(jnum "$TMP/gen.json" mode)" = afxdp-copy ] || fail "afxdp mode not used"
# full speed: frames still on the TX ring at the end must be sent (or not counted)
run_pair "afxdp full speed, exact count" --mode afxdp -n 20000
[ "$(jnum "$TMP/gen.json" packets)" = 20000 ] || fail "afxdp --count 20000 not exact"
ok "generator and sink counts agree"
