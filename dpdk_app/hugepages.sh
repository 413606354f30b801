#!/bin/bash
# SPDX-License-Identifier: MIT
# hugepages.sh: reserve, mount, show and release the 2 MiB hugepages DPDK uses.
#   hugepages.sh reserve [N] [MOUNT]   reserve N pages (default 512 = 1 GiB) and mount
#                                      hugetlbfs at MOUNT (default /dev/hugepages)
#   hugepages.sh status                pages reserved/free and hugetlbfs mounts
#   hugepages.sh release [MOUNT]       unmount (if we mounted it) and give the pages back
# Exit status: 0 done, 1 failed (the message says what), 2 usage.
set -u
MNT_DEFAULT=/dev/hugepages
NR=/proc/sys/vm/nr_hugepages

usage() { sed -n '2,8s/^# \{0,1\}//p' "$0"; }
die() { echo "hugepages.sh: $*" >&2; exit 1; }
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

status() {
	echo "HugePages_Total=$(meminfo HugePages_Total) HugePages_Free=$(meminfo HugePages_Free) Hugepagesize=$(meminfo Hugepagesize)kB"
	local m
	m=$(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts)
	if [ -n "$m" ]; then echo "hugetlbfs mounted at: $m"; else echo "hugetlbfs: not mounted"; fi
}

reserve() {
	local n=${1:-512} mnt=${2:-$MNT_DEFAULT} got
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "hugepages.sh: reserve: N must be a page count" >&2; exit 2; }
	[ -w $NR ] || die "cannot write $NR (run as root)"
	echo "$n" > $NR || die "writing $NR failed"
	got=$(cat $NR)
	[ "$got" -ge "$n" ] || die "asked for $n pages, the kernel gave $got (memory fragmented or too small: try fewer)"
	if ! awk -v m="$mnt" '$2 == m && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; then
		mkdir -p "$mnt" || die "cannot create $mnt"
		mount -t hugetlbfs nodev "$mnt" || die "mount -t hugetlbfs nodev $mnt failed"
	fi
	status
}

release() {
	local mnt=${1:-$MNT_DEFAULT}
	[ -w $NR ] || die "cannot write $NR (run as root)"
	if awk -v m="$mnt" '$2 == m && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; then
		umount "$mnt" || die "umount $mnt failed (a DPDK process still running? rm its files in $mnt)"
	fi
	echo 0 > $NR || die "writing $NR failed"
	status
}

case "${1:-}" in
reserve) shift; reserve "$@" ;;
status) status ;;
release) shift; release "$@" ;;
-h|--help) usage ;;
*) usage >&2; exit 2 ;;
esac
