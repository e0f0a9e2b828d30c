/* sluice — the canonical declaration (SPEC 3), as one flat record.
 *
 * A record is filled in two steps:
 *   1. a decoder (JSON or MessagePack, decl.h) stores every known field as a
 *      string view or a double, and marks it present;
 *   2. sl_decl_validate() checks every field and fills the typed values
 *      (enums, fixed-point money, epoch time, packed country codes).
 * The record is sized at compile time (99 items) and reused: nothing in it
 * is allocated per declaration.  String views point into the MessagePack
 * input buffer or into the decoder's per-record arena (JSON path); they stay
 * valid until the next decode on the same decoder or the buffer is reused.
 */
#ifndef SLUICE_DECL_T_H
#define SLUICE_DECL_T_H

#include <sluice/types-t.h>

#define SL_MAX_ITEMS 99

/* Objects that hold fields.  ROOT is the declaration itself; ITEM is one
 * element of "items". */
#define SL_DECL_OBJECTS(X)                                                     \
	X(ROOT, "")                                                            \
	X(EBP, "ebp")                                                          \
	X(EBC, "ebc")                                                          \
	X(LOGISTICS, "logistics")                                              \
	X(BUYER, "buyer")                                                      \
	X(CONSIGNEE, "consignee")                                              \
	X(SENDER, "sender")                                                    \
	X(ITEM, "items[]")

enum sl_decl_object {
#define X(id, name) SL_OBJ_##id,
	SL_DECL_OBJECTS(X)
#undef X
	    SL_OBJ__COUNT
};

/* String fields of the declaration: X(id, object, "key", "path", max_len).
 * max_len is in bytes; a longer string is FIELD_TOO_LONG. */
#define SL_DECL_STRS(X)                                                        \
	X(DECL_ID, ROOT, "decl_id", "decl_id", 64)                             \
	X(FLOW, ROOT, "flow", "flow", 16)                                      \
	X(TRADE_MODE, ROOT, "trade_mode", "trade_mode", 16)                    \
	X(DECLARED_AT, ROOT, "declared_at", "declared_at", 40)                 \
	X(CUSTOMS_CODE, ROOT, "customs_code", "customs_code", 8)               \
	X(ORDER_NO, ROOT, "order_no", "order_no", 64)                          \
	X(PAY_TXN, ROOT, "pay_transaction_id", "pay_transaction_id", 64)       \
	X(EBP_CODE, EBP, "code", "ebp.code", 32)                               \
	X(EBP_NAME, EBP, "name", "ebp.name", 256)                              \
	X(EBC_CODE, EBC, "code", "ebc.code", 32)                               \
	X(EBC_NAME, EBC, "name", "ebc.name", 256)                              \
	X(LOG_CODE, LOGISTICS, "code", "logistics.code", 32)                   \
	X(LOG_NAME, LOGISTICS, "name", "logistics.name", 256)                  \
	X(LOG_WAYBILL, LOGISTICS, "waybill", "logistics.waybill", 64)          \
	X(BUYER_NAME, BUYER, "name", "buyer.name", 128)                        \
	X(BUYER_ID_TYPE, BUYER, "id_type", "buyer.id_type", 16)                \
	X(BUYER_ID_NUMBER, BUYER, "id_number", "buyer.id_number", 32)          \
	X(BUYER_PHONE, BUYER, "phone", "buyer.phone", 32)                      \
	X(CONS_NAME, CONSIGNEE, "name", "consignee.name", 128)                 \
	X(CONS_PHONE, CONSIGNEE, "phone", "consignee.phone", 32)               \
	X(CONS_ADDRESS, CONSIGNEE, "address", "consignee.address", 512)        \
	X(CONS_DISTRICT, CONSIGNEE, "district", "consignee.district", 16)      \
	X(SENDER_NAME, SENDER, "name", "sender.name", 256)                     \
	X(SENDER_ADDRESS, SENDER, "address", "sender.address", 512)            \
	X(SENDER_COUNTRY, SENDER, "country", "sender.country", 8)              \
	X(ORIGIN_COUNTRY, ROOT, "origin_country", "origin_country", 8)         \
	X(CURRENCY, ROOT, "currency", "currency", 8)

/* Number fields of the declaration: X(id, object, "key", "path"). */
#define SL_DECL_NUMS(X)                                                        \
	X(GOODS_VALUE, ROOT, "goods_value", "goods_value")                     \
	X(FREIGHT, ROOT, "freight", "freight")                                 \
	X(INSURED_FEE, ROOT, "insured_fee", "insured_fee")                     \
	X(TAX_TOTAL, ROOT, "tax_total", "tax_total")                           \
	X(DISCOUNT, ROOT, "discount", "discount")                              \
	X(ACTUAL_PAID, ROOT, "actual_paid", "actual_paid")                     \
	X(GROSS_WEIGHT, ROOT, "gross_weight_kg", "gross_weight_kg")            \
	X(NET_WEIGHT, ROOT, "net_weight_kg", "net_weight_kg")

