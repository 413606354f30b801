# shellcheck shell=bash disable=SC2034 # the variables are the sourcing test's
# Prologue shared by the OVS system tests that run a private OVS over a veth
# wire: SRCDIR and BUILDDIR from the command line, the test library, root and
# OVS required, the tools built, a run directory and the bridge's name.
# Set PL_TAG (and the test's own variables) first, then:
#   . "$(dirname "$0")/lib.sh" "$@"
SRC=$1
BUILD=$2
PLOVS=$SRC/ovs/pl-ovs
UDP=$SRC/tests/ovs/udp.py
# shellcheck source=SCRIPTDIR/../lib/lib.sh
. "$SRC/tests/lib/lib.sh"
require_root "network namespaces, AF_XDP"
require_tool ovs-vswitchd
for t in "$BUILD/xdp/pathlab-xdp" "$BUILD/ovs/pathlab-ofgen"; do
	[ -x "$t" ] || fail "$t not built"
done
RUN=$PL_TMP/run
mkdir "$RUN"
BR=${PL_PREFIX}br
