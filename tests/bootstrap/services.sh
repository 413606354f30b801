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

# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$(dirname "$0")/../lib/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v systemctl >/dev/null; then
	skip "needs root and systemctl"
fi
check=$(bash "$SRC/scripts/bootstrap.sh" --check 2>&1)
grep -q "all packages present" <<<"$check" || skip "packages missing (this test does not install them)"
declare -A was
for u in "${UNITS[@]}"; do was[$u]=$(systemctl is-enabled "$u.service" 2>/dev/null); done
# shellcheck disable=SC2317
restore() {
	for u in "${UNITS[@]}"; do
		if [ "${was[$u]}" = enabled ]; then systemctl enable --quiet "$u.service" 2>/dev/null; fi
	done
}
pl_defer restore

for u in "${UNITS[@]}"; do systemctl enable --quiet "$u.service" || fail "cannot enable $u"; done
out=$(bash "$SRC/scripts/bootstrap.sh" 2>&1) || bad "bootstrap failed: $out"
for u in "${UNITS[@]}"; do
	st=$(systemctl is-enabled "$u.service" 2>/dev/null)
	if [ "$st" = enabled ]; then bad "$u.service still enabled at boot after bootstrap"; else ok "$u.service $st"; fi
done
bash "$SRC/scripts/bootstrap.sh" --check >/dev/null || bad "--check after bootstrap: $(bash "$SRC/scripts/bootstrap.sh" --check)"
out=$(bash "$SRC/scripts/bootstrap.sh" 2>&1) || bad "second bootstrap failed: $out"
grep -q disabled <<<"$out" && bad "second bootstrap did something again: $out"
[ "$fails" -eq 0 ] && ok "bootstrap leaves the services disabled, idempotently"
pl_done
