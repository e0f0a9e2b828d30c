# Shared by tests/integration/test_dpdk_*.sh (sourced, not a test itself).
# DPDK runs on virtual devices only: no hugepages, no PCI, no shared
# config, a unique --file-prefix per EAL so tests can run side by side.
set -euo pipefail

: "${SLUICE_BIN:?run through ctest (SLUICE_BIN unset)}"
: "${SLUICE_TMP:?run through ctest (SLUICE_TMP unset)}"
rm -rf "$SLUICE_TMP"
mkdir -p "$SLUICE_TMP"
cd "$SLUICE_TMP"

SLUICE=$SLUICE_BIN/sluice
PCAP=$SLUICE_BIN/sluice-pcap
CTL=$SLUICE_BIN/sluicectl

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "DPDK virtual devices need root"
for b in "$SLUICE" "$PCAP" "$CTL"; do
	[ -x "$b" ] || fail "$b not built"
done

# eal NAME LCORES VDEV... : EAL arguments for one engine instance.
eal() {
	local name=$1 lcores=$2
	shift 2
	echo --no-huge --no-pci --no-shconf --file-prefix="sl-$name-$$" \
		--no-telemetry -m 1024 -l "$lcores" "$@"
}

# jqs FILE FILTER: one value out of a stats JSON file.
jqs() {
	jq -r "$2" "$1"
}

# A few hundred declarations that are valid per SPEC 3 (two buyers, so
# buyer limits come into play), for tests that need plain traffic.
make_decls() {
	local n=$1 prefix=$2 i
	for ((i = 1; i <= n; i++)); do
		printf '{"decl_id":"%s%07d","flow":"import","trade_mode":"9610","declared_at":"2026-11-29T08:15:00+08:00","ebc":{"code":"91350100M000100Y43","name":"Example Trading Co."},"buyer":{"name":"张三","id_type":"id_card","id_number":"11010519491231002X"},"consignee":{"name":"张三","phone":"13800000000","address":"山西省太原市小店区%d号"},"origin_country":"JP","currency":"CNY","goods_value":%d.00,"items":[{"seq":1,"hs_code":"3304990099","name":"保湿面霜 %d","qty":1,"price":%d.00}]}\n' \
			"$prefix" "$i" "$i" $((i % 50 + 10)) "$i" $((i % 50 + 10))
	done
}

# verdicts LOG...: the verdict records of verdict logs, as `sluice screen`
# prints them (the log's own header/checkpoint/resume records and its
# chain fields removed), one compact JSON object per line.
verdicts() {
	jq -c 'select(has("vlog") | not) | del(.logged_at, .seq, .h)' "$@"
}
