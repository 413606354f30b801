// SPDX-License-Identifier: MIT
/* pathlab-ofgen: the pathlab policy as OpenFlow flows for Open vSwitch.
 *
 *   pathlab-ofgen --port-map NAME=OFPORT,... POLICY   flows on stdout (ovs-ofctl add-flows format)
 *   ovs-ofctl dump-flows BR | pathlab-ofgen --counters  flow stats named like the core's counters
 *
 * The policy is parsed and applied by libpathlab-ctl exactly as for every
 * datapath, into the user-space core's tables (interface names resolved
 * through --port-map to OpenFlow port numbers); the flows are generated
 * from what those tables then hold (pl_config, the live pl_acl bank,
 * pl_steer, pl_fwd), so the translation sees the policy as the core does.
 *
 * Tables (the core's stage order: ratelimit, acl, steer, forward):
 *   0  an aggregate shared ratelimit (one bucket for every source and CPU):
 *      OpenFlow 1.3 meters (meter 1 packets/s, meter 2 kbit/s for a byte
 *      budget), each charged by a flow that matches every IP frame (reg0
 *      says how many meters it has met) and resubmits it to table 0; the
 *      meter specifications are "#meter ..." comment lines of the output,
 *      for ovs-ofctl -O OpenFlow13 add-meter (pl-ovs openflow apply does it);
 *      then the mode switch and the ACL: one flow per rule and match variant,
 *      priority falling with the rule's position (first match wins);
 *      drop -> drop, pass -> resubmit(,1), user -> the USER action;
 *      IP frames no rule matched: acl default; non-IP frames -> table 1
 *   1  steering: proto/port -> the steer verdict; the rest -> table 2
 *   2  forwarding: redirect -> [mod_dl_dst,mod_dl_src,]output:PORT,
 *      reflect -> swap MACs, in_port; else the default verdict
 * Verdicts: DROP -> drop, PASS -> NORMAL (what OVS does with the frame),
 * TX -> in_port, USER -> --user-port's output (default NORMAL: in front of
 * OVS, USER frames go to OVS's socket like PASS).
 * Each flow's cookie says what it counts: (kind << 32) | policy line. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pl_ctl.h"
#include "pl_user.h"
#include "pl_stages.h"
#include "plt_log.h"
#include "plt_opts.h"

#define MAX_PORTS 64

/* What a flow counts (cookie >> 32). */
enum flow_kind {
	FK_NONE,
	FK_ACL_DROP,
	FK_ACL_PASS,
	FK_ACL_USER,
	FK_ACL_DEFAULT,
	FK_STEER,
	FK_FORWARD,
	FK_DEFAULT,
	FK_MODE,
	FK_OTHER, /* non-IP frames, ports outside --in-ports */
	FK_RATELIMIT, /* frames charged to a ratelimit meter */
	FK__MAX,
};
static const char *const kind_names[FK__MAX] = {
	"none", "acl_drop", "acl_pass", "acl_user", "acl_default", "steer", "forward", "default",
	"mode", "other", "ratelimit",
};

struct port {
	char name[32];
	unsigned ofport;
	int filtered; /* in --in-ports (or no --in-ports given) */
};

struct opts {
	struct port port[MAX_PORTS];
	unsigned nports;
	const char *user_port;
	unsigned user_ofport; /* 0: NORMAL */
	const char *in_ports;
	int counters;
	int strict;
};

/* --port-map: parse "a=1,b=2" into o->port. */
static int parse_port_map(void *field, const char *arg)
{
	struct opts *o = field;
	char *dup = strdup(arg), *save = NULL, *tok;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		unsigned long v;

		if (!eq || eq == tok || o->nports == MAX_PORTS) {
			fprintf(stderr, "pathlab-ofgen: --port-map entry '%s' is not NAME=OFPORT (at most %d)\n",
				tok, MAX_PORTS);
			free(dup);
			return -EINVAL;
		}
		*eq = '\0';
		v = strtoul(eq + 1, &end, 10);
		if (*end || !eq[1] || v == 0 || v >= 0xff00) {
			fprintf(stderr, "pathlab-ofgen: --port-map: '%s' is not an OpenFlow port number for %s\n",
				eq + 1, tok);
			free(dup);
			return -EINVAL;
		}
		snprintf(o->port[o->nports].name, sizeof(o->port[0].name), "%s", tok);
		o->port[o->nports].ofport = v;
		o->port[o->nports].filtered = 1;
		o->nports++;
	}
	free(dup);
	return 0;
}

