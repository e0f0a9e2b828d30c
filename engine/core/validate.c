/* sluice — validation of a decoded declaration (SPEC 3) and the typed
 * values it fills (decl.h, decl-t.h).
 *
 * Fields are checked in field order (the order of the tables in
 * decl-t.h: root strings, root numbers, then each item's strings and
 * numbers) and the first error wins.  For each field: required or not,
 * then length, then its value.  An empty string counts as absent.
 *
 * Plane: data plane.  The success path allocates nothing and formats
 * nothing; messages are written only for the error returned.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sluice/decl.h>
#include <sluice/iso.h>

#include "codes.h"
#include "decode.h"

/* ----------------------------------------------------------- messages */

/* Writes character c for a message: 'A', or "byte 0xE5" when it is not
 * printable ASCII (messages must stay valid UTF-8). */
static const char *show_char(char c, char buf[16])
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x21 && u < 0x7f && u != '\'')
		snprintf(buf, 16, "'%c'", c);
	else if (u == ' ')
		snprintf(buf, 16, "a space");
	else
		snprintf(buf, 16, "byte 0x%02X", u);
	return buf;
}

/* A check character as in "check character is 4, expected 3". */
static const char *show_check(char c, char buf[16])
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x21 && u < 0x7f)
		snprintf(buf, 16, "%c", c);
	else
		show_char(c, buf);
	return buf;
}

static void item_path(char *buf, size_t cap, unsigned i, const char *key)
{
	snprintf(buf, cap, "items[%u].%s", i, key);
}

/* ---------------------------------------------------------------- enums */

/* Index + 1 of s in names[0..n), 0 when absent. */
static unsigned enum_find(const sl_str_t *s, const char *const *names,
			  unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == s->n && !memcmp(names[i], s->p, s->n))
			return i + 1;
	return 0;
}

static const char *const flow_names[] = {
#define X(id, name) name,
    SL_FLOWS(X)
#undef X
};
static const char *const trade_mode_names[] = {
#define X(id, name) name,
    SL_TRADE_MODES(X)
#undef X
};
static const char *const id_type_names[] = {
#define X(id, name) name,
    SL_ID_TYPES(X)
#undef X
};
static const char *const category_names[] = {
#define X(id, name) name,
    SL_CATEGORIES(X)
#undef X
};
#define N_OF(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

/* ----------------------------------------------------------------- time */

static bool digits(const char *p, unsigned n, unsigned *out)
{
	unsigned v = 0, i;

	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)p[i] - '0';

		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	int era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30,
					31, 31, 30, 31, 30, 31};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dim[m - 1];
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), 'T'
 * and 'Z' in either case.  Returns NULL and fills *epoch and *tz (minutes
 * east of UTC), or a reason for the message.  A leap second (:60) is
 * accepted and counted as the next second. */
static const char *parse_time(const char *p, size_t n, int64_t *epoch,
			      int16_t *tz)
{
	unsigned y, mo, d, h, mi, s, oh = 0, om = 0;
	size_t i = 19;
	int sign = 0;

	if (n < 19)
		return "too short";
	if (!digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
	    p[7] != '-' || !digits(p + 8, 2, &d))
		return "the date must be YYYY-MM-DD";
	if (p[10] != 'T' && p[10] != 't')
		return "date and time must be separated by T";
	if (!digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi) ||
	    p[16] != ':' || !digits(p + 17, 2, &s))
		return "the time must be HH:MM:SS";
	if (mo < 1 || mo > 12)
		return "month out of range";
	if (d < 1 || d > days_in_month(y, mo))
		return "day out of range for the month";
	if (h > 23 || mi > 59 || s > 60)
		return "time of day out of range";
	if (i < n && p[i] == '.') {
		size_t start = ++i;

		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == start)
			return "a fraction needs digits after the point";
	}
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		sign = p[i] == '-' ? -1 : 1;
		if (n - i < 6 || !digits(p + i + 1, 2, &oh) ||
		    p[i + 3] != ':' || !digits(p + i + 4, 2, &om))
			return "the offset must be Z or +HH:MM";
		if (oh > 23 || om > 59)
			return "offset out of range";
		i += 6;
	} else {
		return "the offset (Z or +HH:MM) is missing";
	}
	if (i != n)
		return "unexpected characters after the offset";
	*tz = (int16_t)(sign * (int)(oh * 60 + om));
	*epoch = days_from_civil((int)y, mo, d) * 86400 + h * 3600 + mi * 60 +
		 s - (int64_t)*tz * 60;
	return NULL;
}

