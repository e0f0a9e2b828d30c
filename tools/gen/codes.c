/* sluice-gen — codes with check characters (SPEC 1).
 *
 * Written independently of engine/core's validator on purpose: the
 * generator's labels and the validator are two implementations of the same
 * standards, and tests/unit/test_gen.c checks one against the other.
 * Control plane (a tool); pure functions, no allocation.
 */
#include <string.h>

#include "gen_internal.h"

/* GB 32100-2015: 31 characters, no I O S V Z. */
const char gen_uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_value(char c)
{
	const char *p = c ? strchr(gen_uscc_charset, c) : NULL;

	return p ? (int)(p - gen_uscc_charset) : -1;
}

char gen_uscc_check(const char *body17)
{
	/* weights 3^(i-1) mod 31, i = 1..17 */
	static const int w[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
				  29, 25, 13, 8,  24, 10, 30, 28};
	int sum = 0;

	for (int i = 0; i < 17; i++) {
		int v = uscc_value(body17[i]);

		if (v < 0)
			return '\0';
		sum += v * w[i];
	}
	return gen_uscc_charset[(31 - sum % 31) % 31];
}

char gen_orgcode_check(const char *body8)
{
	/* GB 11714: weights 3 7 9 10 5 8 4 2; digits 0-9, letters 10-35. */
	static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0, c;

	for (int i = 0; i < 8; i++) {
		char ch = body8[i];
		int v = ch >= '0' && ch <= '9'	 ? ch - '0'
			: ch >= 'A' && ch <= 'Z' ? ch - 'A' + 10
						 : -1;
		if (v < 0)
			return '\0';
		sum += v * w[i];
	}
	c = 11 - sum % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

char gen_resident_id_check(const char *body17)
{
	/* GB 11643 / ISO 7064 MOD 11-2. */
	static const int w[17] = {7, 9, 10, 5,	8, 4, 2, 1, 6,
				  3, 7, 9,  10, 5, 8, 4, 2};
	static const char map[] = "10X98765432";
	int sum = 0;

	for (int i = 0; i < 17; i++) {
		if (body17[i] < '0' || body17[i] > '9')
			return '\0';
		sum += (body17[i] - '0') * w[i];
	}
	return map[sum % 11];
}

char gen_ean13_check(const char *body12)
{
	int sum = 0;

	for (int i = 0; i < 12; i++)
		sum += (body12[i] - '0') * (i % 2 ? 3 : 1);
	return (char)('0' + (10 - sum % 10) % 10);
}

char gen_s10_check(const char *digits8)
{
	/* UPU S10: weights 8 6 4 2 3 5 9 7; 10 -> 0, 11 -> 5. */
	static const int w[8] = {8, 6, 4, 2, 3, 5, 9, 7};
	int sum = 0, c;

	for (int i = 0; i < 8; i++)
		sum += (digits8[i] - '0') * w[i];
	c = 11 - sum % 11;
	return c == 10 ? '0' : c == 11 ? '5' : (char)('0' + c);
}
