/* libFuzzer: one JSON line through the decoder and validation, the way
 * sluice screen sees it.  Any crash, sanitizer report, hang or leak is a
 * finding; so is a result that breaks the decoder's contract (checked
 * below). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/decl.h>

static struct sl_decoder *dec;
static sl_decl_t d;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sl_error_t err;
	enum sl_errcode rc;

	if (!dec && !(dec = sl_decoder_new()))
		abort();
	rc = sl_decode_json(dec, (const char *)data, size, &d, &err);
	if (rc == SL_OK)
		rc = sl_decl_validate(&d, &err);
	/* every failure names a known code and says something */
	if (rc != SL_OK && (!sl_errcode_name(rc) || !err.message[0] ||
			    err.code != rc))
		abort();
	if (d.n_items > SL_MAX_ITEMS)
		abort();
	return 0;
}
