#!/usr/bin/env bash
# ctest bench.smoke (label bench-smoke): `bench/run --smoke` end to end at
# tiny sizes, so the harness can't rot.  Checks that every part ran and
# reported, and the shape of the last line; never a timing.
# Environment (set by ctest): SLUICE_SRC, SLUICE_BUILD, SLUICE_TMP.
set -euo pipefail

src=${SLUICE_SRC:?}
build=${SLUICE_BUILD:?}
out=${SLUICE_TMP:?}
rm -rf "$out" && mkdir -p "$(dirname "$out")"
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

if ! "$src/bench/run" --smoke --build "$build" --out "$out" \
	>"$out.stdout" 2>"$out.stderr"; then
	cat "$out.stderr" >&2
	echo "FAIL: bench/run --smoke exited non-zero" >&2
	exit 1
fi
r=$out/results.json
[ -s "$r" ] || {
	echo "FAIL: no results.json" >&2
	exit 1
}
[ -s "$out/results.md" ] || fail "no results.md"

# the last line, as --quick ends too
last=$(tail -n 1 "$out.stdout")
[[ $last =~ ^ratio\ core/raw-scan:\ [0-9]+\.[0-9]{2},\ core/ripgrep:\ ([0-9]+\.[0-9]{2}|nan)$ ]] ||
	fail "last line is '$last'"

# every part measured something (or said why it was skipped)
check() { # description jq-expression-that-must-be-true
	if [ "$(jq "$2" "$r")" != true ]; then fail "$1"; fi
}
check "machine facts" '.machine.cpu != "" and .machine.cores > 0 and
	(.machine.load_start | length) > 0 and (.machine.load_end | length) > 0'
check "core and raw scan" '.core.core.decl_s > 0 and .core.raw.decl_s > 0 and
	.core.ratio_core_raw > 0 and .core.records == .corpus.records'
check "latency percentiles in order" '.core.latency_ns as $l |
	$l.p50 > 0 and $l.p50 <= $l.p99 and $l.p99 <= $l.p999 and $l.p999 <= $l.max'
check "callgrind counts or a reason" '(.callgrind.core_ir_per_decl > .callgrind.raw_ir_per_decl)
	or (.callgrind.skipped | type == "string")'
check "ripgrep or a reason" '(.peer.rg_decl_s > 0 and .peer.ratio_core_rg > 0 and .peer.terms > 100)
	or (.peer.skipped | type == "string")'
check "engine, 4 configurations, accounting holds, or a reason" '
	([.dpdk.engine[]? | select(.decl_s > 0 and .identity_holds)] | length == 4)
	or (.dpdk.skipped | type == "string")'
check "pattern scaling" '(.patterns.sizes | length) >= 1 and
	(.patterns.sizes[0].db_bytes > 0) and (.patterns.sizes[0].match_decl_s > 0)'
check "buyers" '[.buyers[] | select(.bytes_per_buyer > 0 and .lookup_ns > 0)] | length >= 1'
check "items per declaration" '(.items | length) >= 2 and ([.items[] | .core_decl_s > 0] | all)'
check "dense case" '(.dense | length) == 3 and
	(.dense[1].raw_matches_per_decl > .dense[0].raw_matches_per_decl)'
check "reload in the bench" '[.reload.bench[] | select(.reloads >= 1 and .rss_ratio > 0
	and .build_ms.median > 0)] | length == 2'
check "reload on the engine or a reason" '(.reload.engine.rss_ratio > 0 and .reload.engine.reloads >= 1)
	or (.reload.engine.skipped | type == "string")'
check "every target reported" '(.targets | length) == 9 and
	([.targets[] | has("measured") and has("target") and has("met")] | all)'
if command -v gnuplot >/dev/null; then
	for p in patterns buyers items; do
		[ -s "$out/$p.png" ] || fail "no $p.png"
	done
fi
grep -q '^## 6. Reload' "$out/results.md" || fail "results.md lacks its sections"

if ((fails)); then
	echo "bench smoke: $fails failure(s); output in $out" >&2
	exit 1
fi
echo "bench smoke: ok ($out)"
