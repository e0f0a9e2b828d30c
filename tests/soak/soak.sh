#!/usr/bin/env bash
# Soak: the DPDK engine on virtual devices at full speed for a long time
# (default 10 minutes), with a malformed mix and a reload every second.
# Not a CI test (docs/reliability.md, section 10, has its results).
#
#   tests/soak/soak.sh [-d SECONDS] [-o DIR] [-b BUILD] [--vlog]
#                      [--no-state] [--no-reload]
#
# Traffic: declarations from sluice-gen (its default mix: valid parcels of
# every tier, rejects of every kind, prohibited and restricted goods),
# cut into chunks, each wrapped by sluice-pcap mix in one frame of every
# malformed kind (ARP, IPv6, another port, runt, truncated, oversized,
# empty, garbage MessagePack, non-map records, an unreadable body), then
# looped without end by two net_pcap devices (infinite_rx), one per
# worker, as fast as the engine takes them.  The engine runs with a state
# directory (its WAL rotated and compacted as it grows); with --vlog also
# with a verdict log (fsync=none: at full speed it grows by tens of MB a
# second, so mind the disk).
#
# --no-state and --no-reload leave out the state directory or the reloads
# (to tell apart what a growing RSS comes from).
#
# Every second: a reload (sluicectl reload), alternating two bundles and
# two registries, every fifth a broken bundle that must be refused.
# Every 10 seconds: RSS (VmRSS of the process), counters and the
# accounting identity.  At the end: shutdown, the final stats, and a
# verdict: the engine never died, every declaration in was answered
# (identity), every good reload taken and every broken one refused, and
# RSS flat (the highest sample of the last minute within SOAK_RSS_SLACK_KB,
# default 16 MiB, of the highest of the second minute).  Output: DIR/samples.tsv, DIR/summary.txt.
# Needs root.
set -euo pipefail
dur=600 out=soak-out build= vlog=0 state=1 reload=1
while [ $# -gt 0 ]; do
	case $1 in
	-d) dur=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-b) build=$2; shift 2 ;;
	--vlog) vlog=1; shift ;;
	--no-state) state=0; shift ;;
	--no-reload) reload=0; shift ;;
	-h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${build:-$src/build}