/* -------------------------------------------------------------- numbers */

enum fixed_result {
	FX_OK,
	FX_NOT_FINITE,
	FX_NEGATIVE,
	FX_TOO_LARGE,
	FX_DECIMALS,
};

/* v as fixed point with 5 decimals.  Every value below SL_AMOUNT_LIMIT
 * with at most 5 decimals converts exactly: there v * 10^5 < 10^14, and
 * the error of the nearest double (of v, then of the product) is below
 * 0.03 units, while a non-zero sixth decimal moves v * 10^5 at least 0.1
 * from an integer.  The tolerance 0.05 sits between the two. */
static enum fixed_result to_fixed(double v, sl_money_t *out)
{
	double x, r;

	if (!isfinite(v))
		return FX_NOT_FINITE;
	if (v < 0)
		return FX_NEGATIVE;
	if (v >= SL_AMOUNT_LIMIT)
		return FX_TOO_LARGE;
	x = v * (double)SL_MONEY_ONE;
	/* floor(x + 0.5) without a libm call: 0 <= x < 10^14, so the
	 * truncation is the floor and the integer is exact as a double */
	r = (double)(int64_t)(x + 0.5);
	if (fabs(x - r) > 0.05)
		return FX_DECIMALS;
	*out = (sl_money_t)r;
	return FX_OK;
}

static enum sl_errcode money_error(sl_error_t *err, enum sl_errcode code,
				   const char *path, double v,
				   enum fixed_result r)
{
	switch (r) {
	case FX_NOT_FINITE:
		return sl_error_set(err, code, path,
				    "%s is not a finite number", path);
	case FX_NEGATIVE:
		return sl_error_set(err, code, path,
				    "%s is %.10g; it must not be negative",
				    path, v);
	case FX_TOO_LARGE:
		return sl_error_set(err, code, path,
				    "%s is %.10g; it must be below %.0f", path,
				    v, SL_AMOUNT_LIMIT);
	default:
		return sl_error_set(err, code, path,
				    "%s is %.12g; at most 5 decimals are "
				    "allowed",
				    path, v);
	}
}

/* Money: finite, >= 0, below the limit, at most 5 decimals. */
static enum sl_errcode check_money(sl_error_t *err, const char *path, double v,
				   sl_money_t *out)
{
	enum fixed_result r = to_fixed(v, out);

	return r == FX_OK ? SL_OK
			  : money_error(err, SL_E_BAD_MONEY, path, v, r);
}

/* Quantities and weights: as money, and greater than zero. */
static enum sl_errcode check_quantity(sl_error_t *err, const char *path,
				      double v, sl_money_t *out)
{
	enum fixed_result r = to_fixed(v, out);

	if (r != FX_OK)
		return money_error(err, SL_E_BAD_QUANTITY, path, v, r);
	if (*out == 0)
		return sl_error_set(err, SL_E_BAD_QUANTITY, path,
				    "%s is %.10g; it must be greater than 0",
				    path, v);
	return SL_OK;
}

/* ---------------------------------------------------------------- codes */

static enum sl_errcode check_enterprise(sl_error_t *err, const char *path,
					const sl_str_t *s)
{
	char e, cbuf[16];
	size_t bad;

	if (s->n == 18) {
		if (!sl__uscc_scan(s->p, s->n, &bad, &e))
			return SL_OK;
		if (bad < 17 || !e)
			return sl_error_set(
			    err, SL_E_BAD_USCC, path,
			    "%s: character %s at position %zu is not in the "
			    "USCC charset (digits and A-Y without I O S V Z)",
			    path, show_char(s->p[bad], cbuf), bad + 1);
		return sl_error_set(err, SL_E_BAD_USCC, path,
				    "check character is %s, expected %c",
				    show_check(s->p[17], cbuf), e);
	}
	if (s->n == 10) {
		if (!sl__customs_code_scan(s->p, s->n, &bad))
			return SL_OK;
		return sl_error_set(
		    err, SL_E_BAD_CUSTOMS_CODE, path,
		    "%s: character %s at position %zu; a customs code is 4 "
		    "digits, then 6 digits or capital letters",
		    path, show_char(s->p[bad], cbuf), bad + 1);
	}
	return sl_error_set(err, SL_E_BAD_ENTERPRISE_CODE, path,
			    "%s has %u characters; expected an 18-character "
			    "USCC or a 10-character customs code",
			    path, s->n);
}

