/*
 * libFuzzer target: hl_sip_parse() on a datagram, then every header-body parser on the
 * headers it found, hl_sip_validate(), and the stateless error response, which must
 * itself parse whole.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/sip.h"

static void
bodies(const uint8_t *b, const struct hl_sip_msg *m)
{
	for (unsigned int i = 0; i < m->nhdr; i++) {
		const struct hl_sip_hdr_field *h = &m->hdr[i];
		struct hl_sip_slice s = h->value;
		union {
			struct hl_sip_via via;
			struct hl_sip_name_addr na;
			struct hl_sip_cseq cseq;
			struct hl_sip_digest d;
			struct hl_sip_session_expires se;
			struct hl_sip_media_type mt;
			struct hl_sip_reason r;
			struct hl_sip_replaces rp;
			struct hl_sip_uri uri;
			struct hl_sip_slice tok;
			uint32_t u;
		} o;
		int n = 0;
		do {
			switch (h->id) {
			case HL_SIP_HDR_VIA:
				n = hl_sip_parse_via(b, s, &o.via);
				break;
			case HL_SIP_HDR_FROM:
			case HL_SIP_HDR_TO:
			case HL_SIP_HDR_CONTACT:
			case HL_SIP_HDR_ROUTE:
			case HL_SIP_HDR_RECORD_ROUTE:
			case HL_SIP_HDR_REFER_TO:
			case HL_SIP_HDR_REFERRED_BY:
			case HL_SIP_HDR_P_ASSERTED_IDENTITY:
			case HL_SIP_HDR_P_PREFERRED_IDENTITY:
			case HL_SIP_HDR_DIVERSION:
				n = hl_sip_parse_name_addr(b, s, &o.na);
				if (n > 0 && o.na.uri.len)
					hl_sip_parse_uri(b, o.na.uri, &o.uri);
				break;
			case HL_SIP_HDR_REASON:
				n = hl_sip_parse_reason(b, s, &o.r);
				break;
			case HL_SIP_HDR_ALLOW:
			case HL_SIP_HDR_SUPPORTED:
			case HL_SIP_HDR_REQUIRE:
			case HL_SIP_HDR_PROXY_REQUIRE:
			case HL_SIP_HDR_UNSUPPORTED:
			case HL_SIP_HDR_ALLOW_EVENTS:
				n = hl_sip_parse_token(b, s, &o.tok);
				break;
			default:
				n = 0;
				break;
			}
			if (n <= 0 || n > s.len)
				break;
			s.off = (uint16_t)(s.off + n);
			s.len = (uint16_t)(s.len - n);
		} while (s.len > 0);
		switch (h->id) {
		case HL_SIP_HDR_CSEQ:
			hl_sip_parse_cseq(b, h->value, &o.cseq);
			break;
		case HL_SIP_HDR_AUTHORIZATION:
		case HL_SIP_HDR_PROXY_AUTHORIZATION:
		case HL_SIP_HDR_WWW_AUTHENTICATE:
		case HL_SIP_HDR_PROXY_AUTHENTICATE:
			hl_sip_parse_digest(b, h->value, &o.d);
			break;
		case HL_SIP_HDR_SESSION_EXPIRES:
		case HL_SIP_HDR_MIN_SE:
			hl_sip_parse_session_expires(b, h->value, &o.se);
			break;
		case HL_SIP_HDR_CONTENT_TYPE:
			hl_sip_parse_media_type(b, h->value, &o.mt);
			break;
		case HL_SIP_HDR_REPLACES:
			hl_sip_parse_replaces(b, h->value, &o.rp);
			break;
		case HL_SIP_HDR_MAX_FORWARDS:
		case HL_SIP_HDR_EXPIRES:
		case HL_SIP_HDR_MIN_EXPIRES:
		case HL_SIP_HDR_CONTENT_LENGTH:
			hl_sip_parse_uint(b, h->value, &o.u);
			break;
		case HL_SIP_HDR_ALLOW:
			hl_sip_parse_allow(b, h->value, &o.u);
			break;
		default:
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hl_sip_msg m, rm;
	static char out[HL_SIP_MAX_LEN];
	uint8_t *b = malloc(size ? size : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	int r = hl_sip_parse(b, size, &m);
	if (r > (int)size)
		abort();
	bodies(b, &m);
	if (r >= 0) {
		hl_sip_validate(b, &m);
		if (m.ruri.len) {
			struct hl_sip_uri u;
			hl_sip_parse_uri(b, m.ruri, &u);
		}
	}
	int code = hl_sip_error_status(r, &m, NULL);
	if (r >= 0 && (m.flags & HL_SIP_F_REQUEST))
		code = 486;
	if (code) {
		int n = hl_sip_build_error_response(b, &m, code, "hl1", out, sizeof(out));
		/* A response built from a message that parsed must parse whole. */
		if (n > 0 && r >= 0 && hl_sip_parse((const uint8_t *)out, (size_t)n, &rm) != n)
			abort();
	}
	free(b);
	return 0;
}
