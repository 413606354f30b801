#!/usr/bin/env bash
# Install every Debian package pathlab needs. Idempotent: packages already
# present are skipped, and apt-get runs only when something is missing.
# Usage: scripts/bootstrap.sh [--check]   (--check lists what is missing, installs nothing)
set -euo pipefail

PKGS=(
	# build
	clang llvm lld gcc meson ninja-build pkg-config make
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev libpcap-dev linux-libc-dev
	bpftool xdp-tools libclang-rt-14-dev valgrind
	# lint (the shellcheck test)
	shellcheck
	# man pages, and the Debian package (dpkg-buildpackage, tests/install)
	scdoc debhelper devscripts dpkg-dev
	# DPDK
	dpdk dpdk-dev libnuma-dev
	# Open vSwitch
	openvswitch-switch openvswitch-common openvswitch-switch-dpdk
	# lab, tests and benchmarks
	iproute2 ethtool iputils-ping nftables tcpdump curl wrk nginx-light
	gnuplot-nox jq procps util-linux kmod python3-matplotlib
	# metrics tests: a Prometheus text-format parser, promtool and a
	# real Prometheus server (not started as a service: policy-rc.d below)
	python3-prometheus-client prometheus
	# the two-host test: an sshd in a namespace plays the generator host
	# (its own config, keys and port; the ssh service itself is left as the
	# package sets it: on a real server it is the way in)
	openssh-server
)

# Services some of these packages enable for the next boot on a systemd host.
# The lab starts its own nginx, Prometheus and OVS in private run directories
# when it needs them, so these stay disabled and are never started here.
SERVICES=(nginx prometheus openvswitch-switch)

# The units of SERVICES that are enabled for boot (systemctl works without a
# running systemd: it reads the unit links).
enabled_services() {
	local u
	command -v systemctl >/dev/null || return 0
	for u in "${SERVICES[@]}"; do
		[ "$(systemctl is-enabled "$u.service" 2>/dev/null)" = enabled ] && echo "$u"
	done
	return 0
}

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${1:-}" = "--check" ]; then
	rc=0
	if [ ${#missing[@]} -eq 0 ]; then echo "bootstrap: all packages present"; else
		echo "bootstrap: missing: ${missing[*]}"; rc=1
	fi
	on=$(enabled_services | tr '\n' ' ')
	[ -z "$on" ] || { echo "bootstrap: enabled at boot (would be disabled): $on"; rc=1; }
	exit $rc
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "bootstrap: all ${#PKGS[@]} packages already installed"
else
	if [ "$(id -u)" -ne 0 ]; then
		echo "bootstrap: need root to install: ${missing[*]} (run with sudo)" >&2
		exit 1
	fi
	echo "bootstrap: installing ${#missing[@]} packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# Do not let package post-install scripts start services (nginx, OVS,
	# Prometheus): the lab starts its own instances in private run directories.
	# (A policy-rc.d that is already there, as in Debian container images,
	# is left as it is.)
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Leave the services disabled for the next boot (their packages enable them).
for u in $(enabled_services); do
	if [ "$(id -u)" -ne 0 ]; then
		echo "bootstrap: warning: $u.service is enabled at boot; as root: systemctl disable $u" >&2
		continue
	fi
	systemctl disable --quiet "$u.service" 2>/dev/null ||
		echo "bootstrap: warning: could not disable $u.service (systemctl disable $u)" >&2
	echo "bootstrap: disabled $u.service at boot (the lab runs its own instance when needed; systemctl enable $u to undo)"
done

# bpffs for pinned maps and libxdp's dispatcher (mode 0700: only root pins and unpins).
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf -o mode=0700 bpf /sys/fs/bpf 2>/dev/null || echo "bootstrap: warning: could not mount bpffs at /sys/fs/bpf" >&2
elif [ $((8#$(stat -c %a /sys/fs/bpf) & 8#022)) -ne 0 ]; then
	echo "bootstrap: warning: /sys/fs/bpf is writable by other users (mode $(stat -c %a /sys/fs/bpf)): they could unpin pathlab's links; chmod 0700 /sys/fs/bpf" >&2
fi
echo "bootstrap: done"
