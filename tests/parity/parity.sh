#!/usr/bin/env bash
# Parity tests of pathlab-replay (suite parity).
#
#   parity.sh agree  REPLAY FRAMES_GEN EXAMPLES_DIR [CORPUS_PCAP CORPUS_POLICY_DIR]
#       the project corpus (tests/corpus: with the stages' classes) under its
#       policies (the stage policies responder, lb, ratelimit, stages too) and the example
#       policies, and every catalog frame cut at every length under the
#       example policies, replayed through native and BPF: any disagreement
#       in verdict, out_port, bytes or counters fails.
#   parity.sh detect REPLAY FRAMES_GEN EXAMPLES_DIR
#       the tool can fail: a different policy on one side, one flipped output
#       byte and one missing frame in a results file each give exit 1 and a
#       report naming the frame; the unmodified file gives exit 0.
#   parity.sh bench  COREBENCH FRAMES_GEN EXAMPLES_DIR
#       (suite bench-smoke) bench/pl-corebench, its --callgrind and --verifier run briefly
#       and print their tables; the figures themselves are not judged.
#   parity.sh inputs REPLAY FRAMES_GEN EXAMPLES_DIR
#       input errors exit 2 and name what is wrong; a pcapng of the frames
#       replays exactly as the pcap; --pcap-out-verdict writes exactly the
#       frames of that verdict.
set -u
mode=$1 replay=$2 gen=$3 examples=$4 corpus=${5:-} corpus_policies=${6:-}
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
tmp=$PL_TMP
# Port names of the policies that are no interface here map to lo (ifindex
# 1), the receiving interface of the replay: the redirect entries and their
# MAC rewrites are exercised without creating interfaces.
ports=(--port '*=1')


# expect OK_MESSAGE PATTERN...: every pattern (ERE) matches a line of $out,
# or fail showing the output.
expect() {
	local msg=$1 p
	shift
	for p in "$@"; do
		if ! printf '%s\n' "$out" | grep -Eq -- "$p"; then
			bad "$msg: no line matching '$p'"
			printf '%s\n' "$out" | tail -20
			return 1
		fi
	done
	ok "$msg"
}

# run EXPECTED_RC NAME ARGS...: run the replay, keep its output in $out.
run() {
	local want=$1 name=$2
	shift 2
	out=$(timeout 120 "$replay" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, expected $want"
		printf '%s\n' "$out" | tail -40
		return 1
	fi
	return 0
}

# Every catalog frame (tests/lib shapes) cut at every length.
pcap=$tmp/frames.pcap
"$gen" "$pcap" || { echo "FAIL: $gen"; exit 1; }

case $mode in
agree)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: BPF_PROG_TEST_RUN needs root (CAP_BPF, CAP_NET_ADMIN); the CI runs as root"
		exit 77
	fi
	runs=()
	for pol in none "$examples"/*.policy; do runs+=("$pcap:$pol"); done
	if [ -n "$corpus" ]; then
		[ -f "$corpus" ] || { echo "FAIL: corpus $corpus not built"; exit 1; }
		for pol in none "$corpus_policies"/*.policy "$examples"/*.policy; do runs+=("$corpus:$pol"); done
	fi
	for r in "${runs[@]}"; do
		frames=${r%%:*} pol=${r#*:}
		args=(-q "${ports[@]}")
		[ "$pol" != none ] && args+=(-p "$pol")
		pname=none
		[ "$pol" != none ] && pname=$(basename "$(dirname "$pol")")/$(basename "$pol")
		name="native vs bpf, $(basename "$frames"), policy $pname"
		run 0 "$name" "${args[@]}" "$frames" || continue
		compared=$(printf '%s\n' "$out" | sed -n 's/^summary: [0-9]* frames, \([0-9]*\) compared.*/\1/p')
		if [ -z "$compared" ] || [ "$compared" -lt 50 ]; then
			bad "$name: only '${compared}' frames compared"
			printf '%s\n' "$out"
			continue
		fi
		if ! printf '%s\n' "$out" | grep -q '^counters: native and bpf equal'; then
			bad "$name: counters not reported equal"
			continue
		fi
		# Every corpus frame but the runts is compared: jumbo frames
		# (up to 9216 bytes) too, as multi-buffer frames.
		if [ "$frames" = "$corpus" ]; then
			want=$(awk -F'\t' '!/^#/ && $3 >= 14' "${corpus%.pcap}.index" | wc -l)
			if [ "$compared" -ne "$want" ]; then
				bad "$name: $compared frames compared, want $want (every frame of 14 bytes or more, jumbo frames too)"
				continue
			fi
		fi
		ok "$name: $compared frames agree, counters equal"
	done
	# The per-verdict counts must show the policies did something: full.policy
	# must give drop, redirect and user verdicts somewhere in the frames.
	run 0 "full.policy verdict mix" -q "${ports[@]}" -p "$examples/full.policy" "$pcap" &&
		for v in drop redirect user; do
			printf '%s\n' "$out" | grep -Eq "^  native +.* $v=[1-9]" ||
				bad "full.policy: no frame got verdict $v (the frames do not exercise it)"
		done
	[ -n "$corpus" ] || echo "note: no project corpus given (tests/corpus not built): catalog frames only"
	;;
