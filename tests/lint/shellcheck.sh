#!/usr/bin/env bash
# Run shellcheck at severity warning over every shell script of the project:
# tracked *.sh files and files without an extension whose first line is a
# sh/bash shebang. Sourced files are followed (-x) from the directory of
# the script that sources them ("# shellcheck source=SCRIPTDIR/lib.sh").
# Exits 77 when shellcheck is not installed (scripts/bootstrap.sh installs it).
# Usage: shellcheck.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: shellcheck.sh SOURCE_DIR}
cd "$src"
if ! command -v shellcheck >/dev/null; then
	echo "SKIP: shellcheck not installed (apt-get install shellcheck, or scripts/bootstrap.sh)"
	exit 77
fi

# shellcheck disable=SC2054 # FILE:SCxxxx,SCyyyy entries are one word each
# Exclusions, each with the reason. FILE skips the file; FILE:SCxxxx[,SCyyyy]
# skips those checks in it only.
EXCLUDE=(
)

# The shell scripts: tracked files when this is a git checkout, else every file.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t all < <(git ls-files)
else
	mapfile -t all < <(find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||' | sort)
fi
files=()
for f in "${all[@]}"; do
	[ -f "$f" ] || continue
	case $f in
	*.sh) ;;
	*/*.* | *.*) continue ;;
	*) head -n1 "$f" | grep -Eq '^#!.*[/ ](ba|da)?sh( |$)' || continue ;;
	esac
	files+=("$f")
done

fails=0 checked=0
for f in "${files[@]}"; do
	skip=0 codes=()
	for e in "${EXCLUDE[@]}"; do
		case $e in
		"$f") skip=1 ;;
		"$f":*) codes=(-e "${e#*:}") ;;
		esac
	done
	if [ $skip = 1 ]; then
		echo "excluded: $f"
		continue
	fi
	checked=$((checked + 1))
	if ! shellcheck -x -S warning "${codes[@]}" "$f"; then
		fails=$((fails + 1))
	fi
done
if [ $fails -gt 0 ]; then
	echo "FAIL: shellcheck -S warning found problems in $fails of $checked scripts"
	exit 1
fi
echo "ok: shellcheck -S warning: $checked scripts clean"
