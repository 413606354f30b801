#!/usr/bin/env bash
# shellcheck shell=bash
# Leftovers of killed test runs. A test run's teardown (lib.sh) does not run
# when the run is killed with SIGKILL, for instance when meson's timeout sends
# SIGKILL half a second after SIGTERM, while the teardown still stops OVS or
# takes a topology down. Each run therefore records in its PL_TMP who owns it
# (.owner: PID and start time), what it tracks (.pids), the topologies it
# built (.topos) and what else it owns (.owned: namespaces, links, pins);
# pl_reap_stale finds the PL_TMPs whose owner is gone, stops the processes
# they recorded and the daemons whose pidfile lies inside them (only if that
# process's command line names the directory), removes what they owned,
# takes their topologies down and removes them. lib.sh calls it when a test starts;
# `./lab test` runs this file after the suite. Directories of running tests
# (their owner alive) are never touched.

# _pl_start PID: the process's start time (clock ticks after boot), empty when
# there is no such process. A PID and its start time name one process.
_pl_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	# shellcheck disable=SC2086 # split the fields on purpose
	set -- $s
	echo "${20}"
}

# _pl_unown KIND NAME: remove what pl_own recorded (lib.sh), only when its
# name starts plt-.
_pl_unown() {
	[[ "${2##*/}" == plt-* ]] || return 0
	case $1 in
	netns) ip netns del "$2" 2>/dev/null ;;
	link) ip link del "$2" 2>/dev/null ;;
	path) rm -rf "$2" ;;
	esac
	return 0
}

# _pl_stop PID...: SIGTERM, up to 2 s, then SIGKILL.
_pl_stop() {
	local p alive
	kill "$@" 2>/dev/null
	for _ in $(seq 20); do
		alive=0
		for p; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 1 ] || return 0
		sleep 0.1
	done
	kill -9 "$@" 2>/dev/null
}

pl_reap_stale() {
	local d pid st f pids name topo kind
	topo=${PL_TOPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/topologies/pl-topo}
	for d in /tmp/plt-test.*; do
		if [ ! -d "$d" ] || [ ! -r "$d/.owner" ] || [ "$d" = "${PL_TMP:-}" ]; then continue; fi
		read -r pid st <"$d/.owner"
		[ -n "$pid" ] && [ "$(_pl_start "$pid")" = "$st" ] && continue
		pids=()
		if [ -r "$d/.pids" ]; then
			while read -r pid st; do
				[ -n "$pid" ] && [ "$(_pl_start "$pid")" = "$st" ] && pids+=("$pid")
			done <"$d/.pids"
		fi
		while IFS= read -r f; do
			pid=$(cat "$f" 2>/dev/null)
			[[ "$pid" =~ ^[0-9]+$ ]] || continue
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$d/" && pids+=("$pid")
		done < <(find "$d" -name '*.pid' -type f 2>/dev/null)
		[ ${#pids[@]} -eq 0 ] || _pl_stop "${pids[@]}"
		if [ -r "$d/.topos" ]; then
			while read -r name; do
				[ -n "$name" ] && "$topo" down "$name" >/dev/null 2>&1
			done <"$d/.topos"
		fi
		if [ -r "$d/.owned" ]; then
			while read -r kind name; do _pl_unown "$kind" "$name"; done <"$d/.owned"
		fi
		rm -rf "$d"
		echo "reaped the leftovers of a killed test run: $d (${#pids[@]} process(es))" >&2
	done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	pl_reap_stale
fi
