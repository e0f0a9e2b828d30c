/* sluice-rulec as a library: rule sources in, bundle out.
 *
 * The binary (main.c), the unit tests, the fuzz target and the benches all
 * drive the compiler through this interface.  Control plane only.
 *
 * Diagnostics are printed as "FILE:LINE:COL: error: MESSAGE" (1-based line
 * and column) on the FILE * given in the options, every error of every
 * file, in the order the sources were added.
 */
#ifndef SLUICE_RULEC_H
#define SLUICE_RULEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sl_rulec_opts {
	FILE *diag;	    /* errors; NULL = stderr */
	bool no_files;	    /* sources may not name list files (fuzzing) */
	bool no_database;   /* check only up to the Hyperscan compile (fuzzing:
			       arbitrary regexes can take long to compile) */
	bool no_variants;   /* skip the OpenCC variants (benches of raw
			       pattern counts) */
	const char *target; /* CPU the database is built for: "native"
			       (NULL: this machine), "avx512", "avx2" or
			       "generic"; a bundle runs on any CPU with at
			       least its features (valgrind: avx2) */
};

/* What a build produced, for the tool's summary and the benches. */
struct sl_rulec_stats {
	uint32_t rules;
	uint32_t terms;	   /* literal terms as written (and from lists) */
	uint32_t variants; /* traditional-character variants added */
	uint32_t regexes;
	uint32_t patterns; /* Hyperscan expressions after de-duplication */
	size_t db_bytes;   /* hs_database_size() */
	size_t file_bytes; /* the bundle file */
	double parse_s;	   /* reading sources and lists */
	double compile_s;  /* hs_compile_ext_multi */
	char id[17];	   /* the bundle id, when one was made */
};

struct sl_rulec;

/* Makes a compiler.  o may be NULL (defaults).  NULL on ENOMEM. */
struct sl_rulec *sl_rulec_new(const struct sl_rulec_opts *o);
void sl_rulec_free(struct sl_rulec *rc);

/* Adds a source: a YAML file, or a directory whose *.yaml / *.yml files
 * (recursively, in name order; not *.cases.yaml, which hold test cases)
 * are added.  Errors reading it are
 * reported and counted.  Returns 0 or the number of errors. */
int sl_rulec_add_path(struct sl_rulec *rc, const char *path);

/* Adds a source held in memory; `name` stands for its file name in
 * messages, and list files are looked up relative to the current
 * directory.  text need not be NUL-terminated. */
int sl_rulec_add_source(struct sl_rulec *rc, const char *name, const char *text,
			size_t len);

/* Compiles every source added.  When out is not NULL, writes the bundle
 * there atomically (temporary file in the same directory, fsync, rename).
 * Returns the number of errors reported (0: success).  stats may be NULL. */
int sl_rulec_build(struct sl_rulec *rc, const char *out,
		   struct sl_rulec_stats *stats);

/* Total errors reported so far. */
unsigned sl_rulec_errors(const struct sl_rulec *rc);

/* --explain: describes a bundle (header, sources, policy, every rule with
 * its conditions and patterns, sizes) on out.  Returns 0, or -1 when the
 * bundle does not load (message on diag). */
int sl_rulec_explain(const char *bundle, FILE *out, FILE *diag);

/* --test: runs the officer-written cases of a YAML file against a bundle
 * (docs/rules.md, "Testing rules").  Prints one line per case and a
 * summary on out.  Returns the number of failed cases plus errors in the
 * case file (reported on diag as FILE:LINE:COL: error: MESSAGE), or -1
 * when the bundle cannot be used. */
int sl_rulec_test(const char *bundle, const char *cases, FILE *out, FILE *diag);

#endif /* SLUICE_RULEC_H */
