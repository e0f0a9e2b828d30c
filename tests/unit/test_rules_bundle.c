/* The bundle file: a good one loads and says what it is; a truncated,
 * corrupted, wrong-version or wrong-platform one is refused with a clear
 * message, and nothing crashes the loader. */
#include <sys/stat.h>

#include "rules_helpers.h"

static const char *yaml =
    "rules:\n"
    "  - id: PROHIBITED.ENDANGERED.IVORY\n"
    "    title: Ivory\n"
    "    source: test\n"
    "    action: seize\n"
    "    match: {terms: [象牙, ivory], unless: [象牙白]}\n"
    "  - id: RISK.CHEAP\n"
    "    title: Cheap phones\n"
    "    source: test\n"
    "    points: 10\n"
    "    when: {hs: ['8517'], unit_price: {below: 100}, origin: [US]}\n"
    "  - id: RISK.VAGUE\n"
    "    title: Vague\n"
    "    source: test\n"
    "    action: hold\n"
    "    match: {regex: ['^gifts?$']}\n";

static char path[] = "/tmp/sluice-test-bundle-XXXXXX";
static char *img;
static size_t img_len;

static void setup(void)
{
	char *diag;
	int fd = mkstemp(path), errors;
	struct stat st;
	FILE *f;

	cr_assert(fd >= 0);
	close(fd);
	diag = rc_diag("bundle.yaml", yaml, &errors, path);
	cr_assert_eq(errors, 0, "%s", diag);
	free(diag);
	cr_assert_eq(stat(path, &st), 0);
	img_len = (size_t)st.st_size;
	img = malloc(img_len);
	f = fopen(path, "rb");
	cr_assert_eq(fread(img, 1, img_len, f), img_len);
	fclose(f);
}

static void teardown(void)
{
	unlink(path);
	free(img);
}

TestSuite(bundle, .init = setup, .fini = teardown);

