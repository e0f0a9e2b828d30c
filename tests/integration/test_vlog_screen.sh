#!/usr/bin/env bash
# `sluice screen --verdict-log` and `sluice-audit`, as an operator and an
# auditor use them (docs/audit.md): the log holds what stdout printed, it
# verifies (with the code and with the reference shell verifier), a
# restart continues it, tampering is named and refused, a torn end is cut,
# and kill -9 at random moments never leaves a log that cannot continue.
set -euo pipefail

bin=${SLUICE_BIN:?}
src=${SLUICE_SRC:?}
. "$(dirname "$0")/check_lib.sh"

{
	for i in $(seq -w 1 40); do decl "TYN20261129000000$i"; done
	echo 'not json at all'
	echo '{"decl_id":"TYN2026112900000099","flow":"import"}'
} >"$tmp/decls.jsonl"

openssl genpkey -algorithm SM2 -out "$tmp/k.pem" 2>/dev/null
openssl pkey -in "$tmp/k.pem" -pubout -out "$tmp/k.pub"
log=$tmp/v.log
screen() { "$bin/sluice" screen --verdict-log "$log" --vlog-opt "key=$tmp/k.pem" \
	--vlog-opt checkpoint=10 "$@"; }

# --------------------------------------------- the log is what stdout said
expect_eq "screen runs" "$(status screen "$tmp/decls.jsonl")" 0
cp "$tmp/out" "$tmp/stdout1"
grep -q 'verdict log: 42 verdicts appended' "$tmp/err" && ok ||
	fail "summary names the log: $(cat "$tmp/err")"
jq -c 'select(.vlog == null) | del(.logged_at, .seq, .h)' "$log" >"$tmp/from_log"
jq -c . "$tmp/stdout1" >"$tmp/from_stdout"
cmp -s "$tmp/from_log" "$tmp/from_stdout" && ok || fail "log verdicts differ from stdout"
# byte for byte, too: the log line starts with the printed line minus '}'
head -1 "$tmp/stdout1" | sed 's/}$//' >"$tmp/l1"
grep -F -q -f "$tmp/l1" "$log" && ok || fail "first verdict not byte-identical in the log"

expect_eq "verify --key" "$(status "$bin/sluice-audit" verify "$log" --key "$tmp/k.pub")" 0
grep -q 'signatures: 5 of 5 checkpoints verified' "$tmp/out" && ok ||
	fail "5 signed checkpoints (4 by count, 1 at the end): $(cat "$tmp/out")"
expect_eq "strict" "$(status "$bin/sluice-audit" verify --strict "$log" -k "$tmp/k.pub")" 0
expect_eq "reference verifier" \
	"$(status bash "$src/tools/audit/vlog-verify.sh" "$log" "$tmp/k.pub")" 0

# ------------------------------------------------- a second run continues
# Screening the same declarations again on purpose: without
# --replay-window 0 they would be answered from the log as declarations
# sent again after a restart (docs/reliability.md), not decided again.
expect_eq "second run" "$(status screen --replay-window 0 "$tmp/decls.jsonl")" 0
expect_eq "verify after resume" "$(status "$bin/sluice-audit" verify "$log" -k "$tmp/k.pub")" 0
grep -q '84 verdicts.*1 resumes' "$tmp/out" && ok || fail "resume counted: $(cat "$tmp/out")"

# ---------------------------------------------------------------- why
expect_eq "why" "$(status "$bin/sluice-audit" why TYN2026112900000099 "$log" -k "$tmp/k.pub")" 0
grep -q '2 decisions' "$tmp/out" && ok || fail "both decisions: $(cat "$tmp/out")"
grep -q 'MISSING_FIELD in trade_mode' "$tmp/out" && ok || fail "why names the error"
grep -q 'signature verified' "$tmp/out" && ok || fail "why vouches"
expect_eq "why --json" "$("$bin/sluice-audit" why --json TYN2026112900000007 "$log" |
	jq -r '.decisions | length, .[0].verdict.verdict' | paste -sd,)" "2,hold"
expect_eq "why unknown" "$(status "$bin/sluice-audit" why NOPE "$log")" 1

