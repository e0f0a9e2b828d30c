#!/usr/bin/env bash
# Hot reload under traffic: 20 reloads alternating two bundles and one
# broken file while 1M declarations go through two workers.  Exactly one
# verdict per declaration, each naming a bundle that was live, no crash;
# the broken file is refused and the old bundle stays; more reloads after
# the traffic do not grow the engine's memory (no snapshot leaks).
. "$(dirname "$0")/dpdk_lib.sh"

RULEC=$SLUICE_BIN/sluice-rulec
[ -x "$RULEC" ] || fail "sluice-rulec not built"
N=${SLUICE_RELOAD_DECLS:-1000000}

# Two different bundles from the default sources: all of them, and all
# but one rule file; the broken one is a truncated copy.
"$RULEC" -q -o A.bundle "$SLUICE_SRC/rules" || fail "rulec A"
cp -r "$SLUICE_SRC/rules" rulesB
rm -f rulesB/restricted/seeds.yaml rulesB/*.cases.yaml
"$RULEC" -q -o B.bundle rulesB || fail "rulec B"
head -c 200 A.bundle >C.bundle
cp A.bundle live.bundle

# N declarations, a spread of buyers and goods (awk: fast).
awk -v n="$N" 'BEGIN {
	split("保湿面霜|running shoes|象牙雕刻 ivory carving|奶粉|lithium battery|massage gun", g, "|");
	for (i = 1; i <= n; i++)
		printf "{\"decl_id\":\"RL%08d\",\"flow\":\"import\",\"trade_mode\":\"9610\",\"declared_at\":\"2026-11-29T08:15:00+08:00\",\"ebc\":{\"code\":\"91350100M000100Y43\"},\"buyer\":{\"id_type\":\"passport\",\"id_number\":\"P%06d\"},\"origin_country\":\"JP\",\"currency\":\"CNY\",\"goods_value\":%d,\"items\":[{\"hs_code\":\"3304990099\",\"name\":\"%s\",\"qty\":1,\"price\":%d}]}\n", i, i % 200000, 10 + i % 90, g[1 + i % 6], 10 + i % 90
}' >in.jsonl
split -n l/2 -d in.jsonl part.
"$PCAP" encode part.00 p0.pcap 2>/dev/null
"$PCAP" encode part.01 p1.pcap 2>/dev/null

# fsync=none: this test is about reloads, not about the disk.
"$SLUICE" run -r live.bundle --verdict-log v.jsonl \
	--vlog-opt fsync=none \
	--stats st.json --ctl "$SLUICE_TMP/ctl.sock" -- \
	$(eal rl 0-1 --vdev=net_pcap0,rx_pcap=p0.pcap,tx_pcap=/dev/null \
		--vdev=net_pcap1,rx_pcap=p1.pcap,tx_pcap=/dev/null) \
	2>run.err &
pid=$!
for _ in $(seq 600); do
	[ -S ctl.sock ] && break
	sleep 0.05
done
[ -S ctl.sock ] || fail "no control socket ($(tail -3 run.err))"

# reloads done so far (succeeded + refused), from the engine
reloads() {
	"$CTL" -s ctl.sock stats >rs.json || fail "stats failed mid-run"
	jq '.engine.reloads_ok + .engine.reloads_failed' rs.json
}
broken=0
for i in $(seq 1 20); do
	case $((i % 3)) in
	1) cp B.bundle next.bundle ;;
	2) cp C.bundle next.bundle && broken=$((broken + 1)) ;;
	0) cp A.bundle next.bundle ;;
	esac
	mv next.bundle live.bundle # rename: a reload sees a whole file
	if [ $((i % 2)) -eq 0 ]; then
		# SIGHUP: wait until the engine has acted on it, so that
		# it reads this file and not the next one.
		before=$(reloads)
		kill -HUP "$pid"
		for _ in $(seq 200); do
			[ "$(reloads)" -gt "$before" ] && break
			sleep 0.01
		done
		[ "$(reloads)" -gt "$before" ] || fail "SIGHUP did not reload"
	elif ! "$CTL" -s ctl.sock reload >reply.json; then
		[ $((i % 3)) -eq 2 ] || fail "reload $i refused: $(cat reply.json)"
		jq -e '.error | test("bundle")' reply.json >/dev/null ||
			fail "refused reload does not say why: $(cat reply.json)"
	else
		[ $((i % 3)) -ne 2 ] || fail "the broken bundle was accepted"
	fi
done
[ "$(jqs rs.json .engine.reloads_failed)" = "$broken" ] ||
	fail "refused $(jqs rs.json .engine.reloads_failed) reloads, $broken were broken"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# Wait for the traffic to end (every declaration in), then reload alone,
# alternating the two bundles: memory must level off.
for _ in $(seq 1200); do
	"$CTL" -s ctl.sock stats >s1.json || fail "stats failed mid-run"
	[ "$(jqs s1.json .totals.decls_in)" = "$N" ] && break
	sleep 0.1
done
[ "$(jqs s1.json .totals.decls_in)" = "$N" ] || fail "traffic did not end"
swap() {
	cp "$1" next.bundle
	mv next.bundle live.bundle
	"$CTL" -s ctl.sock reload >/dev/null || fail "reload of $1 failed"
}
for i in $(seq 1 5); do swap A.bundle; swap B.bundle; done
r1=$(rss)
for i in $(seq 1 15); do swap A.bundle; swap B.bundle; done
r2=$(rss)
"$CTL" -s ctl.sock shutdown >/dev/null || fail "shutdown refused"
wait "$pid" || fail "sluice run exited $? ($(tail -3 run.err))"

[ "$(jqs st.json .totals.identity.holds)" = true ] || fail "identity broken"
[ "$(jqs st.json .totals.decls_in)" = "$N" ] || fail "declarations in: $(jqs st.json .totals.decls_in), want $N"
# A million lines: grep and sed rather than jq.  Verdict records start
# with their decl_id; the log's own records with "vlog".
grep '^{"decl_id":"' v.jsonl >vv.jsonl || true
[ "$(wc -l <vv.jsonl)" = "$N" ] || fail "$(wc -l <vv.jsonl) verdicts for $N declarations"
dups=$(sed 's/^{"decl_id":"\([^"]*\)".*/\1/' vv.jsonl | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups declarations answered twice"
# Every verdict names a bundle that was live: A or B, never the broken one.
grep -o '"ruleset":"[0-9a-f]*"' vv.jsonl | cut -d'"' -f4 | sort | uniq -c >rulesets
[ "$(awk '{n += $1} END {print n}' rulesets)" = "$N" ] ||
	fail "some verdicts name no ruleset"
