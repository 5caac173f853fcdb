/* Neighbour table (ARP and NDP resolutions): see include/hotline/neigh.h. */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_spinlock.h>

#include "hotline/common.h"
#include "hotline/neigh.h"

enum state {
	ST_FREE = 0,   /* never used: ends a probe chain */
	ST_DEAD,       /* tombstone: reusable, does not end a chain */
	ST_INCOMPLETE,
	ST_REACHABLE,
	ST_STALE,
	ST_FAILED,
};

static const char *const state_names[] = {
	"free", "dead", "incomplete", "reachable", "stale", "failed",
};

/* Linear probing stops after this many slots; beyond it the table counts as full. */
#define PROBE_LIMIT 32

/* RFC 4861 §10: RETRANS_TIMER 1 s, MAX_MULTICAST_SOLICIT 3, REACHABLE_TIME 30 s,
 * DELAY_FIRST_PROBE_TIME 5 s. */
#define RETRANS_S 1
#define REACHABLE_S 30
#define DELAY_S 5
#define HOLDDOWN_S 20
#define STALE_GC_S 600

struct entry {
	uint32_t seq; /* odd while a writer changes the entry */
	uint8_t state;
	uint8_t probes;
	uint8_t npending;
	uint16_t port;
	uint8_t ip[16];
	struct rte_ether_addr mac;
	uint64_t confirmed_tsc;
	uint64_t probe_tsc;
	struct rte_mbuf *pending[HL_NEIGH_PENDING];
};

struct hl_neigh_table {
	uint32_t mask;
	uint32_t scan;
	uint64_t hz;
	rte_spinlock_t lock;
	struct entry e[];
};

struct hl_neigh_table *
hl_neigh_create(uint32_t entries, uint64_t tsc_hz, int socket)
{
	struct hl_neigh_table *t;

	if (entries < 16 || (entries & (entries - 1)) != 0) {
		hl_errno = -EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("hl_neigh", sizeof(*t) + entries * sizeof(struct entry),
		RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		hl_errno = -ENOMEM;
		return NULL;
	}
	t->mask = entries - 1;
	t->hz = tsc_hz;
	rte_spinlock_init(&t->lock);
	return t;
}

void
hl_neigh_free(struct hl_neigh_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i <= t->mask; i++)
		for (unsigned int k = 0; k < t->e[i].npending; k++)
			rte_pktmbuf_free(t->e[i].pending[k]);
	rte_free(t);
}

void
hl_neigh_key4(uint8_t key[16], uint32_t ip_be)
{
	memset(key, 0, 10);
	key[10] = 0xff;
	key[11] = 0xff;
	memcpy(key + 12, &ip_be, 4);
}

static inline uint32_t
slot_of(const struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16])
{
	return rte_jhash(ip, 16, port) & t->mask;
}

static inline void
write_begin(struct entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
write_end(struct entry *e)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

int
hl_neigh_lookup(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_ether_addr *mac)
{
	return hl_neigh_lookup_hint(t, port, ip, mac, NULL);
}

/* What a lock-free reader saw of one entry, consistent under its sequence count. */
struct snap {
	const struct entry *e;
	uint32_t seq;
	uint8_t state;
	struct rte_ether_addr mac;
	uint64_t probe_tsc;
};

/* The live entry for (port, ip) without the lock: 0, or -ENOENT. */
static int
snap_find(const struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16], struct snap *sn)
{
	uint32_t s = slot_of(t, port, ip);

	for (unsigned int i = 0; i < PROBE_LIMIT; i++) {
		const struct entry *e = &t->e[(s + i) & t->mask];
		bool match;

		do {
			while ((sn->seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE)) & 1)
				rte_pause();
			sn->state = e->state;
			match = e->port == port && memcmp(e->ip, ip, 16) == 0;
			sn->mac = e->mac;
			sn->probe_tsc = e->probe_tsc;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
		} while (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != sn->seq);

		if (sn->state == ST_FREE)
			return -ENOENT;
		if (sn->state == ST_DEAD || !match)
			continue;
		sn->e = e;
		return 0;
	}
	return -ENOENT;
}

int
hl_neigh_lookup_hint(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_ether_addr *mac, struct hl_neigh_hint *hint)
{
	struct snap sn;

	if (snap_find(t, port, ip, &sn) != 0)
		return -ENOENT;
	switch (sn.state) {
	case ST_REACHABLE:
		*mac = sn.mac;
		if (hint != NULL) {
			/* sn.seq is even and matched state and MAC. */
			hint->seq_at = &sn.e->seq;
			hint->seq = sn.seq;
			hint->mac = sn.mac;
		}
		return 0;
	case ST_STALE:
		*mac = sn.mac;
		return 1;
	case ST_INCOMPLETE:
		return -EAGAIN;
	default:
		return -EHOSTUNREACH;
	}
}

