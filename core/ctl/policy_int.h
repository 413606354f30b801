/* SPDX-License-Identifier: MIT */
/* Policy internals: what a stage's policy file (core/ctl/policy_<stage>.c)
 * implements and the helpers it uses. Not installed.
 *
 * A stage contributes:
 *   - keywords: handlers int pl_kw_<word>(ps, data, argc, argv), listed in
 *     the keyword table (PL_POLICY_KEYWORDS in policy.c); argv[0] is the
 *     keyword itself;
 *   - one struct pl_policy_stage pl_policy_stage_<stage>: the size of its
 *     parsed data (zeroed, one per policy), and hooks: finish (whole-file
 *     checks once every line is read), prepare (at apply time: resolve names
 *     and queue every table write; writes nothing itself), summary and free.
 * Stages are applied in the order they first appear in the keyword table. */
#ifndef PL_POLICY_INT_H
#define PL_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>
#include "pl_ctl.h"

#define PL_POLICY_ARGS_MAX 48
#define PL_POLICY_LINE_MAX 4096
#define PL_POLICY_STAGES_MAX 16

/* Parser state handed to keyword handlers. */
struct pl_parse {
	const char *file;
	unsigned line;
	struct pl_err *err;
	struct pl_policy *p;
	const char *usage; /* of the keyword being parsed */
};

struct pl_apply;

struct pl_policy_stage {
	const char *name;
	size_t size; /* bytes of parsed data */
	/* After the last line (ps->line = 0: no line to blame unless the hook
	 * sets one). Optional. */
	int (*finish)(struct pl_parse *ps, void *data);
	/* Resolve and queue writes with pl_apply_put/pl_apply_sync. Optional. */
	int (*prepare)(struct pl_apply *a, const void *data);
	/* Append a short description ("3 acl rules") to buf. Optional. */
	void (*summary)(const void *data, char *buf, size_t len);
	/* Free what data points to (not data itself). Optional. */
	void (*free)(void *data);
};

struct pl_policy {
	char *name; /* file name used in messages */
	struct pl_config cfg;
	unsigned nstages;
	struct {
		const struct pl_policy_stage *st;
		void *data;
	} stage[PL_POLICY_STAGES_MAX];
	unsigned seen_line[64]; /* per keyword: line of last use (PL_KW_ONCE) */
};

/* ---- parse helpers (policy.c) ---- */

