/* libFuzzer target: the tenants file parser must refuse or accept, never crash or leak, and
 * every lookup must find what the accepted set holds. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hotline/tenant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct hl_tenants *t = hl_tenants_parse("fuzz.conf", (const char *)data, size, err,
		sizeof(err));

	if (t == NULL)
		return 0;
	for (unsigned int i = 0; i < hl_tenants_count(t); i++) {
		const struct hl_tenant *tn = hl_tenants_get(t, i);

		if (hl_tenants_by_id(t, tn->id) != tn)
			abort();
		if (tn->dtmf_to_agent != HL_TENANT_DTMF_RELAY &&
			tn->dtmf_to_agent != HL_TENANT_DTMF_SUPPRESS)
			abort();
		if (tn->dtmf_info > HL_TENANT_DTMF_INFO_INFO)
			abort();
		for (uint32_t j = 0; j < tn->n_domains; j++)
			if (hl_tenants_by_domain(t, tn->domains[j], strlen(tn->domains[j])) != tn)
				abort();
		for (uint32_t j = 0; j < tn->n_dids; j++)
			if (hl_tenants_by_did(t, tn->dids[j], strlen(tn->dids[j])) != tn)
				abort();
		for (uint32_t j = 0; j < tn->n_trunks; j++)
			if (!hl_tenant_trunk_allows(tn, tn->trunks[j].family, tn->trunks[j].addr))
				abort();
		for (uint32_t j = 0; j < tn->n_agents; j++) {
			const struct hl_tenant_agent *a = &tn->agents[j];

			if (a->index != j || hl_tenant_agent(tn, a->user, strlen(a->user)) != a)
				abort();
			if (a->ha1_md5[0] == '\0' && a->ha1_sha256[0] == '\0')
				abort();
		}
	}
	/* Lookups of the raw input itself, which is mostly not a key. */
	(void)hl_tenants_by_domain(t, (const char *)data, size);
	(void)hl_tenants_by_did(t, (const char *)data, size);
	if (hl_tenants_count(t) > 0)
		(void)hl_tenant_agent(hl_tenants_get(t, 0), (const char *)data, size);
	hl_tenants_free(t);
	return 0;
}
