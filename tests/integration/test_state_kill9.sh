#!/usr/bin/env bash
# kill -9 loses no released value.  `sluice screen --state DIR` is killed
# at random moments; each time, the lines it did answer are kept and the
# rest is screened by a new run over the same state directory.  Across the
# pieces every line is answered exactly once, and no buyer is ever released
# more than the annual CNY 26,000 (26 parcels of CNY 1,000): a run that
# forgot what an earlier one released would give every buyer 26 more.
set -euo pipefail
bin=${SLUICE_BIN:?}/sluice
tmp=${SLUICE_TMP:?}
here=$(cd "$(dirname "$0")" && pwd)
rounds=${KILL_ROUNDS:-3}
rm -rf "$tmp" && mkdir -p "$tmp"
cd "$tmp"

cat >reg.csv <<'CSV'
code,name,tier,negative_list
91350100M000100Y43,"Example Trading Co., Ltd.",advanced,0
CSV
B=400
awk -v BUYERS=$B -v PER=300 -v VALUE=1000 -f "$here/idcard.awk" -f "$here/buyers.awk" >all.jsonl
n=$(wc -l <all.jsonl)
# the uninterrupted run, for comparison
"$bin" screen -e reg.csv --state ref all.jsonl >ref.out 2>ref.err
ref=$(jq -r .verdict ref.out | grep -c '^release$' || true)
if [ "$ref" -lt $((B * 24)) ]; then
	echo "FAIL: the uninterrupted run released only $ref (expected about $((B * 26)))"
	exit 1
fi

fail=0
for round in $(seq 1 "$rounds"); do
	rm -rf state out.jsonl
	: >out.jsonl
	done_lines=0
	kills=0
	while [ "$done_lines" -lt "$n" ]; do
		tail -n +$((done_lines + 1)) all.jsonl >rest.jsonl
		"$bin" screen -e reg.csv --state state rest.jsonl >piece.out 2>piece.err &
		pid=$!
		# kill at a random moment in the first two seconds, twice per
		# round at most, then let the last piece finish
		if [ $kills -lt 2 ]; then
			sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
			kill -9 $pid 2>/dev/null && kills=$((kills + 1)) || true
		fi
		wait $pid 2>/dev/null || true
		# keep only complete lines: a killed writer may leave half a one
		got=$(grep -c '' piece.out || true)
		if [ -s piece.out ] && [ "$(tail -c 1 piece.out | od -An -c | tr -d ' ')" != '\n' ]; then
			got=$((got - 1))
		fi
		head -n "$got" piece.out >>out.jsonl
		echo "piece: from line $((done_lines + 1)), $got answered, killed: $kills" >>pieces.log
		cat piece.err >>pieces.log
		done_lines=$((done_lines + got))
	done
	ids_in=$(jq -r .decl_id all.jsonl | md5sum)
	ids_out=$(jq -r .decl_id out.jsonl | md5sum)
	if [ "$ids_in" != "$ids_out" ]; then
		echo "FAIL round $round: lines not answered exactly once, in order"
		fail=1
	fi
	over=$(paste -d' ' <(awk -v B=$B '{ print (NR - 1) % B }' all.jsonl) \
		<(jq -r .verdict out.jsonl) |
		awk '$2 == "release" { r[$1]++ }
		     END { m = 0; for (b in r) if (r[b] > 26) m++; print m }')
	rel=$(jq -r .verdict out.jsonl | grep -c '^release$' || true)
	echo "round $round: $kills kills, $rel released (uninterrupted: $ref), $over buyers over the limit"
	[ "$over" -eq 0 ] || fail=1
	# A kill can cost releases, never add one: the batch in flight had its
	# state logged but its verdicts not written, so the restart screens it
	# again against a state that already counts it (docs/state.md).
	if [ "$rel" -gt "$ref" ]; then
		echo "FAIL round $round: $rel released vs $ref uninterrupted"
		cp out.jsonl "fail-$round.jsonl"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
