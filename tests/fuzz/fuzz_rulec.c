/* libFuzzer target: the rule compiler never crashes on a source file.
 *
 * The input is compiled as one in-memory YAML source with list files
 * disabled (a fuzzed source must not read the filesystem) and without
 * the final Hyperscan compile (an arbitrary regex may take longer than a
 * fuzzer's time-out to compile; each regex is still checked by
 * hs_expression_info, which is what rule authors see first).
 * Normalisation, OpenCC variants, the condition trees and the policy
 * checks all run.  Seeds: corpus/fuzz_rulec/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rulec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct sl_rulec_opts o = {.no_files = true, .no_database = true};
	struct sl_rulec *rc;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	o.diag = devnull;
	rc = sl_rulec_new(&o);
	if (!rc)
		return 0;
	sl_rulec_add_source(rc, "fuzz.yaml", (const char *)data, size);
	sl_rulec_build(rc, NULL, NULL);
	sl_rulec_free(rc);
	return 0;
}
