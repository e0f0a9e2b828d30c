/* libFuzzer: a datagram's worth of MessagePack records through the
 * decoder and validation, record after record as the DPDK worker splits
 * them.  The input is copied to an exact-size buffer by libFuzzer, so a
 * read past len is an ASan report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/decl.h>

static struct sl_decoder *dec;
static sl_decl_t d;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, used;
	sl_error_t err;
	enum sl_errcode rc;

	if (!dec && !(dec = sl_decoder_new()))
		abort();
	while (off < size) {
		rc = sl_decode_msgpack(dec, data + off, size - off, &used, &d,
				       &err);
		if (rc == SL_OK)
			rc = sl_decl_validate(&d, &err);
		if (rc != SL_OK && (!sl_errcode_name(rc) || !err.message[0]))
			abort();
		if (used > size - off)
			abort(); /* *used never points past the buffer */
		if (used == 0)
			break; /* the rest cannot be split into records */
		off += used;
	}
	return 0;
}
