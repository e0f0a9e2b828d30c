#!/usr/bin/env bash
# Under endless traffic (net_pcap replaying its file), the accounting
# identity holds in every `sluicectl stats` answer, `sluicectl` reports
# what it should, and SIGTERM stops the engine cleanly: exit 0, totals on
# stderr, every verdict counted is in the verdict log, which verifies.
. "$(dirname "$0")/dpdk_lib.sh"

make_decls 2000 SD >in.jsonl
"$PCAP" mix in.jsonl in.pcap >/dev/null

"$SLUICE" run --verdict-log v.log --quarantine q.raw --stats st.json \
	--ctl "$SLUICE_TMP/ctl.sock" -- \
	$(eal sd 0-1 --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=/dev/null,infinite_rx=1) \
	2>run.err &
pid=$!
for _ in $(seq 100); do
	[ -S ctl.sock ] && break
	sleep 0.05
done
[ -S ctl.sock ] || fail "no control socket ($(tail -3 run.err))"

"$CTL" -s ctl.sock help | jq -e '.help | test("stats")' >/dev/null ||
	fail "help does not list stats"
if "$CTL" -s ctl.sock no-such-command >bad.json; then
	fail "an unknown command answered ok"
fi
jq -e '.ok == false and (.error | length > 0)' bad.json >/dev/null ||
	fail "unknown command: $(cat bad.json)"

prev=0
for i in $(seq 1 20); do
	"$CTL" -s ctl.sock stats >s.json || fail "stats failed"
	jq -e '.totals.identity.holds and all(.workers[]; .identity.holds)' \
		s.json >/dev/null || fail "identity broken mid-run: $(jq -c .totals.identity s.json)"
	now=$(jqs s.json .totals.decls_in)
	[ "$now" -ge "$prev" ] || fail "declarations in went backwards"
	prev=$now
	sleep 0.05
done
[ "$prev" -gt 0 ] || fail "no traffic seen"
[ "$(jqs s.json .ports[0].name)" = net_pcap0 ] || fail "port name missing"

kill -TERM "$pid"
wait "$pid" || fail "sluice run exited $? after SIGTERM ($(tail -3 run.err))"
grep -q 'identity holds' run.err || fail "no totals after SIGTERM"
[ "$(jqs st.json .totals.identity.holds)" = true ] || fail "final identity broken"
n=$(verdicts v.log | wc -l)
[ "$n" = "$(jqs st.json .totals.verdicts_total)" ] ||
	fail "log has $n verdicts, engine made $(jqs st.json .totals.verdicts_total)"
[ "$(grep -ac '^# sluice-quarantine ' q.raw)" = "$(jqs st.json .totals.quarantined)" ] ||
	fail "quarantine file and counter differ"
"$SLUICE_BIN/sluice-audit" verify v.log >audit.out 2>&1 ||
	fail "verdict log does not verify: $(cat audit.out)"
[ ! -e ctl.sock ] || fail "control socket left behind"
echo "ok: $n verdicts before SIGTERM, log verified"
