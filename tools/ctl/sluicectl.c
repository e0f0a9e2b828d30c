/* sluicectl — control a running `sluice run` (docs/engine.md).
 *
 * One request per connection: writes the command line, prints the JSON
 * reply.  Exit 0 when the engine answered {"ok":true,...}, 1 when it
 * answered ok:false, 2 on a usage or connection error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define DEF_PATH "/run/sluice/sluice.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluicectl [-s SOCKET] [-p] COMMAND [ARGS...]\n"
		"\n"
		"commands (answered by the engine as one JSON object):\n"
		"  stats     per-worker and total counters, ports, log, the "
		"accounting\n"
		"            identity (declarations in = verdicts + "
		"quarantined)\n"
		"  reload    rebuild bundle and registry from their files and "
		"swap them in;\n"
		"            a failed load keeps the old ones and says why\n"
		"  ids       the live bundle and registry ids\n"
		"  shutdown  stop: drain, flush the log and state, print "
		"totals\n"
		"  help      the commands this engine knows\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH  control socket (default $SLUICE_CTL or "
		"%s)\n"
		"  -p, --pretty       indent the JSON\n"
		"  -h, --help         this text\n"
		"\n"
		"Exit status: 0 ok, 1 the engine said no, 2 usage or "
		"connection error.\n",
		DEF_PATH);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"pretty", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *path = getenv("SLUICE_CTL");
	struct sockaddr_un sa;
	char req[1024], *buf = NULL;
	size_t len = 0, cap = 0, off;
	int c, fd, pretty = 0, i, rc;
	ssize_t r;
	cJSON *reply, *ok;

	if (!path || !*path)
		path = DEF_PATH;
	while ((c = getopt_long(argc, argv, "+s:ph", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'p':
			pretty = 1;
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

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sluicectl: socket path too long\n");
		return 2;
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
		return 2;
	}
	if (write(fd, req, off) != (ssize_t)off) {
		fprintf(stderr, "sluicectl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 2;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb) {
				fprintf(stderr, "sluicectl: out of memory\n");
				return 2;
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
		return 2;
	}
	buf[len] = '\0';
	reply = cJSON_Parse(buf);
	if (!reply) {
		fprintf(stderr, "sluicectl: reply is not JSON: %s\n", buf);
		free(buf);
		return 2;
	}
	ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
	rc = cJSON_IsTrue(ok) ? 0 : 1;
	if (pretty) {
		char *s = cJSON_Print(reply);

		puts(s ? s : buf);
		free(s);
	} else {
		fputs(buf, stdout);
		if (buf[len - 1] != '\n')
			putchar('\n');
	}
	cJSON_Delete(reply);
	free(buf);
	return rc;
}
