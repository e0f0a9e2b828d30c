#!/usr/bin/env bash
# `sluice run` over a pcap gives, declaration for declaration, the verdicts
# `sluice screen` gives over the same JSON lines (one worker, so buyer
# state evolves in the same order); the verdict datagrams carry the same
# verdicts as the verdict log; with two workers every declaration still
# gets exactly one verdict.  Lines `sluice screen` can't attribute to a
# decl_id are either not sent (not JSON) or quarantined by the engine.
. "$(dirname "$0")/dpdk_lib.sh"

# The generated sample when the build made one, plus edge cases.
sample=${SLUICE_BUILD:-}/share/sluice/sample.jsonl
if [ -f "$sample" ]; then
	head -n 5000 "$sample" >in.jsonl
else
	make_decls 2000 EQ >in.jsonl
fi
base='"flow":"import","trade_mode":"9610","declared_at":"2026-11-29T08:15:00+08:00","ebc":{"code":"91350100M000100Y43"},"buyer":{"id_type":"id_card","id_number":"11010519491231002X"},"currency":"CNY","goods_value":10'
item='"items":[{"hs_code":"3304990099","name":"面霜","qty":1,"price":10}]'
{
	echo "{\"decl_id\":\"EDGE-OK\",$base,$item}"
	echo "{\"decl_id\":\"EDGE-USCC\",$base,$item}" | sed 's/M000100Y43/M000100Y44/'
	echo "{\"decl_id\":\"EDGE-NOITEMS\",$base,\"items\":[]}"
	echo "{\"decl_id\":\"EDGE-NOMONEY\",$item}"
	echo "{\"decl_id\":\"EDGE-TYPE\",$base,\"items\":5}"
	printf '{"decl_id":"EDGE-UTF8",%s,"items":[{"hs_code":"3304990099","name":"\xff\xfe","qty":1,"price":10}]}\n' "$base"
	echo "{\"decl_id\":\"EDGE-IVORY\",$base,\"items\":[{\"hs_code\":\"9601100000\",\"name\":\"象牙雕刻 ivory carving\",\"qty\":1,\"price\":10}]}"
	echo "{$base,$item}"
	echo 'this line is not JSON'
	echo '[1,2,3]'
} >>in.jsonl

"$SLUICE" screen in.jsonl >screen.jsonl 2>screen.err ||
	fail "sluice screen exited $? ($(tail -3 screen.err))"
"$PCAP" encode in.jsonl in.pcap 2>enc.err || fail "sluice-pcap encode failed"
skipped=$(grep -c 'not a JSON object, skipped' enc.err || true)

"$SLUICE" run --until-idle 400 --verdict-log run.jsonl --stats st.json \
	--ctl none -- \
	$(eal eq1 0 --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap) \
	2>run.err || fail "sluice run exited $? ($(tail -3 run.err))"

# Records larger than a datagram can't travel on the wire (docs/wire.md):
# sluice-pcap reports and skips them; leave them out of the comparison.
sed -n 's/^sluice-pcap: in.jsonl:\([0-9]*\): record is .*/\1/p' enc.err >big.lines
while read -r n; do
	sed -n "${n}p" in.jsonl | jq -r .decl_id
done <big.lines >big.ids
jq -c 'select(.decl_id != null)' screen.jsonl |
	jq -c --slurpfile big <(jq -R . big.ids) \
		'select(.decl_id as $id | $big | index($id) | not)' |
	sort >screen.sorted
verdicts run.jsonl | sort >run.sorted
[ -s screen.sorted ] || fail "sluice screen gave no verdicts"
if ! diff -q screen.sorted run.sorted >/dev/null; then
	diff screen.sorted run.sorted | head -6 >&2
	fail "sluice run and sluice screen disagree"
fi
"$PCAP" decode out.pcap 2>/dev/null | jq -c . | sort >wire.sorted
diff -q run.sorted wire.sorted >/dev/null ||
	fail "verdict datagrams differ from the verdict log"

# What screen could not attribute: not sent (not JSON, or too large for a
# datagram) or quarantined by the engine.
nulls=$(jq -c 'select(.decl_id == null)' screen.jsonl | wc -l)
big_nulls=$(jq -r 'select(.decl_id == null) | .line' screen.jsonl |
	grep -cxFf big.lines || true)
q=$(jqs st.json .totals.quarantined)
[ "$nulls" -eq $((skipped + big_nulls + q)) ] ||
	fail "screen: $nulls unattributed; engine: $skipped not JSON + $big_nulls too large + $q quarantined"
[ "$(jqs st.json .totals.identity.holds)" = true ] || fail "identity broken"
for id in EDGE-USCC EDGE-NOITEMS EDGE-NOMONEY EDGE-TYPE EDGE-UTF8; do
	[ "$(verdicts run.jsonl | jq -r "select(.decl_id == \"$id\") | .verdict")" = reject ] ||
		fail "$id is not a reject"
done

# Two workers (two devices): the same declarations, one verdict each.
split -n l/2 -d in.jsonl part.
"$PCAP" encode part.00 p0.pcap 2>/dev/null
"$PCAP" encode part.01 p1.pcap 2>/dev/null
"$SLUICE" run --until-idle 400 --verdict-log run2.jsonl --stats st2.json \
	--ctl none -- \
	$(eal eq2 0-1 --vdev=net_pcap0,rx_pcap=p0.pcap,tx_pcap=o0.pcap \
		--vdev=net_pcap1,rx_pcap=p1.pcap,tx_pcap=o1.pcap) \
	2>run2.err || fail "sluice run (2 workers) exited $? ($(tail -3 run2.err))"
verdicts run.jsonl | jq -r .decl_id | sort >ids1
verdicts run2.jsonl | jq -r .decl_id | sort >ids2
diff -q ids1 ids2 >/dev/null || fail "two workers answered a different set"
[ "$(jqs st2.json .totals.identity.holds)" = true ] || fail "identity broken (2 workers)"
echo "ok: $(wc -l <run.sorted) verdicts equal to sluice screen's"
