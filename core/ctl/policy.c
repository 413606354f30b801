// SPDX-License-Identifier: MIT
/* Policy files: the line reader, the keyword table and the value parsers
 * every stage's keywords share. The format is specified in docs/policy.md.
 *
 * A whole file is parsed and checked before anything is applied; the first
 * error stops parsing and names file:line, what is wrong and what to try. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include "pl_ctl.h"
#include "policy_int.h"

/* ---- The keyword table -------------------------------------------------------
 * One line per keyword: X(word, stage, flags, usage)
 *   word   the keyword; its handler is pl_kw_<word>() (argv[0] = the word)
 *   stage  the stage whose parsed data the handler fills:
 *          pl_policy_stage_<stage>, defined in core/ctl/policy_<stage>.c
 *   flags  PL_KW_ONCE: may appear once per file
 *   usage  shown in errors
 * This table drives the parser and the keyword list of error messages.
 *
 * Adding a stage's keywords (lb, ratelimit, synguard, respond) is:
 *   1. core/ctl/policy_<stage>.c with the handlers and
 *        const struct pl_policy_stage pl_policy_stage_<stage> = {
 *                .name, .size = sizeof(parsed data),
 *                .finish (whole-file checks, set cfg fields),
 *                .prepare (at apply: resolve names, queue table writes
 *                          with pl_apply_put / pl_apply_sync),
 *                .summary, .free };
 *      (helpers and hook contracts: policy_int.h);
 *   2. one X() line here per keyword;
 *   3. the file name in core/ctl/meson.build.
 * Every stage's data is allocated with each policy, so prepare runs on every
 * apply even when the file never uses the stage's keywords (that is how a
 * stage clears what an older policy loaded). Apply runs the prepare hooks in
 * the order stages first appear below, then writes everything queued, then
 * the configuration (which flips the ACL bank) last. */
#define PL_POLICY_KEYWORDS(X)                                                              \
	X(mode, global, PL_KW_ONCE, "mode policy|pass-all|drop-all|count-only")             \
	X(malformed, global, PL_KW_ONCE, "malformed drop|pass|tx|user|aborted")             \
	X(default, global, PL_KW_ONCE, "default drop|pass|tx|user|aborted")                 \
	X(count, global, PL_KW_ONCE, "count sources on|off")                                \
	X(acl, acl, 0,                                                                      \
	  "acl drop|pass|user [ipv4|ipv6] [proto P] [from PREFIX] [to PREFIX] "             \
	  "[sport N[-M]] [dport N[-M]]  |  acl default pass|drop")                          \
	X(steer, steer, 0, "steer tcp|udp PORT[-PORT] user|pass|drop")                      \
	X(forward, forward, 0,                                                              \
	  "forward reflect  |  forward off  |  forward redirect from IFACE to IFACE "       \
	  "[dst-mac MAC src-mac MAC]")                                                    \
	X(ratelimit, ratelimit, PL_KW_ONCE,                                                 \
	  "ratelimit pps N [burst N] [bytes N] [byte-burst N] [prefix4 N] [prefix6 N] [aggregate] [shared]") \
	X(synguard, synguard, PL_KW_ONCE,                                                   \
	  "synguard [per-source PPS BURST] [global PPS BURST] [prefix4 N] [prefix6 N] [shared]") \
	X(responder, responder, 0, "responder listen ADDR|any-destination [PORT]  |  responder key HEX32") \
	X(route, route, 0,                                                                  \
	  "route PREFIX dev IFACE mac MAC [src-mac MAC] [via ADDR]  |  route PREFIX pass|drop"  \
	  "  |  route kernel  |  route PATH|unknown|method|bad-request STATUS CONTENT-TYPE BODY...") \
	X(lb, lb, 0,                                                                        \
	  "lb service NAME VIP PORT tcp|udp [mode dsr|ipip|nat] [size PRIME] [encap-src ADDR]" \
	  "  |  lb backend SERVICE ADDR [port N] [weight N] [state up|draining|down] "       \
	  "[mac MAC] [src-mac MAC] [via IFACE|tx|pass]  |  lb seed N")                      \
	X(block, block, 0, "block src|dst FILE (one prefix per line, # comments)")           \
	X(sample, sample, PL_KW_ONCE,                                                       \
	  "sample [every N] [snap BYTES] [verdict V[,V...]] [ipv4|ipv6] [proto P] "         \
	  "[from PREFIX] [to PREFIX] [sport N[-M]] [dport N[-M]]")

