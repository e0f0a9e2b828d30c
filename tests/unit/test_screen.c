/* sluice tests — the screening entry point without rules (screen.h). */
#include <string.h>

#include <criterion/criterion.h>

#include <sluice/screen.h>
#include <sluice/verdict.h>

#include "decl_fixture.h"

static struct sl_screener *w;
static struct sl_snapshot *snap;
static sl_verdict_t v;

static void setup(void)
{
	char err[128];

	w = sl_screener_new(0);
	snap = sl_snapshot_new(NULL, NULL, 1, err, sizeof(err));
	cr_assert_not_null(w);
	cr_assert_not_null(snap, "%s", err);
}

static void teardown(void)
{
	sl_snapshot_free(snap);
	sl_screener_free(w);
}

TestSuite(screen, .init = setup, .fini = teardown);

static void screen(const char *line, uint64_t no)
{
	sl_screen_json(w, snap, NULL, line, strlen(line), no, &v);
}

Test(screen, valid_without_rules_is_held_never_released)
{
	screen(fixture_base, 1);
	cr_assert_eq(v.verdict, SL_VERDICT_HOLD);
	cr_assert(v.has_decl_id);
	cr_assert_str_eq(v.decl_id, "TYN2026112900000001");
	cr_assert_eq(v.n_reasons, 1);
	cr_assert_str_eq(v.reasons[0].rule, "NO_RULESET");
	cr_assert_eq(v.error.code, SL_OK);
	cr_assert_str_eq(v.ruleset, "");
	/* no snapshot published at all: the same fail-safe answer */
	sl_screen_json(w, NULL, NULL, fixture_base, strlen(fixture_base), 1,
		       &v);
	cr_assert_eq(v.verdict, SL_VERDICT_HOLD);
	cr_assert_str_eq(v.reasons[0].rule, "NO_RULESET");
}

Test(screen, invalid_is_rejected_with_its_decl_id)
{
	char *line =
	    fixture_line("{\"ebc\": {\"code\": \"91350100M000100Y44\"}}", NULL);

	screen(line, 7);
	cr_assert_eq(v.verdict, SL_VERDICT_REJECT);
	cr_assert(v.has_decl_id);
	cr_assert_str_eq(v.decl_id, "TYN2026112900000001");
	cr_assert_eq(v.error.code, SL_E_BAD_USCC);
	cr_assert_str_eq(v.error.field, "ebc.code");
	cr_assert_str_eq(v.error.message, "check character is 4, expected 3");
	cr_assert_eq(v.n_reasons, 0);
	free(line);
}

Test(screen, unreadable_is_rejected_with_line_and_null_decl_id)
{
	char buf[SL_VERDICT_JSON_MAX];

	screen("{\"decl_id\": \"A\"", 42);
	cr_assert_eq(v.verdict, SL_VERDICT_REJECT);
	cr_assert_not(v.has_decl_id);
	cr_assert_eq(v.line, 42);
	cr_assert_eq(v.error.code, SL_E_NOT_JSON);
	cr_assert_gt(sl_verdict_to_json(&v, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "\"decl_id\":null"), "%s", buf);
	cr_assert(strstr(buf, "\"line\":42"), "%s", buf);
	cr_assert(strstr(buf, "\"status\":100"), "%s", buf);
}

Test(screen, a_decl_id_that_cannot_name_the_record_is_not_used)
{
	/* a previous record's decl_id must not leak into this verdict */
	screen(fixture_base, 1);
	screen("{\"decl_id\": \"bad id with spaces\", \"flow\": 1}", 2);
	cr_assert_eq(v.verdict, SL_VERDICT_REJECT);
	cr_assert_not(v.has_decl_id);
	cr_assert_eq(v.line, 2);
	screen("[]", 3);
	cr_assert_not(v.has_decl_id);
}

Test(screen, msgpack_record)
{
	msgpack_sbuffer sb;
	size_t used = 0;

	msgpack_sbuffer_init(&sb);
	fixture_to_msgpack(fixture_base, &sb);
	sl_screen_msgpack(w, snap, NULL, sb.data, sb.size, &used, 1, &v);
	cr_assert_eq(used, sb.size);
	cr_assert_eq(v.verdict, SL_VERDICT_HOLD);
	cr_assert_str_eq(v.decl_id, "TYN2026112900000001");
	sl_screen_msgpack(w, snap, NULL, "\xc1", 1, &used, 2, &v);
	cr_assert_eq(v.verdict, SL_VERDICT_REJECT);
	cr_assert_eq(v.error.code, SL_E_BAD_MSGPACK);
	cr_assert_eq(used, 0);
	msgpack_sbuffer_destroy(&sb);
}

Test(screen, snapshot_refuses_what_it_cannot_use)
{
	char err[128] = "";

	cr_assert_null(sl_snapshot_new(NULL, NULL, 0, err, sizeof(err)));
	cr_assert_neq(err[0], '\0');
}
