#!/usr/bin/env bash
# The engine as operators see it, on virtual devices: the Prometheus
# endpoint's numbers agree with the verdicts actually logged, every metric
# the Grafana dashboard queries exists, and sluicectl's stats, ids, top,
# drain, resume and reopen do what they say.
#
# Traffic is live: the engine's port is one end of a veth pair
# (net_af_packet) and tcpreplay sends declaration datagrams into the other
# end, so input can arrive during a drain and after a reopen.  Needs root
# (veth, AF_PACKET) and tcpreplay.
set -euo pipefail
: "${SLUICE_BIN:?}" "${SLUICE_SRC:?}" "${SLUICE_TMP:?}"
rm -rf "$SLUICE_TMP"
mkdir -p "$SLUICE_TMP"
T=$(cd "$SLUICE_TMP" && pwd)
fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/run.log" ] && sed 's/^/  engine: /' "$T/run.log" >&2
	exit 1
}
C="$SLUICE_BIN/sluicectl -s $T/ctl.sock"
command -v tcpreplay >/dev/null || fail "tcpreplay is not installed (tools/setup.sh installs it)"

# ---- live traffic: a veth pair named after this run.
. "${SLUICE_SRC:?}/tests/integration/veth_lib.sh"
veth_up slo

# ---- declarations: N valid-looking ones, then some without a decl_id
# (quarantined).  Small datagrams: the veth's MTU is 1500.
N=600
python3 - "$T" "$N" <<'EOF'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
def decl(i, origin):
    return {"decl_id": "OPS%08d" % i, "flow": "import", "trade_mode": "9610",
            "declared_at": "2026-11-29T08:15:00+08:00",
            "ebc": {"code": "91350100M000100Y43"},
            "buyer": {"id_type": "id_card", "id_number": "11010519491231002X"},
            "currency": "CNY", "goods_value": 100 + i % 900,
            "origin_country": origin,
            "items": [{"name": "保湿面霜" if i % 3 else "ivory carving",
                       "hs_code": "3304990099", "qty": 1,
                       "price": 100 + i % 900}]}
