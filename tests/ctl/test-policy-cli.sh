#!/usr/bin/env bash
# pathlab-policy end to end against a running (loaded, pinned, not
# attached) pathlab program: check the examples and a bad file, apply a
# policy by program id, read it back with show, refuse a bad apply.
# Usage: test-policy-cli.sh PATHLAB_POLICY BPF_OBJECT EXAMPLES_DIR
set -u
tool=$1 obj=$2 ex=$3
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
check() { # check DESCRIPTION COMMAND...: the command must succeed
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
require_root "to load BPF"
[ -x "$bpftool" ] || skip "bpftool not installed (scripts/bootstrap.sh installs it)"
mountpoint -q /sys/fs/bpf || mount -t bpf -o mode=0700 bpf /sys/fs/bpf
work=$PL_TMP
pin=/sys/fs/bpf/plt-c-cli-$$
pl_defer rm -f "$pin"

check "check accepts every example" "$tool" check "$ex"/*.policy
printf 'mode policy\nsteer udp 70000 user\n' > "$work/bad.policy"
out=$("$tool" check "$work/bad.policy" 2>&1); rc=$?
check "check refuses a bad file (rc=$rc)" test "$rc" = 1
check "check names file:line" grep -qF "$work/bad.policy:2: steer port 70000 out of range (0-65535)" <<<"$out"

timeout 30 "$bpftool" prog load "$obj" "$pin" type xdp || fail "bpftool prog load"
id=$("$bpftool" prog show pinned "$pin" | sed -n 's/^\([0-9]*\): .*/\1/p' | head -n1)
check "program id found ($id)" test -n "$id"

check "apply steer.policy by id" timeout 10 "$tool" apply --prog-id "$id" "$ex/steer.policy"
show=$(timeout 10 "$tool" show --prog-id "$id" 2>&1)
check "show reads steering on" grep -q '^mode=policy .*steer=1' <<<"$show"
printf 'mode drop-all\nacl drop proto tcp dport 22\n' > "$work/drop.policy"
check "apply drop.policy" timeout 10 "$tool" apply --prog-id "$id" "$work/drop.policy"
show=$(timeout 10 "$tool" show --prog-id "$id" 2>&1)
check "show reads mode drop-all, steering off" grep -q '^mode=drop-all .*steer=0' <<<"$show"
printf 'forward redirect from plt-c-nope0 to plt-c-nope1\n' > "$work/ghost.policy"
out=$(timeout 10 "$tool" apply --prog-id "$id" "$work/ghost.policy" 2>&1); rc=$?
check "apply with unknown interface fails (rc=$rc)" test "$rc" = 1
check "error names file:line and the interface" grep -qF "$work/ghost.policy:1: unknown interface 'plt-c-nope0'" <<<"$out"
show=$(timeout 10 "$tool" show --prog-id "$id" 2>&1)
check "previous policy still in force" grep -q '^mode=drop-all' <<<"$show"
out=$(timeout 10 "$tool" show --prog-id 4294967295 2>&1); rc=$?
check "show of a missing program fails with a hint" grep -q "check the id with" <<<"$out"
pl_done