/* The port named name, or NULL. */
static struct port *port_find(struct opts *o, const char *name)
{
	for (unsigned i = 0; i < o->nports; i++)
		if (!strcmp(o->port[i].name, name))
			return &o->port[i];
	return NULL;
}

/* pl_port_resolver over --port-map: ifindex and out_port are the ofport. */
static int resolve(void *arg, const char *name, uint32_t *ifindex, uint32_t *out_port)
{
	struct port *p = port_find(arg, name);

	if (!p)
		return -ENOENT;
	*ifindex = p->ofport;
	*out_port = p->ofport;
	return 0;
}

/* ---- flow output ---------------------------------------------------------------- */
static unsigned nflows;

/* One flow line. */
static void flow(int table, int prio, enum flow_kind k, unsigned line, const char *match,
		 const char *actions)
{
	printf("table=%d,priority=%d,cookie=0x%llx%s%s,actions=%s\n", table, prio,
	       ((unsigned long long)k << 32) | line, match[0] ? "," : "", match, actions);
	nflows++;
}

/* The OpenFlow actions of a final verdict. */
static void verdict_actions(const struct opts *o, int v, char *buf, size_t len)
{
	switch (v) {
	case PL_DROP:
	case PL_ABORTED:
		snprintf(buf, len, "drop");
		break;
	case PL_TX:
		snprintf(buf, len, "in_port");
		break;
	case PL_USER:
		if (o->user_ofport)
			snprintf(buf, len, "output:%u", o->user_ofport);
		else
			snprintf(buf, len, "NORMAL");
		break;
	default:
		snprintf(buf, len, "NORMAL");
	}
}

/* Value/mask pairs covering [lo, hi] (at most 32). */
static unsigned range_masks(unsigned lo, unsigned hi, unsigned val[32], unsigned mask[32])
{
	unsigned n = 0;

	while (lo <= hi && n < 32) {
		unsigned size = 1;

		/* Largest aligned block starting at lo that fits. */
		while (size < 65536 && !(lo & size) && lo + size * 2 - 1 <= hi)
			size *= 2;
		val[n] = lo;
		mask[n] = 0xffff & ~(size - 1);
		n++;
		if (lo + size - 1 >= hi)
			break;
		lo += size;
	}
	return n;
}

/* Append "field=ADDR/MASK" for one side of a rule ("" when it matches any). */
static void addr_match(char *buf, size_t len, int fam, const char *f4, const char *f6,
		       const struct pl_addr *a, const struct pl_addr *m)
{
	char as[INET6_ADDRSTRLEN], ms[INET6_ADDRSTRLEN];
	int any = 1;

	for (int i = 0; i < 16; i++)
		if (m->b[i])
			any = 0;
	if (any)
		return;
	if (fam == 4) {
		inet_ntop(AF_INET, &a->b[12], as, sizeof(as));
		inet_ntop(AF_INET, &m->b[12], ms, sizeof(ms));
		snprintf(buf + strlen(buf), len - strlen(buf), ",%s=%s/%s", f4, as, ms);
	} else {
		inet_ntop(AF_INET6, a->b, as, sizeof(as));
		inet_ntop(AF_INET6, m->b, ms, sizeof(ms));
		snprintf(buf + strlen(buf), len - strlen(buf), ",%s=%s/%s", f6, as, ms);
	}
}