bin=$build/bin
slack=${SOAK_RSS_SLACK_KB:-16384}
[ "$(id -u)" -eq 0 ] || { echo "soak.sh: DPDK virtual devices need root" >&2; exit 2; }
for b in sluice sluicectl sluice-pcap sluice-gen sluice-rulec; do
	[ -x "$bin/$b" ] || { echo "soak.sh: $bin/$b not built" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$out"
rm -rf st v.log ctl.sock samples.tsv summary.txt
fail() {
	echo "SOAK FAILED: $*" | tee -a summary.txt >&2
	exit 1
}

# ---- inputs
"$bin/sluice-gen" -n 40000 --seed 11 --registry A.csv -o decls.jsonl
sed 's/,advanced,/,general,/' A.csv >B.csv # the same codes, other tiers
"$bin/sluice-rulec" -q -o A.bundle "$src/rules"
cp -r "$src/rules" rulesB
rm -f rulesB/restricted/seeds.yaml rulesB/*.cases.yaml
"$bin/sluice-rulec" -q -o B.bundle rulesB
rm -rf rulesB
head -c 300 A.bundle >broken.bundle
split -n l/40 -d -a 2 decls.jsonl chunk.
for c in chunk.*; do
	"$bin/sluice-pcap" mix -q "$c" "$c.pcap" >/dev/null 2>&1 ||
		{ echo "soak.sh: sluice-pcap mix $c" >&2; exit 2; }
done
# Two looping inputs, each chunk wrapped in sluice-pcap mix's malformed
# frames: pcap files are concatenated by dropping the 24-byte header of
# every file after the first.
python3 - <<'EOF'
import glob
chunks = sorted(glob.glob("chunk.*.pcap"))
for part in (0, 1):
    with open("in%d.pcap" % part, "wb") as out:
        first = True
        for c in chunks[part::2]:
            data = open(c, "rb").read()
            out.write(data if first else data[24:])
            first = False
EOF
rm -f chunk.*
mixed=$(ls -la in0.pcap in1.pcap | awk '{ s += $5 } END { print s }')

# ---- the engine: two workers, state, reloads from live.* by rename
cp A.bundle live.bundle
cp A.csv live.csv
opts=(-r live.bundle -e live.csv --ctl "$out/ctl.sock"
	--quarantine q.log --stats final.json -q)
[ "$state" -eq 1 ] && opts+=(--state st)
[ "$vlog" -eq 1 ] && opts+=(--verdict-log v.log --vlog-opt fsync=none)
"$bin/sluice" run "${opts[@]}" -- \
	--no-huge --no-pci --no-shconf --file-prefix="soak$$" --no-telemetry \
	-m 1024 -l 0-1 \
	--vdev=net_pcap0,rx_pcap=in0.pcap,tx_pcap=/dev/null,infinite_rx=1 \
	--vdev=net_pcap1,rx_pcap=in1.pcap,tx_pcap=/dev/null,infinite_rx=1 \
	2>engine.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
C="$bin/sluicectl -s $out/ctl.sock"
for _ in $(seq 300); do
	[ -S ctl.sock ] && break
	kill -0 $pid 2>/dev/null || fail "the engine exited at start: $(tail -3 engine.err)"
	sleep 0.1
done
[ -S ctl.sock ] || fail "no control socket"

rss() { awk '/^VmRSS/ { print $2 }' /proc/$pid/status; }
printf 't_s\trss_kb\tdecls_in\tverdicts\tquarantined\tidentity\treloads_ok\treloads_failed\trate_per_s\tstate_buyers\tstate_compactions\n' >samples.tsv
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
good=0 broken=0 last_in=0 last_t=$start i=0
while :; do
	now=$(date +%s)
	t=$((now - start))
	[ "$t" -lt "$dur" ] || break
	kill -0 $pid 2>/dev/null || fail "the engine died at ${t}s: $(tail -3 engine.err)"
	i=$((i + 1))
	# a reload every second: bundles and registries by rename, every
	# fifth a broken bundle
	if [ "$reload" -eq 0 ]; then
		:
	elif [ $((i % 5)) -eq 0 ]; then
		cp broken.bundle next.bundle && mv next.bundle live.bundle
		$C reload >reply.json 2>/dev/null || true
		jq -e '.ok | not' reply.json >/dev/null || fail "the broken bundle was accepted: $(cat reply.json)"
		broken=$((broken + 1))
	else
		k=$(((i / 5) % 2))
		if [ $k -eq 0 ]; then b=A.bundle r=A.csv; else b=B.bundle r=B.csv; fi
		[ $((i % 2)) -eq 0 ] && r=$([ $r = A.csv ] && echo B.csv || echo A.csv)
		cp $b next.bundle && mv next.bundle live.bundle
		cp $r next.csv && mv next.csv live.csv
		$C reload >reply.json 2>/dev/null || fail "reload $i refused: $(cat reply.json)"
		good=$((good + 1))
	fi
	if [ $((i % 10)) -eq 0 ]; then
		$C stats >s.json 2>/dev/null || fail "stats failed at ${t}s"
		r=$(rss)
		in=$(jq .totals.decls_in s.json)
		rate=$(((in - last_in) / (now - last_t > 0 ? now - last_t : 1)))
		last_in=$in last_t=$now
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$in" \
			"$(jq .totals.verdicts_total s.json)" "$(jq .totals.quarantined s.json)" \
			"$(jq .totals.identity.holds s.json)" "$(jq .engine.reloads_ok s.json)" \
			"$(jq .engine.reloads_failed s.json)" "$rate" \
			"$(jq '.state.buyers // 0' s.json)" "$(jq '.state.compactions // 0' s.json)" >>samples.tsv
		[ "$(jq .totals.identity.holds s.json)" = true ] || fail "identity broken at ${t}s"
	fi
	# the next reload one second after this one started
	sleep "$(awk -v s="$start" -v i="$i" -v n="$(date +%s.%N)" \
		'BEGIN { d = s + i - n; printf "%.3f", (d > 0 ? d : 0) }')"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
$C shutdown >/dev/null || fail "shutdown refused"
rc=0
wait $pid || rc=$?
trap - EXIT
[ $rc -eq 0 ] || fail "sluice run exited $rc: $(tail -3 engine.err)"
in=$(jq .totals.decls_in final.json)
ans=$(jq .totals.verdicts_total final.json)
q=$(jq .totals.quarantined final.json)
[ "$(jq .totals.identity.holds final.json)" = true ] || fail "identity broken at the end"
[ "$(jq .engine.reloads_failed final.json)" = "$broken" ] ||
	fail "$(jq .engine.reloads_failed final.json) reloads refused, $broken were broken"
[ "$(jq .engine.reloads_ok final.json)" -ge "$good" ] || fail "good reloads not all taken"
# RSS flat: compactions and reloads move it by tens of MiB for a moment,
# so compare peaks: the highest sample of the second minute (of the first
# half, in a run shorter than four minutes) against the highest of the last
# minute.
ref_lo=60 ref_hi=120
[ "$dur" -ge 240 ] || ref_lo=0 ref_hi=$((dur / 2))
peak() { awk -v lo="$1" -v hi="$2" 'NR > 1 && $1 >= lo && $1 < hi && $2 > m { m = $2 } END { print m + 0 }' samples.tsv; }
rss_ref=$(peak $ref_lo $ref_hi)
rss_end=$(peak $((dur - 60)) $((dur + 1)))
{
	echo "soak: $(date -u +%Y-%m-%dT%H:%M:%SZ), $dur s, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
	echo "load average at start $load0, at end $load1"
	echo "input: 40000 sluice-gen declarations + malformed frames in 40 chunks, $mixed bytes of pcap, looped by 2 net_pcap devices"
	echo "declarations in $in, verdicts $ans, quarantined $q (identity holds), $(awk "BEGIN { printf \"%.0f\", $in / $dur }") /s on average"
	echo "reloads: $(jq .engine.reloads_ok final.json) taken, $(jq .engine.reloads_failed final.json) refused (broken bundle)"
	echo "RSS: peak $rss_ref KiB in ${ref_lo}-${ref_hi} s, peak $rss_end KiB in the last minute, min $(cut -f2 samples.tsv | sed 1d | sort -n | head -1), max $(cut -f2 samples.tsv | sed 1d | sort -n | tail -1)"
	echo "state: $(jq -c '.state // {}' final.json)"
	echo "stalls: log $(jq .totals.log_stalls final.json), mbuf $(jq .totals.mbuf_stalls final.json), held $(jq .totals.held_waits final.json); unlogged $(jq .totals.unlogged final.json); tx dropped $(jq .totals.tx_dropped_verdicts final.json)"
} | tee summary.txt
[ $((rss_end - rss_ref)) -le "$slack" ] ||
	fail "RSS grew: peak $rss_end KiB in the last minute, $rss_ref KiB in ${ref_lo}-${ref_hi} s"
echo "soak: passed" | tee -a summary.txt
