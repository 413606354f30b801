# SPDX-License-Identifier: MIT
"""One declaration per workload: topology, traffic, policy, expected outcome.

"handled" is what counts as the workload done for a frame: for drop the
DUT's drop verdict (its own verdict counter, never a ring or veth drop), for fwd, full and route arrival at the sink, for acl both (TCP dropped,
UDP at the sink). The expected split is checked on every trial, at full load
too (measure.account); route also checks what the router changed, where the
frames land (the sink's TTL and header-checksum counts).

full is fwd with every stage of examples/full.policy on in front of the
forward rule (FULL_STAGES): the same traffic and the same expected outcome,
so its action is fwd's, and a row that does not run pathlab's policy (bare
XDP, pl-xskfwd, dpdk-testpmd, OVS with one static flow) runs it exactly as
fwd: its `vs ref` is pathlab with everything on against the bare action.

The responder workload is requests, not frames (kind "requests"):
bench/pathlab_bench/requests.py measures it with an HTTP client.
"""
import ipaddress

RESPONDER_PORT = 8080
RESPONDER_BODY = "Hello from pathlab"
GEN_TTL = 64  # what pl-gen writes

# The full workload's stages: every statement of examples/full.policy but its
# forward rules (the fwd workload's redirect takes their place). None of them
# may decide a frame of the generator: pl-gen sends UDP (bench/pl-gen.c:
# source GEN_IP4 = 10.0.1.1, source ports 1024-1279 over its 256 flows,
# destination port 7; its latency probes go to UDP port 9999), so
#   - the TCP, ICMP, ICMPv6 and IPv6 rules do not match its IPv4 UDP;
#   - "acl user proto udp sport 1024-65535 dport 5000-5009" matches the
#     source ports but not destination port 7 (nor the probes' 9999);
#   - "acl drop ipv4 from 203.0.113.0/24" does not match 10.0.1.1;
#   - the steer ports (udp 4242, tcp 8080, udp 9000-9003) are not 7 or 9999.
# Every frame thus goes through count (per source), the whole ACL (its
# default), steering (a miss) and the forward rule, as fwd's frames do.
# The rules are examples/full.policy's own: none needed a change.
FULL_STAGES = """mode policy
malformed drop
default pass
count sources on
acl drop proto tcp dport 22
acl pass proto tcp from 192.0.2.0/24 dport 80
acl pass ipv6 proto tcp from 2001:db8::/32 dport 443
acl user proto udp sport 1024-65535 dport 5000-5009
acl drop proto icmp to 198.51.100.7
acl pass proto icmpv6
acl drop ipv4 from 203.0.113.0/24 to any
acl default pass
steer udp 4242 user
steer tcp 8080 pass
steer udp 9000-9003 drop
"""