n_ids=$(wc -l <rulesets)
# Both bundles decided some declarations: the reloads happened under
# traffic.
[ "$n_ids" -eq 2 ] || fail "rulesets in verdicts: $(cat rulesets)"
while read -r _ id; do
	grep -q "bundle $id" run.err || fail "verdict names $id, which was never published"
done <rulesets
[ "$(jqs st.json .engine.reloads_failed)" = "$broken" ] ||
	fail "broken bundle was not refused: $(jq -c .engine st.json)"
grep -q 'failed, keeping bundle' run.err || fail "a refused reload is not reported"
# Memory: 30 more reloads after 10 must not grow RSS by more than a few
# bundles (a leak of one snapshot per reload would be 30 of them).
size=$(($(stat -c %s A.bundle) / 1024 + 1))
[ $((r2 - r1)) -lt $((5 * size + 8192)) ] ||
	fail "RSS grew by $((r2 - r1)) KiB over 30 reloads (bundle $size KiB)"
msg="ok: $N declarations, $(jqs st.json .engine.reloads_ok) reloads, $(jqs st.json .engine.reloads_failed) refused; rulesets: $(tr '\n' ' ' <rulesets)"
# About a gigabyte of inputs and logs: keep only the small evidence.
rm -f in.jsonl part.0? p?.pcap v.jsonl vv.jsonl
echo "$msg"
