#!/usr/bin/env bash
# scripts/bootstrap.sh leaves nginx, Prometheus and Open vSwitch disabled for
# the next boot: with the units enabled (as their packages' scripts do on a
# systemd host), a bootstrap run disables them; a second run is idempotent
# (exit 0, nothing more to do). Packages are not installed here: skipped when
# some are missing. The units' states from before are restored at exit.
# Usage: services.sh SOURCE_ROOT
set -uo pipefail

SRC=$1
UNITS=(nginx prometheus openvswitch-switch)

if [ "$(id -u)" -ne 0 ] || ! command -v systemctl >/dev/null; then
	echo "SKIP: needs root and systemctl"
	exit 77
fi
check=$(bash "$SRC/scripts/bootstrap.sh" --check 2>&1)
if ! grep -q "all packages present" <<<"$check"; then
	echo "SKIP: packages missing (this test does not install them)"
	exit 77
fi
declare -A was
for u in "${UNITS[@]}"; do was[$u]=$(systemctl is-enabled "$u.service" 2>/dev/null); done
# shellcheck disable=SC2317
restore() {
	for u in "${UNITS[@]}"; do
		if [ "${was[$u]}" = enabled ]; then systemctl enable --quiet "$u.service" 2>/dev/null; fi
	done
}
trap restore EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

for u in "${UNITS[@]}"; do systemctl enable --quiet "$u.service" || { echo "FAIL: cannot enable $u"; exit 1; }; done
out=$(bash "$SRC/scripts/bootstrap.sh" 2>&1) || fail "bootstrap failed: $out"
for u in "${UNITS[@]}"; do
	st=$(systemctl is-enabled "$u.service" 2>/dev/null)
	if [ "$st" = enabled ]; then fail "$u.service still enabled at boot after bootstrap"; else echo "ok: $u.service $st"; fi
done
bash "$SRC/scripts/bootstrap.sh" --check >/dev/null || fail "--check after bootstrap: $(bash "$SRC/scripts/bootstrap.sh" --check)"
out=$(bash "$SRC/scripts/bootstrap.sh" 2>&1) || fail "second bootstrap failed: $out"
grep -q disabled <<<"$out" && fail "second bootstrap did something again: $out"
[ $fails -eq 0 ] || exit 1
echo "ok: bootstrap leaves the services disabled, idempotently"
