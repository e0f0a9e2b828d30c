/* The verdict log: the chain verifies, every kind of tampering is caught
 * and named, signatures hold, and the writer resumes after crashes. */
#include "vlog_helpers.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <criterion/parameterized.h>

TestSuite(vlog, .init = tmp_setup, .fini = tmp_teardown);

/* ------------------------------------------------- chain and signature */

/* Criterion hands parameters to a re-executed process: no pointers in
 * them, strings inline. */
struct chain_case {
	enum sl_vlog_hash hash;
	char alg[16]; /* "": no key, no checkpoints */
};

ParameterizedTestParameters(vlog, chain_verifies)
{
	static struct chain_case cases[] = {
	    {SL_VLOG_SM3, ""},	      {SL_VLOG_SM3, "SM2"},
	    {SL_VLOG_SM3, "ED25519"}, {SL_VLOG_SHA256, ""},
	    {SL_VLOG_SHA256, "SM2"},  {SL_VLOG_SHA256, "ED25519"},
	};

	return cr_make_param_array(struct chain_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct chain_case *p, vlog, chain_verifies)
{
	const char *log = tpath("v.log"), *priv = tpath("k.pem"),
		   *pub = tpath("k.pub");
	struct sl_vlog_report r;
	struct lines ls;
	char hdr[64];

	bool key = p->alg[0] != '\0';

	if (key)
		keygen(p->alg, priv, pub);
	write_log(log, p->hash, key ? priv : NULL, 100, 0, 1000);

	r = verify_path(log, key ? pub : NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.hash, p->hash);
	cr_assert_eq(r.verdicts, 1000);
	cr_assert_eq(r.checkpoints, key ? 10 : 0);
	cr_assert_eq(r.sigs_verified, key ? 10 : 0);
	if (key)
		cr_assert_eq(r.after_last_cp, 0,
			     "every record is covered by a signature");
	cr_assert_eq(r.last_seq, r.records - 1);

	lines_read(log, &ls);
	snprintf(hdr, sizeof(hdr), "\"hash\":\"%s\"",
		 sl_vlog_hash_name(p->hash));
	cr_assert(strstr(ls.l[0], hdr), "header names the hash: %s", ls.l[0]);
	lines_free(&ls);
}

/* The writer's bytes follow docs/audit.md exactly: recomputed here with
 * the EVP one-shot API, h_n = H(h_{n-1} || line without its h member). */
Test(vlog, chain_matches_definition)
{
	const char *log = tpath("v.log");
	uint8_t prev[32] = {0}, h[32];
	char hx[65], *c;
	struct lines ls;
	size_t i, len;

	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 40);
	lines_read(log, &ls);
	for (i = 0; i < ls.n; i++) {
		len = strlen(ls.l[i]);
		cr_assert_gt(len, 72);
		cr_assert(!strncmp(ls.l[i] + len - 72, ",\"h\":\"", 6));
		c = strndup(ls.l[i], len - 71); /* keeps the final '"' */
		c[len - 72] = '}';
		forge_hash("SM3", prev, 32, c, h);
		hex(h, 32, hx);
		cr_assert(!strncmp(ls.l[i] + len - 66, hx, 64), "line %zu",
			  i + 1);
		memcpy(prev, h, 32);
		free(c);
	}
	lines_free(&ls);
}

/* The log holds the records `sluice screen` prints: a verdict line is
 * sl_verdict_to_json's output with logged_at, seq and h added at the end. */
Test(vlog, verdict_lines_are_screen_records)
{
	const char *log = tpath("v.log");
	char json[SL_VERDICT_JSON_MAX];
	sl_verdict_t v, back;
	struct lines ls;
	unsigned i;
	int n;

	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 20);
	lines_read(log, &ls);
	cr_assert_eq(ls.n, 21);
	for (i = 0; i < 20; i++) {
		make_verdict(&v, i);
		n = sl_verdict_to_json(&v, json, sizeof(json));
		cr_assert_gt(n, 0);
		json[n - 1] = '\0'; /* drop the closing brace */
		cr_assert_eq(strncmp(ls.l[i + 1], json, (size_t)n - 1), 0,
			     "line %u: %s", i + 2, ls.l[i + 1]);
		cr_assert(
		    !strncmp(ls.l[i + 1] + n - 1, ",\"logged_at\":\"", 14),
		    "%s", ls.l[i + 1]);
		cr_assert_eq(sl_verdict_from_json(ls.l[i + 1],
						  strlen(ls.l[i + 1]), &back),
			     0);
		cr_assert_str_eq(back.decl_id, v.decl_id);
		cr_assert_eq(back.verdict, v.verdict);
	}
	lines_free(&ls);
}

