/* The configuration loader: the shipped deploy/sluice.yaml loads with the
 * values an operator reads in it, and every kind of mistake is refused
 * with FILE:LINE:COL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <sluice/config.h>

Test(config, shipped_file)
{
	char err[512];
	struct sl_config *c = sl_config_load(
	    SLUICE_SOURCE_DIR "/deploy/sluice.yaml", err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	cr_expect_str_eq(c->eal_lcores, "2-9");
	cr_expect_eq(c->eal_main_lcore, 2);
	cr_expect_str_eq(c->eal_file_prefix, "sluice");
	cr_expect_eq(c->n_eal_extra, 1);
	cr_expect_eq(c->n_ports, 2);
	cr_expect_str_eq(c->port[0].pci, "0000:3b:00.0");
	cr_expect_str_eq(c->port[1].pci, "0000:3b:00.1");
	cr_expect_str_eq(c->port[1].vdev, "");
	cr_expect_eq(c->rx_desc, 4096);
	cr_expect_eq(c->tx_desc, 4096);
	cr_expect_eq(c->log_ring, 8192);
	cr_expect_eq(c->udp_port, 9610);
	cr_expect_str_eq(c->ip, "10.30.0.10");
	cr_expect_str_eq(c->bundle, "/var/lib/sluice/bundles/current.bundle");
	cr_expect_str_eq(c->registry,
			 "/var/lib/sluice/registry/enterprises.csv");
	cr_expect_str_eq(c->state_dir, "/var/lib/sluice/state");
	cr_expect_str_eq(c->verdict_log, "/var/lib/sluice/vlog/verdicts.log");
	cr_assert_eq(c->n_vlog_opts, 6);
	cr_expect_str_eq(c->vlog_opt[0].key, "hash");
	cr_expect_str_eq(c->vlog_opt[0].value, "sm3");
	cr_expect_str_eq(c->vlog_opt[1].key, "fsync");
	cr_expect_str_eq(c->vlog_opt[1].value, "group");
	cr_expect_str_eq(c->vlog_opt[4].key, "checkpoint");
	cr_expect_str_eq(c->vlog_opt[4].value, "100000,60s");
	cr_expect_str_eq(c->vlog_opt[5].value,
			 "/etc/sluice/keys/checkpoint.pem");
	cr_expect_str_eq(c->quarantine, "/var/log/sluice/quarantine.log");
	cr_expect_str_eq(c->ctl_socket, "/run/sluice/sluice.sock");
	cr_expect_str_eq(c->metrics_listen, "10.20.0.15:9478");
	cr_expect_eq(c->drain_timeout_ms, 30000);
	sl_config_free(c);
}

Test(config, eal_arguments)
{
	char err[512], *argv[64];
	struct sl_config *c = sl_config_load(
	    SLUICE_SOURCE_DIR "/deploy/sluice.yaml", err, sizeof(err));
	const char *want[] = {"sluice",
			      "-l",
			      "2-9",
			      "--main-lcore",
			      "2",
			      "--socket-mem",
			      "3072,0",
			      "--huge-dir",
			      "/dev/hugepages-1G",
			      "--file-prefix",
			      "sluice",
			      "-a",
			      "0000:3b:00.0",
			      "-a",
			      "0000:3b:00.1",
			      "--log-level=lib.eal:notice"};
	int n, i;

	cr_assert_not_null(c, "%s", err);
	n = sl_config_eal_argv(c, "sluice", argv, 64);
	cr_assert_eq(n, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < n; i++)
		cr_expect_str_eq(argv[i], want[i], "argv[%d]", i);
	cr_expect_eq(sl_config_eal_argv(c, "sluice", argv, 4), -ENOSPC);
	sl_config_free(c);
}

/* Writes text to a temporary file and loads it. */
static struct sl_config *load_text(const char *text, char *path, char *err,
				   size_t errlen)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/sluice-config-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return sl_config_load(path, err, errlen);
}

Test(config, defaults_and_relative_paths)
{
	char path[64], err[512];
	struct sl_config *c = load_text("rules:\n"
					"  bundle: b/x.bundle\n"
					"  registry:\n"
					"ports:\n"
					"  - vdev: net_ring0\n",
					path, err, sizeof(err));

	cr_assert_not_null(c, "%s", err);
	/* Relative to the file's directory; empty value = unset. */
	cr_expect_str_eq(c->bundle, "/tmp/b/x.bundle");
	cr_expect_str_eq(c->registry, "");
	cr_expect_eq(c->n_ports, 1);
	cr_expect_str_eq(c->port[0].vdev, "net_ring0");
	/* Where the file is silent: the defaults of `sluice run`. */
	cr_expect_eq(c->udp_port, 9610);
	cr_expect_eq(c->rx_desc, 1024);
	cr_expect_eq(c->log_ring, 4096);
	cr_expect_str_eq(c->ctl_socket, "/run/sluice/sluice.sock");
	cr_expect_str_eq(c->metrics_listen, "");
	cr_expect_str_eq(c->verdict_log, "");
	cr_expect_eq(c->eal_main_lcore, -1);
	sl_config_free(c);
	unlink(path);
}

