/*
 * libFuzzer target: every SIP header-body parser on its own. The first byte picks the
 * parser, the rest is the header value; list parsers walk the whole comma list.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > HL_SIP_MAX_LEN)
		return 0;
	unsigned int which = data[0] % 16;
	size--;
	/* An exact-size copy: ASan flags any read past the value. */
	uint8_t *b = malloc(size ? size : 1);
	if (b == NULL)
		return 0;
	memcpy(b, data + 1, size);
	struct hl_sip_slice s = {0, (uint16_t)size}, n1, n2;
	union {
		struct hl_sip_via via;
		struct hl_sip_name_addr na;
		struct hl_sip_cseq cseq;
		struct hl_sip_digest d;
		struct hl_sip_session_expires se;
		struct hl_sip_media_type mt;
		struct hl_sip_reason r;
		struct hl_sip_replaces rp;
		struct hl_sip_rack ra;
		struct hl_sip_uri uri;
		struct hl_sip_slice tok;
		uint32_t u;
	} o;
	char out[256];
	int n;
	for (;;) {
		switch (which) {
		case 0:
			n = hl_sip_parse_via(b, s, &o.via);
			break;
		case 1:
			n = hl_sip_parse_name_addr(b, s, &o.na);
			if (n > 0 && o.na.uri.len) {
				struct hl_sip_uri u;
				hl_sip_parse_uri(b, o.na.uri, &u);
				hl_sip_unquote(b, o.na.display, out, sizeof(out));
			}
			break;
		case 2:
			n = hl_sip_parse_token(b, s, &o.tok);
			break;
		case 3:
			n = hl_sip_parse_reason(b, s, &o.r);
			break;
		case 4:
			n = hl_sip_param_next(b, s, &n1, &n2);
			break;
		default:
			n = 0;
			break;
		}
		if (n > s.len)
			abort();
		if (n <= 0)
			break;
		s.off = (uint16_t)(s.off + n);
		s.len = (uint16_t)(s.len - n);
	}
	s = (struct hl_sip_slice){0, (uint16_t)size};
	switch (which) {
	case 5:
		if (hl_sip_parse_uri(b, s, &o.uri) == 0) {
			hl_sip_unescape(b, o.uri.user, out, sizeof(out));
			hl_sip_unescape(b, o.uri.headers, out, sizeof(out));
			hl_sip_param_find(b, o.uri.params, "lr", &n1);
		}
		break;
	case 6:
		hl_sip_parse_cseq(b, s, &o.cseq);
		break;
	case 7:
		hl_sip_parse_digest(b, s, &o.d);
		break;
	case 8:
		hl_sip_parse_session_expires(b, s, &o.se);
		break;
	case 9:
		hl_sip_parse_media_type(b, s, &o.mt);
		break;
	case 10:
		hl_sip_parse_replaces(b, s, &o.rp);
		break;
	case 11:
		hl_sip_parse_uint(b, s, &o.u);
		break;
	case 12:
		hl_sip_parse_allow(b, s, &o.u);
		break;
	case 14:
		if (hl_sip_parse_rack(b, s, &o.ra) == 0 &&
			(o.ra.method_s.off + o.ra.method_s.len > size || o.ra.rseq == 0 ||
				o.ra.cseq > 0x7fffffffu))
			abort();
		break;
	case 15:
		if (hl_sip_parse_rseq(b, s, &o.u) == 0 && o.u == 0)
			abort();
		break;
	case 13:
		hl_sip_host_type(b, size);
		hl_sip_unescape(b, s, out, sizeof(out));
		hl_sip_unquote(b, s, out, sizeof(out));
		break;
	}
	free(b);
	return 0;
}
