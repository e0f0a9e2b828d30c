#!/usr/bin/env bash
# sluice — the README's main job: the DPDK engine on the bundled sample.
#
#   tools/demo.sh BUILD_DIR
#
# Runs `sluice run`, the DPDK engine, over share/sluice/sample.pcap (the
# 5,000 generated declarations of a Taiyuan exchange bureau, made at build
# time by sluice-gen and encoded as UDP datagrams by sluice-pcap) with the
# sample enterprise registry, on a net_pcap virtual device: no NIC, no
# hugepages (needs root).  Prints the engine's summary, one example verdict
# of each kind, and how the verdicts compare with the sample's labels
# (sluice-gen check; docs/generator.md).  Outputs go to BUILD_DIR/demo.
# Without root, falls back to `sluice screen` over sample.jsonl.
set -euo pipefail

if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -eq 1 ] && exit 0
	exit 2
fi
build=$1
bin=$build/bin
share=$build/share/sluice
out=$build/demo
sample=$share/sample.jsonl
labels=$share/sample.labels.jsonl
registry=$share/sample-registry.csv

for f in "$bin/sluice" "$bin/sluice-gen" "$sample" "$labels" "$registry"; do
	if [ ! -e "$f" ]; then
		echo "demo: $f is missing; build first (tools/setup.sh build)" >&2
		exit 1
	fi
done
mkdir -p "$out"

# The registry gives each enterprise its credit tier.  A build whose
# screen cannot load one yet treats every enterprise as unknown (never
# released); say so rather than fail.
args=()
if "$bin/sluice" screen -e "$registry" </dev/null >/dev/null 2>&1; then
	args+=(-e "$registry")
else
	echo "demo: this build's sluice screen takes no registry (-e) yet:"
	echo "      every enterprise counts as unknown and is never released"
fi

pcap=$share/sample.pcap
labels_used=$labels
if [ "$(id -u)" -eq 0 ] && [ -x "$bin/sluice-pcap" ] && [ -e "$pcap" ]; then
	# One worker (-l 0), so verdicts leave in input order; the EAL
	# needs no hugepages and no PCI device.
	echo "demo: sluice run ${args[*]} --until-idle 500 -- --no-huge --no-pci -l 0"
	echo "      --vdev=net_pcap0,rx_pcap=$pcap,tx_pcap=$out/verdicts.pcap"
	echo
	rm -f "$out/verdicts.log" "$out/quarantine.raw"
	"$bin/sluice" run "${args[@]}" --until-idle 500 --ctl none \
		--verdict-log "$out/verdicts.log" \
		--quarantine "$out/quarantine.raw" --stats "$out/stats.json" -- \
		--no-huge --no-pci --no-shconf --no-telemetry \
		--file-prefix="sluice-demo-$$" -m 1024 -l 0 \
		--vdev="net_pcap0,rx_pcap=$pcap,tx_pcap=$out/verdicts.pcap" \
		2>"$out/run.err" || {
		cat "$out/run.err" >&2
		exit 1
	}
	grep -v '^EAL: ' "$out/run.err" | tee "$out/summary.txt"
	# The verdicts as they left on the wire, in order.
	"$bin/sluice-pcap" decode "$out/verdicts.pcap" >"$out/verdicts.jsonl" \
		2>/dev/null
	echo
	echo "demo: verdict log $out/verdicts.log (hash-chained:"
	echo "      sluice-audit verify), stats $out/stats.json, unreadable"
	echo "      records in $out/quarantine.raw"
	# Lines that never became a datagram (not JSON, larger than one) or
	# that named no decl_id (quarantined) have no verdict on the wire:
	# compare against the labels of the declarations that did.
	jq -r '.decl_id' "$out/verdicts.jsonl" >"$out/ids.txt"
	jq -r '.decl_id // ""' "$labels" |
		awk 'NR == FNR { seen[$0] = 1; next }
		     ($0 in seen) { print FNR }' "$out/ids.txt" - >"$out/lines.txt"
	awk 'NR == FNR { want[$1] = 1; next } (FNR in want)' \
		"$out/lines.txt" "$labels" >"$out/labels.jsonl"
	labels_used=$out/labels.jsonl
else
	echo "demo: not root (DPDK needs it): sluice screen ${args[*]} $sample"
	echo
	"$bin/sluice" screen "${args[@]}" "$sample" >"$out/verdicts.jsonl" \
		2>"$out/summary.txt"
	cat "$out/summary.txt"
fi

echo
echo "demo: one verdict of each kind ($out/verdicts.jsonl):"
for v in release hold inspect seize reject; do
	line=$(grep -m1 "\"verdict\":\"$v\"" "$out/verdicts.jsonl" || true)
	[ -n "$line" ] && printf '\n%s\n' "$line"
done

echo
echo "demo: verdicts against the sample's labels, per group of classes"
echo "      (sluice-gen check -g; per class: $out/accuracy.txt)"
echo
"$bin/sluice-gen" check "$labels_used" "$out/verdicts.jsonl" \
	>"$out/accuracy.txt" || true
"$bin/sluice-gen" check -g "$labels_used" "$out/verdicts.jsonl" || true
