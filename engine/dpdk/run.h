/* sluice — `sluice run`, the DPDK engine (SPEC 7, docs/engine.md).
 *
 * Provided by the static library sluice_dpdk (engine/dpdk/), which is the
 * only code built with DPDK's compiler flags; the `sluice` front end
 * (engine/cli/main.c) only calls this.
 */
#ifndef SLUICE_DPDK_RUN_H
#define SLUICE_DPDK_RUN_H

/* Runs the engine until a signal, `sluicectl shutdown` or --until-idle.
 * argv[0] is the subcommand's name ("run"), argv[1..] its options, then
 * "--" and the EAL arguments.  Returns the process exit status: 0 ran
 * (summary on stderr), 1 runtime failure (EAL, ports, memory, or the
 * accounting identity broken), 2 usage error or unusable bundle/registry.
 * Main thread only; calls rte_eal_init and rte_eal_cleanup once. */
int sl_cmd_run(int argc, char **argv);

#endif /* SLUICE_DPDK_RUN_H */
