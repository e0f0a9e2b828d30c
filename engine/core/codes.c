/* sluice — check characters of the codes a declaration carries (SPEC 1):
 * the unified social credit code (GB 32100-2015), the resident ID number
 * (GB 11643-1999, ISO 7064 MOD 11-2) and the 10-character customs
 * registration code. */
#include <errno.h>
#include <stdint.h>

#include <sluice/decl.h>

#include "codes.h"

const char sl__uscc_charset[32] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Value + 1 of each USCC character; 0 = not in the charset. */
static const uint8_t uscc_value1[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,
    ['6'] = 7,	['7'] = 8,  ['8'] = 9,	['9'] = 10, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['G'] = 17, ['H'] = 18,
    ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23, ['P'] = 24,
    ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30,
    ['Y'] = 31,
};

/* 3^(i-1) mod 31 for positions 1..17 */
static const uint8_t uscc_weight[17] = {1,  3,	9,  27, 19, 26, 16, 17, 20,
					29, 25, 13, 8,	24, 10, 30, 28};

int sl__uscc_scan(const char *code, size_t len, size_t *bad, char *expect)
{
	unsigned sum = 0, i;
	char want;

	*expect = '\0';
	if (len != 18) {
		*bad = len;
		return -EINVAL;
	}
	for (i = 0; i < 17; i++) {
		unsigned v = uscc_value1[(uint8_t)code[i]];

		if (!v) {
			*bad = i;
			return -EINVAL;
		}
		sum += (v - 1) * uscc_weight[i];
	}
	want = sl__uscc_charset[(31 - sum % 31) % 31];
	*expect = want;
	if (code[17] != want) {
		*bad = 17;
		return -EINVAL;
	}
	return 0;
}

int sl_uscc_check(const char *code, size_t len, char *expect)
{
	size_t bad;
	char e;
	int rc = sl__uscc_scan(code, len, &bad, &e);

	if (expect)
		*expect = e;
	return rc;
}

/* GB 11643: weights 2^(18-i) mod 11 and the check character table. */
static const uint8_t id_weight[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
				      3, 7, 9,	10, 5, 8, 4, 2};
static const char id_check[11] = "10X98765432";

int sl__resident_id_scan(const char *id, size_t len, size_t *bad, char *expect)
{
	unsigned sum = 0, i;
	char want;

	*expect = '\0';
	if (len != 18) {
		*bad = len;
		return -EINVAL;
	}
	for (i = 0; i < 17; i++) {
		unsigned v = (unsigned)(uint8_t)id[i] - '0';

		if (v > 9) {
			*bad = i;
			return -EINVAL;
		}
		sum += v * id_weight[i];
	}
	want = id_check[sum % 11];
	*expect = want;
	if (id[17] != want) {
		*bad = 17;
		return -EINVAL;
	}
	return 0;
}

int sl_resident_id_check(const char *id, size_t len, char *expect)
{
	size_t bad;
	char e;
	int rc = sl__resident_id_scan(id, len, &bad, &e);

	if (expect)
		*expect = e;
	return rc;
}

/* China Customs registration code (海关注册编码): the first four
 * characters are the customs district, the rest are digits or capital
 * letters.  There is no check character, so this is a charset check. */
int sl__customs_code_scan(const char *code, size_t len, size_t *bad)
{
	unsigned i;

	if (len != 10) {
		*bad = len;
		return -EINVAL;
	}
	for (i = 0; i < 10; i++) {
		char c = code[i];
		int ok =
		    (c >= '0' && c <= '9') || (i >= 4 && c >= 'A' && c <= 'Z');

		if (!ok) {
			*bad = i;
			return -EINVAL;
		}
	}
	return 0;
}

int sl_customs_code_check(const char *code, size_t len)
{
	size_t bad;

	return sl__customs_code_scan(code, len, &bad);
}
