/*
 * hotlined: the hotline engine process.
 *
 *   hotlined [EAL args] -- --config FILE [--check]
 *   hotlined --version
 *
 * The config is read and validated before EAL starts, so a bad file stops the
 * process with "file:line: problem" and exit code 2 before any port is touched.
 * SIGINT/SIGTERM stop every lcore loop; the final counters are printed on the
 * way out.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "hotline/config.h"
#include "hotline/engine.h"
#include "hotline/telemetry.h"

RTE_LOG_REGISTER(hl_logtype_main, hl.dp.main, INFO);
#define LOG(level, ...) rte_log(RTE_LOG_##level, hl_logtype_main, "hl.dp.main: " __VA_ARGS__)

static struct hl_engine *engine;

static void
on_signal(int sig)
{
	(void)sig;
	if (engine != NULL)
		hl_engine_stop(engine);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: hotlined [EAL args] -- --config FILE [--check]\n"
		   "       hotlined --version\n"
		   "  --config FILE  engine configuration (see examples/hotline.conf)\n"
		   "  --check        validate FILE and the EAL setup, then exit\n");
}

static bool
has_arg(int argc, char **argv, const char *a)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], a) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	static struct hl_config cfg;
	char err[HL_CONFIG_ERR_MAX];
	const char *config_path = NULL;
	bool check_only = false;
	int sep = -1, rc;

	if (has_arg(argc, argv, "--version")) {
		printf("hotlined %s (%s)\n", HL_VERSION, rte_version());
		return 0;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	/* Our options follow "--"; parse them before EAL sees anything. */
	for (int i = sep < 0 ? argc : sep + 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--check") == 0) {
			check_only = true;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "hotlined: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (config_path == NULL) {
		fprintf(stderr, "hotlined: --config FILE is required\n");
		usage(stderr);
		return 2;
	}
	rc = hl_config_load(&cfg, config_path, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hotlined: %s\n", err);
		return 2;
	}

	int eal_argc = sep < 0 ? 1 : sep;
	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "hotlined: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	engine = hl_engine_create(&cfg, err, sizeof(err));
	if (engine == NULL) {
		fprintf(stderr, "hotlined: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	if (check_only) {
		printf("hotlined: %s: configuration and ports OK\n", config_path);
		hl_engine_free(engine);
		rte_eal_cleanup();
		return 0;
	}
	/* dpdk-pdump attaches as a secondary process: impossible with --in-memory. */
	if (rte_pdump_init() == 0) {
		const char *rd = rte_eal_get_runtime_dir();
		const char *prefix = strrchr(rd, '/') ? strrchr(rd, '/') + 1 : rd;
		LOG(INFO, "packet capture available: dpdk-pdump -l <free lcore> --file-prefix %s "
			  "-- --pdump 'port=0,queue=*,rx-dev=/tmp/rx.pcap,tx-dev=/tmp/tx.pcap'\n",
			prefix);
	}
	else
		LOG(NOTICE, "packet capture (dpdk-pdump) unavailable: %s (run without "
			    "--in-memory/--no-shconf to enable)\n", rte_strerror(rte_errno));
	rc = hl_telemetry_register(engine);
	if (rc != 0)
		LOG(WARNING, "telemetry commands not registered: %s\n", strerror(-rc));

	printf("hotlined %s running: %u port(s), %u worker(s), control on lcore %u%s\n",
		HL_VERSION, cfg.n_ports, cfg.n_workers, cfg.control_lcore,
		cfg.busy_poll ? ", busy-poll" : "");
	fflush(stdout);
	rc = hl_engine_run(engine);

	printf("hotlined: stopping; final counters:\n");
	hl_engine_print_stats(engine, stdout);
	fflush(stdout);
	hl_telemetry_unregister();
	(void)rte_pdump_uninit();
	hl_engine_free(engine);
	engine = NULL;
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
