/*
 * hotline SDP layer: parse a session description in place, answer an offer, build an
 * offer, all without allocation.
 *
 * hl_sdp_parse() reads the body of a SIP message where it lies (offsets are the
 * datagram's, as in hotline/sip.h) into a bounded struct hl_sdp: v, o, s, c, t, b and
 * m lines, and per stream the attributes a B2BUA acts on (rtpmap, fmtp, ptime, maxptime,
 * direction, rtcp, rtcp-mux, crypto, telephone-event). hl_sdp_answer() applies RFC 3264
 * §6 to an offer and our capabilities: one answer m-line per offered one, the offerer's
 * payload type numbers for the codec we prefer, port 0 for what we refuse.
 *
 * SDES (RFC 4568): the parser names the crypto suites of RFC 4568 §6.2, RFC 6188 and
 * RFC 7714 §14.2; hl_sdp_crypto_keys() turns an offered or answered line into the
 * master keys hotline/srtp.h runs (one, or several told apart by MKI), and refuses what
 * that layer cannot honour. An answer takes the first offered line it can honour
 * (§7.1.2), with our key for that suite from the caller's callback, asked for only then
 * (one key, no MKI, whatever the offer had); an offer lists a line per suite of the
 * caller's list, each with its own tag and key.
 *
 * Grammar: RFC 4566 §5 and §9 (SDP), RFC 3264 §5-§6 (offer/answer), RFC 3551 §6
 * (static payload types), RFC 3605 (rtcp), RFC 5761 (rtcp-mux), RFC 4568 §9 (crypto),
 * RFC 4733 (telephone-event). Slices stay valid as long as the parsed buffer does.
 */
#ifndef HOTLINE_SDP_H
#define HOTLINE_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "hotline/sip.h"
#include "hotline/srtp.h"

/* An m-line beyond HL_SDP_MAX_MEDIA is HL_E_TOOBIG (the answer must mirror each). */
#define HL_SDP_MAX_MEDIA 8
/* Formats beyond this many per m-line are kept in hl_sdp_media.fmts but not indexed. */
#define HL_SDP_MAX_FMT 32
/* Crypto lines kept per m-line: rtpengine offers twelve, six of suites we know. When
 * all are taken, a line of a suite we know takes the place of the first one of a suite
 * we do not (the order stays the offerer's), so the lines an answer can use are not
 * lost behind names we cannot (FreeSWITCH offers nine, its GCM_8 and AES_CM_256
 * spellings first). */
#define HL_SDP_MAX_CRYPTO 8

enum hl_sdp_proto {
	HL_SDP_PROTO_OTHER = 0,
	HL_SDP_PROTO_RTP_AVP,
	HL_SDP_PROTO_RTP_SAVP,
	HL_SDP_PROTO_RTP_AVPF,
	HL_SDP_PROTO_RTP_SAVPF,
};

enum hl_sdp_dir {
	HL_SDP_DIR_NONE = 0, /* not stated: sendrecv (RFC 4566 §6) */
	HL_SDP_DIR_SENDRECV,
	HL_SDP_DIR_SENDONLY,
	HL_SDP_DIR_RECVONLY,
	HL_SDP_DIR_INACTIVE,
};

enum hl_sdp_addrtype {
	HL_SDP_ADDR_NONE = 0,
	HL_SDP_ADDR_IP4,
	HL_SDP_ADDR_IP6,
};

/* RFC 4568 §6.2, RFC 6188 §7.1 and RFC 7714 §14.2 suites. AES_256_CM_HMAC_SHA1_32 is
 * known to the parser but not run by hotline/srtp.h, so never answered. */
enum hl_sdp_suite {
	HL_SDP_SUITE_UNKNOWN = 0,
	HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
	HL_SDP_SUITE_AES_CM_128_HMAC_SHA1_32,
	HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_80,
	HL_SDP_SUITE_AES_256_CM_HMAC_SHA1_32,
	HL_SDP_SUITE_AEAD_AES_128_GCM,
	HL_SDP_SUITE_AEAD_AES_256_GCM,
	HL_SDP_SUITE_MAX_
};

struct hl_sdp_conn {
	uint8_t addrtype; /* enum hl_sdp_addrtype */
	struct hl_sip_slice addr;
};

struct hl_sdp_fmt {
	uint8_t pt;
	uint8_t channels;          /* 1 when the rtpmap does not say */
	uint32_t clock;            /* 0: no rtpmap */
	struct hl_sip_slice name;  /* encoding name of the rtpmap */
	struct hl_sip_slice fmtp;  /* format parameters of a=fmtp */
};

/* Key-params kept per crypto line (RFC 4568 §6.1: several, told apart by MKI); a line
 * with more is not run. */
#define HL_SDP_MAX_KEYS HL_SRTP_MAX_KEYS