/* ----------------------------------------------------------- tampering */

enum tamper {
	EDIT_BYTE,	 /* change one letter inside a record */
	BREAK_JSON,	 /* edit that breaks the record's JSON */
	DELETE_RECORD,	 /* remove line 20 */
	DELETE_HEADER,	 /* remove line 1 */
	INSERT_COPY,	 /* copy of line 10 inserted after line 20 */
	SWAP,		 /* lines 20 and 21 exchanged */
	TRUNCATE_MID,	 /* file cut in the middle of line 30 */
	CHECKPOINT_EDIT, /* a checkpoint's verdict count changed */
	CHECKPOINT_DROP, /* a checkpoint removed */
	APPEND_GARBAGE,	 /* a complete non-record line at the end */
};

struct tamper_case {
	enum tamper t;
	enum sl_vlog_status status;
	uint64_t line; /* first bad line (1-based) */
	char what[32]; /* substring of the explanation */
};

ParameterizedTestParameters(vlog, tampering_is_named)
{
	/* 50 verdicts, checkpoint every 10: line 1 header, verdicts on
	 * lines 2-11, checkpoint line 12, verdicts 13-22, checkpoint 23... */
	static struct tamper_case cases[] = {
	    {EDIT_BYTE, SL_VLOG_BAD, 20, "hash does not match"},
	    {BREAK_JSON, SL_VLOG_BAD, 20, "not a JSON object"},
	    {DELETE_RECORD, SL_VLOG_BAD, 20, "removed"},
	    {DELETE_HEADER, SL_VLOG_BAD, 1, "removed"},
	    {INSERT_COPY, SL_VLOG_BAD, 21, "inserted"},
	    {SWAP, SL_VLOG_BAD, 20, "removed"},
	    {TRUNCATE_MID, SL_VLOG_TORN, 0, "incomplete record"},
	    {CHECKPOINT_EDIT, SL_VLOG_BAD, 23, "counts 99 verdicts"},
	    {CHECKPOINT_DROP, SL_VLOG_BAD, 23, "removed"},
	    {APPEND_GARBAGE, SL_VLOG_BAD, 0 /* last */, "not a JSON"},
	};

	return cr_make_param_array(struct tamper_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tamper_case *p, vlog, tampering_is_named)
{
	const char *log = tpath("v.log"), *priv = tpath("k.pem"),
		   *pub = tpath("k.pub");
	struct sl_vlog_report r;
	struct lines ls;
	char *s, *tmp;
	size_t i;

	keygen("SM2", priv, pub);
	write_log(log, SL_VLOG_SM3, priv, 10, 0, 50);
	lines_read(log, &ls);
	cr_assert(strstr(ls.l[11], "\"checkpoint\""), "%s", ls.l[11]);
	cr_assert(strstr(ls.l[22], "\"checkpoint\""), "%s", ls.l[22]);
	switch (p->t) {
	case EDIT_BYTE:
		s = strstr(ls.l[19], "TYN");
		s[1] = 'X';
		break;
	case BREAK_JSON:
		s = strstr(ls.l[19], "\"verdict\"");
		s[0] = 'x';
		break;
	case DELETE_RECORD:
		lines_delete(&ls, 19);
		break;
	case DELETE_HEADER:
		lines_delete(&ls, 0);
		break;
	case INSERT_COPY:
		lines_insert(&ls, 20, ls.l[9]);
		break;
	case SWAP:
		tmp = ls.l[19];
		ls.l[19] = ls.l[20];
		ls.l[20] = tmp;
		break;
	case TRUNCATE_MID:
		free(ls.tail);
		ls.tail = strndup(ls.l[29], strlen(ls.l[29]) / 2);
		for (i = 29; i < ls.n; i++)
			free(ls.l[i]);
		ls.n = 29;
		break;
	case CHECKPOINT_EDIT:
		s = strstr(ls.l[22], "\"verdicts\":20");
		cr_assert_not_null(s);
		memcpy(s, "\"verdicts\":99", 13);
		break;
	case CHECKPOINT_DROP:
		lines_delete(&ls, 22);
		break;
	case APPEND_GARBAGE:
		lines_insert(&ls, ls.n, "hello");
		break;
	}
	lines_write(log, &ls);

	r = verify_path(log, pub);
	cr_assert_eq(r.status, p->status, "status %d: %s", r.status, r.what);
	if (p->status == SL_VLOG_BAD)
		cr_assert_eq(r.bad_line, p->line ? p->line : ls.n,
			     "bad line %llu: %s",
			     (unsigned long long)r.bad_line, r.what);
	if (p->t == TRUNCATE_MID)
		cr_assert_eq(r.records, 29,
			     "the 29 lines before the cut verify");
	cr_assert(strstr(r.what, p->what), "explanation: %s", r.what);
	lines_free(&ls);
}

/* Editing a record and rewriting the whole chain after it (new hashes,
 * repaired checkpoint heads and counts) passes the chain alone: that is
 * what the signatures are for.  With the key, the first checkpoint after
 * the edit fails. */
Test(vlog, rewritten_chain_caught_by_signature)
{
	const char *log = tpath("v.log"), *priv = tpath("k.pem"),
		   *pub = tpath("k.pub");
	struct sl_vlog_report r;
	struct lines ls;

	keygen("SM2", priv, pub);
	write_log(log, SL_VLOG_SM3, priv, 10, 0, 50);
	lines_read(log, &ls);
	lines_delete(&ls, 15); /* a verdict vanishes */
	forge_rechain(&ls, "SM3", NULL);
	lines_write(log, &ls);

	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK,
		     "without a key the forgery passes: %s", r.what);
	cr_assert_eq(r.sigs_unchecked, 5);

	r = verify_path(log, pub);
	cr_assert_eq(r.status, SL_VLOG_BAD);
	cr_assert_eq(r.bad_line, 22, "first checkpoint after the edit: %llu",
		     (unsigned long long)r.bad_line);
	cr_assert(strstr(r.what, "signature does not verify"), "%s", r.what);
	lines_free(&ls);
}