with open(t + "/a.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps(decl(i, "JP"), ensure_ascii=False) + "\n")
with open(t + "/b.jsonl", "w") as f:
    for i in range(n, n + 100):
        f.write(json.dumps(decl(i, "KR"), ensure_ascii=False) + "\n")
with open(t + "/bad.jsonl", "w") as f:
    for i in range(20):
        f.write(json.dumps({"no_decl_id": i}) + "\n")
EOF
for f in a b bad; do
	"$SLUICE_BIN/sluice-pcap" encode --max-payload 1400 "$T/$f.jsonl" "$T/$f.pcap" 2>/dev/null ||
		fail "sluice-pcap encode $f"
done
send() { tcpreplay -q -i "$B" "$T/$1.pcap" >/dev/null 2>&1 || fail "tcpreplay $1"; }

# ---- the engine: one worker, metrics on a free loopback port.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SLUICE_BIN/sluice" run --ctl "$T/ctl.sock" --metrics "127.0.0.1:$PORT" \
	--verdict-log "$T/v.log" --quarantine "$T/q.log" --drain-timeout 10000 -- \
	--no-huge --no-pci --no-shconf --file-prefix="slops$$" --no-telemetry \
	-m 1024 -l 0 --vdev="net_af_packet0,iface=$A" >"$T/run.log" 2>&1 &
engine=$!
for _ in $(seq 100); do
	[ -S "$T/ctl.sock" ] && curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null && break
	kill -0 "$engine" 2>/dev/null || fail "the engine exited at start"
	sleep 0.1
done
[ -S "$T/ctl.sock" ] || fail "no control socket"

stat() { $C stats | jq -r "$1"; }
wait_in() { # wait until declarations in == $1
	for _ in $(seq 100); do
		[ "$(stat .totals.decls_in)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "declarations in: $(stat .totals.decls_in), want $1"
}
scrape() { curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/m.txt" || fail "scrape"; }
metric() { # value of one sample: metric() 'name{labels}'
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$T/m.txt"
}
msum() { # sum of a metric over all its label sets
	awk -v k="$1" 'index($1, k "{") == 1 || $1 == k { s += $2 } END { printf "%.0f\n", s }' "$T/m.txt"
}

# ---- traffic, then the numbers.
send a
wait_in "$N"
send bad
wait_in $((N + 20))
scrape
[ "$(metric sluice_declarations_total)" = $((N + 20)) ] || fail "declarations_total $(metric sluice_declarations_total)"
[ "$(msum sluice_verdicts_total)" = "$N" ] || fail "verdicts_total sums to $(msum sluice_verdicts_total), want $N"
[ "$(metric sluice_quarantined_total)" = 20 ] || fail "quarantined $(metric sluice_quarantined_total)"
[ "$(metric sluice_accounting_identity)" = 1 ] || fail "identity"
[ "$(msum sluice_tier_verdicts_total)" = "$N" ] || fail "tier verdicts sum $(msum sluice_tier_verdicts_total)"
[ "$(metric sluice_decision_latency_seconds_count)" = $((N + 20)) ] ||
	fail "latency count $(metric sluice_decision_latency_seconds_count)"
[ "$(metric 'sluice_decision_latency_seconds_bucket{le="+Inf"}')" = $((N + 20)) ] || fail "+Inf bucket"
for v in release hold inspect seize reject; do
	want=$(stat ".totals.verdicts.$v")
	[ "$(metric "sluice_verdicts_total{verdict=\"$v\"}")" = "$want" ] ||
		fail "verdicts_total{$v} $(metric "sluice_verdicts_total{verdict=\"$v\"}") vs stats $want"
done
bundle=$($C ids | jq -r .bundle)
grep -q "^sluice_info{bundle=\"$bundle\"," "$T/m.txt" || fail "sluice_info does not name bundle $bundle"
[ "$(msum sluice_nic_rx_packets_total)" -ge "$(stat '.totals.frames.decl')" ] || fail "NIC rx below datagrams"

# Rule hits: what the verdict log says, rule by rule (once per verdict).
for _ in $(seq 50); do
	[ "$(grep -c '"verdict"' "$T/v.log" 2>/dev/null)" = "$N" ] && break
	sleep 0.1
done
grep '"verdict"' "$T/v.log" | grep -v '^{"vlog"' |
	jq -r '[.reasons[].rule] | unique | .[]' | sort | uniq -c |
	awk '{ print $2, $1 }' | sort >"$T/want-rules"
grep '^sluice_rule_hits_total{' "$T/m.txt" |
	sed 's/^sluice_rule_hits_total{rule="\(.*\)"} \(.*\)$/\1 \2/' | sort >"$T/got-rules"
diff "$T/want-rules" "$T/got-rules" >/dev/null ||
	fail "rule hits differ from the verdict log: $(diff "$T/want-rules" "$T/got-rules")"
$C -j top 60 100 | jq -r '.rules[] | "\(.rule) \(.hits)"' | sort >"$T/top-rules"
diff "$T/want-rules" "$T/top-rules" >/dev/null ||
	fail "sluicectl top differs from the verdict log: $(diff "$T/want-rules" "$T/top-rules")"
$C top 60 3 >"$T/top.txt" || fail "sluicectl top"
grep -q "^last 60 min: $N verdicts$" "$T/top.txt" || fail "top header: $(head -1 "$T/top.txt")"
[ "$(grep -c '%$' "$T/top.txt")" -le 3 ] || fail "top 60 3 printed more than 3 rules"

# The dashboard queries only what the engine exports.
for m in $(jq -r '.. | .expr? // empty' "$SLUICE_SRC/deploy/grafana/sluice-dashboard.json" |
	grep -o 'sluice_[a-z_]*' | sort -u); do
	grep -q "^# TYPE ${m%_bucket} " "$T/m.txt" || fail "the dashboard queries $m, which the engine does not export"
done

# HTTP: only GET/HEAD of /metrics and /.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")" = 405 ] || fail "405"
curl -sI "http://127.0.0.1:$PORT/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' || fail "content type"

# ---- drain: no input while drained, nothing lost once resumed.
$C drain >"$T/drain.json" || fail "sluicectl drain: $(cat "$T/drain.json")"
[ "$(jq -r .drained "$T/drain.json")" = true ] || fail "not drained: $(cat "$T/drain.json")"
[ "$(stat .engine.draining)" = true ] || fail "stats do not say draining"
logged=$(grep -c '"verdict"' "$T/v.log")
[ "$logged" = "$N" ] || fail "drained but $logged of $N verdicts in the log"
send b
sleep 1
[ "$(stat .totals.decls_in)" = $((N + 20)) ] || fail "a drained engine took input"
scrape
[ "$(metric sluice_draining)" = 1 ] || fail "sluice_draining"
$C resume >/dev/null || fail "resume"
wait_in $((N + 120)) # the datagrams waited in the port's ring
[ "$(stat .engine.draining)" = false ] || fail "still draining after resume"

# ---- reopen: logrotate's rename, then new entries in a new file.
[ "$(grep -c '^# sluice-quarantine' "$T/q.log")" = 20 ] || fail "quarantine entries"
mv "$T/q.log" "$T/q.log.1"
$C reopen >/dev/null || fail "reopen"
send bad
wait_in $((N + 140))
for _ in $(seq 50); do
	[ "$(grep -c '^# sluice-quarantine' "$T/q.log" 2>/dev/null)" = 20 ] && break
	sleep 0.1
done
[ "$(grep -c '^# sluice-quarantine' "$T/q.log" 2>/dev/null)" = 20 ] || fail "no new quarantine file after reopen"
[ "$(grep -c '^# sluice-quarantine' "$T/q.log.1")" = 20 ] || fail "the rotated file changed"

# ---- sluicectl's own contract.
$C --help | grep -q '^usage: sluicectl' || fail "--help"
set +e
$C frobnicate >/dev/null; rc=$?
"$SLUICE_BIN/sluicectl" -s "$T/none.sock" stats >/dev/null 2>&1; rc2=$?
$C top 0 >/dev/null; rc3=$?
$C top 5x >/dev/null; rc4=$?
set -e
[ $rc4 = 1 ] || fail "top 5x: status $rc4, want 1"
[ $rc = 1 ] || fail "unknown command: status $rc, want 1"
[ $rc2 = 2 ] || fail "no engine: status $rc2, want 2"
[ $rc3 = 1 ] || fail "top 0: status $rc3, want 1"

# ---- shutdown: the engine exits 0 with the identity intact.
$C shutdown >/dev/null || fail "shutdown"
for _ in $(seq 100); do kill -0 "$engine" 2>/dev/null || break; sleep 0.1; done
rc=0
wait "$engine" || rc=$?
engine=
[ $rc = 0 ] || fail "engine exit status $rc"
grep -q 'identity holds' "$T/run.log" || fail "no 'identity holds' in the summary"
echo ok
