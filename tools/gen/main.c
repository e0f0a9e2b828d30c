/* sluice-gen — writes realistic, labelled declaration files (SPEC 3) for
 * tests, benches and the demo; `sluice-gen check` scores verdicts against
 * the labels.  See docs/generator.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"

static void usage(FILE *f)
{
	fputs(
	    "usage: sluice-gen [OPTIONS]\n"
	    "       sluice-gen check [-v] [-g] LABELS VERDICTS\n"
	    "\n"
	    "Writes realistic cross-border e-commerce declarations (SPEC 3) "
	    "as\n"
	    "JSON lines or a MessagePack stream, a label per record saying "
	    "what\n"
	    "it should get, and the enterprise registry that goes with them.\n"
	    "\n"
	    "  -n, --count N           records to write (default 1000)\n"
	    "      --seed N            random seed (default 1); the same seed "
	    "and\n"
	    "                          options give byte-identical output\n"
	    "      --format FMT        json (default) or msgpack\n"
	    "  -o, --output FILE       declarations (default: stdout)\n"
	    "      --labels FILE       one JSON label per record\n"
	    "      --registry FILE     the enterprise registry CSV (SPEC 5)\n"
	    "      --mix SPEC          class weights NAME=WEIGHT,... (see "
	    "below);\n"
	    "                          replaces the default mix, unless SPEC\n"
	    "                          starts with \"default,\".  A group "
	    "name\n"
	    "                          (reject, prohibited, evasion, "
	    "restricted,\n"
	    "                          tier, value) sets all its classes\n"
	    "      --items MIN-MAX     items per declaration (default 1-5)\n"
	    "      --start YYYY-MM-DD  first day, local time +08:00 (default\n"
	    "                          2026-12-26: the run crosses a new "
	    "year)\n"
	    "      --days N            spread the records over N days (default "
	    "10)\n"
	    "      --id-prefix P       decl_id prefix (default TYN)\n"
	    "      --truncated-tail    cut the last record short (JSON: "
	    "NOT_JSON,\n"
	    "                          MessagePack: BAD_MSGPACK)\n"
	    "      --data DIR          read the tables (*.csv) from DIR "
	    "instead\n"
	    "                          of the copies built into the binary\n"
	    "      --txn-limit CNY     policy the labels assume (default "
	    "5000)\n"
	    "      --annual-limit CNY  (default 26000)\n"
	    "      --split-max-count N (default 3 parcels per consignee and "
	    "day)\n"
	    "      --split-max-value CNY (default 5000 per consignee and day)\n"
	    "      --list-classes      print the classes and exit\n"
	    "  -v, --verbose           print a summary on stderr\n"
	    "  -h, --help              this text\n"
	    "\n"
	    "MessagePack: the same declarations as JSON for the same seed, as "
	    "a\n"
	    "stream of maps.  reject.not_json records become MessagePack "
	    "strings\n"
	    "(label NOT_OBJECT); reject.too_deep nests at most 24 levels\n"
	    "(msgpack-c's unpacker stops at 32); reject.bad_msgpack exists "
	    "only\n"
	    "as --truncated-tail, because a broken map hides every record "
	    "after\n"
	    "it.\n"
	    "\n"
	    "check: reads LABELS and VERDICTS (sluice screen output, '-' for\n"
	    "stdin), prints accuracy per class, exits 0 when every verdict is\n"
	    "one its label accepts, 1 otherwise; -v lists the misses, -g\n"
	    "sums the classes per group (prohibited.* as prohibited).\n"
	    "\n"
	    "Classes (weights are per thousand in the default mix):\n",
	    f);
	sl_gen_print_classes(f);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int parse_cny(const char *s, int64_t *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !(d > 0) || d > 1e12)
		return -1;
	*v = (int64_t)llround(d * 100000);
	return 0;
}

static int parse_date(const char *s, int64_t *t)
{
	struct tm tm = {0};
	char *end = strptime(s, "%Y-%m-%d", &tm);

	if (!end || *end)
		return -1;
	*t = (int64_t)timegm(&tm) - 8 * 3600; /* local midnight, +08:00 */
	return 0;
}

static int die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "sluice-gen: %s%s%s\n(try sluice-gen --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return 2;
}