/* The forger re-signs every checkpoint with a key of their own. */
Test(vlog, checkpoint_resigned_with_other_key)
{
	const char *log = tpath("v.log"), *priv = tpath("k.pem"),
		   *pub = tpath("k.pub");
	struct sl_vlog_report r;
	struct lines ls;
	EVP_PKEY *evil = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	char *s;

	keygen("SM2", priv, pub);
	write_log(log, SL_VLOG_SM3, priv, 10, 0, 50);
	lines_read(log, &ls);
	s = strstr(ls.l[5], "\"score\":"); /* a digit for a digit */
	s[8] = s[8] == '9' ? '1' : '9';
	forge_rechain(&ls, "SM3", evil);
	lines_write(log, &ls);

	r = verify_path(log, pub);
	cr_assert_eq(r.status, SL_VLOG_BAD);
	cr_assert_eq(r.bad_line, 12);
	cr_assert(strstr(r.what, "not among the keys given"), "%s", r.what);
	lines_free(&ls);
	EVP_PKEY_free(evil);
}

/* A checkpoint whose signature bytes were changed. */
Test(vlog, checkpoint_signature_flipped)
{
	const char *log = tpath("v.log"), *priv = tpath("k.pem"),
		   *pub = tpath("k.pub");
	struct sl_vlog_report r;
	struct lines ls;
	char *s;

	keygen("ED25519", priv, pub);
	write_log(log, SL_VLOG_SHA256, priv, 10, 0, 30);
	lines_read(log, &ls);
	s = strstr(ls.l[22], "\"sig\":\"");
	s[12] = s[12] == '0' ? '1' : '0';
	forge_rechain(&ls, "SHA256", NULL); /* keep the chain itself valid */
	lines_write(log, &ls);
	r = verify_path(log, pub);
	cr_assert_eq(r.status, SL_VLOG_BAD);
	cr_assert_eq(r.bad_line, 23);
	cr_assert(strstr(r.what, "signature does not verify"), "%s", r.what);
	lines_free(&ls);
}

