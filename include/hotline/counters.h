/*
 * hotline counters: every packet class and every drop reason, per lcore.
 *
 * One X-macro list names each counter once and gives it its enum and its string
 * (VPP's foreach_*_error). Each lcore increments its own cache-aligned block with
 * plain adds, no atomics; readers (telemetry, the exit report) sum the blocks.
 * A 64-bit aligned load cannot tear on the platforms DPDK runs on, so a sum is a
 * consistent-enough snapshot without stopping anyone. Each lcore also counts its
 * busy and idle TSC cycles, so the CPU cost of real work (ns per packet, µs per
 * call) can be measured even while an lcore busy-polls.
 *
 * Classes count what the classifier saw at each layer (a SIP datagram is in
 * rx_packets, eth_ipv4 and udp_sip); a packet that is not delivered, replied to
 * or held for reassembly ends in exactly one drop reason. Nothing is lost
 * without a count. No DPDK header here.
 */
#ifndef HOTLINE_COUNTERS_H
#define HOTLINE_COUNTERS_H

#include <stdint.h>

#define HL_STATS_MAX_LCORES 128

/* Packet classes and events: symbol, telemetry name. */
#define HL_FOREACH_COUNTER(_)                                                         \
	_(RX_PACKETS, "rx_packets")                                                   \
	_(RX_BYTES, "rx_bytes")                                                       \
	_(TX_PACKETS, "tx_packets")                                                   \
	_(TX_BYTES, "tx_bytes")                                                       \
	_(ETH_VLAN, "eth_vlan")                                                       \
	_(ETH_ARP, "eth_arp")                                                         \
	_(ETH_IPV4, "eth_ipv4")                                                       \
	_(ETH_IPV6, "eth_ipv6")                                                       \
	_(ARP_REQUEST_IN, "arp_request_in")                                           \
	_(ARP_REPLY_IN, "arp_reply_in")                                               \
	_(ARP_REPLY_OUT, "arp_reply_out")                                             \
	_(ARP_REQUEST_OUT, "arp_request_out")                                         \
	_(ARP_IGNORED, "arp_not_for_us")                                              \
	_(IPV4_FRAGMENT_IN, "ipv4_fragment_in")                                       \
	_(IPV4_REASSEMBLED, "ipv4_reassembled")                                       \
	_(IPV6_FRAGMENT_IN, "ipv6_fragment_in")                                       \
	_(IPV6_REASSEMBLED, "ipv6_reassembled")                                       \
	_(ICMP_ECHO_IN, "icmp_echo_in")                                               \
	_(ICMP_ECHO_REPLY_OUT, "icmp_echo_reply_out")                                 \
	_(ICMP6_ECHO_IN, "icmp6_echo_in")                                             \
	_(ICMP6_ECHO_REPLY_OUT, "icmp6_echo_reply_out")                               \
	_(ND_NS_IN, "nd_solicit_in")                                                  \
	_(ND_NA_OUT, "nd_advert_out")                                                 \
	_(ND_NA_IN, "nd_advert_in")                                                   \
	_(ND_NS_OUT, "nd_solicit_out")                                                \
	_(UDP_SIP, "udp_sip")                                                         \
	_(UDP_SIP_BYTES, "udp_sip_bytes")                                             \
	_(UDP_RTP, "udp_rtp")                                                         \
	_(HANDOFF_OUT, "handoff_out")                                                 \
	_(HANDOFF_IN, "handoff_in")                                                   \
	_(NEIGH_LEARNED, "neigh_learned")                                             \
	_(NEIGH_QUEUED, "neigh_queued")                                               \
	_(NEIGH_FLUSHED, "neigh_flushed")                                             \
	_(CTL_SIP_IN, "control_sip_in")                                               \
	_(SIP_ERR_OUT, "sip_error_answered")                                          \
	_(RTP_RELAYED, "rtp_relayed")                                                 \
	_(RTP_LATCHED, "rtp_latched")                                                 \
	_(RTCP_IN, "rtcp_in")                                                         \
	_(RTCP_OUT, "rtcp_out")                                                       \
	_(DTMF_4733, "dtmf_4733_presses")                                             \
	_(DTMF_INBAND, "dtmf_inband_presses")                                         \
	_(DTMF_INBAND_NO_SLOT, "dtmf_inband_no_slot")                                 \
	_(DTMF_DUP, "dtmf_dup_presses")                                               \
	_(DTMF_INJECTED, "dtmf_injected")                                             \
	_(DTMF_INJECT_DROPPED, "dtmf_inject_dropped")                                 \
	_(RTP_DTMF_MUTED, "rtp_dtmf_muted")                                           \
	_(MEDIA_TIMEOUTS, "media_timeouts")                                           \
	_(MEDIA_CMDS, "media_commands")                                               \
	_(MEDIA_EV_LOST, "media_events_lost")

