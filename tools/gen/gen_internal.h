/* sluice-gen — private types shared by the generator's source files.
 * Control plane (a tool): allocation is free, determinism is not: every
 * random choice goes through struct gen_rng, seeded from --seed only.
 */
#ifndef SLUICE_GEN_INTERNAL_H
#define SLUICE_GEN_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <msgpack.h>

/* Field limits and reject codes come from the engine's contract so that the
 * malformed classes stay aligned with what the validator enforces. */
#include <sluice/decl.h>

#include "gen.h"

#define GEN_ONE	      INT64_C(100000) /* fixed point, = SL_MONEY_ONE */
#define GEN_MAX_ITEMS (SL_MAX_ITEMS + 40)

/* ------------------------------------------------------------------ rng */

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
struct gen_rng {
	uint64_t s[4];
};

void gen_rng_seed(struct gen_rng *r, uint64_t seed);

static inline uint64_t gen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t gen_rand(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift, unbiased). */
static inline uint64_t gen_below(struct gen_rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)gen_rand(r) * n;
	uint64_t lo = (uint64_t)m;

	if (lo < n) {
		uint64_t t = -n % n;

		while (lo < t) {
			m = (unsigned __int128)gen_rand(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform in [lo, hi]. */
static inline int64_t gen_range(struct gen_rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo
			: lo + (int64_t)gen_below(r, (uint64_t)(hi - lo) + 1);
}

static inline double gen_unit(struct gen_rng *r)
{
	return (double)(gen_rand(r) >> 11) * 0x1.0p-53;
}

static inline bool gen_chance(struct gen_rng *r, double p)
{
	return gen_unit(r) < p;
}

#define GEN_PICK(r, arr) ((arr)[gen_below((r), sizeof(arr) / sizeof((arr)[0]))])

/* ------------------------------------------------ per-record scratch */

/* Strings and JSON nodes of one record.  Reset before each record; a
 * record that does not fit is a bug in the generator (abort). */
struct gen_scratch {
	char *buf;
	size_t used, cap;
	cJSON *nodes;
	size_t n_nodes, cap_nodes;
};

char *gs_alloc(struct gen_scratch *s, size_t n);
char *gs_strdup(struct gen_scratch *s, const char *str);
char *gs_strndup(struct gen_scratch *s, const char *str, size_t n);
char *gs_printf(struct gen_scratch *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Concatenates NULL-terminated arguments (cheaper than gs_printf on the
 * per-record paths). */
char *gs_cat(struct gen_scratch *s, const char *a, ...)
    __attribute__((sentinel));
/* v in decimal, zero-padded to width digits. */
char *gs_uint(struct gen_scratch *s, uint64_t v, int width);
/* n random decimal digits. */
char *gs_digits(struct gen_scratch *s, struct gen_rng *r, unsigned n);

/* --------------------------------------------------------- JSON trees */

/* Nodes are cJSON structs taken from the scratch pool (never from cJSON's
 * allocator, so the generator does not depend on the process's cJSON
 * hooks and never frees node by node).  cJSON itself prints them. */
cJSON *gt_obj(struct gen_scratch *s);
cJSON *gt_arr(struct gen_scratch *s);
cJSON *gt_str(struct gen_scratch *s, const char *v);   /* v not copied */
cJSON *gt_raw(struct gen_scratch *s, const char *num); /* number text */
cJSON *gt_null(struct gen_scratch *s);
cJSON *gt_bool(struct gen_scratch *s, bool v);
/* Appends child to an object (key not copied) or an array (key NULL). */
cJSON *gt_add(cJSON *parent, const char *key, cJSON *child);
cJSON *gt_get(cJSON *obj, const char *key);
/* Detaches key from obj; returns the detached node or NULL. */
cJSON *gt_del(cJSON *obj, const char *key);
/* Replaces the value of key in obj by v in place (keeps key order). */
void gt_set(cJSON *obj, const char *key, cJSON *v);

/* Encodes a tree.  JSON: cJSON_PrintPreallocated; MessagePack: msgpack-c's
 * packer walking the same tree (numbers are packed as integers when their
 * text is integral, else as float64).  Return 0 or -ENOSPC / -EINVAL. */
int gt_print_json(cJSON *root, char *buf, size_t cap, size_t *len);
int gt_pack(cJSON *root, msgpack_packer *pk);

/* -------------------------------------------------------------- tables */

struct gen_list {
	const char **v;
	uint32_t n;
};
struct gen_perm;
/* Splits "a|b|c" into a list (empty string: empty list). */
struct gen_list gen_list_split(struct gen_perm *p, const char *s);

/* A CSV table (first row = header), parsed with libcsv.  Cells live as
 * long as the generator. */
struct gen_table {
	char **cell; /* rows x cols, row-major; missing cells are "" */
	char **head;
	uint32_t rows, cols;
};

/* Allocations that live as long as the generator, freed all at once. */
struct gen_perm {
	void **ptr;
	size_t n, cap;
};
void *gen_perm_alloc(struct gen_perm *p, size_t n); /* zeroed; aborts on OOM */
char *gen_perm_strdup(struct gen_perm *p, const char *s);
void gen_perm_free(struct gen_perm *p);

/* Loads table `name` ("goods" for goods.csv) from data_dir, or from the
 * copy embedded at build time when data_dir is NULL.  Returns 0 or -1
 * with a message in err. */
int gen_table_load(struct gen_perm *perm, const char *data_dir,
		   struct gen_table *t, const char *name, char *err,
		   size_t errlen);
int gen_table_col(const struct gen_table *t, const char *name);
static inline const char *gen_cell(const struct gen_table *t, uint32_t r, int c)
{
	return c < 0 ? "" : t->cell[(size_t)r * t->cols + (unsigned)c];
}

/* Weighted choice: cum[i] = sum of weights 0..i. */
struct gen_wsel {
	double *cum;
	uint32_t *idx; /* the chosen index maps to idx[i] (NULL: i) */
	uint32_t n;
};
uint32_t gen_wsel_pick(const struct gen_wsel *w, struct gen_rng *r);

/* Embedded tables (generated at build time from tools/gen/data/). */
struct gen_blob {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct gen_blob gen_blobs[];
extern const unsigned gen_n_blobs;

/* ------------------------------------------------------------- codes */

extern const char gen_uscc_charset[];
char gen_uscc_check(const char *body17);
char gen_orgcode_check(const char *body8);
char gen_resident_id_check(const char *body17);
char gen_ean13_check(const char *body12);
char gen_s10_check(const char *digits8);

#endif /* SLUICE_GEN_INTERNAL_H */
