/* INI-shaped line reader and value parsers shared by config.c and tenant.c: see ini_priv.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ini_priv.h"
#include "hotline/common.h"

void
hl_ini_init(struct hl_ini *ini, const char *path, const char *text, size_t len,
	const char *section_shape, char *err, size_t errlen)
{
	ini->path = path;
	ini->text = text;
	ini->len = len;
	ini->pos = 0;
	ini->line = 0;
	ini->section_shape = section_shape;
	ini->err = err;
	ini->errlen = errlen;
	ini->buf[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

int
hl_ini_vfail(struct hl_ini *ini, unsigned int line, const char *fmt, va_list ap)
{
	char msg[HL_INI_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ini->err != NULL && ini->errlen > 0) {
		if (line > 0)
			snprintf(ini->err, ini->errlen, "%s:%u: %s", ini->path, line, msg);
		else
			snprintf(ini->err, ini->errlen, "%s: %s", ini->path, msg);
	}
	return HL_E_CONFIG;
}

int
hl_ini_fail(struct hl_ini *ini, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hl_ini_vfail(ini, line, fmt, ap);
	va_end(ap);
	return rc;
}

char *
hl_ini_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Copies the next physical line into ini->buf; 1, 0 at the end, or HL_E_CONFIG. */
static int
read_line(struct hl_ini *ini)
{
	size_t n = 0;

	if (ini->pos >= ini->len)
		return 0;
	ini->line++;
	while (ini->pos < ini->len && ini->text[ini->pos] != '\n') {
		unsigned char c = (unsigned char)ini->text[ini->pos];

		if (n == HL_INI_LINE_MAX)
			return hl_ini_fail(ini, ini->line, "line is longer than %d characters",
				HL_INI_LINE_MAX);
		if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return hl_ini_fail(ini, ini->line, "control character 0x%02x in line", c);
		ini->buf[n++] = (char)c;
		ini->pos++;
	}
	ini->pos++; /* the newline */
	ini->buf[n] = '\0';
	return 1;
}

static int
section(struct hl_ini *ini, char *s, struct hl_ini_line *l)
{
	char *end = strchr(s, ']');
	char *name, *arg;

	if (end == NULL || hl_ini_trim(end + 1)[0] != '\0')
		return hl_ini_fail(ini, ini->line, "section header must be %s", ini->section_shape);
	*end = '\0';
	name = hl_ini_trim(s + 1);
	arg = name + strcspn(name, " \t");
	if (*arg != '\0') {
		*arg++ = '\0';
		arg = hl_ini_trim(arg);
	}
	l->section = name;
	l->arg = arg;
	return 1;
}

int
hl_ini_next(struct hl_ini *ini, struct hl_ini_line *l)
{
	for (;;) {
		int rc = read_line(ini);
		char *s, *hash, *eq;

		if (rc <= 0)
			return rc;
		memset(l, 0, sizeof(*l));
		s = ini->buf;
		hash = strchr(s, '#');
		if (hash != NULL)
			*hash = '\0';
		s = hl_ini_trim(s);
		if (*s == '\0')
			continue;
		if (*s == '[')
			return section(ini, s, l);
		eq = strchr(s, '=');
		if (eq == NULL)
			return hl_ini_fail(ini, ini->line,
				"expected 'key = value' or '[section]', got '%s'", s);
		*eq = '\0';
		l->key = hl_ini_trim(s);
		l->val = hl_ini_trim(eq + 1);
		if (*l->key == '\0')
			return hl_ini_fail(ini, ini->line, "missing key before '='");
		if (*l->val == '\0')
			return hl_ini_fail(ini, ini->line, "%s: missing value", l->key);
		return 1;
	}
}

int
hl_ini_uint(struct hl_ini *ini, const char *key, const char *v, uint64_t lo, uint64_t hi,
	uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not a number", key, v);
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not a number", key, v);
	if (x < lo || x > hi)
		return hl_ini_fail(ini, ini->line, "%s: %llu is out of range %llu..%llu", key, x,
			(unsigned long long)lo, (unsigned long long)hi);
	*out = x;
	return 0;
}

