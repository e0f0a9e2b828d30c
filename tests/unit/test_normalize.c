/* Normalisation: the evasions it defeats, and the proof that the fast path
 * of sl_normalize() gives exactly what utf8proc gives for the whole string
 * (sl_normalize_ref). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/theories.h>
#include <utf8proc.h>

#include <sluice/normalize.h>

#define OUT_CAP	 4096
#define WORK_CAP SL_NORM_WORK(OUT_CAP)

static int32_t work[WORK_CAP];

/* Normalises s with the fast path into a static buffer (NUL-terminated). */
static const char *norm(const char *s)
{
	static char out[OUT_CAP + 1];
	ssize_t n = sl_normalize(s, strlen(s), out, OUT_CAP, work, WORK_CAP);

	cr_assert_geq(n, 0, "sl_normalize(\"%s\") failed: %zd", s, n);
	out[n] = '\0';
	return out;
}

struct norm_case {
	const char *in;
	const char *out;
	const char *what;
};

static struct norm_case cases[] = {
    {"IVORY Bangle", "ivory bangle", "ASCII upper case folds"},
    {"ＩＶＯＲＹ", "ivory", "fullwidth letters become ASCII"},
    {"ｉｖｏｒｙ　ｂａｎｇｌｅ", "ivory bangle", "fullwidth space too"},
    {"象\xe2\x80\x8b牙", "象牙", "zero-width space removed"},
    {"iv\xe2\x80\x8dory", "ivory", "zero-width joiner removed"},
    {"i\xc2\xadvory", "ivory", "soft hyphen removed"},
    {"\xef\xbb\xbf象牙", "象牙", "BOM removed"},
    {"象 牙 手 镯", "象牙手镯", "spaces between CJK removed"},
    {"象\xe3\x80\x80牙", "象牙", "ideographic space between CJK removed"},
    {"象\t \n牙", "象牙", "any white space run between CJK removed"},
    {"ivory 象牙", "ivory 象牙", "space between Latin and CJK kept"},
    {"象牙 ivory", "象牙 ivory", "space between CJK and Latin kept"},
    {"  rhino    horn  ", "rhino horn", "runs collapse, ends trimmed"},
    {"a\nb\r\nc", "a b c", "newlines become spaces"},
    {"a\x01\x7f b", "a b", "control characters removed"},
    {"cafe\xcc\x81", "caf\xc3\xa9", "combining accent composes (NFC)"},
    {"\xef\xac\x81rearm", "firearm", "ligature fi splits (NFKC)"},
    {"\xef\xbd\xb6\xef\xbe\x9e", "ガ", "half-width katakana + voiced mark"},
    {"Stra\xc3\x9f"
     "e",
     "strasse", "full case folding of sharp s"},
    {"手槍", "手槍", "traditional characters are left alone"},
    {"\xe2\x91\xa0号", "1号", "circled digit becomes a digit"},
    {"ＡＫ－４７", "ak-47", "fullwidth hyphen and digits"},
    {"象\xef\xb8\x8f牙", "象牙", "variation selector removed"},
    {"bird\xe2\x80\x99s nest", "bird's nest", "curly apostrophe lumped"},
    {"ak\xe2\x80\x90"
     "47",
     "ak-47", "hyphen U+2010 lumped"},
    {"Carved IVORY Bangle, Antique", "carved ivory bangle, antique",
     "a long ASCII run (vector path)"},
    {"Carved  IVORY Bangle,\tAntique Style",
     "carved ivory bangle, antique "
     "style",
     "a long run with double spaces and tabs"},
    {"0123456789ABCDEFe\xcc\x81", "0123456789abcdef\xc3\xa9",
     "16 bytes then a combining mark on the 17th"},
    {"0123456789ABCDEe\xcc\x81xyz", "0123456789abcde\xc3\xa9xyz",
     "a combining mark after the 16th byte"},
    {"山西省太原市小店区长治路1号院", "山西省太原市小店区长治路1号院",
     "a long CJK run (vector path)"},
    {"ivory 山西省太原市小店区长治路", "ivory 山西省太原市小店区长治路",
     "space before a CJK run after Latin"},
    {"山西省太原市小店区长 治路\xe3\x80\x82 完",
     "山西省太原市小店区长治路\xe3\x80\x82完",
     "ideographic full stop inside a CJK run"},
    {"山西省太原市\xe3\x82\xab\xe3\x82\x99小店区长治路",
     "山西省太原市\xe3\x82\xac小店区长治路",
     "kana + voiced mark composes inside a CJK run"},
    {"ab \xe2\x80\x8b", "ab", "a space before an ignorable at the end"},
    {"ab e\xcc\x81 cd", "ab \xc3\xa9 cd", "combining mark after a short run"},
    {"", "", "empty stays empty"},
    {" \xe2\x80\x8b ", "", "only ignorable and space: empty"},
};

/* Criterion runs each parameter in a fresh process of the same binary:
 * pass indexes, not pointers (addresses differ under ASLR). */