static bool visible_ascii(const sl_str_t *s, size_t *bad)
{
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		unsigned char c = (unsigned char)s->p[i];

		if (c < 0x21 || c > 0x7e) {
			*bad = i;
			return false;
		}
	}
	return true;
}

static enum sl_errcode check_id_number(sl_error_t *err, const char *path,
				       const sl_str_t *s, uint8_t id_type)
{
	char e, cbuf[16];
	size_t bad;
	uint32_t i;

	switch (id_type) {
	case SL_IDT_ID_CARD:
		if (!sl__resident_id_scan(s->p, s->n, &bad, &e))
			return SL_OK;
		if (bad == s->n)
			return sl_error_set(err, SL_E_BAD_ID_NUMBER, path,
					    "a resident ID number has 18 "
					    "characters, got %u",
					    s->n);
		if (bad < 17)
			return sl_error_set(err, SL_E_BAD_ID_NUMBER, path,
					    "%s: character %s at position %zu "
					    "is not a digit",
					    path, show_char(s->p[bad], cbuf),
					    bad + 1);
		return sl_error_set(err, SL_E_BAD_ID_NUMBER, path,
				    "check character is %s, expected %c",
				    show_check(s->p[17], cbuf), e);
	case SL_IDT_PASSPORT:
		for (i = 0; i < s->n; i++) {
			char c = s->p[i];

			if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
				break;
		}
		if (i == s->n && s->n >= 5 && s->n <= 20)
			return SL_OK;
		return sl_error_set(err, SL_E_BAD_ID_NUMBER, path,
				    "a passport number is 5 to 20 capital "
				    "letters or digits");
	default:
		if (visible_ascii(s, &bad))
			return SL_OK;
		return sl_error_set(err, SL_E_BAD_ID_NUMBER, path,
				    "%s: character %s at position %zu; use "
				    "visible ASCII without spaces",
				    path, show_char(s->p[bad], cbuf), bad + 1);
	}
}

static enum sl_errcode check_country(sl_error_t *err, const char *path,
				     const sl_str_t *s, sl_country_t *out)
{
	*out = sl_country_pack(s->p, s->n);
	if (sl_country_valid(*out))
		return SL_OK;
	return sl_error_set(err, SL_E_BAD_COUNTRY, path,
			    "\"%.*s\" is not an ISO 3166-1 alpha-2 country "
			    "code (two capital letters, e.g. JP)",
			    (int)s->n, s->p);
}

static enum sl_errcode check_hs(sl_error_t *err, const char *path,
				const sl_str_t *s, uint8_t *len)
{
	char cbuf[16];
	uint32_t i;

	for (i = 0; i < s->n; i++)
		if (s->p[i] < '0' || s->p[i] > '9')
			return sl_error_set(err, SL_E_BAD_HS_CODE, path,
					    "%s: character %s at position %u "
					    "is not a digit (write the HS code "
					    "as 6 to 10 digits, no dots)",
					    path, show_char(s->p[i], cbuf),
					    i + 1);
	if (s->n < 6 || s->n > 10)
		return sl_error_set(err, SL_E_BAD_HS_CODE, path,
				    "%s has %u digits; an HS code has 6 to 10",
				    path, s->n);
	*len = (uint8_t)s->n;
	return SL_OK;
}

/* ---------------------------------------------------------------- root */

/* Whether root string f is required, given what was validated before it
 * (flow and trade_mode come first in field order). */
static bool root_required(const sl_decl_t *d, unsigned f)
{
	switch (f) {
	case SL_DS_DECL_ID:
	case SL_DS_FLOW:
	case SL_DS_TRADE_MODE:
	case SL_DS_DECLARED_AT:
	case SL_DS_EBC_CODE:
	case SL_DS_CURRENCY:
		return true;
	case SL_DS_BUYER_ID_NUMBER:
		/* retail imports: the buyer's annual limit needs the ID */
		return d->flow == SL_FLOW_IMPORT &&
		       (d->trade_mode == SL_TM_M9610 ||
			d->trade_mode == SL_TM_M1210);
	default:
		return false;
	}
}

