/* sluice-gen — realistic, labelled declaration files (library part).
 *
 * The generator behind `sluice-gen`, linked by the tests and the benches
 * so that they can make a corpus in memory.  See docs/generator.md.
 *
 * Plane: control plane / tools only.  It allocates freely and is not meant
 * for the data path.  One struct sl_gen belongs to one thread.
 */
#ifndef SLUICE_GEN_H
#define SLUICE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum sl_gen_format {
	SL_GEN_JSON,	/* one JSON object per line, '\n' after each */
	SL_GEN_MSGPACK, /* a stream of MessagePack maps, nothing between */
};

struct sl_gen_opts {
	uint64_t seed;		   /* same seed + same options = same bytes */
	uint64_t count;		   /* records to write */
	enum sl_gen_format format; /* JSON lines or MessagePack */
	const char *mix;	   /* "NAME=WEIGHT,..." or NULL: default mix */
	unsigned items_min;	   /* items per valid declaration, >= 1 */
	unsigned items_max;	   /* <= 99 */
	int64_t start;		   /* epoch seconds of the first declaration */
	unsigned days;		   /* declarations spread over this many days */
	const char *id_prefix;	   /* decl_id prefix, default "TYN" */
	const char *data_dir;	   /* NULL: the tables embedded at build time */
	bool truncated_tail;	   /* the last record is cut short */
	bool labels;		   /* make label lines (default true) */

	/* The decision policy the labels assume (CNY, 5-decimal fixed point,
	 * SL_MONEY_ONE = 1 CNY).  Defaults follow SPEC 1 and issue 4. */
	int64_t txn_limit;	  /* one 9610/1210 import, CNY 5,000 */
	int64_t annual_limit;	  /* one buyer, calendar year, CNY 26,000 */
	unsigned split_max_count; /* parcels per consignee and day, 3 */
	int64_t split_max_value;  /* value per consignee and day, CNY 5,000 */
};

struct sl_gen;

/* Fills *o with the defaults (seed 1, 1000 records, JSON, default mix,
 * 1-5 items, from 2026-12-26T00:00+08:00 over 10 days). */
void sl_gen_opts_default(struct sl_gen_opts *o);

/* Loads the tables, builds the enterprises and the mix.  Returns NULL with
 * a message in err (bad --mix, unreadable --data table, ...).  Free with
 * sl_gen_free(). */
struct sl_gen *sl_gen_new(const struct sl_gen_opts *o, char *err,
			  size_t errlen);
void sl_gen_free(struct sl_gen *g);

/* Makes the next record.  Returns 1 with *rec and *len set to the record's
 * bytes (a JSON line with its '\n', or one MessagePack object) and
 * *label and *label_len to its label line (JSON, with '\n'; NULL and 0
 * when opts.labels is false); 0 when count
 * records have been made.  The buffers belong to g and stay valid until
 * the next call. */
int sl_gen_next(struct sl_gen *g, const void **rec, size_t *len,
		const char **label, size_t *label_len);

/* Writes the enterprise registry (SPEC 5) that goes with the
 * declarations: every registered enterprise, RFC 4180 quoting through
 * libcsv.  Returns 0 or -errno. */
int sl_gen_write_registry(const struct sl_gen *g, FILE *f);

/* Lists the classes (name, expected verdict, default weight, meaning) for
 * --help. */
void sl_gen_print_classes(FILE *f);

/* Compares a verdict file (sluice screen output, JSON lines) with a label
 * file and prints accuracy per class to out (groups: per group of classes,
 * "prohibited" for prohibited.*, plus the classes with a rate check);
 * verbose lists every miss.  Returns the number of declarations whose
 * verdict the labels do not accept plus the failed rate checks, or -errno
 * when a file can't be read. */
long sl_gen_check(const char *labels_path, const char *verdicts_path, FILE *out,
		  bool verbose, bool groups);

#endif /* SLUICE_GEN_H */