static int check_main(int argc, char **argv)
{
	bool verbose = false, groups = false;
	int i = 1;
	long bad;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-g"))
			groups = true;
		else
			return die_usage("check: unknown option", argv[i]);
	}
	if (argc - i != 2)
		return die_usage("check needs LABELS and VERDICTS", NULL);
	bad = sl_gen_check(argv[i], argv[i + 1], stdout, verbose, groups);
	if (bad < 0)
		return 2;
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	enum {
		O_SEED = 256,
		O_FORMAT,
		O_LABELS,
		O_REGISTRY,
		O_MIX,
		O_ITEMS,
		O_START,
		O_DAYS,
		O_PREFIX,
		O_TAIL,
		O_DATA,
		O_TXN,
		O_ANNUAL,
		O_SPLIT_N,
		O_SPLIT_V,
		O_LIST,
	};
	static const struct option opts[] = {
	    {"count", required_argument, NULL, 'n'},
	    {"seed", required_argument, NULL, O_SEED},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"output", required_argument, NULL, 'o'},
	    {"labels", required_argument, NULL, O_LABELS},
	    {"registry", required_argument, NULL, O_REGISTRY},
	    {"mix", required_argument, NULL, O_MIX},
	    {"items", required_argument, NULL, O_ITEMS},
	    {"start", required_argument, NULL, O_START},
	    {"days", required_argument, NULL, O_DAYS},
	    {"id-prefix", required_argument, NULL, O_PREFIX},
	    {"truncated-tail", no_argument, NULL, O_TAIL},
	    {"data", required_argument, NULL, O_DATA},
	    {"txn-limit", required_argument, NULL, O_TXN},
	    {"annual-limit", required_argument, NULL, O_ANNUAL},
	    {"split-max-count", required_argument, NULL, O_SPLIT_N},
	    {"split-max-value", required_argument, NULL, O_SPLIT_V},
	    {"list-classes", no_argument, NULL, O_LIST},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sl_gen_opts o;
	const char *out_path = NULL, *labels_path = NULL, *reg_path = NULL;
	FILE *out = stdout, *lab = NULL, *reg = NULL;
	struct sl_gen *g = NULL;
	bool verbose = false;
	char err[512];
	int c, rc = 1;
	uint64_t u, bytes = 0, n = 0;
	struct timespec t0, t1;

	if (argc > 1 && !strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);

	sl_gen_opts_default(&o);
	while ((c = getopt_long(argc, argv, "n:o:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &o.count))
				return die_usage("bad --count", optarg);
			break;
		case O_SEED:
			if (parse_u64(optarg, &o.seed))
				return die_usage("bad --seed", optarg);
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "json"))
				o.format = SL_GEN_JSON;
			else if (!strcmp(optarg, "msgpack"))
				o.format = SL_GEN_MSGPACK;
			else
				return die_usage("--format is json or msgpack",
						 optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case O_LABELS:
			labels_path = optarg;
			break;
		case O_REGISTRY:
			reg_path = optarg;
			break;
		case O_MIX:
			o.mix = optarg;
			break;
		case O_ITEMS: {
			unsigned lo, hi;
			char tail;

			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &tail) != 2)
				return die_usage("--items is MIN-MAX", optarg);
			o.items_min = lo;
			o.items_max = hi;
			break;
		}
		case O_START:
			if (parse_date(optarg, &o.start))
				return die_usage("--start is YYYY-MM-DD",
						 optarg);
			break;
		case O_DAYS:
			if (parse_u64(optarg, &u) || u < 1 || u > 3660)
				return die_usage("--days is 1 to 3660", optarg);
			o.days = (unsigned)u;
			break;
		case O_PREFIX:
			o.id_prefix = optarg;
			break;
		case O_TAIL:
			o.truncated_tail = true;
			break;
		case O_DATA:
			o.data_dir = optarg;
			break;
		case O_TXN:
			if (parse_cny(optarg, &o.txn_limit))
				return die_usage("bad --txn-limit", optarg);
			break;
		case O_ANNUAL:
			if (parse_cny(optarg, &o.annual_limit))
				return die_usage("bad --annual-limit", optarg);
			break;
		case O_SPLIT_N:
			if (parse_u64(optarg, &u) || u < 1 || u > 1000)
				return die_usage("bad --split-max-count",
						 optarg);
			o.split_max_count = (unsigned)u;
			break;
		case O_SPLIT_V:
			if (parse_cny(optarg, &o.split_max_value))
				return die_usage("bad --split-max-value",
						 optarg);
			break;
		case O_LIST:
			sl_gen_print_classes(stdout);
			return 0;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return die_usage("unknown option", NULL);
		}
	}
	if (optind != argc)
		return die_usage("unexpected argument", argv[optind]);

	o.labels = labels_path != NULL;
	g = sl_gen_new(&o, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "sluice-gen: %s\n", err);
		return 2;
	}
	if (out_path && strcmp(out_path, "-") &&
	    !(out = fopen(out_path, "wb"))) {
		fprintf(stderr, "sluice-gen: %s: %s\n", out_path,
			strerror(errno));
		goto free_gen;
	}
	if (labels_path && !(lab = fopen(labels_path, "wb"))) {
		fprintf(stderr, "sluice-gen: %s: %s\n", labels_path,
			strerror(errno));
		goto close_out;
	}
	if (reg_path) {
		reg = fopen(reg_path, "wb");
		if (!reg || sl_gen_write_registry(g, reg) || fclose(reg)) {
			fprintf(stderr, "sluice-gen: %s: %s\n", reg_path,
				strerror(errno));
			goto close_labels;
		}
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	if (lab)
		setvbuf(lab, NULL, _IOFBF, 1 << 20);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const void *rec;
		const char *label;
		size_t len, llen;
		int r = sl_gen_next(g, &rec, &len, &label, &llen);

		if (r == 0)
			break;
		if (r < 0) {
			fprintf(stderr, "sluice-gen: record %llu: too large\n",
				(unsigned long long)n + 1);
			goto close_labels;
		}
		if (fwrite(rec, 1, len, out) != len ||
		    (lab && fwrite(label, 1, llen, lab) != llen)) {
			fprintf(stderr, "sluice-gen: write: %s\n",
				strerror(errno));
			goto close_labels;
		}
		bytes += len;
		n++;
	}
	if (fflush(out) || (lab && fflush(lab))) {
		fprintf(stderr, "sluice-gen: write: %s\n", strerror(errno));
		goto close_labels;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (verbose) {
		double s = (double)(t1.tv_sec - t0.tv_sec) +
			   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

		fprintf(stderr,
			"sluice-gen: %llu records, %.1f MB in %.2f s (%.0f "
			"records/s)\n",
			(unsigned long long)n, (double)bytes / 1e6, s,
			s > 0 ? (double)n / s : 0);
	}
	rc = 0;
close_labels:
	if (lab && fclose(lab) && !rc) {
		fprintf(stderr, "sluice-gen: %s: %s\n", labels_path,
			strerror(errno));
		rc = 1;
	}
close_out:
	if (out != stdout && fclose(out) && !rc) {
		fprintf(stderr, "sluice-gen: %s: %s\n", out_path,
			strerror(errno));
		rc = 1;
	}
free_gen:
	sl_gen_free(g);
	return rc;
}