/* Trade modes that only go one way: 9710 and 9810 are export modes. */
static enum sl_errcode check_trade_mode(sl_error_t *err, sl_decl_t *d,
					const sl_str_t *s)
{
	unsigned tm = enum_find(s, trade_mode_names, N_OF(trade_mode_names));

	if (!tm)
		return sl_error_set(err, SL_E_BAD_TRADE_MODE, "trade_mode",
				    "trade_mode \"%.*s\" is unknown; expected "
				    "9610, 1210, 9710, 9810 or postal",
				    (int)s->n, s->p);
	if ((tm == SL_TM_M9710 || tm == SL_TM_M9810) &&
	    d->flow != SL_FLOW_EXPORT)
		return sl_error_set(err, SL_E_BAD_TRADE_MODE, "trade_mode",
				    "trade mode %s is for exports only, but "
				    "flow is import",
				    trade_mode_names[tm - 1]);
	d->trade_mode = (uint8_t)tm;
	return SL_OK;
}

static enum sl_errcode validate_root_strs(sl_decl_t *d, sl_error_t *err)
{
	enum sl_errcode rc = SL_OK;
	char cbuf[16];
	const char *why;
	size_t bad;
	unsigned f;

	for (f = 0; f < SL_DS__COUNT && rc == SL_OK; f++) {
		const sl_str_t *s = &d->s[f];
		const char *path = sl__decl_str_path[f];

		if (!s->p || !s->n) {
			if (f == SL_DS_DECL_ID && s->p)
				return sl_error_set(err, SL_E_BAD_DECL_ID, path,
						    "decl_id is empty");
			if (!root_required(d, f))
				continue;
			if (f == SL_DS_BUYER_ID_NUMBER)
				return sl_error_set(
				    err, SL_E_MISSING_FIELD, path,
				    "%s is required for %s imports", path,
				    trade_mode_names[d->trade_mode - 1]);
			return sl_error_set(err, SL_E_MISSING_FIELD, path,
					    "%s is required", path);
		}
		if (s->n > sl__decl_str_max[f])
			return sl_error_set(err, SL_E_FIELD_TOO_LONG, path,
					    "%s is %u bytes; at most %u are "
					    "allowed",
					    path, s->n, sl__decl_str_max[f]);
		switch (f) {
		case SL_DS_DECL_ID:
			if (!visible_ascii(s, &bad))
				rc = sl_error_set(
				    err, SL_E_BAD_DECL_ID, path,
				    "decl_id must be visible ASCII without "
				    "spaces; character %zu is %s",
				    bad + 1, show_char(s->p[bad], cbuf));
			break;
		case SL_DS_FLOW:
			d->flow =
			    (uint8_t)enum_find(s, flow_names, N_OF(flow_names));
			if (!d->flow)
				rc = sl_error_set(err, SL_E_BAD_FLOW, path,
						  "flow \"%.*s\" is unknown; "
						  "expected import or export",
						  (int)s->n, s->p);
			break;
		case SL_DS_TRADE_MODE:
			rc = check_trade_mode(err, d, s);
			break;
		case SL_DS_DECLARED_AT:
			why = parse_time(s->p, s->n, &d->declared_at,
					 &d->declared_tz);
			if (why)
				rc = sl_error_set(
				    err, SL_E_BAD_TIME, path,
				    "%s is not an RFC 3339 time like "
				    "2026-11-29T08:15:00+08:00: %s",
				    path, why);
			break;
		case SL_DS_CUSTOMS_CODE:
			if (s->n != 4 || !visible_ascii(s, &bad) ||
			    s->p[0] < '0' || s->p[0] > '9' || s->p[1] < '0' ||
			    s->p[1] > '9' || s->p[2] < '0' || s->p[2] > '9' ||
			    s->p[3] < '0' || s->p[3] > '9')
				rc = sl_error_set(
				    err, SL_E_BAD_CUSTOMS_OFFICE, path,
				    "customs_code must be the 4-digit code of "
				    "the customs office, e.g. 0501");
			break;
		case SL_DS_EBP_CODE:
		case SL_DS_EBC_CODE:
		case SL_DS_LOG_CODE:
			rc = check_enterprise(err, path, s);
			break;
		case SL_DS_BUYER_ID_TYPE:
			d->id_type = (uint8_t)enum_find(s, id_type_names,
							N_OF(id_type_names));
			if (!d->id_type)
				rc = sl_error_set(
				    err, SL_E_BAD_ID_TYPE, path,
				    "id_type \"%.*s\" is unknown; expected "
				    "id_card, passport or other",
				    (int)s->n, s->p);
			break;
		case SL_DS_BUYER_ID_NUMBER:
			/* CEB's default document is the resident ID card */
			if (!d->id_type)
				d->id_type = SL_IDT_ID_CARD;
			rc = check_id_number(err, path, s, d->id_type);
			break;
		case SL_DS_SENDER_COUNTRY:
			rc = check_country(err, path, s, &d->sender_country);
			break;
		case SL_DS_ORIGIN_COUNTRY:
			rc = check_country(err, path, s, &d->origin);
			break;
		case SL_DS_CURRENCY:
			d->currency = sl_currency_pack(s->p, s->n);
			if (!sl_currency_valid(d->currency))
				rc = sl_error_set(
				    err, SL_E_BAD_CURRENCY, path,
				    "\"%.*s\" is not an ISO 4217 currency code "
				    "(three capital letters, e.g. CNY)",
				    (int)s->n, s->p);
			break;
		default:
			break; /* free text: length and UTF-8 only */
		}
	}
	return rc;
}

