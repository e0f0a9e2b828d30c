#!/usr/bin/env bash
# kill -9 at any moment of `sluice run --state DIR --verdict-log FILE`, two
# workers on virtual devices (docs/reliability.md).  Each run is killed at
# a random moment (start-up and recovery, screening, a log commit, a state
# compaction, shutdown); a client then sends again every declaration it
# got no verdict datagram for, in its original order, and so on until all
# are answered.  Against one uninterrupted run:
#   - every verdict datagram that left is in the log, the same verdict
#     (nothing is answered before it is logged);
#   - the log holds every declaration exactly once with the same verdict
#     (a declaration sent again whose verdict was logged is answered from
#     the log, not decided or logged again);
#   - buyer totals and consignee windows are the same (sluice state);
#   - the log verifies.
# The buyers are split between the two workers' devices, so that each
# buyer's parcels keep their order and the uninterrupted run is
# deterministic.  CRASH_RUN_KILLS (default 16) kills.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/dpdk_lib.sh"
want_kills=${CRASH_RUN_KILLS:-16}

cat >reg.csv <<'CSV'
code,name,tier,negative_list
91350100M000100Y43,"Example Trading Co., Ltd.",advanced,0
CSV
for p in 0 1; do
	awk -v N=60000 -v BUYERS=400 -v PART=$p -f "$here/idcard.awk" -f "$here/crash_corpus.awk" >c$p.jsonl
	"$PCAP" encode -q --per-datagram 8 c$p.jsonl c$p.pcap 2>/dev/null ||
		fail "sluice-pcap encode"
done
n=$(cat c0.jsonl c1.jsonl | wc -l)
# run NAME STATE LOG IN0 IN1 [OPTIONS...]: one engine, two workers.  exec:
# run in the background, $! is the engine itself, not a subshell.
run() {
	local name=$1 st=$2 log=$3 in0=$4 in1=$5
	shift 5
	exec "$SLUICE" run -e reg.csv --state "$st" --verdict-log "$log" \
		--until-idle 300 --ctl none --state-rotate 256K "$@" -- \
		$(eal "cr$name" 0-1 --vdev=net_pcap0,rx_pcap=$in0,tx_pcap=o0.pcap \
			--vdev=net_pcap1,rx_pcap=$in1,tx_pcap=o1.pcap)
}
verdicts_of() { jq -c 'select(has("vlog") | not) | del(.logged_at, .seq, .h)' "$1"; }
ids_of() { { grep -o '"decl_id":"[^"]*"' "$@" || true; } | cut -d'"' -f4; }

(run ref ref ref.log c0.pcap c1.pcap --stats ref.json) 2>ref.err ||
	fail "uninterrupted run exited $? ($(tail -3 ref.err))"
[ "$(jqs ref.json .totals.decls_in)" = "$n" ] || fail "uninterrupted run took $(jqs ref.json .totals.decls_in) of $n"
verdicts_of ref.log | sort >ref.v
[ "$(wc -l <ref.v)" = "$n" ] || fail "uninterrupted log holds $(wc -l <ref.v) verdicts"

