// SPDX-License-Identifier: MIT
/* The stage keywords through libpathlab-ctl into the user-space core:
 * parse, apply, read the tables back; and the errors naming file:line. */
#define PL_CHECK_MAIN
#include "stages_test.h"
#include "stages/ratelimit.h"
#include "stages/synguard.h"
#include "pl_user.h"
#include "pl_ctl.h"

static const char *good =
	"ratelimit pps 1000 burst 50 bytes 100000 prefix4 24\n"
	"synguard per-source 10 20 global 100 200\n"
	"responder listen any-destination\n"
	"responder listen fd00::2 80\n"
	"responder listen 10.0.0.2 80\n"
	"responder key 000102030405060708090a0b0c0d0e0f\n"
	"route /v 200 text/plain version one two\n"
	"route unknown 404 text/html gone\n"
	"lb service web 10.0.0.100 80 tcp mode nat size 251\n"
	"lb backend web 10.0.1.2 port 8080 weight 2 mac 02:00:00:00:00:01\n"
	"lb backend web 10.0.2.2 port 8080 state draining\n";

/* Parse text; returns the error message or NULL. */
static const char *parse_err(const char *text)
{
	static struct pl_err err;
	struct pl_policy *p = NULL;
	int e = pl_policy_parse_string(text, "t.policy", &p, &err);

	pl_policy_free(p);
	return e ? err.msg : NULL;
}