/* The protocol part of a match for family fam ("tcp", "udp6", "ipv6,nw_proto=47"). */
static void proto_match(char *buf, size_t len, int fam, unsigned proto)
{
	const char *v4 = NULL, *v6 = NULL;

	switch (proto) {
	case 0:
		v4 = "ip", v6 = "ipv6";
		break;
	case 6:
		v4 = "tcp", v6 = "tcp6";
		break;
	case 17:
		v4 = "udp", v6 = "udp6";
		break;
	case 1:
		v4 = "icmp", v6 = "ipv6,nw_proto=1";
		break;
	case 58:
		v4 = "ip,nw_proto=58", v6 = "icmp6";
		break;
	}
	if (fam == 4 && v4)
		snprintf(buf, len, "%s", v4);
	else if (fam == 6 && v6)
		snprintf(buf, len, "%s", v6);
	else
		snprintf(buf, len, "%s,nw_proto=%u", fam == 4 ? "ip" : "ipv6", proto);
}

/* The in_port variants: "" (every port) or one per --in-ports port. */
static unsigned in_port_list(const struct opts *o, char in[MAX_PORTS][24])
{
	unsigned n = 0;

	if (!o->in_ports) {
		in[0][0] = '\0';
		return 1;
	}
	for (unsigned i = 0; i < o->nports; i++)
		if (o->port[i].filtered)
			snprintf(in[n++], 24, "in_port=%u,", o->port[i].ofport);
	return n;
}

/* Table 0 flows of one ACL rule at priority prio. */
static void acl_rule_flows(const struct opts *o, const struct pl_acl_rule *r, int prio)
{
	static const enum flow_kind kinds[] = { FK_ACL_DROP, FK_ACL_PASS, FK_ACL_USER };
	unsigned sv[32], sm[32], dv[32], dm[32], ns, nd, nin;
	char in[MAX_PORTS][24], act[64];

	if (r->action == PL_ACL_DROP)
		snprintf(act, sizeof(act), "drop");
	else if (r->action == PL_ACL_PASS)
		snprintf(act, sizeof(act), "resubmit(,1)");
	else
		verdict_actions(o, PL_USER, act, sizeof(act));
	ns = range_masks(r->sport_lo, r->sport_hi, sv, sm);
	nd = range_masks(r->dport_lo, r->dport_hi, dv, dm);
	nin = in_port_list(o, in);
	for (int fam = 4; fam <= 6; fam += 2) {
		if (r->family && r->family != fam)
			continue;
		for (unsigned ip = 0; ip < nin; ip++)
			for (unsigned s = 0; s < ns; s++)
				for (unsigned d = 0; d < nd; d++) {
					char m[512];

					snprintf(m, sizeof(m), "%.23s", in[ip]);
					proto_match(m + strlen(m), sizeof(m) - strlen(m), fam, r->proto);
					addr_match(m, sizeof(m), fam, "nw_src", "ipv6_src", &r->src, &r->src_mask);
					addr_match(m, sizeof(m), fam, "nw_dst", "ipv6_dst", &r->dst, &r->dst_mask);
					if (sm[s] || sv[s])
						snprintf(m + strlen(m), sizeof(m) - strlen(m),
							 sm[s] == 0xffff ? ",tp_src=%u" : ",tp_src=0x%x/0x%x", sv[s], sm[s]);
					if (dm[d] || dv[d])
						snprintf(m + strlen(m), sizeof(m) - strlen(m),
							 dm[d] == 0xffff ? ",tp_dst=%u" : ",tp_dst=0x%x/0x%x", dv[d], dm[d]);
					flow(0, prio, kinds[r->action < 3 ? r->action : 0], r->line, m, act);
				}
	}
}

/* Say what is not translated; count it. */
static unsigned untranslated;
static void not_translated(const char *what, const char *why)
{
	fprintf(stderr, "pathlab-ofgen: not translated: %s (%s)\n", what, why);
	untranslated++;
}

/* The ratelimit stage: an aggregate shared budget is one token bucket for
 * every frame the stage sees, which an OpenFlow meter is (Open vSwitch's
 * userspace datapath keeps one bucket per meter band for all its threads).
 * Meter 1: pktps, the packet budget; meter 2: kbps, the byte budget (bits
 * of the whole frame, as the core counts bytes), if any. A flow takes one
 * meter in OpenFlow 1.3, so every IP frame meets them in turn: the flow
 * for meter n matches reg0=n-1, loads n into reg0 and resubmits to table
 * 0, where the ACL's flows (which ignore reg0) take it once the last meter
 * is behind it. Returns the meters made (0: not translated, said why). */
