// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c - parse, run, exit with the right status.
 */
#include <stdlib.h>
#include "cli.h"
#include "listing.h"
#include "log.h"
#include "tracer.h"

int main(int argc, char **argv)
{
	struct config cfg;
	struct tracer *t;
	int status;

	if (cli_parse(argc, argv, &cfg))
		return 2;
	log_set_verbose(cfg.verbose);
	log_set_quiet(cfg.quiet);
	if (cfg.list)
		return listing_run(&cfg);
	if (tracer__open(&cfg, &t))
		return 1;
	status = tracer__run(t);
	tracer__close(t);
	return status;
}
