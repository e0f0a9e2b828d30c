#!/usr/bin/env bash
# `sluice screen --state DIR`: a second run continues where the first one
# stopped.  The corpus has buyers with more parcels than their annual
# quota; screened in one run or in two runs over one state directory, the
# verdicts must be the same line for line.  Without the state the second
# half would release every buyer's quota again.
set -euo pipefail
bin=${SLUICE_BIN:?}/sluice
tmp=${SLUICE_TMP:?}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
cd "$tmp"

cat >reg.csv <<'CSV'
code,name,tier,negative_list
91350100M000100Y43,"Example Trading Co., Ltd.",advanced,0
CSV
awk -v BUYERS=50 -v PER=40 -v VALUE=1000 -f "$here/idcard.awk" -f "$here/buyers.awk" >all.jsonl
n=$(wc -l <all.jsonl)
head -n $((n / 2)) all.jsonl >first.jsonl
tail -n +$((n / 2 + 1)) all.jsonl >second.jsonl

"$bin" screen -e reg.csv --state one all.jsonl >one.out 2>one.err
"$bin" screen -e reg.csv --state two first.jsonl >two.out 2>two.err
"$bin" screen -e reg.csv --state two second.jsonl >>two.out 2>>two.err
"$bin" screen -e reg.csv second.jsonl >fresh.out 2>fresh.err

fail=0
if ! cmp -s one.out two.out; then
	echo "FAIL: one run and two runs over one state differ:"
	diff <(jq -c '[.decl_id,.verdict,[.reasons[].rule]]' one.out) \
		<(jq -c '[.decl_id,.verdict,[.reasons[].rule]]' two.out) | head -20
	fail=1
fi
# Every buyer got at most 26 parcels of CNY 1,000 released in 2026.
paste -d' ' <(awk -v B=50 '{ print (NR - 1) % B }' all.jsonl) \
	<(jq -r .verdict two.out) |
	awk '$2 == "release" { r[$1]++ }
	     END { for (b in r) if (r[b] > 26) { print "FAIL: buyer " b " got " r[b]; bad = 1 }
		   exit bad }' || fail=1
rel_two=$(tail -n +$((n / 2 + 1)) two.out | jq -r .verdict | grep -c '^release$' || true)
rel_fresh=$(jq -r .verdict fresh.out | grep -c '^release$' || true)
echo "second half released: $rel_two with the state, $rel_fresh without"
if [ "$rel_two" -ge "$rel_fresh" ]; then
	echo "FAIL: the state made no difference to the second half"
	fail=1
fi
rel_one=$(jq -r .verdict one.out | grep -c '^release$' || true)
if [ "$rel_one" -lt $((50 * 24)) ]; then
	echo "FAIL: only $rel_one released; 50 buyers x 26 expected, less a few sampled"
	fail=1
fi
limit_holds=$(jq -r '.reasons[].rule' two.out | grep -c '^LIMIT.ANNUAL$' || true)
if [ "$limit_holds" -eq 0 ]; then
	echo "FAIL: no LIMIT.ANNUAL hold in a corpus built to reach the limit"
	fail=1
fi
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
