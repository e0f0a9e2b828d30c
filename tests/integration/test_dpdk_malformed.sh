#!/usr/bin/env bash
# A malformed mix on the wire (ARP, IPv6, runt, wrong port, truncated,
# oversized, empty, garbage MessagePack, non-map records, a readable
# decl_id with a broken body) between valid declarations, on two workers:
# the engine must not crash, must count every class, must answer every
# attributable record exactly once and quarantine the rest, and
# declarations in = verdicts + quarantined must hold.
. "$(dirname "$0")/dpdk_lib.sh"

make_decls 500 MAL >a.jsonl
make_decls 500 MBL >b.jsonl
"$PCAP" mix a.jsonl a.pcap >a.manifest
"$PCAP" mix b.jsonl b.pcap >b.manifest

# Two devices, one queue each: worker 0 gets one, worker 1 the other.
"$SLUICE" run --until-idle 400 --verdict-log v.jsonl --quarantine q.raw \
	--ip 10.0.0.1 --stats st.json --ctl none -- \
	$(eal mal 0-1 --vdev=net_pcap0,rx_pcap=a.pcap,tx_pcap=a.out.pcap \
		--vdev=net_pcap1,rx_pcap=b.pcap,tx_pcap=b.out.pcap) \
	2>run.err || fail "sluice run exited $? ($(tail -3 run.err))"

[ "$(jqs st.json .totals.identity.holds)" = true ] ||
	fail "identity broken: $(jq -c .totals.identity st.json)"
grep -q 'identity holds' run.err || fail "summary does not show the identity"

# Every class counted, from both devices.
for k in not_udp runt other_port truncated oversized empty; do
	want=$(($(jqs a.manifest ".$k") + $(jqs b.manifest ".$k")))
	got=$(jqs st.json ".totals.frames.$k")
	[ "$got" = "$want" ] || fail "frames.$k: got $got, want $want"
done
[ "$(jqs st.json '.workers | length')" = 2 ] || fail "expected 2 workers"
for w in 0 1; do
	[ "$(jqs st.json ".workers[$w].decls_in")" -gt 0 ] ||
		fail "worker $w saw no declaration"
done

# ARP requests for the engine's address are answered, on the wire.
want=$(($(jqs a.manifest .arp_requests) + $(jqs b.manifest .arp_requests)))
[ "$(jqs st.json .totals.arp_replies)" = "$want" ] ||
	fail "ARP replies: $(jqs st.json .totals.arp_replies), want $want"
"$PCAP" decode a.out.pcap 2>&1 >/dev/null | grep -q "$(jqs a.manifest .arp_requests) not_udp" ||
	fail "no ARP reply in the output of device 0"

# Every attributable record answered exactly once, in the log and on the
# wire.
{
	jq -r .decl_id a.jsonl b.jsonl
	printf 'MIX-BAD-BODY\n%.0s' 1 2 3 4
} | sort >want.ids
verdicts v.jsonl | jq -r .decl_id | sort >log.ids
diff -q want.ids log.ids >/dev/null ||
	fail "verdict log decl_ids differ: $(diff want.ids log.ids | head -5)"
{
	"$PCAP" decode a.out.pcap
	"$PCAP" decode b.out.pcap
} 2>/dev/null | jq -r .decl_id | sort >wire.ids
diff -q want.ids wire.ids >/dev/null || fail "verdict datagrams differ from the input"

# A readable decl_id with a broken body is a reject naming the error.
n=$(jq -r 'select(.decl_id == "MIX-BAD-BODY") | .verdict' v.jsonl | grep -c '^reject$' || true)
[ "$n" = 4 ] || fail "MIX-BAD-BODY: $n rejects, want 4"
jq -e 'select(.decl_id == "MIX-BAD-BODY") | .error.code | length > 0' v.jsonl >/dev/null ||
	fail "MIX-BAD-BODY reject carries no error code"

# Quarantine: truncated and oversized payloads, garbage, non-map records;
# the file holds exactly the counted entries.
q=$(jqs st.json .totals.quarantined)
min=$(($(jqs a.manifest '.truncated + .oversized + .garbage + .non_map') * 2))
[ "$q" -ge "$min" ] || fail "quarantined $q, expected at least $min"
entries=$(grep -ac '^# sluice-quarantine ' q.raw)
[ "$entries" = "$q" ] || fail "quarantine file has $entries entries, counted $q"
grep -aq 'reason=truncated' q.raw || fail "no truncated entry in quarantine"
grep -aq 'reason=oversized' q.raw || fail "no oversized entry in quarantine"

# Nothing lost on the way out.
[ "$(jqs st.json .totals.unlogged)" = 0 ] || fail "unlogged verdicts"
[ "$(jqs st.json .log.verdicts_logged)" = "$(jqs st.json .totals.verdicts_total)" ] ||
	fail "logged verdicts differ from verdicts made"
echo "ok: $(jqs st.json .totals.decls_in) in, $(jqs st.json .totals.verdicts_total) verdicts, $q quarantined"