class Workload:
    def __init__(self, name, title, gen_args, sink, tcp_share, describe, kind="frames", action=None):
        self.name = name
        # the work a row without pathlab's policy does for it (full: fwd's),
        # and the outcome every row must show
        self.action = action or name
        self.kind = kind              # "frames" (pl-gen, rates) or "requests" (HTTP client)
        self.title = title
        self.gen_args = gen_args      # extra pl-gen options
        self.sink = sink              # True: frames must arrive at the sink
        self.tcp_share = tcp_share    # share of frames the policy drops (acl)
        self.describe = describe      # the work, the same on every row

    def policy(self, t):
        """The pathlab policy text for topology info t."""
        fwd = ("forward redirect from %s to %s dst-mac %s src-mac %s"
               % (t["DUT_IN_IF"], t["DUT_OUT_IF"], t["SINK_MAC"], t["DUT_OUT_MAC"]))
        if self.name == "drop":
            return "default drop\n"
        if self.name == "fwd":
            return fwd + "\n"
        if self.name == "full":
            return FULL_STAGES + fwd + "\n"
        if self.name == "acl":
            return "acl drop proto tcp\nacl default pass\n" + fwd + "\n"
        if self.name == "route":
            net = ipaddress.ip_network("%s/%s" % (t["SINK_IP4"], t.get("SINK_PLEN4") or "24"), strict=False)
            return ("route %s dev %s mac %s src-mac %s via %s\n"
                    % (net, t["DUT_OUT_IF"], t["SINK_MAC"], t["DUT_OUT_MAC"], t["SINK_IP4"]))
        if self.name == "responder":
            return ("responder listen %s %d\nroute / 200 text/plain %s\n"
                    % (t["DUT_IN_IP4"], RESPONDER_PORT, RESPONDER_BODY))
        raise KeyError(self.name)

    def handled(self, a):
        """Frames that got the workload's outcome, from a trial's accounting a."""
        if self.name == "drop":
            return a["policy_drop"]
        if self.action in ("fwd", "route"):
            return a["delivered"]
        return a["delivered"] + a["policy_drop"]

    def check(self, a):
        """Correctness of one trial's accounting: (ok, detail)."""
        sent = a["sent"]
        if sent <= 0:
            return False, "nothing sent"
        bad = []
        tol = max(64, int(sent * 0.002))
        if abs(a["unaccounted"]) > tol:
            bad.append("%d of %d frames unaccounted for" % (a["unaccounted"], sent))
        if not a.get("verdicts"):
            bad.append("no verdict counters from the DUT")
        if a.get("delivered_from", "pl-sink") != "pl-sink":
            bad.append("no delivered count from pl-sink (its --counts file)")
        if self.name == "drop" and a["delivered"] > 8:
            bad.append("%d frames reached the sink" % a["delivered"])
        if self.action in ("fwd", "route") and a["policy_drop"] > tol:
            bad.append("the DUT dropped %d frames" % a["policy_drop"])
        if self.name == "route":
            bad += check_routed(a, tol)
        if self.name == "acl" and a.get("verdicts"):
            seen = a["delivered"] + a["policy_drop"]
            if seen > 1000:
                share = a["policy_drop"] / float(seen)
                if abs(share - self.tcp_share) > 0.03:
                    bad.append("dropped share %.3f, want %.2f (the TCP frames)" % (share, self.tcp_share))
        return not bad, "; ".join(bad)


def check_routed(a, tol):
    """What a router must have done to every frame at the sink: TTL one
    less than the generator's, a right header checksum."""
    ttl = a.get("ttl")
    if ttl is None:
        return ["no TTL counts from the sink"]
    bad = []
    routed = ttl.get(GEN_TTL - 1, 0)
    if ttl.get("bad_csum"):
        bad.append("%d frames with a wrong IPv4 header checksum at the sink" % ttl["bad_csum"])
    other = sum(v for k, v in ttl.items() if k not in (GEN_TTL - 1, "bad_csum"))
    if other > tol:
        bad.append("%d frames at the sink without TTL %d (TTL 64 = not decremented): %s"
                   % (other, GEN_TTL - 1, {k: v for k, v in ttl.items() if v}))
    if abs(a["delivered"] - routed - ttl.get("bad_csum", 0)) > tol:
        bad.append("%d frames delivered, %d seen with TTL %d" % (a["delivered"], routed, GEN_TTL - 1))
    return bad


WORKLOADS = {
    "drop": Workload("drop", "drop", [], False, 1.0,
                     "parse and drop every frame on the input port"),
    "fwd": Workload("fwd", "L2 forward", [], True, 0.0,
                    "static L2 forward: rewrite both MACs, out the other port"),
    "full": Workload("full", "L2 forward, every stage on", [], True, 0.0,
                     "L2 forward with every stage on: examples/full.policy's per-source counting, 7 ACL rules "
                     "and 3 steer rules (none matches the traffic), then fwd's forward rule; rows without "
                     "pathlab's policy do fwd", action="fwd"),
    "acl": Workload("acl", "ACL + forward", ["-p", "udp:3,tcp:1"], True, 0.25,
                    "drop TCP, L2-forward the rest (3 UDP : 1 TCP)"),
    "route": Workload("route", "IPv4 route", [], True, 0.0,
                      "IPv4 routing: longest-prefix match, next hop's MACs, TTL - 1 with the checksum updated"),
    "responder": Workload("responder", "TCP/HTTP responder", [], False, 0.0,
                          "answer HTTP GET / on port %d, one request per TCP connection (Connection: close)"
                          % RESPONDER_PORT, kind="requests"),
}
ORDER = ["drop", "fwd", "full", "acl", "route", "responder"]
DEFAULT = ["drop", "fwd"]
