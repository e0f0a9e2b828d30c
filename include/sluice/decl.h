/* sluice — decoding and validating declarations.
 *
 * Plane: data plane.  A decoder belongs to one thread; it is created on the
 * control plane before the thread starts and owns every byte it needs, so
 * decoding allocates nothing per declaration.
 */
#ifndef SLUICE_DECL_H
#define SLUICE_DECL_H

#include <sluice/decl-t.h>
#include <sluice/error-t.h>

/* Limits of what a decoder accepts (SPEC 3 plus defence against abuse). */
#define SL_LINE_MAX  (256 * 1024) /* bytes in one JSON line / one record */
#define SL_DEPTH_MAX 8		  /* nesting: root > items > item is 3 */

/* Money, quantities and weights must stay below this many units (CNY,
 * pieces, kg).  Below it a double holds every 5-decimal value with room to
 * spare, so the "at most 5 decimals" test is exact (docs/declarations.md,
 * "Numbers"). */
#define SL_AMOUNT_LIMIT 1000000000.0
#define SL_AMOUNT_MAX	(INT64_C(1000000000) * SL_MONEY_ONE - 1)

struct sl_decoder;

/* Makes a decoder for one thread.  Control plane.  Returns NULL on ENOMEM.
 * Free with sl_decoder_free(). */
struct sl_decoder *sl_decoder_new(void);
void sl_decoder_free(struct sl_decoder *dec);

/* Decodes one JSON object (one line, without its newline) into *d.
 * Previous contents of *d and string views from an earlier decode on this
 * decoder become invalid.  The views of *d point into the decoder's arena
 * and stay valid until the next decode call on the same decoder.
 * On failure returns the error code and fills *err; d->s[SL_DS_DECL_ID] is
 * still set when the decl_id could be read, so the reject can name it. */
enum sl_errcode sl_decode_json(struct sl_decoder *dec, const char *line,
			       size_t len, sl_decl_t *d, sl_error_t *err);

/* Decodes one MessagePack map starting at buf into *d.  *used is set to
 * the bytes the map occupied (so several maps can follow each other in one
 * datagram) or, on a framing error, to 0 when the rest of the buffer can't
 * be split into records.  String views point into buf: the caller keeps
 * buf alive while *d is in use.  Same error contract as sl_decode_json. */
enum sl_errcode sl_decode_msgpack(struct sl_decoder *dec, const void *buf,
				  size_t len, size_t *used, sl_decl_t *d,
				  sl_error_t *err);

/* Checks every field per SPEC 3 and fills the typed values of *d.
 * Returns SL_OK, or the first error in field order with *err filled. */
enum sl_errcode sl_decl_validate(sl_decl_t *d, sl_error_t *err);

/* Sets *err to code, field and a printf-formatted message.  Never fails;
 * truncates.  Returns code. */
enum sl_errcode sl_error_set(sl_error_t *err, enum sl_errcode code,
			     const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "BAD_USCC" for SL_E_BAD_USCC; "OK" for SL_OK; NULL if out of range. */
const char *sl_errcode_name(enum sl_errcode code);

/* Name tables for the enums of types-t.h; NULL when out of range. */
const char *sl_verdict_name(enum sl_verdict_kind v);
uint16_t sl_verdict_status(enum sl_verdict_kind v); /* CEB returnStatus */
const char *sl_tier_name(enum sl_tier t);

/* Check characters (SPEC 1).  Pure functions, exposed for tests and tools.
 * Return 0 when valid, else -EINVAL; *expect (may be NULL) gets the check
 * character that would make the code valid ('\0' when the code is
 * malformed beyond its check character). */
int sl_uscc_check(const char *code, size_t len, char *expect);
int sl_resident_id_check(const char *id, size_t len, char *expect);

/* A 10-character customs registration code as sluice accepts it: four
 * digits (the customs district), then six digits or capital letters A-Z.
 * Returns 0 or -EINVAL. */
int sl_customs_code_check(const char *code, size_t len);

#endif /* SLUICE_DECL_H */
