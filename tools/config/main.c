/* sluice-config — check and query the engine's configuration file offline.
 *
 * Operators run `sluice-config check` before `systemctl restart sluice`;
 * deploy/sluice-hugepages.sh reads the ports and memory it must prepare
 * with `sluice-config get`, so the YAML file stays the one place where
 * they are written.  The loader is the engine's (engine/core/config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/config.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sluice-config check FILE\n"
		"       sluice-config dump FILE\n"
		"       sluice-config get FILE KEY...\n"
		"       sluice-config eal FILE\n"
		"\n"
		"Loads a sluice engine configuration (deploy/sluice.yaml) the "
		"way\n"
		"`sluice run --config FILE` does.\n"
		"\n"
		"  check  say whether FILE is valid; errors as "
		"FILE:LINE:COL: error: ...\n"
		"  dump   print every setting with its effective value, "
		"defaults included,\n"
		"         as KEY=VALUE lines (relative paths resolved)\n"
		"  get    print the value of each KEY, one per line; "
		"ports[*].KEY gives\n"
		"         that key of every port (e.g. ports[*].pci)\n"
		"  eal    print the EAL arguments FILE implies, one per line\n"
		"\n"
		"Exit status: 0 ok, 1 FILE invalid or KEY unknown, 2 usage "
		"error.\n");
}

struct get {
	const char *want; /* "eal.lcores" or "ports[*].pci" */
	int found;
};

static void print_kv(const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("%s=%s\n", key, value);
}

/* Does key match want, where want may say ports[*] (or eal.extra[*]) for
 * every index? */
static int key_match(const char *want, const char *key)
{
	const char *star = strstr(want, "[*]");
	const char *close;
	size_t pre;

	if (!star)
		return !strcmp(want, key);
	pre = (size_t)(star - want) + 1; /* through '[' */
	if (strncmp(want, key, pre))
		return 0;
	close = strchr(key + pre, ']');
	return close && close > key + pre && !strcmp(close + 1, star + 3);
}

static void print_get(const char *key, const char *value, void *arg)
{
	struct get *g = arg;

	if (!key_match(g->want, key))
		return;
	g->found++;
	printf("%s\n", value);
}

/* Does any setting, in any configuration, have this name? */
static void probe_key(const char *key, const char *value, void *arg)
{
	struct get *g = arg;

	(void)value;
	if (key_match(g->want, key))
		g->found++;
}

int main(int argc, char **argv)
{
	struct sl_config *c, probe;
	char err[1024], *eal[128];
	const char *cmd, *file;
	int i, n;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	file = argv[2];
	if (strcmp(cmd, "check") && strcmp(cmd, "dump") && strcmp(cmd, "get") &&
	    strcmp(cmd, "eal")) {
		fprintf(stderr, "sluice-config: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	if ((!strcmp(cmd, "get") && argc < 4) ||
	    (strcmp(cmd, "get") && argc != 3)) {
		usage(stderr);
		return 2;
	}
	c = sl_config_load(file, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!strcmp(cmd, "check")) {
		printf("%s: ok (%u port%s, verdict log %s)\n", file, c->n_ports,
		       c->n_ports == 1 ? "" : "s",
		       c->verdict_log[0] ? c->verdict_log : "off");
	} else if (!strcmp(cmd, "dump")) {
		sl_config_each(c, print_kv, NULL);
	} else if (!strcmp(cmd, "eal")) {
		n = sl_config_eal_argv(c, "sluice", eal, 128);
		for (i = 1; i < n; i++)
			printf("%s\n", eal[i]);
	} else {
		/* A key is known when a configuration with one port and one
		 * EAL argument has it; an empty list is then not an error. */
		sl_config_defaults(&probe);
		probe.n_ports = 1;
		probe.n_eal_extra = 1;
		for (i = 3; i < argc; i++) {
			struct get g = {argv[i], 0};

			sl_config_each(&probe, probe_key, &g);
			/* The log writer's options are open-ended. */
			if (!strncmp(argv[i], "verdict_log.", 12))
				g.found = 1;
			if (!g.found) {
				fprintf(stderr,
					"sluice-config: unknown key \"%s\" "
					"(see sluice-config dump)\n",
					argv[i]);
				sl_config_free(c);
				return 1;
			}
			g.found = 0;
			sl_config_each(c, print_get, &g);
		}
	}
	sl_config_free(c);
	return 0;
}