/* Under the lock: the entry for (port, ip), or with create a new one (NULL if full). */
static struct entry *
find_locked(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16], bool create)
{
	uint32_t s = slot_of(t, port, ip);
	struct entry *reuse = NULL;

	for (unsigned int i = 0; i < PROBE_LIMIT; i++) {
		struct entry *e = &t->e[(s + i) & t->mask];

		if (e->state == ST_FREE) {
			if (reuse == NULL)
				reuse = e;
			break;
		}
		if (e->state == ST_DEAD) {
			if (reuse == NULL)
				reuse = e;
			continue;
		}
		if (e->port == port && memcmp(e->ip, ip, 16) == 0)
			return e;
	}
	if (!create || reuse == NULL)
		return NULL;
	write_begin(reuse);
	reuse->port = port;
	memcpy(reuse->ip, ip, 16);
	reuse->state = ST_INCOMPLETE;
	reuse->probes = 0;
	reuse->npending = 0;
	reuse->probe_tsc = 0;
	reuse->confirmed_tsc = 0;
	memset(&reuse->mac, 0, sizeof(reuse->mac));
	write_end(reuse);
	return reuse;
}

int
hl_neigh_queue(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	struct rte_mbuf *m, uint64_t now, bool *send_probe, struct rte_ether_addr *mac)
{
	struct entry *e;
	int rc = 0;

	*send_probe = false;
	rte_spinlock_lock(&t->lock);
	e = find_locked(t, port, ip, true);
	if (e == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	switch (e->state) {
	case ST_REACHABLE:
	case ST_STALE:
		*mac = e->mac;
		rc = 1;
		goto out;
	case ST_FAILED:
		if (now - e->probe_tsc < HOLDDOWN_S * t->hz) {
			rc = -EHOSTUNREACH;
			goto out;
		}
		write_begin(e);
		e->state = ST_INCOMPLETE;
		e->probes = 0;
		write_end(e);
		break;
	default:
		break;
	}
	if (e->npending == HL_NEIGH_PENDING) {
		rc = -ENOSPC;
		goto out;
	}
	e->pending[e->npending++] = m;
	if (e->probes == 0) {
		e->probes = 1;
		e->probe_tsc = now;
		*send_probe = true;
	}
out:
	rte_spinlock_unlock(&t->lock);
	return rc;
}

/* A refresh probe is due once RETRANS_S has passed since probe_tsc, which may lie
 * ahead (a STALE entry learnt, first probed after DELAY_S): hence signed. */
static inline bool
probe_due(const struct hl_neigh_table *t, uint64_t now, uint64_t probe_tsc)
{
	return (int64_t)(now - probe_tsc) >= (int64_t)(RETRANS_S * t->hz);
}

int
hl_neigh_update(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	const struct rte_ether_addr *mac, unsigned int flags, uint64_t now, struct rte_mbuf **out,
	bool *created)
{
	struct entry *e;
	int n = 0;
	bool was_new = false, known, differs;
	uint8_t state;

	rte_spinlock_lock(&t->lock);
	e = find_locked(t, port, ip, false);
	if (e == NULL && (flags & HL_NEIGH_F_CREATE) && mac != NULL) {
		e = find_locked(t, port, ip, true);
		if (e == NULL) {
			n = -ENOMEM;
			goto out;
		}
		was_new = true;
	}
	if (e == NULL)
		goto out;

	known = e->state == ST_REACHABLE || e->state == ST_STALE;
	differs = mac != NULL && (!known || !rte_is_same_ether_addr(&e->mac, mac));
	if (!known && mac == NULL)
		goto out; /* §7.2.5: nothing to resolve with */
	if (known && differs && !(flags & HL_NEIGH_F_OVERRIDE)) {
		/* §7.2.5: O clear, another address: doubt the known one, keep it. */
		state = e->state == ST_REACHABLE ? ST_STALE : e->state;
		differs = false;
	} else if (flags & HL_NEIGH_F_CONFIRM) {
		state = ST_REACHABLE;
		/* Read under the lock only: a confirmation of what is known leaves the
		 * sequence count, and so the senders' hints, alone. */
		e->probes = 0;
		e->confirmed_tsc = now;
	} else {
		/* §7.2.3, §7.2.5: a new address is STALE; the known one keeps its state. */
		state = differs ? ST_STALE : e->state;
	}
	if (state != e->state || differs) {
		write_begin(e);
		if (differs)
			e->mac = *mac;
		if (differs && state == ST_STALE) {
			/* A new address: its probes start afresh, after DELAY_S (its
			 * neighbour has just spoken), and its age runs from here. */
			e->probes = 0;
			e->probe_tsc = now + (DELAY_S - RETRANS_S) * t->hz;
			e->confirmed_tsc = now;
		}
		e->state = state;
		write_end(e);
	}
	for (unsigned int k = 0; k < e->npending; k++)
		out[n++] = e->pending[k];
	e->npending = 0;
out:
	rte_spinlock_unlock(&t->lock);
	if (created != NULL)
		*created = was_new;
	return n;
}

int
hl_neigh_learn(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16],
	const struct rte_ether_addr *mac, bool create, uint64_t now, struct rte_mbuf **out,
	bool *created)
{
	return hl_neigh_update(t, port, ip, mac,
		HL_NEIGH_F_CONFIRM | HL_NEIGH_F_OVERRIDE | (create ? HL_NEIGH_F_CREATE : 0), now,
		out, created);
}