#define PL_KW_ONCE 1u

typedef int (*pl_kw_fn)(struct pl_parse *ps, void *data, int argc, char **argv);

/* Declare every handler and stage named in the table. */
#define PL_X(word, stage, flags, usage)                                                     \
	int pl_kw_##word(struct pl_parse *ps, void *data, int argc, char **argv);           \
	extern const struct pl_policy_stage pl_policy_stage_##stage;
PL_POLICY_KEYWORDS(PL_X)
#undef PL_X

struct pl_keyword {
	const char *word;
	const struct pl_policy_stage *stage;
	pl_kw_fn fn;
	unsigned flags;
	const char *usage;
};

static const struct pl_keyword keywords[] = {
#define PL_X(word, stage, flags, usage) { #word, &pl_policy_stage_##stage, pl_kw_##word, flags, usage },
	PL_POLICY_KEYWORDS(PL_X)
#undef PL_X
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

_Static_assert(NKEYWORDS <= sizeof(((struct pl_policy *)0)->seen_line) / sizeof(unsigned),
	       "raise pl_policy.seen_line");

/* ---- messages ---- */

/* Fail with "file:line: message". */
int pl_parse_fail(struct pl_parse *ps, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->line)
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s:%u: %s", ps->file, ps->line, what);
	else
		snprintf(ps->err->msg, sizeof(ps->err->msg), "%s: %s", ps->file, what);
	return -EINVAL;
}

/* The configuration being built. */
struct pl_config *pl_parse_cfg(struct pl_parse *ps)
{
	return &ps->p->cfg;
}

/* ---- value parsers ---- */

/* A decimal number: digits only, no sign, no leading zero (an octal-looking
 * 022 is refused rather than read as 22 or 18). Returns 0, -EINVAL (not
 * decimal), -EDOM (leading zero) or -ERANGE. */
