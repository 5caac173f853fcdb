/*
 * Private helpers shared by the INI-shaped parsers of the control plane: hotline.conf
 * (control/config.c) and the tenants file (control/tenant.c). Not part of any module
 * contract (STYLE.md rule 3).
 *
 * Both files follow one set of rules: `[section]` or `[section arg]` headers,
 * `key = value` lines, `#` starts a comment anywhere on a line, blank lines are
 * ignored, lines are at most HL_INI_LINE_MAX bytes and hold no control character but
 * HT (and the CR of a CRLF ending). hl_ini_next() hands out one header or key line at a
 * time, so the caller reports errors in file order; every error is "path:line: message"
 * (compilers' shape, so editors jump to it) and HL_E_CONFIG.
 */
#ifndef HOTLINE_CONTROL_INI_PRIV_H
#define HOTLINE_CONTROL_INI_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_INI_LINE_MAX 1024
#define HL_INI_MSG_MAX 512

struct hl_ini {
	const char *path;
	const char *text;
	size_t len;
	size_t pos;
	unsigned int line;       /* of the line last returned */
	const char *section_shape; /* "[name] or [port NAME]": for a malformed header */
	char *err;
	size_t errlen;
	char buf[HL_INI_LINE_MAX + 1];
};

/* One line of the file: a section header (section != NULL) or a key (key != NULL).
 * The strings point into ini->buf and stay valid until the next hl_ini_next(). */
struct hl_ini_line {
	char *section; /* name of [name arg] */
	char *arg;     /* "" when the header has no argument */
	char *key;
	char *val;     /* never empty */
};

void hl_ini_init(struct hl_ini *ini, const char *path, const char *text, size_t len,
	const char *section_shape, char *err, size_t errlen);

/* Writes "path:line: message" (or "path: message" for line 0) into ini->err; returns
 * HL_E_CONFIG. */
int hl_ini_fail(struct hl_ini *ini, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int hl_ini_vfail(struct hl_ini *ini, unsigned int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Next header or key line: 1 and *l filled, 0 at the end of the text, or HL_E_CONFIG. */
int hl_ini_next(struct hl_ini *ini, struct hl_ini_line *l);

char *hl_ini_trim(char *s);

/* Unsigned decimal in [lo, hi], the whole string. */
int hl_ini_uint(struct hl_ini *ini, const char *key, const char *v, uint64_t lo, uint64_t hi,
	uint64_t *out);

/* on/yes/true/1 or off/no/false/0. */
int hl_ini_bool(struct hl_ini *ini, const char *key, const char *v, bool *out);

/* An address of family af; with prefix != NULL it must carry "/len", len 1..32 or 1..128
 * (an interface address), without it must not (a gateway). */
int hl_ini_ip(struct hl_ini *ini, const char *key, const char *v, int af, uint8_t *addr,
	uint8_t *prefix);

/* A network for an ACL: IPv4 or IPv6, "addr/len" with len 0..32 or 0..128, or a bare
 * address meaning that one host. Host bits below the prefix are refused: they are
 * nearly always a typo for another network. */
int hl_ini_cidr(struct hl_ini *ini, const char *key, const char *v, uint8_t *family,
	uint8_t *addr, uint8_t *prefix);

/* Do a and b agree on their first bits bits? */
bool hl_ini_same_prefix(const uint8_t *a, const uint8_t *b, unsigned int bits);

/*
 * Reads a whole file of at most max bytes into a malloc'd buffer (*text, *len; free it
 * with free()). Errors: -errno or HL_E_TOOBIG, with "path: cannot open: reason",
 * "path: out of memory", "path: read error" or "path: larger than N bytes" in err.
 */
int hl_ini_read_file(const char *path, size_t max, char **text, size_t *len, char *err,
	size_t errlen);

#endif