/* Drop reasons: symbol, telemetry name. */
#define HL_FOREACH_DROP(_)                                                            \
	_(RUNT, "runt_frame")                                                         \
	_(DST_MAC, "dst_mac_not_ours")                                                \
	_(ETHERTYPE, "unknown_ethertype")                                             \
	_(VLAN_MISMATCH, "vlan_mismatch")                                             \
	_(ARP_MALFORMED, "arp_malformed")                                             \
	_(IPV4_TRUNCATED, "ipv4_truncated")                                           \
	_(IPV4_BAD_VERSION, "ipv4_bad_version")                                       \
	_(IPV4_BAD_IHL, "ipv4_bad_header_length")                                     \
	_(IPV4_BAD_CSUM, "ipv4_bad_checksum")                                         \
	_(IPV4_BAD_LEN, "ipv4_bad_total_length")                                      \
	_(IPV4_BAD_SRC, "ipv4_martian_source")                                        \
	_(IPV4_NOT_OURS, "ipv4_not_for_us")                                           \
	_(IPV4_FRAG_BAD, "ipv4_fragment_invalid")                                     \
	_(FRAG_DROPPED, "fragment_dropped")                                           \
	_(IPV6_TRUNCATED, "ipv6_truncated")                                           \
	_(IPV6_BAD_VERSION, "ipv6_bad_version")                                       \
	_(IPV6_BAD_LEN, "ipv6_bad_payload_length")                                    \
	_(IPV6_BAD_SRC, "ipv6_martian_source")                                        \
	_(IPV6_NOT_OURS, "ipv6_not_for_us")                                           \
	_(IPV6_EXT_HDR, "ipv6_extension_unsupported")                                 \
	_(L4_PROTO, "l4_protocol_unsupported")                                        \
	_(ICMP_TRUNCATED, "icmp_truncated")                                           \
	_(ICMP_BAD_CSUM, "icmp_bad_checksum")                                         \
	_(ICMP_UNHANDLED, "icmp_type_unhandled")                                      \
	_(ICMP6_TRUNCATED, "icmp6_truncated")                                         \
	_(ICMP6_BAD_CSUM, "icmp6_bad_checksum")                                       \
	_(ICMP6_UNHANDLED, "icmp6_type_unhandled")                                    \
	_(ND_INVALID, "nd_invalid")                                                   \
	_(UDP_TRUNCATED, "udp_truncated")                                             \
	_(UDP_BAD_LEN, "udp_bad_length")                                              \
	_(UDP_BAD_CSUM, "udp_bad_checksum")                                           \
	_(UDP_CLOSED_PORT, "udp_closed_port")                                         \
	_(RTP_NO_LEG, "rtp_no_leg")                                                   \
	_(RTP_WRONG_SOURCE, "rtp_wrong_source")                                       \
	_(RTP_MALFORMED, "rtp_malformed")                                             \
	_(RTP_PROBATION, "rtp_probation")                                             \
	_(RTP_PT_UNMAPPED, "rtp_pt_unmapped")                                         \
	_(RTP_NOT_BRIDGED, "rtp_not_bridged")                                         \
	_(RTP_HELD, "rtp_on_hold")                                                    \
	_(RTP_DTMF_SUPPRESSED, "rtp_dtmf_suppressed")                                 \
	_(RTP_LATE, "rtp_late_after_event")                                           \
	_(RTP_DTMF_HELD, "rtp_dtmf_during_ours")                                      \
	_(SRTP_AUTH, "srtp_auth_failed")                                              \
	_(SRTP_REPLAY, "srtp_replayed")                                               \
	_(SRTP_ERROR, "srtp_error")                                                   \
	_(SRTP_KEY_EXPIRED, "srtp_key_expired")                                       \
	_(RTCP_MALFORMED, "rtcp_malformed")                                           \
	_(NO_ROUTE, "no_route")                                                       \
	_(NEIGH_FAILED, "neigh_unresolved")                                           \
	_(NEIGH_QUEUE_FULL, "neigh_queue_full")                                       \
	_(NEIGH_TABLE_FULL, "neigh_table_full")                                       \
	_(NO_MBUF, "no_mbuf")                                                         \
	_(TX_FULL, "tx_queue_full")                                                   \
	_(HANDOFF_FULL, "handoff_ring_full")                                          \
	_(SIP_RING_FULL, "sip_ring_full")                                             \
	_(SIP_MALFORMED, "sip_malformed")                                             \
	_(SIP_FLOOD, "sip_flood")

enum hl_ctr {
#define HL_CTR_ENUM_(sym, name) HL_CTR_##sym,
	HL_FOREACH_COUNTER(HL_CTR_ENUM_)
#undef HL_CTR_ENUM_
	HL_CTR_MAX
};

enum hl_drop {
#define HL_DROP_ENUM_(sym, name) HL_DROP_##sym,
	HL_FOREACH_DROP(HL_DROP_ENUM_)
#undef HL_DROP_ENUM_
	HL_DROP_MAX
};

struct hl_lcore_stats {
	uint64_t ctr[HL_CTR_MAX];
	uint64_t drop[HL_DROP_MAX];
	uint64_t busy_tsc;  /* loop turns that did work */
	uint64_t idle_tsc;  /* loop turns that found nothing, sleeps included */
	uint64_t loops;
	uint64_t sleeps;
} __attribute__((aligned(64)));

/* One block per lcore id; each written only by its own lcore. */
extern struct hl_lcore_stats hl_stats[HL_STATS_MAX_LCORES];

static inline void
hl_ctr_add(struct hl_lcore_stats *s, enum hl_ctr c, uint64_t n)
{
	s->ctr[c] += n;
}

static inline void
hl_drop_add(struct hl_lcore_stats *s, enum hl_drop d, uint64_t n)
{
	s->drop[d] += n;
}

const char *hl_ctr_name(enum hl_ctr c);
const char *hl_drop_name(enum hl_drop d);

/* Sums every lcore's block into out (busy/idle/loops summed too). */
void hl_stats_sum(struct hl_lcore_stats *out);

/* Sum of every drop reason. */
uint64_t hl_stats_drops_total(const struct hl_lcore_stats *s);

#endif
