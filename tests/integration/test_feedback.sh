#!/usr/bin/env bash
# sluice-feedback end to end: exit codes, messages, stdin, and the JSON
# report of the fixed data set (numbers worked out in tests/unit/test_feedback.c).
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_TMP:?}"
fb=$SLUICE_BIN/sluice-feedback
data=$SLUICE_SRC/tests/data/feedback
mkdir -p "$SLUICE_TMP"
cd "$SLUICE_TMP"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --help: usage on stdout, status 0.
"$fb" --help >help.txt || fail "--help exited $?"
grep -q '^usage: sluice-feedback' help.txt || fail "--help has no usage line"

# Usage errors: status 2.
set +e
"$fb" "$data/verdicts.jsonl" 2>err.txt; rc=$?
set -e
[ $rc -eq 2 ] || fail "no -i: status $rc, want 2"
grep -q 'no outcomes file' err.txt || fail "no -i: $(cat err.txt)"
set +e
"$fb" --sort size -i "$data/outcomes.csv" "$data/verdicts.jsonl" 2>err.txt; rc=$?
set -e
[ $rc -eq 2 ] || fail "--sort size: status $rc, want 2"

# Malformed input: status 1 and FILE:LINE.
printf 'decl_id,outcome\nV02,found\nV03,dunno\n' >bad.csv
set +e
"$fb" -i bad.csv "$data/verdicts.jsonl" >/dev/null 2>err.txt; rc=$?
set -e
[ $rc -eq 1 ] || fail "bad outcome: status $rc, want 1"
grep -q '^sluice-feedback: bad.csv:3: outcome "dunno"' err.txt ||
	fail "bad outcome message: $(cat err.txt)"
set +e
"$fb" -i "$data/outcomes.csv" no-such-file.jsonl >/dev/null 2>err.txt; rc=$?
set -e
[ $rc -eq 1 ] || fail "missing verdicts: status $rc, want 1"
grep -q 'no-such-file.jsonl: No such file' err.txt || fail "$(cat err.txt)"

# The report, verdicts on stdin, as JSON.
"$fb" --json -i "$data/outcomes.csv" <"$data/verdicts.jsonl" >r.json 2>err.txt
grep -q '1 outcome(s) name no verdict read (X99)' err.txt ||
	fail "unmatched warning: $(cat err.txt)"
check() { # jq-expression expected
	got=$(jq -c "$1" r.json)
	[ "$got" = "$2" ] || fail "$1 = $got, want $2"
}
check '.verdicts.screened' 11
check '.verdicts.rejects' 2
check '.outcomes.unmatched' 1
check '.baseline_find_rate' 0.75
check '[.rules[] | select(.rule=="RISK.UNDERVALUED") | .hits, .inspected, .found]' '[3,3,2]'
check '[.rules[] | select(.rule=="PROHIBITED.ENDANGERED.IVORY") | .action]' '["seize"]'
check '[.tiers[] | select(.tier=="general") | .declarations, .inspected, .found, .random.missed_found]' '[5,4,2,1]'
check '[.tiers[] | select(.tier=="advanced") | .random.find_rate]' '[null]'
check '.total.random.undetected_estimate' 6

# Table: one line per rule, --quiet silences warnings.
"$fb" -q -i "$data/outcomes.csv" "$data/verdicts.jsonl" >r.txt 2>err.txt
[ ! -s err.txt ] || fail "--quiet printed: $(cat err.txt)"
grep -Eq '^RISK\.UNDERVALUED +\+40 +3 +3 +2 +66\.67% +0\.89$' r.txt ||
	fail "table row: $(grep UNDERVALUED r.txt | head -1)"

# The worked example's loop end to end (docs/targeting.md): generated
# declarations, screened, outcomes fabricated for every selected one, the
# report.  Every selected declaration is inspected once; a retuned bundle
# changes the selection, and the same declarations keep the same truth.
"$SLUICE_BIN/sluice-gen" -n 2000 --seed 3 --labels labels.jsonl \
	--registry registry.csv -o decls.jsonl
"$SLUICE_BIN/sluice" screen -e registry.csv --state st1 decls.jsonl >v1.jsonl 2>/dev/null
python3 "$SLUICE_SRC/tools/feedback/fabricate-outcomes.py" labels.jsonl v1.jsonl >o1.csv 2>/dev/null
selected=$(jq -r 'select(.verdict=="hold" or .verdict=="inspect" or .verdict=="seize") | .decl_id' v1.jsonl | sort)
[ "$(tail -n +2 o1.csv | cut -d, -f1 | sort)" = "$selected" ] ||
	fail "fabricated outcomes are not exactly the selected declarations"
"$fb" --json -i o1.csv v1.jsonl >r1.json
[ "$(jq .total.inspected r1.json)" = "$(echo "$selected" | grep -c .)" ] || fail "inspected != selected"
[ "$(jq .total.selected r1.json)" = "$(jq .total.inspected r1.json)" ] || fail "selected != inspected"
[ "$(jq .outcomes.unmatched r1.json)" = 0 ] || fail "unmatched outcomes"
# Same declarations, same outcome for any that both runs select.
python3 "$SLUICE_SRC/tools/feedback/fabricate-outcomes.py" labels.jsonl v1.jsonl 2>/dev/null | cmp -s - o1.csv ||
	fail "fabricate-outcomes.py is not deterministic"
echo "ok"