detect)
	# A different policy on one side.
	run 0 "results of acl.policy" --builds native -q -p "$examples/acl.policy" \
		--results-out "$tmp/acl.plres" "$pcap" || exit 1
	run 1 "full.policy against acl.policy results" --builds native -q "${ports[@]}" \
		-p "$examples/full.policy" --against "$tmp/acl.plres" "$pcap" &&
		expect "a different policy on one side: exit 1, disagreements reported" \
			'DISAGREE: native@acl.plres verdict' '^  disagreements: [1-9]'
	# The same results: agreement.
	run 0 "acl.policy against its own results" --builds native -q -p "$examples/acl.policy" \
		--against "$tmp/acl.plres" "$pcap" && ok "same policy: exit 0"
	# One flipped byte in frame 0's output.
	awk -F'\t' 'BEGIN{OFS="\t"} NR==2{ c=substr($4,13,1); $4=substr($4,1,12) (c=="0"?"1":"0") substr($4,14) } {print}' \
		"$tmp/acl.plres" >"$tmp/flip.plres"
	run 1 "a flipped byte" --builds native -p "$examples/acl.policy" --against "$tmp/flip.plres" "$pcap" &&
		expect "a flipped byte: exit 1, frame 0, hex diff at offset 6" \
			'bytes differ at offset 6 \(0x6\)' '^ +0  .*DISAGREE: native@flip.plres bytes'
	# A frame missing from the results (the last frame: frames shorter than
	# 14 bytes are exempt by design).
	sed '$d' "$tmp/acl.plres" >"$tmp/miss.plres"
	missing=$(sed -n '$s/\t.*//p' "$tmp/acl.plres")
	run 1 "a missing frame" --builds native -q -p "$examples/acl.policy" --against "$tmp/miss.plres" "$pcap" &&
		expect "a missing frame: exit 1, frame $missing named" \
			"^ +$missing  .*DISAGREE: native@miss.plres has no result"
	;;
inputs)
	run 2 "no such pcap" --builds native "$tmp/nope.pcap" &&
		expect "missing pcap named" "nope.pcap: cannot read: No such file"
	run 2 "not a pcap" --builds native "$examples/acl.policy" && expect "not a pcap" "not a pcap file"
	printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00' >"$tmp/ng.pcap"
	run 2 "damaged pcapng" --builds native "$tmp/ng.pcap" && expect "damaged pcapng named" "damaged pcapng"
	# The same frames as pcapng: the same results, frame by frame.
	/usr/bin/python3 - "$pcap" "$tmp/frames.pcapng" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
magic, = struct.unpack('<I', d[:4])
nsec = magic == 0xa1b23c4d
assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
def block(t, body):
    body += b'\0' * (-len(body) % 4)
    return struct.pack('<II', t, len(body) + 12) + body + struct.pack('<I', len(body) + 12)
out = block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
opts = struct.pack('<HHB3x', 9, 1, 9 if nsec else 6) + struct.pack('<HH', 0, 0)
out += block(1, struct.pack('<HHI', 1, 0, 262144) + opts)
off, unit = 24, 10**9 if nsec else 10**6
while off < len(d):
    sec, frac, incl, orig = struct.unpack('<IIII', d[off:off + 16])
    ts = sec * unit + frac
    out += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, incl, orig) + d[off + 16:off + 16 + incl])
    off += 16 + incl
