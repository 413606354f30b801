#!/bin/bash
# SPDX-License-Identifier: MIT
# The BPF object with every stage passes the kernel verifier (bpftool
# loadall), and its stage maps are there. Needs root and bpffs; the pins
# go at teardown, or with the next run's clean-up when this one is killed.
#   test-verifier.sh BPF_OBJECT
set -u
obj=$1
PL_TAG=ver
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "loading BPF programs"
require_tool bpftool
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf || fail "no bpffs at /sys/fs/bpf"
pin=/sys/fs/bpf/$PL_PREFIX-verify
pl_own path "$pin"
log=$(bpftool prog loadall "$obj" "$pin" type xdp 2>&1) || {
	echo "$log" | tail -30
	fail "the verifier refused $obj"
}
ok "verifier: pathlab and pathlab_empty loaded"
for m in pl_rl_buckets pl_syn_buckets pl_resp_routes pl_resp_listen pl_lb_ring pl_lb_conns pl_lb_services; do
	bpftool map show name "$m" >/dev/null 2>&1 && ok "map $m" || bad "map $m missing"
done
pl_done "verifier"
