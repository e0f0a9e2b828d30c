/* sluice — loading the engine's configuration file (include/sluice/config.h).
 *
 * libfyaml builds the document; a table of keys (name, type, place in
 * struct sl_config, range) drives the walk, so a key is added in one line
 * and every error names FILE:LINE:COL of the offending key or value.
 *
 * Plane: control plane, at start.  Allocates the config and libfyaml's
 * document; both are freed before return except the config.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include <sluice/config.h>
#include <sluice/vlog.h>
#include <sluice/wire.h>

/* ------------------------------------------------------------- keys */

enum ktype {
	K_STR,	/* string, fits the field */
	K_PATH, /* string; relative = relative to the file's directory */
	K_U32,	/* unsigned integer in [min, max] */
	K_I32,	/* signed integer in [min, max] */
};

struct key {
	const char *name; /* dotted path: "queues.rx_desc" */
	enum ktype type;
	size_t off;  /* offset in the struct the table describes */
	size_t size; /* bytes of a string field */
	int64_t min, max;
};

#define STR(n, f)                                                              \
	{                                                                      \
		n, K_STR, offsetof(struct sl_config, f),                       \
		    sizeof(((struct sl_config *)0)->f), 0, 0                   \
	}
#define PATH(n, f)                                                             \
	{                                                                      \
		n, K_PATH, offsetof(struct sl_config, f),                      \
		    sizeof(((struct sl_config *)0)->f), 0, 0                   \
	}
#define U32(n, f, lo, hi)                                                      \
	{                                                                      \
		n, K_U32, offsetof(struct sl_config, f), 4, lo, hi             \
	}
#define I32(n, f, lo, hi)                                                      \
	{                                                                      \
		n, K_I32, offsetof(struct sl_config, f), 4, lo, hi             \
	}
static const struct key top_keys[] = {
    STR("eal.lcores", eal_lcores),
    I32("eal.main_lcore", eal_main_lcore, -1, 1023),
    STR("eal.socket_mem", eal_socket_mem),
    PATH("eal.huge_dir", eal_huge_dir),
    STR("eal.file_prefix", eal_file_prefix),
    U32("queues.rx_desc", rx_desc, 32, 16384),
    U32("queues.tx_desc", tx_desc, 32, 16384),
    U32("queues.log_ring", log_ring, 64, 1 << 20),
    U32("udp_port", udp_port, 1, 65535),
    STR("ip", ip),
    PATH("rules.bundle", bundle),
    PATH("rules.registry", registry),
    PATH("state.dir", state_dir),
    PATH("verdict_log.path", verdict_log),
    PATH("quarantine.path", quarantine),
    PATH("control.socket", ctl_socket),
    U32("control.drain_timeout_ms", drain_timeout_ms, 1, 3600 * 1000),
    STR("metrics.listen", metrics_listen),
};

#define PSTR(n, f)                                                             \
	{                                                                      \
		n, K_STR, offsetof(struct sl_config_port, f),                  \
		    sizeof(((struct sl_config_port *)0)->f), 0, 0              \
	}
static const struct key port_keys[] = {
    PSTR("pci", pci),
    PSTR("vdev", vdev),
};

#define N_TOP  (sizeof(top_keys) / sizeof(top_keys[0]))
#define N_PORT (sizeof(port_keys) / sizeof(port_keys[0]))

void sl_config_defaults(struct sl_config *c)
{
	/* The same defaults `sluice run` has without --config. */
	memset(c, 0, sizeof(*c));
	c->eal_main_lcore = -1;
	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->log_ring = 4096;
	c->udp_port = SL_WIRE_PORT;
	snprintf(c->ctl_socket, sizeof(c->ctl_socket),
		 "/run/sluice/sluice.sock");
	c->drain_timeout_ms = 30000;
}

/* ---------------------------------------------------------- loading */

