/* sluice — the control thread: signals, idle detection, reloads and the
 * control socket (control plane).
 *
 * Signal handlers only bump counters (Suricata's rule); this thread acts
 * on them.  The control socket speaks one request per connection: the
 * client writes one line (a command word and optional arguments), the
 * engine answers one JSON object on one line and closes.  Commands are
 * documented in docs/engine.md; unknown commands get {"ok":false,...}, so
 * clients can probe for newer ones.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <urcu-qsbr.h>

#include <sluice/state.h>

#include "engine.h"
#include "metrics.h"

static volatile sig_atomic_t sig_quit;
static volatile sig_atomic_t sig_hup;

static void on_quit(int sig)
{
	(void)sig;
	sig_quit++;
}

static void on_hup(int sig)
{
	(void)sig;
	sig_hup++;
}

void sl_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sluice run: control socket path too long\n");
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path); /* a stale socket from a killed engine */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		int rc = -errno;

		fprintf(stderr, "sluice run: control socket %s: %s\n", path,
			strerror(errno));
		close(fd);
		return rc;
	}
	chmod(path, 0600);
	return fd;
}

static void do_reload(struct sl_engine *e, const char *origin, cJSON *reply)
{
	char why[512] = "";
	int rc = sl_reload(e, why, sizeof(why));

	pthread_mutex_lock(&e->reload_lock);
	if (rc == 0)
		fprintf(stderr,
			"sluice run: reload (%s): bundle %s, registry %s, "
			"generation %llu, %.1f ms\n",
			origin, e->rl.bundle_id[0] ? e->rl.bundle_id : "(none)",
			e->rl.registry_id[0] ? e->rl.registry_id : "(none)",
			(unsigned long long)e->rl.generation, e->rl.last_ms);
	else
		fprintf(stderr,
			"sluice run: reload (%s) failed, keeping bundle %s: "
			"%s\n",
			origin, e->rl.bundle_id[0] ? e->rl.bundle_id : "(none)",
			why);
	if (reply) {
		cJSON_AddBoolToObject(reply, "ok", rc == 0);
		if (rc)
			cJSON_AddStringToObject(reply, "error", why);
		cJSON_AddStringToObject(reply, "bundle", e->rl.bundle_id);
		cJSON_AddStringToObject(reply, "registry", e->rl.registry_id);
		cJSON_AddNumberToObject(reply, "generation",
					(double)e->rl.generation);
	}
	pthread_mutex_unlock(&e->reload_lock);
}

static const char *const help_text =
    "commands: stats | reload | ids | drain | resume | top [MINUTES] [N] | "
    "reopen | shutdown | help";

