/* sluice — the engine's configuration file (YAML, deploy/sluice.yaml).
 *
 * One file describes a bureau's engine: EAL lcores, ports and queues, the
 * bundle and registry, the state directory, the verdict log and its fsync
 * and checkpoint policy, the control socket, the metrics address and the
 * reload policy.  `sluice run --config FILE` loads it; its values become the
 * defaults that command-line flags override.  Every key is documented in
 * the shipped file and in docs/operations.md.
 *
 * Plane: control plane, at start (and never on the data path).  Parsing is
 * libfyaml.  Unknown keys are errors: a typo must not silently leave a
 * default in force at a customs gate.
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SL_CONFIG_PORTS_MAX 8	 /* ports one engine drives */
#define SL_CONFIG_EXTRA_MAX 16	 /* eal.extra arguments */
#define SL_CONFIG_VLOG_MAX  16	 /* verdict_log options besides path */
#define SL_CONFIG_PATH_MAX  1024 /* bytes of a path, with NUL */
#define SL_CONFIG_STR_MAX   128	 /* bytes of other strings, with NUL */
#define SL_CONFIG_SUN_MAX   108	 /* sun_path of a unix socket */

/* One NIC port: an EAL device.  Exactly one of pci / vdev is set.  The
 * engine gives each port one queue pair per worker (docs/engine.md). */
struct sl_config_port {
	char pci[SL_CONFIG_STR_MAX];  /* "0000:3b:00.0", bound to vfio-pci */
	char vdev[SL_CONFIG_STR_MAX]; /* "net_pcap0,rx_pcap=in.pcap" (tests) */
};

struct sl_config {
	char file[SL_CONFIG_PATH_MAX]; /* the file loaded; "" = defaults */

	/* eal: the DPDK Environment Abstraction Layer. */
	char eal_lcores[SL_CONFIG_STR_MAX];	 /* -l "0-4" */
	int32_t eal_main_lcore;			 /* --main-lcore; -1 = EAL's */
	char eal_socket_mem[SL_CONFIG_STR_MAX];	 /* --socket-mem "2048,0" */
	char eal_huge_dir[SL_CONFIG_PATH_MAX];	 /* --huge-dir */
	char eal_file_prefix[SL_CONFIG_STR_MAX]; /* --file-prefix */
	uint32_t n_eal_extra;
	char eal_extra[SL_CONFIG_EXTRA_MAX][SL_CONFIG_STR_MAX];

	uint32_t n_ports;
	struct sl_config_port port[SL_CONFIG_PORTS_MAX];
	uint32_t rx_desc;  /* --rxd: descriptors per RX queue */
	uint32_t tx_desc;  /* --txd: descriptors per TX queue */
	uint32_t log_ring; /* --log-ring: log ring entries per worker */
	uint32_t udp_port; /* --port: declarations arrive on this UDP port */
	char ip[SL_CONFIG_STR_MAX]; /* --ip: the engine's IPv4 address; it
				       answers ARP for it.  "" = none */

	char bundle[SL_CONFIG_PATH_MAX];      /* -r; "" = the default bundle */
	char registry[SL_CONFIG_PATH_MAX];    /* -e; "" = none: all unknown */
	char state_dir[SL_CONFIG_PATH_MAX];   /* --state; "" = memory only */
	char verdict_log[SL_CONFIG_PATH_MAX]; /* --verdict-log; "" = none */
	/* The verdict log's writer options (hash, fsync, group_records,
	 * checkpoint, checkpoint_key, ...): every other key of the
	 * verdict_log section, in file order, checked with
	 * sl_vlog_config_set() at load and applied with it by the engine.
	 * A relative key file is resolved like the other paths. */
	uint32_t n_vlog_opts;
	struct {
		char key[SL_CONFIG_STR_MAX];
		char value[SL_CONFIG_PATH_MAX];
	} vlog_opt[SL_CONFIG_VLOG_MAX];
	char quarantine[SL_CONFIG_PATH_MAX]; /* --quarantine; "" = the
						engine's default */
	char ctl_socket[SL_CONFIG_SUN_MAX];  /* --ctl; sluicectl talks here */
	uint32_t drain_timeout_ms;	     /* `sluicectl drain` waits so
						long for the engine to drain */
	char
	    metrics_listen[SL_CONFIG_STR_MAX]; /* --metrics ADDRESS:PORT;
						  "" = no Prometheus endpoint */

	char eal_main_buf[16]; /* scratch of sl_config_eal_argv */
};

/* Fills *c with the built-in defaults (those `sluice run` has without a
 * configuration file).  Never fails. */
void sl_config_defaults(struct sl_config *c);

/* Loads FILE over the defaults.  Relative paths in the file are taken
 * relative to the file's directory.  Returns a config the caller frees
 * with sl_config_free(), or NULL with "FILE:LINE:COL: error: MESSAGE" in
 * err (a missing file, a YAML syntax error, an unknown key, a value of the
 * wrong type or out of range, an inconsistent combination). */
struct sl_config *sl_config_load(const char *file, char *err, size_t errlen);
void sl_config_free(struct sl_config *c);

/* Builds the EAL arguments the configuration implies (-l, --main-lcore,
 * --socket-mem, --huge-dir, --file-prefix, -a for each PCI port, --vdev
 * for each virtual one, then eal.extra) into argv[0..max-1], argv[0]
 * being `prog`.  The strings point into c.  Returns argc, or -ENOSPC. */
int sl_config_eal_argv(struct sl_config *c, const char *prog, char **argv,
		       int max);

/* Calls fn(key, value, arg) for every setting with its effective value as
 * text ("" = unset): the table's keys in order ("eal.lcores", ...), then
 * "ports[I].KEY" and "eal.extra[I]".  For `sluice-config dump|get`. */
void sl_config_each(const struct sl_config *c,
		    void (*fn)(const char *key, const char *value, void *arg),
		    void *arg);

/* Parses "ADDRESS:PORT" (numeric IPv4, or IPv6 in brackets) into *ss.
 * Returns 0 or -EINVAL.  Shared by the loader and the metrics endpoint. */
int sl_config_parse_listen(const char *s, struct sockaddr_storage *ss);

#endif /* SLUICE_CONFIG_H */
