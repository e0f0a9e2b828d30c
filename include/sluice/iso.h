/* sluice — ISO 3166-1 alpha-2 countries and ISO 4217 currencies.
 *
 * The tables are generated at build time from Debian's iso-codes
 * (cmake/GenIsoTables.cmake); nothing here is typed by hand.  Codes are
 * upper case only: "jp" is not a country code, "JP" is.
 *
 * Plane: any.  Pure functions over constant tables.
 */
#ifndef SLUICE_ISO_H
#define SLUICE_ISO_H

#include <sluice/types-t.h>

/* Packs two capital letters into an sl_country_t ('J' << 8 | 'P').
 * Returns 0 when s is not exactly two letters A-Z (the code may still be
 * unassigned: check with sl_country_valid). */
static inline sl_country_t sl_country_pack(const char *s, size_t n)
{
	if (n != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	return (sl_country_t)((uint8_t)s[0] << 8 | (uint8_t)s[1]);
}

/* Packs three capital letters into an sl_currency_t; 0 otherwise. */
static inline sl_currency_t sl_currency_pack(const char *s, size_t n)
{
	unsigned i;

	if (n != 3)
		return 0;
	for (i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return 0;
	return (sl_currency_t)((uint32_t)(uint8_t)s[0] << 16 |
			       (uint32_t)(uint8_t)s[1] << 8 | (uint8_t)s[2]);
}

/* True when c (from sl_country_pack) is an assigned ISO 3166-1 alpha-2
 * code.  False for 0. */
bool sl_country_valid(sl_country_t c);

/* True when c (from sl_currency_pack) is an ISO 4217 currency a parcel
 * can be paid in (precious metals, the SDR, fund and test units
 * excluded: see docs/declarations.md).  False for 0. */
bool sl_currency_valid(sl_currency_t c);

/* Writes the code as a NUL-terminated string ("JP", "CNY"); "" for 0. */
void sl_country_str(sl_country_t c, char out[3]);
void sl_currency_str(sl_currency_t c, char out[4]);

/* Number of codes in the generated tables (for tests and --version). */
unsigned sl_country_count(void);
unsigned sl_currency_count(void);

#endif /* SLUICE_ISO_H */