static int ratelimit_meters(const struct opts *o, struct pl_ctl *c, const struct pl_config *cfg)
{
	struct pl_rl_params rp;
	char in[MAX_PORTS][24];
	unsigned long long kbps = 0, kburst = 0;
	__u32 zero = 0;
	unsigned nin, nm;

	if (!cfg->rl_enabled)
		return 0;
	if (pl_ctl_lookup(c, "pl_rl_params", &zero, &rp)) {
		not_translated("ratelimit", "its parameters could not be read back");
		return 0;
	}
	if (!(rp.flags & PL_BUDGET_AGGREGATE)) {
		not_translated("ratelimit", "per-source token buckets; an OpenFlow meter is one bucket for every "
			       "flow that names it: 'aggregate shared' is the budget a meter can hold");
		return 0;
	}
	if (!(rp.flags & PL_BUDGET_SHARED)) {
		not_translated("ratelimit", "aggregate but per CPU (one bucket per CPU); an OpenFlow meter is one "
			       "bucket for the whole switch: add 'shared'");
		return 0;
	}
	if (rp.bps.rate) {
		kbps = (rp.bps.rate * 8 + 500) / 1000;
		kburst = (rp.bps.burst * 8 + 999) / 1000;
		if (!kbps) {
			not_translated("ratelimit", "byte budget below 1 kbit/s, the smallest meter rate");
			return 0;
		}
	}
	nm = rp.bps.rate ? 2 : 1;
	printf("#meter meter=1,pktps,burst,stats,bands=type=drop,rate=%llu,burst_size=%llu\n",
	       (unsigned long long)rp.pps.rate, (unsigned long long)rp.pps.burst);
	if (nm == 2)
		printf("#meter meter=2,kbps,burst,stats,bands=type=drop,rate=%llu,burst_size=%llu\n", kbps,
		       kburst);
	nin = in_port_list(o, in);
	for (unsigned m = 1; m <= nm; m++)
		for (unsigned i = 0; i < nin; i++)
			for (int fam = 4; fam <= 6; fam += 2) {
				char mt[64], act[96];

				snprintf(mt, sizeof(mt), "%.23s%s,reg0=%u", in[i], fam == 4 ? "ip" : "ipv6", m - 1);
				snprintf(act, sizeof(act), "meter:%u,load:%u->NXM_NX_REG0[],resubmit(,0)", m, m);
				flow(0, 65100, m == 1 ? FK_RATELIMIT : FK_NONE, 0, mt, act);
			}
	return (int)nm;
}

/* Sorting steer entries by protocol, then port. */
struct steer_ent {
	struct pl_steer_key k;
	struct pl_steer_val v;
};

/* qsort order of steer entries: protocol, then port. */
static int steer_cmp(const void *a, const void *b)
{
	const struct steer_ent *x = a, *y = b;

	if (x->k.proto != y->k.proto)
		return x->k.proto - y->k.proto;
	return x->k.port - y->k.port;
}

