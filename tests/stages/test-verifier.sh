#!/bin/sh
# The BPF object with every stage passes the kernel verifier (bpftool
# loadall), and its stage maps are there. Needs root and bpffs.
set -u
obj=$1
pin=/sys/fs/bpf/plt-s-verify-$$
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to load BPF programs"; exit 77; fi
command -v bpftool >/dev/null || { echo "SKIP: bpftool not installed"; exit 77; }
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf || exit 1
trap 'rm -rf "$pin"' EXIT
log=$(bpftool prog loadall "$obj" "$pin" type xdp 2>&1) || {
	echo "$log" | tail -30
	echo "FAIL: the verifier refused $obj"
	exit 1
}
for m in pl_rl_buckets pl_syn_buckets pl_resp_routes pl_resp_listen pl_lb_ring pl_lb_conns pl_lb_services; do
	bpftool map show name "$m" >/dev/null 2>&1 || { echo "FAIL: map $m missing"; exit 1; }
done
echo "verifier: pathlab and pathlab_empty loaded"
