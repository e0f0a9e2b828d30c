/* sluice-rulec internals: the intermediate form between YAML and bundle.
 *
 * parse.c reads sources into rules, condition nodes and text leaves;
 * lists.c loads the CSV lists they reference; variants.c adds
 * traditional-character variants; emit.c turns terms into Hyperscan
 * expressions, compiles them and writes the bundle.  Everything here is
 * control plane and allocates freely; allocation failure aborts (as in
 * most compilers: there is nothing sensible to do without memory).
 */
#ifndef SLUICE_RULEC_INT_H
#define SLUICE_RULEC_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sluice/policy.h>

#include "bundle-int.h"
#include "rulec.h"

/* ------------------------------------------------------------- vectors */

#define VEC(T)                                                                 \
	struct {                                                               \
		T *v;                                                          \
		size_t n, cap;                                                 \
	}
void *sl__xrealloc(void *p, size_t n);
void *sl__xcalloc(size_t n, size_t size);
char *sl__xstrdup(const char *s);
char *sl__xstrndup(const char *s, size_t n);
#define vec_reserve(vec, more)                                                 \
	do {                                                                   \
		if ((vec)->n + (more) > (vec)->cap) {                          \
			size_t c_ = (vec)->cap ? (vec)->cap * 2 : 8;           \
			while (c_ < (vec)->n + (more))                         \
				c_ *= 2;                                       \
			(vec)->v =                                             \
			    sl__xrealloc((vec)->v, c_ * sizeof(*(vec)->v));    \
			(vec)->cap = c_;                                       \
		}                                                              \
	} while (0)
#define vec_push(vec, x)                                                       \
	do {                                                                   \
		vec_reserve(vec, 1);                                           \
		(vec)->v[(vec)->n++] = (x);                                    \
	} while (0)
#define vec_free(vec)                                                          \
	do {                                                                   \
		free((vec)->v);                                                \
		(vec)->v = NULL;                                               \
		(vec)->n = (vec)->cap = 0;                                     \
	} while (0)

/* ---------------------------------------------------------------- IR */

struct loc {
	const char *file; /* interned in rc->files, lives as long as rc */
	int line, col;	  /* 1-based; 0 = unknown */
};

enum term_kind { TK_TERM, TK_REGEX };

struct term {
	char *text; /* as written (terms: may start/end with '*') */
	struct loc loc;
	uint8_t kind;	 /* enum term_kind */
	uint8_t role;	 /* SL__ROLE_TERM or SL__ROLE_UNLESS */
	uint8_t variant; /* derived by OpenCC from another term */
	uint8_t exact;	 /* must be the whole field (`exact:`) */
};

struct listref {
	char *name;
	struct loc loc;
	uint8_t role;  /* for terms lists: SL__ROLE_TERM / UNLESS */
	uint8_t exact; /* exact_from: */
};

struct leaf {
	uint32_t fields; /* enum sl__tf bits */
	VEC(struct term) terms;
	VEC(struct listref) lists;
	struct loc loc;
	uint32_t rule;
};

struct node {
	uint8_t kind; /* enum sl__node_kind */
	uint8_t op;
	uint8_t subject;
	int64_t value;
	uint32_t leaf;	    /* TEXT */
	VEC(uint32_t) kids; /* ALL/ANY/NOT */
	VEC(uint64_t) vals; /* HS/ORIGIN/SENDER_COUNTRY written inline */
	char *list;	    /* or the name of a list */
	struct loc loc;
	uint32_t a, n; /* set when emitted */
};

struct rule {
	char *id, *title, *source;
	struct loc loc;
	uint8_t action; /* enum sl_verdict_kind; RELEASE = none */
	int32_t points;
	uint32_t root; /* node; UINT32_MAX when the rule had errors */
};

enum list_kind { LK_HS, LK_BANDS, LK_TERMS, LK_COUNTRIES, LK__COUNT };

struct list {
	char *name;
	uint8_t kind; /* enum list_kind */
	char *path;   /* file, resolved against the defining source */
	struct loc loc;
	bool loaded, failed;
	VEC(uint64_t) vals;	     /* HS keys or countries, sorted */
	VEC(struct sl__bband) bands; /* sorted */
	VEC(struct term) terms;
	uint32_t a, n; /* emitted range */
	bool emitted;
};

struct source {
	char *path;
	uint8_t sha256[32];
};

struct sl_rulec {
	struct sl_rulec_opts o;
	FILE *diag;
	unsigned errors;
	VEC(char *) files; /* interned file names for struct loc */
	VEC(struct source) sources;
	VEC(struct rule) rules;
	VEC(struct node) nodes;
	VEC(struct leaf) leaves;
	VEC(struct list) lists;
	struct sl_policy policy;
	bool have_policy;
	struct loc policy_loc;
	/* normaliser scratch */
	char *nbuf;
	size_t nbuf_cap;
	int32_t *nwork;
	size_t nwork_cap;
	/* ISO tables for checking codes, loaded lazily from iso-codes */
	VEC(uint16_t) countries;
	VEC(uint32_t) currencies;
	bool iso_loaded;
	double parse_s; /* time spent reading sources */
};

/* ------------------------------------------------------------- helpers */

/* Reports "FILE:LINE:COL: error: MESSAGE" and counts it. */
void sl__rc_error(struct sl_rulec *rc, const struct loc *at, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
const char *sl__rc_intern(struct sl_rulec *rc, const char *file);
void sl__rc_add_source(struct sl_rulec *rc, const char *path, const void *data,
		       size_t len);

/* Normalises s into rc->nbuf; returns the NUL-terminated result or NULL
 * when s is not UTF-8.  Valid until the next call. */
const char *sl__rc_norm(struct sl_rulec *rc, const char *s, size_t len,
			size_t *out_len);

/* Country / currency codes known to iso-codes (loaded once); true when
 * the tables cannot be read (nothing to check against). */
bool sl__rc_country_ok(struct sl_rulec *rc, sl_country_t c);
bool sl__rc_currency_ok(struct sl_rulec *rc, sl_currency_t c);

/* Parses a decimal with at most 5 decimals into fixed point.  Returns 0
 * or -EINVAL / -ERANGE. */
int sl__parse_fixed(const char *s, int64_t *out);
/* Parses an HS prefix (1..10 digits) into an SL__HS_KEY. */
int sl__parse_hs(const char *s, size_t n, uint64_t *key);

/* parse.c: one YAML source into the IR. */
void sl__rc_parse(struct sl_rulec *rc, const char *name, const char *text,
		  size_t len);
/* lists.c: loads a list's file (once); false on failure (reported). */
bool sl__rc_list_load(struct sl_rulec *rc, struct list *l);
struct list *sl__rc_list_find(struct sl_rulec *rc, const char *name);
/* variants.c: the traditional/simplified variants of a term, NULL-ended
 * array of strings (caller frees each and the array); NULL when OpenCC
 * is unavailable (reported once). */
char **sl__rc_variants(struct sl_rulec *rc, const char *term);
void sl__rc_variants_fini(void);
/* emit.c */
int sl__rc_emit(struct sl_rulec *rc, const char *out,
		struct sl_rulec_stats *st);

double sl__now(void);

#endif /* SLUICE_RULEC_INT_H */