Test(config, missing_file)
{
	char err[512];

	cr_expect_null(
	    sl_config_load("/nonexistent/sluice.yaml", err, sizeof(err)));
	cr_expect_str_eq(err, "/nonexistent/sluice.yaml:1:1: error: cannot "
			      "open: No such file or directory");
}

/* Inline arrays: Criterion runs each case in a new process. */
struct bad {
	char text[160];
	char err[112]; /* what follows "PATH:" in the message */
};

ParameterizedTestParameters(config, mistakes)
{
	static struct bad cases[] = {
	    {"udp_port: 7400\nudp_prot: 7401\n",
	     "2:1: error: unknown key \"udp_prot\""},
	    {"rules:\n  bundel: x\n",
	     "2:3: error: unknown key \"rules.bundel\""},
	    {"rules: x\n", "1:1: error: unknown key \"rules\" (a section"},
	    {"udp_port: seventy\n",
	     "1:11: error: udp_port: \"seventy\" is not an integer"},
	    {"udp_port: 70000\n",
	     "1:11: error: udp_port: 70000 is out of range [1, 65535]"},
	    {"udp_port:\n", "1:1: error: udp_port: needs a value"},
	    {"queues:\n  rx_desc: 16\n",
	     "2:12: error: queues.rx_desc: 16 is out of range [32, 16384]"},
	    {"metrics:\n  listen: localhost\n",
	     "2:3: error: metrics.listen: \"localhost\" is not ADDRESS:PORT"},
	    {"ports:\n  - {}\n",
	     "1:1: error: ports[0]: give exactly one of pci"},
	    {"ports:\n  - pci: 0000:3b:00.0\n    vdev: net_ring0\n",
	     "2:5: error: ports[0]: give exactly one"},
	    {"ports:\n  - pci: eth0\n",
	     "2:5: error: ports[0]: pci \"eth0\" is not a PCI address"},
	    {"ports:\n  - pci: 3b:00.0\n    rx_queues: 2\n",
	     "3:5: error: ports[0]: unknown key \"rx_queues\""},
	    {"ports:\n  - pci: 3b:00.0\n  - pci: 3b:00.0\n",
	     "3:5: error: ports[1]: same device as ports[0]"},
	    {"ports: 3b:00.0\n", "1:8: error: ports: expected a list"},
	    {"eal:\n  lcores: [1, 2]\n",
	     "2:3: error: eal.lcores: expected a single value, not a list"},
	    {"- a\n- b\n", "1:1: error: expected a mapping of sections"},
	    {"udp_port: 1\nudp_port: 2\n", "2:1: error: duplicate key"},
	    {"a: b: c\n", "1:5: error: invalid nested block mapping"},
	    {"rules:\n\tbundle: x\n",
	     "2:1: error: tab character may not be used as indentation"},
	    {"control:\n  socket: \"\"\n", "2:3: error: control.socket: empty"},
	    {"ip: 10.30.0\n", "1:1: error: ip: \"10.30.0\" is not an IPv4"},
	    {"verdict_log:\n  fsync: sometimes\n",
	     "2:10: error: verdict_log.fsync: verdict log fsync 'sometimes'"},
	    {"verdict_log:\n  hash: md5\n", "2:9: error: verdict_log.hash:"},
	    {"verdict_log:\n  fsynk: batch\n",
	     "2:10: error: verdict_log.fsynk: unknown verdict log option"},
	    {"verdict_log:\n  group_records:\n",
	     "2:3: error: verdict_log.group_records: needs a value"},
	};
	return cr_make_param_array(struct bad, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *b, config, mistakes)
{
	char path[64], err[512], want[256];
	struct sl_config *c = load_text(b->text, path, err, sizeof(err));

	unlink(path);
	cr_expect_null(c, "accepted:\n%s", b->text);
	snprintf(want, sizeof(want), "%s:%s", path, b->err);
	cr_expect(!strncmp(err, want, strlen(want)), "got  \"%s\"\nwant \"%s\"",
		  err, want);
	sl_config_free(c);
}

Test(config, listen_addresses)
{
	struct sockaddr_storage ss;

	cr_expect_eq(sl_config_parse_listen("127.0.0.1:9478", &ss), 0);
	cr_expect_eq(ss.ss_family, AF_INET);
	cr_expect_eq(sl_config_parse_listen("[::1]:9478", &ss), 0);
	cr_expect_eq(ss.ss_family, AF_INET6);
	cr_expect_eq(sl_config_parse_listen("0.0.0.0:0", &ss), -EINVAL);
	cr_expect_eq(sl_config_parse_listen("1.2.3.4:", &ss), -EINVAL);
	cr_expect_eq(sl_config_parse_listen(":9478", &ss), -EINVAL);
	cr_expect_eq(sl_config_parse_listen("::1:9478", &ss), -EINVAL);
}
