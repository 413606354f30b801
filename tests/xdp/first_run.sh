#!/usr/bin/env bash
# The README's first real run of one datapath: xdp/first-run.sh
# attaches pathlab-xdp on a veth pair, shows live stats with the ACL's drop of
# TCP 22 counted, and leaves nothing behind.
#   first_run.sh SRC_DIR BUILD_DIR
set -u
SRC=$1 BUILD=$2
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "namespaces, XDP; the CI runs as root"
id=$(printf '%04x' $((RANDOM % 65536)))
out=$(PL_FIRSTRUN_ID=$id timeout 100 "$SRC/xdp/first-run.sh" "$BUILD" 3 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || bad "first-run exited $rc"
grep -q "attached in" <<<"$out" || bad "no 'attached in ... mode' line"
grep -Eq '^\[xdp\] t=[0-9.]+ rx=[1-9]' <<<"$out" || bad "no traffic in the stats lines"
grep -Eq 'acl_drop=[1-9]' <<<"$out" || bad "the ACL's drop of TCP 22 was not counted"
grep -q "connected (nothing attached now)" <<<"$out" || bad "TCP 80 after the run"
grep -q "first-run: torn down" <<<"$out" || bad "no teardown"
ip netns list | grep -q "plt-xf$id" && bad "namespaces left: $(ip netns list | grep "plt-xf$id")"
[ -e "/run/pathlab/topo/firstrun$id" ] && bad "topology firstrun$id left"
[ "$fails" -eq 0 ] && ok "first run"
pl_done
