#!/usr/bin/env bash
# Parity tests of pathlab-replay (suite parity).
#
#   parity.sh agree  REPLAY FRAMES_GEN EXAMPLES_DIR [CORPUS_PCAP_GEN]
#       the corpus (or, until tests/corpus exists, every catalog frame cut at
#       every length) replayed through native and BPF under every example
#       policy: any disagreement in verdict, out_port, bytes or counters fails.
#   parity.sh detect REPLAY FRAMES_GEN EXAMPLES_DIR
#       the tool can fail: a different policy on one side, one flipped output
#       byte and one missing frame in a results file each give exit 1 and a
#       report naming the frame; the unmodified file gives exit 0.
#   parity.sh inputs REPLAY FRAMES_GEN EXAMPLES_DIR
#       input errors exit 2 and name what is wrong; --pcap-out-verdict writes
#       exactly the frames of that verdict.
set -u
mode=$1 replay=$2 gen=$3 examples=$4 corpus_gen=${5:-}
tmp=$(mktemp -d /tmp/plt-r-parity.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
# Port names of the example policies, mapped to lo (ifindex 1): the
# redirect entries and their MAC rewrites are exercised without interfaces.
ports=(--port plt-a0=1 --port plt-b0=1 --port plt-c0=1 --port plt-c1=1)

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run EXPECTED_RC NAME ARGS...: run the replay, keep its output in $out.
run() {
	local want=$1 name=$2
	shift 2
	out=$(timeout 120 "$replay" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, expected $want"
		printf '%s\n' "$out" | tail -40
		return 1
	fi
	return 0
}

# The frames: the project corpus when its generator exists, else ours.
pcap=$tmp/frames.pcap
if [ -n "$corpus_gen" ] && [ -x "$corpus_gen" ]; then
	"$corpus_gen" "$pcap" >/dev/null || { echo "FAIL: corpus generator $corpus_gen"; exit 1; }
	echo "frames: the project corpus ($corpus_gen)"
else
	"$gen" "$pcap" || { echo "FAIL: $gen"; exit 1; }
	echo "frames: catalog shapes cut at every length ($gen; tests/corpus not built yet)"
fi

case $mode in
agree)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: BPF_PROG_TEST_RUN needs root (CAP_BPF, CAP_NET_ADMIN); the CI runs as root"
		exit 77
	fi
	for pol in none "$examples"/*.policy; do
		args=(-q "${ports[@]}")
		[ "$pol" != none ] && args+=(-p "$pol")
		name="native vs bpf, policy $(basename "$pol")"
		run 0 "$name" "${args[@]}" "$pcap" || continue
		compared=$(printf '%s\n' "$out" | sed -n 's/^summary: [0-9]* frames, \([0-9]*\) compared.*/\1/p')
		if [ -z "$compared" ] || [ "$compared" -lt 50 ]; then
			fail "$name: only '${compared}' frames compared"
			printf '%s\n' "$out"
			continue
		fi
		if ! printf '%s\n' "$out" | grep -q '^counters: native and bpf equal'; then
			fail "$name: counters not reported equal"
			continue
		fi
		ok "$name: $compared frames agree, counters equal"
	done
	# The per-verdict counts must show the policies did something: full.policy
	# must give drop, redirect and user verdicts somewhere in the frames.
	run 0 "full.policy verdict mix" -q "${ports[@]}" -p "$examples/full.policy" "$pcap" &&
		for v in drop redirect user; do
			printf '%s\n' "$out" | grep -Eq "^  native +.* $v=[1-9]" ||
				fail "full.policy: no frame got verdict $v (corpus does not exercise it)"
		done
	;;
detect)
	# A different policy on one side.
	run 0 "results of acl.policy" --builds native -q -p "$examples/acl.policy" \
		--results-out "$tmp/acl.plres" "$pcap" || exit 1
	if run 1 "full.policy against acl.policy results" --builds native -q "${ports[@]}" \
		-p "$examples/full.policy" --against "$tmp/acl.plres" "$pcap"; then
		if printf '%s\n' "$out" | grep -q 'DISAGREE: native@acl.plres verdict' &&
			printf '%s\n' "$out" | grep -Eq '^  disagreements: [1-9]'; then
			ok "a different policy on one side: exit 1, disagreements reported"
		else
			fail "different policy: exit 1 but no DISAGREE line"
			printf '%s\n' "$out" | tail -20
		fi
	fi
	# The same results: agreement.
	run 0 "acl.policy against its own results" --builds native -q -p "$examples/acl.policy" \
		--against "$tmp/acl.plres" "$pcap" && ok "same policy: exit 0"
	# One flipped byte in frame 0's output.
	awk -F'\t' 'BEGIN{OFS="\t"} NR==2{ c=substr($4,13,1); $4=substr($4,1,12) (c=="0"?"1":"0") substr($4,14) } {print}' \
		"$tmp/acl.plres" >"$tmp/flip.plres"
	if run 1 "a flipped byte" --builds native -p "$examples/acl.policy" --against "$tmp/flip.plres" "$pcap"; then
		if printf '%s\n' "$out" | grep -q 'bytes differ at offset 6 (0x6)' &&
			printf '%s\n' "$out" | grep -Eq '^ +0  .*DISAGREE: native@flip.plres bytes'; then
			ok "a flipped byte: exit 1, frame 0, hex diff at offset 6"
		else
			fail "a flipped byte: no hex diff naming offset 6 of frame 0"
			printf '%s\n' "$out" | head -20
		fi
	fi
	# A frame missing from the results.
	# (the last frame: frames shorter than 14 bytes are exempt by design)
	sed '$d' "$tmp/acl.plres" >"$tmp/miss.plres"
	missing=$(sed -n '$s/\t.*//p' "$tmp/acl.plres")
	if run 1 "a missing frame" --builds native -q -p "$examples/acl.policy" --against "$tmp/miss.plres" "$pcap"; then
		printf '%s\n' "$out" | grep -Eq "^ +$missing  .*DISAGREE: native@miss.plres has no result" &&
			ok "a missing frame: exit 1, frame $missing named" ||
			fail "a missing frame: frame $missing not named"
	fi
	;;
