#!/usr/bin/env bash
# The Debian package builds from the tree and works: a copy of the tracked
# files (the source tree stays clean; dpkg-buildpackage writes next to it),
# `dpkg-buildpackage -us -uc -b`, the package's version is the project's,
# it holds every program, its man page and the BPF objects; then `dpkg -i`,
# `pathlab-xdp --version` and the installed BPF object found from /usr/bin,
# and `dpkg -r` again (in the teardown: nothing stays installed). Refuses
# to touch a pathlab package that was installed before.
# Usage: deb.sh SRC
set -uo pipefail

src=$(realpath "$1")
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
require_root "dpkg -i"
require_tool dpkg-buildpackage dh git

if dpkg-query -W -f='${Status}' pathlab 2>/dev/null | grep -q "install ok installed"; then
	skip "a pathlab package is installed on this machine already: not replacing it (dpkg -r pathlab first)"
fi
version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$src/meson.build")
debver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ "$debver" = "$version" ] && ok "debian/changelog's version is the project's ($version)" ||
	bad "debian/changelog says $debver, meson.build $version: add a changelog entry (dch -v $version)"

tree=$PL_TMP/pathlab-$version
mkdir "$tree"
git -C "$src" ls-files -z | (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$tree" ||
	fail "cannot copy the tracked files of $src"
(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" timeout 1100 dpkg-buildpackage -us -uc -b) \
	>"$PL_TMP/build.log" 2>&1 || { tail -40 "$PL_TMP/build.log"; fail "dpkg-buildpackage -us -uc -b"; }
deb=$(ls "$PL_TMP"/pathlab_"$version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no pathlab_${version}_*.deb next to the tree: $(ls "$PL_TMP")"
ok "dpkg-buildpackage built $(basename "$deb")"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for p in pathlab-xdp pathlab-policy pathlab-afxdp pathlab-dpdk pathlab-replay pathlab-compare pl-topo pl-gen pl-sink; do
	grep -qx "./usr/bin/$p" <<<"$files" || bad "no /usr/bin/$p in the package"
	grep -qE "^\./usr/share/man/man[0-9]/$p\.[0-9]\.gz$" <<<"$files" || bad "no man page of $p in the package"
done
grep -qE '^\./usr/lib/[^/]+/pathlab/pathlab\.bpf\.o$' <<<"$files" || bad "no pathlab.bpf.o in the package"
grep -q '^\./usr/share/pathlab/examples/acl\.policy$' <<<"$files" || bad "no example policies in the package"
grep -q '^\./usr/share/doc/pathlab/copyright$' <<<"$files" || bad "no copyright file in the package"
[ "$fails" -eq 0 ] && ok "the package holds the programs, man pages, BPF objects, examples and copyright"

pl_defer dpkg -r pathlab
dpkg -i "$deb" >"$PL_TMP/dpkg.log" 2>&1 || { cat "$PL_TMP/dpkg.log"; fail "dpkg -i $(basename "$deb")"; }
out=$(/usr/bin/pathlab-xdp --version 2>&1)
[ "$out" = "pathlab-xdp (pathlab) $version" ] && ok "/usr/bin/pathlab-xdp --version: $out" ||
	bad "/usr/bin/pathlab-xdp --version: '$out'"
out=$(/usr/bin/pathlab-xdp run -O lo 2>&1)
[[ "$out" == *"/usr/bin/../lib/"*"/pathlab/pathlab.bpf.o"* ]] && ok "the packaged pathlab-xdp finds the packaged BPF object" ||
	bad "pathlab-xdp run -O lo: $out"
out=$(/usr/bin/pathlab-compare --version 2>&1)
[ "$out" = "pathlab-compare (pathlab) $version" ] && ok "pathlab-compare --version: $out" || bad "pathlab-compare --version: '$out'"
man -w pathlab-xdp >/dev/null 2>&1 && ok "man pathlab-xdp" || bad "man -w pathlab-xdp finds no page"
pl_done "Debian package"
