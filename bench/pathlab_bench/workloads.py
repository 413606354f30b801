# SPDX-License-Identifier: MIT
"""One declaration per workload: topology, traffic, policy, expected outcome.

"handled" is what counts as the workload done for a frame: for drop the
DUT's drop verdict (its own verdict counter, never a ring or veth drop), for fwd arrival at the sink, for acl both (TCP dropped,
UDP at the sink). The expected split is checked on every trial, at full load
too (measure.account).
"""


class Workload:
    def __init__(self, name, title, gen_args, sink, tcp_share, describe):
        self.name = name
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
        if self.name == "acl":
            return "acl drop proto tcp\nacl default pass\n" + fwd + "\n"
        raise KeyError(self.name)

    def handled(self, a):
        """Frames that got the workload's outcome, from a trial's accounting a."""
        if self.name == "drop":
            return a["policy_drop"]
        if self.name == "fwd":
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
        if self.name == "drop" and a["delivered"] > 8:
            bad.append("%d frames reached the sink" % a["delivered"])
        if self.name == "fwd" and a["policy_drop"] > tol:
            bad.append("the DUT dropped %d frames" % a["policy_drop"])
        if self.name == "acl" and a.get("verdicts"):
            seen = a["delivered"] + a["policy_drop"]
            if seen > 1000:
                share = a["policy_drop"] / float(seen)
                if abs(share - self.tcp_share) > 0.03:
                    bad.append("dropped share %.3f, want %.2f (the TCP frames)" % (share, self.tcp_share))
        return not bad, "; ".join(bad)


WORKLOADS = {
    "drop": Workload("drop", "drop", [], False, 1.0,
                     "parse and drop every frame on the input port"),
    "fwd": Workload("fwd", "L2 forward", [], True, 0.0,
                    "static L2 forward: rewrite both MACs, out the other port"),
    "acl": Workload("acl", "ACL + forward", ["-p", "udp:3,tcp:1"], True, 0.25,
                    "drop TCP, L2-forward the rest (3 UDP : 1 TCP)"),
}
ORDER = ["drop", "fwd", "acl"]
DEFAULT = ["drop", "fwd"]
