#!/usr/bin/env bash
# The installed tree works without the source and build trees: `meson
# install` into a DESTDIR, the tree moved elsewhere (so the compiled-in
# prefix is wrong too), the source and build trees hidden (an empty tmpfs
# over each, in a private mount namespace), then from the moved tree:
#   tools    every installed program: --version ("NAME (pathlab) VERSION",
#            the project's), --help, a man page; pathlab-xdp names the moved
#            BPF object; the corpus replayed through the native and BPF
#            builds (the BPF object found next to pathlab-replay) with the
#            installed example policy and the corpus policies
#   compare  pathlab-compare --quick (network namespaces: run under the lock),
#            every row measured, every command it ran from the moved tree
# Usage: installed.sh tools|compare SRC BUILD [CORPUS.pcap POLICY...]
set -uo pipefail

what=$1 src=$(realpath "$2") build=$(realpath "$3")
shift 3
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "a private mount namespace to hide the trees; BPF"
require_tool unshare

prefix=$(/usr/bin/python3 -c '
import json, subprocess, sys
o = json.loads(subprocess.run(["meson", "introspect", sys.argv[1], "--buildoptions"],
                              capture_output=True, text=True, check=True).stdout)
print([x["value"] for x in o if x["name"] == "prefix"][0])' "$build") || fail "meson introspect $build"
DESTDIR=$PL_TMP/dest meson install -C "$build" --no-rebuild --quiet >"$PL_TMP/install.log" 2>&1 ||
	{ cat "$PL_TMP/install.log"; fail "meson install into a DESTDIR"; }
tree=$PL_TMP/moved
mv "$PL_TMP/dest$prefix" "$tree" || fail "no $PL_TMP/dest$prefix after meson install"
ok "installed into a DESTDIR and moved to $tree"
data=$PL_TMP/data
mkdir "$data"
for f in "$@"; do cp "$f" "$data/" || fail "cannot copy $f"; done

# The checks, run with the trees hidden.
cat >"$PL_TMP/inner.sh" <<'INNER'
set -uo pipefail
what=$1 tree=$2 data=$3 src=$4 version=$5 fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
export PATH=$tree/bin:$PATH
unset PATHLAB_BUILD PL_BPF_DIR PL_BUILD
[ ! -e "$src/meson.build" ] || { echo "FAIL: the source tree is still visible"; exit 1; }
cd /
case $what in
tools)
	n=0
	for t in "$tree"/bin/*; do
		name=$(basename "$t")
		out=$("$t" --version 2>&1)
		rc=$?
		[ $rc -eq 0 ] && [ "$out" = "$name (pathlab) $version" ] || bad "$name --version: exit $rc, '$out'"
		"$t" --help >/tmp/plt-help.$$ 2>&1 && [ -s /tmp/plt-help.$$ ] || bad "$name --help: $(head -3 /tmp/plt-help.$$)"
		[ "${PL_CHECK_MAN:-1}" = 0 ] || ls "$tree"/share/man/man?/"$name".? >/dev/null 2>&1 ||
			bad "$name has no man page"
		n=$((n + 1))
	done
	rm -f /tmp/plt-help.$$
	[ "$n" -ge 14 ] && ok "$n installed programs: --version, --help, man page (PL_CHECK_MAN=${PL_CHECK_MAN:-1})" ||
		bad "only $n programs in $tree/bin"
	out=$(pathlab-xdp run -O lo 2>&1)
	[[ "$out" == *"$tree/bin/../lib/"*"/pathlab/pathlab.bpf.o"*"xskmap"* ]] &&
		ok "pathlab-xdp uses the BPF object of the moved tree (and refuses offload)" || bad "pathlab-xdp -O: $out"
	for pol in "$tree"/share/pathlab/examples/acl.policy "$data"/*.policy; do
		out=$(timeout 60 pathlab-replay -q --port '*=1' --policy "$pol" "$data/corpus.pcap" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [[ "$out" == *"native"*"bpf"* ]]; then
			ok "corpus replayed (native, bpf) under $(basename "$pol"): builds agree"
		else
			bad "pathlab-replay under $pol: exit $rc: $(echo "$out" | tail -5)"
		fi
	done
	;;
compare)
	out=$data/quick
	timeout 300 pathlab-compare --quick --prefix plt-in --out "$out" >"$data/compare.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ok "pathlab-compare --quick: exit 0" || bad "pathlab-compare --quick: exit $rc: $(tail -15 "$data/compare.out")"
	[ -s "$out/results.md" ] && [ -s "$out/results.json" ] && ok "results.md and results.json written" ||
		{ echo "FAIL: no results in $out"; exit 1; }
	rows=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join("%s:%s" % (x["path"], x.get("status", "?")) for x in r["rows"]))' "$out/results.json" 2>&1)
	echo "rows: $rows"
	for p in linux xdp-native ref-xdp; do
		[[ " $rows " == *" $p:ok "* ]] && ok "row $p measured" || bad "row $p not measured: $rows"
	done
	progs=$(grep -oE '/[^ ]*/(pathlab-[a-z]+|pl-[a-z]+|[a-z_]+\.bpf\.o)' "$out/commands.txt" | sort -u)
	echo "$progs" | sed 's/^/  ran: /'
	[ -n "$progs" ] || bad "no pathlab program in commands.txt"
	while read -r p; do
		[ -z "$p" ] || [[ "$p" == "$tree/"* ]] || bad "ran $p, not from the installed tree"
	done <<<"$progs"
	;;
esac
exit $((fails > 0))
INNER

version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$src/meson.build")
hide="mount -t tmpfs -o size=1m,mode=0755 plt-hide '$src'"
case "$build/" in "$src/"*) ;; *) hide="$hide && mount -t tmpfs -o size=1m,mode=0755 plt-hide '$build'" ;; esac
unshare --mount --propagation private bash -c "$hide && exec bash '$PL_TMP/inner.sh' \"\$@\"" inner \
	"$what" "$tree" "$data" "$src" "$version"
rc=$?
[ $rc -eq 0 ] || fails=$((fails + 1))
pl_done "installed tree ($what)"