static enum sl_errcode validate_root_nums(sl_decl_t *d, sl_error_t *err)
{
	sl_money_t *money[SL_DN__COUNT] = {
	    [SL_DN_GOODS_VALUE] = &d->goods_value,
	    [SL_DN_FREIGHT] = &d->freight,
	    [SL_DN_INSURED_FEE] = &d->insured_fee,
	    [SL_DN_TAX_TOTAL] = &d->tax_total,
	    [SL_DN_DISCOUNT] = &d->discount,
	    [SL_DN_ACTUAL_PAID] = &d->actual_paid,
	    [SL_DN_GROSS_WEIGHT] = &d->gross_weight,
	    [SL_DN_NET_WEIGHT] = &d->net_weight,
	};
	enum sl_errcode rc;
	unsigned f;

	for (f = 0; f < SL_DN__COUNT; f++) {
		const char *path = sl__decl_num_path[f];

		*money[f] = 0;
		if (!(d->present & SL_DN_BIT(f))) {
			if (f == SL_DN_GOODS_VALUE)
				return sl_error_set(err, SL_E_MISSING_FIELD,
						    path, "%s is required",
						    path);
			continue;
		}
		if (f == SL_DN_GROSS_WEIGHT || f == SL_DN_NET_WEIGHT)
			rc = check_quantity(err, path, d->n[f], money[f]);
		else
			rc = check_money(err, path, d->n[f], money[f]);
		if (rc)
			return rc;
	}
	return SL_OK;
}

/* --------------------------------------------------------------- items */

static bool item_str_required(unsigned f)
{
	return f == SL_IS_HS_CODE || f == SL_IS_NAME;
}

static bool item_num_required(unsigned f)
{
	return f == SL_IN_QTY || f == SL_IN_PRICE;
}

static enum sl_errcode validate_item(sl_decl_t *d, unsigned i, sl_error_t *err)
{
	sl_item_t *it = &d->items[i];
	char path[SL_ERR_FIELD_MAX];
	enum sl_errcode rc = SL_OK;
	unsigned f;

	it->origin = d->origin;
	it->category = SL_CAT_NONE;
	it->hs_len = 0;
	for (f = 0; f < SL_IS__COUNT && rc == SL_OK; f++) {
		const sl_str_t *s = &it->s[f];

		if (!s->p || !s->n) {
			if (!item_str_required(f))
				continue;
			item_path(path, sizeof(path), i, sl__item_str_key[f]);
			return sl_error_set(err, SL_E_MISSING_FIELD, path,
					    "%s is required", path);
		}
		if (s->n > sl__item_str_max[f]) {
			item_path(path, sizeof(path), i, sl__item_str_key[f]);
			return sl_error_set(err, SL_E_FIELD_TOO_LONG, path,
					    "%s is %u bytes; at most %u are "
					    "allowed",
					    path, s->n, sl__item_str_max[f]);
		}
		switch (f) {
		case SL_IS_HS_CODE:
			if (s->n >= 6 && s->n <= 10) {
				uint32_t k;

				for (k = 0; k < s->n; k++)
					if (s->p[k] < '0' || s->p[k] > '9')
						break;
				if (k == s->n) { /* the common case */
					it->hs_len = (uint8_t)s->n;
					break;
				}
			}
			item_path(path, sizeof(path), i, "hs_code");
			rc = check_hs(err, path, s, &it->hs_len);
			break;
		case SL_IS_ORIGIN_COUNTRY:
			it->origin = sl_country_pack(s->p, s->n);
			if (sl_country_valid(it->origin))
				break;
			item_path(path, sizeof(path), i, "origin_country");
			rc = check_country(err, path, s, &it->origin);
			break;
		case SL_IS_CATEGORY:
			it->category = (uint8_t)enum_find(s, category_names,
							  N_OF(category_names));
			if (it->category)
				break;
			item_path(path, sizeof(path), i, "category");
			rc = sl_error_set(err, SL_E_BAD_CATEGORY, path,
					  "category \"%.*s\" is unknown; "
					  "expected sale, gift, sample, return "
					  "or other",
					  (int)s->n, s->p);
			break;
		default:
			break; /* free text */
		}
	}
	if (rc)
		return rc;

