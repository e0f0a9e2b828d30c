/* sluice — the enterprise credit registry (SPEC 5).
 *
 * A CSV file with the header `code,name,tier,negative_list` (columns in any
 * order, others ignored), parsed with libcsv (RFC 4180: quoted fields may
 * hold commas, quotes and newlines).  `code` is a unified social credit
 * code with a valid check character or a 10-character customs code
 * (letters are upper-cased first); `tier` is advanced, general or
 * dishonest; `negative_list` is 0 or 1.  A UTF-8 byte-order mark and CRLF
 * line ends are accepted; rows whose fields are all empty are skipped.
 *
 * A file with any bad row is refused whole, with the line of the first bad
 * row: the caller keeps the registry it had.  A loaded registry is
 * immutable; lookups are lock-free reads of an open-addressed table.
 */
#ifndef SLUICE_REGISTRY_H
#define SLUICE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_registry;

/* What the registry says about one enterprise. */
struct sl_registry_entry {
	uint8_t tier;  /* enum sl_tier: ADVANCED, GENERAL or DISHONEST */
	bool negative; /* on the credit negative list */
};

/* Reads and parses a registry file.  Control plane.  Returns a registry
 * holding one reference, or NULL with "FILE:LINE: message" in err. */
struct sl_registry *sl_registry_load(const char *path, char *err,
				     size_t errlen);

/* Parses a registry from memory; `name` prefixes error messages.  The
 * content id is computed over buf.  Control plane. */
struct sl_registry *sl_registry_parse(const char *buf, size_t len,
				      const char *name, char *err,
				      size_t errlen);

/* Reference counting (atomic; normally control plane).  put frees on the
 * last reference. */
struct sl_registry *sl_registry_get(struct sl_registry *r);
void sl_registry_put(struct sl_registry *r);

/* 16 lowercase hex digits: the first 64 bits of the SHA-256 of the file.
 * Named in every verdict. */
const char *sl_registry_id(const struct sl_registry *r);

/* Enterprises in the registry. */
uint32_t sl_registry_count(const struct sl_registry *r);

/* Looks an enterprise code up (case-insensitive for letters).  Data plane:
 * no allocation, no lock.  Returns 0 and fills *out, or -ENOENT. */
int sl_registry_lookup(const struct sl_registry *r, const char *code,
		       size_t len, struct sl_registry_entry *out);

#endif /* SLUICE_REGISTRY_H */
