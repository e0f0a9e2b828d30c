/* sluice-rulec: compile, lint, explain and test rule bundles.
 *
 * Exit status: 0 success; 1 errors in the sources (or failed test cases);
 * 2 usage error, or a bundle that cannot be used.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/bundle.h>

#include "rulec.h"

static void usage(FILE *o)
{
	fputs(
	    "usage: sluice-rulec -o OUT.bundle SOURCE...\n"
	    "       sluice-rulec --check SOURCE...\n"
	    "       sluice-rulec --explain BUNDLE\n"
	    "       sluice-rulec --test CASES.yaml [-r BUNDLE | SOURCE...]\n"
	    "\n"
	    "Compiles officers' rule sources (YAML files, or directories of\n"
	    "them, with the CSV lists they name) into one bundle for the\n"
	    "engine.  docs/rules.md describes the language.\n"
	    "\n"
	    "  -o, --output OUT     write the bundle to OUT (atomically)\n"
	    "  -c, --check          check the sources, write nothing\n"
	    "  -e, --explain BUNDLE list a bundle's rules, patterns, policy\n"
	    "                       and sizes\n"
	    "  -t, --test CASES     run officer-written test cases against\n"
	    "                       the bundle given with -r, the SOURCEs\n"
	    "                       compiled on the fly, or the default "
	    "bundle\n"
	    "  -r, --bundle BUNDLE  the bundle --test uses\n"
	    "  -T, --target CPU     build the database for native (default:\n"
	    "                       this machine), avx512, avx2 or generic;\n"
	    "                       it runs on any CPU with at least those\n"
	    "                       features\n"
	    "  -q, --quiet          no summary on success\n"
	    "  -h, --help           this text\n"
	    "\n"
	    "Errors are printed as FILE:LINE:COL: error: MESSAGE, every error\n"
	    "of every file.  Exit status: 0 success, 1 errors in the sources\n"
	    "or failed cases, 2 usage error or unusable bundle.\n",
	    o);
}

static const char *target; /* --target */

static int compile(char **src, int n, const char *out, bool quiet)
{
	struct sl_rulec_opts o = {.target = target};
	struct sl_rulec *rc = sl_rulec_new(&o);
	struct sl_rulec_stats st;
	int errs;

	if (!rc) {
		fputs("sluice-rulec: out of memory\n", stderr);
		return 2;
	}
	for (int i = 0; i < n; i++)
		sl_rulec_add_path(rc, src[i]);
	errs = sl_rulec_build(rc, out, &st);
	sl_rulec_free(rc);
	if (errs) {
		fprintf(stderr, "sluice-rulec: %d error%s\n", errs,
			errs == 1 ? "" : "s");
		return 1;
	}
	if (!quiet)
		fprintf(stderr,
			"sluice-rulec: %s%s: %u rules, %u patterns (%u terms, "
			"%u variants, %u regexes), database %zu bytes%s%s, "
			"compiled in %.2f s\n",
			out ? "wrote " : "checked", out ? out : "", st.rules,
			st.patterns, st.terms, st.variants, st.regexes,
			st.db_bytes, out ? ", id " : "", out ? st.id : "",
			st.parse_s + st.compile_s);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"check", no_argument, NULL, 'c'},
	    {"explain", required_argument, NULL, 'e'},
	    {"test", required_argument, NULL, 't'},
	    {"bundle", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"target", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *explain = NULL, *cases = NULL, *bundle = NULL;
	bool check = false, quiet = false;
	int c, modes;

	while ((c = getopt_long(argc, argv, "o:ce:t:r:qT:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'e':
			explain = optarg;
			break;
		case 't':
			cases = optarg;
			break;
		case 'r':
			bundle = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'T':
			target = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	modes = !!out + check + !!explain + !!cases;
	if (modes != 1) {
		fputs("sluice-rulec: give exactly one of -o, --check, "
		      "--explain, --test\n",
		      stderr);
		usage(stderr);
		return 2;
	}
	if (explain) {
		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		return sl_rulec_explain(explain, stdout, stderr) ? 2 : 0;
	}
	if (cases) {
		char tmpl[] = "/tmp/sluice-rulec-test-XXXXXX";
		char path[4096];
		int r, fd = -1;

		if (bundle && optind != argc) {
			fputs("sluice-rulec: --test takes -r BUNDLE or "
			      "SOURCEs, not both\n",
			      stderr);
			return 2;
		}
		if (optind != argc) {
			fd = mkstemp(tmpl);
			if (fd < 0) {
				perror("sluice-rulec: temporary bundle");
				return 2;
			}
			close(fd);
			r = compile(argv + optind, argc - optind, tmpl, true);
			if (r) {
				unlink(tmpl);
				return r;
			}
			bundle = tmpl;
		} else if (!bundle) {
			if (sl_bundle_default_path(path, sizeof(path))) {
				fputs("sluice-rulec: no default bundle next to "
				      "this binary; give -r BUNDLE\n",
				      stderr);
				return 2;
			}
			bundle = path;
		}
		r = sl_rulec_test(bundle, cases, stdout, stderr);
		if (fd >= 0)
			unlink(tmpl);
		return r < 0 ? 2 : r > 0 ? 1 : 0;
	}
	if (optind == argc) {
		fputs("sluice-rulec: no SOURCE given\n", stderr);
		usage(stderr);
		return 2;
	}
	return compile(argv + optind, argc - optind, check ? NULL : out, quiet);
}