struct ctx {
	struct sl_config *c;
	const char *file;
	char dir[SL_CONFIG_PATH_MAX]; /* the file's directory, with '/' */
	char *err;
	size_t errlen;
	int line[N_TOP]; /* where each top key was set (1-based), 0 = not */
	int col[N_TOP];
	int port_line[SL_CONFIG_PORTS_MAX]; /* first key of each port */
	int port_col[SL_CONFIG_PORTS_MAX];
	int ports_line, ports_col;
};

static void at(struct ctx *x, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "FILE:LINE:COL: error: MESSAGE" (once: the first error wins). */
static void at(struct ctx *x, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!x->err || !x->errlen || x->err[0])
		return;
	n = snprintf(x->err, x->errlen, "%s:%d:%d: error: ", x->file, line,
		     col);
	if (n < 0 || (size_t)n >= x->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* 1-based line and column where node starts. */
static void mark(struct fy_node *n, int *line, int *col)
{
	struct fy_token *t = NULL;
	const struct fy_mark *m;

	*line = 1;
	*col = 1;
	if (!n)
		return;
	if (fy_node_is_scalar(n))
		t = fy_node_get_scalar_token(n);
	if (!t)
		return;
	m = fy_token_start_mark(t);
	if (m) {
		*line = m->line + 1;
		*col = m->column + 1;
	}
}

static void node_err(struct ctx *x, struct fy_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void node_err(struct ctx *x, struct fy_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int line, col;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mark(n, &line, &col);
	at(x, line, col, "%s", msg);
}

/* A scalar's text as a NUL-terminated copy in buf; -1 if it is not a
 * scalar or does not fit. */
static int scalar(struct ctx *x, struct fy_node *kn, struct fy_node *v,
		  const char *name, char *buf, size_t cap)
{
	const char *s;
	size_t n;

	/* Collections carry no token to locate them by: name the key. */
	if (!fy_node_is_scalar(v)) {
		node_err(x, kn ? kn : v,
			 "%s: expected a single value, not a %s", name,
			 fy_node_is_mapping(v) ? "mapping" : "list");
		return -1;
	}
	s = fy_node_get_scalar(v, &n);
	if (!s)
		s = "", n = 0;
	if (n >= cap) {
		node_err(x, v, "%s: value longer than %zu bytes", name,
			 cap - 1);
		return -1;
	}
	if (memchr(s, '\0', n)) {
		node_err(x, v, "%s: value contains a NUL byte", name);
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static int set_value(struct ctx *x, const struct key *k, void *base,
		     struct fy_node *kn, struct fy_node *v)
{
	char buf[SL_CONFIG_PATH_MAX * 2];
	char *end;
	long long ll;
	char *dst = (char *)base + k->off;

	if (!v) { /* "key:" with nothing: an empty string, or an error */
		if (k->type == K_STR || k->type == K_PATH) {
			dst[0] = '\0';
			return 0;
		}
		node_err(x, kn, "%s: needs a value", k->name);
		return -1;
	}
	if (scalar(x, kn, v, k->name, buf, sizeof(buf)) < 0)
		return -1;
	/* "key:" alone is YAML null: unset for strings, missing otherwise. */
	if (!buf[0] && k->type != K_STR && k->type != K_PATH) {
		node_err(x, kn, "%s: needs a value", k->name);
		return -1;
	}
	switch (k->type) {
	case K_STR:
	case K_PATH:
		if (k->type == K_PATH && buf[0] && buf[0] != '/') {
			if (strlen(x->dir) + strlen(buf) >= k->size) {
				node_err(x, v, "%s: path longer than %zu bytes",
					 k->name, k->size - 1);
				return -1;
			}
			snprintf(dst, k->size, "%s%s", x->dir, buf);
			return 0;
		}
		if (strlen(buf) >= k->size) {
			node_err(x, v, "%s: value longer than %zu bytes",
				 k->name, k->size - 1);
			return -1;
		}
		memcpy(dst, buf, strlen(buf) + 1);
		return 0;
	case K_U32:
	case K_I32:
		errno = 0;
		ll = strtoll(buf, &end, 10);
		if (!buf[0] || *end || errno) {
			node_err(x, v, "%s: \"%s\" is not an integer", k->name,
				 buf);
			return -1;
		}
		if (ll < k->min || ll > k->max) {
			node_err(x, v, "%s: %lld is out of range [%lld, %lld]",
				 k->name, ll, (long long)k->min,
				 (long long)k->max);
			return -1;
		}
		if (k->type == K_U32)
			*(uint32_t *)(void *)dst = (uint32_t)ll;
		else
			*(int32_t *)(void *)dst = (int32_t)ll;
		return 0;
	}
	return -1;
}

static const struct key *find_key(const struct key *t, size_t n,
				  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

/* Is `prefix.` the beginning of some key of t? */
static bool is_section(const struct key *t, size_t n, const char *prefix)
{
	size_t i, l = strlen(prefix);

	for (i = 0; i < n; i++)
		if (!strncmp(t[i].name, prefix, l) && t[i].name[l] == '.')
			return true;
	return false;
}

static int walk_port(struct ctx *x, struct fy_node *m, unsigned idx)
{
	struct sl_config_port *p = &x->c->port[idx];
	struct fy_node_pair *pr;
	void *it = NULL;
	char k[SL_CONFIG_STR_MAX];

	memset(p, 0, sizeof(*p));
	if (!fy_node_is_mapping(m)) {
		node_err(x, m, "ports[%u]: expected a mapping with pci or vdev",
			 idx);
		return -1;
	}
	while ((pr = fy_node_mapping_iterate(m, &it))) {
		struct fy_node *kn = fy_node_pair_key(pr);
		const struct key *key;
		int line, col;

		if (scalar(x, NULL, kn, "key", k, sizeof(k)) < 0)
			return -1;
		if (!x->port_line[idx]) {
			mark(kn, &line, &col);
			x->port_line[idx] = line;
			x->port_col[idx] = col;
		}
		key = find_key(port_keys, N_PORT, k);
		if (!key) {
			node_err(x, kn,
				 "ports[%u]: unknown key \"%s\" (known: pci, "
				 "vdev)",
				 idx, k);
			return -1;
		}
		if (set_value(x, key, p, kn, fy_node_pair_value(pr)) < 0)
			return -1;
	}
	return 0;
}

static int walk_list(struct ctx *x, struct fy_node *seq, const char *name)
{
	void *it = NULL;
	struct fy_node *n;
	unsigned i = 0;

	if (!fy_node_is_sequence(seq)) {
		node_err(x, seq, "%s: expected a list", name);
		return -1;
	}
	while ((n = fy_node_sequence_iterate(seq, &it))) {
		if (!strcmp(name, "ports")) {
			if (i >= SL_CONFIG_PORTS_MAX) {
				node_err(x, n, "ports: more than %d ports",
					 SL_CONFIG_PORTS_MAX);
				return -1;
			}
			if (walk_port(x, n, i) < 0)
				return -1;
			x->c->n_ports = ++i;
		} else { /* eal.extra */
			if (i >= SL_CONFIG_EXTRA_MAX) {
				node_err(x, n,
					 "eal.extra: more than %d "
					 "arguments",
					 SL_CONFIG_EXTRA_MAX);
				return -1;
			}
			if (scalar(x, NULL, n, "eal.extra", x->c->eal_extra[i],
				   sizeof(x->c->eal_extra[i])) < 0)
				return -1;
			x->c->n_eal_extra = ++i;
		}
	}
	return 0;
}

/* One option of the verdict log's writer: kept by name and checked now
 * with the writer's own parser, so a bad value is reported here, at its
 * line, and not when the engine opens the log. */
static int vlog_option(struct ctx *x, struct fy_node *kn, struct fy_node *v,
		       const char *name)
{
	struct sl_config *c = x->c;
	struct sl_vlog_config probe;
	char val[SL_CONFIG_PATH_MAX], why[256] = "";
	unsigned i = c->n_vlog_opts;

	if (i >= SL_CONFIG_VLOG_MAX) {
		node_err(x, kn, "verdict_log: more than %d options",
			 SL_CONFIG_VLOG_MAX);
		return -1;
	}
	if (!v || scalar(x, kn, v, name, val, sizeof(val)) < 0 || !val[0]) {
		if (!x->err || !x->err[0])
			node_err(x, kn, "verdict_log.%s: needs a value", name);
		return -1;
	}
	/* Key files are paths: relative to the file's directory. */
	if ((!strcmp(name, "key") || !strcmp(name, "checkpoint_key")) &&
	    val[0] != '/') {
		size_t dl = strlen(x->dir), vl = strlen(val);

		if (dl + vl >= sizeof(c->vlog_opt[i].value)) {
			node_err(x, v, "verdict_log.%s: path too long", name);
			return -1;
		}
		memcpy(c->vlog_opt[i].value, x->dir, dl);
		memcpy(c->vlog_opt[i].value + dl, val, vl + 1);
	} else {
		memcpy(c->vlog_opt[i].value, val, strlen(val) + 1);
	}
	sl_vlog_config_init(&probe);
	if (sl_vlog_config_set(&probe, name, c->vlog_opt[i].value, why,
			       sizeof(why)) < 0) {
		node_err(x, v, "verdict_log.%s: %s", name,
			 why[0] ? why : "not a verdict log option");
		return -1;
	}
	snprintf(c->vlog_opt[i].key, sizeof(c->vlog_opt[i].key), "%s", name);
	c->n_vlog_opts++;
	return 0;
}

static int walk_map(struct ctx *x, struct fy_node *m, const char *prefix)
{
	struct fy_node_pair *pr;
	void *it = NULL;
	char k[SL_CONFIG_STR_MAX], full[2 * SL_CONFIG_STR_MAX];

	while ((pr = fy_node_mapping_iterate(m, &it))) {
		struct fy_node *kn = fy_node_pair_key(pr);
		struct fy_node *v = fy_node_pair_value(pr);
		const struct key *key;
		int line, col;

		if (scalar(x, NULL, kn, "key", k, sizeof(k)) < 0)
			return -1;
		snprintf(full, sizeof(full), "%s%s%s", prefix,
			 prefix[0] ? "." : "", k);
		mark(kn, &line, &col);
		if (!strcmp(full, "ports") || !strcmp(full, "eal.extra")) {
			if (!strcmp(full, "ports")) {
				x->ports_line = line;
				x->ports_col = col;
			}
			if (v && walk_list(x, v, full) < 0)
				return -1;
			continue;
		}
		if (v && fy_node_is_mapping(v) &&
		    is_section(top_keys, N_TOP, full)) {
			if (walk_map(x, v, full) < 0)
				return -1;
			continue;
		}
		if (!strcmp(prefix, "verdict_log") && strcmp(k, "path")) {
			if (vlog_option(x, kn, v, k) < 0)
				return -1;
			continue;
		}
		key = find_key(top_keys, N_TOP, full);
		if (!key) {
			node_err(x, kn, "unknown key \"%s\"%s", full,
				 is_section(top_keys, N_TOP, full)
				     ? " (a section: expected a mapping)"
				     : "");
			return -1;
		}
		x->line[key - top_keys] = line;
		x->col[key - top_keys] = col;
		if (set_value(x, key, x->c, kn, v) < 0)
			return -1;
	}
	return 0;
}

/* Error at key `name` (or 1:1 when the file does not set it), for
 * errors about values in combination. */
static void key_err(struct ctx *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void key_err(struct ctx *x, const char *name, const char *fmt, ...)
{
	const struct key *k = find_key(top_keys, N_TOP, name);
	int i = k ? (int)(k - top_keys) : -1;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (i >= 0 && x->line[i])
		at(x, x->line[i], x->col[i], "%s", msg);
	else
		at(x, 1, 1, "%s", msg);
}

/* "DDDD:BB:DD.F" or "BB:DD.F", hex digits. */
static bool pci_ok(const char *s)
{
	unsigned d, b, dev, f;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &f, &tail) == 4)
		return strlen(s) == 12 && dev < 32 && f < 8;
	if (sscanf(s, "%2x:%2x.%1x%c", &b, &dev, &f, &tail) == 3)
		return strlen(s) == 7 && dev < 32 && f < 8;
	return false;
}

static int check(struct ctx *x)
{
	struct sl_config *c = x->c;
	struct sockaddr_storage ss;
	struct in_addr v4;
	unsigned i, j;

	for (i = 0; i < c->n_ports; i++) {
		struct sl_config_port *p = &c->port[i];
		int l = x->port_line[i] ? x->port_line[i] : x->ports_line;
		int col = x->port_line[i] ? x->port_col[i] : x->ports_col;

		if (!p->pci[0] == !p->vdev[0]) {
			at(x, l, col,
			   "ports[%u]: give exactly one of pci or vdev", i);
			return -1;
		}
		if (p->pci[0] && !pci_ok(p->pci)) {
			at(x, l, col,
			   "ports[%u]: pci \"%s\" is not a PCI address like "
			   "0000:3b:00.0",
			   i, p->pci);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(c->port[j].pci, p->pci) &&
			    !strcmp(c->port[j].vdev, p->vdev)) {
				at(x, l, col,
				   "ports[%u]: same device as ports[%u]", i, j);
				return -1;
			}
	}
	if (c->ip[0] && inet_pton(AF_INET, c->ip, &v4) != 1) {
		key_err(x, "ip", "ip: \"%s\" is not an IPv4 address", c->ip);
		return -1;
	}
	if (c->metrics_listen[0] &&
	    sl_config_parse_listen(c->metrics_listen, &ss) < 0) {
		key_err(x, "metrics.listen",
			"metrics.listen: \"%s\" is not ADDRESS:PORT "
			"(127.0.0.1:9478, "
			"[::1]:9478)",
			c->metrics_listen);
		return -1;
	}
	if (!c->ctl_socket[0]) {
		key_err(x, "control.socket",
			"control.socket: empty (sluicectl needs it)");
		return -1;
	}
	return 0;
}

int sl_config_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[SL_CONFIG_STR_MAX];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon || colon == s)
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port == 0 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			return -EINVAL;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		return -EINVAL;
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	return 0;
}

/* The first error libfyaml collected, as FILE:LINE:COL. */
static void yaml_error(struct ctx *x, struct fy_diag *diag)
{
	struct fy_diag_error *e;
	void *it = NULL;

	while ((e = fy_diag_errors_iterate(diag, &it))) {
		if (e->type < FYET_ERROR)
			continue;
		/* fy_diag_error's line and column are already 1-based. */
		at(x, e->line, e->column, "%s", e->msg);
		return;
	}
	at(x, 1, 1, "cannot read or parse the file: %s", strerror(errno));
}

struct sl_config *sl_config_load(const char *file, char *err, size_t errlen)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg;
	struct fy_document *doc = NULL;
	struct fy_diag *diag = NULL;
	struct fy_node *root;
	struct sl_config *c;
	const char *slash;
	struct ctx x;
	FILE *probe;

	if (err && errlen)
		err[0] = '\0';
	memset(&x, 0, sizeof(x));
	x.file = file;
	x.err = err;
	x.errlen = errlen;
	c = malloc(sizeof(*c));
	if (!c) {
		at(&x, 1, 1, "out of memory");
		return NULL;
	}
	sl_config_defaults(c);
	x.c = c;
	snprintf(c->file, sizeof(c->file), "%s", file);
	slash = strrchr(file, '/');
	if (slash && (size_t)(slash - file + 1) < sizeof(x.dir))
		memcpy(x.dir, file, (size_t)(slash - file + 1));

	/* libfyaml's message for a missing file is generic; say it plainly. */
	probe = fopen(file, "r");
	if (!probe) {
		at(&x, 1, 1, "cannot open: %s", strerror(errno));
		goto fail;
	}
	fclose(probe);

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (!diag) {
		at(&x, 1, 1, "out of memory");
		goto fail;
	}
	fy_diag_set_collect_errors(diag, true);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_RESOLVE_DOCUMENT;
	pcfg.diag = diag;
	doc = fy_document_build_from_file(&pcfg, file);
	if (!doc) {
		yaml_error(&x, diag);
		goto fail;
	}
	root = fy_document_root(doc);
	if (!root) {
		at(&x, 1, 1, "empty file: nothing configured");
		goto fail;
	}
	if (!fy_node_is_mapping(root)) {
		at(&x, 1, 1,
		   "expected a mapping of sections (eal, ports, "
		   "rules, ...) at the top");
		goto fail;
	}
	if (walk_map(&x, root, "") < 0 || check(&x) < 0)
		goto fail;
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	return c;
fail:
	if (doc)
		fy_document_destroy(doc);
	if (diag)
		fy_diag_destroy(diag);
	free(c);
	return NULL;
}

void sl_config_free(struct sl_config *c)
{
	free(c);
}

int sl_config_eal_argv(struct sl_config *c, const char *prog, char **argv,
		       int max)
{
	int n = 0;
	unsigned i;

#define PUSH(s)                                                                \
	do {                                                                   \
		if (n >= max)                                                  \
			return -ENOSPC;                                        \
		argv[n++] = (char *)(s);                                       \
	} while (0)

	PUSH(prog);
	if (c->eal_lcores[0]) {
		PUSH("-l");
		PUSH(c->eal_lcores);
	}
	if (c->eal_main_lcore >= 0) {
		snprintf(c->eal_main_buf, sizeof(c->eal_main_buf), "%d",
			 c->eal_main_lcore);
		PUSH("--main-lcore");
		PUSH(c->eal_main_buf);
	}
	if (c->eal_socket_mem[0]) {
		PUSH("--socket-mem");
		PUSH(c->eal_socket_mem);
	}
	if (c->eal_huge_dir[0]) {
		PUSH("--huge-dir");
		PUSH(c->eal_huge_dir);
	}
	if (c->eal_file_prefix[0]) {
		PUSH("--file-prefix");
		PUSH(c->eal_file_prefix);
	}
	for (i = 0; i < c->n_ports; i++) {
		PUSH(c->port[i].pci[0] ? "-a" : "--vdev");
		PUSH(c->port[i].pci[0] ? c->port[i].pci : c->port[i].vdev);
	}
	for (i = 0; i < c->n_eal_extra; i++)
		PUSH(c->eal_extra[i]);
#undef PUSH
	return n;
}

/* One value of the table as text. */
static void key_text(const struct key *k, const void *base, char *buf,
		     size_t cap)
{
	const char *src = (const char *)base + k->off;

	switch (k->type) {
	case K_STR:
	case K_PATH:
		snprintf(buf, cap, "%s", src);
		break;
	case K_U32:
		snprintf(buf, cap, "%u", *(const uint32_t *)(const void *)src);
		break;
	case K_I32:
		snprintf(buf, cap, "%d", *(const int32_t *)(const void *)src);
		break;
	}
}

void sl_config_each(const struct sl_config *c,
		    void (*fn)(const char *key, const char *value, void *arg),
		    void *arg)
{
	char name[64], val[SL_CONFIG_PATH_MAX];
	unsigned i, j;

	for (i = 0; i < N_TOP; i++) {
		key_text(&top_keys[i], c, val, sizeof(val));
		fn(top_keys[i].name, val, arg);
	}
	for (i = 0; i < c->n_eal_extra; i++) {
		snprintf(name, sizeof(name), "eal.extra[%u]", i);
		fn(name, c->eal_extra[i], arg);
	}
	for (i = 0; i < c->n_vlog_opts; i++) {
		snprintf(name, sizeof(name), "verdict_log.%s",
			 c->vlog_opt[i].key);
		fn(name, c->vlog_opt[i].value, arg);
	}
	for (i = 0; i < c->n_ports; i++)
		for (j = 0; j < N_PORT; j++) {
			snprintf(name, sizeof(name), "ports[%u].%s", i,
				 port_keys[j].name);
			key_text(&port_keys[j], &c->port[i], val, sizeof(val));
			fn(name, val, arg);
		}
}
