#!/usr/bin/env bash
# pl-ratesearch finds the limit a deliberately rate-limited DUT imposes.
# DUT: pl_test_policer.bpf.o on the DUT side of a pair (a token bucket of
# 10 kpps, burst 256, XDP_TX back to the generator's interface, where the
# sink counts). Tolerance: the highest offered rate with loss <= 0.1% lies
# within 70-105% of 10 kpps, and every trial offered above 110% fails.
PREFIX=plt-r
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"
LIMIT=10000
POLICER=$BUILD/tests/topo/pl_test_policer.bpf.o

"$PLTOPO" up "r$RUN_ID" --prefix "$PREFIX" 2>"$TMP/up.err" || { cat "$TMP/up.err" >&2; fail "pl-topo up"; }
eval "$("$PLTOPO" info "r$RUN_ID")"
ip -n "$DUT_IN_NS" link set dev "$DUT_IN_IF" xdpdrv obj "$POLICER" sec xdp || fail "cannot attach the policer"
"$RATESEARCH" --help >/dev/null || fail "pl-ratesearch --help"
# the policer's own counters (passed/dropped), shown per trial
PROG_ID=$(ip -n "$DUT_IN_NS" -d -j link show dev "$DUT_IN_IF" | jq -r '.[0].xdp.prog.id')
MAP_ID=$(bpftool prog show id "$PROG_ID" -j | jq -r '.map_ids[0]')
[ -n "$MAP_ID" ] && [ "$MAP_ID" != null ] || fail "policer map not found"
timeout 100 "$RATESEARCH" --min 2k --max 50k --trial-seconds 1 --max-trials 16 --precision 3 --json \
	--gen "$PLTOPO exec r$RUN_ID gen -- $PLGEN -T r$RUN_ID --rate {rate} -d {duration} --cpu 0 --nice -10 --max-burst 200 --json" \
	--sink "$PLTOPO exec r$RUN_ID gen -- $PLSINK -i $GEN_IF --idle 0.5 -d {timeout} --ready-file {ready} --json" \
	--dut-counters "bpftool map dump id $MAP_ID -j | jq -r '.[0].formatted.value | \"passed: \\(.passed)\", \"dropped: \\(.dropped)\"'" \
	>"$TMP/rs.json" || fail "pl-ratesearch failed"
jq -c '.curve[] | {target_pps, offered_pps, loss, dut}' "$TMP/rs.json"
found=$(jq -r '.rate_pps | floor' "$TMP/rs.json")
echo "limit $LIMIT pps, found $found pps"
[ "$found" -ge $((LIMIT * 70 / 100)) ] && [ "$found" -le $((LIMIT * 105 / 100)) ] ||
	fail "found $found pps, outside 70-105% of the imposed $LIMIT pps"
jq -e "[.curve[] | select(.offered_pps > $LIMIT * 1.1) | .pass] | any | not" "$TMP/rs.json" >/dev/null ||
	fail "a rate above 110% of the limit passed"
ok "rate search found the imposed limit"
