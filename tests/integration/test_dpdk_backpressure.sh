#!/usr/bin/env bash
# Backpressure: with log rings of 64 entries and a verdict log that
# fdatasyncs every group, the workers outrun the log thread and must wait
# for it; no verdict may be lost on the way (every declaration in the
# verdict log, on the wire and counted exactly once).
. "$(dirname "$0")/dpdk_lib.sh"

make_decls 30000 BP >in.jsonl
"$PCAP" encode --per-datagram 4 in.jsonl in.pcap 2>/dev/null

"$SLUICE" run --until-idle 500 --log-ring 64 --rxd 64 --txd 64 \
	--verdict-log v.log --vlog-opt fsync=batch --vlog-opt group_records=16 \
	--stats st.json --ctl none -- \
	$(eal bp 0-1 --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap) \
	2>run.err || fail "sluice run exited $? ($(tail -3 run.err))"

[ "$(jqs st.json .totals.identity.holds)" = true ] || fail "identity broken"
[ "$(jqs st.json .totals.decls_in)" = 30000 ] ||
	fail "declarations in: $(jqs st.json .totals.decls_in)"
verdicts v.log | jq -r .decl_id | sort -u >log.ids
[ "$(wc -l <log.ids)" = 30000 ] || fail "$(wc -l <log.ids) distinct verdicts logged"
[ "$(verdicts v.log | wc -l)" = 30000 ] || fail "a verdict was logged twice"
"$PCAP" decode out.pcap 2>/dev/null | jq -r .decl_id | sort -u >wire.ids
diff -q log.ids wire.ids >/dev/null || fail "verdicts on the wire differ from the log"
[ "$(jqs st.json .totals.unlogged)" = 0 ] || fail "unlogged verdicts"
[ "$(jqs st.json .log.unlogged)" = 0 ] || fail "verdicts the log writer refused"
echo "ok: 30000 verdicts, $(jqs st.json .totals.log_stalls) log-ring waits"