/* Reads one request line (1 s timeout), answers, closes. */
static void ctl_serve(struct sl_engine *e, int cfd)
{
	struct timeval tv = {1, 0};
	char req[1024];
	size_t n = 0;
	ssize_t r;
	cJSON *reply = NULL;
	char *out, *cmd, *save;

	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (n < sizeof(req) - 1) {
		r = read(cfd, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = '\0';
	cmd = strtok_r(req, " \t\r\n", &save);
	if (!cmd)
		cmd = "";

	if (!strcmp(cmd, "stats")) {
		reply = sl_stats_json(e);
	} else if (!strcmp(cmd, "reload")) {
		reply = cJSON_CreateObject();
		do_reload(e, "control socket", reply);
	} else if (!strcmp(cmd, "ids")) {
		reply = cJSON_CreateObject();
		pthread_mutex_lock(&e->reload_lock);
		cJSON_AddBoolToObject(reply, "ok", 1);
		cJSON_AddStringToObject(reply, "bundle", e->rl.bundle_id);
		cJSON_AddStringToObject(reply, "registry", e->rl.registry_id);
		cJSON_AddNumberToObject(reply, "generation",
					(double)e->rl.generation);
		pthread_mutex_unlock(&e->reload_lock);
	} else if (!strcmp(cmd, "shutdown")) {
		reply = cJSON_CreateObject();
		cJSON_AddBoolToObject(reply, "ok", 1);
		e->quit = 1;
	} else if ((reply = sl_obs_command(e, cmd, &save)) != NULL) {
		/* drain, resume, top: metrics.c */
	} else if (!strcmp(cmd, "help")) {
		reply = cJSON_CreateObject();
		cJSON_AddBoolToObject(reply, "ok", 1);
		cJSON_AddStringToObject(reply, "help", help_text);
	} else {
		reply = cJSON_CreateObject();
		cJSON_AddBoolToObject(reply, "ok", 0);
		cJSON_AddStringToObject(reply, "error", "unknown command");
		cJSON_AddStringToObject(reply, "help", help_text);
	}
	out = reply ? cJSON_PrintUnformatted(reply) : NULL;
	if (out) {
		size_t len = strlen(out), off = 0;

		out[len] = '\n'; /* replaces the NUL; length is known */
		while (off < len + 1) {
			r = write(cfd, out + off, len + 1 - off);
			if (r <= 0)
				break;
			off += (size_t)r;
		}
		out[len] = '\0';
		free(out);
	}
	cJSON_Delete(reply);
	close(cfd);
}

static uint64_t rx_total(struct sl_engine *e)
{
	struct sl_counters c;
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < e->n_workers; i++) {
		sl_worker_read(&e->workers[i], &c);
		n += c.rx_frames;
	}
	return n;
}

/* The log thread started a new state WAL: fold the closed ones into a
 * snapshot, off the log thread (docs/state.md, "Compaction").  The walk
 * that expires live entries needs a registered QSBR reader, which this
 * thread is only meanwhile, so that reloads' grace periods never wait
 * for it. */
static void compact_state(struct sl_engine *e)
{
	uint64_t req = __atomic_load_n(&e->compact_req, __ATOMIC_ACQUIRE);
	int rc;

	if (req == e->compact_done || !e->state)
		return;
	rcu_register_thread();
	rc = sl_state_compact(e->state);
	rcu_unregister_thread();
	if (rc < 0)
		fprintf(stderr,
			"sluice run: state compaction failed (%s); the WALs "
			"stay and the next one retries\n",
			strerror(-rc));
	e->compact_done = req;
}

static void *ctl_main(void *arg)
{
	struct sl_engine *e = arg;
	sig_atomic_t hup_seen = sig_hup;
	uint64_t last_rx = 0, hz = rte_get_timer_hz();
	uint64_t last_change = rte_get_timer_cycles();
	struct pollfd pfd[2];

	while (!e->ctl_quit) {
		/* poll ignores a negative fd: no socket, no metrics. */
		pfd[0] = (struct pollfd){.fd = e->ctl_fd, .events = POLLIN};
		pfd[1] =
		    (struct pollfd){.fd = sl_metrics_fd(e), .events = POLLIN};
		if (poll(pfd, 2, 20) > 0 && (pfd[0].revents & POLLIN)) {
			int cfd = accept4(e->ctl_fd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0)
				ctl_serve(e, cfd);
		}
		sl_obs_tick(e); /* metrics requests, drain progress */
		if (sig_quit && !e->quit) {
			fprintf(stderr, "sluice run: signal: stopping\n");
			e->quit = 1;
		}
		if (sig_hup != hup_seen) {
			hup_seen = sig_hup;
			do_reload(e, "SIGHUP", NULL);
		}
		compact_state(e);
		if (e->opt.until_idle_ms >= 0 && !e->quit) {
			uint64_t rx = rx_total(e), now = rte_get_timer_cycles();

			if (rx != last_rx) {
				last_rx = rx;
				last_change = now;
			} else if ((now - last_change) * 1000 / hz >=
				   (uint64_t)e->opt.until_idle_ms) {
				e->quit = 1;
			}
		}
	}
	return NULL;
}

int sl_ctl_start(struct sl_engine *e)
{
	int rc;

	e->ctl_fd = -1;
	if (e->opt.ctl_path && e->opt.ctl_path[0]) {
		e->ctl_fd = ctl_listen(e->opt.ctl_path);
		if (e->ctl_fd < 0)
			return e->ctl_fd;
	}
	rc =
	    rte_ctrl_thread_create(&e->ctl_thread, "sl-ctl", NULL, ctl_main, e);
	if (rc != 0) {
		if (e->ctl_fd >= 0)
			close(e->ctl_fd);
		e->ctl_fd = -1;
		return -rc;
	}
	e->ctl_started = true;
	return 0;
}

void sl_ctl_stop(struct sl_engine *e)
{
	if (!e->ctl_started)
		return;
	e->ctl_quit = 1;
	pthread_join(e->ctl_thread, NULL);
	e->ctl_started = false;
	if (e->ctl_fd >= 0) {
		close(e->ctl_fd);
		if (e->opt.ctl_path)
			unlink(e->opt.ctl_path);
	}
	e->ctl_fd = -1;
}
