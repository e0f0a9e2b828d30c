/* sluice-audit — verify a verdict log and explain its decisions
 * (docs/audit.md).
 *
 *   sluice-audit verify LOG [--key PUBKEY]... [--strict]
 *   sluice-audit why DECL_ID LOG [--key PUBKEY]... [--json]
 *
 * A control-plane tool: it reads the log once, never writes it.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <sluice/decl.h>
#include <sluice/vlog.h>

enum { EXIT_OK = 0, EXIT_BAD = 1, EXIT_USAGE = 2, EXIT_UNTRUSTED = 3 };

static const char usage[] =
    "usage: sluice-audit verify LOG [--key PUBKEY]... [--strict] [--quiet]\n"
    "       sluice-audit why DECL_ID LOG [--key PUBKEY]... [--json]\n"
    "\n"
    "Checks and reads a sluice verdict log (`--verdict-log` of `sluice\n"
    "screen` and `sluice run`).  See docs/audit.md.\n"
    "\n"
    "verify   checks every record's hash chain, sequence and checkpoint;\n"
    "         with --key, every checkpoint signature too.  Names the first\n"
    "         bad record (line, seq, what is wrong).\n"
    "         Exit 0: the log verifies.  1: it does not (edited, removed,\n"
    "         inserted, reordered or cut records, forged checkpoints).\n"
    "why      prints every decision logged for DECL_ID, in order: the\n"
    "         verdict, its rules with field and points, the rule set\n"
    "         (bundle) and enterprise registry that made it, and whether\n"
    "         the log vouches for it.\n"
    "         Exit 0: found, log verifies.  1: not found.  3: found, but\n"
    "         the log fails verification (printed with a warning).\n"
    "\n"
    "options:\n"
    "  -k, --key FILE  PEM public (or private) key that signed checkpoints;\n"
    "                  repeat for keys used before a rotation.  Without it\n"
    "                  signatures are not checked (and the output says so).\n"
    "  -s, --strict    verify: also fail when a record is not covered by a\n"
    "                  verified signature (no --key, no checkpoint, or\n"
    "                  records after the last checkpoint).\n"
    "  -q, --quiet     verify: print only problems.\n"
    "  -j, --json      why: one JSON object instead of text.\n"
    "  -h, --help      this text.\n"
    "Exit 2: usage error or unreadable file or key.\n";

struct args {
	struct sl_vlog_keyring *keys;
	bool strict, quiet, json;
	const char *pos[2];
	int n_pos;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"strict", no_argument, NULL, 's'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char err[512];
	int c;

	a->keys = sl_vlog_keyring_new();
	if (!a->keys)
		return -ENOMEM;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:sqjh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (sl_vlog_keyring_add_file(a->keys, optarg, err,
						     sizeof(err)) < 0) {
				fprintf(stderr, "sluice-audit: %s\n", err);
				return -EINVAL;
			}
			break;
		case 's':
			a->strict = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(EXIT_OK);
		default:
			fputs(usage, stderr);
			return -EINVAL;
		}
	}
	for (; optind < argc; optind++) {
		if (a->n_pos == 2) {
			fprintf(stderr, "sluice-audit: too many arguments\n");
			return -EINVAL;
		}
		a->pos[a->n_pos++] = argv[optind];
	}
	return 0;
}

static const char *status_word(enum sl_vlog_status s)
{
	switch (s) {
	case SL_VLOG_OK:
		return "ok";
	case SL_VLOG_TORN:
		return "torn";
	case SL_VLOG_BAD:
		return "bad";
	case SL_VLOG_EMPTY:
		return "empty";
	default:
		return "unreadable";
	}
}

/* Prints the failure of a log that did not verify, FILE:LINE: style. */
static void print_failure(const char *path, const struct sl_vlog_report *r)
{
	switch (r->status) {
	case SL_VLOG_BAD:
		/* "seq N:" unless the explanation starts with the seq. */
		if (r->bad_seq != UINT64_MAX && strncmp(r->what, "seq ", 4))
			printf("%s:%" PRIu64 ": seq %" PRIu64 ": %s\n", path,
			       r->bad_line, r->bad_seq, r->what);
		else
			printf("%s:%" PRIu64 ": %s\n", path, r->bad_line,
			       r->what);
		printf("%s: FAILED at line %" PRIu64
		       " (byte %lld); the %" PRIu64
		       " records before it verify\n",
		       path, r->bad_line, (long long)r->bad_offset, r->records);
		break;
	case SL_VLOG_TORN:
		printf("%s:%" PRIu64 ": %s\n", path, r->lines + 1, r->what);
		printf("%s: FAILED: incomplete last record; the %" PRIu64
		       " records before it verify\n",
		       path, r->records);
		break;
	case SL_VLOG_EMPTY:
		printf("%s: FAILED: no complete record (not a verdict log, or "
		       "empty)\n",
		       path);
		break;
	default:
		printf("%s: FAILED: %s\n", path, r->what);
		break;
	}
}

