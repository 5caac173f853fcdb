/*
 * Unit tests for the neighbour table (dataplane/neigh.c): states, probe retries,
 * failure and hold-down, aging, tombstones, capacity. Time is a synthetic TSC with
 * 1000 ticks per second, so every transition is exact. Needs EAL (rte_zmalloc,
 * mbufs) in --no-huge mode; exits 77 when EAL cannot start.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "hl_test.h"
#include "hotline/common.h"
#include "hotline/neigh.h"

#define HZ 1000ull /* synthetic: 1 tick = 1 ms */

static struct rte_mempool *pool;

static void
key(uint8_t k[16], uint8_t last)
{
	hl_neigh_key4(k, 0x0000000a | ((uint32_t)last << 24)); /* 10.0.0.<last>, big endian */
}

static const struct rte_ether_addr mac1 = {{0x02, 0, 0, 0, 0, 1}};
static const struct rte_ether_addr mac2 = {{0x02, 0, 0, 0, 0, 2}};

/* Maintenance over the whole table at time now. */
static unsigned int
maintain(struct hl_neigh_table *t, uint64_t now, struct hl_neigh_probe *pr, unsigned int *nd,
	struct rte_mbuf **dropped)
{
	return hl_neigh_maintain(t, now, 64, pr, 8, dropped, 64, nd);
}

HL_TEST(key4_is_v4_mapped)
{
	uint8_t k[16];
	static const uint8_t want[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 7};
	key(k, 7);
	HL_CHECK_MEM(k, want, 16);
}

HL_TEST(resolution_probes_three_times_then_fails_and_holds_down)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct hl_neigh_probe pr[8];
	struct rte_mbuf *dropped[64], *m[9];
	struct rte_ether_addr mac;
	unsigned int nd;
	bool probe;
	uint8_t k[16];

	key(k, 5);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);
	for (int i = 0; i < 9; i++)
		m[i] = rte_pktmbuf_alloc(pool);
	HL_CHECK_INT(hl_neigh_queue(t, 0, k, m[0], 0, &probe, &mac), 0);
	HL_CHECK(probe); /* the first packet asks for the first probe */
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -EAGAIN);
	for (int i = 1; i < HL_NEIGH_PENDING; i++) {
		HL_CHECK_INT(hl_neigh_queue(t, 0, k, m[i], 10, &probe, &mac), 0);
		HL_CHECK(!probe);
	}
	HL_CHECK_INT(hl_neigh_queue(t, 0, k, m[8], 20, &probe, &mac), -ENOSPC);
	rte_pktmbuf_free(m[8]);

	/* RFC 4861 §7.3.3 in spirit: a probe a second, three in all. */
	HL_CHECK_INT(maintain(t, 999, pr, &nd, dropped), 0);
	HL_CHECK_INT(maintain(t, 1000, pr, &nd, dropped), 1);
	HL_CHECK_MEM(pr[0].ip, k, 16);
	HL_CHECK_INT(maintain(t, 1500, pr, &nd, dropped), 0);
	HL_CHECK_INT(maintain(t, 2000, pr, &nd, dropped), 1);
	HL_CHECK_INT(nd, 0);
	/* no answer to the third: failed, and the waiting packets handed back */
	HL_CHECK_INT(maintain(t, 3000, pr, &nd, dropped), 0);
	HL_CHECK_INT(nd, HL_NEIGH_PENDING);
	rte_pktmbuf_free_bulk(dropped, nd);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -EHOSTUNREACH);
	/* hold-down: new packets are refused (20 s), then resolution starts again */
	struct rte_mbuf *x = rte_pktmbuf_alloc(pool);
	HL_CHECK_INT(hl_neigh_queue(t, 0, k, x, 3000 + 19999, &probe, &mac), -EHOSTUNREACH);
	HL_CHECK_INT(hl_neigh_queue(t, 0, k, x, 3000 + 20000, &probe, &mac), 0);
	HL_CHECK(probe);
	hl_neigh_free(t); /* frees the queued mbuf */
}

HL_TEST(learning_releases_waiting_packets)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct rte_mbuf *out[HL_NEIGH_PENDING], *a = rte_pktmbuf_alloc(pool),
					      *b = rte_pktmbuf_alloc(pool);
	struct rte_ether_addr mac;
	bool probe, created;
	uint8_t k[16];

	key(k, 9);
	HL_CHECK_INT(hl_neigh_queue(t, 1, k, a, 0, &probe, &mac), 0);
	HL_CHECK_INT(hl_neigh_queue(t, 1, k, b, 0, &probe, &mac), 0);
	/* the same address on another port is another neighbour */
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, false, 5, out, &created), 0);
	HL_CHECK(!created);
	HL_CHECK_INT(hl_neigh_learn(t, 1, k, &mac1, false, 5, out, &created), 2);
	HL_CHECK(!created);
	HL_CHECK(out[0] == a && out[1] == b);
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);
	HL_CHECK_INT(hl_neigh_lookup(t, 1, k, &mac), 0);
	HL_CHECK_MEM(&mac, &mac1, 6);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);
	/* a later answer with a new MAC overrides (RFC 826 merge) */
	HL_CHECK_INT(hl_neigh_learn(t, 1, k, &mac2, false, 6, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup(t, 1, k, &mac), 0);
	HL_CHECK_MEM(&mac, &mac2, 6);
	hl_neigh_free(t);
}

