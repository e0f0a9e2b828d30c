/* Enterprise registry: RFC 4180 parsing, validation with line numbers,
 * refusal of a bad file as a whole, lookups and the content id. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sluice/decl.h>
#include <sluice/registry.h>

#define USCC "91350100M000100Y43" /* SPEC 1's valid example */

static struct sl_registry *parse(const char *csv, char *err, size_t errlen)
{
	return sl_registry_parse(csv, strlen(csv), "reg.csv", err, errlen);
}

/* A valid USCC with the given 17-character body. */
static void make_uscc(char out[19], const char *body)
{
	char expect = 0;

	memcpy(out, body, 17);
	out[17] = '0';
	out[18] = '\0';
	sl_uscc_check(out, 18, &expect);
	cr_assert(expect, "body %s", body);
	out[17] = expect;
}

Test(registry, quoted_names_with_commas_and_lookup)
{
	char err[256], u2[19], csv[1024];
	struct sl_registry_entry e;
	struct sl_registry *r;

	make_uscc(u2, "91110000100000000");
	snprintf(csv, sizeof(csv),
		 "\xef\xbb\xbf"
		 "code,name,tier,negative_list\r\n"
		 "%s,\"Example Trading Co., Ltd.\",advanced,0\r\n"
		 "%s,\"Say \"\"hi\"\"\nsecond line\",dishonest,1\r\n"
		 "\r\n"
		 ",,,\r\n"
		 "0501A12345,Customs-coded shop,general,0\r\n",
		 USCC, u2);
	r = parse(csv, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_expect_eq(sl_registry_count(r), 3);
	cr_assert_eq(sl_registry_lookup(r, USCC, 18, &e), 0);
	cr_expect_eq(e.tier, SL_TIER_ADVANCED);
	cr_expect_not(e.negative);
	cr_assert_eq(sl_registry_lookup(r, u2, 18, &e), 0);
	cr_expect_eq(e.tier, SL_TIER_DISHONEST);
	cr_expect(e.negative);
	cr_assert_eq(sl_registry_lookup(r, "0501a12345", 10, &e), 0,
		     "letters are matched case-insensitively");
	cr_expect_eq(e.tier, SL_TIER_GENERAL);
	cr_expect_eq(sl_registry_lookup(r, "0501A12346", 10, &e), -ENOENT);
	cr_expect_eq(sl_registry_lookup(r, "", 0, &e), -ENOENT);
	sl_registry_put(r);
}

Test(registry, columns_in_any_order_extra_ignored)
{
	char err[256];
	struct sl_registry_entry e;
	struct sl_registry *r = parse("Tier,negative_list,remark,CODE,name\n"
				      "general,1,x," USCC ",A\n",
				      err, sizeof(err));

	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(sl_registry_lookup(r, USCC, 18, &e), 0);
	cr_expect_eq(e.tier, SL_TIER_GENERAL);
	cr_expect(e.negative);
	sl_registry_put(r);
}

Test(registry, content_id_names_the_bytes)
{
	char err[256];
	const char *a = "code,name,tier,negative_list\n" USCC ",A,general,0\n";
	const char *b = "code,name,tier,negative_list\n" USCC ",B,general,0\n";
	struct sl_registry *ra = parse(a, err, sizeof(err)),
			   *ra2 = parse(a, err, sizeof(err)),
			   *rb = parse(b, err, sizeof(err));
	const char *id;

	cr_assert(ra && ra2 && rb);
	id = sl_registry_id(ra);
	cr_expect_eq(strlen(id), 16);
	cr_expect_eq(strspn(id, "0123456789abcdef"), 16);
	cr_expect_str_eq(id, sl_registry_id(ra2));
	cr_expect_str_neq(id, sl_registry_id(rb));
	sl_registry_put(ra);
	sl_registry_put(ra2);
	sl_registry_put(rb);
}

/* Arrays, not pointers: Criterion copies parameters into a freshly
 * executed worker, where pointers into this image would not hold. */
struct bad_case {
	char csv[256];
	char want[128]; /* substring of the message */
};

/* Every bad file is refused whole, and says where. */
ParameterizedTestParameters(registry, bad_files_are_refused)
{
	static struct bad_case cases[] = {
	    {"", "empty file"},
	    {"code,name,tier\n" USCC ",A,general\n",
	     "reg.csv:1: header has no \"negative_list\" column"},
	    {"code,name,tier,negative_list\n" USCC ",A,general,0\n"
	     "91350100M000100Y44,B,general,0\n",
	     "reg.csv:3: code \"91350100M000100Y44\": USCC check character "
	     "is 4, expected 3"},
	    {"code,name,tier,negative_list\n" USCC ",A,gold,0\n",
	     "reg.csv:2: tier \"gold\" is not advanced, general or dishonest"},
	    {"code,name,tier,negative_list\n" USCC ",A,general,yes\n",
	     "reg.csv:2: negative_list \"yes\" is not 0 or 1"},
	    {"code,name,tier,negative_list\n12345,A,general,0\n",
	     "reg.csv:2: code \"12345\" is neither"},
	    {"code,name,tier,negative_list\n" USCC ",A,general\n",
	     "reg.csv:2: 3 fields"},
	    {"code,name,tier,negative_list\n\n" USCC ",A,general,0\n" USCC
	     ",B,advanced,0\n",
	     "reg.csv:4: code " USCC " is listed twice (first on line 3)"},
	    {"code,name,tier,negative_list\n" USCC ",\"A,general,0\n",
	     "reg.csv:2: malformed CSV"},
	    {"code,name,tier,negative_list\n" USCC ",A\"b,general,0\n",
	     "reg.csv:2: malformed CSV"},
	    {"code,name,tier,negative_list\n" USCC ",A,gold,0\n"
	     "x,A,general,0\n" USCC ",A,general,2\n",
	     "(and 2 more bad rows)"},
	    /* a file cut in the middle of its last row */
	    {"code,name,tier,negative_list\n" USCC ",A,gen",
	     "reg.csv:2: 3 fields"},
	};

	return cr_make_param_array(struct bad_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, registry, bad_files_are_refused)
{
	char err[512] = "";
	struct sl_registry *r = parse(c->csv, err, sizeof(err));

	cr_expect_null(r);
	cr_expect(strstr(err, c->want), "got \"%s\", want \"%s\"", err,
		  c->want);
}

Test(registry, load_reports_missing_file)
{
	char err[256];

	cr_expect_null(
	    sl_registry_load("/nonexistent/reg.csv", err, sizeof(err)));
	cr_expect(strstr(err, "/nonexistent/reg.csv: No such file"), "%s", err);
}

Test(registry, many_entries)
{
	static char csv[64 * 20000];
	char err[256], u[19], body[18];
	struct sl_registry_entry e;
	struct sl_registry *r;
	size_t off;
	int i, found = 0;

	off = (size_t)snprintf(csv, sizeof(csv),
			       "code,name,tier,negative_list\n");
	for (i = 0; i < 20000; i++) {
		snprintf(body, sizeof(body), "9111%013d", i);
		make_uscc(u, body);
		off += (size_t)snprintf(csv + off, sizeof(csv) - off,
					"%s,\"E %d, Ltd\",%s,%d\n", u, i,
					i % 3 == 0   ? "advanced"
					: i % 3 == 1 ? "general"
						     : "dishonest",
					i % 10 == 0);
	}
	r = sl_registry_parse(csv, off, "big.csv", err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_expect_eq(sl_registry_count(r), 20000);
	for (i = 0; i < 20000; i += 7) {
		snprintf(body, sizeof(body), "9111%013d", i);
		make_uscc(u, body);
		if (sl_registry_lookup(r, u, 18, &e) == 0 &&
		    e.tier == (i % 3 == 0   ? SL_TIER_ADVANCED
			       : i % 3 == 1 ? SL_TIER_GENERAL
					    : SL_TIER_DISHONEST) &&
		    e.negative == (i % 10 == 0))
			found++;
	}
	cr_expect_eq(found, (20000 + 6) / 7);
	sl_registry_put(r);
}
