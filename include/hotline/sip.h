/*
 * hotline SIP message layer: parse a SIP datagram into offsets, parse header bodies on
 * demand, build requests and responses into a caller's buffer.
 *
 * hl_sip_parse() is picohttpparser-shaped: stateless, no allocation, it records the
 * start line, up to HL_SIP_MAX_HEADERS header lines (name, value, id) and the body as
 * 16-bit {off, len} slices into the datagram, and returns the bytes consumed or a
 * negative HL_E_* whose response code hl_sip_error_status() gives. Header bodies are
 * parsed only when asked (Kamailio): hl_sip_parse_via(), hl_sip_parse_name_addr(),
 * hl_sip_parse_uri(), ... take the datagram and a slice and fill slices of their own.
 * List parsers return the bytes of the slice they consumed, comma included, so a caller
 * walks a comma-separated value by advancing the slice until it is empty.
 *
 * Grammar: RFC 3261 §25 (messages, URIs, header bodies), §7.3.1 (folding, compact
 * forms), §18.3 (UDP framing: a body shorter than Content-Length is an error, a
 * longer one is cut), RFC 3966 (tel URI), RFC 3581 (rport), RFC 4028 (Session-Expires),
 * RFC 3891 (Replaces), RFC 3515 / 3892 (Refer-To, Referred-By), RFC 3325 (P-Asserted-
 * Identity), RFC 3326 (Reason), RFC 5806 (Diversion), RFC 5118 (IPv6 references).
 *
 * Ownership: every slice points into the buffer the caller passed and stays valid as
 * long as that buffer does; nothing here writes to it.
 */
#ifndef HOTLINE_SIP_H
#define HOTLINE_SIP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hotline/common.h"

/* More header lines than this is 513 (HL_E_TOOBIG); keeps hl_sip_msg on a stack. */
#define HL_SIP_MAX_HEADERS 64
/* Offsets are 16-bit: a larger datagram is HL_E_TOOBIG (UDP carries at most 65507). */
#define HL_SIP_MAX_LEN 65535

/* A byte range of the datagram; len 0 means absent or empty. */
struct hl_sip_slice {
	uint16_t off;
	uint16_t len;
};

/* X-macro: symbol, name as RFC 3261 spells it. 32-bit word compare (nginx). */
#define HL_SIP_FOREACH_METHOD(_)                                                           \
	_(INVITE, "INVITE")                                                                \
	_(ACK, "ACK")                                                                      \
	_(BYE, "BYE")                                                                      \
	_(CANCEL, "CANCEL")                                                                \
	_(REGISTER, "REGISTER")                                                            \
	_(OPTIONS, "OPTIONS")                                                              \
	_(INFO, "INFO")                                                                    \
	_(UPDATE, "UPDATE")                                                                \
	_(PRACK, "PRACK")                                                                  \
	_(SUBSCRIBE, "SUBSCRIBE")                                                          \
	_(NOTIFY, "NOTIFY")                                                                \
	_(REFER, "REFER")                                                                  \
	_(MESSAGE, "MESSAGE")                                                              \
	_(PUBLISH, "PUBLISH")

enum hl_sip_method {
	HL_SIP_METHOD_OTHER = 0, /* a valid token we do not know: 501 is the caller's */
#define HL_SIP_M_ENUM_(sym, str) HL_SIP_METHOD_##sym,
	HL_SIP_FOREACH_METHOD(HL_SIP_M_ENUM_)
#undef HL_SIP_M_ENUM_
	HL_SIP_METHOD_MAX_
};

/*
 * X-macro: symbol, full name, compact form (RFC 3261 §7.3.3 and the RFCs that define
 * them: i m f t v c l k s e o x r b u y), 0 when none.
 */