HL_TEST(unsolicited_answers_create_nothing)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct rte_mbuf *out[HL_NEIGH_PENDING];
	struct rte_ether_addr mac;
	bool created;
	uint8_t k[16];

	key(k, 3);
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, false, 0, out, &created), 0);
	HL_CHECK(!created);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, true, 0, out, &created), 0);
	HL_CHECK(created);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	hl_neigh_free(t);
}

HL_TEST(reachable_goes_stale_refreshes_and_is_collected)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct hl_neigh_probe pr[8];
	struct rte_mbuf *out[HL_NEIGH_PENDING], *dropped[64];
	struct rte_ether_addr mac;
	unsigned int nd;
	uint8_t k[16];

	key(k, 4);
	hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL);
	maintain(t, 29999, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	maintain(t, 30000, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1); /* stale: still used */
	HL_CHECK_MEM(&mac, &mac1, 6);
	HL_CHECK(hl_neigh_refresh(t, 0, k, 30000));      /* one refresh probe ... */
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 30500));     /* ... a second at most */
	HL_CHECK(hl_neigh_refresh(t, 0, k, 31000));
	hl_neigh_learn(t, 0, k, &mac1, false, 31100, out, NULL); /* confirmed again */
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 32000));
	/* unconfirmed for ten minutes: removed */
	maintain(t, 31100 + 30000, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	maintain(t, 31100 + 600000, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);
	hl_neigh_free(t);
}

HL_TEST(stale_neighbour_that_stops_answering_is_dropped_after_three_probes)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct hl_neigh_probe pr[8];
	struct rte_mbuf *out[HL_NEIGH_PENDING], *dropped[64];
	struct rte_ether_addr mac;
	unsigned int nd;
	uint8_t k[16];

	key(k, 5);
	hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL);
	maintain(t, 30000, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	/* In use: a probe a second, none answered. */
	HL_CHECK(hl_neigh_refresh(t, 0, k, 30000));
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 30999));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 31000));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 32000));
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1); /* still used meanwhile */
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 33000));     /* the third went unanswered */
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);
	/* An answer before the end keeps it: REACHABLE, count reset. */
	hl_neigh_learn(t, 0, k, &mac1, true, 40000, out, NULL);
	maintain(t, 70000, pr, &nd, dropped);
	HL_CHECK(hl_neigh_refresh(t, 0, k, 70000));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 71000));
	hl_neigh_learn(t, 0, k, &mac1, false, 71500, out, NULL);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	maintain(t, 101500, pr, &nd, dropped);
	HL_CHECK(hl_neigh_refresh(t, 0, k, 101500));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 102500));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 103500));
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	hl_neigh_free(t);
}

/* NS and NA flags as net.c passes them (RFC 4861 §7.2.3, §7.2.5). */
#define NS (HL_NEIGH_F_CREATE | HL_NEIGH_F_OVERRIDE)
#define NA_S HL_NEIGH_F_CONFIRM
#define NA_O HL_NEIGH_F_OVERRIDE
#define NA_SO (HL_NEIGH_F_CONFIRM | HL_NEIGH_F_OVERRIDE)

/* §7.2.3: a solicitation's source address makes a STALE entry, usable at once and
 * first probed DELAY_FIRST_PROBE_TIME (5 s) later; the same address again changes
 * nothing, a new one is taken STALE; only a solicited advertisement confirms. */
