#!/usr/bin/env bash
# sluice-gen as users run it (docs/generator.md): --help, usage errors,
# same seed => same bytes, the files it writes, `sluice-gen check` scoring
# right and wrong verdicts, the build-time sample, and the demo script.
set -euo pipefail

gen=${SLUICE_BIN:?}/sluice-gen
build=${SLUICE_BUILD:?}
src=${SLUICE_SRC:?}
. "$(dirname "$0")/check_lib.sh"

# ------------------------------------------------------------- --help
"$gen" --help >"$tmp/h" && grep -q '^usage: sluice-gen' "$tmp/h" && ok ||
	fail "sluice-gen --help"
grep -q 'reject.bad_uscc' "$tmp/h" && grep -q 'prohibited.endangered' "$tmp/h" &&
	ok || fail "--help lists the classes"

# ------------------------------------------------------- usage errors
expect_eq "unknown option" "$(status "$gen" --bogus)" 2
expect_eq "bad format" "$(status "$gen" --format xml)" 2
expect_eq "bad items" "$(status "$gen" --items 0-3)" 2
expect_eq "too many items" "$(status "$gen" --items 1-100)" 2
expect_eq "bad count" "$(status "$gen" -n -5)" 2
expect_eq "unknown class" "$(status "$gen" --mix nope=1)" 2
grep -q "unknown class 'nope'" "$tmp/err" && ok || fail "--mix names the class"
expect_eq "zero mix" "$(status "$gen" --mix clean=0)" 2
expect_eq "bad_msgpack in a mix" "$(status "$gen" --mix reject.bad_msgpack=1)" 2
expect_eq "check without files" "$(status "$gen" check)" 2

# ------------------------------------------------------ same seed, same bytes
"$gen" -n 400 --seed 9 -o "$tmp/a.jsonl" --labels "$tmp/a.lab" --registry "$tmp/a.csv"
"$gen" -n 400 --seed 9 -o "$tmp/b.jsonl" --labels "$tmp/b.lab" --registry "$tmp/b.csv"
"$gen" -n 400 --seed 9 >"$tmp/c.jsonl"
cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" && cmp -s "$tmp/a.lab" "$tmp/b.lab" &&
	cmp -s "$tmp/a.csv" "$tmp/b.csv" && ok || fail "same seed, different files"
cmp -s "$tmp/a.jsonl" "$tmp/c.jsonl" && ok || fail "-o and stdout differ"
"$gen" -n 400 --seed 10 -o "$tmp/d.jsonl"
cmp -s "$tmp/a.jsonl" "$tmp/d.jsonl" && fail "another seed, same bytes" || ok
"$gen" -n 400 --seed 9 --format msgpack -o "$tmp/a.mp"
"$gen" -n 400 --seed 9 --format msgpack -o "$tmp/b.mp"
cmp -s "$tmp/a.mp" "$tmp/b.mp" && ok || fail "msgpack: same seed, different bytes"

expect_eq "records" "$(wc -l <"$tmp/a.jsonl")" 400
expect_eq "labels" "$(wc -l <"$tmp/a.lab")" 400
expect_eq "registry header" "$(head -1 "$tmp/a.csv")" "code,name,tier,negative_list"
expect_eq "every label names its line" \
	"$(jq -s '[.[].line] == [range(1; 401)]' "$tmp/a.lab")" true

# ------------------------------------------------------------- check
# Verdicts a perfect engine would write, then one wrong one.
jq -c '{decl_id, verdict: .expect, sampled: false}
	+ (if .error then {error: .error} else {} end)' "$tmp/a.lab" >"$tmp/perfect.jsonl"
expect_eq "check: perfect verdicts" \
	"$(status "$gen" check "$tmp/a.lab" "$tmp/perfect.jsonl")" 0
grep -q '^total  *400  *400  *100.0%' "$tmp/out" && ok || fail "check: total line"
# a seizure released
n=$(jq -r 'select(.expect=="seize") | .line' "$tmp/a.lab" | head -1)
if [ -n "$n" ]; then
	awk -v n="$n" 'NR==n { sub(/"verdict":"seize"/, "\"verdict\":\"release\"") } 1' \
		"$tmp/perfect.jsonl" >"$tmp/wrong.jsonl"
	expect_eq "check: a released seizure" \
		"$(status "$gen" check -v "$tmp/a.lab" "$tmp/wrong.jsonl")" 1
	grep -q "^line $n .*expected seize, got release" "$tmp/out" && ok ||
		fail "check -v names the miss"
else
	fail "no seize label in 400 records"