# One round: runs over a fresh state directory and log until every
# declaration is answered, a last clean start, then the comparisons.
round() {
	local pieces=0 rc before p extra dups
	rm -rf st p.log
	: >answers.jsonl
	cp c0.jsonl r0.jsonl
	cp c1.jsonl r1.jsonl
	while [ -s r0.jsonl ] || [ -s r1.jsonl ]; do
		pieces=$((pieces + 1))
		[ "$pieces" -lt 100 ] || fail "no progress after $pieces runs"
		for p in 0 1; do
			"$PCAP" encode -q --per-datagram 8 r$p.jsonl r$p.pcap 2>/dev/null || true
		done
		if [ -f p.log ]; then
			ids_of p.log | sort >logged.ids
			resent_logged=$((resent_logged + $(cat r0.jsonl r1.jsonl | ids_of | sort | comm -12 - logged.ids | wc -l)))
		fi
		before=$(stat -c %s p.log 2>/dev/null || echo 0)
		rm -f o0.pcap o1.pcap
		run "r${rounds}p$pieces" st p.log r0.pcap r1.pcap --stats p.json 2>piece.err &
		pid=$!
		if [ "$kills" -lt "$want_kills" ]; then
			if [ $((RANDOM % 4)) -eq 0 ]; then
				# anywhere from start-up (EAL, recovery) on
				sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 1000)))"
			else
				# while it screens: once the log grows
				for _ in $(seq 300); do
					[ "$(stat -c %s p.log 2>/dev/null || echo 0)" -gt $((before + 400)) ] && break
					sleep 0.01
				done
				sleep "0.$(printf '%03d' $((RANDOM % 300)))"
			fi
			kill -9 $pid 2>/dev/null || true
		fi
		rc=0
		wait $pid 2>/dev/null || rc=$?
		case $rc in
		0)
			[ "$(jqs p.json .totals.identity.holds)" = true ] ||
				fail "identity broken: $(jq -c .totals.identity p.json)"
			;;
		137) kills=$((kills + 1)) ;;
		*) fail "run $pieces exited $rc: $(tail -3 piece.err)" ;;
		esac
		grep -q 'state compaction failed' piece.err &&
			fail "a compaction failed: $(grep 'compaction' piece.err | head -1)"
		# What the client got: the verdict datagrams that left (a
		# killed run's capture may end in half a packet; what decodes
		# counts).
		for p in 0 1; do
			if [ -f o$p.pcap ]; then
				"$PCAP" decode o$p.pcap 2>/dev/null | jq -c . >>answers.jsonl || true
			fi
		done
		ids_of answers.jsonl | sort -u >answered.ids
		for p in 0 1; do
			awk 'FILENAME == ARGV[1] { a[$0]; next }
			     { match($0, /"decl_id":"[^"]*"/); if (!(substr($0, RSTART + 11, RLENGTH - 12) in a)) print }' \
				answered.ids c$p.jsonl >r$p.jsonl
		done
	done
	total_pieces=$((total_pieces + pieces))
	# A last, clean start over the same directory and log: recovery
	# once more, nothing to screen, a final snapshot.
	: >empty.jsonl
	"$PCAP" encode -q empty.jsonl e.pcap 2>/dev/null || true
	(run "r${rounds}end" st p.log e.pcap e.pcap) 2>piece.err ||
		fail "the clean start exited $? ($(tail -3 piece.err))"

	# Nothing left before it was logged: each answer is the logged
	# verdict.
	verdicts_of p.log | sort >p.v
	sort -u answers.jsonl >answers.sorted
	extra=$(comm -23 answers.sorted p.v | wc -l)
	[ "$extra" -eq 0 ] || {
		comm -23 answers.sorted p.v | head -3 >&2
		fail "round $rounds: $extra verdict datagrams left that the log does not hold"
	}
	dups=$(ids_of p.v | sort | uniq -d | wc -l)
	[ "$dups" -eq 0 ] || fail "round $rounds: $dups declarations logged twice"
	cmp -s ref.v p.v || {
		diff ref.v p.v | head -6 >&2
		fail "round $rounds: the log's verdicts differ from the uninterrupted run's"
	}
	"$SLUICE" state st >p.state 2>/dev/null
	cmp -s ref.state p.state || {
		diff ref.state p.state | head -6 >&2
		fail "round $rounds: buyer totals or windows differ from the uninterrupted run's"
	}
	"$SLUICE_BIN/sluice-audit" verify p.log >verify.out 2>&1 ||
		fail "round $rounds: the log does not verify: $(tail -2 verify.out)"
}

"$SLUICE" state ref >ref.state 2>/dev/null
[ -s ref.state ] || fail "sluice state printed nothing"
kills=0 rounds=0 resent_logged=0 total_pieces=0
while [ "$kills" -lt "$want_kills" ]; do
	rounds=$((rounds + 1))
	[ "$rounds" -le "$want_kills" ] || fail "only $kills kills landed in $rounds rounds"
	round
done
echo "$rounds rounds, $total_pieces runs, $kills killed, $resent_logged declarations sent again after their verdict was logged"
[ "$resent_logged" -gt 0 ] || fail "no kill fell between a log commit and a datagram: the replay was never exercised"
echo "ok: $n declarations; every answer logged first; log and state equal the uninterrupted run's"
