/* sluicectl — control a running `sluice run` (docs/engine.md, "Control
 * socket"; docs/operations.md).
 *
 * One request per connection: writes the command line, reads the JSON
 * reply.  Most commands print the reply as it is; `drain` repeats its
 * request until the engine says it is drained (or the timeout passes),
 * and `top` prints a table.  Exit 0 when the engine answered
 * {"ok":true,...} (and, for drain, is drained), 1 when it answered
 * ok:false or a drain timed out, 2 on a usage or connection error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define DEF_PATH "/run/sluice/sluice.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluicectl [-s SOCKET] [-p] [-j] [-t MS] COMMAND "
		"[ARGS...]\n"
		"\n"
		"commands (answered by the engine as one JSON object):\n"
		"  stats     per-worker and total counters, ports, log, the "
		"accounting\n"
		"            identity (declarations in = verdicts + "
		"quarantined)\n"
		"  ids       the live bundle and registry ids\n"
		"  reload    rebuild bundle and registry from their files and "
		"swap them in;\n"
		"            a failed load keeps the old ones and says why\n"
		"  top [MINUTES [N]]\n"
		"            the N rules (default 10) named in the most "
		"verdicts over the\n"
		"            last MINUTES minutes (default 15, at most 60), "
		"as a table\n"
		"  drain     stop taking input, send and log every verdict "
		"taken, flush the\n"
		"            log and the state; waits until the engine is "
		"drained\n"
		"  resume    take input again after a drain\n"
		"  reopen    close the quarantine file and open its path "
		"again (after\n"
		"            logrotate moved it away)\n"
		"  shutdown  stop: drain, flush the log and state, print "
		"totals, exit\n"
		"  help      the commands this engine knows\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH  control socket (default $SLUICE_CTL or "
		"%s)\n"
		"  -p, --pretty       indent the JSON\n"
		"  -j, --json         top: print the engine's JSON instead of "
		"a table\n"
		"  -t, --timeout MS   drain: wait at most MS (default: the "
		"engine's\n"
		"                     --drain-timeout, 30000)\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 ok, 1 the engine said no (or a drain timed "
		"out), 2 usage\n"
		"or connection error.\n",
		DEF_PATH);
}

/* Sends one command line and returns the parsed reply, or NULL after a
 * message on stderr.  The caller frees it with cJSON_Delete. */
static cJSON *request(const char *path, const char *line)
{
	struct sockaddr_un sa;
	char *buf = NULL;
	size_t len = 0, cap = 0, n = strlen(line);
	ssize_t r;
	cJSON *reply;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sluicectl: socket path too long\n");
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr,
			"sluicectl: %s: %s (is `sluice run` running "
			"with this --ctl?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (write(fd, line, n) != (ssize_t)n) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb) {
				fprintf(stderr, "sluicectl: out of memory\n");
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf || len == 0) {
		fprintf(stderr, "sluicectl: %s: no reply\n", path);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	reply = cJSON_Parse(buf);
	if (!reply)
		fprintf(stderr, "sluicectl: reply is not JSON: %s\n", buf);
	free(buf);
	return reply;
}

static bool is_ok(const cJSON *reply)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"));
}

static void print_json(const cJSON *reply, bool pretty)
{
	char *s = pretty ? cJSON_Print(reply) : cJSON_PrintUnformatted(reply);

	if (s)
		puts(s);
	free(s);
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

/* `drain`: asks, then asks again (the engine's drain is idempotent) until
 * it answers drained:true or timeout_ms passes.  timeout_ms < 0: the
 * engine's own --drain-timeout. */
static int drain(const char *path, long timeout_ms, bool pretty)
{
	struct timespec t0, now, nap = {0, 50 * 1000 * 1000};
	cJSON *reply = NULL;
	double waited;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		cJSON_Delete(reply);
		reply = request(path, "drain\n");
		if (!reply)
			return 2;
		if (!is_ok(reply)) {
			print_json(reply, pretty);
			cJSON_Delete(reply);
			return 1;
		}
		if (timeout_ms < 0)
			timeout_ms = (long)num(reply, "timeout_ms");
		if (cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(reply, "drained")))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) * 1e3 +
			 (double)(now.tv_nsec - t0.tv_nsec) / 1e6;
		if (waited >= (double)timeout_ms) {
			print_json(reply, pretty);
			fprintf(stderr,
				"sluicectl: not drained after %ld ms "
				"(%g of %g workers stopped, %g log entries "
				"waiting); the engine stays in drain: "
				"`sluicectl resume` to take input again\n",
				timeout_ms, num(reply, "workers_stopped"),
				num(reply, "workers"),
				num(reply, "log_ring_used"));
			cJSON_Delete(reply);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
	print_json(reply, pretty);
	cJSON_Delete(reply);
	return 0;
}

/* `top`: the engine's ranking as a table. */
static int top(const char *path, int argc, char **argv, bool json, bool pretty)
{
	char line[128];
	const cJSON *rules, *r;
	cJSON *reply;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "sluicectl: top takes [MINUTES [N]]\n");
		return 2;
	}
	snprintf(line, sizeof(line), "top %s %s\n", argc > 0 ? argv[0] : "15",
		 argc > 1 ? argv[1] : "10");
	reply = request(path, line);
	if (!reply)
		return 2;
	rc = is_ok(reply) ? 0 : 1;
	if (json || rc) {
		print_json(reply, pretty);
		cJSON_Delete(reply);
		return rc;
	}
	printf("last %g min: %g verdicts\n", num(reply, "minutes"),
	       num(reply, "verdicts"));
	printf("%-40s %10s %8s\n", "RULE", "HITS", "SHARE");
	rules = cJSON_GetObjectItemCaseSensitive(reply, "rules");
	cJSON_ArrayForEach (r, rules) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "rule");

		printf("%-40s %10.0f %7.2f%%\n",
		       cJSON_IsString(name) ? name->valuestring : "?",
		       num(r, "hits"), 100.0 * num(r, "share"));
	}
	cJSON_Delete(reply);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"pretty", no_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *path = getenv("SLUICE_CTL");
	char req[1024], *end;
	size_t off;
	bool pretty = false, json = false;
	long timeout_ms = -1;
	int c, i, rc;
	cJSON *reply;

	if (!path || !*path)
		path = DEF_PATH;
	while ((c = getopt_long(argc, argv, "+s:pjt:h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'p':
			pretty = true;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			errno = 0;
			timeout_ms = strtol(optarg, &end, 10);
			if (errno || *end || timeout_ms < 1) {
				fprintf(stderr,
					"sluicectl: --timeout takes a number "
					"of milliseconds, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "drain")) {
		if (optind + 1 != argc) {
			fprintf(stderr, "sluicectl: drain takes no "
					"arguments\n");
			return 2;
		}
		return drain(path, timeout_ms, pretty);
	}
	if (!strcmp(argv[optind], "top"))
		return top(path, argc - optind - 1, argv + optind + 1, json,
			   pretty);

	/* Any other command: pass it on as it is, print the reply. */
	req[0] = '\0';
	for (i = optind, off = 0; i < argc; i++) {
		int n = snprintf(req + off, sizeof(req) - off, "%s%s",
				 i > optind ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(req) - off - 1) {
			fprintf(stderr, "sluicectl: command too long\n");
			return 2;
		}
		off += (size_t)n;
	}
	req[off++] = '\n';
	req[off] = '\0';
	reply = request(path, req);
	if (!reply)
		return 2;
	rc = is_ok(reply) ? 0 : 1;
	print_json(reply, pretty);
	cJSON_Delete(reply);
	return rc;
}