fi
# a sampled inspection of a release class is right, an unsampled one is not
n=$(jq -r 'select(.class=="clean") | .line' "$tmp/a.lab" | head -1)
awk -v n="$n" 'NR==n { sub(/"verdict":"release","sampled":false/, "\"verdict\":\"inspect\",\"sampled\":true") } 1' \
	"$tmp/perfect.jsonl" >"$tmp/sampled.jsonl"
expect_eq "check: sampled inspection" \
	"$(status "$gen" check "$tmp/a.lab" "$tmp/sampled.jsonl")" 0
sed "${n}s/\"sampled\":true/\"sampled\":false/" "$tmp/sampled.jsonl" >"$tmp/unsampled.jsonl"
expect_eq "check: unsampled inspection" \
	"$(status "$gen" check "$tmp/a.lab" "$tmp/unsampled.jsonl")" 1
# a reject with the wrong field
n=$(jq -r 'select(.error.field != null and .error.field != "") | .line' "$tmp/a.lab" | head -1)
awk -v n="$n" 'NR==n { sub(/"field":"[^"]*"/, "\"field\":\"elsewhere\"") } 1' \
	"$tmp/perfect.jsonl" >"$tmp/field.jsonl"
expect_eq "check: reject field" "$(status "$gen" check "$tmp/a.lab" "$tmp/field.jsonl")" 1
# a dishonest rate under 80 %
"$gen" -n 200 --seed 3 --mix tier.dishonest=1 --labels "$tmp/t.lab" -o /dev/null
jq -c '{decl_id, verdict: "release", sampled: false}' "$tmp/t.lab" >"$tmp/t.jsonl"
expect_eq "check: dishonest rate" "$(status "$gen" check "$tmp/t.lab" "$tmp/t.jsonl")" 1
grep -q 'TOO LOW' "$tmp/out" && ok || fail "check names the low rate"
# a missing verdict
head -n 399 "$tmp/perfect.jsonl" >"$tmp/short.jsonl"
expect_eq "check: a verdict missing" \
	"$(status "$gen" check "$tmp/a.lab" "$tmp/short.jsonl")" 1
# groups
"$gen" check -g "$tmp/a.lab" "$tmp/perfect.jsonl" >"$tmp/g"
grep -q '^reject ' "$tmp/g" && ! grep -q '^reject\.' "$tmp/g" && ok ||
	fail "check -g sums the reject classes"

# ---------------------------------------------------------- the sample
share=$build/share/sluice
for f in sample.jsonl sample.labels.jsonl sample-registry.csv sample.msgpack \
	sample.msgpack.labels.jsonl; do
	[ -s "$share/$f" ] && ok || fail "build made no $share/$f"
done
expect_eq "sample labels" "$(wc -l <"$share/sample.labels.jsonl")" \
	"$(wc -l <"$share/sample.jsonl")"
expect_eq "sample msgpack labels" "$(wc -l <"$share/sample.msgpack.labels.jsonl")" \
	"$(wc -l <"$share/sample.jsonl")"
# every class with a weight appears (annual and split as their labels)
jq -r .class "$share/sample.labels.jsonl" | sort -u >"$tmp/seen"
"$gen" --list-classes | awk 'NR > 1 && $3 != 0 { print $1 }' |
	sed 's/^annual$/annual.over/; s/^split$/split.over/' | sort -u >"$tmp/want"
expect_eq "classes missing from the sample" "$(comm -23 "$tmp/want" "$tmp/seen" | xargs)" ""

# sluice screen on the sample: one verdict per line, and every reject
# class exactly as labelled (the risk classes need the rules and registry).
"${SLUICE_BIN}/sluice" screen "$share/sample.jsonl" >"$tmp/v.jsonl" 2>/dev/null
expect_eq "a verdict per line" "$(wc -l <"$tmp/v.jsonl")" "$(wc -l <"$share/sample.jsonl")"
"$gen" check "$share/sample.labels.jsonl" "$tmp/v.jsonl" >"$tmp/acc" || true
bad=$(awk '$1 ~ /^reject\./ && $4 != "100.0%"' "$tmp/acc")
expect_eq "sample rejects as labelled" "$bad" ""
grep -q 'all verdicts aligned' "$tmp/acc" && ok || fail "sample verdicts misaligned"

# ------------------------------------------------------------ the demo
"$src/tools/demo.sh" "$build" >"$tmp/demo" 2>&1 && ok || fail "tools/demo.sh failed"
[ -s "$build/demo/verdicts.jsonl" ] && ok || fail "demo wrote no verdicts"
grep -q '^total ' "$tmp/demo" && ok || fail "demo printed no accuracy"

finish test_gen
