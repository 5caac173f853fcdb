/*
 * hlctl: the operator's command line to a hotline node's state.
 *
 *   hlctl cdr --store DIR [--since-id N] [--limit N] [--json|--csv]
 *
 * prints the call records in the LMDB store DIR ([sip] store of hotlined.conf), oldest
 * first, one per line: key=value text by default, a JSON object per line (JSON Lines)
 * with --json, or CSV with a header line with --csv. It opens the environment read-only
 * (MDB_RDONLY, through hotline/store.h): LMDB readers never block the writer, so it runs
 * while hotlined does and sees every record committed before each batch it reads. Ids
 * only grow, so "--since-id <last id seen + 1>" follows new records.
 *
 * No DPDK here: it links the store module and LMDB only. Exit status: 0, 1 when the store
 * cannot be read, 2 for bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/common.h"
#include "hotline/store.h"

enum fmt {
	FMT_TEXT,
	FMT_JSON,
	FMT_CSV,
};

struct out {
	FILE *f;
	enum fmt fmt;
	bool first;        /* no field written yet on this line / in this object */
	const char *prefix; /* text and CSV: leg fields are a_..., b_... */
	uint64_t limit, n;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: hlctl cdr --store DIR [--since-id N] [--limit N] [--json|--csv]\n"
		   "  prints the call records of the hotline store DIR ([sip] store), oldest\n"
		   "  first, one per line; works while hotlined runs (read-only).\n"
		   "  --since-id N  from record id N on (ids only grow: last seen + 1 follows)\n"
		   "  --limit N     at most N records\n"
		   "  --json        one JSON object per line\n"
		   "  --csv         CSV with a header line\n");
}

static void
sep(struct out *o)
{
	if (!o->first)
		fputc(o->fmt == FMT_TEXT ? ' ' : ',', o->f);
	o->first = false;
}

static void
name(struct out *o, const char *n)
{
	sep(o);
	if (o->fmt == FMT_JSON)
		fprintf(o->f, "\"%s\":", n);
	else if (o->fmt == FMT_TEXT)
		fprintf(o->f, "%s%s=", o->prefix, n);
}

/* A string value: JSON-escaped (RFC 8259 §7), CSV-quoted (RFC 4180 §2), or for text
 * quoted when it holds a blank, a quote or a backslash. */
static void
f_str(struct out *o, const char *n, const char *v)
{
	name(o, n);
	if (o->fmt == FMT_JSON) {
		fputc('"', o->f);
		for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
			if (*p == '"' || *p == '\\')
				fprintf(o->f, "\\%c", *p);
			else if (*p < 0x20)
				fprintf(o->f, "\\u%04x", *p);
			else
				fputc(*p, o->f);
		}
		fputc('"', o->f);
		return;
	}
	bool quote = o->fmt == FMT_CSV ? strpbrk(v, ",\"\r\n") != NULL :
					 v[0] == '\0' || strpbrk(v, " \t\"\\\r\n") != NULL;
	if (!quote) {
		fputs(v, o->f);
		return;
	}
	fputc('"', o->f);
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			fputs(o->fmt == FMT_CSV ? "\"\"" : "\\\"", o->f);
		else if (*p == '\\' && o->fmt == FMT_TEXT)
			fputs("\\\\", o->f);
		else if ((*p == '\r' || *p == '\n') && o->fmt == FMT_TEXT)
			fputc(' ', o->f);
		else
			fputc(*p, o->f);
	}
	fputc('"', o->f);
}

static void
f_u64(struct out *o, const char *n, uint64_t v)
{
	name(o, n);
	fprintf(o->f, "%llu", (unsigned long long)v);
}

static void
f_i64(struct out *o, const char *n, int64_t v)
{
	name(o, n);
	fprintf(o->f, "%lld", (long long)v);
}

static void
f_f64(struct out *o, const char *n, double v)
{
	name(o, n);
	fprintf(o->f, "%.2f", v);
}

static void
f_bool(struct out *o, const char *n, bool v)
{
	name(o, n);
	fputs(o->fmt == FMT_CSV ? (v ? "1" : "0") : (v ? "true" : "false"), o->f);
}