inputs)
	run 2 "no such pcap" --builds native "$tmp/nope.pcap" &&
		{ printf '%s\n' "$out" | grep -q "nope.pcap: cannot read: No such file" && ok "missing pcap named" ||
			fail "missing pcap: message: $out"; }
	run 2 "not a pcap" --builds native "$examples/acl.policy" &&
		{ printf '%s\n' "$out" | grep -q "not a pcap file" && ok "not a pcap" || fail "not a pcap: $out"; }
	printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00' >"$tmp/ng.pcap"
	run 2 "pcapng" --builds native "$tmp/ng.pcap" &&
		{ printf '%s\n' "$out" | grep -q "is pcapng" && ok "pcapng named" || fail "pcapng: $out"; }
	head -c 100 "$pcap" >"$tmp/trunc.pcap"
	run 2 "truncated pcap" --builds native "$tmp/trunc.pcap" &&
		{ printf '%s\n' "$out" | grep -Eq "frame [0-9]+.*truncated" && ok "truncated record named" ||
			fail "truncated: $out"; }
	printf 'mode policy\nacl frob proto tcp\n' >"$tmp/bad.policy"
	run 2 "bad policy" --builds native -p "$tmp/bad.policy" "$pcap" &&
		{ printf '%s\n' "$out" | grep -q "bad.policy:2:" && ok "policy error names file:line" ||
			fail "bad policy: $out"; }
	run 2 "unknown port" --builds native -p "$examples/forward-redirect.policy" "$pcap" &&
		{ printf '%s\n' "$out" | grep -q "forward-redirect.policy:[0-9]*:.*--port NAME=IFINDEX" &&
			ok "unknown port: says file:line and --port" || fail "unknown port: $out"; }
	run 2 "unknown build" --builds native,dpdk "$pcap" &&
		{ printf '%s\n' "$out" | grep -q "unknown build 'dpdk'" && ok "unknown build named" ||
			fail "unknown build: $out"; }
	run 2 "no pcap" --builds native && ok "no pcap: exit 2"
	if run 0 "--help" --help; then
		for o in policy builds obj results-out against pcap-out pcap-out-verdict in-port port cpu bench \
			repeat native-repeat rounds callgrind native-loop native-fn quiet verbose; do
			printf '%s\n' "$out" | grep -q -- "--$o" || fail "--help does not mention --$o"
		done
		ok "--help lists the options"
	fi
	# --pcap-out-verdict: the output pcap holds exactly the frames of that verdict.
	if run 0 "pcap-out" --builds native -q -p "$examples/steer.policy" --pcap-out "$tmp/user.pcap" \
		--pcap-out-verdict user "$pcap"; then
		want=$(printf '%s\n' "$out" | sed -n 's/^  native .* user=\([0-9]*\).*/\1/p')
		run 0 "replay of the output pcap" --builds native -q "$tmp/user.pcap"
		got=$(printf '%s\n' "$out" | sed -n 's/^summary: \([0-9]*\) frames.*/\1/p')
		if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$want" = "$got" ]; then
			ok "--pcap-out-verdict user: $got frames written, as many as got USER"
		else
			fail "--pcap-out-verdict user: $got frames written, $want got USER"
		fi
	fi
	;;
*)
	echo "usage: $0 agree|detect|inputs REPLAY FRAMES_GEN EXAMPLES_DIR [CORPUS_GEN]"
	exit 2
	;;
esac
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all ok"
