#!/usr/bin/env bash
# --state across runs: the engine flushes and checkpoints buyer totals and
# consignee windows at shutdown, so a second `sluice run` over the same
# declarations gives the verdicts a second `sluice screen` gives (and
# differs from the first where history now counts).
. "$(dirname "$0")/dpdk_lib.sh"

share=${SLUICE_BUILD:-}/share/sluice
if [ -f "$share/sample.jsonl" ]; then
	head -n 3000 "$share/sample.jsonl" >in.jsonl
else
	make_decls 3000 ST >in.jsonl
fi
reg=()
[ -f "$share/sample-registry.csv" ] && reg=(-e "$share/sample-registry.csv")
"$PCAP" encode in.jsonl in.pcap 2>enc.err
# Records larger than a datagram are not on the wire (docs/wire.md).
sed -n 's/^sluice-pcap: in.jsonl:\([0-9]*\): record is .*/\1/p' enc.err |
	while read -r n; do sed -n "${n}p" in.jsonl | jq -r .decl_id; done |
	sort >big.ids

for i in 1 2; do
	"$SLUICE" screen "${reg[@]}" --state screen.state in.jsonl \
		>screen$i.jsonl 2>screen$i.err ||
		fail "sluice screen $i exited $?"
	"$SLUICE" run "${reg[@]}" --state run.state --until-idle 400 \
		--ctl none --stats st$i.json -- \
		$(eal st$i 0 --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out$i.pcap) \
		2>run$i.err || fail "sluice run $i exited $? ($(tail -2 run$i.err))"
	jq -c 'select(.decl_id != null)' screen$i.jsonl | sort >s$i.sorted
	"$PCAP" decode out$i.pcap 2>/dev/null | jq -c . | sort >r$i.sorted
	comm -13 s$i.sorted r$i.sorted >extra$i
	[ ! -s extra$i ] || fail "run $i: verdicts screen did not give: $(head -2 extra$i)"
	comm -23 s$i.sorted r$i.sorted | jq -r .decl_id | sort >missing$i
	# every difference is a declaration too large for the wire
	[ -z "$(comm -23 missing$i big.ids)" ] ||
		fail "run $i: verdicts differ from sluice screen's: $(comm -23 missing$i big.ids | head -3)"
done
! diff -q r1.sorted r2.sorted >/dev/null ||
	fail "the second run ignored the state of the first"
echo "ok: second runs agree ($(comm -12 r1.sorted r2.sorted | wc -l) verdicts unchanged, $(comm -13 r1.sorted r2.sorted | wc -l) changed by history)"
