/* SPDX-License-Identifier: MIT */
/* Types shared by the data path (BPF and user space) and the control plane.
 * This header is the single source of truth for structs and enums both sides
 * use: nothing is re-declared elsewhere. It includes no platform header, so
 * control-plane code can include it on its own. */
#ifndef PL_TYPES_H
#define PL_TYPES_H

#include <linux/types.h>

/* ---- Verdicts ----------------------------------------------------------
 * What the core decides for a frame. Each datapath maps it to its own
 * mechanism (docs/architecture.md has the table). */
#define PL_VERDICTS(X)                                                          \
	X(DROP, "drop")                                                         \
	X(PASS, "pass")                                                         \
	X(TX, "tx")                                                             \
	X(REDIRECT, "redirect")                                                 \
	X(USER, "user")                                                         \
	X(ABORTED, "aborted")

enum pl_verdict {
#define PL_X(n, s) PL_##n,
	PL_VERDICTS(PL_X)
#undef PL_X
	PL_VERDICT__MAX,
	/* Returned by a stage that has no opinion: go on to the next stage. */
	PL_CONTINUE = 0xff,
};

/* ---- Mode switch (flipped at run time, no reload) ----------------------
 * pass-all is value 0 on purpose: a configuration nobody wrote (a BPF object
 * attached by `ip link`, xdp-loader or a PMD's xdp_prog= without a loader
 * that writes PL_CONFIG_DEFAULT) is all zeros and passes every frame. */
#define PL_MODES(X)                                                             \
	X(PASS_ALL, "pass-all")                                                 \
	X(POLICY, "policy")                                                     \
	X(DROP_ALL, "drop-all")                                                 \
	X(COUNT_ONLY, "count-only")

enum pl_mode {
#define PL_X(n, s) PL_MODE_##n,
	PL_MODES(PL_X)
#undef PL_X
	PL_MODE__MAX,
};

/* ---- Addresses ----------------------------------------------------------
 * One 16-byte form for IPv4 and IPv6: IPv4 is stored v4-mapped
 * (::ffff:a.b.c.d), network byte order throughout. */
struct pl_addr {
	union {
		__u8 b[16];
		__u32 w[4];
	};
};

/* ---- Counters ------------------------------------------------------------
 * One X-macro list: the enum, the names the control plane prints and the
 * metrics it serves all come from here. Per CPU / per worker on every
 * target; readers sum. */