bool
hl_neigh_refresh(struct hl_neigh_table *t, uint16_t port, const uint8_t ip[16], uint64_t now)
{
	struct entry *e;
	struct snap sn;
	bool probe = false;

	/* Every packet to a STALE neighbour asks; at most one a second is due, so the
	 * others answer from a lock-free read. */
	if (snap_find(t, port, ip, &sn) != 0 || sn.state != ST_STALE ||
		!probe_due(t, now, sn.probe_tsc))
		return false;
	rte_spinlock_lock(&t->lock);
	e = find_locked(t, port, ip, false);
	if (e != NULL && e->state == ST_STALE && probe_due(t, now, e->probe_tsc)) {
		if (e->probes >= HL_NEIGH_MAX_PROBES) {
			/* RFC 4861 §7.3.3: unicast probes went unanswered, the entry
			 * goes; the next packet resolves afresh (broadcast, queue, and
			 * FAILED with hold-down if nobody answers). */
			write_begin(e);
			e->state = ST_DEAD;
			write_end(e);
		} else {
			e->probes++;
			e->probe_tsc = now;
			probe = true;
		}
	}
	rte_spinlock_unlock(&t->lock);
	return probe;
}

unsigned int
hl_neigh_maintain(struct hl_neigh_table *t, uint64_t now, unsigned int budget,
	struct hl_neigh_probe *probes, unsigned int max_probes, struct rte_mbuf **dropped,
	unsigned int max_dropped, unsigned int *n_dropped)
{
	unsigned int np = 0, nd = 0;

	rte_spinlock_lock(&t->lock);
	while (budget-- > 0) {
		struct entry *e = &t->e[t->scan];

		switch (e->state) {
		case ST_INCOMPLETE:
			if (now - e->probe_tsc < RETRANS_S * t->hz)
				break;
			if (e->probes < HL_NEIGH_MAX_PROBES) {
				if (np == max_probes)
					goto full;
				e->probes++;
				e->probe_tsc = now;
				probes[np].port = e->port;
				memcpy(probes[np].ip, e->ip, 16);
				probes[np].unicast = false;
				np++;
				break;
			}
			if (nd + e->npending > max_dropped)
				goto full;
			for (unsigned int k = 0; k < e->npending; k++)
				dropped[nd++] = e->pending[k];
			e->npending = 0;
			write_begin(e);
			e->state = ST_FAILED;
			e->probe_tsc = now; /* the hold-down runs from the failure */
			write_end(e);
			break;
		case ST_REACHABLE:
			if (now - e->confirmed_tsc >= REACHABLE_S * t->hz) {
				write_begin(e);
				e->state = ST_STALE;
				write_end(e);
			}
			break;
		case ST_STALE:
			if (now - e->confirmed_tsc >= STALE_GC_S * t->hz) {
				write_begin(e);
				e->state = ST_DEAD;
				write_end(e);
			}
			break;
		case ST_FAILED:
			if (now - e->probe_tsc >= HOLDDOWN_S * t->hz) {
				write_begin(e);
				e->state = ST_DEAD;
				write_end(e);
			}
			break;
		default:
			break;
		}
		t->scan = (t->scan + 1) & t->mask;
	}
full:
	rte_spinlock_unlock(&t->lock);
	*n_dropped = nd;
	return np;
}

void
hl_neigh_walk(struct hl_neigh_table *t, uint64_t now, hl_neigh_walk_fn fn, void *arg)
{
	rte_spinlock_lock(&t->lock);
	for (uint32_t i = 0; i <= t->mask; i++) {
		const struct entry *e = &t->e[i];

		if (e->state <= ST_DEAD)
			continue;
		uint64_t since = e->state == ST_INCOMPLETE || e->state == ST_FAILED ?
					 e->probe_tsc :
					 e->confirmed_tsc;
		fn(arg, e->port, e->ip, &e->mac, state_names[e->state],
			(double)(now - since) / (double)t->hz);
	}
	rte_spinlock_unlock(&t->lock);
}