open(sys.argv[2], 'wb').write(out)
PY
	if run 0 "pcap results" --builds native -q -p "$examples/acl.policy" --results-out "$tmp/pcap.plres" "$pcap" &&
		run 0 "pcapng" --builds native -q -p "$examples/acl.policy" --results-out "$tmp/ng.plres" "$tmp/frames.pcapng"; then
		if [ "$(sed 1d "$tmp/pcap.plres" | wc -l)" -gt 50 ] && cmp -s <(sed 1d "$tmp/pcap.plres") <(sed 1d "$tmp/ng.plres"); then
			ok "pcapng: the same $(sed 1d "$tmp/ng.plres" | wc -l) results as the pcap"
		else
			bad "pcapng: results differ from the pcap's"
		fi
		head -1 "$tmp/pcap.plres" | grep -q ' build=native policy=.*acl.policy pcap=' &&
			ok "plres header names build, policy and pcap" || bad "plres header: $(head -1 "$tmp/pcap.plres")"
	fi
	run 0 "no policy" --builds native -q --results-out "$tmp/none.plres" "$pcap" &&
		{ head -1 "$tmp/none.plres" | grep -q ' policy=none pcap=' &&
			ok "plres header without a policy says policy=none" || bad "plres header: $(head -1 "$tmp/none.plres")"; }
	head -c 100 "$pcap" >"$tmp/trunc.pcap"
	run 2 "truncated pcap" --builds native "$tmp/trunc.pcap" &&
		expect "truncated record named" "frame [0-9]+.*truncated"
	printf 'mode policy\nacl frob proto tcp\n' >"$tmp/bad.policy"
	run 2 "bad policy" --builds native -p "$tmp/bad.policy" "$pcap" &&
		expect "policy error names file:line" "bad.policy:2:"
	run 2 "unknown port" --builds native -p "$examples/forward-redirect.policy" "$pcap" &&
		expect "unknown port: says file:line and --port" "forward-redirect.policy:[0-9]+:.*--port NAME=IFINDEX"
	run 2 "unknown build" --builds native,dpdk "$pcap" && expect "unknown build named" "unknown build 'dpdk'"
	run 2 "bad number" --builds native --cpu 99999 "$pcap" && expect "bad number named" "--cpu '99999'"
	run 2 "no pcap" --builds native && ok "no pcap: exit 2"
	if run 0 "--help" --help; then
		pats=()
		for o in policy builds obj results-out against pcap-out pcap-out-verdict in-port rx-queue port cpu \
			quiet verbose; do
			pats+=("--$o ")
		done
		expect "--help lists the options" "${pats[@]}"
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
			bad "--pcap-out-verdict user: $got frames written, $want got USER"
		fi
	fi
	;;
bench)
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: BPF_PROG_TEST_RUN needs root (CAP_BPF, CAP_NET_ADMIN); the CI runs as root"
		exit 77
	fi
	# $replay is bench/pl-corebench here.
	if run 0 "pl-corebench" --repeat 1000 --native-repeat 10000 --rounds 1 --bench-frames 8 \
		-p "$examples/full.policy" "${ports[@]}" "$pcap"; then
		rows=$(printf '%s\n' "$out" | grep -Ec '^(udp64|frames\.pcap).* (bpf|native) .*[0-9.]+x +[-0-9.]+$')
		[ "$rows" -eq 4 ] && ok "pl-corebench: 4 rows (udp64 and the pcap, bpf and native)" ||
			{ bad "pl-corebench: $rows table rows, expected 4"; printf '%s\n' "$out"; }
	fi
	# --verifier: the object loads in every setting, and the verifier's
	# statistics and stack are printed for the datapath program
	if run 0 "--verifier" --verifier; then
		n=$(printf '%s\n' "$out" | grep -Ec '^  pathlab +processed [0-9]+ insns \(limit 1000000\)')
		st=$(printf '%s\n' "$out" | grep -Ec '^ +stack depth [0-9+]+ ')
		[ "$n" -eq 4 ] && [ "$st" -ge 4 ] && ok "--verifier: processed instructions and stack of pathlab in 4 settings" ||
			{ bad "--verifier: $n statistics lines for pathlab, $st stack lines (expected 4 each)"; printf '%s\n' "$out"; }
	fi
	if ! command -v valgrind >/dev/null; then
		echo "note: valgrind not installed: --callgrind not tried"
	elif run 0 "--callgrind" --callgrind 1000 "$pcap"; then
		printf '%s\n' "$out" | grep -Eq '^udp64 .* [0-9]+\.[0-9] +[0-9]+\.[0-9] +[0-9]+\.[0-9]$' &&
			ok "--callgrind: instructions/packet printed" ||
			{ bad "--callgrind: no udp64 row"; printf '%s\n' "$out"; }
	fi
	;;
*)
	echo "usage: $0 agree|detect|bench|inputs REPLAY|COREBENCH FRAMES_GEN EXAMPLES_DIR [CORPUS_GEN]"
	exit 2
	;;
esac
pl_done
