/* sluice tests — validation (SPEC 3): every reject code from a minimal
 * failing declaration, check characters, ISO tables, numbers, times. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/theories.h>

#include <sluice/decl.h>
#include <sluice/iso.h>

#include "decl_fixture.h"

static struct sl_decoder *dec;
static sl_decl_t d;
static sl_error_t err;

static void setup(void)
{
	dec = sl_decoder_new();
	cr_assert_not_null(dec);
}

static void teardown(void)
{
	sl_decoder_free(dec);
}

TestSuite(validate, .init = setup, .fini = teardown);

/* decode + validate, as sl_screen does */
static enum sl_errcode check(const char *line)
{
	enum sl_errcode rc = sl_decode_json(dec, line, strlen(line), &d, &err);

	return rc ? rc : sl_decl_validate(&d, &err);
}

static enum sl_errcode check_patch(const char *root, const char *item)
{
	char *line = fixture_line(root, item);
	enum sl_errcode rc = check(line);

	free(line);
	return rc;
}

Test(validate, spec_example_is_valid_and_typed)
{
	cr_assert_eq(check(fixture_base), SL_OK, "%s: %s", err.field,
		     err.message);
	cr_assert_eq(d.flow, SL_FLOW_IMPORT);
	cr_assert_eq(d.trade_mode, SL_TM_M9610);
	cr_assert_eq(d.id_type, SL_IDT_ID_CARD);
	/* 2026-11-29T08:15:00+08:00 == 2026-11-29T00:15:00Z */
	cr_assert_eq(d.declared_at, INT64_C(1795911300));
	cr_assert_eq(d.declared_tz, 480);
	cr_assert_eq(d.origin, sl_country_pack("JP", 2));
	cr_assert_eq(d.sender_country, sl_country_pack("JP", 2));
	cr_assert_eq(d.currency, sl_currency_pack("CNY", 3));
	cr_assert_eq(d.goods_value, 398 * SL_MONEY_ONE);
	cr_assert_eq(d.tax_total, 3657000);
	cr_assert_eq(d.actual_paid, 45457000);
	cr_assert_eq(d.gross_weight, 120000);
	cr_assert_eq(d.net_weight, SL_MONEY_ONE);
	cr_assert_eq(d.items[0].qty, 2 * SL_MONEY_ONE);
	cr_assert_eq(d.items[0].price, 199 * SL_MONEY_ONE);
	cr_assert_eq(d.items[0].total_price, 398 * SL_MONEY_ONE);
	cr_assert_eq(d.items[0].category, SL_CAT_SALE);
	cr_assert_eq(d.items[0].hs_len, 10);
	cr_assert_eq(d.items[0].origin, sl_country_pack("JP", 2));
}

Test(validate, derived_values)
{
	/* item origin falls back to the declaration's; total = qty x price */
	cr_assert_eq(check_patch("{\"origin_country\": \"KR\"}",
				 "{\"origin_country\": null, \"total_price\": "
				 "null, \"qty\": 3, \"price\": 0.33333}"),
		     SL_OK, "%s", err.message);
	cr_assert_eq(d.items[0].origin, sl_country_pack("KR", 2));
	cr_assert_eq(d.items[0].total_price, 99999);
	/* optional fields absent: typed values are zero */
	cr_assert_eq(check_patch("{\"freight\": null, \"origin_country\": "
				 "null, \"sender\": null}",
				 "{\"origin_country\": null, \"category\": "
				 "null}"),
		     SL_OK, "%s", err.message);
	cr_assert_eq(d.freight, 0);
	cr_assert_eq(d.origin, 0);
	cr_assert_eq(d.items[0].origin, 0);
	cr_assert_eq(d.items[0].category, SL_CAT_NONE);
	/* an absent id_type means a resident ID card (CEB default) */
	cr_assert_eq(check_patch("{\"buyer\": {\"id_type\": null}}", NULL),
		     SL_OK);
	cr_assert_eq(d.id_type, SL_IDT_ID_CARD);
	/* export, postal, no buyer at all */
	cr_assert_eq(check_patch("{\"flow\": \"export\", \"trade_mode\": "
				 "\"9710\", \"buyer\": null}",
				 NULL),
		     SL_OK, "%s", err.message);
	cr_assert_eq(check_patch("{\"trade_mode\": \"postal\", \"buyer\": "
				 "null}",
				 NULL),
		     SL_OK, "%s", err.message);
	cr_assert_eq(d.trade_mode, SL_TM_POSTAL);
}

