# Shared by the integration tests that count their checks (sourced, not a
# test itself): a fresh scratch directory in $tmp, pass/fail counters and
# the helpers below.  A test sources it after `set -euo pipefail` and ends
# with `finish NAME`, which prints the counts and fails the test if any
# check failed.

tmp=${SLUICE_TMP:-$(mktemp -d)}
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0
pass=0

ok() { pass=$((pass + 1)); }
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
expect_eq() { # what got want
	if [ "$2" == "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
status() { # command...: prints its exit status; output to $tmp/out, $tmp/err
	local rc=0
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	echo "$rc"
}

# decl DECL_ID [ITEM_NAME]: one valid declaration (the SPEC 3 example).
decl() {
	printf '{"decl_id":"%s","flow":"import","trade_mode":"9610",' "$1"
	printf '"declared_at":"2026-11-29T08:15:00+08:00","customs_code":"0501",'
	printf '"ebc":{"code":"91350100M000100Y43","name":"Example Trading Co."},'
	printf '"buyer":{"name":"张三","id_type":"id_card","id_number":"11010519491231002X"},'
	printf '"origin_country":"JP","currency":"CNY","goods_value":398.00,'
	printf '"items":[{"seq":1,"hs_code":"3304990099","name":"%s","qty":2,"price":199.00}]}\n' \
		"${2:-保湿面霜}"
}

finish() { # NAME
	echo "$1: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
}
