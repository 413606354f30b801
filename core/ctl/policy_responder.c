// SPDX-License-Identifier: MIT
/* Policy keywords of the responder stage:
 *   responder listen ADDR|any-destination [PORT]   (PORT defaults to 8080; repeatable)
 *   responder key HEX32                   (cookie key; see below)
 *   route PATH|unknown|method|bad-request STATUS TYPE BODY...
 * The responder is on when there is at least one listen statement. The
 * datapath does not know the DUT's own addresses: any-destination answers
 * for every destination address (transit traffic too), and says so; the
 * bare word "any" is refused. Routes not given keep their defaults:
 * / "Hello from XDP!", /api {"status":"ok"}, /health OK, unknown (404)
 * "Not Found", method (405) "Method Not Allowed", bad-request (400, a
 * request line with no delimiter after the path) "Bad Request".
 * BODY is the rest of the line, words joined by one space.
 * The cookie key outlives reloads: a policy that names no key keeps the one
 * the datapath already has (a random one is drawn only when it has none),
 * and a policy naming a new key keeps the replaced one as the previous key,
 * which the data path still accepts, so no reload resets handshakes in
 * flight. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "policy_int.h"
#include "stages/responder.h"

struct resp_rt {
	struct pl_resp_path k;
	unsigned status;
	char ctype[64];
	char body[PL_RESP_MAX];
	unsigned line;
};

struct resp_data {
	unsigned nlisten;
	struct { struct pl_resp_listen_key k; unsigned line; } listen[PL_RESP_LISTEN_MAX];
	int have_key;
	struct pl_resp_params params;
	unsigned nroutes;
	struct resp_rt route[PL_RESP_ROUTES_MAX];
};

static const struct { const char *path; unsigned status; const char *ctype, *body; } resp_defaults[] = {
	{ "/", 200, "text/plain", "Hello from XDP!" },
	{ "/api", 200, "application/json", "{\"status\":\"ok\"}" },
	{ "/health", 200, "text/plain", "OK" },
	{ "#404", 404, "text/plain", "Not Found" },
	{ "#405", 405, "text/plain", "Method Not Allowed" },
	{ "#400", 400, "text/plain", "Bad Request" },
};
#define RESP_NDEFAULTS (sizeof(resp_defaults) / sizeof(resp_defaults[0]))

/* responder listen ADDR|any-destination [PORT] | responder key HEX32 */
int pl_kw_responder(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct resp_data *d = data;

	if (argc >= 3 && !strcmp(argv[1], "listen") && argc <= 4) {
		struct pl_resp_listen_key k = { .port = PL_RESP_DEFAULT_PORT };
		unsigned long port;
		__u8 fam;

		if (!strcmp(argv[2], "any"))
			return pl_parse_fail(ps, "responder listen 'any' is ambiguous: the datapath does not know "
					     "the DUT's own addresses; list them (responder listen ADDR PORT), or write "
					     "'any-destination' to answer for every destination address, transit "
					     "traffic included");
		if (strcmp(argv[2], "any-destination")) {
			if (pl_parse_addr(ps, argv[2], "responder address", &k.addr, &fam))
				return -EINVAL;
			k.family = fam;
		}
		if (argc == 4) {
			if (pl_parse_uint(ps, argv[3], 1, 65535, "responder port", &port))
				return -EINVAL;
			k.port = (__u16)port;
		}
		for (unsigned i = 0; i < d->nlisten; i++)
			if (!memcmp(&d->listen[i].k, &k, sizeof(k)))
				return pl_parse_fail(ps, "%s port %u already listed at line %u", argv[2],
						     k.port, d->listen[i].line);
		if (d->nlisten >= PL_RESP_LISTEN_MAX)
			return pl_parse_fail(ps, "more than %d responder listen statements",
					     PL_RESP_LISTEN_MAX);
		d->listen[d->nlisten].k = k;
		d->listen[d->nlisten++].line = ps->line;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "key")) {
		char hex[17] = "";

		if (strlen(argv[2]) != 32 || strspn(argv[2], "0123456789abcdefABCDEF") != 32)
			return pl_parse_fail(ps, "responder key must be 32 hex digits (128 bits)");
		memcpy(hex, argv[2], 16);
		d->params.key[0] = strtoull(hex, NULL, 16);
		d->params.key[1] = strtoull(argv[2] + 16, NULL, 16);
		d->have_key = 1;
		return 0;
	}
	return pl_parse_fail(ps, "usage: %s", ps->usage);
}

/* route PATH|unknown|method STATUS TYPE BODY... (policy_route.c hands the
 * responder's form of the keyword here) */