#define N_CASES (sizeof(cases) / sizeof(cases[0]))
static size_t case_idx[N_CASES];

ParameterizedTestParameters(normalize, evasions)
{
	for (size_t i = 0; i < N_CASES; i++)
		case_idx[i] = i;
	return cr_make_param_array(size_t, case_idx, N_CASES);
}

ParameterizedTest(size_t *idx, normalize, evasions)
{
	static char ref[OUT_CAP];
	const struct norm_case *c = &cases[*idx];
	ssize_t n;

	cr_expect_str_eq(norm(c->in), c->out, "%s", c->what);
	n = sl_normalize_ref(c->in, strlen(c->in), ref, sizeof(ref), work,
			     WORK_CAP);
	cr_assert_geq(n, 0);
	cr_expect_eq((size_t)n, strlen(c->out), "%s (reference)", c->what);
	cr_expect(memcmp(ref, c->out, (size_t)n) == 0, "%s (reference)",
		  c->what);
}

Test(normalize, invalid_utf8_is_refused)
{
	static const char *bad[] = {"\xff",	"abc\xc3",  "\xed\xa0\x80",
				    "\xe4\xb8", "\xc0\xaf", "x\xf0\x41"};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(sl_normalize(bad[i], strlen(bad[i]), out,
					  sizeof(out), work, WORK_CAP),
			     -EINVAL, "case %zu", i);
		cr_expect_eq(sl_normalize_ref(bad[i], strlen(bad[i]), out,
					      sizeof(out), work, WORK_CAP),
			     -EINVAL, "case %zu (reference)", i);
	}
}

Test(normalize, small_output_is_enospc_not_overflow)
{
	char out[8];

	memset(out, 'Z', sizeof(out));
	cr_expect_eq(sl_normalize("ivory bangle", 12, out, 5, work, WORK_CAP),
		     -ENOSPC);
	cr_expect_eq(out[5], 'Z', "wrote past cap");
	cr_expect_eq(sl_normalize("象牙手镯", 12, out, 7, work, WORK_CAP),
		     -ENOSPC);
	cr_expect_eq(out[7], 'Z', "wrote past cap");
}

/* Every code point alone, before ASCII, after CJK: the fast path equals
 * the reference, the output fits the documented expansion bound, and the
 * CJK range the fast path copies is indeed left unchanged by utf8proc. */
Test(normalize, every_code_point)
{
	char in[16], a[256], b[256];
	unsigned long mismatches = 0, over = 0;

	for (int32_t c = 1; c <= 0x10FFFF; c++) {
		utf8proc_uint8_t enc[4];
		ssize_t n, m, na, nb;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = utf8proc_encode_char(c, enc);
		/* alone, then between an 'X' and a CJK character */
		memcpy(in, enc, (size_t)n);
		na = sl_normalize(in, (size_t)n, a, sizeof(a), work, WORK_CAP);
		nb = sl_normalize_ref(in, (size_t)n, b, sizeof(b), work,
				      WORK_CAP);
		if (na != nb || (na > 0 && memcmp(a, b, (size_t)na)))
			mismatches++;
		if (na > (ssize_t)n * SL_NORM_EXPANSION)
			over++;
		if (c >= 0x3400 && c <= 0x9FFF)
			cr_assert(na == n && memcmp(a, enc, (size_t)n) == 0,
				  "U+%04X changed by normalisation", c);
		in[0] = 'X';
		memcpy(in + 1, enc, (size_t)n);
		memcpy(in + 1 + n, "丁", 3);
		m = 1 + n + 3;
		na = sl_normalize(in, (size_t)m, a, sizeof(a), work, WORK_CAP);
		nb = sl_normalize_ref(in, (size_t)m, b, sizeof(b), work,
				      WORK_CAP);
		if (na != nb || (na > 0 && memcmp(a, b, (size_t)na)))
			mismatches++;
	}
	cr_expect_eq(mismatches, 0, "%lu code points differ", mismatches);
	cr_expect_eq(over, 0, "%lu code points exceed SL_NORM_EXPANSION", over);
}

/* ---------------------------------------------------------- the theory */

/* Pieces strings are built from: the fast classes and everything that
 * interacts with them across a segment cut (combining marks after ASCII
 * and after CJK, Hangul jamo that compose, half-width katakana with voiced
 * marks, case-folding expansions, ignorables, every kind of white space,
 * compatibility ideographs, characters that decompose into ASCII). */
