/* sluice-feedback — command line.  See docs/targeting.md and
 * sluice-feedback(1). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"

#define UNMATCHED_SHOWN 5 /* decl_ids named in the warning */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sluice-feedback [OPTIONS] -i OUTCOMES.csv "
		"[VERDICTS.jsonl|-]...\n"
		"\n"
		"Joins verdict records (JSON lines of `sluice screen` or the "
		"verdict log)\n"
		"with inspection outcomes and reports, per rule, hits, "
		"inspections, finds\n"
		"and yield; per credit tier, inspection and find rates; and "
		"the random-\n"
		"selection baseline that estimates undetected "
		"non-compliance.\n"
		"Verdicts are read from the files named, or from stdin when "
		"none (or -) is\n"
		"named.  A later verdict for a decl_id replaces an earlier "
		"one.\n"
		"\n"
		"  -i, --outcomes FILE  inspection outcomes, CSV with header\n"
		"                       decl_id,outcome,finding,officer,"
		"inspected_at\n"
		"                       (outcome is found or clean; only "
		"decl_id and\n"
		"                       outcome are required); repeatable\n"
		"  -r, --ruleset ID     count only verdicts of this bundle "
		"id\n"
		"  -s, --sort KEY       order rules by hits (default), yield "
		"or name\n"
		"  -j, --json           print JSON instead of tables\n"
		"  -q, --quiet          no warnings on stderr\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 report printed, 1 an input file is "
		"malformed or\n"
		"unreadable (FILE:LINE: message on stderr), 2 usage "
		"error.\n"
		"Definitions of every column: docs/targeting.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"outcomes", required_argument, NULL, 'i'},
	    {"ruleset", required_argument, NULL, 'r'},
	    {"sort", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum sl_fb_sort sort = SL_FB_SORT_HITS;
	const char **outcomes = calloc((size_t)argc, sizeof(char *));
	const struct sl_fb_report *rep;
	const char *ids[UNMATCHED_SHOWN];
	bool json = false, quiet = false;
	size_t n_outcomes = 0, i, n;
	struct sl_fb *fb = sl_fb_new();
	char err[512];
	int c, rc = 2;

	if (!outcomes || !fb) {
		fprintf(stderr, "sluice-feedback: out of memory\n");
		goto out;
	}
	while ((c = getopt_long(argc, argv, "i:r:s:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			outcomes[n_outcomes++] = optarg;
			break;
		case 'r':
			sl_fb_set_ruleset(fb, optarg);
			break;
		case 's':
			if (!strcmp(optarg, "hits"))
				sort = SL_FB_SORT_HITS;
			else if (!strcmp(optarg, "yield"))
				sort = SL_FB_SORT_YIELD;
			else if (!strcmp(optarg, "name"))
				sort = SL_FB_SORT_NAME;
			else {
				fprintf(stderr,
					"sluice-feedback: --sort takes hits, "
					"yield or name, not \"%s\"\n",
					optarg);
				goto out;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!n_outcomes) {
		fprintf(stderr, "sluice-feedback: no outcomes file (-i "
				"OUTCOMES.csv); see --help\n");
		goto out;
	}

	rc = 1;
	for (i = 0; i < n_outcomes; i++) {
		FILE *f = fopen(outcomes[i], "r");

		if (!f) {
			fprintf(stderr, "sluice-feedback: %s: %s\n",
				outcomes[i], strerror(errno));
			goto out;
		}
		err[0] = '\0';
		c = sl_fb_load_outcomes(fb, f, outcomes[i], err, sizeof(err));
		fclose(f);
		if (c < 0) {
			fprintf(stderr, "sluice-feedback: %s\n", err);
			goto out;
		}
	}
	if (optind == argc)
		argv[--optind] = "-"; /* no file named: stdin */
	for (c = optind; c < argc; c++) {
		const char *name = argv[c];
		bool is_stdin = !strcmp(name, "-");
		FILE *f = is_stdin ? stdin : fopen(name, "r");
		int lrc;

		if (!f) {
			fprintf(stderr, "sluice-feedback: %s: %s\n", name,
				strerror(errno));
			goto out;
		}
		err[0] = '\0';
		lrc = sl_fb_load_verdicts(fb, f, is_stdin ? "<stdin>" : name,
					  err, sizeof(err));
		if (!is_stdin)
			fclose(f);
		if (lrc < 0) {
			fprintf(stderr, "sluice-feedback: %s\n", err);
			goto out;
		}
	}

	rep = sl_fb_compute(fb, sort);
	if (!rep) {
		fprintf(stderr, "sluice-feedback: out of memory\n");
		goto out;
	}
	if (!quiet && rep->unmatched) {
		n = sl_fb_unmatched_ids(fb, ids, UNMATCHED_SHOWN);
		fprintf(stderr,
			"sluice-feedback: warning: %llu outcome(s) name no "
			"verdict read (",
			(unsigned long long)rep->unmatched);
		for (i = 0; i < n; i++)
			fprintf(stderr, "%s%s", i ? ", " : "", ids[i]);
		fprintf(stderr, "%s); they are not counted\n",
			rep->unmatched > n ? ", ..." : "");
	}
	if (!quiet && rep->on_rejects)
		fprintf(stderr,
			"sluice-feedback: warning: %llu outcome(s) name a "
			"rejected declaration; rejects are in no tier\n",
			(unsigned long long)rep->on_rejects);
	if (!quiet && rep->dropped)
		fprintf(stderr,
			"sluice-feedback: warning: %llu verdict(s) had more "
			"reasons than recorded; their extra rules are not "
			"counted\n",
			(unsigned long long)rep->dropped);
	if (!quiet && rep->skipped_ruleset && !rep->total.decls &&
	    !rep->rejects)
		fprintf(stderr,
			"sluice-feedback: warning: no verdict of the "
			"requested ruleset (%llu skipped)\n",
			(unsigned long long)rep->skipped_ruleset);
	if (json) {
		if (sl_fb_print_json(rep, stdout) < 0) {
			fprintf(stderr, "sluice-feedback: cannot write the "
					"report\n");
			goto out;
		}
	} else {
		sl_fb_print_table(rep, stdout);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sluice-feedback: stdout: %s\n",
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sl_fb_free(fb);
	free(outcomes);
	return rc;
}
