#!/usr/bin/env bash
# sluice-rulec as an officer and an operator use it (SPEC 7, issue 3):
# compile, --check, --explain, --test, FILE:LINE:COL errors with exit 1,
# exit 2 for usage errors and unusable bundles, the default bundle found
# relative to the binary from any working directory.
set -euo pipefail

rulec=${SLUICE_BIN:?}/sluice-rulec
src=${SLUICE_SRC:?}
. "$(dirname "$0")/check_lib.sh"

# ------------------------------------------------------------- --help
"$rulec" --help >"$tmp/h" && grep -q '^usage: sluice-rulec -o' "$tmp/h" && ok ||
	fail "--help"
[ "$(status "$rulec")" = 2 ] && ok || fail "no arguments: exit 2"
[ "$(status "$rulec" -o x --check y)" = 2 ] && ok || fail "two modes: exit 2"
[ "$(status "$rulec" --bogus)" = 2 ] && ok || fail "unknown option: exit 2"

# ------------------------------------------------------------ compile
[ "$(status "$rulec" -o "$tmp/r.bundle" "$src/rules")" = 0 ] && ok ||
	fail "compile rules/: $(cat "$tmp/err")"
grep -q "wrote $tmp/r.bundle: [0-9]* rules" "$tmp/err" && ok || fail "summary"
[ -s "$tmp/r.bundle" ] && ok || fail "no bundle written"
ls "$tmp" | grep -q 'r.bundle.' && fail "temporary file left" || ok
[ "$(status "$rulec" --check "$src/rules")" = 0 ] && ok || fail "--check rules/"
grep -q '^sluice-rulec: checked' "$tmp/err" && ok || fail "--check summary"

# every error of every file, as FILE:LINE:COL: error:, exit 1
mkdir -p "$tmp/bad"
cat >"$tmp/bad/a.yaml" <<'EOF'
rules:
  - id: A.ONE
    title: t
    source: s
    action: seize
    match: {terms: [x], fields: [item.colour]}
  - id: A.ONE
    title: t
    source: s
    points: 5
    when: {hs_list: nope}
EOF
cat >"$tmp/bad/b.yaml" <<'EOF'
rules:
  - id: B.ONE
    title: t
    source: s
    action: hold
    match: {regex: ['(']}
EOF
[ "$(status "$rulec" -o "$tmp/bad.bundle" "$tmp/bad")" = 1 ] && ok ||
	fail "bad rules: exit 1"
[ ! -e "$tmp/bad.bundle" ] && ok || fail "bundle written despite errors"
grep -q "^$tmp/bad/a.yaml:6:34: error: unknown field 'item.colour'" "$tmp/err" &&
	ok || fail "unknown field located: $(cat "$tmp/err")"
grep -q "^$tmp/bad/a.yaml:7:5: error: duplicate rule id 'A.ONE'" "$tmp/err" &&
	ok || fail "duplicate id located"
grep -q "^$tmp/bad/a.yaml:11:21: error: unknown list 'nope'" "$tmp/err" &&
	ok || fail "unknown list located"
grep -q "^$tmp/bad/b.yaml:6:22: error: bad regex '('" "$tmp/err" && ok ||
	fail "bad regex located"
grep -q '^sluice-rulec: 4 errors$' "$tmp/err" && ok || fail "error count"

# ------------------------------------------------------------ explain
[ "$(status "$rulec" --explain "$tmp/r.bundle")" = 0 ] && ok || fail "--explain"
grep -q '^id         [0-9a-f]\{16\}$' "$tmp/out" && ok || fail "explain: id"
grep -q '^  PROHIBITED.ENDANGERED  seize' "$tmp/out" && ok ||
	fail "explain: rule"
grep -q 'unless term .*"象牙白"' "$tmp/out" && ok || fail "explain: unless"
grep -q '^database   .*BLOCK' "$tmp/out" && ok || fail "explain: database"

# damaged bundles are refused with exit 2 and a message
head -c 1000 "$tmp/r.bundle" >"$tmp/trunc.bundle"
[ "$(status "$rulec" --explain "$tmp/trunc.bundle")" = 2 ] && ok ||
	fail "truncated: exit 2"
grep -q 'truncated' "$tmp/err" && ok || fail "truncated: message"
cp "$tmp/r.bundle" "$tmp/flip.bundle"
printf '\xff' | dd of="$tmp/flip.bundle" bs=1 seek=5000 conv=notrunc 2>/dev/null
[ "$(status "$rulec" --explain "$tmp/flip.bundle")" = 2 ] && ok ||
	fail "flipped: exit 2"
grep -q 'checksum mismatch' "$tmp/err" && ok || fail "flipped: message"

# --------------------------------------------------------------- test
[ "$(status "$rulec" --test "$src/rules/default.cases.yaml" -r "$tmp/r.bundle")" = 0 ] &&
	ok || fail "--test default cases: $(cat "$tmp/out" "$tmp/err")"
grep -q '^[0-9]* cases: [0-9]* passed, 0 failed' "$tmp/out" && ok ||
	fail "--test summary"
# the same cases against sources compiled on the fly
[ "$(status "$rulec" --test "$src/rules/default.cases.yaml" "$src/rules")" = 0 ] &&
	ok || fail "--test with SOURCEs"
# a failing case: exit 1 and a reason
cat >"$tmp/f.cases.yaml" <<'EOF'
defaults: {decl_id: X1, flow: import, trade_mode: '9610',
           declared_at: '2026-11-29T08:15:00+08:00',
           ebc: {code: 91350100M000100Y43},
           buyer: {id_number: 11010519491231002X}, currency: CNY,
           goods_value: 10}
cases:
  - name: a wrong expectation
    decl: {items: [{hs_code: '9601100000', name: 象牙手镯, qty: 1, price: 10}]}
    rules: []
EOF
[ "$(status "$rulec" --test "$tmp/f.cases.yaml" -r "$tmp/r.bundle")" = 1 ] &&
	ok || fail "failing case: exit 1"
grep -q 'rule PROHIBITED.ENDANGERED fired on items\[0\].name but must not' \
	"$tmp/out" && ok || fail "failing case: reason"

# --------------------------------------------- the default bundle
# found relative to the binary, from any working directory
(cd / && "$rulec" --test "$src/rules/default.cases.yaml" >"$tmp/out" 2>&1) &&
	ok || fail "--test with the default bundle from /: $(cat "$tmp/out")"
[ -s "${SLUICE_BUILD:?}/share/sluice/default.bundle" ] && ok ||
	fail "default bundle not built"

finish test_rulec
