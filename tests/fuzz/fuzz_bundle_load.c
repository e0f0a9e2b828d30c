/* libFuzzer target: the bundle loader never crashes, whatever the file.
 *
 * Each input is loaded twice: as it is (so the header checks and the
 * checksum are exercised), and with its checksum recomputed (so that the
 * section parser, the index checks and Hyperscan's deserializer behind
 * the checksum are exercised too; without this nearly every mutation
 * would stop at "checksum mismatch").  A bundle that loads is also
 * matched against a small declaration, since a loaded bundle promises the
 * matcher every index it follows.  Seeds: corpus/fuzz_bundle_load/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/bundle.h>
#include <sluice/policy.h>

#include "bundle-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_str_t S(const char *s)
{
	return (sl_str_t){s, (uint32_t)strlen(s)};
}

static void exercise(struct sl_bundle *b)
{
	static sl_decl_t d;
	struct sl_match_scratch *ms = sl_match_scratch_new(b);
	static const char *names[] = {"象牙手镯 ivory", "礼物", "gift",
				      "手槍 pistol 9mm rounds", "phone"};
	static const char *hs[] = {"9601100000", "8517130000", "3004909000",
				   "93", "0101"};
	struct sl_hits h;

	if (!ms)
		return;
	memset(&d, 0, sizeof(d));
	d.flow = SL_FLOW_IMPORT;
	d.trade_mode = SL_TM_M9610;
	d.currency = SL_CURRENCY('U', 'S', 'D');
	d.s[SL_DS_SENDER_NAME] = S("Example Sender");
	d.s[SL_DS_CONS_ADDRESS] = S("山西省太原市 1号");
	d.n_items = 5;
	for (int i = 0; i < 5; i++) {
		sl_item_t *it = &d.items[i];

		it->s[SL_IS_NAME] = S(names[i]);
		it->s[SL_IS_HS_CODE] = S(hs[i]);
		it->hs_len = (uint8_t)strlen(hs[i]);
		it->price = (i + 1) * 7 * SL_MONEY_ONE;
		it->qty = SL_MONEY_ONE;
		it->origin = SL_COUNTRY('U', 'S');
		it->category = (uint8_t)(i % SL_CAT__COUNT);
	}
	sl_match_decl(b, ms, &d, &h);
	(void)sl_bundle_id(b);
	(void)sl_bundle_policy(b);
	for (uint32_t r = 0; r < sl_bundle_rule_count(b); r++)
		(void)sl_bundle_rule_name(b, r);
	sl_match_scratch_free(ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct sl_bundle *b;

	b = sl__bundle_load_mem(data, size, 0, "fuzz", err, sizeof(err));
	if (b) {
		exercise(b);
		sl_bundle_put(b);
	} else if (!err[0]) {
		abort(); /* refused without a message */
	}
	b = sl__bundle_load_mem(data, size, SL__LOAD_FIX_DIGEST, "fuzz", err,
				sizeof(err));
	if (b) {
		exercise(b);
		sl_bundle_put(b);
	} else if (!err[0]) {
		abort();
	}
	return 0;
}