#define HL_SIP_FOREACH_HDR(_)                                                              \
	_(VIA, "Via", 'v')                                                                 \
	_(FROM, "From", 'f')                                                               \
	_(TO, "To", 't')                                                                   \
	_(CALL_ID, "Call-ID", 'i')                                                         \
	_(CSEQ, "CSeq", 0)                                                                 \
	_(MAX_FORWARDS, "Max-Forwards", 0)                                                 \
	_(CONTACT, "Contact", 'm')                                                         \
	_(ROUTE, "Route", 0)                                                               \
	_(RECORD_ROUTE, "Record-Route", 0)                                                 \
	_(CONTENT_LENGTH, "Content-Length", 'l')                                           \
	_(CONTENT_TYPE, "Content-Type", 'c')                                               \
	_(CONTENT_ENCODING, "Content-Encoding", 'e')                                       \
	_(EXPIRES, "Expires", 0)                                                           \
	_(MIN_EXPIRES, "Min-Expires", 0)                                                   \
	_(AUTHORIZATION, "Authorization", 0)                                               \
	_(PROXY_AUTHORIZATION, "Proxy-Authorization", 0)                                   \
	_(WWW_AUTHENTICATE, "WWW-Authenticate", 0)                                         \
	_(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0)                                     \
	_(ALLOW, "Allow", 0)                                                               \
	_(ALLOW_EVENTS, "Allow-Events", 'u')                                               \
	_(SUPPORTED, "Supported", 'k')                                                     \
	_(REQUIRE, "Require", 0)                                                           \
	_(PROXY_REQUIRE, "Proxy-Require", 0)                                               \
	_(UNSUPPORTED, "Unsupported", 0)                                                   \
	_(SESSION_EXPIRES, "Session-Expires", 'x')                                         \
	_(MIN_SE, "Min-SE", 0)                                                             \
	_(REASON, "Reason", 0)                                                             \
	_(REFER_TO, "Refer-To", 'r')                                                       \
	_(REFERRED_BY, "Referred-By", 'b')                                                 \
	_(REPLACES, "Replaces", 0)                                                         \
	_(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0)                                   \
	_(P_PREFERRED_IDENTITY, "P-Preferred-Identity", 0)                                 \
	_(PRIVACY, "Privacy", 0)                                                           \
	_(DIVERSION, "Diversion", 0)                                                       \
	_(USER_AGENT, "User-Agent", 0)                                                     \
	_(SERVER, "Server", 0)                                                             \
	_(EVENT, "Event", 'o')                                                             \
	_(SUBJECT, "Subject", 's')                                                         \
	_(IDENTITY, "Identity", 'y')                                                       \
	_(ACCEPT, "Accept", 0)                                                             \
	_(RSEQ, "RSeq", 0)                                                                 \
	_(RACK, "RAck", 0)                                                                 \
	_(TIMESTAMP, "Timestamp", 0)                                                       \
	_(WARNING, "Warning", 0)

enum hl_sip_hdr {
	HL_SIP_HDR_OTHER = 0,
#define HL_SIP_H_ENUM_(sym, name, compact) HL_SIP_HDR_##sym,
	HL_SIP_FOREACH_HDR(HL_SIP_H_ENUM_)
#undef HL_SIP_H_ENUM_
	HL_SIP_HDR_MAX_
};

struct hl_sip_hdr_field {
	struct hl_sip_slice name;
	/* Leading and trailing whitespace trimmed; may hold folds (CRLF + SP/HT), which
	 * every body parser here reads as LWS (RFC 3261 §7.3.1). */
	struct hl_sip_slice value;
	uint8_t id; /* enum hl_sip_hdr */
};

/* Set in hl_sip_msg.flags. */
#define HL_SIP_F_RESPONSE 0x01 /* a status line was recognised: never answer it */
#define HL_SIP_F_REQUEST 0x02  /* a request line was recognised */
#define HL_SIP_F_NO_CLEN 0x04  /* no Content-Length: the body runs to the datagram end */
#define HL_SIP_F_TRUNCATED 0x08 /* bytes after Content-Length were cut (§18.3) */