#define PL_COUNTERS(X)                                                          \
	X(RX_PACKETS, "rx_packets", "frames the core saw")                     \
	X(RX_BYTES, "rx_bytes", "bytes the core saw")                          \
	X(V_DROP, "verdict_drop", "frames given DROP")                         \
	X(V_PASS, "verdict_pass", "frames given PASS")                         \
	X(V_TX, "verdict_tx", "frames given TX")                               \
	X(V_REDIRECT, "verdict_redirect", "frames given REDIRECT")             \
	X(V_USER, "verdict_user", "frames given USER")                         \
	X(V_ABORTED, "verdict_aborted", "frames given ABORTED")                \
	X(P_ARP, "proto_arp", "ARP frames")                                    \
	X(P_IPV4, "proto_ipv4", "IPv4 packets")                                \
	X(P_IPV6, "proto_ipv6", "IPv6 packets")                                \
	X(P_OTHER_L3, "proto_other_l3", "other ethertypes")                    \
	X(P_TCP, "proto_tcp", "TCP segments")                                  \
	X(P_UDP, "proto_udp", "UDP datagrams")                                 \
	X(P_ICMP, "proto_icmp", "ICMP messages")                               \
	X(P_ICMPV6, "proto_icmpv6", "ICMPv6 messages")                         \
	X(P_OTHER_L4, "proto_other_l4", "other IP protocols")                  \
	X(P_FRAGMENT, "fragments", "IP fragments (not reassembled)")           \
	X(P_VLAN, "vlan_tagged", "frames with 802.1Q/802.1ad tags")            \
	X(BAD_ETH, "bad_eth", "truncated Ethernet header")                     \
	X(BAD_VLAN, "bad_vlan", "truncated VLAN tag or stack deeper than the bound") \
	X(BAD_ARP, "bad_arp", "truncated ARP")                                 \
	X(BAD_IPV4, "bad_ipv4", "truncated IPv4, bad version/IHL or total length") \
	X(BAD_IPV6, "bad_ipv6", "truncated IPv6 or bad payload length")       \
	X(BAD_IPV6_EXT, "bad_ipv6_ext", "IPv6 extension chain truncated or past the bound") \
	X(BAD_TCP, "bad_tcp", "truncated TCP or bad data offset")             \
	X(BAD_UDP, "bad_udp", "truncated UDP or bad length")                  \
	X(BAD_ICMP, "bad_icmp", "truncated ICMP/ICMPv6")                      \
	X(ACL_DROP, "acl_drop", "dropped by an ACL rule")                     \
	X(ACL_PASS, "acl_pass", "passed by an ACL rule")                      \
	X(ACL_USER, "acl_user", "sent to user space by an ACL rule")          \
	X(ACL_DEFAULT, "acl_default", "matched no ACL rule")                  \
	X(STEER_USER, "steer_user", "steered to user space")                  \
	X(FWD_TX, "fwd_tx", "reflected back out the receiving port")          \
	X(FWD_REDIRECT, "fwd_redirect", "redirected to another port")         \
	X(SRC_TABLE_FULL, "src_table_full", "per-source entry could not be created") \
	X(ADJUST_FAIL, "adjust_fail", "head/tail adjustment refused")        \
	X(RL_DROP, "ratelimit_drop", "over a source's packet or byte budget") \
	X(RL_TABLE_FULL, "ratelimit_table_full", "rate-limit bucket could not be created") \
	X(SYN_DROP_SRC, "synguard_drop_src", "SYN over its source's budget")  \
	X(SYN_DROP_GLOBAL, "synguard_drop_global", "SYN over the global budget") \
	X(BUDGET_BUSY, "budget_busy", "shared rate/SYN bucket's lock stayed held: frame not charged") \
	X(RESP_SYNACK, "resp_synack", "responder: SYN answered with a cookie SYN-ACK") \
	X(RESP_REPLY, "resp_reply", "responder: HTTP responses sent")          \
	X(RESP_404, "resp_404", "responder: unknown paths")                     \
	X(RESP_405, "resp_405", "responder: methods other than GET/HEAD")       \
	X(RESP_400, "resp_400", "responder: request lines with no delimiter after the path") \
	X(RESP_FINACK, "resp_finack", "responder: client FINs acknowledged")   \
	X(RESP_ACK, "resp_ack", "responder: pure ACKs absorbed")               \
	X(RESP_RST, "resp_rst", "responder: RSTs sent (bad cookie, unexpected)") \
	X(RESP_TOO_BIG, "resp_too_big", "responder: response over the client's MSS or tailroom") \
	X(RESP_MULTIBUF, "resp_multibuf", "responder: multi-buffer segments refused (dropped)") \
	X(LB_NEW_FLOW, "lb_new_flow", "load balancer: flows placed by the Maglev table") \
	X(LB_CT_HIT, "lb_ct_hit", "load balancer: packets of known flows")     \
	X(LB_NO_BACKEND, "lb_no_backend", "load balancer: no usable backend (dropped)") \
	X(LB_CT_FULL, "lb_ct_full", "load balancer: connection entry could not be created") \
	X(LB_DSR, "lb_dsr", "load balancer: L2 DSR forwards")                  \
	X(LB_IPIP, "lb_ipip", "load balancer: IP-in-IP encapsulations")        \
	X(LB_NAT, "lb_nat", "load balancer: NAT rewrites")                      \
	X(ROUTE_FWD, "route_fwd", "route: forwarded to the next hop (TTL decremented)") \
	X(ROUTE_TTL, "route_ttl_expired", "route: TTL/hop limit 1 or less, passed to the stack") \
	X(ROUTE_NONE, "route_no_route", "route: no route, passed to the stack") \
	X(ROUTE_PASS, "route_pass", "route: a pass route (local, unresolved), to the stack") \
	X(ROUTE_DROP, "route_drop", "route: a drop (blackhole) route")         \
	X(BLOCKED, "blocked", "block: dropped by a block list")                \
	X(BLOCK_SRC, "block_src", "block: source address in the source list")  \
	X(BLOCK_DST, "block_dst", "block: destination address in the destination list") \
	X(SAMPLED, "sampled", "sample: frames copied to the sample ring")        \
	X(SAMPLE_LOST, "sample_lost", "sample: samples lost (ring full: no reader, or it is too slow)") \
	X(META_USED, "meta_used", "hybrid, user space: frames resumed from the XDP program's decision (metadata)") \
	X(META_MISSING, "meta_missing", "hybrid, user space: frames without the XDP program's metadata (whole pipeline run)") \
	X(META_REFUSED, "meta_refused", "hybrid, XDP: metadata refused by the driver (frame sent to user space without)") \
	X(SPREAD_QUEUED, "spread_queued", "spread: frames handed to another CPU's queue (cpumap); rx_packets counts those run there")

