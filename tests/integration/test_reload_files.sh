#!/usr/bin/env bash
# Files replaced under a running engine (docs/reliability.md): a bundle or
# registry moved into place with mv (rename(2)) is picked up whole at the
# next reload; one caught half-written, or empty, is refused and the old
# one keeps deciding.  Live traffic after every step shows which registry
# and bundle decided: the engine's port is one end of a veth pair
# (net_af_packet), tcpreplay sends into the other.  Also `sluice screen`,
# whose only load is at start: it refuses such files with exit status 2.
# Needs root (veth, AF_PACKET) and tcpreplay.
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_TMP:?}"
rm -rf "$SLUICE_TMP"
mkdir -p "$SLUICE_TMP"
T=$(cd "$SLUICE_TMP" && pwd)
cd "$T"
fail() {
	echo "FAIL: $*" >&2
	[ -f run.log ] && tail -5 run.log | sed 's/^/  engine: /' >&2
	exit 1
}
command -v tcpreplay >/dev/null || fail "tcpreplay is not installed (tools/setup.sh installs it)"
SLUICE=$SLUICE_BIN/sluice
C="$SLUICE_BIN/sluicectl -s $T/ctl.sock"

# ---- the files: two registries in which the one enterprise has another
# tier, two bundles, and the broken versions of each.
USCC=91350100M000100Y43
printf 'code,name,tier,negative_list\n%s,"Example Trading Co., Ltd.",advanced,0\n' $USCC >A.csv
printf 'code,name,tier,negative_list\n%s,"Example Trading Co., Ltd.",dishonest,0\n1105960001,Example Mall,general,0\n' $USCC >B.csv
"$SLUICE_BIN/sluice-rulec" -q -o A.bundle "$SLUICE_SRC/rules" || fail "rulec A"
cp -r "$SLUICE_SRC/rules" rulesB
rm -f rulesB/restricted/seeds.yaml rulesB/*.cases.yaml
"$SLUICE_BIN/sluice-rulec" -q -o B.bundle rulesB || fail "rulec B"
# The ids the engine will name: what sluice screen reports for each file.
id_of() { # -r BUNDLE | -e CSV  -> "bundle registry"
	"$SLUICE" screen "$@" /dev/null 2>&1 >/dev/null |
		sed -n 's/^ruleset: \([^,]*\), registry: \(.*\)$/\1 \2/p'
}
read -r bA rA <<<"$(id_of -r A.bundle -e A.csv)"
read -r bB rB <<<"$(id_of -r B.bundle -e B.csv)"
[ -n "$bA" ] && [ -n "$rB" ] && [ "$bA" != "$bB" ] && [ "$rA" != "$rB" ] ||
	fail "cannot tell the files apart: $bA $rA / $bB $rB"

# ---- sluice screen loads once: a half-written or empty file is refused.
half() { head -c $(($(stat -c %s "$1") / 2)) "$1"; }
half A.csv >half.csv
: >empty.csv
printf 'code,name,tier,negative_list\n' >header.csv
half A.bundle >half.bundle
: >empty.bundle
for f in half.csv empty.csv header.csv; do
	rc=0
	echo '{}' | "$SLUICE" screen -e $f >/dev/null 2>screen.err || rc=$?
	[ $rc -eq 2 ] || fail "sluice screen -e $f: exit $rc, want 2"
	grep -q "$f" screen.err || fail "the refusal does not name $f: $(cat screen.err)"
done
for f in half.bundle empty.bundle; do
	rc=0
	echo '{}' | "$SLUICE" screen -r $f >/dev/null 2>screen.err || rc=$?
	[ $rc -eq 2 ] || fail "sluice screen -r $f: exit $rc, want 2"
done

# ---- live traffic: a veth pair named after this run.
. "${SLUICE_SRC:?}/tests/integration/veth_lib.sh"
veth_up slr

# Each step sends 20 declarations of the enterprise (new decl_ids each
# time, so none is a replay of an earlier one).
step=0
batch() {
	local i
	for i in $(seq 1 20); do
		printf '{"decl_id":"RF%03d%03d","flow":"import","trade_mode":"9610","declared_at":"2026-11-29T08:15:00+08:00","ebc":{"code":"%s"},"buyer":{"id_type":"passport","id_number":"P%03d%03d"},"currency":"CNY","goods_value":50,"origin_country":"JP","items":[{"hs_code":"6109100011","name":"cotton T-shirt","qty":1,"price":50}]}\n' \
			"$step" "$i" "$USCC" "$step" "$i"
	done >batch.jsonl
	"$SLUICE_BIN/sluice-pcap" encode -q --max-payload 1400 batch.jsonl batch.pcap 2>/dev/null ||
		fail "sluice-pcap encode"
}

cp A.bundle live.bundle
cp A.csv live.csv
"$SLUICE" run -r live.bundle -e live.csv --ctl "$T/ctl.sock" \
	--verdict-log v.log --vlog-opt fsync=none -- \
	--no-huge --no-pci --no-shconf --file-prefix="slrf$$" --no-telemetry \
	-m 1024 -l 0 --vdev="net_af_packet0,iface=$A" >run.log 2>&1 &
engine=$!
for _ in $(seq 100); do
	[ -S ctl.sock ] && break
	kill -0 "$engine" 2>/dev/null || fail "the engine exited at start"
	sleep 0.1
done
[ -S ctl.sock ] || fail "no control socket"

ids() { $C ids | jq -r '"\(.bundle) \(.registry)"'; }
logged() { grep -c '^{"decl_id":"RF' v.log 2>/dev/null || true; }
# check NAME BUNDLE REGISTRY TIER: the live ids, then traffic decided by
# them (every verdict of the batch names both and has that tier).
check() {
	local name=$1 want_b=$2 want_r=$3 tier=$4 before n
	[ "$(ids)" = "$want_b $want_r" ] || fail "$name: live ids $(ids), want $want_b $want_r"
	step=$((step + 1))
	batch
	before=$(logged)
	tcpreplay -q -i "$B" batch.pcap >/dev/null 2>&1 || fail "tcpreplay"
	# Up to 20 s for a loaded CI machine; a passing step leaves at once.
	for _ in $(seq 400); do
		n=$(logged)
		[ "$n" -ge $((before + 20)) ] && break
		sleep 0.05
	done
	[ "$n" -ge $((before + 20)) ] || fail "$name: $((n - before)) of 20 verdicts logged"
	grep "^{\"decl_id\":\"RF$(printf %03d $step)" v.log |
		jq -r '"\(.ruleset) \(.registry) \(.tier)"' | sort -u >got
	[ "$(cat got)" = "$want_b $want_r $tier" ] ||
		fail "$name: the batch was decided by $(tr '\n' ';' <got), want $want_b $want_r $tier"
	echo "ok: $name"
}
# reload EXPECT: the control-socket reload, which must succeed (ok) or be
# refused (refused) with a message naming the file.
reload() {
	$C reload >reply.json 2>/dev/null || true
	case $1 in
	ok) jq -e .ok reply.json >/dev/null || fail "reload refused: $(cat reply.json)" ;;
	refused)
		jq -e '.ok | not' reply.json >/dev/null || fail "reload accepted: $(cat reply.json)"
		jq -e --arg f "$2" '.error | contains($f)' reply.json >/dev/null ||
			fail "the refusal does not name $2: $(cat reply.json)"
		;;
	esac
}
install() { cp "$1" "$2.new" && mv "$2.new" "$2"; } # rename(2): whole

check "start" "$bA" "$rA" advanced
install B.csv live.csv
reload ok
check "registry B moved into place" "$bA" "$rB" dishonest
half A.csv >live.csv # written in place, caught half way
reload refused live.csv
check "half-written registry refused" "$bA" "$rB" dishonest
: >live.csv
reload refused live.csv
check "empty registry refused" "$bA" "$rB" dishonest
printf 'code,name,tier,negative_list\n' >live.csv
reload refused live.csv
check "header-only registry refused" "$bA" "$rB" dishonest
head -c -1 A.csv >live.csv # complete but for its final newline
reload refused live.csv
check "registry without its final newline refused" "$bA" "$rB" dishonest
install A.csv live.csv
reload ok
check "registry A moved back" "$bA" "$rA" advanced

install B.bundle live.bundle
reload ok
check "bundle B moved into place" "$bB" "$rA" advanced
half A.bundle >live.bundle
reload refused live.bundle
check "half-written bundle refused" "$bB" "$rA" advanced
: >live.bundle
reload refused live.bundle
check "empty bundle refused" "$bB" "$rA" advanced
# A good bundle with a broken registry: the reload is one snapshot, so
# neither is taken.
install A.bundle live.bundle
: >live.csv
reload refused live.csv
check "good bundle, broken registry: neither taken" "$bB" "$rA" advanced
install A.csv live.csv
kill -HUP "$engine"
for _ in $(seq 100); do
	[ "$(ids)" = "$bA $rA" ] && break
	sleep 0.05
done
check "both moved back, SIGHUP" "$bA" "$rA" advanced

$C shutdown >/dev/null || fail "shutdown refused"
rc=0
wait "$engine" || rc=$?
engine=
[ $rc -eq 0 ] || fail "sluice run exited $rc"
failed=$(grep -c 'reload (control socket) failed, keeping bundle' run.log || true)
[ "$failed" -eq 7 ] || fail "$failed refused reloads reported, want 7"
"$SLUICE_BIN/sluice-audit" verify v.log >/dev/null 2>&1 || fail "the verdict log does not verify"
echo "ok: every whole file taken, every broken one refused, the old one deciding meanwhile"
