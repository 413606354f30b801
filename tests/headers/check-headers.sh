#!/usr/bin/env bash
# Compile each core header alone, as BPF (clang -target bpf) and as user space
# (cc), so no header depends on being included after another.
set -u
src=$1
cc=${CC:-cc}
multiarch=/usr/include/$($cc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
fail=0 pass=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$src/core" || exit 1
for h in pl_*.h stages/*.h; do
	printf '#include "%s"\n' "$h" > "$tmp/t.c"
	if clang -target bpf -O2 -fsyntax-only -Wall -Werror -Wno-unused-function \
		-I"$multiarch" -I. -Iplatform/bpf "$tmp/t.c" 2>"$tmp/err"; then
		pass=$((pass + 1))
	else
		echo "FAIL bpf: $h"; cat "$tmp/err"; fail=$((fail + 1))
	fi
	if $cc -std=gnu11 -O2 -fsyntax-only -Wall -Werror -Wno-unused-function \
		-I. -Iplatform/user -Iuser "$tmp/t.c" 2>"$tmp/err"; then
		pass=$((pass + 1))
	else
		echo "FAIL user: $h"; cat "$tmp/err"; fail=$((fail + 1))
	fi
done
# The wrong platform must refuse to compile.
printf '#include "pl_platform.h"\n' > "$tmp/t.c"
if $cc -fsyntax-only -I. -Iplatform/bpf "$tmp/t.c" 2>/dev/null; then
	echo "FAIL: platform/bpf compiled in user space"; fail=$((fail + 1))
else pass=$((pass + 1)); fi
if clang -target bpf -fsyntax-only -I"$multiarch" -I. -Iplatform/user "$tmp/t.c" 2>/dev/null; then
	echo "FAIL: platform/user compiled for BPF"; fail=$((fail + 1))
else pass=$((pass + 1)); fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