	it->qty = it->price = it->total_price = 0;
	for (f = 0; f < SL_IN__COUNT; f++) {
		double v = it->n[f];

		if (!(it->present & SL_IN_BIT(f))) {
			if (!item_num_required(f))
				continue;
			item_path(path, sizeof(path), i, sl__item_num_key[f]);
			return sl_error_set(err, SL_E_MISSING_FIELD, path,
					    "%s is required", path);
		}
		switch (f) {
		case SL_IN_SEQ:
			if (v >= 1 && v <= SL_MAX_ITEMS &&
			    v == (double)(int64_t)v) /* 1..99: exact */
				break;
			item_path(path, sizeof(path), i, "seq");
			return sl_error_set(err, SL_E_BAD_SEQ, path,
					    "%s is %.10g; it must be a whole "
					    "number from 1 to %u",
					    path, v, SL_MAX_ITEMS);
		case SL_IN_QTY:
			if (to_fixed(v, &it->qty) == FX_OK && it->qty > 0)
				break;
			item_path(path, sizeof(path), i, "qty");
			return check_quantity(err, path, v, &it->qty);
		case SL_IN_PRICE:
			if (to_fixed(v, &it->price) == FX_OK)
				break;
			item_path(path, sizeof(path), i, "price");
			return check_money(err, path, v, &it->price);
		case SL_IN_TOTAL_PRICE:
			if (to_fixed(v, &it->total_price) == FX_OK)
				break;
			item_path(path, sizeof(path), i, "total_price");
			return check_money(err, path, v, &it->total_price);
		}
	}
	if (!(it->present & SL_IN_BIT(SL_IN_TOTAL_PRICE))) {
		/* qty x price, both fixed point, rounded half up */
		__int128 t = (__int128)it->qty * it->price + SL_MONEY_ONE / 2;

		t /= SL_MONEY_ONE;
		if (t > SL_AMOUNT_MAX) {
			item_path(path, sizeof(path), i, "price");
			return sl_error_set(err, SL_E_BAD_MONEY, path,
					    "qty x price of items[%u] must be "
					    "below %.0f",
					    i, SL_AMOUNT_LIMIT);
		}
		it->total_price = (sl_money_t)t;
	}
	return SL_OK;
}

static enum sl_errcode validate_items(sl_decl_t *d, sl_error_t *err)
{
	enum sl_errcode rc;
	unsigned i;

	if (!d->items_present)
		return sl_error_set(err, SL_E_MISSING_FIELD, "items",
				    "items is required (1 to %u items)",
				    SL_MAX_ITEMS);
	if (d->items_seen == 0)
		return sl_error_set(err, SL_E_NO_ITEMS, "items",
				    "items is empty; a declaration has 1 to "
				    "%u items",
				    SL_MAX_ITEMS);
	if (d->items_seen > SL_MAX_ITEMS)
		return sl_error_set(err, SL_E_TOO_MANY_ITEMS, "items",
				    "%u items; at most %u per declaration "
				    "(split the shipment)",
				    d->items_seen, SL_MAX_ITEMS);
	for (i = 0; i < d->n_items; i++) {
		rc = validate_item(d, i, err);
		if (rc)
			return rc;
	}
	return SL_OK;
}

enum sl_errcode sl_decl_validate(sl_decl_t *d, sl_error_t *err)
{
	enum sl_errcode rc;

	err->code = SL_OK;
	d->flow = SL_FLOW_NONE;
	d->trade_mode = SL_TM_NONE;
	d->id_type = SL_IDT_NONE;
	d->declared_at = 0;
	d->declared_tz = 0;
	d->origin = d->sender_country = 0;
	d->currency = 0;
	rc = validate_root_strs(d, err);
	if (!rc)
		rc = validate_root_nums(d, err);
	if (!rc)
		rc = validate_items(d, err);
	return rc;
}
