/* sluice tests — the SPEC 3 example declaration, patched per test case,
 * and its MessagePack twin.  Header-only: each test_*.c is its own
 * executable. */
#ifndef SLUICE_TEST_DECL_FIXTURE_H
#define SLUICE_TEST_DECL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <msgpack.h>

/* The example of SPEC section 3, verbatim in content. */
static const char fixture_base[] =
    "{\"decl_id\": \"TYN2026112900000001\", \"flow\": \"import\", "
    "\"trade_mode\": \"9610\", \"declared_at\": \"2026-11-29T08:15:00+08:00\", "
    "\"customs_code\": \"0501\", \"order_no\": \"SO-88812\", "
    "\"pay_transaction_id\": \"PAY-2231\", "
    "\"ebp\": {\"code\": \"1105960001\", \"name\": \"Example Mall\"}, "
    "\"ebc\": {\"code\": \"91350100M000100Y43\", \"name\": \"Example Trading "
    "Co.\"}, "
    "\"logistics\": {\"code\": \"1401980001\", \"name\": \"China Post "
    "Shanxi\", \"waybill\": \"RX123456785CN\"}, "
    "\"buyer\": {\"name\": \"张三\", \"id_type\": \"id_card\", \"id_number\": "
    "\"11010519491231002X\", \"phone\": \"13800000000\"}, "
    "\"consignee\": {\"name\": \"张三\", \"phone\": \"13800000000\", "
    "\"address\": \"山西省太原市小店区…\", \"district\": \"140105\"}, "
    "\"sender\": {\"name\": \"Tokyo Shop KK\", \"address\": \"…\", "
    "\"country\": \"JP\"}, "
    "\"origin_country\": \"JP\", \"currency\": \"CNY\", "
    "\"goods_value\": 398.00, \"freight\": 20.00, \"insured_fee\": 0, "
    "\"tax_total\": 36.57, \"discount\": 0, \"actual_paid\": 454.57, "
    "\"gross_weight_kg\": 1.2, \"net_weight_kg\": 1.0, "
    "\"items\": [{\"seq\": 1, \"sku\": \"A-1\", \"hs_code\": \"3304990099\", "
    "\"name\": \"保湿面霜\", \"model\": \"50ml\", \"brand\": \"Example\", "
    "\"barcode\": \"4901234567894\", \"origin_country\": \"JP\", \"qty\": 2, "
    "\"unit\": \"瓶\", \"price\": 199.00, \"total_price\": 398.00, "
    "\"category\": \"sale\"}]}";

/* RFC 7386 merge patch: objects merge recursively, null removes a key,
 * anything else replaces. */
static inline void fixture_merge(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	cJSON_ArrayForEach (p, patch) {
		cJSON *t = cJSON_GetObjectItemCaseSensitive(target, p->string);

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target,
								p->string);
		} else if (cJSON_IsObject(p) && cJSON_IsObject(t)) {
			fixture_merge(t, p);
		} else {
			cJSON *copy = cJSON_Duplicate(p, 1);

			if (t)
				cJSON_ReplaceItemInObjectCaseSensitive(
				    target, p->string, copy);
			else
				cJSON_AddItemToObject(target, p->string, copy);
		}
	}
}

/* The base declaration with root_patch merged into it and item_patch
 * into items[0] (either may be NULL).  Returns a malloc'd line. */
static inline char *fixture_line(const char *root_patch, const char *item_patch)
{
	cJSON *root = cJSON_Parse(fixture_base), *patch;
	char *out;

	if (root_patch) {
		patch = cJSON_Parse(root_patch);
		if (!patch)
			abort(); /* a broken test table */
		fixture_merge(root, patch);
		cJSON_Delete(patch);
	}
	if (item_patch) {
		cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");

		patch = cJSON_Parse(item_patch);
		if (!patch || !cJSON_GetArrayItem(items, 0))
			abort();
		fixture_merge(cJSON_GetArrayItem(items, 0), patch);
		cJSON_Delete(patch);
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

/* JSON -> MessagePack with the same keys in the same order; whole
 * numbers as integers, others as float64 (as a real sender would). */
static inline void fixture_pack(msgpack_packer *pk, const cJSON *j)
{
	const cJSON *c;
	int n = 0;

	switch (j->type & 0xff) {
	case cJSON_Object:
		cJSON_ArrayForEach (c, j)
			n++;
		msgpack_pack_map(pk, (size_t)n);
		cJSON_ArrayForEach (c, j) {
			msgpack_pack_str_with_body(pk, c->string,
						   strlen(c->string));
			fixture_pack(pk, c);
		}
		break;
	case cJSON_Array:
		cJSON_ArrayForEach (c, j)
			n++;
		msgpack_pack_array(pk, (size_t)n);
		cJSON_ArrayForEach (c, j)
			fixture_pack(pk, c);
		break;
	case cJSON_String:
		msgpack_pack_str_with_body(pk, j->valuestring,
					   strlen(j->valuestring));
		break;
	case cJSON_Number:
		if (j->valuedouble == (double)(long long)j->valuedouble &&
		    j->valuedouble >= -1e15 && j->valuedouble <= 1e15)
			msgpack_pack_int64(pk, (long long)j->valuedouble);
		else
			msgpack_pack_double(pk, j->valuedouble);
		break;
	case cJSON_True:
		msgpack_pack_true(pk);
		break;
	case cJSON_False:
		msgpack_pack_false(pk);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

/* line as MessagePack into sb (initialised by the caller). */
static inline void fixture_to_msgpack(const char *line, msgpack_sbuffer *sb)
{
	cJSON *j = cJSON_Parse(line);
	msgpack_packer pk;

	if (!j)
		abort();
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	fixture_pack(&pk, j);
	cJSON_Delete(j);
}

#endif /* SLUICE_TEST_DECL_FIXTURE_H */