struct hl_sdp_crypto {
	uint32_t tag;
	uint8_t suite; /* enum hl_sdp_suite */
	uint8_t nkeys; /* key-params present (at most 255 counted); the first is below */
	uint8_t mki_len;
	uint32_t mki;
	struct hl_sip_slice suite_s;
	struct hl_sip_slice key;      /* base64 key||salt after "inline:" */
	struct hl_sip_slice lifetime; /* "2^20" or a number, 0 len if absent */
	struct hl_sip_slice session_params;
	struct hl_sip_slice key_params; /* the first key-param as written, "inline:" on */
	struct hl_sip_slice more[HL_SDP_MAX_KEYS - 1]; /* the next ones, as written */
};

struct hl_sdp_media {
	struct hl_sip_slice type;  /* audio, video, image, ... */
	struct hl_sip_slice proto_s;
	struct hl_sip_slice fmts;  /* the format list as written */
	uint8_t proto;             /* enum hl_sdp_proto */
	uint8_t dir;               /* enum hl_sdp_dir, media level */
	uint8_t nfmt;
	uint8_t ncrypto;
	uint8_t rtcp_mux;
	int16_t te_pt;             /* telephone-event payload type, -1 if none */
	uint16_t port;
	uint16_t nports;           /* 1 unless "port/n" */
	uint16_t ptime, maxptime;  /* 0 absent */
	uint16_t rtcp_port;        /* a=rtcp, 0 absent */
	uint32_t bw_as;            /* b=AS: kbit/s, 0 absent */
	struct hl_sdp_conn conn;   /* media-level c=, addrtype NONE if absent */
	struct hl_sdp_conn rtcp_conn;
	struct hl_sdp_fmt fmt[HL_SDP_MAX_FMT];
	struct hl_sdp_crypto crypto[HL_SDP_MAX_CRYPTO];
};

struct hl_sdp {
	uint8_t nmedia;
	uint8_t dir; /* session level */
	uint8_t origin_addrtype;
	struct hl_sip_slice origin_user, sess_id, sess_version, origin_addr;
	struct hl_sip_slice name;
	struct hl_sdp_conn conn; /* session-level c=, addrtype NONE if absent */
	uint64_t t_start, t_stop;
	uint32_t bw_as;
	struct hl_sdp_media media[HL_SDP_MAX_MEDIA];
};

/*
 * Parses the SDP in buf[s.off, s.off + s.len). Returns 0, HL_E_PARSE (malformed: the
 * SIP layer answers 400 or 488), HL_E_TOOBIG (more than HL_SDP_MAX_MEDIA m-lines).
 * Lines may end in CRLF or LF (RFC 4566 §5). Requires v=0 first, then o= and s=, at
 * least one t=, and a c= for every stream, session- or media-level (§5.7).
 */
int hl_sdp_parse(const uint8_t *buf, struct hl_sip_slice s, struct hl_sdp *sdp);

/* The connection of stream i: its own c= or the session's. */
const struct hl_sdp_conn *hl_sdp_media_conn(const struct hl_sdp *sdp, unsigned int i);
/* The direction of stream i: its own, else the session's, else sendrecv. */
enum hl_sdp_dir hl_sdp_media_dir(const struct hl_sdp *sdp, unsigned int i);

/* The hotline/srtp.h suite (enum hl_srtp_suite) of an SDP suite, HL_E_UNSUPPORTED if none. */
int hl_sdp_suite_srtp(enum hl_sdp_suite s);
/* The SDP suite of a hotline/srtp.h suite, HL_SDP_SUITE_UNKNOWN when out of range. */
enum hl_sdp_suite hl_sdp_suite_of_srtp(unsigned int srtp_suite);

/*
 * The master keys of crypto line cr (parsed from buf) as hotline/srtp.h runs them, into
 * keys[0..n). Returns n (1..HL_SDP_MAX_KEYS); HL_E_UNSUPPORTED for what that layer cannot
 * honour: a suite it does not run, more than HL_SDP_MAX_KEYS key-params, an MKI over 4
 * octets or with AES_CM_128_HMAC_SHA1_32, a session parameter other than KDR=0, WSH or a
 * "-" extension (RFC 4568 §6.3, §9.2); HL_E_PARSE for a key of the wrong length for the
 * suite or a bad lifetime, MKI or WSH, and for several keys that break §6.1 (one without
 * an MKI, MKI lengths that differ, an MKI repeated). A key||salt without its base64
 * padding is accepted (FreeSWITCH strips it). keys are wiped on failure; the caller
 * wipes them when done. Per-key lifetimes are parsed and kept, as for one key.
 */
int hl_sdp_crypto_keys(const uint8_t *buf, const struct hl_sdp_crypto *cr,
	struct hl_srtp_key keys[HL_SDP_MAX_KEYS]);

/* The first of those keys: 0 or the HL_E_* of hl_sdp_crypto_keys(), key wiped then. */
int hl_sdp_crypto_key(const uint8_t *buf, const struct hl_sdp_crypto *cr, struct hl_srtp_key *key);

/*
 * The telephone-event format of m to run with a codec at clock (RFC 4733 §2.1: events
 * in a stream of audio share its clock): the one at that rate, else the first at any,
 * with its rate in *rate; -1 (and *rate 0) when m has none.
 */
int hl_sdp_pick_te(const uint8_t *buf, const struct hl_sdp_media *m, uint32_t clock,
	uint32_t *rate);

