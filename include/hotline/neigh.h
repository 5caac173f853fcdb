/*
 * hotline neighbour table: IPv4 ARP (RFC 826) and IPv6 Neighbor Discovery
 * (RFC 4861) resolutions for the engine's own traffic, shared by all workers.
 *
 * Entries live in one preallocated open-addressed array keyed by (port, address);
 * IPv4 addresses are stored v4-mapped (::ffff:a.b.c.d). Workers look up without
 * locks: each entry carries a sequence count that a writer makes odd while it
 * changes the entry, and a reader retries if the count moved (a seqlock). Writers
 * (learning from ARP/NA, queueing a packet behind a resolution, maintenance) are
 * rare and take one spinlock. Removed entries become tombstones so probe chains
 * stay intact; an insert reuses them.
 *
 * States follow RFC 4861 §7.3.2 in spirit: INCOMPLETE (probing, up to 8 packets
 * wait in the entry), REACHABLE (confirmed within reachable time, 30 s), STALE
 * (still used; the next use sends a refresh probe, one a second, and three
 * unanswered remove it), FAILED (3 probes 1 s apart
 * went unanswered; packets are dropped and counted for a 20 s hold-down, then
 * the entry is removed). Maintenance walks a bounded number of entries per call.
 *
 * Learning (hl_neigh_update) follows RFC 4861 §7.2.3 and §7.2.5: only a solicited
 * NA confirms reachability; an NS's source address option, or an unsolicited NA,
 * makes an entry STALE when it brings a new address and leaves it alone when the
 * address is the one known; an NA without the Override flag does not replace a
 * known address. A STALE entry learnt so is first probed 5 s after it was learnt
 * (DELAY_FIRST_PROBE_TIME, §7.3.3): its neighbour has just spoken to us. ARP
 * (RFC 826) has no reachability states: a request or reply from a host is taken
 * as confirmation (REACHABLE, the merge updates the address), as hotline always
 * did; Linux is stricter (a request only makes STALE), which would cost one
 * refresh probe per new neighbour and gain nothing against a forged ARP, which
 * can set any address either way.
 */
#ifndef HOTLINE_NEIGH_H
#define HOTLINE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#define HL_NEIGH_PENDING 8
#define HL_NEIGH_MAX_PROBES 3

struct hl_neigh_table;

/* A probe the caller must send: an ARP request or a Neighbor Solicitation. */
struct hl_neigh_probe {
	uint16_t port;
	uint8_t ip[16];
	bool unicast;                 /* refresh: may go to the known MAC */
	struct rte_ether_addr mac;
};

/* entries: a power of two. tsc_hz: rte_get_tsc_hz(). NULL + hl_errno on failure. */
struct hl_neigh_table *hl_neigh_create(uint32_t entries, uint64_t tsc_hz, int socket);
/* Frees every queued mbuf and the table; NULL-tolerant. */
void hl_neigh_free(struct hl_neigh_table *t);

/* v4-mapped key for an IPv4 address in network order. */
void hl_neigh_key4(uint8_t key[16], uint32_t ip_be);

/*
 * Lock-free lookup. Returns 0 with *mac set for a REACHABLE entry; 1 with *mac
 * set for a STALE one (use it, and send *probe if hl_neigh_refresh() says so);
 * -ENOENT when there is no entry, -EAGAIN while it resolves, -EHOSTUNREACH when
 * it failed.
 */
int hl_neigh_lookup(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_ether_addr *mac);

/*
 * A sender's memory of one REACHABLE resolution, for a flow that sends to the same
 * next hop packet after packet (a media leg): the entry and its sequence count when
 * it was read. While the count has not moved, state and MAC are what they were, so
 * the sender skips hashing and probing the table; any change to the entry (STALE,
 * re-learnt, removed, reused) moves the count and sends it back to a full lookup.
 */
struct hl_neigh_hint {
	const uint32_t *seq_at; /* the entry's sequence count; NULL: no hint */
	uint32_t seq;
	struct rte_ether_addr mac;
};

/* hl_neigh_lookup() that, on a REACHABLE answer, also fills hint (may be NULL). */
int hl_neigh_lookup_hint(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_ether_addr *mac, struct hl_neigh_hint *hint);