static int parse_decimal(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	const char *c;

	if (!s || !*s)
		return -EINVAL;
	for (c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (v > (ULONG_MAX - (unsigned long)(*c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	*out = v;
	return s[0] == '0' && s[1] ? -EDOM : 0;
}

/* An interface name (forward, route). */
int pl_parse_ifname(struct pl_parse *ps, const char *val, char out[IF_NAMESIZE])
{
	if (!*val || strlen(val) >= IF_NAMESIZE || strchr(val, '/'))
		return pl_parse_fail(ps, "'%s' is not an interface name (at most %d characters)", val,
				     IF_NAMESIZE - 1);
	strcpy(out, val);
	return 0;
}

/* Strict unsigned decimal number within [lo, hi]: every keyword's numbers
 * come through here. */
int pl_parse_uint(struct pl_parse *ps, const char *s, unsigned long lo, unsigned long hi,
		  const char *what, unsigned long *out)
{
	unsigned long v = 0;
	int err = parse_decimal(s, &v);

	if (err == -EDOM)
		return pl_parse_fail(ps, "%s '%s' has a leading zero (numbers are decimal: write %lu)",
				     what, s, v);
	if (err == -EINVAL)
		return pl_parse_fail(ps, "%s '%s' is not a number (decimal digits only)", what, s ? s : "");
	if (err == -ERANGE || v < lo || v > hi)
		return pl_parse_fail(ps, "%s %s out of range (%lu-%lu)", what, s, lo, hi);
	*out = v;
	return 0;
}

/* One word of a list. */
int pl_parse_choice(struct pl_parse *ps, const char *s, const char *what,
		    const char *const *words, unsigned n)
{
	char list[200] = "";
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s && !strcmp(s, words[i]))
			return (int)i;
		off += snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
				i ? ", " : "", words[i]);
		if (off >= sizeof(list))
			off = sizeof(list) - 1;
	}
	if (!s)
		return pl_parse_fail(ps, "%s missing (one of: %s)", what, list);
	return pl_parse_fail(ps, "unknown %s '%s' (one of: %s)", what, s, list);
}

/* A verdict among those allowed. */
int pl_parse_verdict(struct pl_parse *ps, const char *s, unsigned allowed, const char *what)
{
	const char *words[PL_VERDICT__MAX];
	int map[PL_VERDICT__MAX];
	unsigned n = 0;
	int i;

	for (int v = 0; v < PL_VERDICT__MAX; v++)
		if (allowed & (1u << v)) {
			map[n] = v;
			words[n++] = pl_verdict_name(v);
		}
	i = pl_parse_choice(ps, s, what, words, n);
	return i < 0 ? i : map[i];
}

/* "on" / "off" -> 1 / 0. */
int pl_parse_onoff(struct pl_parse *ps, const char *s, const char *what)
{
	static const char *const words[] = { "off", "on" };

	return pl_parse_choice(ps, s, what, words, 2);
}

/* One port number. */
static int parse_port(struct pl_parse *ps, const char *s, const char *what, __u16 *port)
{
	unsigned long v;
	int err = pl_parse_uint(ps, s, 0, 65535, what, &v);

	if (!err)
		*port = (__u16)v;
	return err;
}

/* "N" or "N-M". */
int pl_parse_ports(struct pl_parse *ps, const char *s, const char *what, __u16 *lo, __u16 *hi)
{
	char buf[32];
	char *dash;
	int err;

	if (!s)
		return pl_parse_fail(ps, "%s needs a port or range (e.g. 80 or 1024-65535)", what);
	if (strlen(s) >= sizeof(buf))
		return pl_parse_fail(ps, "%s '%s' is not a port or range (e.g. 80 or 1024-65535)",
				     what, s);
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash) {
		err = parse_port(ps, buf, what, lo);
		*hi = *lo;
		return err;
	}
	*dash = '\0';
	err = parse_port(ps, buf, what, lo);
	if (!err)
		err = parse_port(ps, dash + 1, what, hi);
	if (!err && *lo > *hi)
		return pl_parse_fail(ps, "%s range %s is inverted (write %u-%u)", what, s, *hi, *lo);
	return err;
}

static const struct {
	const char *name;
	__u8 proto;
} protos[] = {
	{ "any", 0 }, { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
};

/* A protocol name or number. */
int pl_parse_proto(struct pl_parse *ps, const char *s, __u8 *proto)
{
	unsigned long v;

	if (!s)
		return pl_parse_fail(ps, "proto needs a protocol (tcp, udp, icmp, icmpv6, any or 0-255)");
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	if (s[0] < '0' || s[0] > '9')
		return pl_parse_fail(ps, "unknown protocol '%s' (tcp, udp, icmp, icmpv6, any or 0-255)", s);
	if (pl_parse_uint(ps, s, 0, 255, "protocol", &v))
		return -EINVAL;
	*proto = (__u8)v;
	return 0;
}

/* The name of a protocol number. */
const char *pl_proto_name(__u8 proto, char buf[8])
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, 8, "%u", proto);
	return buf;
}

/* An address with optional prefix length, stored as the core compares it
 * (IPv4 v4-mapped, the mask covering the ::ffff: part too). */