enum pl_counter {
#define PL_X(n, s, d) PL_CNT_##n,
	PL_COUNTERS(PL_X)
#undef PL_X
	PL_CNT__MAX,
};

struct pl_counters {
	__u64 c[PL_CNT__MAX];
};

/* Per-source statistics (LRU, per CPU). */
struct pl_src_stats {
	__u64 packets;
	__u64 bytes;
};

/* ---- Configuration --------------------------------------------------------
 * One bank of the `pl_config` table (two banks, `pl_config_live` names the
 * live one: core/pl_ctx.h). Written whole by the control plane into the idle
 * bank, then made live; a frame uses one bank throughout, so every field can
 * change while running and no frame sees a mix. All zeros is mode pass-all. */
enum pl_fwd_mode {
	PL_FWD_NONE = 0,     /* no forwarding: fall through to default verdict */
	PL_FWD_REFLECT = 1,  /* swap MACs, TX out the receiving port */
	PL_FWD_REDIRECT = 2, /* REDIRECT to pl_fwd_ports[in_port] */
};

struct pl_config {
	__u32 mode;            /* enum pl_mode */
	__u32 malformed_verdict; /* verdict for malformed frames (default DROP) */
	__u32 default_verdict; /* verdict when no stage decided (default PASS) */
	__u32 acl_bank;        /* which bank of pl_acl is live (0/1) */
	__u32 acl_default;     /* verdict when no ACL rule matches */
	__u32 fwd_mode;        /* enum pl_fwd_mode */
	__u32 src_stats;       /* 1: keep per-source counters */
	__u32 steer_enabled;   /* 1: consult pl_steer */
	__u64 clock_ns;        /* non-zero: use this as "now" (tests, replay) */
	/* The later stages: 0 = off (one check per frame); details in
	 * their own tables (core/stages/{ratelimit,synguard,responder,lb}.h). */
	__u8 rl_enabled;       /* 1: per-source token buckets */
	__u8 syn_enabled;      /* 1: SYN budgets per source and global */
	__u8 resp_enabled;     /* 1: TCP/HTTP responder */
	__u8 lb_enabled;       /* 1: L4 load balancer */
	__u32 lb_seed;         /* seed of the LB flow hash (lb.h) */
	__u8 route_enabled;    /* 1: IP routing over pl_route4/pl_route6 */
	__u8 block_enabled;    /* PL_BLOCK_SRC | PL_BLOCK_DST (block.h): lists in use */
	__u8 sample_enabled;   /* 1: copy frames to the sample ring (sample.h) */
	__u8 acl_rules;        /* 1: the live ACL bank holds rules (0: only acl_default applies) */
	__u32 stages_reserved[5];
};

/* The configuration every build starts from (pl_core_init, the BPF
 * loaders through pl_ctl_init_config, and a policy's unset fields). */
#define PL_CONFIG_DEFAULT                                                       \
	{ .mode = PL_MODE_POLICY, .malformed_verdict = PL_DROP,                 \
	  .default_verdict = PL_PASS, .acl_default = PL_PASS }

/* ---- ACL ---------------------------------------------------------------- */
#ifndef PL_ACL_MAX
#define PL_ACL_MAX 64
#endif

enum pl_acl_action {
	PL_ACL_DROP = 0,
	PL_ACL_PASS = 1,
	PL_ACL_USER = 2,
};

struct pl_acl_rule {
	struct pl_addr src, src_mask;
	struct pl_addr dst, dst_mask;
	__u16 sport_lo, sport_hi; /* host order, inclusive */
	__u16 dport_lo, dport_hi;
	__u8 proto;  /* 0 = any */
	__u8 family; /* 0 = any, 4, 6 */
	__u8 action; /* enum pl_acl_action */
	__u8 pad;
	__u32 line;  /* policy file line, for reports */
};

/* A whole rule set: one value, so it is swapped as a unit between banks. */
struct pl_acl_set {
	__u32 count;
	__u32 pad;
	struct pl_acl_rule rule[PL_ACL_MAX];
};

/* ---- Steering ----------------------------------------------------------- */
struct pl_steer_key {
	__u8 proto;
	__u8 pad;
	__u16 port; /* destination port, host order */
};

struct pl_steer_val {
	__u32 action; /* enum pl_verdict (USER, PASS, DROP) */
};

/* What the BPF build records per frame for pathlab-replay. */
struct pl_result_rec {
	__u32 verdict;
	__u32 out_port;
	__u64 seq;
};

/* ---- Forwarding ------------------------------------------------------------ */
#ifndef PL_PORTS_MAX
#define PL_PORTS_MAX 64
#endif

#endif
