/* libFuzzer target: the configuration parser must refuse or accept, never crash. */
#include <stddef.h>
#include <stdint.h>

#include "hotline/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hl_config c;
	char err[HL_CONFIG_ERR_MAX];

	(void)hl_config_parse(&c, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	return 0;
}
