#!/usr/bin/env bash
# sluice — the README's main job: screen the bundled sample.
#
#   tools/demo.sh BUILD_DIR
#
# Runs `sluice screen` over share/sluice/sample.jsonl (5,000 generated
# declarations of a Taiyuan exchange bureau, made at build time by
# sluice-gen) with the sample enterprise registry, writes the verdicts to
# BUILD_DIR/demo/verdicts.jsonl, and prints the summary, one example
# verdict of each kind, and how the verdicts compare with the sample's
# labels (sluice-gen check; docs/generator.md).
set -euo pipefail

if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
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

echo "demo: sluice screen ${args[*]} $sample"
echo
"$bin/sluice" screen "${args[@]}" "$sample" >"$out/verdicts.jsonl" \
	2>"$out/summary.txt"
cat "$out/summary.txt"

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
"$bin/sluice-gen" check "$labels" "$out/verdicts.jsonl" >"$out/accuracy.txt" ||
	true
"$bin/sluice-gen" check -g "$labels" "$out/verdicts.jsonl" || true