/* ------------------------------------------------ one case per error code */

struct vcase {
	char root_patch[112];
	char item_patch[72];
	enum sl_errcode code;
	char field[SL_ERR_FIELD_MAX];
	char message_part[48]; /* the message contains this */
};

static struct vcase vcases[] = {
    {"{\"decl_id\": null}", "", SL_E_MISSING_FIELD, "decl_id", "required"},
    {"{\"flow\": null}", "", SL_E_MISSING_FIELD, "flow", ""},
    {"{\"trade_mode\": \"\"}", "", SL_E_MISSING_FIELD, "trade_mode", ""},
    {"{\"declared_at\": null}", "", SL_E_MISSING_FIELD, "declared_at", ""},
    {"{\"ebc\": null}", "", SL_E_MISSING_FIELD, "ebc.code", ""},
    {"{\"ebc\": {\"code\": null}}", "", SL_E_MISSING_FIELD, "ebc.code", ""},
    {"{\"currency\": null}", "", SL_E_MISSING_FIELD, "currency", ""},
    {"{\"goods_value\": null}", "", SL_E_MISSING_FIELD, "goods_value", ""},
    {"{\"buyer\": {\"id_number\": null}}", "", SL_E_MISSING_FIELD,
     "buyer.id_number", "9610 imports"},
    {"{\"trade_mode\": \"1210\", \"buyer\": null}", "", SL_E_MISSING_FIELD,
     "buyer.id_number", "1210"},
    {"{\"items\": null}", "", SL_E_MISSING_FIELD, "items", ""},
    {"", "{\"name\": null}", SL_E_MISSING_FIELD, "items[0].name", ""},
    {"", "{\"name\": \"\"}", SL_E_MISSING_FIELD, "items[0].name", ""},
    {"", "{\"hs_code\": null}", SL_E_MISSING_FIELD, "items[0].hs_code", ""},
    {"", "{\"qty\": null}", SL_E_MISSING_FIELD, "items[0].qty", ""},
    {"", "{\"price\": null}", SL_E_MISSING_FIELD, "items[0].price", ""},
    {"{\"customs_code\": \"050100000\"}", "", SL_E_FIELD_TOO_LONG,
     "customs_code", "at most 8"},
    {"{\"items\": []}", "", SL_E_NO_ITEMS, "items", ""},
    {"{\"decl_id\": \"\"}", "", SL_E_BAD_DECL_ID, "decl_id", "empty"},
    {"{\"decl_id\": \"TYN 1\"}", "", SL_E_BAD_DECL_ID, "decl_id", "space"},
    {"{\"decl_id\": \"单号1\"}", "", SL_E_BAD_DECL_ID, "decl_id", "0xE5"},
    {"{\"flow\": \"inbound\"}", "", SL_E_BAD_FLOW, "flow", "inbound"},
    {"{\"flow\": \"Import\"}", "", SL_E_BAD_FLOW, "flow", ""},
    {"{\"trade_mode\": \"9999\"}", "", SL_E_BAD_TRADE_MODE, "trade_mode",
     "9999"},
    {"{\"trade_mode\": \"9710\"}", "", SL_E_BAD_TRADE_MODE, "trade_mode",
     "exports only"},
    {"{\"trade_mode\": \"9810\"}", "", SL_E_BAD_TRADE_MODE, "trade_mode",
     "exports only"},
    {"{\"declared_at\": \"2026-11-29 08:15:00\"}", "", SL_E_BAD_TIME,
     "declared_at", "RFC 3339"},
    {"{\"declared_at\": \"2026-02-29T08:15:00Z\"}", "", SL_E_BAD_TIME,
     "declared_at", "day"},
    {"{\"declared_at\": \"2026-11-29T08:15:00\"}", "", SL_E_BAD_TIME,
     "declared_at", "offset"},
    {"{\"declared_at\": \"2026-11-29T24:00:00Z\"}", "", SL_E_BAD_TIME,
     "declared_at", "time of day"},
    {"{\"ebc\": {\"code\": \"91350100M000100Y44\"}}", "", SL_E_BAD_USCC,
     "ebc.code", "check character is 4, expected 3"},
    {"{\"ebc\": {\"code\": \"91350100I000100Y43\"}}", "", SL_E_BAD_USCC,
     "ebc.code", "position 9"},
    {"{\"ebc\": {\"code\": \"11059600a1\"}}", "", SL_E_BAD_CUSTOMS_CODE,
     "ebc.code", "position 9"},
    {"{\"ebp\": {\"code\": \"A105960001\"}}", "", SL_E_BAD_CUSTOMS_CODE,
     "ebp.code", "position 1"},
    {"{\"logistics\": {\"code\": \"14019800\"}}", "", SL_E_BAD_ENTERPRISE_CODE,
     "logistics.code", "8 characters"},
    {"{\"buyer\": {\"id_type\": \"card\"}}", "", SL_E_BAD_ID_TYPE,
     "buyer.id_type", "card"},
    {"{\"buyer\": {\"id_number\": \"110105194912310021\"}}", "",
     SL_E_BAD_ID_NUMBER, "buyer.id_number", "check character is 1, expected X"},
    {"{\"buyer\": {\"id_number\": \"11010519491231002x\"}}", "",
     SL_E_BAD_ID_NUMBER, "buyer.id_number", "expected X"},
    {"{\"buyer\": {\"id_number\": \"110105491231002\"}}", "",
     SL_E_BAD_ID_NUMBER, "buyer.id_number", "18 characters"},
    {"{\"buyer\": {\"id_type\": \"passport\", \"id_number\": \"e123\"}}", "",
     SL_E_BAD_ID_NUMBER, "buyer.id_number", "passport"},
    {"{\"sender\": {\"country\": \"JPN\"}}", "", SL_E_BAD_COUNTRY,
     "sender.country", "JPN"},
    {"{\"origin_country\": \"jp\"}", "", SL_E_BAD_COUNTRY, "origin_country",
     ""},
    {"{\"origin_country\": \"UK\"}", "", SL_E_BAD_COUNTRY, "origin_country",
     ""},
    {"", "{\"origin_country\": \"XX\"}", SL_E_BAD_COUNTRY,
     "items[0].origin_country", ""},
    {"{\"currency\": \"RMB\"}", "", SL_E_BAD_CURRENCY, "currency", "RMB"},
    {"{\"currency\": \"XAU\"}", "", SL_E_BAD_CURRENCY, "currency", ""},
    {"", "{\"hs_code\": \"33049\"}", SL_E_BAD_HS_CODE, "items[0].hs_code",
     "5 digits"},
    {"", "{\"hs_code\": \"3304.99.00\"}", SL_E_BAD_HS_CODE, "items[0].hs_code",
     "no dots"},
    {"", "{\"hs_code\": \"33049900991\"}", SL_E_BAD_HS_CODE, "items[0].hs_code",
     "11 digits"},
    {"{\"goods_value\": -1}", "", SL_E_BAD_MONEY, "goods_value", "negative"},
    {"{\"freight\": 20.000001}", "", SL_E_BAD_MONEY, "freight", "decimals"},
    {"{\"tax_total\": 1e9}", "", SL_E_BAD_MONEY, "tax_total", "below"},
    {"", "{\"price\": -0.01}", SL_E_BAD_MONEY, "items[0].price", ""},
    {"", "{\"total_price\": 0.123456}", SL_E_BAD_MONEY, "items[0].total_price",
     ""},
    {"", "{\"total_price\": null, \"qty\": 999999, \"price\": 999999}",
     SL_E_BAD_MONEY, "items[0].price", "qty x price"},
    {"", "{\"qty\": 0}", SL_E_BAD_QUANTITY, "items[0].qty", "greater than 0"},
    {"", "{\"qty\": 0.000001}", SL_E_BAD_QUANTITY, "items[0].qty", ""},
    {"{\"gross_weight_kg\": -1.2}", "", SL_E_BAD_QUANTITY, "gross_weight_kg",
     ""},
    {"{\"net_weight_kg\": 0}", "", SL_E_BAD_QUANTITY, "net_weight_kg", ""},
    {"", "{\"category\": \"present\"}", SL_E_BAD_CATEGORY, "items[0].category",
     "present"},
    {"{\"customs_code\": \"501\"}", "", SL_E_BAD_CUSTOMS_OFFICE, "customs_code",
     "4-digit"},
    {"{\"customs_code\": \"05a1\"}", "", SL_E_BAD_CUSTOMS_OFFICE,
     "customs_code", ""},
    {"", "{\"seq\": 0}", SL_E_BAD_SEQ, "items[0].seq", ""},
    {"", "{\"seq\": 1.5}", SL_E_BAD_SEQ, "items[0].seq", ""},
    /* first error in field order wins */
    {"{\"currency\": \"RMB\", \"flow\": \"x\"}", "", SL_E_BAD_FLOW, "flow", ""},
    {"{\"goods_value\": -1}", "{\"hs_code\": \"1\"}", SL_E_BAD_MONEY,
     "goods_value", ""},
};