HL_TEST(solicitation_learns_stale)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct rte_mbuf *out[HL_NEIGH_PENDING], *a = rte_pktmbuf_alloc(pool);
	struct rte_ether_addr mac;
	struct hl_neigh_hint h = {0};
	bool created, probe;
	uint8_t k[16], q[16];

	key(k, 11);
	HL_CHECK_INT(hl_neigh_update(t, 0, k, &mac1, NS, 1000, out, &created), 0);
	HL_CHECK(created);
	HL_CHECK_INT(hl_neigh_lookup_hint(t, 0, k, &mac, &h), 1); /* stale: sent to */
	HL_CHECK_MEM(&mac, &mac1, 6);
	HL_CHECK(!hl_neigh_hint_valid(&h)); /* no hint for a stale entry */
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 1000));
	HL_CHECK_INT(hl_neigh_update(t, 0, k, &mac1, NS, 3000, out, &created), 0);
	HL_CHECK(!created);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 5999)); /* the same address kept the delay */
	HL_CHECK(hl_neigh_refresh(t, 0, k, 6000));
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 6999));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 7000));
	/* the probe is answered: REACHABLE, and a sender may keep a hint */
	HL_CHECK_INT(hl_neigh_update(t, 0, k, &mac1, NA_SO, 7100, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup_hint(t, 0, k, &mac, &h), 0);
	HL_CHECK(hl_neigh_hint_valid(&h));
	/* the same address in an NS keeps REACHABLE, and the hint */
	HL_CHECK_INT(hl_neigh_update(t, 0, k, &mac1, NS, 8000, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	HL_CHECK(hl_neigh_hint_valid(&h));
	/* ... and does not extend it: stale 30 s after the confirmation */
	struct hl_neigh_probe pr[8];
	struct rte_mbuf *dropped[64];
	unsigned int nd;
	maintain(t, 7100 + 30000, pr, &nd, dropped);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	HL_CHECK(!hl_neigh_hint_valid(&h));
	/* a new address: taken, STALE, the count reset, probed after the delay */
	HL_CHECK(hl_neigh_refresh(t, 0, k, 37100));
	HL_CHECK_INT(hl_neigh_update(t, 0, k, &mac2, NS, 38000, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 1);
	HL_CHECK_MEM(&mac, &mac2, 6);
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 42999));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 43000));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 44000));
	HL_CHECK(hl_neigh_refresh(t, 0, k, 45000));
	HL_CHECK(!hl_neigh_refresh(t, 0, k, 46000)); /* three unanswered: removed */
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), -ENOENT);

	/* a resolution under way: the NS releases what waited, STALE (§7.3.3) */
	key(q, 12);
	HL_CHECK_INT(hl_neigh_queue(t, 0, q, a, 50000, &probe, &mac), 0);
	HL_CHECK_INT(hl_neigh_update(t, 0, q, &mac2, NS, 50010, out, &created), 1);
	HL_CHECK(!created && out[0] == a);
	rte_pktmbuf_free(a);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, q, &mac), 1);
	HL_CHECK_MEM(&mac, &mac2, 6);
	hl_neigh_free(t);
}

/* §7.2.5, receipt of an advertisement: each row starts an entry in a state, applies
 * one NA (flags, target address option: mac1, mac2 or none) and expects the lookup,
 * the address and whether the waiting packet went out. */
HL_TEST(advertisement_rules)
{
	enum { INCOMPLETE, REACHABLE, STALE };
	static const struct {
		int from;
		unsigned int flags;
		int mac; /* 0: no option */
		int rc, want_mac, released;
	} rows[] = {
		{INCOMPLETE, NA_SO, 1, 0, 1, 1},
		{INCOMPLETE, NA_S, 1, 0, 1, 1},    /* O is ignored while incomplete */
		{INCOMPLETE, NA_O, 1, 1, 1, 1},    /* unsolicited: STALE */
		{INCOMPLETE, NA_SO, 0, -EAGAIN, 0, 0}, /* nothing to resolve with */
		{REACHABLE, NA_S, 2, 1, 1, 0},     /* O clear, another address: doubted */
		{REACHABLE, 0, 2, 1, 1, 0},
		{REACHABLE, NA_O, 2, 1, 2, 0},     /* override: taken, STALE */
		{REACHABLE, NA_SO, 2, 0, 2, 0},
		{REACHABLE, NA_O, 1, 0, 1, 0},     /* the same, unsolicited: as it was */
		{REACHABLE, 0, 0, 0, 1, 0},
		{STALE, NA_S, 2, 1, 1, 0},         /* O clear, another address: ignored */
		{STALE, NA_S, 1, 0, 1, 0},         /* the same, solicited: confirmed */
		{STALE, NA_S, 0, 0, 1, 0},         /* no option, solicited: confirmed */
		{STALE, NA_O, 1, 1, 1, 0},         /* the same, unsolicited: as it was */
		{STALE, 0, 0, 1, 1, 0},
		{STALE, NA_O, 2, 1, 2, 0},
		{STALE, NA_SO, 2, 0, 2, 0},
	};

	for (unsigned int i = 0; i < HL_ARRAY_SIZE(rows); i++) {
		struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
		struct hl_neigh_probe pr[8];
		struct rte_mbuf *out[HL_NEIGH_PENDING], *dropped[64], *m = NULL;
		struct rte_ether_addr mac;
		unsigned int nd;
		bool probe, created;
		uint8_t k[16];
		int n;

		key(k, 20);
		if (rows[i].from == INCOMPLETE) {
			m = rte_pktmbuf_alloc(pool);
			HL_CHECK_INT(hl_neigh_queue(t, 0, k, m, 0, &probe, &mac), 0);
		} else {
			hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL);
			if (rows[i].from == STALE)
				maintain(t, 30000, pr, &nd, dropped);
		}
		n = hl_neigh_update(t, 0, k, rows[i].mac == 0 ? NULL : rows[i].mac == 1 ? &mac1 : &mac2,
			rows[i].flags, 30500, out, &created);
		HL_CHECK_MSG(n == rows[i].released, "row %u: %d released", i, n);
		HL_CHECK_MSG(!created, "row %u: created", i);
		if (n == 1)
			HL_CHECK(out[0] == m);
		int rc = hl_neigh_lookup(t, 0, k, &mac);
		HL_CHECK_MSG(rc == rows[i].rc, "row %u: lookup %d, not %d", i, rc, rows[i].rc);
		if (rows[i].want_mac)
			HL_CHECK_MSG(rte_is_same_ether_addr(&mac, rows[i].want_mac == 1 ? &mac1 : &mac2),
				"row %u: address", i);
		if (n == 1)
			rte_pktmbuf_free(m);
		hl_neigh_free(t); /* frees m if it still waits */
	}
}