int pl_parse_prefix(struct pl_parse *ps, const char *s, const char *what, struct pl_addr *net,
		    struct pl_addr *mask, __u8 *family)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long plen, max;
	unsigned bits, base;
	char *slash;
	int v6;

	memset(net, 0, sizeof(*net));
	memset(mask, 0, sizeof(*mask));
	*family = 0;
	if (!s)
		return pl_parse_fail(ps, "%s needs an address or prefix (e.g. 10.0.0.0/8, 2001:db8::/32, any)",
				     what);
	if (!strcmp(s, "any"))
		return 0;
	if (strlen(s) >= sizeof(buf))
		return pl_parse_fail(ps, "%s '%s' is not an address or prefix", what, s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	v6 = strchr(buf, ':') != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, buf, net->b) != 1)
			return pl_parse_fail(ps, "%s '%s' is not a valid IPv6 address (e.g. 2001:db8::1)",
					     what, buf);
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)net->b))
			return pl_parse_fail(ps, "%s '%s' is IPv4-mapped (write the IPv4 address itself)",
					     what, buf);
		max = 128;
		base = 0;
	} else {
		struct in_addr a;

		if (inet_pton(AF_INET, buf, &a) != 1)
			return pl_parse_fail(ps, "%s '%s' is not a valid IPv4 address (e.g. 192.0.2.1)",
					     what, buf);
		net->b[10] = net->b[11] = 0xff;
		memcpy(&net->b[12], &a, 4);
		max = 32;
		base = 96;
	}
	plen = max;
	if (slash) {
		int err = parse_decimal(slash + 1, &plen);

		if (err == -EDOM)
			return pl_parse_fail(ps, "%s '%s' has a leading zero in its prefix length (numbers are decimal: write /%lu)",
					     what, s, plen);
		if (err || plen > max)
			return pl_parse_fail(ps, "%s '%s' has a bad prefix length (0-%lu for IPv%d)",
					     what, s, max, v6 ? 6 : 4);
	}
	bits = base + (unsigned)plen;
	for (unsigned i = 0; i < 16; i++) {
		unsigned b = bits > i * 8 ? bits - i * 8 : 0;

		mask->b[i] = b >= 8 ? 0xff : (__u8)(0xff << (8 - b));
	}
	for (unsigned i = 0; i < 16; i++)
		if (net->b[i] & ~mask->b[i]) {
			char fixed[INET6_ADDRSTRLEN];
			struct pl_addr n = *net;

			for (unsigned j = 0; j < 16; j++)
				n.b[j] &= mask->b[j];
			inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (void *)n.b : (void *)&n.b[12], fixed,
				  sizeof(fixed));
			return pl_parse_fail(ps, "%s '%s' has bits set past the prefix length (did you mean %s/%lu?)",
					     what, s, fixed, plen);
		}
	*family = v6 ? 6 : 4;
	return 0;
}

/* One address (no prefix length, not "any"). */
int pl_parse_addr(struct pl_parse *ps, const char *s, const char *what, struct pl_addr *addr,
		  __u8 *family)
{
	struct pl_addr mask;

	if (s && (strchr(s, '/') || !strcmp(s, "any")))
		return pl_parse_fail(ps, "%s '%s' must be one address (e.g. 192.0.2.1 or 2001:db8::1)",
				     what, s);
	return pl_parse_prefix(ps, s, what, addr, &mask, family);
}

/* A MAC address. */
int pl_parse_mac(struct pl_parse *ps, const char *s, const char *what, __u8 mac[6])
{
	unsigned v[6];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			 &tail) != 6)
		return pl_parse_fail(ps, "%s '%s' is not a MAC address (e.g. 02:00:00:00:00:01)", what,
				     s ? s : "");
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)v[i];
	return 0;
}

