/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: frames placed against a guard page, the
 * user-space core driven through pl_core_process(), tables written with
 * pl_table_find()/pl_table_update(). */
#ifndef PL_TUNIT_H
#define PL_TUNIT_H

#include "pl_parse.h" /* first: brings pl_platform.h (netinet/in.h) */
#include "pl_csum.h"
#include "pl_stages.h" /* stage structs; tables only declared here */
#include "pl_user.h"
#include "pl_pkt.h"
#include "pl_check.h"

#define TU_WORKERS 2

/* Copy len bytes so that they end exactly where an inaccessible page
 * begins: any read past the frame faults (in every build, ASan or not). */
uint8_t *tu_place(const void *frame, uint32_t len);
/* Fresh core: every table reallocated (zero), default configuration. */
void tu_reset(void);
/* The live configuration (a pointer into the pl_config table). */
struct pl_config *tu_cfg(void);
/* Counter c summed over every worker. */
uint64_t tu_cnt(enum pl_counter c);
/* Run the frame through pl_core_process() as worker `worker`, received on
 * ifindex; the frame after processing is left in *out (if given). */
int tu_run_on(const void *frame, uint32_t len, unsigned worker, uint32_t ifindex,
	      uint32_t *out_port, uint8_t **out);
int tu_run(const struct pl_pkt *p);

/* ACL rules: an any-match rule, then narrow it. */
struct pl_acl_rule tu_rule(enum pl_acl_action action);
void tu_rule_src4(struct pl_acl_rule *r, uint32_t addr, unsigned plen);
void tu_rule_dst4(struct pl_acl_rule *r, uint32_t addr, unsigned plen);
void tu_rule_src6(struct pl_acl_rule *r, const uint8_t addr[16], unsigned plen);
void tu_rule_dst6(struct pl_acl_rule *r, const uint8_t addr[16], unsigned plen);
/* Write the rule set into the idle bank and make it live. */
void tu_acl(const struct pl_acl_rule *rules, unsigned n);
/* Steer (proto, port) to verdict. */
void tu_steer(uint8_t proto, uint16_t port, enum pl_verdict v);

/* Standard frames used across tests. */
void tu_v4_tcp(struct pl_pkt *p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport);
void tu_v4_udp(struct pl_pkt *p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport);
void tu_v6_tcp(struct pl_pkt *p, const uint8_t s[16], const uint8_t d[16], uint16_t sport,
	       uint16_t dport);
void tu_v6_udp(struct pl_pkt *p, const uint8_t s[16], const uint8_t d[16], uint16_t sport,
	       uint16_t dport);
extern const uint8_t TU_V6_A[16], TU_V6_B[16], TU_V6_C[16];
#define TU_V4_A PL_PKT_IP4(10, 0, 0, 1)
#define TU_V4_B PL_PKT_IP4(10, 0, 0, 2)
#define TU_V4_C PL_PKT_IP4(192, 168, 7, 9)

/* The test groups (one file each). */
void test_parse(void);
void test_malformed(void);
void test_csum(void);
void test_stages(void);
void test_tables(void);

#endif