static int cmd_verify(struct args *a)
{
	struct sl_vlog_verify_opts o = {.keys = a->keys};
	struct sl_vlog_report r;
	const char *path;
	char head[2 * SL_VLOG_DIGEST_MAX + 1];
	unsigned nk = sl_vlog_keyring_count(a->keys), i;
	bool weak = false;
	int rc;

	if (a->n_pos != 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	path = a->pos[0];
	rc = sl_vlog_verify_file(path, &o, &r);
	if (rc < 0) {
		fprintf(stderr, "sluice-audit: %s: %s\n", path,
			r.what[0] ? r.what : strerror(-rc));
		return EXIT_USAGE;
	}
	if (r.status != SL_VLOG_OK) {
		print_failure(path, &r);
		return EXIT_BAD;
	}
	sl_vlog_hex(r.head, r.head_len, head);
	if (!a->quiet) {
		printf("%s: verified: %" PRIu64 " records (%" PRIu64
		       " verdicts, %" PRIu64 " checkpoints, %" PRIu64
		       " resumes), %s chain, head %s\n",
		       path, r.records, r.verdicts, r.checkpoints, r.resumes,
		       sl_vlog_hash_name(r.hash), head);
		if (nk) {
			printf("signatures: %" PRIu64 " of %" PRIu64
			       " checkpoints verified with key",
			       r.sigs_verified, r.checkpoints);
			for (i = 0; i < nk; i++)
				printf("%s %s", i ? "," : "",
				       sl_vlog_keyring_id(a->keys, i));
			printf("\n");
		}
	}
	if (!nk && r.checkpoints) {
		printf("warning: %" PRIu64 " checkpoint signatures not checked "
		       "(give the public key with --key)\n",
		       r.checkpoints);
		weak = true;
	} else if (!r.checkpoints) {
		printf("warning: no checkpoint: nothing in this log is "
		       "signed\n");
		weak = true;
	}
	if (nk && r.sigs_verified && r.after_last_cp) {
		printf("warning: %" PRIu64 " records after the last signed "
		       "checkpoint (seq %" PRIu64
		       ") are protected by the chain only: removing them from "
		       "the end would go unnoticed\n",
		       r.after_last_cp, r.last_cp_seq);
		weak = true;
	}
	if (a->strict && weak) {
		printf(
		    "%s: FAILED (--strict): not every record is covered by a "
		    "verified signature\n",
		    path);
		return EXIT_BAD;
	}
	return EXIT_OK;
}

/* ------------------------------------------------------------------ why */

struct match {
	uint64_t lineno, seq;
	bool verified;
	char *line; /* owned */
};

struct cp {
	uint64_t seq;
	int sig; /* 1 verified, 0 unchecked */
};

struct why {
	const char *decl_id;
	bool prefilter; /* decl_id needs no JSON escaping */
	struct match *m;
	size_t n_m, cap_m;
	struct cp *cp;
	size_t n_cp, cap_cp;
	sl_verdict_t v; /* scratch: 2.6 KiB, kept off the stack */
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n < *cap)
		return 0;
	q = realloc(*p, (*cap ? *cap * 2 : 16) * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

static int why_visit(void *ctx, const struct sl_vlog_rec *rec)
{
	struct why *w = ctx;

	if (rec->kind == SL_VLOG_REC_CHECKPOINT && rec->verified) {
		if (grow((void **)&w->cp, &w->cap_cp, w->n_cp, sizeof(*w->cp)))
			return -ENOMEM;
		w->cp[w->n_cp++] = (struct cp){rec->seq, rec->sig};
		return 0;
	}
	if (rec->kind != SL_VLOG_REC_VERDICT)
		return 0;
	if (w->prefilter &&
	    !memmem(rec->line, rec->len, w->decl_id, strlen(w->decl_id)))
		return 0;
	if (sl_verdict_from_json(rec->line, rec->len, &w->v) < 0 ||
	    !w->v.has_decl_id || strcmp(w->v.decl_id, w->decl_id) != 0)
		return 0;
	if (grow((void **)&w->m, &w->cap_m, w->n_m, sizeof(*w->m)))
		return -ENOMEM;
	w->m[w->n_m] = (struct match){rec->lineno, rec->seq, rec->verified,
				      strndup(rec->line, rec->len)};
	if (!w->m[w->n_m].line)
		return -ENOMEM;
	w->n_m++;
	return 0;
}

/* The first verified checkpoint after seq, or NULL. */
static const struct cp *covering(const struct why *w, uint64_t seq)
{
	size_t i;

	for (i = 0; i < w->n_cp; i++)
		if (w->cp[i].seq > seq)
			return &w->cp[i];
	return NULL;
}

static const char *meaning(int verdict)
{
	switch (verdict) {
	case SL_VERDICT_RELEASE:
		return "automatic release";
	case SL_VERDICT_HOLD:
		return "held for document review by an officer";
	case SL_VERDICT_INSPECT:
		return "physical / X-ray inspection";
	case SL_VERDICT_SEIZE:
		return "prohibited goods, detained";
	default:
		return "malformed or invalid declaration, returned";
	}
}

static void logged_at(const char *line, char *out, size_t cap)
{
	cJSON *o = cJSON_Parse(line);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "logged_at");

	snprintf(out, cap, "%s", cJSON_IsString(t) ? t->valuestring : "?");
	cJSON_Delete(o);
}

static void print_integrity(const struct why *w, const struct match *m,
			    const struct sl_vlog_report *r, bool have_keys)
{
	const struct cp *c = covering(w, m->seq);

	if (!m->verified) {
		printf("    integrity:    NOT VERIFIED: the log fails at line "
		       "%" PRIu64 " (%s); do not rely on this record\n",
		       r->bad_line, r->what);
		return;
	}
	if (!c)
		printf("    integrity:    chain verified; not yet covered by a "
		       "checkpoint signature\n");
	else if (c->sig > 0)
		printf("    integrity:    chain verified; signed by the "
		       "checkpoint at seq %" PRIu64 " (signature verified)\n",
		       c->seq);
	else
		printf("    integrity:    chain verified; covered by the "
		       "checkpoint at seq %" PRIu64
		       " (signature not checked%s)\n",
		       c->seq, have_keys ? "" : ": give --key");
}

static void print_text(struct why *w, const char *path,
		       const struct sl_vlog_report *r, bool have_keys)
{
	size_t i;
	unsigned k;

	printf("Declaration %s: %zu decision%s in %s\n", w->decl_id, w->n_m,
	       w->n_m == 1 ? "" : "s", path);
	if (r->status == SL_VLOG_BAD)
		printf("WARNING: this log fails verification at line %" PRIu64
		       ": %s\n",
		       r->bad_line, r->what);
	else if (r->status == SL_VLOG_TORN)
		printf("WARNING: this log ends in an incomplete record: %s\n",
		       r->what);
	for (i = 0; i < w->n_m; i++) {
		const struct match *m = &w->m[i];
		sl_verdict_t *v = &w->v;
		char when[64];

		if (sl_verdict_from_json(m->line, strlen(m->line), v) < 0)
			continue; /* parsed once already in why_visit */
		logged_at(m->line, when, sizeof(when));
		printf("\n[%zu] %s (CEB returnStatus %u): %s\n", i + 1,
		       sl_verdict_name(v->verdict),
		       sl_verdict_status(v->verdict), meaning(v->verdict));
		printf("    logged:       %s (log line %" PRIu64
		       ", seq %" PRIu64 ")\n",
		       when, m->lineno, m->seq);
		if (v->error.code != SL_OK)
			printf("    error:        %s%s%s: %s\n",
			       sl_errcode_name(v->error.code),
			       v->error.field[0] ? " in " : "", v->error.field,
			       v->error.message);
		printf("    score:        %d\n", v->score);
		printf("    credit tier:  %s\n", sl_tier_name(v->tier));
		printf("    random pick:  %s\n",
		       v->sampled ? "yes (chosen by random selection)" : "no");
		if (v->n_reasons)
			printf("    rules:\n");
		else
			printf("    rules:        none\n");
		for (k = 0; k < v->n_reasons; k++) {
			const sl_reason_t *rs = &v->reasons[k];

			printf("      %-34s %-24s %+d points", rs->rule,
			       rs->field[0] ? rs->field : "-", rs->points);
			if (rs->action != SL_VERDICT_RELEASE)
				printf(", forces %s",
				       sl_verdict_name(rs->action));
			printf("\n");
		}
		if (v->n_dropped)
			printf("      (%u more rules matched but were not "
			       "recorded)\n",
			       v->n_dropped);
		printf("    rule set:     %s\n",
		       v->ruleset[0] ? v->ruleset : "(none loaded)");
		printf("    registry:     %s\n",
		       v->registry[0] ? v->registry : "(none loaded)");
		print_integrity(w, m, r, have_keys);
	}
}

static int print_json(struct why *w, const char *path,
		      const struct sl_vlog_report *r)
{
	cJSON *o = cJSON_CreateObject(), *arr, *bad, *d, *rec, *c;
	size_t i;
	char *s;

	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "decl_id", w->decl_id);
	cJSON_AddStringToObject(o, "log", path);
	cJSON_AddStringToObject(o, "log_status", status_word(r->status));
	if (r->status == SL_VLOG_BAD || r->status == SL_VLOG_TORN) {
		bad = cJSON_AddObjectToObject(o, "first_bad");
		cJSON_AddNumberToObject(bad, "line",
					(double)(r->status == SL_VLOG_BAD
						     ? r->bad_line
						     : r->lines + 1));
		if (r->status == SL_VLOG_BAD && r->bad_seq != UINT64_MAX)
			cJSON_AddNumberToObject(bad, "seq", (double)r->bad_seq);
		cJSON_AddStringToObject(bad, "what", r->what);
	} else {
		cJSON_AddNullToObject(o, "first_bad");
	}
	arr = cJSON_AddArrayToObject(o, "decisions");
	for (i = 0; arr && i < w->n_m; i++) {
		const struct match *m = &w->m[i];
		const struct cp *cv = covering(w, m->seq);
		cJSON *lat;

		rec = cJSON_Parse(m->line);
		d = cJSON_CreateObject();
		if (!rec || !d) {
			cJSON_Delete(rec);
			cJSON_Delete(d);
			break;
		}
		cJSON_AddNumberToObject(d, "line", (double)m->lineno);
		cJSON_AddNumberToObject(d, "seq", (double)m->seq);
		lat = cJSON_DetachItemFromObjectCaseSensitive(rec, "logged_at");
		if (lat)
			cJSON_AddItemToObject(d, "logged_at", lat);
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "seq");
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "h");
		cJSON_AddBoolToObject(d, "verified", m->verified);
		if (m->verified && cv) {
			c = cJSON_AddObjectToObject(d, "checkpoint");
			cJSON_AddNumberToObject(c, "seq", (double)cv->seq);
			cJSON_AddStringToObject(c, "signature",
						cv->sig > 0 ? "verified"
							    : "unchecked");
		} else {
			cJSON_AddNullToObject(d, "checkpoint");
		}
		cJSON_AddItemToObject(d, "verdict", rec);
		cJSON_AddItemToArray(arr, d);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	cJSON_free(s);
	return 0;
}

