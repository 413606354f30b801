#!/usr/bin/env bash
# The README's first real run of one datapath: xdp/first-run.sh
# attaches pathlab-xdp on a veth pair, shows live stats with the ACL's drop of
# TCP 22 counted, and leaves nothing behind.
#   first_run.sh SRC_DIR BUILD_DIR
set -u
SRC=$1 BUILD=$2
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (namespaces, XDP); the CI runs as root"; exit 77; }
id=$(printf '%04x' $((RANDOM % 65536)))
out=$(PL_FIRSTRUN_ID=$id timeout 100 "$SRC/xdp/first-run.sh" "$BUILD" 3 2>&1)
rc=$?
printf '%s\n' "$out"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ "$rc" -eq 0 ] || fail "first-run exited $rc"
grep -q "attached in" <<<"$out" || fail "no 'attached in ... mode' line"
grep -Eq '^\[xdp\] t=[0-9.]+ rx=[1-9]' <<<"$out" || fail "no traffic in the stats lines"
grep -Eq 'acl_drop=[1-9]' <<<"$out" || fail "the ACL's drop of TCP 22 was not counted"
grep -q "connected (nothing attached now)" <<<"$out" || fail "TCP 80 after the run"
grep -q "first-run: torn down" <<<"$out" || fail "no teardown"
ip netns list | grep -q "plt-xf$id" && fail "namespaces left: $(ip netns list | grep "plt-xf$id")"
[ -e "/run/pathlab/topo/firstrun$id" ] && fail "topology firstrun$id left"
[ "$fails" -eq 0 ] && echo "ok: first run" && exit 0
exit 1
