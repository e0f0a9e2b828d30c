/* libFuzzer target: the enterprise registry parser (libcsv underneath,
 * then row checks and the table).  Any input must yield a registry or a
 * message, never a crash, a leak or a hang; a registry that loads must
 * answer lookups of the codes it was given. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sluice/registry.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_registry_entry e;
	struct sl_registry *r;
	char err[512];

	r = sl_registry_parse((const char *)data, size, "fuzz.csv", err,
			      sizeof(err));
	if (!r) {
		/* refused: the message is a NUL-terminated string */
		if (!memchr(err, '\0', sizeof(err)))
			__builtin_trap();
		return 0;
	}
	/* every 10- and 18-byte window is a candidate code: lookups must be
	 * safe on anything */
	for (size_t i = 0; i + 10 <= size && i < 4096; i++) {
		(void)sl_registry_lookup(r, (const char *)data + i, 10, &e);
		if (i + 18 <= size)
			(void)sl_registry_lookup(r, (const char *)data + i, 18,
						 &e);
	}
	if (strlen(sl_registry_id(r)) != 16)
		__builtin_trap();
	sl_registry_put(sl_registry_get(r));
	sl_registry_put(r);
	return 0;
}