int
hl_ini_bool(struct hl_ini *ini, const char *key, const char *v, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < HL_ARRAY_SIZE(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return hl_ini_fail(ini, ini->line, "%s: '%s' is not on/off", key, v);
}

int
hl_ini_ip(struct hl_ini *ini, const char *key, const char *v, int af, uint8_t *addr,
	uint8_t *prefix)
{
	char buf[64];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	unsigned int maxp = af == AF_INET ? 32 : 128;

	if (alen == 0 || alen >= sizeof(buf))
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not an IPv%d address", key, v,
			af == AF_INET ? 4 : 6);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, addr) != 1)
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not an IPv%d address", key, buf,
			af == AF_INET ? 4 : 6);
	if (prefix == NULL) {
		if (slash != NULL)
			return hl_ini_fail(ini, ini->line, "%s: a gateway takes no prefix length",
				key);
		return 0;
	}
	if (slash == NULL)
		return hl_ini_fail(ini, ini->line, "%s: '%s' needs a prefix length (address/len)",
			key, v);
	uint64_t len;
	int rc = hl_ini_uint(ini, key, slash + 1, 1, maxp, &len);
	if (rc < 0)
		return rc;
	*prefix = (uint8_t)len;
	return 0;
}

bool
hl_ini_same_prefix(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

int
hl_ini_cidr(struct hl_ini *ini, const char *key, const char *v, uint8_t *family,
	uint8_t *addr, uint8_t *prefix)
{
	char buf[64];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	int af;
	unsigned int maxp;
	uint64_t len;
	int rc;

	if (alen == 0 || alen >= sizeof(buf))
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not an IPv4 or IPv6 network", key,
			v);
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	af = memchr(buf, ':', alen) != NULL ? AF_INET6 : AF_INET;
	maxp = af == AF_INET ? 32 : 128;
	memset(addr, 0, 16);
	if (inet_pton(af, buf, addr) != 1)
		return hl_ini_fail(ini, ini->line, "%s: '%s' is not an IPv%d address", key, buf,
			af == AF_INET ? 4 : 6);
	len = maxp;
	if (slash != NULL && (rc = hl_ini_uint(ini, key, slash + 1, 0, maxp, &len)) < 0)
		return rc;
	uint8_t net[16] = {0};
	unsigned int bytes = (unsigned int)len / 8, rem = (unsigned int)len % 8;
	memcpy(net, addr, bytes);
	if (rem != 0)
		net[bytes] = (uint8_t)(addr[bytes] & (0xff << (8 - rem)));
	if (memcmp(net, addr, maxp / 8) != 0) {
		char ntop[INET6_ADDRSTRLEN];

		inet_ntop(af, net, ntop, sizeof(ntop));
		return hl_ini_fail(ini, ini->line, "%s: '%s' has bits set below the /%u prefix "
						   "(network %s/%u?)",
			key, v, (unsigned int)len, ntop, (unsigned int)len);
	}
	*family = (uint8_t)af;
	*prefix = (uint8_t)len;
	return 0;
}

int
hl_ini_read_file(const char *path, size_t max, char **text, size_t *len, char *err,
	size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int rc;

	*text = NULL;
	*len = 0;
	if (f == NULL) {
		rc = -errno;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	/* Grow as we read: a tenants file may be megabytes, a config file a few KiB. */
	for (;;) {
		if (n == cap) {
			size_t ncap = cap == 0 ? 65536 : cap * 2;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap) {
				rc = HL_E_TOOBIG;
				if (err != NULL && errlen > 0)
					snprintf(err, errlen, "%s: larger than %zu bytes", path,
						max);
				goto fail;
			}
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				rc = -ENOMEM;
				if (err != NULL && errlen > 0)
					snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (n > max) {
		rc = HL_E_TOOBIG;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	fclose(f);
	*text = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	fclose(f);
	return rc;
}