ParameterizedTestParameters(validate, each_code)
{
	return cr_make_param_array(struct vcase, vcases,
				   sizeof(vcases) / sizeof(vcases[0]));
}

ParameterizedTest(struct vcase *c, validate, each_code)
{
	enum sl_errcode rc =
	    check_patch(c->root_patch[0] ? c->root_patch : NULL,
			c->item_patch[0] ? c->item_patch : NULL);

	cr_assert_eq(rc, c->code, "%s %s: got %s %s (%s)", c->root_patch,
		     c->item_patch, sl_errcode_name(rc), err.field,
		     err.message);
	cr_assert_str_eq(err.field, c->field, "%s", err.message);
	cr_assert(strstr(err.message, c->message_part), "message: %s",
		  err.message);
}

/* Every code of error-t.h is produced by some case: decode-stage codes in
 * test_decode.c, the rest here. */
Test(validate, every_value_code_has_a_case)
{
	bool seen[SL_E__COUNT] = {0};
	unsigned i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		seen[vcases[i].code] = true;
	for (i = SL_E_MISSING_FIELD; i < SL_E__COUNT; i++)
		if (i != SL_E_BAD_TYPE && i != SL_E_TOO_MANY_ITEMS)
			cr_expect(seen[i], "no case for %s",
				  sl_errcode_name(i));
}

