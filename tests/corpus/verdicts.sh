#!/usr/bin/env bash
# The expected verdict of every corpus frame under every corpus policy, as
# the native build decides it, is the table verdicts.txt beside this
# script: a change of behaviour shows as a diff of that table.
#
#   verdicts.sh REPLAY CORPUS.pcap CORPUS.index TABLE POLICY...
#       replay the corpus through the native build (pathlab-replay --builds
#       native --results-out) under each policy, build the table and compare
#       it with TABLE; a difference fails and is printed as a diff.
#   verdicts.sh --update REPLAY CORPUS.pcap CORPUS.index TABLE POLICY...
#       write the table to TABLE instead (then review `git diff TABLE`).
#
# A cell is the verdict (drop, pass, tx, redirect, user, aborted), with
# "/PORT" when the out_port is not 0. Port names of the policies map to lo
# (ifindex 1), the receiving interface, as in the parity test.
set -euo pipefail
update=0
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
if [ $# -lt 5 ]; then
	echo "usage: $0 [--update] REPLAY CORPUS.pcap CORPUS.index TABLE POLICY..." >&2
	exit 2
fi
replay=$(realpath "$1") pcap=$(realpath "$2") index=$(realpath "$3") table=$4
shift 4
tmp=$(mktemp -d /tmp/plt-u-verdicts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

names=() widths=()
for pol in "$@"; do
	name=$(basename "$pol" .policy)
	names+=("$name")
	w=${#name}
	[ "$w" -ge 10 ] || w=10
	widths+=("$w")
	if ! timeout 60 "$replay" -q --builds native --port '*=1' --policy "$pol" \
		--results-out "$tmp/$name.plres" "$pcap" >"$tmp/$name.log" 2>&1; then
		echo "FAIL: pathlab-replay under $pol:"
		cat "$tmp/$name.log"
		exit 1
	fi
done

# One row per frame of the index: index, class, one cell per policy, then
# the description (the only field with spaces, last).
{
	echo "# Expected verdict of every corpus frame (tests/corpus, pl-mkcorpus) per policy,"
	echo "# as the native build decides it; checked by the corpus-verdicts test."
	echo "# Regenerate with tests/corpus/verdicts.sh --update (the failing test prints the"
	echo "# exact command), then review the diff."
	echo "# A cell is the verdict, with /PORT when the out_port is not 0."
	printf '%-5s %-10s' index class
	for i in "${!names[@]}"; do printf ' %-*s' "${widths[$i]}" "${names[$i]}"; done
	printf ' description\n'
	awk -F'\t' -v n=${#names[@]} -v wl="${widths[*]}" -v dir="$tmp" -v list="${names[*]}" '
		BEGIN {
			split(list, pol, " ")
			split(wl, w, " ")
			for (i = 1; i <= n; i++) {
				f = dir "/" pol[i] ".plres"
				while ((getline line < f) > 0) {
					if (line ~ /^#/)
						continue
					split(line, c, "\t")
					cell[i, c[1]] = c[2] (c[3] != 0 ? "/" c[3] : "")
				}
			}
		}
		/^#/ { next }
		{
			printf "%-5s %-10s", $1, $2
			for (i = 1; i <= n; i++)
				printf " %-*s", w[i], ((i, $1) in cell) ? cell[i, $1] : "-"
			printf " %s\n", $4
		}' "$index"
} >"$tmp/table"

if [ $update = 1 ]; then
	cp "$tmp/table" "$table"
	echo "wrote $table ($(grep -vc '^#' "$table") lines)"
	exit 0
fi
if ! diff -u "$table" "$tmp/table" >"$tmp/diff"; then
	echo "FAIL: the native build's verdicts differ from $table (- expected, + now):"
	grep '^[-+][^-+]' "$tmp/diff" | head -200
	echo "If the change is intended, regenerate the table and commit it with the change:"
	printf ' %q' "$0" --update "$replay" "$pcap" "$index" "$table" "$@"
	echo
	exit 1
fi
echo "ok: $(grep -vc '^#\|^index' "$table") frames x ${#names[@]} policies agree with $table"
