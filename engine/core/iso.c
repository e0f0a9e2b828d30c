/* sluice — lookups in the ISO tables generated at build time (iso.h). */
#include <sluice/iso.h>

/* In the generated iso_tables.c (build directory). */
extern const unsigned sl__iso_country_count;
extern const unsigned sl__iso_currency_count;
extern const uint8_t sl__iso_country_bits[85];
extern const uint8_t sl__iso_currency_bits[2197];

bool sl_country_valid(sl_country_t c)
{
	unsigned a = (unsigned)(c >> 8) - 'A', b = (unsigned)(c & 0xff) - 'A';
	unsigned i;

	if (a > 25 || b > 25)
		return false;
	i = a * 26 + b;
	return sl__iso_country_bits[i / 8] >> (i % 8) & 1;
}

bool sl_currency_valid(sl_currency_t c)
{
	unsigned a = (unsigned)(c >> 16 & 0xff) - 'A';
	unsigned b = (unsigned)(c >> 8 & 0xff) - 'A';
	unsigned d = (unsigned)(c & 0xff) - 'A';
	unsigned i;

	if (a > 25 || b > 25 || d > 25 || c >> 24)
		return false;
	i = a * 676 + b * 26 + d;
	return sl__iso_currency_bits[i / 8] >> (i % 8) & 1;
}

void sl_country_str(sl_country_t c, char out[3])
{
	out[0] = c ? (char)(c >> 8) : '\0';
	out[1] = c ? (char)(c & 0xff) : '\0';
	out[2] = '\0';
}

void sl_currency_str(sl_currency_t c, char out[4])
{
	out[0] = c ? (char)(c >> 16 & 0xff) : '\0';
	out[1] = c ? (char)(c >> 8 & 0xff) : '\0';
	out[2] = c ? (char)(c & 0xff) : '\0';
	out[3] = '\0';
}

unsigned sl_country_count(void)
{
	return sl__iso_country_count;
}

unsigned sl_currency_count(void)
{
	return sl__iso_currency_count;
}