static void put_file(const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	cr_assert(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Loads p[0..n) from the file; returns the error message ("" = loaded). */
static const char *try_load(const void *p, size_t n)
{
	static char err[512];
	struct sl_bundle *b;

	put_file(p, n);
	err[0] = '\0';
	b = sl_bundle_load(path, err, sizeof(err));
	if (b) {
		sl_bundle_put(b);
		return "";
	}
	cr_assert_neq(err[0], '\0', "refused without a message");
	return err;
}

Test(bundle, good_bundle_loads)
{
	char err[256];
	struct sl_bundle *b, *c;
	const struct sl__bhdr *h = (const void *)img;
	char want[17];

	put_file(img, img_len);
	b = sl_bundle_load(path, err, sizeof(err));
	cr_assert(b, "%s", err);
	cr_expect_eq(sl_bundle_rule_count(b), 3);
	cr_expect_str_eq(sl_bundle_rule_name(b, 0),
			 "PROHIBITED.ENDANGERED.IVORY");
	cr_expect_str_eq(sl_bundle_rule_name(b, 2), "RISK.VAGUE");
	cr_expect_null(sl_bundle_rule_name(b, 3));
	for (int i = 0; i < 8; i++)
		sprintf(want + 2 * i, "%02x", h->sha256[i]);
	cr_expect_str_eq(sl_bundle_id(b), want);
	cr_expect_eq(strlen(sl_bundle_id(b)), 16);
	cr_expect_eq(sl_bundle_policy(b)->txn_limit_cny, 5000 * SL_MONEY_ONE,
		     "default policy");
	c = sl_bundle_get(b);
	cr_expect_eq(c, b);
	sl_bundle_put(b);
	cr_expect_str_eq(sl_bundle_id(c), want, "still alive after one put");
	sl_bundle_put(c);
}

Test(bundle, missing_and_not_a_file)
{
	char err[256];

	cr_expect_null(
	    sl_bundle_load("/nonexistent/x.bundle", err, sizeof(err)));
	cr_expect(strstr(err, "/nonexistent/x.bundle"), "%s", err);
	cr_expect_null(sl_bundle_load("/tmp", err, sizeof(err)));
	cr_expect(strstr(err, "not a regular file"), "%s", err);
}

Test(bundle, truncated)
{
	size_t lens[] = {0,   1,   7,	8,	     100,	  255,
			 256, 257, 300, img_len / 2, img_len - 8, img_len - 1};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const char *e = try_load(img, lens[i]);

		if (lens[i] < 8)
			cr_expect(strstr(e, "not a sluice bundle"), "%zu: %s",
				  lens[i], e);
		else
			cr_expect(strstr(e, "truncated"), "%zu: %s", lens[i],
				  e);
	}
}

Test(bundle, trailing_garbage)
{
	char *p = malloc(img_len + 5);

	memcpy(p, img, img_len);
	memcpy(p + img_len, "junk!", 5);
	cr_expect(strstr(try_load(p, img_len + 5), "corrupted"));
	free(p);
}

Test(bundle, every_flipped_byte_is_refused)
{
	char *p = malloc(img_len);
	unsigned refused = 0, tried = 0;

	/* every byte of the header and the tables, then every 7th */
	for (size_t i = 0; i < img_len; i += i < 8192 ? 1 : 7) {
		const char *e;

		memcpy(p, img, img_len);
		p[i] ^= (char)(1u << (i % 8));
		e = try_load(p, img_len);
		tried++;
		if (*e)
			refused++;
		else
			cr_assert_fail("flipping byte %zu was not noticed", i);
	}
	cr_expect_eq(refused, tried);
	free(p);
}

Test(bundle, flipped_content_byte_is_a_checksum_error)
{
	char *p = malloc(img_len);

	memcpy(p, img, img_len);
	p[img_len - 100] ^= 0x20;
	cr_expect(strstr(try_load(p, img_len), "checksum mismatch"));
	free(p);
}

Test(bundle, bad_magic)
{
	char *p = malloc(img_len);

	memcpy(p, img, img_len);
	p[0] = 'X';
	cr_expect(strstr(try_load(p, img_len), "not a sluice bundle"));
	free(p);
}

Test(bundle, wrong_format_version)
{
	char *p = malloc(img_len);
	struct sl__bhdr *h = (void *)p;

	memcpy(p, img, img_len);
	h->version = SL__BUNDLE_VERSION + 1;
	cr_expect(strstr(try_load(p, img_len), "format version 2"), "%s",
		  try_load(p, img_len));
	free(p);
}

/* Rewrites the header's checksum after a deliberate change, as a bundle
 * made elsewhere would carry a valid one. */
static void reseal(char *p, size_t n)
{
	struct sl__bhdr *h = (void *)p;
	char id[SL_SHORT_ID_MAX];

	cr_assert_eq(sl__bundle_digest(p, n, h->sha256, id), 0);
	memset(h->id, 0, sizeof(h->id));
	memcpy(h->id, id, sizeof(id));
}

Test(bundle, wrong_platform)
{
	char *p = malloc(img_len);
	struct sl__bhdr *h = (void *)p;
	const char *e;

	memcpy(p, img, img_len);
	h->hs_features |= UINT64_C(1) << 40; /* a feature no CPU here has */
	reseal(p, img_len);
	e = try_load(p, img_len);
	cr_expect(strstr(e, "built for a CPU with"), "%s", e);
	cr_expect(strstr(e, "recompile the rules on this machine"), "%s", e);
	free(p);
}

Test(bundle, wrong_hyperscan_version)
{
	char *p = malloc(img_len);
	struct sl__bhdr *h = (void *)p;
	const char *e;

	memcpy(p, img, img_len);
	snprintf(h->hs_version, sizeof(h->hs_version), "4.7.0 2018-01-24");
	reseal(p, img_len);
	e = try_load(p, img_len);
	cr_expect(strstr(e, "built with Hyperscan 4.7.0"), "%s", e);
	free(p);
}

/* Flips bytes behind the checksum (as if the writer had a bug, or an
 * attacker resealed the file): the loader must refuse or load, with a
 * message either way, and never crash or read out of bounds. */
Test(bundle, resealed_corruption_never_crashes)
{
	char *p = malloc(img_len), err[512];
	uint64_t s = 7;

	for (int iter = 0; iter < 20000; iter++) {
		struct sl_bundle *b;
		size_t at;

		memcpy(p, img, img_len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			at = sizeof(struct sl__bhdr) + s % (img_len - 256);
			p[at] ^= (char)(s >> 32);
		}
		err[0] = '\0';
		b = sl__bundle_load_mem(p, img_len, SL__LOAD_FIX_DIGEST,
					"fuzzed", err, sizeof(err));
		if (b) {
			sl_decl_t *d = decl_new();
			struct sl_hits h;
			struct sl_match_scratch *ms = sl_match_scratch_new(b);

			/* a bundle that loads must also match safely */
			decl_item(d, "象牙 gift ivory", "8517000000", 1);
			if (ms)
				sl_match_decl(b, ms, d, &h);
			sl_match_scratch_free(ms);
			sl_bundle_put(b);
			free(d);
		} else {
			cr_assert_neq(err[0], '\0');
		}
	}
	free(p);
}