struct key_case {
	char sign_alg[16], verify_alg[16];
};

ParameterizedTestParameters(vlog, wrong_key_fails)
{
	static struct key_case cases[] = {
	    {"SM2", "SM2"},
	    {"SM2", "ED25519"},
	    {"ED25519", "ED25519"},
	    {"ED25519", "SM2"},
	};

	return cr_make_param_array(struct key_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct key_case *p, vlog, wrong_key_fails)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;

	keygen(p->sign_alg, tpath("a.pem"), tpath("a.pub"));
	keygen(p->verify_alg, tpath("b.pem"), tpath("b.pub"));
	write_log(log, SL_VLOG_SM3, tpath("a.pem"), 5, 0, 12);
	r = verify_path(log, tpath("a.pub"));
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	r = verify_path(log, tpath("b.pub"));
	cr_assert_eq(r.status, SL_VLOG_BAD);
	cr_assert_eq(r.bad_line, 7, "the first checkpoint");
	cr_assert(strstr(r.what, "not among the keys given"), "%s", r.what);
}

/* A key rotation: both keys given, each checkpoint finds its own. */
Test(vlog, rotated_keys_both_verify)
{
	const char *log = tpath("v.log");
	struct sl_vlog_keyring *kr = sl_vlog_keyring_new();
	struct sl_vlog_verify_opts o = {.keys = kr};
	struct sl_vlog_report r;
	char err[256];

	keygen("SM2", tpath("a.pem"), tpath("a.pub"));
	keygen("SM2", tpath("b.pem"), tpath("b.pub"));
	write_log(log, SL_VLOG_SM3, tpath("a.pem"), 5, 0, 10);
	write_log(log, SL_VLOG_SM3, tpath("b.pem"), 5, 10, 10);
	cr_assert_eq(sl_vlog_keyring_add_file(kr, tpath("a.pub"), err, 256), 0);
	cr_assert_eq(sl_vlog_keyring_add_file(kr, tpath("b.pub"), err, 256), 0);
	cr_assert_eq(sl_vlog_verify_file(log, &o, &r), 0);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.sigs_verified, r.checkpoints);
	cr_assert_geq(r.checkpoints, 4);
	sl_vlog_keyring_free(kr);
}

/* ------------------------------------------------------ open and resume */

Test(vlog, resume_continues_chain)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;
	struct lines ls;
	char id[32];
	size_t i;
	unsigned k;

	keygen("SM2", tpath("k.pem"), tpath("k.pub"));
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 4, 0, 10);
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 4, 10, 10);
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 4, 20, 10);
	r = verify_path(log, tpath("k.pub"));
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.verdicts, 30);
	cr_assert_eq(r.resumes, 2);
	cr_assert_eq(r.after_last_cp, 0, "close signs what it wrote");

	/* Verdicts appear once each, in the order given. */
	lines_read(log, &ls);
	for (i = 0, k = 0; i < ls.n; i++) {
		sl_verdict_t v;

		if (!strstr(ls.l[i], "\"decl_id\""))
			continue;
		cr_assert_eq(sl_verdict_from_json(ls.l[i], strlen(ls.l[i]), &v),
			     0);
		snprintf(id, sizeof(id), "TYN2026112900%06u", k++);
		cr_assert_str_eq(v.decl_id, id);
	}
	cr_assert_eq(k, 30);
	lines_free(&ls);
}

