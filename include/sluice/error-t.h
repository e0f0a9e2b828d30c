/* sluice — reject codes.
 *
 * Every malformed declaration becomes a `reject` verdict carrying one of
 * these codes, the path of the offending field and a message the declarant
 * can act on (SPEC 4).  The names are a stable interface: scripts and the
 * officers' reports key on them.  Add codes at the end of a group; never
 * rename or reuse one.
 */
#ifndef SLUICE_ERROR_T_H
#define SLUICE_ERROR_T_H

#include <stdint.h>

/* X(id, "CODE", "what it means, for --help and docs") */
#define SL_ERRORS(X)                                                           \
	/* framing: the record could not be read at all */                     \
	X(LINE_TOO_LONG, "LINE_TOO_LONG", "record longer than the limit")      \
	X(NOT_JSON, "NOT_JSON", "line is not valid JSON")                      \
	X(TOO_DEEP, "TOO_DEEP", "nesting deeper than the limit")               \
	X(NOT_OBJECT, "NOT_OBJECT", "record is not a JSON object / map")       \
	X(BAD_MSGPACK, "BAD_MSGPACK", "record is not valid MessagePack")       \
	X(BAD_UTF8, "BAD_UTF8", "string is not valid UTF-8")                   \
	/* shape */                                                            \
	X(MISSING_FIELD, "MISSING_FIELD", "a required field is absent")        \
	X(BAD_TYPE, "BAD_TYPE", "field has the wrong type")                    \
	X(FIELD_TOO_LONG, "FIELD_TOO_LONG", "string longer than the limit")    \
	X(NO_ITEMS, "NO_ITEMS", "declaration has no items")                    \
	X(TOO_MANY_ITEMS, "TOO_MANY_ITEMS", "more than 99 items")              \
	/* values */                                                           \
	X(BAD_DECL_ID, "BAD_DECL_ID", "decl_id empty or not printable ASCII")  \
	X(BAD_FLOW, "BAD_FLOW", "flow is not import or export")                \
	X(BAD_TRADE_MODE, "BAD_TRADE_MODE",                                    \
	  "unknown or mismatched trade mode")                                  \
	X(BAD_TIME, "BAD_TIME", "time is not RFC 3339")                        \
	X(BAD_USCC, "BAD_USCC", "unified social credit code invalid")          \
	X(BAD_CUSTOMS_CODE, "BAD_CUSTOMS_CODE",                                \
	  "10-character customs code invalid")                                 \
	X(BAD_ENTERPRISE_CODE, "BAD_ENTERPRISE_CODE",                          \
	  "enterprise code is neither a USCC nor a customs code")              \
	X(BAD_ID_TYPE, "BAD_ID_TYPE", "unknown buyer id_type")                 \
	X(BAD_ID_NUMBER, "BAD_ID_NUMBER", "resident ID number invalid")        \
	X(BAD_COUNTRY, "BAD_COUNTRY", "not an ISO 3166-1 alpha-2 code")        \
	X(BAD_CURRENCY, "BAD_CURRENCY", "not an ISO 4217 currency code")       \
	X(BAD_HS_CODE, "BAD_HS_CODE", "HS code is not 6 to 10 digits")         \
	X(BAD_MONEY, "BAD_MONEY",                                              \
	  "amount negative, not finite, too large or over 5 decimals")         \
	X(BAD_QUANTITY, "BAD_QUANTITY",                                        \
	  "quantity or weight not positive, finite, 5 decimals")               \
	X(BAD_CATEGORY, "BAD_CATEGORY", "unknown item category")               \
	X(BAD_CUSTOMS_OFFICE, "BAD_CUSTOMS_OFFICE",                            \
	  "customs_code is not a 4-digit customs office code")                 \
	X(BAD_SEQ, "BAD_SEQ", "item seq is not a whole number from 1 to 99")

enum sl_errcode {
	SL_OK = 0,
#define X(id, code, what) SL_E_##id,
	SL_ERRORS(X)
#undef X
	    SL_E__COUNT
};

#define SL_ERR_FIELD_MAX 40 /* "items[98].origin_country" and the like */
#define SL_ERR_MSG_MAX	 160

/* The error of one rejected declaration.  Fixed size: it lives inside the
 * verdict and crosses rings by value. */
typedef struct sl_error {
	uint16_t code;		      /* enum sl_errcode; SL_OK = no error */
	char field[SL_ERR_FIELD_MAX]; /* JSON path, "" when not a field */
	char message[SL_ERR_MSG_MAX]; /* for the declarant; NUL-terminated */
} sl_error_t;

#endif /* SLUICE_ERROR_T_H */