/* "word [value]" options in any order, each once. */
int pl_parse_options(struct pl_parse *ps, int argc, char **argv, const struct pl_parse_opt *opts,
		     unsigned nopts, void *ctx)
{
	unsigned seen = 0;

	for (int i = 0; i < argc; i++) {
		unsigned j;
		int err;

		for (j = 0; j < nopts; j++)
			if (!strcmp(argv[i], opts[j].word))
				break;
		if (j == nopts) {
			char list[200] = "";
			size_t off = 0;

			for (unsigned k = 0; k < nopts && off < sizeof(list); k++)
				off += snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "",
						opts[k].word);
			return pl_parse_fail(ps, "unexpected '%s' (expected one of: %s; usage: %s)", argv[i],
					     list, ps->usage);
		}
		if (seen & (1u << j))
			return pl_parse_fail(ps, "'%s' given twice in one statement", opts[j].word);
		seen |= 1u << j;
		if (opts[j].nargs && i + 1 >= argc)
			return pl_parse_fail(ps, "'%s' needs a value (usage: %s)", opts[j].word, ps->usage);
		err = opts[j].fn(ps, ctx, opts[j].nargs ? argv[i + 1] : NULL);
		if (err)
			return err;
		i += opts[j].nargs;
	}
	return 0;
}

/* ---- the policy object ---- */

/* Free a policy; accepts NULL. */
void pl_policy_free(struct pl_policy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nstages; i++) {
		if (p->stage[i].st->free && p->stage[i].data)
			p->stage[i].st->free(p->stage[i].data);
		free(p->stage[i].data);
	}
	free(p->name);
	free(p);
}

/* A policy with defaults and one zeroed data block per stage, in the order
 * stages first appear in the keyword table. */
static struct pl_policy *policy_alloc(const char *name)
{
	struct pl_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name);
	if (!p->name)
		goto err_free;
	{
		const struct pl_config def = PL_CONFIG_DEFAULT;

		p->cfg = def;
	}
	for (size_t k = 0; k < NKEYWORDS; k++) {
		const struct pl_policy_stage *st = keywords[k].stage;
		unsigned i;

		for (i = 0; i < p->nstages; i++)
			if (p->stage[i].st == st)
				break;
		if (i < p->nstages)
			continue;
		if (p->nstages == PL_POLICY_STAGES_MAX)
			goto err_free;
		p->stage[i].st = st;
		p->stage[i].data = calloc(1, st->size ? st->size : 1);
		if (!p->stage[i].data)
			goto err_free;
		p->nstages++;
	}
	return p;
err_free:
	pl_policy_free(p);
	return NULL;
}

/* The data block of a stage. */
void *pl_policy_stage_data(const struct pl_policy *p, const struct pl_policy_stage *st)
{
	for (unsigned i = 0; i < p->nstages; i++)
		if (p->stage[i].st == st)
			return p->stage[i].data;
	return NULL;
}

/* Split a line into words; '#' starts a comment. Returns argc or -1 when
 * there are too many words. */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			return argc;
		if (argc == PL_POLICY_ARGS_MAX)
			return -1;
		argv[argc++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return argc;
		}
		if (*s)
			*s++ = '\0';
	}
}

/* Parse one statement. */
static int parse_line(struct pl_parse *ps, int argc, char **argv)
{
	char list[256] = "";
	size_t off = 0;

	for (size_t k = 0; k < NKEYWORDS; k++) {
		const struct pl_keyword *kw = &keywords[k];

		if (strcmp(argv[0], kw->word))
			continue;
		if ((kw->flags & PL_KW_ONCE) && ps->p->seen_line[k])
			return pl_parse_fail(ps, "'%s' already given at line %u (keep one)", kw->word,
					     ps->p->seen_line[k]);
		ps->p->seen_line[k] = ps->line;
		ps->usage = kw->usage;
		return kw->fn(ps, pl_policy_stage_data(ps->p, kw->stage), argc, argv);
	}
	for (size_t k = 0; k < NKEYWORDS && off < sizeof(list); k++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s", k ? ", " : "",
				keywords[k].word);
	return pl_parse_fail(ps, "unknown keyword '%s' (keywords: %s; see docs/policy.md)", argv[0],
			     list);
}