struct hl_sip_msg {
	uint8_t flags;
	uint8_t method; /* enum hl_sip_method, requests */
	uint8_t nhdr;
	uint8_t ruri_scheme; /* enum hl_sip_uri_scheme, requests */
	uint16_t status;     /* responses */
	uint16_t head_len;   /* start line + headers + the empty line */
	struct hl_sip_slice method_s; /* requests */
	struct hl_sip_slice ruri;     /* requests */
	struct hl_sip_slice reason;   /* responses */
	struct hl_sip_slice body;
	uint32_t content_length;
	/* Index + 1 into hdr[] of the first line with each id, 0 when absent. */
	uint8_t first[HL_SIP_HDR_MAX_];
	struct hl_sip_hdr_field hdr[HL_SIP_MAX_HEADERS];
};

/*
 * Parses one datagram. Returns the bytes the message occupies (start line, headers and
 * body cut at Content-Length) or:
 *   HL_E_INCOMPLETE  headers not closed by an empty line, or body shorter than
 *                    Content-Length (RFC 3261 §18.3) -> 400
 *   HL_E_PARSE       malformed start line, header line or Content-Length -> 400
 *   HL_E_VERSION     SIP-Version other than SIP/2.0 -> 505
 *   HL_E_SCHEME      Request-URI scheme other than sip, sips, tel -> 416
 *   HL_E_TOOBIG      more than HL_SIP_MAX_HEADERS lines or HL_SIP_MAX_LEN bytes -> 513
 * On VERSION and SCHEME the header lines are still parsed, so the error response can
 * copy them; on the others msg holds what was read before the fault. Never reads
 * buf[len] or beyond.
 */
int hl_sip_parse(const uint8_t *buf, size_t len, struct hl_sip_msg *msg);

/*
 * The status with which the signalling layer answers a parse error err of msg, and its
 * reason phrase, or 0 when the datagram must be dropped silently: a response (RFC 3261
 * §18.3: "If the message is a response, it MUST be discarded"), no request line, or
 * no Via to send the answer along.
 */
int hl_sip_error_status(int err, const struct hl_sip_msg *msg, const char **reason);

/* Default reason phrase for a status code (RFC 3261 §21), "Unknown" if none. */
const char *hl_sip_reason_phrase(int status);

/*
 * Checks what RFC 3261 §8.1.1 makes mandatory in a request, or §8.2.6.2 in a response:
 * one each of To, From, Call-ID, CSeq (number and method matching the request line),
 * at least one Via whose top value parses, a numeric Max-Forwards when present.
 * Returns 0 or HL_E_PARSE (answer 400).
 */
int hl_sip_validate(const uint8_t *buf, const struct hl_sip_msg *msg);

/* Header id for a name (full or compact, case-insensitive); HL_SIP_HDR_OTHER if none. */
enum hl_sip_hdr hl_sip_hdr_lookup(const uint8_t *name, size_t len);
const char *hl_sip_hdr_name(enum hl_sip_hdr id);
const char *hl_sip_method_name(enum hl_sip_method m);
enum hl_sip_method hl_sip_method_lookup(const uint8_t *s, size_t len);

/* First line with id, or NULL. */
static inline const struct hl_sip_hdr_field *
hl_sip_hdr_first(const struct hl_sip_msg *m, enum hl_sip_hdr id)
{
	unsigned int i = m->first[id];
	return i ? &m->hdr[i - 1] : 0;
}

/* Next line with the same id as prev (repeated headers, RFC 3261 §7.3.1), or NULL. */
const struct hl_sip_hdr_field *hl_sip_hdr_next(const struct hl_sip_msg *m,
	const struct hl_sip_hdr_field *prev);

/* First line whose name matches (case-insensitive; for headers without an id). */
const struct hl_sip_hdr_field *hl_sip_hdr_find_name(const uint8_t *buf,
	const struct hl_sip_msg *m, const char *name);

/* 1 if the slice equals the NUL-terminated s, ASCII case-insensitive. */
int hl_sip_slice_ieq(const uint8_t *buf, struct hl_sip_slice s, const char *str);

/* ---- URIs: RFC 3261 §19.1, §25.1; RFC 3966 tel; RFC 5118 IPv6 ---- */

enum hl_sip_uri_scheme {
	HL_SIP_URI_NONE = 0,
	HL_SIP_URI_SIP,
	HL_SIP_URI_SIPS,
	HL_SIP_URI_TEL,
};