/* ------------------------------------------------- check characters */

/* Independent oracles, written from the SPEC's words rather than the
 * tables of codes.c. */
static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static char oracle_uscc(const char body[17])
{
	unsigned sum = 0, w = 1, i;

	for (i = 0; i < 17; i++) {
		sum +=
		    (unsigned)(strchr(uscc_charset, body[i]) - uscc_charset) *
		    w;
		w = w * 3 % 31; /* 3^(i-1) mod 31 */
	}
	return uscc_charset[(31 - sum % 31) % 31];
}

static char oracle_id(const char body[17])
{
	unsigned sum = 0, i;

	for (i = 0; i < 17; i++) {
		unsigned w = 1, k;

		for (k = 0; k < 17 - i; k++)
			w = w * 2 % 11; /* 2^(18-i) mod 11 */
		sum += (unsigned)(body[i] - '0') * w;
	}
	return "10X98765432"[sum % 11];
}

Test(validate, spec_examples)
{
	char e = 0;

	cr_assert_eq(sl_uscc_check("91350100M000100Y43", 18, &e), 0);
	cr_assert_eq(e, '3');
	cr_assert_eq(sl_resident_id_check("11010519491231002X", 18, &e), 0);
	cr_assert_eq(e, 'X');
	cr_assert_eq(oracle_uscc("91350100M000100Y4"), '3');
	cr_assert_eq(oracle_id("11010519491231002"), 'X');
	cr_assert_eq(sl_uscc_check("91350100M000100Y4", 17, &e), -EINVAL);
	cr_assert_eq(e, '\0');
	cr_assert_eq(sl_customs_code_check("1105960001", 10), 0);
	cr_assert_eq(sl_customs_code_check("31209607AB", 10), 0);
	cr_assert_eq(sl_customs_code_check("3120960 AB", 10), -EINVAL);
}

/* 17-character bodies; the check character comes from the oracle */
TheoryDataPoints(validate, uscc_single_change_fails) = {
    DataPoints(const char *, "91350100M000100Y4", "12100000000000000",
	       "Y1110000MA01ABCDE", "52440300MJL0000XY", "00000000000000000",
	       "YYYYYYYYYYYYYYYYY", "931101087XRQTUW39"),
    DataPoints(int, 0, 1, 2, 5, 8, 9, 12, 16, 17),
    DataPoints(char, '0', '1', '7', 'A', 'H', 'J', 'Y', 'I', 'O', 'a', '-'),
};