Test(vlog, torn_tail_cut_and_chain_continues)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;
	struct sl_vlog_stats st;
	struct sl_vlog *w;
	sl_verdict_t v;
	struct lines ls;
	char err[512];
	size_t torn_len;

	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 10);
	lines_read(log, &ls);
	/* A crash mid-write: half of a record, no newline. */
	free(ls.tail);
	ls.tail = strndup(ls.l[5], 77);
	torn_len = strlen(ls.tail);
	lines_write(log, &ls);
	lines_free(&ls);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_TORN);

	g_warned[0] = '\0';
	w = open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	cr_assert(strstr(g_warned, "cut 77 bytes of a torn last record"),
		  "warning: %s", g_warned);
	sl_vlog_stats(w, &st);
	cr_assert_eq(st.cut_bytes, torn_len);
	cr_assert_eq(st.total_verdicts, 10);
	make_verdict(&v, 10);
	cr_assert_eq(sl_vlog_append(w, &v, 1), 1);
	cr_assert_eq(sl_vlog_close(w), 0);

	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.verdicts, 11);
	cr_assert_eq(r.resumes, 1);
	lines_read(log, &ls);
	cr_assert(strstr(ls.l[11], "\"vlog\":\"resume\""), "%s", ls.l[11]);
	cr_assert(strstr(ls.l[11], "\"cut_bytes\":77"),
		  "the cut is on record: %s", ls.l[11]);
	cr_assert(strstr(ls.l[12], "TYN2026112900000010"));
	lines_free(&ls);
}

Test(vlog, torn_header_starts_over)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;
	struct sl_vlog *w;
	char err[512];
	FILE *f = fopen(log, "w");

	fputs("{\"vlog\":\"header\",\"vers", f);
	fclose(f);
	w = open_log(log, SL_VLOG_SHA256, NULL, 0, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	cr_assert_eq(sl_vlog_close(w), 0);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.hash, SL_VLOG_SHA256);
	cr_assert_eq(r.records, 1);
}

Test(vlog, middle_corruption_refused)
{
	const char *log = tpath("v.log");
	struct sl_vlog *w;
	struct lines ls;
	char err[512];
	off_t before;
	struct stat sb;

	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 10);
	lines_read(log, &ls);
	strstr(ls.l[4], "TYN")[0] = 'X';
	lines_write(log, &ls);
	lines_free(&ls);
	stat(log, &sb);
	before = sb.st_size;

	w = open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err));
	cr_assert_null(w);
	cr_assert(strstr(err, "at line 5 (seq 4)"), "%s", err);
	cr_assert(strstr(err, "not appending"), "%s", err);
	stat(log, &sb);
	cr_assert_eq(sb.st_size, before, "nothing was appended");
}

/* Pointing --verdict-log at some other file never damages it. */
Test(vlog, foreign_file_untouched)
{
	const char *blob = tpath("blob"), *text = tpath("notes.txt");
	struct stat sb;
	char err[512];
	FILE *f;
	int i;

	f = fopen(blob, "w");
	for (i = 0; i < 100000; i++)
		fputc('x', f); /* no newline at all */
	fclose(f);
	cr_assert_null(open_log(blob, SL_VLOG_SM3, NULL, 0, err, sizeof(err)));
	cr_assert(strstr(err, "is not a verdict log"), "%s", err);
	stat(blob, &sb);
	cr_assert_eq(sb.st_size, 100000);

	f = fopen(text, "w");
	fputs("dear diary\n", f);
	fclose(f);
	cr_assert_null(open_log(text, SL_VLOG_SM3, NULL, 0, err, sizeof(err)));
	cr_assert(strstr(err, "at line 1"), "%s", err);
	stat(text, &sb);
	cr_assert_eq(sb.st_size, 11);
}

/* A line far longer than any record is named, not loaded. */
Test(vlog, overlong_line_named)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;
	struct lines ls;
	char *big = malloc(1 << 20);

	memset(big, 'a', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 5);
	lines_read(log, &ls);
	lines_insert(&ls, 3, big);
	lines_write(log, &ls);
	lines_free(&ls);
	free(big);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_BAD);
	cr_assert_eq(r.bad_line, 4);
	cr_assert(strstr(r.what, "longer than any record"), "%s", r.what);
}

Test(vlog, other_hash_refused)
{
	const char *log = tpath("v.log");
	char err[512];

	write_log(log, SL_VLOG_SHA256, NULL, 0, 0, 3);
	cr_assert_null(open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err)));
	cr_assert(strstr(err, "chained with sha256"), "%s", err);
}

Test(vlog, second_writer_refused)
{
	const char *log = tpath("v.log");
	struct sl_vlog *a;
	char err[512];

	a = open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err));
	cr_assert_not_null(a, "%s", err);
	cr_assert_null(open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err)));
	cr_assert(strstr(err, "in use by another writer"), "%s", err);
	cr_assert_eq(sl_vlog_close(a), 0);
}