int pl_kw_resp_route(struct pl_parse *ps, void *data, int argc, char **argv)
{
	struct resp_data *d = data;
	struct resp_rt r = { .line = ps->line };
	struct pl_resp_route probe;
	const char *path = argv[1];
	unsigned long status;
	size_t off = 0;

	if (argc < 4)
		return pl_parse_fail(ps, "route takes a path, a status, a content type and a body (usage: %s)",
				     ps->usage);
	if (!strcmp(path, "unknown"))
		path = "#404";
	else if (!strcmp(path, "method"))
		path = "#405";
	else if (!strcmp(path, "bad-request"))
		path = "#400";
	else if (path[0] != '/')
		return pl_parse_fail(ps, "route path '%s' must start with '/' (or be 'unknown', 'method' or 'bad-request')",
				     path);
	if (pl_resp_path_key(&r.k, path))
		return pl_parse_fail(ps, "route path longer than %d characters", PL_RESP_PATH_MAX - 1);
	if (pl_parse_uint(ps, argv[2], 100, 599, "HTTP status", &status))
		return -EINVAL;
	r.status = (unsigned)status;
	if (strlen(argv[3]) >= sizeof(r.ctype))
		return pl_parse_fail(ps, "content type longer than %zu characters", sizeof(r.ctype) - 1);
	strcpy(r.ctype, argv[3]);
	for (int i = 4; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (off + n + 2 > sizeof(r.body))
			return pl_parse_fail(ps, "route body too long");
		if (i > 4)
			r.body[off++] = ' ';
		memcpy(r.body + off, argv[i], n);
		off += n;
	}
	if (pl_resp_route_make(&probe, r.status, r.ctype, r.body, off))
		return pl_parse_fail(ps, "response (headers + body) over %d bytes: shorten the body",
				     PL_RESP_MAX);
	for (unsigned i = 0; i < d->nroutes; i++)
		if (!memcmp(&d->route[i].k, &r.k, sizeof(r.k)))
			return pl_parse_fail(ps, "route %s already given at line %u", argv[1],
					     d->route[i].line);
	if (d->nroutes >= PL_RESP_ROUTES_MAX - RESP_NDEFAULTS)
		return pl_parse_fail(ps, "more than %zu routes", PL_RESP_ROUTES_MAX - RESP_NDEFAULTS);
	d->route[d->nroutes++] = r;
	return 0;
}

/* Defaults for routes not given, a key when none was given, the switch. */
static int resp_finish(struct pl_parse *ps, void *data)
{
	struct resp_data *d = data;

	for (size_t i = 0; i < RESP_NDEFAULTS; i++) {
		struct resp_rt r = { .status = resp_defaults[i].status };
		unsigned j;

		pl_resp_path_key(&r.k, resp_defaults[i].path);
		for (j = 0; j < d->nroutes; j++)
			if (!memcmp(&d->route[j].k, &r.k, sizeof(r.k)))
				break;
		if (j < d->nroutes)
			continue;
		strcpy(r.ctype, resp_defaults[i].ctype);
		strcpy(r.body, resp_defaults[i].body);
		d->route[d->nroutes++] = r;
	}
	if (!d->have_key && getrandom(d->params.key, sizeof(d->params.key), 0) !=
				    (ssize_t)sizeof(d->params.key))
		return pl_parse_fail(ps, "cannot draw a random cookie key: %s (give 'responder key HEX32')",
				     strerror(errno));
	pl_parse_cfg(ps)->resp_enabled = d->nlisten > 0;
	return 0;
}

/* The cookie keys to install: the policy's own key, or the live one when
 * the policy names none; a replaced live key becomes the previous key. */
static void resp_keys(struct pl_apply *a, const struct resp_data *d, struct pl_resp_params *out)
{
	struct pl_resp_params live;
	__u32 zero = 0;

	*out = d->params;
	if (pl_ctl_lookup(a->c, "pl_resp_params", &zero, &live) || !(live.key[0] | live.key[1]))
		return; /* nothing live: the key drawn (or named) at parse time */
	if (!d->have_key) {
		memcpy(out->key, live.key, sizeof(out->key));
		memcpy(out->prev_key, live.prev_key, sizeof(out->prev_key));
	} else if (memcmp(out->key, live.key, sizeof(out->key))) {
		memcpy(out->prev_key, live.key, sizeof(out->prev_key));
	} else {
		memcpy(out->prev_key, live.prev_key, sizeof(out->prev_key));
	}
}

static int resp_prepare(struct pl_apply *a, const void *data)
{
	const struct resp_data *d = data;
	struct pl_resp_params params;
	__u32 zero = 0, one = 1;
	int err = 0;

	for (unsigned i = 0; i < d->nlisten && !err; i++)
		err = pl_apply_put(a, "pl_resp_listen", &d->listen[i].k, sizeof(d->listen[i].k), &one,
				   sizeof(one), d->listen[i].line);
	for (unsigned i = 0; i < d->nroutes && d->nlisten && !err; i++) {
		const struct resp_rt *r = &d->route[i];
		struct pl_resp_route v;

		pl_resp_route_make(&v, r->status, r->ctype, r->body, strlen(r->body));
		v.id = (__u16)i;
		err = pl_apply_put(a, "pl_resp_routes", &r->k, sizeof(r->k), &v, sizeof(v), r->line);
	}
	if (!err && d->nlisten) {
		resp_keys(a, d, &params);
		err = pl_apply_put(a, "pl_resp_params", &zero, sizeof(zero), &params,
				   sizeof(params), 0);
	}
	if (!err)
		err = pl_apply_sync(a, "pl_resp_listen", sizeof(struct pl_resp_listen_key), sizeof(__u32));
	if (!err)
		err = pl_apply_sync(a, "pl_resp_routes", sizeof(struct pl_resp_path),
				    sizeof(struct pl_resp_route));
	return err;
}

static void resp_summary(const void *data, char *buf, size_t len)
{
	const struct resp_data *d = data;

	if (d->nlisten)
		snprintf(buf, len, "responder=%u listen,%u routes", d->nlisten, d->nroutes);
	else
		buf[0] = '\0';
}

const struct pl_policy_stage pl_policy_stage_responder = {
	.name = "responder",
	.size = sizeof(struct resp_data),
	.finish = resp_finish,
	.prepare = resp_prepare,
	.summary = resp_summary,
};