enum hl_sip_host_type {
	HL_SIP_HOST_NONE = 0,
	HL_SIP_HOST_NAME,
	HL_SIP_HOST_IPV4,
	HL_SIP_HOST_IPV6, /* host slice includes the brackets of the reference */
};

#define HL_SIP_URI_LR 0x01 /* ;lr: a loose router (RFC 3261 §19.1.1) */

struct hl_sip_uri {
	uint8_t scheme;    /* enum hl_sip_uri_scheme */
	uint8_t host_type; /* enum hl_sip_host_type */
	uint8_t flags;
	uint16_t port;                 /* 0 when absent */
	struct hl_sip_slice user;      /* still %-escaped; tel: the telephone-subscriber */
	struct hl_sip_slice password;
	struct hl_sip_slice host;
	struct hl_sip_slice params;    /* after the first ';', up to '?' */
	struct hl_sip_slice headers;   /* after '?' */
	struct hl_sip_slice transport; /* ;transport= */
	struct hl_sip_slice user_param; /* ;user= */
	struct hl_sip_slice maddr;     /* ;maddr= */
};

/*
 * Parses the whole slice as one URI. Returns 0, HL_E_SCHEME for a well-formed scheme
 * other than sip/sips/tel (416), HL_E_PARSE otherwise.
 */
int hl_sip_parse_uri(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_uri *uri);

/* Host syntax: returns an enum hl_sip_host_type, HL_SIP_HOST_NONE when invalid. */
enum hl_sip_host_type hl_sip_host_type(const uint8_t *p, size_t len);

/*
 * Decodes %-escapes (URIs) into out. Returns the decoded length, HL_E_PARSE on a bad
 * escape, HL_E_TOOBIG when out is short.
 */
int hl_sip_unescape(const uint8_t *buf, struct hl_sip_slice s, char *out, size_t cap);
/* Decodes a quoted-string's inside (\-escapes, RFC 3261 §25.1 quoted-pair), same returns. */
int hl_sip_unquote(const uint8_t *buf, struct hl_sip_slice s, char *out, size_t cap);

/* ---- generic parameters: *( SEMI generic-param ) ---- */

/*
 * Walks ";name[=value]" pairs of a params slice as hl_sip_uri.params or
 * hl_sip_name_addr.params hold them (no leading ';'). Returns bytes consumed (>0),
 * 0 at the end, HL_E_PARSE. A quoted value is returned without its quotes.
 */
int hl_sip_param_next(const uint8_t *buf, struct hl_sip_slice rest, struct hl_sip_slice *name,
	struct hl_sip_slice *value);
/* 1 and *value when a parameter named name is present (value len 0 if it has none). */
int hl_sip_param_find(const uint8_t *buf, struct hl_sip_slice params, const char *name,
	struct hl_sip_slice *value);

/* ---- Via: RFC 3261 §20.42, §18.2.1; RFC 3581 rport ---- */

struct hl_sip_via {
	struct hl_sip_slice protocol;  /* "SIP/2.0" without inner LWS trimmed */
	struct hl_sip_slice transport; /* "UDP", "TCP", "TLS", ... */
	struct hl_sip_slice host;      /* IPv6 with brackets */
	uint8_t host_type;
	uint16_t port; /* 0 when absent */
	int32_t rport; /* -1 absent, 0 present without value */
	int16_t ttl;   /* -1 absent */
	struct hl_sip_slice branch, received, maddr;
	struct hl_sip_slice params; /* everything after the first ';' */
};

/* Parses one via-parm of a comma list: returns bytes consumed or HL_E_PARSE. */
int hl_sip_parse_via(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_via *via);

/* ---- From, To, Contact, Route, Record-Route, Refer-To, Referred-By, P-Asserted-
 * Identity, Diversion: RFC 3261 §20.10, §20.20, §20.39, §25.1 name-addr / addr-spec ---- */

#define HL_SIP_NA_STAR 0x01     /* Contact: * */
#define HL_SIP_NA_ANGLE 0x02    /* <uri> form (name-addr) */
#define HL_SIP_NA_QUOTED 0x04   /* display name was a quoted-string */

