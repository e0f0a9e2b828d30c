/* libFuzzer: the verdict-log reader (docs/audit.md), on any bytes.
 *
 *   - sl_vlog_verify_fd, with and without keep_going, checking
 *     signatures against the key below (the seeds are signed with it), its
 *     visitor handing every verified verdict line to what the engines
 *     build from a log at start: sl_verdict_from_json and the set of
 *     recent verdicts (sl_replay: strip the chain fields, parse, encode,
 *     index, take);
 *   - for one input size in four, the writer's open of the same bytes as
 *     an existing log (verify, cut a torn tail, write a resume record)
 *     and close; what it leaves must then verify, whole: the writer
 *     never turns a log it accepted into one that fails.
 *
 * The report must be consistent with itself whatever the input: offsets
 * inside the file, counts that add up.  A test key, not a secret. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sluice/replay.h>
#include <sluice/verdict.h>
#include <sluice/vlog.h>

static const char test_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIOZoazFc0ABTrU8ddEZctlQVhQM1LuUg2uDLWAdqVXZ9\n"
    "-----END PRIVATE KEY-----\n";

static struct sl_vlog_keyring *keys;
static char key_path[64];
static sl_verdict_t v;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	struct sl_replay *rp;
	uint64_t lines, verified;
	char ids[4][SL_DECL_ID_MAX + 1];
};

static int visit(void *ctx, const struct sl_vlog_rec *rec)
{
	struct seen *s = ctx;

	s->lines++;
	if (rec->lineno != s->lines)
		__builtin_trap(); /* lines come in order, each once */
	if (rec->len > SL_VLOG_LINE_MAX)
		__builtin_trap();
	if (!rec->verified)
		return 0;
	s->verified++;
	if (rec->kind != SL_VLOG_REC_VERDICT)
		return 0;
	/* What the engines do with a logged verdict line. */
	if (sl_verdict_from_json(rec->line, rec->len, &v) == 0 && v.has_decl_id)
		memcpy(s->ids[s->verified & 3], v.decl_id, sizeof(s->ids[0]));
	return sl_replay_visit(s->rp, rec) < 0 ? -ENOMEM : 0;
}

static void init(void)
{
	char err[256];
	int fd;

	keys = sl_vlog_keyring_new();
	snprintf(key_path, sizeof(key_path), "/tmp/fuzz_vlog_key_%d.pem",
		 (int)getpid());
	fd = open(key_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!keys || fd < 0 ||
	    write(fd, test_key, sizeof(test_key) - 1) !=
		(ssize_t)(sizeof(test_key) - 1))
		abort();
	close(fd);
	if (sl_vlog_keyring_add_file(keys, key_path, err, sizeof(err)) < 0)
		abort();
}

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_vlog", 0);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void check_report(const struct sl_vlog_report *r)
{
	if (r->good_end < 0 || r->good_end > r->file_size ||
	    r->verdicts + r->checkpoints + r->resumes > r->records ||
	    r->records > r->lines || r->sigs_verified > r->checkpoints ||
	    !memchr(r->what, '\0', sizeof(r->what)))
		__builtin_trap();
	if (r->status == SL_VLOG_OK &&
	    (r->records != r->lines || r->good_end != r->file_size))
		__builtin_trap();
	if (r->status == SL_VLOG_BAD && (!r->bad_line || !r->what[0]))
		__builtin_trap();
}

/* The writer's view: open the bytes as an existing log, close, and the
 * result must verify whole. */
static void writer_round_trip(int fd, const struct sl_vlog_report *first)
{
	struct sl_vlog_config c;
	struct sl_vlog_report r;
	struct sl_vlog *log;
	char path[64], err[512];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	sl_vlog_config_init(&c);
	c.path = path;
	c.key_path = key_path;
	c.sync = SL_VLOG_SYNC_NONE;
	c.warn = NULL;
	c.hash = first->hash;
	log = sl_vlog_open(&c, err, sizeof(err));
	if (!log) {
		/* Refused: only a log that does not verify (or a file that
		 * is not one) may be. */
		if (first->status == SL_VLOG_OK && first->records)
			__builtin_trap();
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			__builtin_trap();
		return;
	}
	if (sl_vlog_close(log) < 0)
		return; /* an I/O error on a memfd: not the reader's fault */
	lseek(fd, 0, SEEK_SET);
	if (sl_vlog_verify_fd(fd,
			      &(struct sl_vlog_verify_opts){
				  .keys = keys, .unknown_key_ok = true},
			      &r) != 0 ||
	    r.status != SL_VLOG_OK || r.resumes < first->resumes)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_replay_answer a;
	struct sl_vlog_report r;
	struct seen s = {0};
	/* Options from the size, not the bytes: a log always starts with
	 * '{' and ends with '\n', and every option must meet valid logs. */
	uint8_t mode = (uint8_t)((size * 0x9e37u) >> 4);
	int fd, rc;
	unsigned i;

	if (!keys)
		init();
	s.rp = sl_replay_new(8, SL_REPLAY_JSON | SL_REPLAY_MSGPACK);
	if (!s.rp)
		abort();
	fd = memfd_with(data, size);
	rc = sl_vlog_verify_fd(
	    fd,
	    &(struct sl_vlog_verify_opts){.keys = keys,
					  .unknown_key_ok = mode & 1,
					  .keep_going = mode & 2,
					  .visit = visit,
					  .ctx = &s},
	    &r);
	if (rc < 0 && rc != -ENOMEM)
		__builtin_trap(); /* a memfd reads */
	if (rc == 0) {
		check_report(&r);
		/* Every line is visited, except the bad one a scan without
		 * keep_going stops at. */
		if (s.lines + (r.status == SL_VLOG_BAD && !(mode & 2)) !=
			r.lines ||
		    s.verified != r.records)
			__builtin_trap();
	}
	if (sl_replay_seal(s.rp) == 0) {
		for (i = 0; i < 4; i++)
			if (s.ids[i][0])
				(void)sl_replay_take(
				    s.rp, s.ids[i], strlen(s.ids[i]),
				    i & 1 ? SL_REPLAY_JSON : SL_REPLAY_MSGPACK,
				    &a);
	}
	sl_replay_free(s.rp);
	if (rc == 0 && (mode & 0xc) == 0xc)
		writer_round_trip(fd, &r);
	close(fd);
	return 0;
}