/* Generate every flow from the tables the policy was applied to. */
static int generate(const struct opts *o, struct pl_ctl *c, const char *path)
{
	static struct steer_ent st[PL_STEER_MAX];
	struct pl_acl_set set;
	__u64 hits[PL_ACL_MAX];
	struct pl_config cfg;
	char act[96], in[MAX_PORTS][24];
	unsigned nst = 0, nin;
	int err;

	err = pl_ctl_get_config(c, &cfg);
	if (!err)
		err = pl_ctl_read_acl(c, &set, hits);
	if (err) {
		fprintf(stderr, "pathlab-ofgen: cannot read back the applied policy: %s\n", strerror(-err));
		return err;
	}
	printf("# pathlab-ofgen: %s (cookie = kind << 32 | policy line; kinds: 1 acl drop, 2 acl pass, "
	       "3 acl user, 4 acl default, 5 steer, 6 forward, 7 default verdict, 8 mode, 9 other, "
	       "10 ratelimit meter; 0 pass-through)\n", path);
	if (cfg.syn_enabled)
		not_translated("synguard", "per-source SYN budgets; no per-source state in OpenFlow");
	if (cfg.resp_enabled)
		not_translated("responder", "SYN cookies and HTTP answers need packet construction");
	if (cfg.lb_enabled)
		not_translated("lb", "Maglev consistent hashing and connection tracking per backend");
	if (cfg.src_stats)
		not_translated("count sources on", "per-source counters; flow stats count per rule only");
	if (cfg.malformed_verdict != PL_DROP)
		not_translated("malformed", "OVS parses frames itself; malformed frames meet the flows like others");
	/* Ports outside --in-ports: OVS as usual. */
	for (unsigned i = 0; o->in_ports && i < o->nports; i++)
		if (!o->port[i].filtered) {
			char m[32];

			snprintf(m, sizeof(m), "in_port=%u", o->port[i].ofport);
			flow(0, 65000, FK_OTHER, 0, m, "NORMAL");
		}
	nin = in_port_list(o, in);
	if (cfg.mode != PL_MODE_POLICY) {
		const char *a = cfg.mode == PL_MODE_DROP_ALL ? "drop" : "NORMAL";

		if (cfg.mode == PL_MODE_COUNT_ONLY)
			not_translated("mode count-only's per-protocol counters", "flow stats count the one flow");
		for (unsigned i = 0; i < nin; i++) {
			char m[32];

			snprintf(m, sizeof(m), "%.*s", (int)(strlen(in[i]) ? strlen(in[i]) - 1 : 0), in[i]);
			flow(0, 0, FK_MODE, 0, m, a);
		}
		return 0;
	}
	/* Table 0: the ratelimit's meters, then the ACL, first rule highest. */
	ratelimit_meters(o, c, &cfg);
	for (unsigned i = 0; i < set.count && i < PL_ACL_MAX; i++)
		acl_rule_flows(o, &set.rule[i], 60000 - (int)i * 10);
	snprintf(act, sizeof(act), "%s", cfg.acl_default == PL_DROP ? "drop" : "resubmit(,1)");
	for (unsigned i = 0; i < nin; i++) {
		char m[48];

		snprintf(m, sizeof(m), "%.23sip", in[i]);
		flow(0, 10, FK_ACL_DEFAULT, 0, m, act);
		snprintf(m, sizeof(m), "%.23sipv6", in[i]);
		flow(0, 10, FK_ACL_DEFAULT, 0, m, act);
		snprintf(m, sizeof(m), "%.*s", (int)(strlen(in[i]) ? strlen(in[i]) - 1 : 0), in[i]);
		flow(0, 0, FK_OTHER, 0, m, "resubmit(,1)");
	}
	/* Table 1: steering (the core's pl_steer: proto + destination port, both families). */
	if (cfg.steer_enabled) {
		struct pl_steer_key k, nk;
		int first = 1;

		while (nst < PL_STEER_MAX && !pl_ctl_next_key(c, "pl_steer", first ? NULL : &k, &nk)) {
			st[nst].k = nk;
			if (!pl_ctl_lookup(c, "pl_steer", &nk, &st[nst].v))
				nst++;
			k = nk;
			first = 0;
		}
		qsort(st, nst, sizeof(st[0]), steer_cmp);
		for (unsigned i = 0; i < nst; i++) {
			const char *p4 = st[i].k.proto == 6 ? "tcp" : "udp";
			const char *p6 = st[i].k.proto == 6 ? "tcp6" : "udp6";
			char m[64];

			verdict_actions(o, st[i].v.action, act, sizeof(act));
			snprintf(m, sizeof(m), "%s,tp_dst=%u", p4, st[i].k.port);
			flow(1, 100, FK_STEER, 0, m, act);
			snprintf(m, sizeof(m), "%s,tp_dst=%u", p6, st[i].k.port);
			flow(1, 100, FK_STEER, 0, m, act);
		}
	}
	flow(1, 0, FK_NONE, 0, "", "resubmit(,2)");
	/* Table 2: forwarding, then the default verdict. */
	if (cfg.fwd_mode == PL_FWD_REFLECT) {
		flow(2, 0, FK_FORWARD, 0, "",
		     "push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],in_port");
		return 0;
	}
	if (cfg.fwd_mode == PL_FWD_REDIRECT) {
		__u32 k = 0, nk;
		int first = 1;

		while (!pl_ctl_next_key(c, "pl_fwd", first ? NULL : &k, &nk)) {
			struct pl_fwd_entry e;
			char m[32];

			if (!pl_ctl_lookup(c, "pl_fwd", &nk, &e)) {
				snprintf(m, sizeof(m), "in_port=%u", nk);
				if (e.v.flags & PL_FWD_F_SET_MACS)
					snprintf(act, sizeof(act),
						 "mod_dl_dst:%02x:%02x:%02x:%02x:%02x:%02x,"
						 "mod_dl_src:%02x:%02x:%02x:%02x:%02x:%02x,output:%u",
						 e.dst_mac[0], e.dst_mac[1], e.dst_mac[2], e.dst_mac[3], e.dst_mac[4],
						 e.dst_mac[5], e.src_mac[0], e.src_mac[1], e.src_mac[2], e.src_mac[3],
						 e.src_mac[4], e.src_mac[5], e.v.out_port);
				else
					snprintf(act, sizeof(act), "output:%u", e.v.out_port);
				flow(2, 100, FK_FORWARD, 0, m, act);
			}
			k = nk;
			first = 0;
		}
	}
	verdict_actions(o, cfg.default_verdict, act, sizeof(act));
	flow(2, 0, FK_DEFAULT, 0, "", act);
	return 0;
}

