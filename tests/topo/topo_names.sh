#!/usr/bin/env bash
# pl-topo removes only what it recorded, and names never escape:
#   - `down --all-with-prefix P` takes down the topologies made with prefix P
#     and leaves a root-namespace interface and a namespace that merely
#     share the prefix;
#   - a NAME with '/' or '..' is refused (no `rm -rf` outside the run root);
#   - a ROLE is a name, never shell code.
PREFIX=plt-n
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

OTHER_IF=${PREFIX}x OTHER_NS=${PREFIX}keep-gen
ip link add "$OTHER_IF" type veth peer name "${PREFIX}y"
OWN_LINKS+=("$OTHER_IF")
ip netns add "$OTHER_NS"
OWN_NETNS+=("$OTHER_NS")
"$PLTOPO" up "t$RUN_ID" --prefix "$PREFIX" 2>/dev/null || fail "up"
"$PLTOPO" down --all-with-prefix "$PREFIX" 2>"$TMP/err" || { cat "$TMP/err"; fail "down --all-with-prefix"; }
[ ! -e "/run/pathlab/topo/t$RUN_ID" ] || fail "topology t$RUN_ID still recorded"
[ ! -e "/run/netns/${PREFIX}t$RUN_ID-gen" ] && [ ! -e "/run/netns/${PREFIX}t$RUN_ID-dut" ] || fail "topology namespaces left"
ip link show dev "$OTHER_IF" >/dev/null 2>&1 || fail "down --all-with-prefix removed $OTHER_IF, which pl-topo did not create"
[ -e "/run/netns/$OTHER_NS" ] || fail "down --all-with-prefix removed namespace $OTHER_NS, which pl-topo did not create"
grep -q "$OTHER_NS" "$TMP/err" || fail "the namespace left alone is not named: $(cat "$TMP/err")"
# a namespace that is in the way is reported, not taken over (and not deleted by the undo)
"$PLTOPO" up keep --prefix "$PREFIX" 2>"$TMP/err" && fail "up over an existing namespace succeeded"
grep -q "namespace $OTHER_NS exists" "$TMP/err" || fail "no clear error for a taken namespace: $(cat "$TMP/err")"
[ -e "/run/netns/$OTHER_NS" ] || fail "a failed up deleted namespace $OTHER_NS, which it did not create"
ok "down --all-with-prefix removes only what pl-topo recorded"

# names with '/' or '..' never reach a path
mkdir -p "$TMP/run" "$TMP/victim"
touch "$TMP/victim/keep"
for bad in ../victim .. a/b ..x; do
	PL_TOPO_RUNDIR=$TMP/run "$PLTOPO" down "$bad" 2>"$TMP/err" && fail "down '$bad' accepted"
	grep -q "NAME '$bad'" "$TMP/err" || fail "down '$bad': unclear error: $(cat "$TMP/err")"
	PL_TOPO_RUNDIR=$TMP/run "$PLTOPO" info "$bad" 2>/dev/null && fail "info '$bad' accepted"
done
[ -e "$TMP/victim/keep" ] || fail "down ../victim removed a directory outside the run root"
"$PLTOPO" up "../x$RUN_ID" --prefix "$PREFIX" 2>/dev/null && fail "up with '../' in NAME accepted"
ok "names with '/' or '..' refused"

# a role is looked up, not evaluated
"$PLTOPO" up "r$RUN_ID" --prefix "$PREFIX" 2>/dev/null || fail "up r$RUN_ID"
export PWNED=$TMP/pwned
# shellcheck disable=SC2016
"$PLTOPO" exec "r$RUN_ID" 'gen}; : >${PWNED}; #' -- true 2>"$TMP/err" && fail "exec with a shell-code role accepted"
[ ! -e "$PWNED" ] || fail "the role was evaluated as shell code"
grep -q "role" "$TMP/err" || fail "unclear error for a bad role: $(cat "$TMP/err")"
"$PLTOPO" exec "r$RUN_ID" GEN -- true || fail "exec with role GEN"
"$PLTOPO" exec "r$RUN_ID" nosuch -- true 2>/dev/null && fail "exec with an unknown role accepted"
# the persistent bpffs is private to root
[[ "$(stat -c %a "/run/pathlab/topo/r$RUN_ID/bpffs/dut")" == *700 ]] || fail "bpffs mode $(stat -c %a "/run/pathlab/topo/r$RUN_ID/bpffs/dut"), want 700"
"$PLTOPO" down "r$RUN_ID"
ok "roles are names; bpffs mode 0700"