Test(vlog, bad_key_file_refused)
{
	const char *log = tpath("v.log");
	char err[512];
	FILE *f = fopen(tpath("junk.pem"), "w");

	fputs("not a key\n", f);
	fclose(f);
	cr_assert_null(open_log(log, SL_VLOG_SM3, tpath("junk.pem"), 10, err,
				sizeof(err)));
	cr_assert(strstr(err, "not an unencrypted PEM private key"), "%s", err);
	cr_assert_null(open_log(log, SL_VLOG_SM3, tpath("missing.pem"), 10, err,
				sizeof(err)));
	cr_assert(strstr(err, "cannot open key"), "%s", err);
}

/* ------------------------------------------------------- append paths */

Test(vlog, append_json_checks_its_input)
{
	const char *log = tpath("v.log");
	char good[SL_VERDICT_JSON_MAX], err[512];
	const char *bad[] = {
	    "not json",
	    "{\"decl_id\":\"A\",\"verdict\":\"release\",\"seq\":5}",
	    "{\"decl_id\":\"A\",\"verdict\":\"maybe\"}",
	    "{\"decl_id\":\"A\",\n\"verdict\":\"hold\"}",
	    "{\"decl_id\":7,\"verdict\":\"hold\"}",
	    "[1,2]",
	};
	const char *lines[2];
	size_t lens[2];
	struct sl_vlog_report r;
	struct sl_vlog *w;
	sl_verdict_t v;
	unsigned i;
	int n;

	w = open_log(log, SL_VLOG_SM3, NULL, 0, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	make_verdict(&v, 1);
	n = sl_verdict_to_json(&v, good, sizeof(good));
	cr_assert_gt(n, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lines[0] = good;
		lens[0] = (size_t)n;
		lines[1] = bad[i];
		lens[1] = strlen(bad[i]);
		cr_assert_eq(sl_vlog_append_json(w, lines, lens, 2), 1,
			     "bad input %u taken", i);
		cr_assert_eq(sl_vlog_error(w), -EINVAL);
	}
	cr_assert_eq(sl_vlog_close(w), 0);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.verdicts, sizeof(bad) / sizeof(bad[0]));
}

/* A disk that fills up: append takes what fits, says why, and the log
 * is whole again once space returns. */
Test(vlog, full_disk_backpressure)
{
	const char *log = tpath("v.log");
	struct sl_vlog_config c;
	struct sl_vlog_report r;
	struct sl_vlog_stats st;
	struct rlimit rl;
	struct sl_vlog *w;
	sl_verdict_t v[64];
	unsigned taken = 0, got, i, rounds;
	char err[512];

	signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
	sl_vlog_config_init(&c);
	c.path = log;
	c.sync = SL_VLOG_SYNC_NONE;
	c.buffer_bytes = 64 * 1024;
	c.warn = capture_warn;
	w = sl_vlog_open(&c, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = 200 * 1024;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

	for (i = 0; i < 64; i++)
		make_verdict(&v[i], i);
	for (rounds = 0; rounds < 1000; rounds++) {
		got = sl_vlog_append(w, v, 64);
		taken += got;
		if (got < 64)
			break;
	}
	cr_assert_lt(got, 64, "the limit was reached");
	cr_assert_eq(sl_vlog_error(w), -EFBIG);
	sl_vlog_stats(w, &st);
	cr_assert_eq(st.refused, 64 - got);
	cr_assert_gt(st.write_errors, 0);
	cr_assert_lt(sl_vlog_commit(w), 0, "still full");

	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(sl_vlog_commit(w), 0, "space is back");
	cr_assert_eq(sl_vlog_close(w), 0);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.verdicts, taken, "every taken verdict is in the log");
}

/* kill -9 at random moments of a writer: every reopen verifies (cutting
 * at most one torn record), and no record that write() accepted is lost
 * or doubled. */
