/* sluice — the `sluice` command: one subcommand per file.
 *
 * Each sl_cmd_*() takes the subcommand's own argv (argv[0] is the
 * subcommand name) and returns the process exit status: 0 when it ran,
 * 1 on an I/O error, 2 on a usage error (SPEC 7).
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#define SL_EXIT_OK    0
#define SL_EXIT_IO    1
#define SL_EXIT_USAGE 2

int sl_cmd_screen(int argc, char **argv);
int sl_cmd_state(int argc, char **argv);

/* "sluice 0.1.0 (jemalloc 5.3.0, ...)": the version line of every
 * subcommand's --version. */
void sl_cli_print_version(void);

#endif /* SLUICE_CLI_H */