/* True while hint still describes its entry: one load of a line shared by every flow
 * to that next hop. */
static inline bool
hl_neigh_hint_valid(const struct hl_neigh_hint *h)
{
	return h->seq_at != NULL && __atomic_load_n(h->seq_at, __ATOMIC_ACQUIRE) == h->seq;
}

/*
 * Queues m (data at the IP header) behind the resolution of ip, creating an
 * INCOMPLETE entry if needed. Returns 0 when queued (*send_probe tells whether
 * the caller must send the first probe now); 1 when the entry resolved
 * meanwhile (*mac set, m not taken); -ENOSPC when the entry's queue is full,
 * -EHOSTUNREACH in hold-down, -ENOMEM when the table is full (m not taken in
 * any error case).
 */
int hl_neigh_queue(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_mbuf *m, uint64_t now, bool *send_probe, struct rte_ether_addr *mac);

/* What a packet that names ip -> mac says, for hl_neigh_update(). */
#define HL_NEIGH_F_CREATE 0x1   /* may create the entry (an NS, an ARP for us) */
#define HL_NEIGH_F_CONFIRM 0x2  /* proves reachability: REACHABLE (ARP, NA with S) */
#define HL_NEIGH_F_OVERRIDE 0x4 /* may replace a known address (ARP, NS, NA with O) */

/*
 * Records what a packet says of ip (RFC 4861 §7.2.3, §7.2.5 with flags as above):
 * - no usable address yet (new, INCOMPLETE, FAILED): mac is taken, REACHABLE with
 *   CONFIRM, else STALE; without mac nothing happens (§7.2.5: an NA without a target
 *   address option cannot resolve);
 * - a different mac without OVERRIDE: not taken, and a REACHABLE entry goes STALE;
 * - otherwise a different mac is taken; with CONFIRM the entry is REACHABLE, else
 *   STALE if the address changed and as it was if not.
 * mac may be NULL (no address in the packet). Without CREATE, or without mac, only
 * an existing entry changes. Packets that waited for it are moved to out (at most
 * HL_NEIGH_PENDING); returns their count, or -ENOMEM if an entry was to be made and
 * the table is full. *created (may be NULL) tells whether a new entry was made.
 */
int hl_neigh_update(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	const struct rte_ether_addr *mac, unsigned int flags, uint64_t now, struct rte_mbuf **out,
	bool *created);

/*
 * ARP (RFC 826 merge): hl_neigh_update() with CONFIRM and OVERRIDE, and CREATE when
 * create is true (we are the target; unsolicited replies create nothing).
 */
int hl_neigh_learn(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	const struct rte_ether_addr *mac, bool create, uint64_t now, struct rte_mbuf **out,
	bool *created);

/* For a STALE entry: true (once per second at most) if the caller should probe.
 * Lock-free unless a probe is due. After HL_NEIGH_MAX_PROBES unanswered probes the
 * entry is removed instead (RFC 4861 §7.3.3 PROBE), so the next packet resolves
 * afresh and fails, with hold-down, if nobody answers. */
bool hl_neigh_refresh(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	uint64_t now);

/*
 * Ages up to budget entries from where the last call stopped: retransmits
 * probes (written to probes, at most max_probes), fails entries whose probes ran
 * out (their queued mbufs go to dropped, at most max_dropped; the caller frees
 * and counts them), turns REACHABLE into STALE and removes old ones.
 * Returns the number of probes; *n_dropped is set.
 */
unsigned int hl_neigh_maintain(struct hl_neigh_table *t, uint64_t now, unsigned int budget,
	struct hl_neigh_probe *probes, unsigned int max_probes, struct rte_mbuf **dropped,
	unsigned int max_dropped, unsigned int *n_dropped);

/* Snapshot for telemetry: calls fn for each live entry, under the writer lock. */
typedef void (*hl_neigh_walk_fn)(void *arg, uint16_t port, const uint8_t ip[16],
	const struct rte_ether_addr *mac, const char *state, double age_s);
void hl_neigh_walk(struct hl_neigh_table *t, uint64_t now, hl_neigh_walk_fn fn, void *arg);

#endif