/* ---- offer/answer ---- */

struct hl_sdp_codec {
	const char *name; /* encoding name as in rtpmap: "PCMU", "opus", ... */
	uint32_t clock;
	uint8_t channels; /* 0 or 1: mono */
	uint8_t pt;       /* static PT (RFC 3551 §6), or the dynamic PT our offers use */
	const char *fmtp; /* sent with the codec, or NULL */
};

enum hl_sdp_srtp_policy {
	HL_SDP_SRTP_FORBID = 0, /* RTP only: refuse RTP/SAVP streams */
	HL_SDP_SRTP_OPTIONAL,   /* follow the offer */
	HL_SDP_SRTP_MANDATORY,  /* refuse RTP/AVP streams */
};

/*
 * Our SDES key for a crypto line of suite: the base64 of key||salt, NUL-terminated, valid
 * until the next call or the return of the hl_sdp_* function that called; NULL when we
 * have none for that suite (an answer goes on to the next offered line, an offer leaves
 * the suite out). hl_sdp_answer() asks once per accepted SRTP stream, for the suite it
 * picked, after every other check; hl_sdp_build_offer() once per suite it lists.
 */
typedef const char *(*hl_sdp_srtp_key_fn)(void *ctx, enum hl_sdp_suite suite);

struct hl_sdp_caps {
	const struct hl_sdp_codec *codecs; /* preference order */
	uint8_t ncodecs;
	uint8_t telephone_event; /* RFC 4733 events 0-15 */
	uint8_t te_pt;           /* telephone-event PT in our offers */
	uint8_t srtp;            /* enum hl_sdp_srtp_policy */
	uint8_t rtcp_mux;        /* accept rtcp-mux when offered (RFC 5761 §5.1.1) */
	uint8_t ipv6;            /* addr is IPv6 */
	uint8_t dir;             /* enum hl_sdp_dir of our offers; NONE: sendrecv */
	uint16_t ptime;          /* a=ptime we ask for, 0: none */
	uint16_t port;           /* RTP port of our first stream; stream k uses port + 2k */
	const char *srtp_key;    /* without srtp_key_fn: base64 key||salt (40 chars) for the
				    AES_CM_128_HMAC_SHA1_80/_32 suites, the only ones then */
	hl_sdp_srtp_key_fn srtp_key_fn; /* our key per suite; NULL: srtp_key */
	void *srtp_key_ctx;
	const uint8_t *srtp_suites; /* enum hl_sdp_suite our offers list, our preference first;
				       NULL: AES_CM_128_HMAC_SHA1_80 alone */
	uint8_t nsrtp_suites;
	uint32_t srtp_tag;       /* tag of srtp_suites[k] in an offer is srtp_tag + k; 0: 1 */
	const char *addr;        /* our media address */
	const char *user;        /* o= username, NULL: "-" */
	uint64_t sess_id, sess_version;
};

struct hl_sdp_neg_stream {
	uint8_t accepted;
	uint8_t dir;         /* enum hl_sdp_dir: ours, as in the answer */
	uint8_t codec;       /* index into caps->codecs */
	uint8_t pt;          /* the offerer's PT for that codec */
	int16_t te_pt;       /* the offerer's telephone-event PT, -1 none */
	uint32_t te_clock;   /* its rtpmap rate (8000 almost always), 0 with none */
	uint8_t srtp;        /* 1: SRTP, with the crypto below */
	uint8_t suite;       /* enum hl_sdp_suite */
	uint8_t rtcp_mux;
	uint8_t remote_addrtype;
	uint8_t crypto;      /* index into the offered m-line's crypto[] of the line taken */
	uint32_t crypto_tag;
	struct hl_sip_slice remote_key; /* the offerer's inline key||salt */
	struct hl_sip_slice remote_addr;
	uint16_t remote_port, remote_rtcp_port, local_port;
};

struct hl_sdp_negotiated {
	uint8_t nstreams, naccepted;
	struct hl_sdp_neg_stream s[HL_SDP_MAX_MEDIA];
};

/*
 * Writes the RFC 3264 answer to offer (parsed from buf) into out and fills neg. Returns
 * the answer's length or HL_E_TOOBIG; a 0 naccepted means every stream was refused
 * (the caller answers 488).
 */
int hl_sdp_answer(const uint8_t *buf, const struct hl_sdp *offer, const struct hl_sdp_caps *caps,
	char *out, size_t cap, struct hl_sdp_negotiated *neg);

/*
 * Writes our offer (one audio stream with every codec of caps): length, HL_E_TOOBIG, or
 * HL_E_UNSUPPORTED when SRTP is mandatory and no suite got a key. With SRTP allowed, one
 * a=crypto line per suite of caps->srtp_suites that has a key, tagged srtp_tag + its
 * index there (RFC 4568 §5.1.1: each line its own tag and key).
 */
int hl_sdp_build_offer(const struct hl_sdp_caps *caps, char *out, size_t cap);

const char *hl_sdp_suite_name(enum hl_sdp_suite s);

#endif