Theory((const char *body, int pos, char repl), validate,
       uscc_single_change_fails)
{
	char code[19];

	memcpy(code, body, 17);
	code[17] = oracle_uscc(body);
	code[18] = '\0';
	cr_assert_eq(sl_uscc_check(code, 18, NULL), 0, "%s", code);
	cr_assume_neq(code[pos], repl);
	code[pos] = repl;
	cr_assert_eq(sl_uscc_check(code, 18, NULL), -EINVAL, "%s", code);
}

TheoryDataPoints(validate, resident_id_single_change_fails) = {
    DataPoints(const char *, "11010519491231002", "44030419900101123",
	       "00000000000000000", "99999999999999999", "51010820000229661"),
    DataPoints(int, 0, 3, 6, 10, 13, 16, 17),
    DataPoints(char, '0', '1', '5', '9', 'X', 'x', 'A', ' '),
};

Theory((const char *body, int pos, char repl), validate,
       resident_id_single_change_fails)
{
	char id[19];

	memcpy(id, body, 17);
	id[17] = oracle_id(body);
	id[18] = '\0';
	cr_assert_eq(sl_resident_id_check(id, 18, NULL), 0, "%s", id);
	cr_assume_neq(id[pos], repl);
	id[pos] = repl;
	cr_assert_eq(sl_resident_id_check(id, 18, NULL), -EINVAL, "%s", id);
}

/* Exhaustively: every body of the form prefix + one varying position,
 * every substitution at every position. */
Test(validate, check_characters_exhaustive_single_substitutions)
{
	static const char id_chars[] = "0123456789X";
	char code[19] = "91350100M000100Y43", id[19] = "11010519491231002X";
	unsigned pos, k;

	for (pos = 0; pos < 18; pos++)
		for (k = 0; k < 31; k++) {
			char save = code[pos];

			if (uscc_charset[k] == save)
				continue;
			code[pos] = uscc_charset[k];
			cr_assert_eq(sl_uscc_check(code, 18, NULL), -EINVAL,
				     "%s", code);
			code[pos] = save;
		}
	for (pos = 0; pos < 18; pos++)
		for (k = 0; k < 11; k++) {
			char save = id[pos];

			if (id_chars[k] == save || (pos < 17 && k == 10))
				continue;
			id[pos] = id_chars[k];
			cr_assert_eq(sl_resident_id_check(id, 18, NULL),
				     -EINVAL, "%s", id);
			id[pos] = save;
		}
}

/* ---------------------------------------------------------- ISO tables */

