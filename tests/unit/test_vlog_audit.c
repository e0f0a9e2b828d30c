/* sluice-audit as an officer and an auditor use it: exit codes, the first
 * bad record named, `why` for one declaration decided several times; and
 * the reference shell verifier (docs/audit.md) agreeing with the code. */
#include "vlog_helpers.h"

#include <stdarg.h>
#include <sys/wait.h>

#define AUDIT SLUICE_BINARY_DIR "/bin/sluice-audit"
#define REFSH SLUICE_SOURCE_DIR "/tools/audit/vlog-verify.sh"

TestSuite(audit, .init = tmp_setup, .fini = tmp_teardown);

static char g_out[1 << 16];

/* Runs a shell command; its stdout into g_out; returns the exit status. */
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(g_out, 1, sizeof(g_out) - 1, p);
	g_out[n] = '\0';
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s did not exit", cmd);
	return WEXITSTATUS(st);
}

/* A signed log in which decl ids 0..19 were decided, then 0..9 again
 * (a re-screening after a restart). */
static const char *signed_log(void)
{
	const char *log = tpath("v.log");

	keygen("SM2", tpath("k.pem"), tpath("k.pub"));
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 8, 0, 20);
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 8, 0, 10);
	return log;
}

Test(audit, help_and_usage)
{
	cr_assert_eq(run(AUDIT " --help"), 0);
	cr_assert(strstr(g_out, "sluice-audit verify LOG"));
	cr_assert_eq(run(AUDIT " frobnicate x 2>/dev/null"), 2);
	cr_assert_eq(run(AUDIT " verify 2>/dev/null"), 2);
	cr_assert_eq(run(AUDIT " verify %s 2>/dev/null", tpath("absent.log")),
		     2);
}

Test(audit, verify_good_log)
{
	const char *log = signed_log();

	cr_assert_eq(run(AUDIT " verify %s --key %s", log, tpath("k.pub")), 0,
		     "%s", g_out);
	cr_assert(strstr(g_out, "verified: "), "%s", g_out);
	cr_assert(strstr(g_out, "30 verdicts"), "%s", g_out);
	cr_assert(strstr(g_out, "signatures: 5 of 5 checkpoints verified"),
		  "%s", g_out);
	/* Without the key it still verifies the chain, and says what it
	 * did not check; --strict refuses that. */
	cr_assert_eq(run(AUDIT " verify %s", log), 0);
	cr_assert(strstr(g_out, "not checked"), "%s", g_out);
	cr_assert_eq(run(AUDIT " verify --strict %s", log), 1);
	cr_assert_eq(
	    run(AUDIT " verify --strict %s -k %s", log, tpath("k.pub")), 0,
	    "%s", g_out);
}

Test(audit, verify_names_first_bad_record)
{
	const char *log = signed_log();
	struct lines ls;

	lines_read(log, &ls);
	strstr(ls.l[6], "TYN")[2] = 'M'; /* line 7, seq 6 */
	strstr(ls.l[14], "TYN")[2] = 'M';
	lines_write(log, &ls);
	lines_free(&ls);
	cr_assert_eq(run(AUDIT " verify %s --key %s", log, tpath("k.pub")), 1);
	cr_assert(strstr(g_out, "v.log:7: seq 6: hash does not match"), "%s",
		  g_out);
	cr_assert(strstr(g_out, "FAILED at line 7"), "%s", g_out);
}

Test(audit, verify_wrong_key)
{
	const char *log = signed_log();

	keygen("SM2", tpath("other.pem"), tpath("other.pub"));
	cr_assert_eq(run(AUDIT " verify %s --key %s", log, tpath("other.pub")),
		     1);
	cr_assert(strstr(g_out, "not among the keys given"), "%s", g_out);
}

Test(audit, verify_truncated)
{
	const char *log = signed_log();
	struct lines ls;
	size_t i;

	lines_read(log, &ls); /* cut inside line 6 */
	free(ls.tail);
	ls.tail = strndup(ls.l[5], 10);
	for (i = 5; i < ls.n; i++)
		free(ls.l[i]);
	ls.n = 5;
	lines_write(log, &ls);
	lines_free(&ls);
	cr_assert_eq(run(AUDIT " verify %s", log), 1);
	cr_assert(strstr(g_out, "incomplete record"), "%s", g_out);
}