/* Fail with "file:line: <message>"; returns -EINVAL. */
int pl_parse_fail(struct pl_parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The configuration the policy is building. */
struct pl_config *pl_parse_cfg(struct pl_parse *ps);

/* Strict unsigned decimal number in [lo, hi]: digits only, no sign, no
 * leading zero, no 0x. what names it in the error. */
int pl_parse_uint(struct pl_parse *ps, const char *s, unsigned long lo, unsigned long hi,
		  const char *what, unsigned long *out);
/* One word out of a list ("on"/"off"...): index, or an error listing them. */
int pl_parse_choice(struct pl_parse *ps, const char *s, const char *what,
		    const char *const *words, unsigned n);
/* A verdict name; allowed is a mask of (1 << PL_x). */
int pl_parse_verdict(struct pl_parse *ps, const char *s, unsigned allowed, const char *what);
/* "on" / "off". */
int pl_parse_onoff(struct pl_parse *ps, const char *s, const char *what);
/* A port "N" or range "N-M" (inclusive, 0-65535). */
int pl_parse_ports(struct pl_parse *ps, const char *s, const char *what, __u16 *lo, __u16 *hi);
/* "tcp", "udp", "icmp", "icmpv6", "any" or 0-255. */
int pl_parse_proto(struct pl_parse *ps, const char *s, __u8 *proto);
/* "A.B.C.D[/N]", "IPV6[/N]" or "any". family: 4, 6 (0 for any). */
int pl_parse_prefix(struct pl_parse *ps, const char *s, const char *what, struct pl_addr *net,
		    struct pl_addr *mask, __u8 *family);
/* One address, same storage (IPv4 v4-mapped); no prefix, no "any". */
int pl_parse_addr(struct pl_parse *ps, const char *s, const char *what, struct pl_addr *addr,
		  __u8 *family);
/* An interface name: under IF_NAMESIZE (16) characters, no '/'. */
int pl_parse_ifname(struct pl_parse *ps, const char *val, char out[16]);
/* "aa:bb:cc:dd:ee:ff". */
int pl_parse_mac(struct pl_parse *ps, const char *s, const char *what, __u8 mac[6]);
/* Name of a protocol number ("tcp", or the number). */
const char *pl_proto_name(__u8 proto, char buf[8]);

/* Options of the form "word [value]" in any order, each at most once:
 * handler called with the value (NULL when nargs is 0). */
struct pl_parse_opt {
	const char *word;
	int nargs; /* 0 or 1 */
	int (*fn)(struct pl_parse *ps, void *ctx, const char *val);
};
int pl_parse_options(struct pl_parse *ps, int argc, char **argv, const struct pl_parse_opt *opts,
		     unsigned nopts, void *ctx);

/* An ACL rule's match words ([ipv4|ipv6] [proto P] [from PREFIX] [to PREFIX]
 * [sport N[-M]] [dport N[-M]]) into r, zeroed first (policy_acl.c). */
int pl_parse_match(struct pl_parse *ps, int argc, char **argv, struct pl_acl_rule *r);
/* The parsed data of a stage (NULL if the policy has none). */
void *pl_policy_stage_data(const struct pl_policy *p, const struct pl_policy_stage *st);
/* The responder's form of the route keyword (policy_route.c hands it on). */
int pl_kw_resp_route(struct pl_parse *ps, void *data, int argc, char **argv);
extern const struct pl_policy_stage pl_policy_stage_responder;

/* ---- apply helpers (apply.c) ---- */

struct pl_apply {
	struct pl_ctl *c;
	const struct pl_policy *p;
	pl_port_resolver resolver;
	void *resolver_arg;
	struct pl_err *err;
	struct pl_config old_cfg; /* as found in the backend */
	struct pl_config cfg;     /* what the last write installs */
	struct pl_config idle_cfg; /* the idle configuration bank before commit */
	int cfg_flipped;          /* the configuration write flipped the banks */
	struct pl_op *ops;
	unsigned nops, cap;
};

/* Fail with "file:line: <message>" (line 0: "file: ..."); returns -EINVAL
 * unless err is given (a negative errno). */
int pl_apply_fail(struct pl_apply *a, unsigned line, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Queue a write (made before the configuration write). line: the policy
 * line it comes from, for messages. */
int pl_apply_put(struct pl_apply *a, const char *table, const void *key, size_t ksz,
		 const void *val, size_t vsz, unsigned line);
/* pl_apply_put for a key the caller knows is absent: a failed apply undoes
 * it by removing the key. For LPM tables, where a lookup (what pl_apply_put
 * saves the old value with) finds a covering prefix, not the key itself. */
int pl_apply_put_new(struct pl_apply *a, const char *table, const void *key, size_t ksz,
		     const void *val, size_t vsz, unsigned line);
/* Queue removal of every key of table that no queued write names (made
 * after the configuration write): the policy owns the whole table. */
int pl_apply_sync(struct pl_apply *a, const char *table, size_t ksz, size_t vsz);
/* Queue removal of one key (made after the configuration write). */
int pl_apply_del(struct pl_apply *a, const char *table, const void *key, size_t ksz, size_t vsz);
/* The keys a table holds now, sorted (an LPM lookup finds covering
 * prefixes, so whether a key itself exists is told from this list);
 * free(ks->k) after use. pl_keyset_has: is key in it (binary search). */
struct pl_keyset {
	uint8_t *k;
	size_t n, ksz;
};
int pl_apply_keys(struct pl_apply *a, const char *table, size_t ksz, struct pl_keyset *ks);
int pl_keyset_has(const struct pl_keyset *ks, const void *key);
/* Does the backend have this table? */
int pl_apply_has_table(struct pl_apply *a, const char *table, const void *any_key, size_t vsz);
/* Resolve an interface name through the datapath's resolver; errors name
 * file:line. */
int pl_apply_port(struct pl_apply *a, unsigned line, const char *name, uint32_t *ifindex,
		  uint32_t *out_port);

#endif