static cJSON *read_iso(const char *name)
{
	char path[512];
	FILE *f;
	long n;
	char *buf;
	cJSON *j;

	snprintf(path, sizeof(path), "/usr/share/iso-codes/json/%s", name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	j = cJSON_Parse(buf);
	free(buf);
	cr_assert_not_null(j);
	return j;
}

Test(validate, iso_3166_every_code_of_iso_codes)
{
	cJSON *j = read_iso("iso_3166-1.json"), *e;
	unsigned n = 0;

	cJSON_ArrayForEach (e, cJSON_GetObjectItem(j, "3166-1")) {
		const char *a2 = cJSON_GetObjectItem(e, "alpha_2")->valuestring;

		cr_assert(sl_country_valid(sl_country_pack(a2, 2)), "%s", a2);
		n++;
	}
	cr_assert_eq(n, sl_country_count());
	cr_assert_geq(n, 249);
	cr_assert_not(sl_country_valid(sl_country_pack("XX", 2)));
	cr_assert_not(sl_country_valid(sl_country_pack("UK", 2)));
	cr_assert_not(sl_country_valid(sl_country_pack("jp", 2)));
	cr_assert_not(sl_country_valid(0));
	cJSON_Delete(j);
}

Test(validate, iso_4217_every_currency_of_iso_codes)
{
	static const char *const units[] = {"XAG", "XAU", "XBA", "XBB", "XBC",
					    "XBD", "XDR", "XPD", "XPT", "XSU",
					    "XTS", "XUA", "XXX"};
	cJSON *j = read_iso("iso_4217.json"), *e;
	unsigned n = 0, i;

	cJSON_ArrayForEach (e, cJSON_GetObjectItem(j, "4217")) {
		const char *a3 = cJSON_GetObjectItem(e, "alpha_3")->valuestring;
		bool unit = false;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			unit |= !strcmp(a3, units[i]);
		cr_assert_eq(sl_currency_valid(sl_currency_pack(a3, 3)), !unit,
			     "%s", a3);
		n += !unit;
	}
	cr_assert_eq(n, sl_currency_count());
	cr_assert(sl_currency_valid(sl_currency_pack("CNY", 3)));
	cr_assert(sl_currency_valid(sl_currency_pack("XOF", 3)));
	cr_assert_not(sl_currency_valid(sl_currency_pack("RMB", 3)));
	cr_assert_not(sl_currency_valid(sl_currency_pack("cny", 3)));
	cJSON_Delete(j);
}

/* ------------------------------------------------------------- numbers */

/* Every 5-decimal amount below the limit converts exactly, across the
 * range: k / 10^5 printed with 5 decimals and read back as JSON. */
Test(validate, money_with_5_decimals_is_exact)
{
	static const int64_t bases[] = {0,
					1,
					99999,
					12345678,
					4999999999,
					9999999999999,
					SL_AMOUNT_MAX - 1000};
	char patch[96];
	unsigned b;
	int64_t k;

	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
		for (k = bases[b]; k < bases[b] + 1000; k += 7) {
			snprintf(patch, sizeof(patch),
				 "{\"goods_value\": %lld.%05lld}",
				 (long long)(k / SL_MONEY_ONE),
				 (long long)(k % SL_MONEY_ONE));
			cr_assert_eq(check_patch(patch, NULL), SL_OK, "%s: %s",
				     patch, err.message);
			cr_assert_eq(d.goods_value, k, "%s", patch);
		}
}

Test(validate, money_with_a_sixth_decimal_is_rejected)
{
	static const int64_t bases[] = {0, 1, 12345678, 9999999999999,
					SL_AMOUNT_MAX - 1000};
	char patch[96];
	unsigned b;
	int64_t k;
	int six;

	for (b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
		for (k = bases[b]; k < bases[b] + 300; k += 13)
			for (six = 1; six <= 9; six += 4) {
				snprintf(patch, sizeof(patch),
					 "{\"goods_value\": %lld.%05lld%d}",
					 (long long)(k / SL_MONEY_ONE),
					 (long long)(k % SL_MONEY_ONE), six);
				cr_assert_eq(check_patch(patch, NULL),
					     SL_E_BAD_MONEY, "%s", patch);
			}
}

/* cJSON reads 1e400 as infinity; the fixture cannot print it, so the line
 * is edited as text. */
Test(validate, money_not_finite)
{
	char *line = fixture_line(NULL, NULL),
	     *p = strstr(line, "\"discount\":0");
	char *edited = malloc(strlen(line) + 16);

	cr_assert_not_null(p);
	sprintf(edited, "%.*s\"discount\":1e400%s", (int)(p - line), line,
		p + strlen("\"discount\":0"));
	cr_assert_eq(check(edited), SL_E_BAD_MONEY, "%s", err.message);
	cr_assert_str_eq(err.field, "discount");
	cr_assert(strstr(err.message, "finite"));
	free(edited);
	free(line);
}

/* ---------------------------------------------------------------- time */

struct tcase {
	char s[40];
	int64_t epoch;
	int tz;
};

static struct tcase tcases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"1970-01-01T08:00:00+08:00", 0, 480},
    {"2026-11-29T08:15:00+08:00", INT64_C(1795911300), 480},
    {"2026-11-29t00:15:00.123456z", INT64_C(1795911300), 0},
    {"2024-02-29T23:59:60-05:30", INT64_C(1709271000), -330},
    {"2000-03-01T00:00:00-00:00", INT64_C(951868800), 0},
    {"1969-12-31T23:59:59Z", -1, 0},
};

ParameterizedTestParameters(validate, rfc3339)
{
	return cr_make_param_array(struct tcase, tcases,
				   sizeof(tcases) / sizeof(tcases[0]));
}

ParameterizedTest(struct tcase *c, validate, rfc3339)
{
	char patch[96];

	snprintf(patch, sizeof(patch), "{\"declared_at\": \"%s\"}", c->s);
	cr_assert_eq(check_patch(patch, NULL), SL_OK, "%s: %s", c->s,
		     err.message);
	cr_assert_eq(d.declared_at, c->epoch, "%s: %lld", c->s,
		     (long long)d.declared_at);
	cr_assert_eq(d.declared_tz, c->tz);
}
