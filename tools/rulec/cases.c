/* sluice-rulec --test: officer-written cases (docs/rules.md). */
#include "rulec-int.h"

int sl_rulec_test(const char *bundle, const char *cases, FILE *out, FILE *diag)
{
	(void)bundle;
	(void)out;
	fprintf(diag, "sluice-rulec: %s: --test is not available yet\n", cases);
	return -1;
}
