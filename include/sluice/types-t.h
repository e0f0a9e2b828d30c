/* sluice — basic types shared by every module.
 *
 * Types only; functions live in the matching header without "-t".
 */
#ifndef SLUICE_TYPES_T_H
#define SLUICE_TYPES_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A string view: bytes that someone else owns.  Not NUL-terminated.
 * p == NULL means "absent"; p != NULL && n == 0 means "present, empty". */
typedef struct sl_str {
	const char *p; /* first byte, or NULL when absent */
	uint32_t n;    /* length in bytes */
} sl_str_t;

#define SL_STR_NULL   ((sl_str_t){NULL, 0})
#define SL_STR_LIT(s) ((sl_str_t){(s), (uint32_t)(sizeof(s) - 1)})

/* Money and quantities are fixed point with 5 decimals (SPEC 3: "at most 5
 * decimals"), so sums are exact.  1 CNY == SL_MONEY_ONE.  int64 holds
 * +-92 233 720 368 currency units, far beyond any parcel. */
typedef int64_t sl_money_t;
#define SL_MONEY_ONE	  INT64_C(100000)
#define SL_MONEY_DECIMALS 5

/* Verdicts (SPEC 2), ordered by severity: a larger value is a stronger
 * verdict, so "max" combines a floor with a rule's action. */
#define SL_VERDICTS(X)                                                         \
	X(RELEASE, "release", 800)                                             \
	X(HOLD, "hold", 300)                                                   \
	X(INSPECT, "inspect", 500)                                             \
	X(SEIZE, "seize", 501)                                                 \
	X(REJECT, "reject", 100)

enum sl_verdict_kind {
#define X(id, name, status) SL_VERDICT_##id,
	SL_VERDICTS(X)
#undef X
	    SL_VERDICT__COUNT
};

/* Enterprise credit tiers (SPEC 1); UNKNOWN = not in the registry. */
#define SL_TIERS(X)                                                            \
	X(ADVANCED, "advanced")                                                \
	X(GENERAL, "general")                                                  \
	X(DISHONEST, "dishonest")                                              \
	X(UNKNOWN, "unknown")

enum sl_tier {
#define X(id, name) SL_TIER_##id,
	SL_TIERS(X)
#undef X
	    SL_TIER__COUNT
};

#define SL_FLOWS(X)                                                            \
	X(IMPORT, "import")                                                    \
	X(EXPORT, "export")

enum sl_flow {
	SL_FLOW_NONE = 0,
#define X(id, name) SL_FLOW_##id,
	SL_FLOWS(X)
#undef X
	    SL_FLOW__COUNT
};

#define SL_TRADE_MODES(X)                                                      \
	X(M9610, "9610")                                                       \
	X(M1210, "1210")                                                       \
	X(M9710, "9710")                                                       \
	X(M9810, "9810")                                                       \
	X(POSTAL, "postal")

enum sl_trade_mode {
	SL_TM_NONE = 0,
#define X(id, name) SL_TM_##id,
	SL_TRADE_MODES(X)
#undef X
	    SL_TM__COUNT
};

/* buyer.id_type: a resident ID card (checked per GB 11643), a passport, or
 * another document (not checked beyond length and charset). */
#define SL_ID_TYPES(X)                                                         \
	X(ID_CARD, "id_card")                                                  \
	X(PASSPORT, "passport")                                                \
	X(OTHER, "other")

enum sl_id_type {
	SL_IDT_NONE = 0,
#define X(id, name) SL_IDT_##id,
	SL_ID_TYPES(X)
#undef X
	    SL_IDT__COUNT
};

/* items[].category: why the goods travel. */
#define SL_CATEGORIES(X)                                                       \
	X(SALE, "sale")                                                        \
	X(GIFT, "gift")                                                        \
	X(SAMPLE, "sample")                                                    \
	X(RETURN, "return")                                                    \
	X(OTHER, "other")

enum sl_category {
	SL_CAT_NONE = 0,
#define X(id, name) SL_CAT_##id,
	SL_CATEGORIES(X)
#undef X
	    SL_CAT__COUNT
};

/* An ISO 3166-1 alpha-2 country or ISO 4217 currency packed as two or three
 * ASCII letters in an integer ('J' << 8 | 'P'); 0 = absent.  Validity is
 * checked against the tables generated from iso-codes (iso.h). */
typedef uint16_t sl_country_t;
typedef uint32_t sl_currency_t;

#endif /* SLUICE_TYPES_T_H */
