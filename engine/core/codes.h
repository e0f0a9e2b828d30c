/* sluice — check-character codes, with the position of the first fault
 * (for messages).  The public wrappers are in decl.h.
 *
 * Plane: any.  Pure functions.
 */
#ifndef SLUICE_CODES_H
#define SLUICE_CODES_H

#include <stddef.h>

/* Each returns 0 when valid.  Otherwise -EINVAL and *bad is the 0-based
 * position of the first character at fault (len when the length is
 * wrong); *expect is the check character the first 17 would need, or '\0'
 * when they are malformed. */
int sl__uscc_scan(const char *code, size_t len, size_t *bad, char *expect);
int sl__resident_id_scan(const char *id, size_t len, size_t *bad, char *expect);
int sl__customs_code_scan(const char *code, size_t len, size_t *bad);

/* The USCC charset of GB 32100-2015 (31 characters: no I O S V Z). */
extern const char sl__uscc_charset[32];

#endif /* SLUICE_CODES_H */