Test(vlog, kill9_resumes, .timeout = 120)
{
	const char *log = tpath("v.log");
	struct sl_vlog_report r;
	uint64_t before = 0;
	unsigned round;

	for (round = 0; round < 20; round++) {
		int pfd[2], status;
		pid_t pid;
		uint64_t acked = 0, buf;
		ssize_t n;

		cr_assert_eq(pipe(pfd), 0);
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			char err[512];
			struct sl_vlog *w;
			sl_verdict_t v[16];
			struct sl_vlog_stats st;
			unsigned i, k = 0;

			close(pfd[0]);
			w = open_log(log, SL_VLOG_SM3, NULL, 0, err,
				     sizeof(err));
			if (!w)
				_exit(3);
			for (;;) {
				for (i = 0; i < 16; i++)
					make_verdict(&v[i], k++);
				if (sl_vlog_append(w, v, 16) != 16 ||
				    sl_vlog_commit(w) != 0)
					_exit(4);
				/* Tell the parent what write() accepted. */
				sl_vlog_stats(w, &st);
				buf = st.total_verdicts;
				if (write(pfd[1], &buf, sizeof(buf)) < 0)
					_exit(5);
			}
		}
		close(pfd[1]);
		/* Let it run for a random number of commits, then kill. */
		for (unsigned c = 0; c < 1 + (unsigned)rand() % 200; c++) {
			n = read(pfd[0], &buf, sizeof(buf));
			cr_assert_eq(n, (ssize_t)sizeof(buf), "child died");
			acked = buf;
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		while (read(pfd[0], &buf, sizeof(buf)) == sizeof(buf))
			acked = buf;
		close(pfd[0]);

		r = verify_path(log, NULL);
		cr_assert(r.status == SL_VLOG_OK || r.status == SL_VLOG_TORN,
			  "round %u: %s", round, r.what);
		cr_assert_geq(r.verdicts, acked,
			      "round %u: acknowledged verdicts survive", round);
		cr_assert_geq(r.verdicts, before);
		before = r.verdicts;
	}
	/* One more clean open cuts whatever the last kill tore. */
	write_log(log, SL_VLOG_SM3, NULL, 0, 0, 1);
	r = verify_path(log, NULL);
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.resumes, 20);
}