/* String fields of one item: X(id, "key", max_len). */
#define SL_ITEM_STRS(X)                                                        \
	X(SKU, "sku", 64)                                                      \
	X(HS_CODE, "hs_code", 16)                                              \
	X(NAME, "name", 512)                                                   \
	X(MODEL, "model", 256)                                                 \
	X(BRAND, "brand", 128)                                                 \
	X(BARCODE, "barcode", 32)                                              \
	X(ORIGIN_COUNTRY, "origin_country", 8)                                 \
	X(UNIT, "unit", 16)                                                    \
	X(CATEGORY, "category", 16)

/* Number fields of one item: X(id, "key"). */
#define SL_ITEM_NUMS(X)                                                        \
	X(SEQ, "seq")                                                          \
	X(QTY, "qty")                                                          \
	X(PRICE, "price")                                                      \
	X(TOTAL_PRICE, "total_price")

enum sl_decl_str {
#define X(id, obj, key, path, max) SL_DS_##id,
	SL_DECL_STRS(X)
#undef X
	    SL_DS__COUNT
};
enum sl_decl_num {
#define X(id, obj, key, path) SL_DN_##id,
	SL_DECL_NUMS(X)
#undef X
	    SL_DN__COUNT
};
enum sl_item_str {
#define X(id, key, max) SL_IS_##id,
	SL_ITEM_STRS(X)
#undef X
	    SL_IS__COUNT
};
enum sl_item_num {
#define X(id, key) SL_IN_##id,
	SL_ITEM_NUMS(X)
#undef X
	    SL_IN__COUNT
};

/* Presence bits: strings first, then numbers. */
#define SL_DS_BIT(f) (UINT64_C(1) << (f))
#define SL_DN_BIT(f) (UINT64_C(1) << (SL_DS__COUNT + (f)))
#define SL_IS_BIT(f) (UINT32_C(1) << (f))
#define SL_IN_BIT(f) (UINT32_C(1) << (SL_IS__COUNT + (f)))

/* Where a field's value came from: present fields that are JSON null are
 * treated as absent (decoders leave the bit clear). */

typedef struct sl_item {
	/* --- filled by the decoder --- */
	sl_str_t s[SL_IS__COUNT]; /* string views, SL_STR_NULL if absent */
	double n[SL_IN__COUNT];	  /* numbers as decoded, 0 if absent */
	uint32_t present;	  /* SL_IS_BIT / SL_IN_BIT */
	/* --- filled by sl_decl_validate() --- */
	sl_money_t price;	/* unit price, in the declaration's currency */
	sl_money_t total_price; /* as declared, or qty * price if absent */
	sl_money_t qty;		/* fixed point, 5 decimals */
	sl_country_t origin;	/* item origin, else the declaration's */
	uint8_t category;	/* enum sl_category, SL_CAT_NONE if absent */
	uint8_t hs_len;		/* 6..10 digits */
} sl_item_t;

typedef struct sl_decl {
	/* --- filled by the decoder --- */
	sl_str_t s[SL_DS__COUNT]; /* string views, SL_STR_NULL if absent */
	double n[SL_DN__COUNT];	  /* numbers as decoded, 0 if absent */
	uint64_t present;	  /* SL_DS_BIT / SL_DN_BIT */
	uint32_t n_items;	  /* items decoded (<= SL_MAX_ITEMS) */
	uint32_t items_seen;	  /* items in the input, may exceed 99 */
	bool items_present;	  /* "items" key was there (even if empty) */
	uint64_t line;		  /* 1-based input line / record number */

	/* --- filled by sl_decl_validate() --- */
	uint8_t flow;	     /* enum sl_flow */
	uint8_t trade_mode;  /* enum sl_trade_mode */
	uint8_t id_type;     /* enum sl_id_type */
	int16_t declared_tz; /* UTC offset of declared_at, minutes */
	int64_t declared_at; /* seconds since the epoch, UTC */
	sl_country_t origin; /* origin_country, 0 if absent */
	sl_country_t sender_country;
	sl_currency_t currency;
	sl_money_t goods_value, freight, insured_fee, tax_total, discount,
	    actual_paid;		     /* absent = 0 */
	sl_money_t gross_weight, net_weight; /* kg, fixed point; absent = 0 */

	sl_item_t items[SL_MAX_ITEMS];
} sl_decl_t;

#endif /* SLUICE_DECL_T_H */
