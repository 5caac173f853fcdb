/*
 * Test hook of the store (control/store.c), not part of its contract (STYLE.md rule 3):
 * writes raw bytes into one of the named databases, so tests can plant the short and
 * foreign-version records the decoders must skip, without including lmdb.h themselves.
 */
#ifndef HOTLINE_CONTROL_STORE_PRIV_H
#define HOTLINE_CONTROL_STORE_PRIV_H

#include <stddef.h>

#include "hotline/store.h"

/* db: "tenants", "agents", "bindings" or "cdrs". 0, -EINVAL or HL_E_DEPENDENCY. */
int hl_store_raw_put(struct hl_store *s, const char *db, const void *key, size_t klen,
	const void *val, size_t vlen);

#endif
