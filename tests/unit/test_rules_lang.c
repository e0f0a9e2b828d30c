/* The rule language: what compiles, and every error with its
 * FILE:LINE:COL, all of them in one run. */
#include <sys/stat.h>

#include "rules_helpers.h"

/* Compiles yaml as "t.yaml"; expects exactly n errors and that every
 * expected line appears in the diagnostics. */
static void expect_errors(const char *yaml, int n, const char *const *want)
{
	int errors;
	char *diag = rc_diag("t.yaml", yaml, &errors, NULL);

	cr_expect_eq(errors, n, "expected %d errors, got %d:\n%s", n, errors,
		     diag);
	for (; want && *want; want++)
		cr_expect(strstr(diag, *want), "missing \"%s\" in:\n%s", *want,
			  diag);
	free(diag);
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *good =
    "# a complete file\n"
    "lists: {}\n"
    "rules:\n"
    "  - id: PROHIBITED.TEST.ONE\n"
    "    title: One\n"
    "    source: a regulation\n"
    "    action: seize\n"
    "    note: free text is allowed\n"
    "    match:\n"
    "      fields: [item, sender.name]\n"
    "      terms: [象牙, 'ivory*', '*tusk']\n"
    "      regex: ['^gifts?$']\n"
    "      unless: [象牙白]\n"
    "  - id: RISK.TEST.TWO\n"
    "    title: Two\n"
    "    source: practice\n"
    "    points: -5\n"
    "    when:\n"
    "      any:\n"
    "        - {hs: ['0301', 8517], origin: [JP, KR]}\n"
    "        - not: {flow: export}\n"
    "        - all: [{trade_mode: [9610, postal]}, {category: gift}]\n"
    "        - unit_price: {above: 10, below: 100.5}\n"
    "        - gross_weight: {at_least: 0.5}\n"
    "        - items: {gt: 3}\n"
    "        - sender_country: US\n"
    "policy:\n"
    "  thresholds: {hold: 20, inspect: 50}\n"
    "  tiers:\n"
    "    advanced: {multiplier: 50%, inspection_rate: 0.1%}\n"
    "  split_shipment: {window: 48h, max_parcels: 5}\n"
    "  exchange_rates: {USD: 7.2}\n";

Test(lang, a_good_file_compiles)
{
	struct sl_bundle *b = rc_bundle(good);
	const struct sl_policy *p = sl_bundle_policy(b);

	cr_expect_eq(sl_bundle_rule_count(b), 2);
	cr_expect_eq(p->hold_at, 20);
	cr_expect_eq(p->inspect_at, 50);
	cr_expect_eq(p->tier[SL_TIER_ADVANCED].multiplier_pct, 50);
	cr_expect_eq(p->tier[SL_TIER_ADVANCED].sample_ppm, 1000);
	cr_expect_eq(p->tier[SL_TIER_GENERAL].sample_ppm, 24400,
		     "unspecified settings keep their defaults");
	cr_expect_eq(p->split_window_s, 48 * 3600);
	cr_expect_eq(p->split_max_count, 5);
	cr_expect_eq(p->n_fx, 1, "exchange_rates replaces the table");
	cr_expect_eq(p->fx[0].cny_per_unit, 720000);
	cr_expect(fires_on_name(b, "PROHIBITED.TEST.ONE", "ivorybill"),
		  "'ivory*' is open at its end");
	cr_expect(fires_on_name(b, "PROHIBITED.TEST.ONE", "mammoth-tusk"),
		  "'*tusk' is open at its start");
	cr_expect(fires_on_name(b, "PROHIBITED.TEST.ONE", "walrustusk"));
	cr_expect_not(fires_on_name(b, "PROHIBITED.TEST.ONE", "tusks"));
	sl_bundle_put(b);
}

Test(lang, yaml_syntax_error_has_its_position)
{
	expect_errors("rules:\n"
		      "  - id: A.B\n"
		      "    title: [x, y\n"
		      "    source: s\n",
		      1,
		      WANT("t.yaml:5:1: error: YAML: flow sequence without a "
			   "closing bracket"));
	expect_errors("rules:\n"
		      "  - id: A.B\n"
		      "    title: t\n"
		      "      source: s\n",
		      1, WANT("t.yaml:3:12: error: YAML: "));
}

Test(lang, invalid_utf8_is_located)
{
	expect_errors("rules:\n  - id: A.B\n    title: t\xff\n", 1,
		      WANT("t.yaml:3:13: error: invalid UTF-8"));
}

Test(lang, unknown_keys)
{
	expect_errors(
	    "rulez: []\n"
	    "rules:\n"
	    "  - id: A.B\n"
	    "    title: t\n"
	    "    source: s\n"
	    "    action: seize\n"
	    "    colour: red\n"
	    "    match: {terms: [x], feilds: [item]}\n",
	    3,
	    WANT("t.yaml:1:1: error: unknown key 'rulez' in a rule file",
		 "t.yaml:7:5: error: unknown rule key 'colour'",
		 "t.yaml:8:25: error: unknown key 'feilds' in match"));
}

Test(lang, unknown_field_and_condition)
{
	expect_errors(
	    "rules:\n"
	    "  - id: A.B\n"
	    "    title: t\n"
	    "    source: s\n"
	    "    points: 3\n"
	    "    match: {fields: [item.colour], terms: [x]}\n"
	    "    when: {weight_kg: {above: 3}}\n",
	    2,
	    WANT("t.yaml:6:22: error: unknown field 'item.colour'",
		 "t.yaml:7:12: error: unknown condition 'weight_kg'"));
}

Test(lang, unknown_list_and_wrong_kind)
{
	expect_errors("lists:\n"
		      "  bands: {kind: bands, file: /dev/null}\n"
		      "rules:\n"
		      "  - id: A.B\n"
		      "    title: t\n"
		      "    source: s\n"
		      "    points: 3\n"
		      "    when: {hs_list: nope}\n"
		      "  - id: A.C\n"
		      "    title: t\n"
		      "    source: s\n"
		      "    points: 3\n"
		      "    when: {hs_list: bands}\n",
		      2,
		      WANT("t.yaml:8:21: error: unknown list 'nope'",
			   "t.yaml:13:21: error: list 'bands' is a bands list; "
			   "a hs list is needed"));
}

Test(lang, duplicate_id_names_the_first)
{
	expect_errors("rules:\n"
		      "  - {id: A.B, title: t, source: s, points: 1, "
		      "match: {terms: [x]}}\n"
		      "  - {id: A.B, title: t, source: s, points: 1, "
		      "match: {terms: [y]}}\n",
		      1,
		      WANT("t.yaml:3:6: error: duplicate rule id 'A.B' (first "
			   "defined at t.yaml:2:6)"));
}

Test(lang, bad_ids)
{
	expect_errors("rules:\n"
		      "  - {id: lower.case, title: t, source: s, points: 1, "
		      "match: {terms: [x]}}\n"
		      "  - {id: NODOT, title: t, source: s, points: 1, "
		      "match: {terms: [x]}}\n"
		      "  - {id: RANDOM.GENERAL, title: t, source: s, "
		      "points: 1, match: {terms: [x]}}\n",
		      3,
		      WANT("t.yaml:2:10: error: rule id 'lower.case' must be",
			   "t.yaml:3:10: error: rule id 'NODOT' must be",
			   "t.yaml:4:10: error: rule id 'RANDOM.GENERAL' is in "
			   "a namespace the engine reserves"));
}

Test(lang, rule_shape)
{
	expect_errors("rules:\n"
		      "  - id: A.B\n"
		      "    action: seize\n"
		      "    points: 4\n"
		      "    match: {terms: [x]}\n"
		      "  - id: A.C\n"
		      "    title: t\n"
		      "    source: s\n"
		      "    match: {terms: [x]}\n"
		      "  - id: A.D\n"
		      "    title: t\n"
		      "    source: s\n"
		      "    action: release\n"
		      "    points: 0\n",
		      8,
		      WANT("t.yaml:2:5: error: rule A.B has no title",
			   "t.yaml:2:5: error: rule A.B has no source",
			   "t.yaml:2:5: error: rule A.B has both action and "
			   "points",
			   "t.yaml:6:5: error: rule A.C has neither action nor "
			   "points",
			   "t.yaml:13:13: error: unknown action 'release'",
			   "t.yaml:14:13: error: points must be",
			   "t.yaml:10:5: error: rule A.D has both action and "
			   "points",
			   "t.yaml:10:5: error: rule A.D has no condition"));
}

Test(lang, bad_regex_and_unmatchable_terms)
{
	expect_errors("rules:\n"
		      "  - id: A.B\n"
		      "    title: t\n"
		      "    source: s\n"
		      "    points: 1\n"
		      "    match:\n"
		      "      regex: ['(unclosed', 'x*', 'ＡＢ']\n"
		      "      terms: ['\xe2\x80\x8b', '  ', x]\n",
		      5,
		      WANT("t.yaml:7:16: error: bad regex '(unclosed'",
			   "t.yaml:7:29: error: bad regex 'x*': it matches the "
			   "empty string",
			   "t.yaml:7:35: error: regex contains 'Ａ' (U+FF21), "
			   "which normalised text never contains; write 'a'",
			   "t.yaml:8:16: error: term '\xe2\x80\x8b' is empty "
			   "after normalisation",
			   "t.yaml:8:21: error: term '  ' is empty"));
}

Test(lang, values)
{
	expect_errors(
	    "rules:\n"
	    "  - id: A.B\n"
	    "    title: t\n"
	    "    source: s\n"
	    "    points: 1\n"
	    "    when:\n"
	    "      all:\n"
	    "        - hs: [85a7, '12345678901']\n"
	    "        - origin: [XX, japan]\n"
	    "        - flow: sideways\n"
	    "        - unit_price: {below: cheap}\n"
	    "        - not: 3\n",
	    7,
	    WANT("t.yaml:8:16: error: '85a7' is not an HS code prefix",
		 "t.yaml:8:23: error: '12345678901' is not an HS code",
		 "t.yaml:9:20: error: unknown country code 'XX'",
		 "t.yaml:9:24: error: 'japan' is not a country code",
		 "t.yaml:10:17: error: unknown flow 'sideways'",
		 "t.yaml:11:31: error: 'cheap' is not a number",
		 "t.yaml:12:16: error: a condition is a mapping"));
}

Test(lang, policy_errors)
{
	expect_errors("policy:\n"
		      "  tiers:\n"
		      "    dishonest: {inspection_rate: 50%}\n"
		      "    vip: {floor: release}\n"
		      "  exchange_rates: {XYZ: 1, usd: 7}\n"
		      "  negative_list_floor: maybe\n",
		      5,
		      WANT("t.yaml:4:5: error: unknown key 'vip' in tiers",
			   "t.yaml:5:20: error: unknown currency 'XYZ'",
			   "t.yaml:5:28: error: 'usd' is not a currency code",
			   "t.yaml:6:24: error: unknown verdict 'maybe'",
			   "t.yaml:1:1: error: policy: tiers: the dishonest "
			   "tier must be inspected at least 80%"));
	expect_errors("policy:\n  tiers:\n    unknown: {floor: release}\n", 1,
		      WANT("error: policy: tiers: unknown enterprises are "
			   "never released"));
	expect_errors("policy: {}\npolicy: {}\n", 1,
		      WANT("t.yaml:2:1: error: YAML: duplicate key"));
}

Test(lang, csv_list_errors_name_the_row)
{
	char dir[] = "/tmp/sluice-test-lang-XXXXXX", path[256], yaml[1024];
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bands.csv", dir);
	f = fopen(path, "w");
	fputs("hs_prefix,origin,low_cny\n"
	      "8517,*,100\n"
	      "85x7,*,100\n"
	      "8471,ZZ,100\n"
	      "9102,*,-3\n"
	      "8517,*,200\n",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/hs.csv", dir);
	f = fopen(path, "w");
	fputs("code\n8517\n", f);
	fclose(f);
	snprintf(yaml, sizeof(yaml),
		 "lists:\n"
		 "  b: {kind: bands, file: %s/bands.csv}\n"
		 "  h: {kind: hs, file: %s/hs.csv}\n"
		 "  m: {kind: hs, file: %s/missing.csv}\n"
		 "rules:\n"
		 "  - {id: A.B, title: t, source: s, points: 1, "
		 "when: {below_band: b}}\n"
		 "  - {id: A.C, title: t, source: s, points: 1, "
		 "when: {hs_list: h}}\n"
		 "  - {id: A.D, title: t, source: s, points: 1, "
		 "when: {hs_list: m}}\n",
		 dir, dir, dir);
	{
		char l3[300], l4[300], l5[300], l6[300], h1[300];

		snprintf(l3, sizeof(l3),
			 "%s/bands.csv:3:1: error: '85x7' is not an HS", dir);
		snprintf(l4, sizeof(l4), "%s/bands.csv:4:1: error: origin 'ZZ'",
			 dir);
		snprintf(l5, sizeof(l5),
			 "%s/bands.csv:5:1: error: low_cny '-3'", dir);
		snprintf(l6, sizeof(l6),
			 "%s/bands.csv:6:1: error: a second band for "
			 "hs_prefix 8517",
			 dir);
		snprintf(h1, sizeof(h1),
			 "%s/hs.csv:1:1: error: list 'h': the header has no "
			 "column 'hs_prefix'",
			 dir);
		expect_errors(yaml, 6,
			      WANT(l3, l4, l5, l6, h1,
				   "t.yaml:4:3: error: list 'm': cannot read"));
	}
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	cr_expect_eq(system(path), 0);
}

Test(lang, every_error_of_every_file_is_reported)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sl_rulec_opts o = {.diag = f};
	struct sl_rulec *rc = sl_rulec_new(&o);
	int errors;

	sl_rulec_add_source(rc, "one.yaml",
			    "rules:\n  - {id: X.A, title: t, source: s}\n",
			    strlen("rules:\n  - {id: X.A, title: t, source: "
				   "s}\n"));
	sl_rulec_add_source(rc, "two.yaml", "rules: 3\nbogus: 1\n",
			    strlen("rules: 3\nbogus: 1\n"));
	errors = sl_rulec_build(rc, NULL, NULL);
	sl_rulec_free(rc);
	fclose(f);
	cr_expect_eq(errors, 4, "%s", buf);
	cr_expect(strstr(buf, "one.yaml:2:6: error: rule X.A has neither"),
		  "%s", buf);
	cr_expect(strstr(buf, "one.yaml:2:6: error: rule X.A has no condition"),
		  "%s", buf);
	cr_expect(strstr(buf, "two.yaml:1:1: error: rules is a list"), "%s",
		  buf);
	cr_expect(strstr(buf, "two.yaml:2:1: error: unknown key 'bogus'"), "%s",
		  buf);
	free(buf);
}

Test(lang, output_is_written_atomically_and_only_on_success)
{
	char dir[] = "/tmp/sluice-test-out-XXXXXX", out[256], cmd[300];
	struct stat st;
	int errors;
	char *diag;

	cr_assert(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/x.bundle", dir);
	diag = rc_diag("t.yaml", "rules: [{id: A.B}]\n", &errors, out);
	free(diag);
	cr_expect_gt(errors, 0);
	cr_expect_neq(stat(out, &st), 0, "a failed build wrote a bundle");
	diag = rc_diag("t.yaml", good, &errors, out);
	free(diag);
	cr_expect_eq(errors, 0);
	cr_expect_eq(stat(out, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0644);
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", dir);
	cr_expect_eq(system(cmd), 0, "temporary file left behind");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

Test(lang, explain_describes_the_bundle)
{
	char path[] = "/tmp/sluice-test-explain-XXXXXX", *out = NULL;
	size_t len = 0;
	int fd = mkstemp(path), errors;
	char *diag;
	FILE *f;

	close(fd);
	diag = rc_diag("t.yaml", good, &errors, path);
	cr_assert_eq(errors, 0, "%s", diag);
	free(diag);
	f = open_memstream(&out, &len);
	cr_assert_eq(sl_rulec_explain(path, f, stderr), 0);
	fclose(f);
	cr_expect(strstr(out, "PROHIBITED.TEST.ONE  seize  (t.yaml:4:5)"), "%s",
		  out);
	cr_expect(strstr(out, "RISK.TEST.TWO  -5 points"), "%s", out);
	cr_expect(strstr(out, "unless term"), "%s", out);
	cr_expect(strstr(out, "\"象牙白\""), "%s", out);
	cr_expect(strstr(out, "hs 0301|8517"), "%s", out);
	cr_expect(strstr(out, "database   "), "%s", out);
	cr_expect(strstr(out, "thresholds          hold at 20, inspect at 50"),
		  "%s", out);
	free(out);
	/* a damaged bundle: a message, and -1 */
	f = fopen(path, "r+");
	fseek(f, 300, SEEK_SET);
	fputc('!', f);
	fclose(f);
	out = NULL;
	f = open_memstream(&out, &len);
	cr_expect_eq(sl_rulec_explain(path, stdout, f), -1);
	fclose(f);
	cr_expect(strstr(out, "checksum mismatch"), "%s", out);
	free(out);
	unlink(path);
}

/* Found by fuzz_rulec: a list whose kind is wrong, used by a rule. */
Test(lang, a_broken_list_used_by_a_rule)
{
	expect_errors(
	    "lists:\n"
	    "  bands: {kind`: bands, file: /dev/null}\n"
	    "rules:\n"
	    "  - {id: A.B, title: t, source: s, points: 1,\n"
	    "     when: {below_band: bands}}\n",
	    2,
	    WANT("t.yaml:2:11: error: unknown key 'kind`' in list",
		 "t.yaml:2:3: error: list 'bands' has no valid kind"));
}
