#!/usr/bin/env bash
# sluice screen, as a user runs it (SPEC 7): one verdict per input line in
# input order, unreadable lines named by number, overlong lines rejected
# without holding them, exit codes, --help.
set -euo pipefail

bin=${SLUICE_BIN:?}/sluice
. "$(dirname "$0")/check_lib.sh"

# ------------------------------------------------------------ --help etc.
"$bin" --help >"$tmp/h" && grep -q '^usage: sluice' "$tmp/h" && ok || fail "sluice --help"
"$bin" screen --help >"$tmp/h" && grep -q '^usage: sluice screen' "$tmp/h" && ok ||
	fail "sluice screen --help"
"$bin" --version | grep -q '^sluice [0-9]' && ok || fail "sluice --version"
"$bin" screen --version | grep -q 'jemalloc' && ok || fail "screen --version"

rc=0; "$bin" >/dev/null 2>&1 || rc=$?
expect_eq "no command" "$rc" 2
rc=0; "$bin" frobnicate >/dev/null 2>&1 || rc=$?
expect_eq "unknown command" "$rc" 2
rc=0; "$bin" screen --bogus </dev/null >/dev/null 2>&1 || rc=$?
expect_eq "unknown option" "$rc" 2
rc=0; "$bin" screen a b </dev/null >/dev/null 2>&1 || rc=$?
expect_eq "two inputs" "$rc" 2
rc=0; "$bin" screen -r /nonexistent.bundle </dev/null >/dev/null 2>&1 || rc=$?
expect_eq "unusable bundle" "$rc" 2
rc=0; "$bin" screen "$tmp/does-not-exist" >/dev/null 2>&1 || rc=$?
expect_eq "missing input file" "$rc" 1

# ------------------------------------------------------- a mixed stream
{
	decl A-1
	echo 'this is not json'
	decl A-3 | sed 's/91350100M000100Y43/91350100M000100Y44/'
	echo
	echo '[1,2,3]'
	decl A-6 | sed 's/"currency":"CNY"/"currency":"RMB"/'
	printf '%s\r\n' "$(decl A-7)"
	d8=$(decl A-8)
	printf '%s\n' "${d8:0:100}" # cut short: not JSON
	decl A-9
	printf '%s' "$(decl A-10)" # last line without a newline
} >"$tmp/mixed.jsonl"

rc=0
"$bin" screen "$tmp/mixed.jsonl" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_eq "exit status with rejects" "$rc" 0
expect_eq "one verdict per line" "$(wc -l <"$tmp/out")" 10
expect_eq "verdicts are JSON" "$(jq -c . "$tmp/out" | wc -l)" 10
expect_eq "order and ids" "$(jq -r '.decl_id // "null:\(.line)"' "$tmp/out" | tr '\n' ' ')" \
	"A-1 null:2 A-3 null:4 null:5 A-6 A-7 null:8 A-9 A-10 "
expect_eq "verdicts" "$(jq -r .verdict "$tmp/out" | tr '\n' ' ')" \
	"hold reject reject reject reject reject hold reject hold hold "
expect_eq "codes" "$(jq -r '.error.code // "-"' "$tmp/out" | tr '\n' ' ')" \
	"- NOT_JSON BAD_USCC NOT_JSON NOT_OBJECT BAD_CURRENCY - NOT_JSON - - "
expect_eq "reject status" "$(jq -r 'select(.verdict=="reject").status' "$tmp/out" | sort -u)" 100
expect_eq "BAD_USCC message" "$(sed -n 3p "$tmp/out" | jq -r .error.message)" \
	"check character is 4, expected 3"
expect_eq "BAD_USCC field" "$(sed -n 3p "$tmp/out" | jq -r .error.field)" "ebc.code"
# the default bundle decides; with no registry every enterprise is unknown
expect_eq "hold reason" "$(sed -n 1p "$tmp/out" | jq -r '.reasons[0].rule')" TIER.UNKNOWN
grep -q '10 lines' "$tmp/err" && ok || fail "summary lines: $(cat "$tmp/err")"
grep -q 'hold 4' "$tmp/err" && ok || fail "summary verdicts"
grep -q 'reject 6' "$tmp/err" && ok || fail "summary verdicts"
grep -q 'NOT_JSON 3' "$tmp/err" && ok || fail "summary codes"
grep -q 'declarations/s' "$tmp/err" && ok || fail "summary throughput"

# stdin and "-" give the same answers
"$bin" screen - <"$tmp/mixed.jsonl" >"$tmp/out2" 2>/dev/null
cmp -s "$tmp/out" "$tmp/out2" && ok || fail "stdin differs from file"
"$bin" screen <"$tmp/mixed.jsonl" >"$tmp/out2" 2>/dev/null
cmp -s "$tmp/out" "$tmp/out2" && ok || fail "no INPUT differs from file"

# ------------------------------------------- overlong lines, flat memory
# A 300 kB name and a 100 MB line, streamed through a pipe: both rejected
# as LINE_TOO_LONG with their line numbers, and the stream goes on.  The
# process never holds the 100 MB line: its peak RSS stays far below it.
big300k=$(head -c 307200 /dev/zero | tr '\0' 'n')
{
	decl B-1
	decl B-2 "$big300k"
	decl B-3
	printf '{"decl_id":"B-4","x":"'
	head -c 100000000 /dev/zero | tr '\0' 'x'
	printf '"}\n'
	decl B-5
} | /usr/bin/time -f '%M' -o "$tmp/rss" "$bin" screen >"$tmp/out" 2>"$tmp/err"
expect_eq "overlong: one verdict per line" "$(wc -l <"$tmp/out")" 5
expect_eq "overlong: ids" "$(jq -r '.decl_id // "null:\(.line)"' "$tmp/out" | tr '\n' ' ')" \
	"B-1 null:2 B-3 null:4 B-5 "
expect_eq "overlong: codes" "$(jq -r '.error.code // "-"' "$tmp/out" | tr '\n' ' ')" \
	"- LINE_TOO_LONG - LINE_TOO_LONG - "
rss_kb=$(tail -n 1 "$tmp/rss")
if [ "$rss_kb" -lt 65536 ]; then ok; else fail "peak RSS ${rss_kb} kB for a 100 MB line"; fi

# ---------------------------------------------------- many declarations
for i in $(seq 1 2000); do decl "C-$i"; done >"$tmp/many.jsonl"
"$bin" screen "$tmp/many.jsonl" >"$tmp/out" 2>/dev/null
expect_eq "2000 in, 2000 out" "$(wc -l <"$tmp/out")" 2000
expect_eq "2000 in order" "$(jq -r .decl_id "$tmp/out" | md5sum)" \
	"$(seq 1 2000 | sed 's/^/C-/' | md5sum)"

finish test_screen_cli