Test(audit, why_prints_every_decision_in_order)
{
	const char *log = signed_log();
	const char *first, *second;

	/* Verdict 3 is a seizure with two rules; decided twice. */
	cr_assert_eq(run(AUDIT " why TYN2026112900000003 %s --key %s", log,
			 tpath("k.pub")),
		     0, "%s", g_out);
	cr_assert(strstr(g_out, "TYN2026112900000003: 2 decisions"), "%s",
		  g_out);
	first = strstr(g_out, "[1] seize (CEB returnStatus 501)");
	second = strstr(g_out, "[2] seize");
	cr_assert(first && second && first < second, "%s", g_out);
	cr_assert(strstr(g_out, "RISK.UNDERVALUED"), "%s", g_out);
	cr_assert(strstr(g_out, "items[0].price"), "%s", g_out);
	cr_assert(strstr(g_out, "+40 points"), "%s", g_out);
	cr_assert(strstr(g_out, "PROHIBITED.ENDANGERED.IVORY"), "%s", g_out);
	cr_assert(strstr(g_out, "forces seize"), "%s", g_out);
	cr_assert(strstr(g_out, "rule set:     a1b2c3d4e5f60718"), "%s", g_out);
	cr_assert(strstr(g_out, "registry:     0f1e2d3c4b5a6978"), "%s", g_out);
	cr_assert(strstr(g_out, "signature verified"), "%s", g_out);
	cr_assert(strstr(g_out, "log line 5, seq 4"), "%s", g_out);

	/* A reject names its error. */
	cr_assert_eq(run(AUDIT " why TYN2026112900000004 %s", log), 0);
	cr_assert(strstr(g_out, "error:        BAD_USCC in ebc.code: check "
				"character is 4, expected 3"),
		  "%s", g_out);
	cr_assert(strstr(g_out, "signature not checked"), "%s", g_out);
}

Test(audit, why_json)
{
	const char *log = signed_log();
	cJSON *o, *d, *v;

	cr_assert_eq(run(AUDIT " why --json TYN2026112900000002 %s", log), 0);
	o = cJSON_Parse(g_out);
	cr_assert_not_null(o, "not JSON: %s", g_out);
	d = cJSON_GetObjectItem(o, "decisions");
	cr_assert_eq(cJSON_GetArraySize(d), 2);
	cr_assert_str_eq(cJSON_GetObjectItem(o, "log_status")->valuestring,
			 "ok");
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(d, 0), "verdict");
	cr_assert_str_eq(cJSON_GetObjectItem(v, "verdict")->valuestring,
			 "inspect");
	cr_assert_eq(cJSON_GetObjectItem(v, "status")->valueint, 500);
	cr_assert_null(cJSON_GetObjectItem(v, "h"), "chain fields stay out");
	cr_assert_null(cJSON_GetObjectItem(v, "seq"));
	cr_assert(cJSON_IsTrue(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(d, 1), "verified")));
	cJSON_Delete(o);
}

Test(audit, why_not_found_and_untrusted)
{
	const char *log = signed_log();
	struct lines ls;

	cr_assert_eq(run(AUDIT " why NOPE %s", log), 1);
	cr_assert(strstr(g_out, "no decision for declaration NOPE"), "%s",
		  g_out);

	lines_read(log, &ls);
	strstr(ls.l[2], "\"score\":")[8] = '7'; /* an edit before it */
	lines_write(log, &ls);
	lines_free(&ls);
	cr_assert_eq(run(AUDIT " why TYN2026112900000009 %s", log), 3);
	cr_assert(strstr(g_out, "WARNING: this log fails verification at "
				"line 3"),
		  "%s", g_out);
	cr_assert(strstr(g_out, "NOT VERIFIED"), "%s", g_out);
}

/* sluice-feedback reads a verdict log as it reads `sluice screen` output:
 * the log's own records are skipped, the last verdict per decl_id wins. */
Test(audit, feedback_reads_the_log)
{
	const char *log = signed_log();
	FILE *f = fopen(tpath("outcomes.csv"), "w");
	cJSON *o;

	fputs("decl_id,outcome\nTYN2026112900000003,found\n", f);
	fclose(f);
	cr_assert_eq(run(SLUICE_BINARY_DIR "/bin/sluice-feedback --json -q -i "
					   "%s %s",
			 tpath("outcomes.csv"), log),
		     0, "%s", g_out);
	o = cJSON_Parse(g_out);
	cr_assert_not_null(o, "%s", g_out);
	cJSON_Delete(o);
	cr_assert(strstr(g_out, "PROHIBITED.ENDANGERED.IVORY"), "%s", g_out);
}

/* The shell verifier written from the document alone agrees with the
 * code, on a good log and on a tampered one, for both hashes. */
Test(audit, reference_verifier_agrees, .timeout = 120)
{
	const char *log = tpath("v.log");
	struct lines ls;

	keygen("SM2", tpath("k.pem"), tpath("k.pub"));
	write_log(log, SL_VLOG_SM3, tpath("k.pem"), 5, 0, 12);
	cr_assert_eq(run("bash " REFSH " %s %s", log, tpath("k.pub")), 0, "%s",
		     g_out);
	cr_assert(strstr(g_out, "12 verdicts"), "%s", g_out);

	keygen("ED25519", tpath("e.pem"), tpath("e.pub"));
	write_log(tpath("s.log"), SL_VLOG_SHA256, tpath("e.pem"), 5, 0, 7);
	cr_assert_eq(
	    run("bash " REFSH " %s %s", tpath("s.log"), tpath("e.pub")), 0,
	    "%s", g_out);

	lines_read(log, &ls);
	strstr(ls.l[4], "TYN")[0] = 'X';
	lines_write(log, &ls);
	lines_free(&ls);
	cr_assert_eq(run("bash " REFSH " %s", log), 1);
	cr_assert(strstr(g_out, "v.log:5: hash mismatch"), "%s", g_out);
}