/* Parse the policy, apply it to the user-space core through --port-map,
 * and print the flows. */
static int cmd_generate(struct opts *o, const char *path)
{
	struct pl_policy *p;
	struct pl_ctl *c;
	struct pl_err err;
	int ret;

	if (pl_policy_parse_file(path, &p, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	ret = pl_core_init(1);
	if (ret) {
		fprintf(stderr, "pathlab-ofgen: cannot initialise the core's tables: %s\n", strerror(-ret));
		pl_policy_free(p);
		return 1;
	}
	c = pl_ctl_open_user();
	if (!c) {
		fprintf(stderr, "pathlab-ofgen: cannot open the user-space tables: %s\n", strerror(errno));
		ret = 1;
		goto out;
	}
	if (pl_policy_apply(c, p, resolve, o, &err)) {
		fprintf(stderr, "%s (interfaces are resolved through --port-map: name every port the policy uses)\n",
			err.msg);
		ret = 1;
		goto out;
	}
	ret = generate(o, c, path) ? 1 : 0;
	if (!ret)
		fprintf(stderr, "pathlab-ofgen: %u flows from %s%s\n", nflows, path,
			untranslated ? " (parts not translated: see above)" : "");
	if (!ret && untranslated && o->strict)
		ret = 3;
out:
	pl_ctl_close(c);
	pl_core_fini();
	pl_policy_free(p);
	return ret;
}

/* --counters: sum `ovs-ofctl dump-flows` n_packets by cookie kind and by
 * policy line. */
static int cmd_counters(void)
{
	unsigned long long sum[FK__MAX] = { 0 }, drop = 0, lines[4096] = { 0 };
	unsigned char line_kind[4096] = { 0 };
	char buf[4096];
	unsigned n = 0;

	while (fgets(buf, sizeof(buf), stdin)) {
		char *ck = strstr(buf, "cookie="), *np = strstr(buf, "n_packets=");
		unsigned long long cookie, pk;
		unsigned kind, line;

		if (!ck || !np)
			continue;
		cookie = strtoull(ck + 7, NULL, 16);
		pk = strtoull(np + 10, NULL, 10);
		kind = cookie >> 32;
		line = cookie & 0xffffffffu;
		n++;
		if (kind >= FK__MAX)
			kind = FK_NONE;
		sum[kind] += pk;
		if (strstr(buf, "actions=drop"))
			drop += pk;
		if (line && line < 4096) {
			lines[line] += pk;
			line_kind[line] = kind;
		}
	}
	printf("flows=%u\n", n);
	for (unsigned k = 1; k < FK__MAX; k++)
		printf("%s=%llu\n", kind_names[k], sum[k]);
	printf("dropped=%llu\n", drop);
	for (unsigned l = 1; l < 4096; l++)
		if (line_kind[l])
			printf("line%u_%s=%llu\n", l, kind_names[line_kind[l]], lines[l]);
	return 0;
}

#define O(f) offsetof(struct opts, f)
static const struct plt_opt opt_table[] = {
	{ "port-map", 'p', PLT_OPT_FUNC, 0, "NAME=OFPORT,...",
	  "OpenFlow port numbers of the interfaces (`pl-ovs` passes every port of the bridge)",
	  .fn = parse_port_map },
	{ "in-ports", 'i', PLT_OPT_STR, O(in_ports), "NAME,...",
	  "apply the policy to frames received on these ports only (like a pre-filter on them);\n"
	  "others get NORMAL (default: every port)" },
	{ "user-port", 'u', PLT_OPT_STR, O(user_port), "NAME",
	  "where USER verdicts go: output to this port (default: NORMAL)" },
	{ "counters", 'c', PLT_OPT_FLAG, O(counters), NULL,
	  "read `ovs-ofctl dump-flows` output on stdin and print the counters it implies" },
	{ "strict", 's', PLT_OPT_FLAG, O(strict), NULL, "fail (exit 3) when part of the policy cannot be translated" },
	{ "help", 'h', PLT_OPT_HELP, 0, NULL, "this text" },
};

static void intro(FILE *f)
{
	fprintf(f,
		"       ovs-ofctl dump-flows BRIDGE | pathlab-ofgen --counters\n"
		"Translate a pathlab policy (docs/policy.md) into OpenFlow flows for ovs-ofctl add-flows /\n"
		"replace-flows: ACL rules -> prioritised flows in table 0, steering -> table 1, forwarding\n"
		"and the default verdict -> table 2; an aggregate shared ratelimit -> OpenFlow 1.3 meters\n"
		"(their specifications as '#meter ...' lines, for ovs-ofctl -O OpenFlow13 add-meter).\n"
		"Stages OpenFlow cannot express (per-source or per-CPU ratelimit, synguard, responder, lb,\n"
		"per-source counters, the malformed verdict) are named on stderr.\n"
		"Exit: 0 ok, 1 error, 2 usage, 3 untranslated parts with --strict.\n");
}

static const struct plt_tool tool = {
	.name = "pathlab-ofgen",
	.usage = "--port-map NAME=OFPORT,... [options] POLICY",
	.intro = intro,
	.opts = opt_table,
	.nopts = PLT_ARRAY_SIZE(opt_table),
	.width = 30,
	.max_args = 1,
};

/* Parse options and run. */
int main(int argc, char **argv)
{
	static struct opts o;
	char **args;
	int nargs, err;

	err = plt_opts_main(&tool, argc, argv, &o, &nargs, &args);
	if (err >= 0)
		return err;
	if (o.counters)
		return cmd_counters();
	if (nargs != 1) {
		fprintf(stderr, "pathlab-ofgen: give one policy file (see --help)\n");
		return 2;
	}
	if (o.user_port) {
		struct port *up = port_find(&o, o.user_port);

		if (!up) {
			fprintf(stderr, "pathlab-ofgen: --user-port %s is not in --port-map\n", o.user_port);
			return 2;
		}
		o.user_ofport = up->ofport;
	}
	if (o.in_ports) {
		char *dup = strdup(o.in_ports), *save = NULL, *t;

		for (unsigned i = 0; i < o.nports; i++)
			o.port[i].filtered = 0;
		for (t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			struct port *p = port_find(&o, t);

			if (!p) {
				fprintf(stderr, "pathlab-ofgen: --in-ports %s is not in --port-map\n", t);
				free(dup);
				return 2;
			}
			p->filtered = 1;
		}
		free(dup);
	}
	return cmd_generate(&o, args[0]);
}