# ------------------------------------------------ tampering, then refusal
cp "$log" "$tmp/good.log"
sed -i '17s/"score":0/"score":9/' "$log"
expect_eq "edited: verify fails" "$(status "$bin/sluice-audit" verify "$log")" 1
grep -q "v.log:17: seq 16: hash does not match" "$tmp/out" && ok ||
	fail "names line 17: $(cat "$tmp/out")"
size=$(stat -c %s "$log")
expect_eq "screen refuses a damaged log" "$(status screen "$tmp/decls.jsonl")" 2
grep -q 'fails verification at line 17' "$tmp/err" && ok || fail "says why: $(cat "$tmp/err")"
expect_eq "nothing appended" "$(stat -c %s "$log")" "$size"
expect_eq "why on a damaged log" "$(status "$bin/sluice-audit" why TYN2026112900000030 "$log")" 3

cp "$tmp/good.log" "$log"
sed -i '30d' "$log"
expect_eq "deleted: verify fails" "$(status "$bin/sluice-audit" verify "$log")" 1
grep -q "v.log:30: seq 30 where 29 was expected" "$tmp/out" && ok ||
	fail "names the gap: $(cat "$tmp/out")"

cp "$tmp/good.log" "$log"
sed -i '20{h;d};21G' "$log" # swap lines 20 and 21
expect_eq "swapped: verify fails" "$(status "$bin/sluice-audit" verify "$log")" 1
grep -q "v.log:20:" "$tmp/out" && ok || fail "names line 20: $(cat "$tmp/out")"

# ---------------------------------------------- a torn end is cut, noted
cp "$tmp/good.log" "$log"
truncate -s -100 "$log"
expect_eq "torn: verify fails" "$(status "$bin/sluice-audit" verify "$log")" 1
grep -q "incomplete record" "$tmp/out" && ok || fail "torn named: $(cat "$tmp/out")"
expect_eq "screen cuts the torn end" "$(status screen "$tmp/decls.jsonl")" 0
grep -q 'cut [0-9]* bytes of a torn last record' "$tmp/err" && ok ||
	fail "warned: $(cat "$tmp/err")"
expect_eq "verify after the cut" "$(status "$bin/sluice-audit" verify "$log" -k "$tmp/k.pub")" 0
expect_eq "the cut is on record" "$(jq -r 'select(.vlog == "resume") | .cut_bytes' "$log" |
	tail -1)" "$(($(tail -c +1 "$tmp/good.log" | tail -1 | wc -c) - 100))"

# ------------------------------------------- kill -9 at random moments
{ yes "$(decl TYNKILL "电动牙刷")" || true; } | head -n 20000 >"$tmp/big.jsonl" # ~0.3 s of work
klog=$tmp/k.log
for round in $(seq 1 12); do
	"$bin/sluice" screen --verdict-log "$klog" --vlog-opt fsync=none \
		--vlog-opt group_records=7 "$tmp/big.jsonl" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk "BEGIN { print $((RANDOM % 300 + 5)) / 1000 }")"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rc=$(status "$bin/sluice-audit" verify "$klog")
	if [ "$rc" != 0 ] && ! grep -q "incomplete record" "$tmp/out"; then
		fail "round $round: log broken beyond a torn end: $(cat "$tmp/out")"
	fi
done
echo '{"decl_id":"AFTER"}' | "$bin/sluice" screen --verdict-log "$klog" >/dev/null 2>&1 ||
	fail "reopen after the kills"
expect_eq "log continues after 12 kills" "$(status "$bin/sluice-audit" verify "$klog")" 0
[ "$(jq -r 'select(.vlog == "resume")' "$klog" | grep -c resume)" -ge 1 ] && ok ||
	fail "no run was killed mid-way"

# ------------------------------------------------------------ usage
expect_eq "bad --vlog-opt" "$(status "$bin/sluice" screen --verdict-log "$tmp/x.log" \
	--vlog-opt colour=blue "$tmp/decls.jsonl")" 2
grep -q "unknown verdict log option 'colour'" "$tmp/err" && ok || fail "$(cat "$tmp/err")"
expect_eq "no such key" "$(status "$bin/sluice" screen --verdict-log "$tmp/x.log" \
	--vlog-opt key=/nonexistent.pem "$tmp/decls.jsonl")" 2
"$bin/sluice-audit" --help | grep -q 'sluice-audit verify LOG' && ok || fail "audit --help"

finish test_vlog_screen
