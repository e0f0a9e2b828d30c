/* sluice — names of the enums of types-t.h and error-t.h, and errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sluice/decl.h>

static const char *const errcode_names[SL_E__COUNT] = {[SL_OK] = "OK",
#define X(id, code, what) [SL_E_##id] = code,
						       SL_ERRORS(X)
#undef X
};

const char *sl_errcode_name(enum sl_errcode code)
{
	return (unsigned)code < SL_E__COUNT ? errcode_names[code] : NULL;
}

static const char *const verdict_names[SL_VERDICT__COUNT] = {
#define X(id, name, status) [SL_VERDICT_##id] = name,
    SL_VERDICTS(X)
#undef X
};

static const uint16_t verdict_status[SL_VERDICT__COUNT] = {
#define X(id, name, status) [SL_VERDICT_##id] = status,
    SL_VERDICTS(X)
#undef X
};

const char *sl_verdict_name(enum sl_verdict_kind v)
{
	return (unsigned)v < SL_VERDICT__COUNT ? verdict_names[v] : NULL;
}

uint16_t sl_verdict_status(enum sl_verdict_kind v)
{
	return (unsigned)v < SL_VERDICT__COUNT ? verdict_status[v] : 0;
}

static const char *const tier_names[SL_TIER__COUNT] = {
#define X(id, name) [SL_TIER_##id] = name,
    SL_TIERS(X)
#undef X
};

const char *sl_tier_name(enum sl_tier t)
{
	return (unsigned)t < SL_TIER__COUNT ? tier_names[t] : NULL;
}

enum sl_errcode sl_error_set(sl_error_t *err, enum sl_errcode code,
			     const char *field, const char *fmt, ...)
{
	va_list ap;

	err->code = (uint16_t)code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}