int main(int argc, char **argv)
{
	struct pl_policy *p = NULL;
	struct pl_err err;
	struct pl_ctl *ctl;
	__u32 zero = 0;

	if (pl_core_init(1)) {
		fprintf(stderr, "pl_core_init failed\n");
		return 1;
	}
	ctl = pl_ctl_open_user();
	CHECK(ctl != NULL, "user backend");
	CHECK(pl_policy_parse_string(good, "t.policy", &p, &err) == 0, "%s", err.msg);
	if (p && ctl) {
		struct pl_rl_params *rl;
		struct pl_syn_params *sp;
		struct pl_resp_params *rp;
		struct pl_resp_listen_key lk = { .port = 8080 };
		struct pl_resp_path k;
		struct pl_resp_route *r;
		struct pl_lb_svc_key sk = { .port = 80, .proto = IPPROTO_TCP, .family = 4 };
		struct pl_lb_svc *s;
		struct pl_lb_backend *b;
		__u32 id = 1, ones = 0;
		const struct pl_config *cfg = pl_policy_config(p);

		CHECK(cfg->rl_enabled && cfg->syn_enabled && cfg->resp_enabled && cfg->lb_enabled,
		      "switches");
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		rl = pl_table_lookup(&pl_rl_params, &zero);
		CHECK(rl && rl->pps.rate == 1000 && rl->pps.burst == 50 && rl->bps.rate == 100000 &&
		      rl->prefix4 == 24 && rl->prefix6 == 128, "ratelimit params");
		sp = pl_table_lookup(&pl_syn_params, &zero);
		CHECK(sp && sp->per_src.rate == 10 && sp->global.burst == 200, "synguard params");
		rp = pl_table_lookup(&pl_resp_params, &zero);
		CHECK(rp && rp->key[0] == 0x0001020304050607ull && rp->key[1] == 0x08090a0b0c0d0e0full,
		      "cookie key");
		CHECK(pl_table_lookup(&pl_resp_listen, &lk) != NULL, "listen any-destination:8080");
		{
			struct pl_resp_listen_key k4 = { .port = 80, .family = 4 };
			struct pl_resp_listen_key k6 = { .port = 80, .family = 6 };

			pl_addr_set_v4(&k4.addr, htonl(0x0a000002));
			CHECK(pl_table_lookup(&pl_resp_listen, &k4) != NULL, "listen 10.0.0.2:80, family 4");
			k4.family = 6; /* the same bytes as ::ffff:10.0.0.2 */
			CHECK(pl_table_lookup(&pl_resp_listen, &k4) == NULL, "no v4-mapped alias");
			inet_pton(AF_INET6, "fd00::2", k6.addr.b);
			CHECK(pl_table_lookup(&pl_resp_listen, &k6) != NULL, "listen fd00::2:80, family 6");
		}
		pl_resp_path_key(&k, "/v");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "\r\n\r\nversion one two"), "route /v");
		pl_resp_path_key(&k, "/api");
		CHECK(pl_table_lookup(&pl_resp_routes, &k) != NULL, "default /api kept");
		pl_resp_path_key(&k, "#400");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "400 Bad Request"), "default 400 route");
		pl_resp_path_key(&k, "#404");
		r = pl_table_lookup(&pl_resp_routes, &k);
		CHECK(r && strstr((char *)r->data, "404 Not Found") && strstr((char *)r->data, "gone"),
		      "404 route replaced");
		pl_addr_set_v4(&sk.vip, htonl(0x0a000064));
		s = pl_table_lookup(&pl_lb_services, &sk);
		CHECK(s && s->mode == PL_LB_NAT && s->ring_size == 251 && s->id == 0, "service");
		b = pl_table_lookup(&pl_lb_backends, &id);
		CHECK(b && b->state == PL_LB_DRAINING && b->port == 8080, "backend 1 draining");
		for (__u32 i = 0; i < 251; i++) {
			__u32 *e = pl_table_lookup(&pl_lb_ring, &i);

			ones += e && *e == 1;
		}
		CHECK(ones == 251, "ring: only the up backend (%u of 251)", ones);
		pl_policy_free(p);
		/* an empty policy turns them all off and empties the tables */
		p = NULL;
		CHECK(pl_policy_parse_string("mode policy\n", "e.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply empty: %s", err.msg);
		CHECK(pl_table_lookup(&pl_lb_services, &sk) == NULL, "service removed");
		CHECK(pl_table_lookup(&pl_resp_listen, &lk) == NULL, "listen removed");
	}
	pl_policy_free(p);

	/* a reload swapping a full set of services (and NAT backends) for
	 * another full set: old and new entries coexist until the old ones
	 * are removed */
	if (ctl) {
		char *txt[2];

		for (int v = 0; v < 2; v++) {
			size_t cap = 64 * 1024, o = 0;

			txt[v] = malloc(cap);
			for (int i = 0; i < PL_LB_SVC_MAX; i++) {
				o += (size_t)snprintf(txt[v] + o, cap - o, "lb service s%d 10.%d.0.%d 80 tcp mode nat size 13\n",
						      i, 60 + v, i + 1);
				for (int j = 0; j < PL_LB_BACKEND_MAX / PL_LB_SVC_MAX; j++)
					o += (size_t)snprintf(txt[v] + o, cap - o, "lb backend s%d 10.%d.%d.%d port 80\n", i,
							      70 + v, i, j + 1);
			}
		}
		for (int round = 0; round < 3; round++) {
			p = NULL;
			CHECK(pl_policy_parse_string(txt[round & 1], "full.policy", &p, &err) == 0, "%s", err.msg);
			CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "full swap %d: %s", round, err.msg);
			pl_policy_free(p);
		}
		free(txt[0]);
		free(txt[1]);
	}

	/* a backend line deleted by a reload: its id is set down (its known
	 * flows are placed again), not left up */
	if (ctl) {
		__u32 id1 = 1;
		struct pl_lb_backend *b1;

		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\nlb backend w 10.0.1.1\n"
					     "lb backend w 10.0.1.2\n", "d.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		b1 = pl_table_lookup(&pl_lb_backends, &id1);
		CHECK(b1 && b1->state == PL_LB_UP, "backend 1 up");
		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\nlb backend w 10.0.1.1\n",
					     "d.policy", &p, &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		pl_policy_free(p);
		b1 = pl_table_lookup(&pl_lb_backends, &id1);
		CHECK(b1 && b1->state == PL_LB_DOWN, "deleted backend 1 is down (state %d)", b1 ? b1->state : -1);
	}

	/* the LB flow hash seed: the policy's; without one, the datapath's
	 * current seed is kept; on a fresh datapath, a random one */
	if (ctl) {
		struct pl_config *c;
		__u32 kept;

		p = NULL;
		CHECK(pl_policy_parse_string("lb seed 4242\nlb service w 10.0.0.1 80 tcp size 13\n", "s.policy", &p,
					     &err) == 0, "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply seed: %s", err.msg);
		pl_policy_free(p);
		c = pl_table_lookup(&pl_config, &zero);
		CHECK(c && c->lb_seed == 4242, "lb seed 4242 -> %u", c ? c->lb_seed : 0);
		p = NULL;
		CHECK(pl_policy_parse_string("lb service w 10.0.0.1 80 tcp size 13\n", "s.policy", &p, &err) == 0,
		      "%s", err.msg);
		CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		c = pl_table_lookup(&pl_config, &zero);
		CHECK(c && c->lb_seed == 4242, "reload without a seed keeps 4242 (%u)", c ? c->lb_seed : 0);
		c->lb_seed = 0; /* a fresh datapath */
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		kept = c->lb_seed;
		CHECK(kept != 0, "a fresh datapath gets a random seed");
		c->lb_seed = 0;
		CHECK(pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "apply: %s", err.msg);
		CHECK(c->lb_seed != 0 && c->lb_seed != kept, "and another one next time (%u, %u)", kept, c->lb_seed);
		pl_policy_free(p);
	}

	/* errors name file:line and what is wrong */
	{
		static const struct { const char *text, *want; } bad[] = {
			{ "lb service w 10.0.0.1 80 tcp size 100\n", "t.policy:1: Maglev table size 100 is not prime" },
			{ "lb backend w 10.0.0.1\n", "t.policy:1: unknown service 'w'" },
			{ "lb service w 10.0.0.1 80 tcp\nlb backend w fd00::1\n", "t.policy:2: backend must be IPv4" },
			{ "lb service w 10.0.0.1 80 tcp mode ipip\n", "needs 'encap-src" },
			{ "lb seed 0\n", "t.policy:1:" },
			{ "lb seed 1\nlb seed 2\n", "t.policy:2: lb seed already given at line 1" },
			{ "lb service a 10.0.0.1 80 tcp mode nat\nlb service b 10.0.0.2 80 tcp mode nat\n"
			  "lb backend a 10.0.1.1 port 8080\nlb backend b 10.0.1.1 port 8080\n",
			  "t.policy:4: NAT backend 10.0.1.1 port 8080 tcp is already a backend of NAT service a (line 3)" },
			{ "lb service a 10.0.0.1 80 udp mode nat\nlb service b 10.0.0.2 53 udp mode nat\n"
			  "lb backend a 10.0.1.1 port 53\nlb backend b 10.0.1.1\n",
			  "t.policy:4: NAT backend 10.0.1.1 port 53 udp" },
			{ "ratelimit burst 5\n", "t.policy:1: ratelimit needs 'pps N'" },
			{ "ratelimit pps 1\nratelimit pps 2\n", "t.policy:2:" },
			{ "synguard\n", "synguard needs" },
			{ "route api 200 text/plain x\n", "must start with '/'" },
			{ "responder key 1234\n", "32 hex digits" },
			{ "responder listen any-destination 70000\n", "t.policy:1:" },
			{ "responder listen any 80\n", "t.policy:1: responder listen 'any' is ambiguous" },
			{ "responder listen any\n", "write 'any-destination'" },
			{ "route bad 400 text/plain x\n", "or 'bad-request'" },
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *m = parse_err(bad[i].text);

			CHECK(m && strstr(m, bad[i].want), "'%s' -> '%s' (want '%s')", bad[i].text,
			      m ? m : "accepted", bad[i].want);
		}
	}
	/* the examples parse and apply */
	for (int i = 1; i < argc && ctl; i++) {
		static const char *const ex[] = { "responder.policy", "lb.policy", "ratelimit.policy" };

		for (size_t j = 0; j < sizeof(ex) / sizeof(ex[0]); j++) {
			char path[512];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ex[j]);
			p = NULL;
			CHECK(pl_policy_parse_file(path, &p, &err) == 0, "%s", err.msg);
			CHECK(p && pl_policy_apply(ctl, p, NULL, NULL, &err) == 0, "%s: %s", path, err.msg);
			pl_policy_free(p);
		}
	}
	pl_ctl_close(ctl);
	pl_core_fini();
	return pl_check_done("stages-policy");
}