static const char *const leg_states[] = {"none", "figures", "missing"};

static void
leg(struct out *o, const char *side, const struct hl_cdr_leg *l)
{
	if (o->fmt == FMT_JSON) {
		sep(o);
		fprintf(o->f, "\"%s\":{", side);
		o->first = true;
	} else {
		o->prefix = side[0] == 'a' ? "a_" : "b_";
	}
	/* CSV names its columns once, in csv_header(). */
	f_str(o, "media", l->state < 3 ? leg_states[l->state] : "unknown");
	f_u64(o, "rx_packets", l->rx_packets);
	f_u64(o, "rx_bytes", l->rx_bytes);
	f_u64(o, "tx_packets", l->tx_packets);
	f_u64(o, "tx_bytes", l->tx_bytes);
	f_i64(o, "lost", l->lost);
	f_f64(o, "loss_pct", l->loss_pct);
	f_f64(o, "jitter_ms", l->jitter_ms);
	f_u64(o, "rtt_ms", l->rtt_ms);
	f_f64(o, "mos", l->mos);
	f_u64(o, "dtmf", l->dtmf);
	f_u64(o, "srtp_auth_fail", l->srtp_auth_fail);
	f_u64(o, "srtp_replay", l->srtp_replay);
	f_u64(o, "wrong_source", l->wrong_source);
	f_u64(o, "ssrc_changes", l->ssrc_changes);
	f_u64(o, "rtcp_in", l->rtcp_in);
	f_u64(o, "rtcp_out", l->rtcp_out);
	f_bool(o, "latched", l->latched != 0);
	f_u64(o, "local_port", l->local_port);
	if (o->fmt == FMT_JSON) {
		fputc('}', o->f);
		o->first = false;
	}
	o->prefix = "";
}

static const char *const call_cols[] = {"id", "call_id", "tenant_id", "tenant",
	"caller_user", "caller_display", "called", "agent", "created_ms", "answered_ms",
	"ended_ms", "duration_ms", "talk_ms", "disposition", "ended_by", "sip_status",
	"agents_tried", "figures_missing"};
/* After the legs' columns, so those keep their place in CSV from before version 2. */
static const char *const tail_cols[] = {"refused", "source"};
static const char *const leg_cols[] = {"media", "rx_packets", "rx_bytes", "tx_packets",
	"tx_bytes", "lost", "loss_pct", "jitter_ms", "rtt_ms", "mos", "dtmf", "srtp_auth_fail",
	"srtp_replay", "wrong_source", "ssrc_changes", "rtcp_in", "rtcp_out", "latched",
	"local_port"};

static void
csv_header(FILE *f)
{
	for (size_t i = 0; i < HL_ARRAY_SIZE(call_cols); i++)
		fprintf(f, "%s%s", i ? "," : "", call_cols[i]);
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < HL_ARRAY_SIZE(leg_cols); i++)
			fprintf(f, ",%s_%s", s ? "b" : "a", leg_cols[i]);
	for (size_t i = 0; i < HL_ARRAY_SIZE(tail_cols); i++)
		fprintf(f, ",%s", tail_cols[i]);
	fputc('\n', f);
}

/* "192.0.2.1:5060", "[2001:db8::1]:5060"; "" when the record has none. */
static void
source(const struct hl_cdr *r, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (r->src_family == 0 || inet_ntop(r->src_family, r->src_addr, ip, sizeof(ip)) == NULL)
		return;
	snprintf(out, cap, r->src_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, r->src_port);
}