Test(vlog, checkpoint_on_demand_and_by_time)
{
	const char *log = tpath("v.log");
	struct sl_vlog_config c;
	struct sl_vlog_report r;
	struct sl_vlog *w;
	sl_verdict_t v;
	char err[512];

	keygen("SM2", tpath("k.pem"), tpath("k.pub"));
	sl_vlog_config_init(&c);
	c.path = log;
	c.key_path = tpath("k.pem");
	c.checkpoint_records = 0;
	c.checkpoint_ms = 1; /* due at the first tick after 1 ms */
	c.sync = SL_VLOG_SYNC_INTERVAL;
	c.sync_interval_ms = 1;
	w = sl_vlog_open(&c, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	make_verdict(&v, 0);
	cr_assert_eq(sl_vlog_append(w, &v, 1), 1);
	usleep(5000);
	cr_assert_eq(sl_vlog_tick(w), 0);
	make_verdict(&v, 1);
	cr_assert_eq(sl_vlog_append(w, &v, 1), 1);
	cr_assert_eq(sl_vlog_checkpoint(w), 0);
	cr_assert_eq(sl_vlog_close(w), 0);
	r = verify_path(log, tpath("k.pub"));
	cr_assert_eq(r.status, SL_VLOG_OK, "%s", r.what);
	cr_assert_eq(r.checkpoints, 2,
		     "one by time, one on demand, none at "
		     "close (nothing new)");
	cr_assert_eq(r.sigs_verified, 2);
}

static off_t file_size(const char *path)
{
	struct stat sb;

	cr_assert_eq(stat(path, &sb), 0);
	return sb.st_size;
}

/* Records reach the file in groups: nothing before a group is full, the
 * whole group with one write() when it is; a tick flushes a partial group
 * once it is old enough (group_ms) and not before. */
Test(vlog, group_commit)
{
	const char *log = tpath("v.log");
	struct sl_vlog_config c;
	struct sl_vlog_stats st;
	struct sl_vlog *w;
	sl_verdict_t v[4];
	char err[512];
	off_t empty;
	unsigned i;

	sl_vlog_config_init(&c);
	c.path = log;
	c.sync = SL_VLOG_SYNC_NONE;
	c.group_records = 4;
	c.group_ms = 3600 * 1000; /* never during this test */
	c.warn = capture_warn;
	w = sl_vlog_open(&c, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	empty = file_size(log);
	for (i = 0; i < 4; i++)
		make_verdict(&v[i], i);

	cr_assert_eq(sl_vlog_append(w, v, 3), 3);
	cr_assert_eq(sl_vlog_tick(w), 0);
	cr_assert_eq(file_size(log), empty, "3 of 4: still buffered");
	cr_assert_eq(sl_vlog_append(w, v + 3, 1), 1);
	cr_assert_gt(file_size(log), empty, "the 4th completes the group");
	sl_vlog_stats(w, &st);
	cr_assert_eq(st.commits, 2, "the header, then one write for the group");
	cr_assert_eq(st.written_seq, 4);
	cr_assert_eq(st.synced_seq, 0, "fsync none: only the open synced");
	cr_assert_eq(sl_vlog_close(w), 0);

	/* group_ms = 0: every tick flushes what is buffered. */
	c.group_ms = 0;
	w = sl_vlog_open(&c, err, sizeof(err));
	cr_assert_not_null(w, "%s", err);
	empty = file_size(log);
	cr_assert_eq(sl_vlog_append(w, v, 1), 1);
	cr_assert_eq(file_size(log), empty);
	cr_assert_eq(sl_vlog_tick(w), 0);
	cr_assert_gt(file_size(log), empty);
	cr_assert_eq(sl_vlog_close(w), 0);
}

/* --------------------------------------------------------------- config */

struct opt_case {
	char key[24], val[32];
	bool ok;
};

ParameterizedTestParameters(vlog, config_options)
{
	static struct opt_case cases[] = {
	    {"hash", "sm3", true},
	    {"hash", "sha256", true},
	    {"hash", "md5", false},
	    {"fsync", "none", true},
	    {"fsync", "batch", true},
	    {"fsync", "interval:200", true},
	    {"fsync", "interval:2s", true},
	    {"fsync", "interval:0", false},
	    {"fsync", "sometimes", false},
	    {"checkpoint", "10000", true},
	    {"checkpoint", "60s", true},
	    {"checkpoint", "10000,60s", true},
	    {"checkpoint", "lots", false},
	    {"buffer", "1M", true},
	    {"buffer", "12", false},
	    {"key", "/etc/sluice/vlog.pem", true},
	    {"checkpoint_key", "/etc/sluice/vlog.pem", true},
	    {"checkpoint_records", "100000", true},
	    {"checkpoint_ms", "30s", true},
	    {"fsync", "group", true},
	    {"fsync", "always", true},
	    {"fsync", "never", true},
	    {"group_records", "1024", true},
	    {"group_records", "-1", false},
	    {"group_ms", "10", true},
	    {"group_ms", "soon", false},
	    {"colour", "blue", false},
	};

	return cr_make_param_array(struct opt_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct opt_case *p, vlog, config_options)
{
	struct sl_vlog_config c;
	char err[256] = "";
	int rc;

	sl_vlog_config_init(&c);
	rc = sl_vlog_config_set(&c, p->key, p->val, err, sizeof(err));
	cr_assert_eq(rc == 0, p->ok, "%s=%s: %s", p->key, p->val, err);
	if (!p->ok)
		cr_assert(err[0], "a refused option says why");
	if (p->ok && !strcmp(p->val, "always")) {
		cr_assert_eq(c.sync, SL_VLOG_SYNC_BATCH);
		cr_assert_eq(c.group_records, 1, "always: every record");
	}
	if (p->ok && !strcmp(p->val, "never"))
		cr_assert_eq(c.sync, SL_VLOG_SYNC_NONE);
	if (p->ok && !strcmp(p->key, "checkpoint_ms"))
		cr_assert_eq(c.checkpoint_ms, 30000);
	if (p->ok && !strcmp(p->val, "interval:2s"))
		cr_assert_eq(c.sync_interval_ms, 2000);
	if (p->ok && !strcmp(p->val, "10000,60s")) {
		cr_assert_eq(c.checkpoint_records, 10000);
		cr_assert_eq(c.checkpoint_ms, 60000);
	}
}