/* Parse and check a whole text. */
int pl_policy_parse_string(const char *text, const char *name, struct pl_policy **out,
			   struct pl_err *err)
{
	struct pl_parse ps = { .file = name ? name : "<policy>", .err = err };
	char line[PL_POLICY_LINE_MAX];
	char *argv[PL_POLICY_ARGS_MAX];
	const char *s = text;
	int ret = 0;

	*out = NULL;
	err->msg[0] = '\0';
	ps.p = policy_alloc(ps.file);
	if (!ps.p) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", ps.file);
		return -ENOMEM;
	}
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		int argc;

		ps.line++;
		if (n >= sizeof(line)) {
			ret = pl_parse_fail(&ps, "line longer than %d characters (split it)",
					    PL_POLICY_LINE_MAX - 1);
			goto err_free;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s += n + (nl ? 1 : 0);
		argc = split(line, argv);
		if (argc < 0) {
			ret = pl_parse_fail(&ps, "more than %d words on one line (split the statement)",
					    PL_POLICY_ARGS_MAX);
			goto err_free;
		}
		if (!argc)
			continue;
		ret = parse_line(&ps, argc, argv);
		if (ret)
			goto err_free;
	}
	ps.line = 0;
	ps.usage = NULL;
	for (unsigned i = 0; i < ps.p->nstages; i++) {
		const struct pl_policy_stage *st = ps.p->stage[i].st;

		if (st->finish) {
			ret = st->finish(&ps, ps.p->stage[i].data);
			if (ret)
				goto err_free;
		}
	}
	*out = ps.p;
	return 0;
err_free:
	pl_policy_free(ps.p);
	return ret;
}

/* Read a whole file and parse it. */
int pl_policy_parse_file(const char *path, struct pl_policy **out, struct pl_err *err)
{
	const size_t max = 4u << 20;
	size_t len = 0, cap = 1 << 14;
	char *buf;
	FILE *f;
	int ret;

	*out = NULL;
	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: cannot open: %s (check the path)", path,
			 strerror(-ret));
		return ret;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
		goto err_close;
	}
	for (;;) {
		size_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= max) {
				ret = -EFBIG;
				snprintf(err->msg, sizeof(err->msg),
					 "%s: larger than %zu MiB (is this a policy file?)", path, max >> 20);
				goto err_free;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				snprintf(err->msg, sizeof(err->msg), "%s: out of memory", path);
				goto err_free;
			}
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - 1 - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err->msg, sizeof(err->msg), "%s: read error", path);
		goto err_free;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		ret = -EINVAL;
		snprintf(err->msg, sizeof(err->msg), "%s: contains NUL bytes (is this a text file?)", path);
		goto err_free;
	}
	ret = pl_policy_parse_string(buf, path, out, err);
err_free:
	free(buf);
err_close:
	fclose(f);
	return ret;
}

/* The configuration the policy sets. */
const struct pl_config *pl_policy_config(const struct pl_policy *p)
{
	return &p->cfg;
}

/* The file name the policy was parsed from. */
const char *pl_policy_name(const struct pl_policy *p)
{
	return p->name;
}

/* One line describing the policy: mode, defaults and each stage's summary. */
void pl_policy_summary(const struct pl_policy *p, char *buf, size_t len)
{
	size_t off;

	if (!len)
		return;
	snprintf(buf, len, "mode=%s malformed=%s default=%s", pl_mode_name(p->cfg.mode),
		 pl_verdict_name(p->cfg.malformed_verdict), pl_verdict_name(p->cfg.default_verdict));
	for (unsigned i = 0; i < p->nstages; i++) {
		off = strlen(buf);
		if (p->stage[i].st->summary && off + 2 < len) {
			buf[off++] = ' ';
			buf[off] = '\0';
			p->stage[i].st->summary(p->stage[i].data, buf + off, len - off);
			if (!buf[off])
				buf[off - 1] = '\0';
		}
	}
}