static int
print_cdr(void *ctx, const struct hl_cdr *r)
{
	struct out *o = ctx;
	char src[INET6_ADDRSTRLEN + 8];

	o->first = true;
	o->prefix = "";
	if (o->fmt == FMT_JSON)
		fputc('{', o->f);
	f_u64(o, "id", r->id);
	f_str(o, "call_id", r->call_id);
	f_u64(o, "tenant_id", r->tenant_id);
	f_str(o, "tenant", r->tenant);
	f_str(o, "caller_user", r->caller_user);
	f_str(o, "caller_display", r->caller_display);
	f_str(o, "called", r->called);
	f_str(o, "agent", r->agent);
	f_u64(o, "created_ms", r->created_ms);
	f_u64(o, "answered_ms", r->answered_ms);
	f_u64(o, "ended_ms", r->ended_ms);
	f_u64(o, "duration_ms", r->duration_ms);
	f_u64(o, "talk_ms", r->talk_ms);
	f_str(o, "disposition", hl_store_cdr_disposition_name(r->disposition));
	f_str(o, "ended_by", hl_store_cdr_party_name(r->ended_by));
	f_u64(o, "sip_status", r->sip_status);
	f_u64(o, "agents_tried", r->agents_tried);
	f_bool(o, "figures_missing", (r->flags & HL_CDR_F_FIGURES_MISSING) != 0);
	leg(o, "a", &r->leg[0]);
	leg(o, "b", &r->leg[1]);
	f_bool(o, "refused", (r->flags & HL_CDR_F_REFUSED) != 0);
	source(r, src, sizeof(src));
	f_str(o, "source", src);
	if (o->fmt == FMT_JSON)
		fputc('}', o->f);
	fputc('\n', o->f);
	if (ferror(o->f))
		return -EIO;
	o->n++;
	return o->limit != 0 && o->n >= o->limit ? 1 : 0;
}

/* A whole decimal number in lo..hi. */
static bool
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int
cmd_cdr(int argc, char **argv)
{
	const char *dir = NULL;
	struct out o = {.f = stdout, .fmt = FMT_TEXT, .prefix = ""};
	uint64_t since = 1;
	bool have_fmt = false;
	struct hl_store *s;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--store") == 0 && v != NULL) {
			dir = v;
			i++;
		} else if (strcmp(a, "--since-id") == 0) {
			if (!parse_u64(v, 0, UINT64_MAX, &since)) {
				fprintf(stderr, "hlctl cdr: --since-id needs a record id, got '%s'\n",
					v ? v : "");
				return 2;
			}
			i++;
		} else if (strcmp(a, "--limit") == 0) {
			if (!parse_u64(v, 1, UINT64_MAX, &o.limit)) {
				fprintf(stderr, "hlctl cdr: --limit needs a count of 1 or more, "
						"got '%s'\n", v ? v : "");
				return 2;
			}
			i++;
		} else if (strcmp(a, "--json") == 0 || strcmp(a, "--csv") == 0) {
			if (have_fmt) {
				fprintf(stderr, "hlctl cdr: --json and --csv exclude each other\n");
				return 2;
			}
			have_fmt = true;
			o.fmt = a[2] == 'j' ? FMT_JSON : FMT_CSV;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--store") == 0) {
			fprintf(stderr, "hlctl cdr: --store needs a directory\n");
			return 2;
		} else {
			fprintf(stderr, "hlctl cdr: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (dir == NULL) {
		fprintf(stderr, "hlctl cdr: --store DIR is required (the [sip] store of "
				"hotlined.conf)\n");
		return 2;
	}
	s = hl_store_open_readonly(dir);
	if (s == NULL) {
		fprintf(stderr, "hlctl cdr: %s\n", hl_store_last_error(NULL));
		return 1;
	}
	if (o.fmt == FMT_CSV)
		csv_header(o.f);
	rc = hl_store_cdrs_each(s, since, print_cdr, &o);
	if (rc < 0 && rc != -EIO)
		fprintf(stderr, "hlctl cdr: %s: reading the records: %s\n", dir,
			hl_store_last_error(s)[0] ? hl_store_last_error(s) : hl_strerror(rc));
	else if (rc == -EIO)
		fprintf(stderr, "hlctl cdr: writing the output failed\n");
	{
		struct hl_store_stats st;

		hl_store_stats(s, &st);
		if (st.bad_records != 0)
			fprintf(stderr, "hlctl cdr: %llu record(s) that do not decode skipped "
					"(another version, or damaged)\n",
				(unsigned long long)st.bad_records);
	}
	hl_store_close(s);
	if (fflush(stdout) != 0)
		return 1;
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "cdr") == 0)
		return cmd_cdr(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "hlctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
