/*
 * libFuzzer target: the signalling state machines on hostile input. The input is a
 * script of records — one byte of kind (trunk datagram, agent datagram, time step),
 * two bytes of length, the datagram — fed to one hl_sig with a provisioned tenant.
 * Whatever it does, nothing may crash, leak (hl_sig_free at the end, LeakSanitizer),
 * or leave its books wrong: every live object counted is freed by hl_sig_free.
 */
#include <stdlib.h>
#include <string.h>

#include "hotline/config.h"
#include "hotline/sig.h"
#include "hotline/tenant.h"

static const char tenants_text[] = "[tenant acme]\nrealm = acme.test\ndomains = acme.test\n"
				   "dids = +15550100\ntrunks = 10.99.0.0/24\n"
				   "[agent alice@acme]\npassword = pw\n";

volatile uint8_t fz_sink;

static int
fz_send(void *ctx, const struct hl_sig_addr *dst, const void *buf, size_t len)
{
	(void)ctx;
	(void)dst;
	/* every byte we send is read, so an overrun of the builder shows */
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= ((const uint8_t *)buf)[i];
	fz_sink = x;
	return 0;
}

static int
fz_route(void *ctx, struct hl_sig_addr *dst, uint8_t local[16])
{
	(void)ctx;
	dst->port_index = 0;
	memset(local, 0, 16);
	local[0] = 10;
	local[1] = 99;
	local[3] = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hl_tenants *tenants;
	static struct hl_config cfg;
	struct hl_sig_ops ops = {.send = fz_send, .route = fz_route};
	struct hl_sig *s;
	uint64_t now = 1000;
	char err[256];

	if (tenants == NULL) {
		hl_config_defaults(&cfg);
		cfg.sip_max_transactions = 1024;
		cfg.sip_max_dialogs = 256;
		cfg.rtp_port_min = 20000;
		cfg.rtp_port_max = 20399;
		tenants = hl_tenants_parse("fuzz", tenants_text, sizeof(tenants_text) - 1, err,
			sizeof(err));
		if (tenants == NULL)
			abort();
	}
	s = hl_sig_create(&cfg, tenants, NULL, &ops, now, 1700000000);
	if (s == NULL)
		return 0;
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t n = (size_t)data[1] << 8 | data[2];
		struct hl_sig_addr src = {.family = 4, .port = 5060, .ip = {10, 99, 0, 2}};

		data += 3;
		size -= 3;
		if (n > size)
			n = size;
		switch (kind % 3) {
		case 0:
			hl_sig_input(s, data, n, &src, now);
			break;
		case 1:
			src.ip[2] = 98;
			src.port = 5090;
			hl_sig_input(s, data, n, &src, now);
			break;
		default:
			/* a time step of up to 65 s (the length field, in ms), run in 100 ms
			 * turns as the loop would */
			for (uint64_t t = now + n; now < t; now += 100)
				hl_sig_poll(s, now);
			n = 0;
			break;
		}
		data += n;
		size -= n;
	}
	hl_sig_free(s);
	return 0;
}
