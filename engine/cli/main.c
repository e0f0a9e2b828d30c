/* sluice — the `sluice` command: dispatches to its subcommands.
 *
 *   sluice screen ...   JSON-lines declarations in, verdicts out (screen.c)
 *   sluice run ...      the DPDK engine (engine/dpdk, when built)
 *   sluice state DIR    what a state directory holds (state.c)
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hs/hs.h>
#include <jemalloc/jemalloc.h>

#include <sluice/iso.h>

#include "cli.h"

#ifdef SLUICE_HAVE_DPDK
#include "run.h" /* engine/dpdk, via sluice_dpdk */
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sluice COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"Line-rate customs risk screening of cross-border parcel "
		"declarations.\n"
		"\n"
		"commands:\n"
		"  screen   screen JSON-lines declarations: one verdict JSON "
		"line per\n"
		"           input line on stdout, a summary on stderr\n"
		"  run      the DPDK engine: declarations and verdicts as UDP "
		"datagrams\n"
		"  state    print what a --state directory holds (buyer "
		"totals, windows)\n"
		"\n"
		"options:\n"
		"  -h, --help      show this help (also: sluice COMMAND "
		"--help)\n"
		"  -V, --version   show the version\n"
		"\n"
		"Formats and exit codes: docs/declarations.md, and the "
		"README.\n");
}

void sl_cli_print_version(void)
{
	const char *je = "?";
	size_t len = sizeof(je);

	/* Also proves jemalloc is the allocator this binary runs on. */
	if (mallctl("version", &je, &len, NULL, 0) != 0)
		je = "not linked";
	printf("sluice %s\n", SLUICE_VERSION);
	printf("  jemalloc %s, hyperscan %s, cJSON %s\n", je, hs_version(),
	       cJSON_Version());
	printf("  %u ISO 3166-1 countries, %u ISO 4217 currencies "
	       "(iso-codes)\n",
	       sl_country_count(), sl_currency_count());
#ifdef SLUICE_HAVE_DPDK
	printf("  DPDK engine: built in\n");
#else
	printf("  DPDK engine: not built\n");
#endif
}

static int cmd_run(int argc, char **argv)
{
#ifdef SLUICE_HAVE_DPDK
	return sl_cmd_run(argc, argv);
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "sluice run: this build has no DPDK engine "
			"(configure with -DSLUICE_DPDK=ON and libdpdk-dev "
			"installed)\n");
	return SL_EXIT_USAGE;
#endif
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return SL_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return SL_EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		sl_cli_print_version();
		return SL_EXIT_OK;
	}
	if (!strcmp(cmd, "screen"))
		return sl_cmd_screen(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "state"))
		return sl_cmd_state(argc - 1, argv + 1);
	fprintf(stderr, "sluice: unknown command '%s' (try sluice --help)\n",
		cmd);
	return SL_EXIT_USAGE;
}