static const char *const pieces[] = {
    "a",
    "Z",
    "e",
    "i",
    "0",
    " ",
    "  ",
    "\t",
    "\n",
    "-",
    ".",
    "\x01",
    "\x7f",
    "象",
    "牙",
    "丁",
    "鿿",
    "㐀",
    "一",
    "\xcc\x81" /* U+0301 */,
    "\xcc\x88" /* U+0308 */,
    "\xcc\xa3" /* U+0323 */,
    "\xe3\x82\x99" /* U+3099 */,
    "\xe3\x82\x9a" /* U+309A */,
    "\xe1\x84\x80" /* U+1100 L */,
    "\xe1\x85\xa1" /* U+1161 V */,
    "\xe1\x86\xa8" /* U+11A8 T */,
    "\xea\xb0\x80" /* U+AC00 */,
    "\xef\xbd\xb6" /* U+FF76 */,
    "\xef\xbe\x9e" /* U+FF9E */,
    "\xc3\x9f" /* sharp s */,
    "\xc4\xb0" /* U+0130 */,
    "\xef\xac\x81" /* U+FB01 */,
    "\xef\xb7\xba" /* U+FDFA */,
    "\xe2\x80\x8b" /* ZWSP */,
    "\xe2\x80\x8d" /* ZWJ */,
    "\xc2\xad" /* SHY */,
    "\xef\xbb\xbf" /* BOM */,
    "\xc2\xa0" /* NBSP */,
    "\xe3\x80\x80" /* U+3000 */,
    "\xe2\x80\xa8" /* U+2028 */,
    "\xc2\x85" /* NEL */,
    "\xef\xa4\x80" /* U+F900 */,
    "\xef\xbc\xa1" /* fullwidth A */,
    "\xe2\x85\xa0" /* roman numeral one */,
    "\xe3\x8d\xbf" /* U+337F */,
    "\xce\x90" /* U+0390 */,
    "\xe1\xbe\x80" /* U+1F80 */,
    "\xf0\xa0\x80\x80" /* U+20000 */,
    "\xf0\x9f\x98\x80" /* emoji */,
    "\xe2\x80\x83" /* em space */,
    "\xe3\x80\x82" /* ideographic stop */,
    "\xcd\x85" /* U+0345 ypogegrammeni */,
    "\xe0\xa4\xbc" /* nukta */,
    "\xe0\xa4\x95" /* devanagari ka */,
    "\xd8\xa7" /* arabic alef */,
    "\xd9\x93" /* U+0653 madda above */,
    "\xe2\x80\x99" /* U+2019 */,
    "\xe2\x88\x92" /* minus */,
};
#define N_PIECES (sizeof(pieces) / sizeof(pieces[0]))

/* xorshift64*: a generator whose sequence depends only on the seed, so a
 * failure names a reproducible input. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

TheoryDataPoints(normalize, fast_path_equals_reference) = {
    DataPoints(unsigned, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233),
    DataPoints(unsigned, 1, 4, 16, 64),
};

Theory((unsigned seed, unsigned max_pieces), normalize,
       fast_path_equals_reference)
{
	uint64_t s = 0x9E3779B97F4A7C15ull * seed + max_pieces;
	char in[1024], a[OUT_CAP], b[OUT_CAP];

	for (int iter = 0; iter < 4000; iter++) {
		size_t len = 0;
		unsigned k = 1 + (unsigned)(rng_next(&s) % max_pieces);
		ssize_t na, nb;

		for (unsigned j = 0; j < k; j++) {
			const char *p = pieces[rng_next(&s) % N_PIECES];
			size_t pl = strlen(p);

			memcpy(in + len, p, pl);
			len += pl;
		}
		na = sl_normalize(in, len, a, sizeof(a), work, WORK_CAP);
		nb = sl_normalize_ref(in, len, b, sizeof(b), work, WORK_CAP);
		cr_assert_eq(na, nb, "lengths differ (seed %u, iter %d)", seed,
			     iter);
		cr_assert(na < 0 || memcmp(a, b, (size_t)na) == 0,
			  "bytes differ (seed %u, iter %d)", seed, iter);
		cr_assert(na < 0 || !memchr(a, '\n', (size_t)na),
			  "newline in normalised text");
		cr_assert(na <= 0 || (a[0] != ' ' && a[na - 1] != ' '),
			  "untrimmed white space");
	}
}

/* Random bytes, mostly invalid UTF-8: both paths agree on what is valid. */
Test(normalize, random_bytes_agree)
{
	uint64_t s = 42;
	char in[64], a[OUT_CAP], b[OUT_CAP];

	for (int iter = 0; iter < 200000; iter++) {
		size_t len = 1 + rng_next(&s) % sizeof(in);
		ssize_t na, nb;

		for (size_t j = 0; j < len; j++) {
			uint64_t r = rng_next(&s);
			/* bias towards the lead bytes of the fast CJK range */
			in[j] = (char)((r & 3) == 0 ? 0xE3 + (r >> 8) % 7
						    : (r >> 16) & 0xFF);
		}
		na = sl_normalize(in, len, a, sizeof(a), work, WORK_CAP);
		nb = sl_normalize_ref(in, len, b, sizeof(b), work, WORK_CAP);
		cr_assert_eq(na, nb, "iter %d", iter);
		cr_assert(na < 0 || memcmp(a, b, (size_t)na) == 0, "iter %d",
			  iter);
	}
}
