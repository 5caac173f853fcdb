/*
 * SIP message builder into a caller's buffer (include/hotline/sip.h).
 *
 * A writer appends and remembers the first overflow; callers check once at the end.
 * Responses copy the request's header lines byte for byte, as RFC 3261 §8.2.6.2 asks
 * of Via, From, To, Call-ID and CSeq, so what the peer matches on is what it sent.
 */
#include <stdio.h>
#include <string.h>

#include "hotline/sip.h"

void
hl_sip_w_init(struct hl_sip_writer *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

void
hl_sip_w_raw(struct hl_sip_writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = HL_E_TOOBIG;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
hl_sip_w_str(struct hl_sip_writer *w, const char *s)
{
	hl_sip_w_raw(w, s, strlen(s));
}

void
hl_sip_w_uint(struct hl_sip_writer *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hl_sip_w_raw(w, tmp + i, sizeof(tmp) - i);
}

__attribute__((format(printf, 2, 0))) static void
w_vfmt(struct hl_sip_writer *w, const char *fmt, va_list ap)
{
	if (w->err)
		return;
	size_t room = w->cap - w->len;
	int n = vsnprintf(w->buf + w->len, room, fmt, ap);
	if (n < 0 || (size_t)n >= room) {
		w->err = HL_E_TOOBIG;
		return;
	}
	w->len += (size_t)n;
}

void
hl_sip_w_fmt(struct hl_sip_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w_vfmt(w, fmt, ap);
	va_end(ap);
}

void
hl_sip_w_request_line(struct hl_sip_writer *w, const char *method, const char *uri)
{
	hl_sip_w_str(w, method);
	hl_sip_w_raw(w, " ", 1);
	hl_sip_w_str(w, uri);
	hl_sip_w_raw(w, " SIP/2.0\r\n", 10);
}

void
hl_sip_w_status_line(struct hl_sip_writer *w, int code, const char *reason)
{
	char c[4] = {(char)('0' + code / 100 % 10), (char)('0' + code / 10 % 10),
		(char)('0' + code % 10), ' '};
	hl_sip_w_raw(w, "SIP/2.0 ", 8);
	hl_sip_w_raw(w, c, 4);
	hl_sip_w_str(w, reason ? reason : hl_sip_reason_phrase(code));
	hl_sip_w_raw(w, "\r\n", 2);
}

void
hl_sip_w_hdr_raw(struct hl_sip_writer *w, const char *name, const void *value, size_t n)
{
	hl_sip_w_str(w, name);
	hl_sip_w_raw(w, ": ", 2);
	hl_sip_w_raw(w, value, n);
	hl_sip_w_raw(w, "\r\n", 2);
}

void
hl_sip_w_hdr(struct hl_sip_writer *w, enum hl_sip_hdr id, const char *value)
{
	hl_sip_w_hdr_raw(w, hl_sip_hdr_name(id), value, strlen(value));
}

void
hl_sip_w_hdrf(struct hl_sip_writer *w, enum hl_sip_hdr id, const char *fmt, ...)
{
	va_list ap;
	hl_sip_w_str(w, hl_sip_hdr_name(id));
	hl_sip_w_raw(w, ": ", 2);
	va_start(ap, fmt);
	w_vfmt(w, fmt, ap);
	va_end(ap);
	hl_sip_w_raw(w, "\r\n", 2);
}

void
hl_sip_w_copy_hdr(struct hl_sip_writer *w, const uint8_t *src,
	const struct hl_sip_hdr_field *h)
{
	hl_sip_w_raw(w, src + h->name.off, h->name.len);
	hl_sip_w_raw(w, ": ", 2);
	hl_sip_w_raw(w, src + h->value.off, h->value.len);
	hl_sip_w_raw(w, "\r\n", 2);
}

void
hl_sip_w_body(struct hl_sip_writer *w, const char *ctype, const void *body, size_t n)
{
	if (ctype != NULL)
		hl_sip_w_hdr(w, HL_SIP_HDR_CONTENT_TYPE, ctype);
	hl_sip_w_raw(w, "Content-Length: ", 16);
	hl_sip_w_uint(w, n);
	hl_sip_w_raw(w, "\r\n\r\n", 4);
	if (n)
		hl_sip_w_raw(w, body, n);
}

int
hl_sip_w_finish(struct hl_sip_writer *w)
{
	if (w->err)
		return w->err;
	if (w->len > HL_SIP_MAX_LEN)
		return HL_E_TOOBIG;
	return (int)w->len;
}

int
hl_sip_w_response_start(struct hl_sip_writer *w, const uint8_t *req,
	const struct hl_sip_msg *m, int code, const char *reason, const char *to_tag)
{
	static const uint8_t copied[] = {HL_SIP_HDR_FROM, HL_SIP_HDR_CALL_ID, HL_SIP_HDR_CSEQ};
	const struct hl_sip_hdr_field *h, *to;
	struct hl_sip_name_addr na;

	to = hl_sip_hdr_first(m, HL_SIP_HDR_TO);
	if (hl_sip_hdr_first(m, HL_SIP_HDR_VIA) == NULL || to == NULL ||
		hl_sip_hdr_first(m, HL_SIP_HDR_FROM) == NULL ||
		hl_sip_hdr_first(m, HL_SIP_HDR_CALL_ID) == NULL ||
		hl_sip_hdr_first(m, HL_SIP_HDR_CSEQ) == NULL)
		return HL_E_PARSE;
	hl_sip_w_status_line(w, code, reason);
	/* §8.2.6.2: every Via, in order; a line may hold several values. */
	for (h = hl_sip_hdr_first(m, HL_SIP_HDR_VIA); h != NULL; h = hl_sip_hdr_next(m, h))
		hl_sip_w_copy_hdr(w, req, h);
	hl_sip_w_copy_hdr(w, req, hl_sip_hdr_first(m, copied[0]));
	/* §8.2.6.2: add a To tag if the request had none; 100 Trying may go without. */
	hl_sip_w_copy_hdr(w, req, to);
	if (to_tag != NULL && code > 100 &&
		(hl_sip_parse_name_addr(req, to->value, &na) < 0 || na.tag.len == 0)) {
		w->len -= w->err ? 0 : 2;
		hl_sip_w_raw(w, ";tag=", 5);
		hl_sip_w_str(w, to_tag);
		hl_sip_w_raw(w, "\r\n", 2);
	}
	hl_sip_w_copy_hdr(w, req, hl_sip_hdr_first(m, copied[1]));
	hl_sip_w_copy_hdr(w, req, hl_sip_hdr_first(m, copied[2]));
	/* §8.2.6.1: a 100 echoes the request's Timestamp. */
	if (code == 100 && (h = hl_sip_hdr_first(m, HL_SIP_HDR_TIMESTAMP)) != NULL)
		hl_sip_w_copy_hdr(w, req, h);
	return 0;
}

int
hl_sip_build_error_response(const uint8_t *req, const struct hl_sip_msg *m, int code,
	const char *to_tag, char *buf, size_t cap)
{
	struct hl_sip_writer w;
	hl_sip_w_init(&w, buf, cap);
	int r = hl_sip_w_response_start(&w, req, m, code, NULL, to_tag);
	if (r != 0)
		return r;
	hl_sip_w_body(&w, NULL, NULL, 0);
	return hl_sip_w_finish(&w);
}