/* ARP (RFC 826) stays as it was: a request or reply confirms, a new address is
 * taken; confirming what is known leaves a sender's hint valid. */
HL_TEST(arp_confirms_and_keeps_hints)
{
	struct hl_neigh_table *t = hl_neigh_create(64, HZ, 0);
	struct rte_mbuf *out[HL_NEIGH_PENDING];
	struct rte_ether_addr mac;
	struct hl_neigh_hint h = {0};
	uint8_t k[16];

	key(k, 30);
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup_hint(t, 0, k, &mac, &h), 0);
	HL_CHECK(hl_neigh_hint_valid(&h));
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, false, 10000, out, NULL), 0);
	HL_CHECK(hl_neigh_hint_valid(&h));
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac2, false, 11000, out, NULL), 0);
	HL_CHECK(!hl_neigh_hint_valid(&h));
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	HL_CHECK_MEM(&mac, &mac2, 6);
	hl_neigh_free(t);
}

HL_TEST(full_table_refuses_and_tombstones_keep_chains)
{
	struct hl_neigh_table *t = hl_neigh_create(16, HZ, 0);
	struct hl_neigh_probe pr[8];
	struct rte_mbuf *out[HL_NEIGH_PENDING], *dropped[64];
	struct rte_ether_addr mac;
	unsigned int nd, made = 0;
	uint8_t k[16];

	for (int i = 0; i < 40; i++) {
		key(k, (uint8_t)(i + 1));
		int rc = hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL);
		HL_CHECK(rc == 0 || rc == -ENOMEM);
		made += rc == 0;
	}
	HL_CHECK_INT(made, 16);
	key(k, 99);
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac1, true, 0, out, NULL), -ENOMEM);
	/* every entry still found through its probe chain */
	for (int i = 0; i < 40; i++) {
		key(k, (uint8_t)(i + 1));
		int rc = hl_neigh_lookup(t, 0, k, &mac);
		HL_CHECK(rc == 0 || rc == -ENOENT);
	}
	/* age everything out: the slots come back */
	maintain(t, 30000, pr, &nd, dropped);
	maintain(t, 600000, pr, &nd, dropped);
	key(k, 99);
	HL_CHECK_INT(hl_neigh_learn(t, 0, k, &mac2, true, 600001, out, NULL), 0);
	HL_CHECK_INT(hl_neigh_lookup(t, 0, k, &mac), 0);
	HL_CHECK_MEM(&mac, &mac2, 6);
	hl_neigh_free(t);
}

HL_TEST(bad_sizes_are_refused)
{
	HL_CHECK(hl_neigh_create(100, HZ, 0) == NULL);
	HL_CHECK_INT(hl_errno, -EINVAL);
	HL_CHECK(hl_neigh_create(8, HZ, 0) == NULL);
	hl_neigh_free(NULL);
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0], "-l", "0", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
		"--no-telemetry", "--file-prefix=hl-test-neigh", "--log-level=*:error"};

	if (rte_eal_init(HL_ARRAY_SIZE(eal), eal) < 0)
		HL_SKIP("EAL cannot start here");
	pool = rte_pktmbuf_pool_create("neigh_pool", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		return 1;
	int rc = hl_test_run(argc, argv);
	/* every mbuf came back: nothing the table held leaked */
	if (argc < 2 && rte_mempool_avail_count(pool) != 255) {
		fprintf(stderr, "FAIL: %u of 255 mbufs back in the pool\n",
			rte_mempool_avail_count(pool));
		rc = 1;
	}
	rte_eal_cleanup();
	return rc;
}
