/* sluice — the verdict record (SPEC 4).
 *
 * A verdict is self-contained and fixed-size: it names its rules and the
 * bundle and registry by value, so it can cross a ring and be logged after
 * the snapshot that produced it has been freed.
 */
#ifndef SLUICE_VERDICT_T_H
#define SLUICE_VERDICT_T_H

#include <sluice/error-t.h>
#include <sluice/types-t.h>

#define SL_DECL_ID_MAX	64 /* bytes of a decl_id, without NUL */
#define SL_RULE_ID_MAX	64 /* bytes of a rule id, with NUL */
#define SL_REASONS_MAX	16 /* reasons kept per verdict */
#define SL_SHORT_ID_MAX 17 /* 16 hex digits of a bundle/registry id + NUL */

/* One rule (or engine check) that contributed to a verdict. */
typedef struct sl_reason {
	char rule[SL_RULE_ID_MAX];    /* "PROHIBITED.ENDANGERED.IVORY",
					 "RANDOM.GENERAL", "NO_RULESET" */
	char field[SL_ERR_FIELD_MAX]; /* "items[0].name"; "" = no field */
	int32_t points;		      /* score contribution (0 for actions) */
	uint8_t action;		      /* verdict the rule forces; RELEASE
					 means "points only" */
} sl_reason_t;

typedef struct sl_verdict {
	char decl_id[SL_DECL_ID_MAX + 1]; /* NUL-terminated */
	bool has_decl_id;  /* false: JSON null (record unreadable) */
	uint64_t line;	   /* input line / record number, 1-based */
	uint8_t verdict;   /* enum sl_verdict_kind */
	uint8_t tier;	   /* enum sl_tier (UNKNOWN for rejects) */
	bool sampled;	   /* chosen by random selection */
	int32_t score;	   /* after the tier multiplier */
	uint8_t n_reasons; /* valid entries in reasons[] */
	uint8_t n_dropped; /* reasons that did not fit, counted */
	sl_reason_t reasons[SL_REASONS_MAX]; /* stable order, see screen.h */
	sl_error_t error; /* error.code != SL_OK iff verdict == REJECT */
	char ruleset[SL_SHORT_ID_MAX];	/* bundle short id, "" = none */
	char registry[SL_SHORT_ID_MAX]; /* registry short id, "" = none */
} sl_verdict_t;

#endif /* SLUICE_VERDICT_T_H */
