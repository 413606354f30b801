#!/usr/bin/env bash
# pathlab-xdp pins only into directories no other user controls: with a bpffs
# mounted the old, world-writable way (mode 1777), a pin directory owned by
# another uid, one with mode 0777, or a symbolic link (at /sys/fs/bpf/pathlab
# or at its per-interface directory) is refused with a message that says what
# to do, nothing stays attached, and nothing is removed through the link.
# A fresh directory is made with mode 0700 and used.
# Usage: pin_dir.sh PATHLAB_XDP
set -uo pipefail

XDP=$(realpath "$1")
PL_TAG=xp
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "network namespaces, XDP attach"

pl_topo_up pd --topo pair
NS=$DUT_IN_NS IF=$DUT_IN_IF
TMP=$PL_TMP
mkdir "$TMP/target"
touch "$TMP/target/precious"

# Run shell code $1 in the namespace with a fresh bpffs (default mode 1777,
# as a plain `mount -t bpf` makes it), then `pathlab-xdp attach`, then shell
# code $2 (optional), then detach; prints the output. The mount lasts for
# this call only.
try_attach() {
	ip netns exec "$NS" sh -c '
		mount -t bpf bpf /sys/fs/bpf || exit 99
		eval "$1"
		"$3" attach "$4" --mode generic 2>&1
		rc=$?
		eval "$2"
		"$3" detach "$4" >/dev/null 2>&1
		exit $rc' sh "$1" "${2:-}" "$XDP" "$IF"
}

# $1: what; $2: setup; $3: expected words in the error
refused() {
	local out
	out=$(try_attach "$2")
	local rc=$?
	if [ $rc -eq 0 ]; then
		bad "$1: attach succeeded"
	elif ! grep -q "$3" <<<"$out"; then
		bad "$1: error does not say '$3': $out"
	elif ip -n "$NS" -d link show dev "$IF" | grep -q 'prog/xdp'; then
		bad "$1: a program stayed attached"
	else
		ok "$1 refused: $(grep -m1 'pin directory' <<<"$out")"
	fi
}

refused "pin root owned by another uid" \
	'mkdir -m 0700 /sys/fs/bpf/pathlab && chown 65534:65534 /sys/fs/bpf/pathlab' "belongs to uid 65534"
refused "pin root with mode 0777" \
	'mkdir /sys/fs/bpf/pathlab && chmod 0777 /sys/fs/bpf/pathlab' "has mode 0777"
refused "pin root a symbolic link" \
	"ln -s $TMP/target /sys/fs/bpf/pathlab" "symbolic link"
refused "interface directory owned by another uid" \
	"mkdir -m 0700 /sys/fs/bpf/pathlab /sys/fs/bpf/pathlab/$IF && chown 65534 /sys/fs/bpf/pathlab/$IF" \
	"belongs to uid 65534"
refused "interface directory a symbolic link" \
	"mkdir -m 0700 /sys/fs/bpf/pathlab && ln -s $TMP/target /sys/fs/bpf/pathlab/$IF" "symbolic link"
[ -e "$TMP/target/precious" ] && ok "nothing removed through a symbolic link" ||
	bad "a file was removed through the symbolic link"

# The ordinary case: made with mode 0700 and used.
out=$(try_attach true 'stat -c %a-%u /sys/fs/bpf/pathlab /sys/fs/bpf/pathlab/*/')
if grep -q "pinned at" <<<"$out" && [ "$(grep -c '^700-0$' <<<"$out")" = 2 ]; then
	ok "fresh pin directories made with mode 0700 and used"
else
	bad "fresh pin directories: $out"
fi

pl_done