struct hl_sip_name_addr {
	uint8_t flags;
	struct hl_sip_slice display; /* without quotes, escapes still in; 0 len if none */
	struct hl_sip_slice uri;     /* inside <>, or the addr-spec */
	struct hl_sip_slice params;  /* header params after the URI, no leading ';' */
	struct hl_sip_slice tag;     /* ;tag= */
	int64_t expires;             /* Contact ;expires=, -1 absent */
	int16_t q;                   /* Contact ;q= in thousandths, -1 absent */
};

/* One element of a comma list: returns bytes consumed or HL_E_PARSE. */
int hl_sip_parse_name_addr(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_name_addr *na);

/* ---- CSeq §20.16, integers (Max-Forwards, Expires, Min-SE, Content-Length, RSeq) ---- */

struct hl_sip_cseq {
	uint32_t seq; /* < 2^31 (RFC 3261 §8.1.1.5) */
	uint8_t method;
	struct hl_sip_slice method_s;
};

int hl_sip_parse_cseq(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_cseq *cseq);
/* 1*DIGIT fitting 32 bits, surrounding LWS allowed: 0 or HL_E_PARSE. */
int hl_sip_parse_uint(const uint8_t *buf, struct hl_sip_slice s, uint32_t *out);

/* ---- RSeq, RAck: RFC 3262 §7.1, §7.2 ---- */

/* RSeq = response-num: 1*DIGIT, not 0 (§3 starts it at 1 or more), fitting 32 bits. */
int hl_sip_parse_rseq(const uint8_t *buf, struct hl_sip_slice s, uint32_t *rseq);

struct hl_sip_rack {
	uint32_t rseq;  /* response-num: the RSeq of the provisional acknowledged */
	uint32_t cseq;  /* CSeq-num of the request it answered, < 2^31 */
	uint8_t method; /* enum hl_sip_method of that request */
	struct hl_sip_slice method_s;
};

/* RAck = response-num LWS CSeq-num LWS Method: 0 or HL_E_PARSE. */
int hl_sip_parse_rack(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_rack *rack);

/* ---- Session-Expires / Min-SE: RFC 4028 §4 ---- */

enum hl_sip_refresher {
	HL_SIP_REFRESHER_NONE = 0,
	HL_SIP_REFRESHER_UAC,
	HL_SIP_REFRESHER_UAS,
};

struct hl_sip_session_expires {
	uint32_t delta;
	uint8_t refresher;
	struct hl_sip_slice params;
};

int hl_sip_parse_session_expires(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_session_expires *se);

/* ---- Digest: RFC 3261 §20.7, §20.27, §20.28, §20.44, §25.1; RFC 2617 §3.2 ---- */

struct hl_sip_digest {
	struct hl_sip_slice scheme; /* "Digest"; other schemes parse as auth-param lists */
	/* Values without quotes. */
	struct hl_sip_slice username, realm, nonce, uri, response, algorithm, cnonce, opaque;
	struct hl_sip_slice qop, nc, domain, stale;
	uint8_t nparams;
};

/* Parses the whole slice (credentials or challenge): 0 or HL_E_PARSE. */
int hl_sip_parse_digest(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_digest *d);

/* ---- token lists: Allow, Supported, Require, Proxy-Require, Unsupported, Allow-Events ---- */

/* One token of a comma list into tok: returns bytes consumed or HL_E_PARSE. */
int hl_sip_parse_token(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_slice *tok);
/* Allow: sets bit (1 << enum hl_sip_method) for each method listed; 0 or HL_E_PARSE. */
int hl_sip_parse_allow(const uint8_t *buf, struct hl_sip_slice s, uint32_t *mask);
/* 1 if any line of header id lists the option tag (case-insensitive), 0 if not. */
int hl_sip_has_option(const uint8_t *buf, const struct hl_sip_msg *m, enum hl_sip_hdr id,
	const char *tag);

/* ---- Content-Type §20.15 ---- */

struct hl_sip_media_type {
	struct hl_sip_slice type, subtype, params;
};