static int cmd_why(struct args *a)
{
	struct sl_vlog_verify_opts o = {.keys = a->keys, .keep_going = true};
	struct sl_vlog_report r;
	struct why *w;
	const char *path;
	size_t i;
	int rc, ex;

	if (a->n_pos != 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return EXIT_USAGE;
	w->decl_id = a->pos[0];
	path = a->pos[1];
	w->prefilter = !strpbrk(w->decl_id, "\"\\/");
	o.visit = why_visit;
	o.ctx = w;
	rc = sl_vlog_verify_file(path, &o, &r);
	if (rc != 0) {
		fprintf(stderr, "sluice-audit: %s: %s\n", path,
			rc == -ENOMEM ? "out of memory"
			: r.what[0]   ? r.what
				      : strerror(-rc));
		ex = EXIT_USAGE;
		goto out;
	}
	if (r.status == SL_VLOG_EMPTY || r.status == SL_VLOG_IOERR) {
		fprintf(stderr, "sluice-audit: %s: not a verdict log (%s)\n",
			path, status_word(r.status));
		ex = EXIT_USAGE;
		goto out;
	}
	if (a->json) {
		if (print_json(w, path, &r) < 0) {
			ex = EXIT_USAGE;
			goto out;
		}
	} else if (w->n_m) {
		print_text(w, path, &r, sl_vlog_keyring_count(a->keys) > 0);
	}
	if (!w->n_m) {
		if (!a->json)
			printf("%s: no decision for declaration %s\n", path,
			       w->decl_id);
		ex = EXIT_BAD;
	} else {
		ex = r.status == SL_VLOG_OK ? EXIT_OK : EXIT_UNTRUSTED;
	}
out:
	for (i = 0; i < w->n_m; i++)
		free(w->m[i].line);
	free(w->m);
	free(w->cp);
	free(w);
	return ex;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	int ex;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (parse_args(argc - 1, argv + 1, &a) < 0) {
		sl_vlog_keyring_free(a.keys);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "verify")) {
		ex = cmd_verify(&a);
	} else if (!strcmp(argv[1], "why")) {
		ex = cmd_why(&a);
	} else {
		fprintf(stderr, "sluice-audit: unknown command '%s'\n%s",
			argv[1], usage);
		ex = EXIT_USAGE;
	}
	sl_vlog_keyring_free(a.keys);
	return ex;
}