int hl_sip_parse_media_type(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_media_type *mt);

/* ---- Reason: RFC 3326 §2 ---- */

struct hl_sip_reason {
	struct hl_sip_slice protocol; /* "SIP", "Q.850" */
	int32_t cause;                /* -1 absent */
	struct hl_sip_slice text;     /* without quotes */
	struct hl_sip_slice params;
};

/* One element of a comma list: returns bytes consumed or HL_E_PARSE. */
int hl_sip_parse_reason(const uint8_t *buf, struct hl_sip_slice s, struct hl_sip_reason *r);

/* ---- Replaces: RFC 3891 §6.1 ---- */

struct hl_sip_replaces {
	struct hl_sip_slice call_id, to_tag, from_tag;
	uint8_t early_only;
};

int hl_sip_parse_replaces(const uint8_t *buf, struct hl_sip_slice s,
	struct hl_sip_replaces *r);

/* ---- builder ---- */

/*
 * A writer into a caller's buffer (a packet buffer's data room, a stack array). Calls
 * after an overflow do nothing; hl_sip_w_finish() then reports it. No allocation.
 */
struct hl_sip_writer {
	char *buf;
	size_t cap;
	size_t len;
	int err;
};

void hl_sip_w_init(struct hl_sip_writer *w, char *buf, size_t cap);
void hl_sip_w_raw(struct hl_sip_writer *w, const void *p, size_t n);
void hl_sip_w_str(struct hl_sip_writer *w, const char *s);
void hl_sip_w_uint(struct hl_sip_writer *w, uint64_t v);
__attribute__((format(printf, 2, 3))) void hl_sip_w_fmt(struct hl_sip_writer *w,
	const char *fmt, ...);
/* "METHOD uri SIP/2.0\r\n" */
void hl_sip_w_request_line(struct hl_sip_writer *w, const char *method, const char *uri);
/* "SIP/2.0 code reason\r\n"; reason NULL takes hl_sip_reason_phrase(). */
void hl_sip_w_status_line(struct hl_sip_writer *w, int code, const char *reason);
/* "Name: value\r\n" with the full name of id. */
void hl_sip_w_hdr(struct hl_sip_writer *w, enum hl_sip_hdr id, const char *value);
void hl_sip_w_hdr_raw(struct hl_sip_writer *w, const char *name, const void *value,
	size_t n);
__attribute__((format(printf, 3, 4))) void hl_sip_w_hdrf(struct hl_sip_writer *w,
	enum hl_sip_hdr id, const char *fmt, ...);
/* Copies a parsed header line of another message: "Name: value\r\n". */
void hl_sip_w_copy_hdr(struct hl_sip_writer *w, const uint8_t *src,
	const struct hl_sip_hdr_field *h);
/* Content-Type (when ctype), Content-Length, the empty line, then the body. */
void hl_sip_w_body(struct hl_sip_writer *w, const char *ctype, const void *body, size_t n);
/* The message length, or HL_E_TOOBIG if the buffer overflowed. */
int hl_sip_w_finish(struct hl_sip_writer *w);

/*
 * Starts a response to the parsed request req/m (RFC 3261 §8.2.6): status line, every
 * Via line in order, From, To (adding ";tag=to_tag" when To has none and to_tag is not
 * NULL, §8.2.6.2), Call-ID, CSeq, and Timestamp for 100 (§8.2.6.1). The caller adds its
 * own headers and ends with hl_sip_w_body(). Returns 0 or HL_E_PARSE when the request
 * lacks one of Via, From, To, Call-ID, CSeq (such a request cannot be answered).
 */
int hl_sip_w_response_start(struct hl_sip_writer *w, const uint8_t *req,
	const struct hl_sip_msg *m, int code, const char *reason, const char *to_tag);

/*
 * A complete stateless response without body (errors, 100 Trying): returns its length,
 * HL_E_PARSE when the request cannot be answered, HL_E_TOOBIG when cap is short.
 */
int hl_sip_build_error_response(const uint8_t *req, const struct hl_sip_msg *m, int code,
	const char *to_tag, char *buf, size_t cap);

#endif
