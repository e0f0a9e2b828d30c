# bench/report.jq — results.json (bench/run) to results.md.
#   jq -r -f bench/report.jq results.json

# fixed decimals; "n/a" for null
def fix(d):
  if . == null then "n/a"
  else (if . < 0 then "-" else "" end) as $sign
    | ((if . < 0 then -. else . end) * pow(10; d) | round) as $v
    | (pow(10; d) | round) as $p
    | $sign + (($v / $p) | floor | tostring)
      + (if d > 0 then "." + (($v % $p) | tostring | ("0" * (d - length)) + .)
         else "" end)
  end;
# 1234567 -> "1.23 M"
def si:
  if . == null then "n/a"
  elif . >= 1e9 then (. / 1e9 | fix(2)) + " G"
  elif . >= 1e6 then (. / 1e6 | fix(2)) + " M"
  elif . >= 1e3 then (. / 1e3 | fix(1)) + " k"
  else fix(0) end;
def mbs: if . == null then "n/a" else (. / 1e6 | fix(1)) + " MB/s" end;
def us: if . == null then "n/a" else (. / 1000 | fix(1)) + " us" end;
def row(cells): "| " + (cells | map(tostring) | join(" | ")) + " |";
def head(cells): row(cells), "|" + (cells | map("---") | join("|")) + "|";
def over(a; b): if a == null or b == null or b == 0 then null else a / b end;
def skipped(x): x | type == "object" and has("skipped");

. as $r
| $r.machine as $m
| "# sluice benchmarks: \($r.mode) run, \($r.date)",
  "",
  "Produced by `bench/run\(if $r.mode == "full" then "" else " --" + $r.mode end)`; every figure below was measured in this run, on this machine.",
  "",
  "## Machine",
  "",
  head(["fact", "value"]),
  row(["CPU", "\($m.cpu)\(if $m.hypervisor != "" then " (" + $m.hypervisor + " guest)" else "" end), \($m.cores) cores"]),
  row(["memory", "\($m.mem_bytes / 1073741824 | fix(1)) GiB, \($m.mem_available_bytes / 1073741824 | fix(1)) GiB available at start"]),
  row(["kernel, OS", "\($m.kernel), \($m.os)"]),
  row(["compiler, build", "\($m.compiler); \($m.build_type) (\($m.cflags))"]),
  row(["libraries", ($m.libs | to_entries | map("\(.key) \(.value)") | join(", "))]),
  row(["tools", ($m.tools | to_entries | map(.value | select(. != "")) | join(", "))]),
  row(["commit", $m.commit]),
  row(["load average (1, 5, 15 min)", "start \($m.load_start), end \($m.load_end)"]),
  row(["run time", "\($m.run_seconds | fix(0)) s"]),
  "",
  "The machine is shared: times are the best of several passes, and the callgrind instruction counts (exact, repeatable) are the figures to compare between runs.",
  "",
  "## Targets",
  "",
  head(["figure", "measured", "target", "baseline (same run)", "status"]),
  ($r.targets[] |
    row([.name,
         (if .measured == null then "n/a"
          elif (.target | . == 0.8 or . == 2 or . == 2.2) then (.measured | fix(2))
          elif .target == 1000000 then (.measured | si) + " decl/s"
          elif .target == 64 then (.measured | fix(1))
          elif .target == 0 then (.measured | fix(4))
          else (.measured | fix(0)) end),
         "\(.op) \(.target)",
         .baseline,
         (if .met == null then "not measured"
          elif .met then "met"
          elif .target == 0 then "missed"
          else "missed, \(.factor | fix(1))x \(if .op == ">=" then "short" else "over" end)" end)
         + " (" + .note + ")"])),
  "",
  "## 1-2. The limit and the core, one core",
  "",
  (if skipped($r.core) or $r.core == null then "not measured" else
  ($r.core as $c | $r.callgrind as $g |
  "\($c.records) declarations (\($r.corpus.mix), seed \($r.corpus.seed)), default bundle, best of \($c.rounds) passes; \($c.scanned_records) of them valid and scanned (\($c.items / $c.scanned_records | fix(1)) items each), \($c.raw_matches_per_decl | fix(2)) raw Hyperscan matches per declaration. Instructions: callgrind over the first \($g.records // "n/a") of them, rules compiled for AVX2 (valgrind can't run AVX-512).",
  "",
  head(["stage", "decl/s (wall)", "ns/decl (wall)", "decl/s (CPU time)", "throughput (wall)", "instructions/decl", "vs raw hs_scan (CPU time)"]),
  row(["(1) raw hs_scan of the scan buffers (the limit)", ($c.raw.decl_s | si), ($c.raw.ns_per_decl | fix(1)), ($c.raw.decl_s_cpu | si), ($c.raw.bytes_s | mbs) + " scanned", ($g.raw_ir_per_decl | fix(0)), "1.00"]),
  row(["for scale: hs_scan of each whole MessagePack record", ($c.raw_record.decl_s | si), ($c.raw_record.ns_per_decl | fix(1)), ($c.raw_record.decl_s_cpu | si), ($c.raw_record.bytes_s | mbs) + " MessagePack", "", (over($c.raw_record.decl_s_cpu; $c.raw.decl_s_cpu) | fix(3))]),
  row(["decode + validate (MessagePack)", ($c.decode.decl_s | si), ($c.decode.ns_per_decl | fix(1)), ($c.decode.decl_s_cpu | si), ($c.decode.bytes_s | mbs) + " MessagePack", ($g.decode_ir_per_decl | fix(0)), (over($c.decode.decl_s_cpu; $c.raw.decl_s_cpu) | fix(3))]),
  row(["(2) core: MessagePack record to verdict", ($c.core.decl_s | si), ($c.core.ns_per_decl | fix(1)), ($c.core.decl_s_cpu | si), ($c.core.bytes_s | mbs) + " MessagePack", ($g.core_ir_per_decl | fix(0)), ($c.ratio_core_raw_cpu | fix(3))]),
  row(["core + verdict encoded (what a worker pays)", ($c.core_encode.decl_s | si), ($c.core_encode.ns_per_decl | fix(1)), ($c.core_encode.decl_s_cpu | si), ($c.core_encode.bytes_s | mbs) + " MessagePack", ($g.core_encode_ir_per_decl | fix(0)), (over($c.core_encode.decl_s_cpu; $c.raw.decl_s_cpu) | fix(3))]),
  "",
  "Wall time and the thread's CPU time are each the best of the passes; the stages take turns round after round. CPU time leaves out the time the scheduler gave to other processes, so it is the closer estimate of a core of sluice's own, and the targets use it. Wall-time ratio core / raw: \($c.ratio_core_raw | fix(3)).",
  "",
  "Core latency per declaration (\($c.latency_ns.samples) samples, log-linear histogram, 6.25 % buckets, one \($c.latency_ns.timer | fix(0)) ns clock read included): p50 \($c.latency_ns.p50 | us), p99 \($c.latency_ns.p99 | us), p99.9 \($c.latency_ns.p999 | us), max \($c.latency_ns.max | us). Allocations per declaration: \($c.allocs_per_decl // "n/a"). Instructions core / raw: \($g.ratio_core_raw | fix(4)). Verdicts: \($c.verdicts | to_entries | map("\(.key) \(.value)") | join(", ")).")
  end),
  "",
  "## 3. The DPDK engine, end to end on virtual devices",
  "",
  (if skipped($r.dpdk) or $r.dpdk == null then "not measured: \($r.dpdk.skipped // "no data")" else
  ($r.dpdk as $d |
  "`bench_dpdk`: \($d.records) declarations of the corpus (those that fit a datagram), the same registry; each configuration best of \($d.runs); rate = declarations in / the engine's busy window. Baselines from the same process: raw hs_scan \($d.raw_decl_s | si) decl/s, core \($d.core_decl_s | si) decl/s.",
  "",
  head(["device", "workers", "decl/s", "x core (1 core)", "x raw hs_scan", "accounting identity", "declarations in"]),
  ($d.engine[] | row([.device, .workers, (.decl_s | si), (.x_core | fix(2)), (.x_raw | fix(3)), (if .identity_holds then "holds" else "BROKEN" end),
    (if .complete == false then "\(.decls_in) of \($d.records): incomplete, the run stopped early" else "all" end)])))
  end),
  "",
  "## 4. The peer: ripgrep",
  "",
  (if skipped($r.peer) or $r.peer == null then "not measured: \($r.peer.skipped // "no data")" else
  ($r.peer as $p |
  "`\($p.command)` (\($p.ripgrep)) with the bundle's \($p.terms) literal terms (`bench_core --terms`: terms and their OpenCC variants; `unless` exceptions and regexes left out), over the \($r.corpus.records) declarations as JSON lines (\($r.corpus.json_bytes / 1e6 | fix(1)) MB, page cache), best of several runs. It printed \($p.rg_matched_lines) matching lines: short terms (`mm`, `ga`) and whole-field terms (`goods`, `item`) also match JSON keys and everyday words.",
  "",
  head(["what", "reads", "seconds (wall)", "MB/s of JSON lines (wall)", "decl/s (wall)", "decl/s (CPU time)", "vs ripgrep (wall)", "vs ripgrep (CPU time)"]),
  row(["ripgrep -F -i", "the JSON-lines file", "\($p.rg_s | fix(3)) (\($p.rg_wall_s | fix(3)) - \($p.rg_start_s | fix(3)) start-up)", ($p.rg_bytes_s | mbs), ($p.rg_decl_s | si), ($p.rg_decl_s_cpu | si), "1.00", "1.00"]),
  row(["sluice core (one core)", "the same declarations as MessagePack, in memory", "", ($p.core_json_bytes_s | mbs) + " (equivalent)", ($p.core_decl_s | si), ($p.core_decl_s_cpu | si), ($p.ratio_core_rg | fix(2)), ($p.ratio_core_rg_cpu | fix(2))]),
  row(["sluice screen (one thread)", "the same JSON-lines file", "\($p.screen_s | fix(3)) (\($p.screen_wall_s | fix(3)) - \($p.screen_start_s | fix(3)) start-up)", ($p.screen_bytes_s | mbs), ($p.screen_decl_s | si), ($p.screen_decl_s_cpu | si), ($p.ratio_screen_rg | fix(2)), ($p.ratio_screen_rg_cpu | fix(2))]),
  "",
  "core/ripgrep = the core's declarations/s over ripgrep's declarations/s (the same declarations, each in the form its tool reads: equal to the ratio of JSON-lines bytes covered per second). screen/ripgrep = ripgrep's time over `sluice screen`'s on the same file. Each tool's start-up (timed on an empty file: ripgrep compiling its term set, sluice loading bundle and registry) is taken off its time, so the rates are streaming rates. CPU time is user + system time of the process, best of the runs.")
  end),
  "",
  "## 5. Scaling",
  "",
  "### Pattern count (`bench_rulec`: generated literal rules, 10 terms each)",
  "",
  head(["patterns", "compile (sources + hs_compile)", "database", "bundle", "raw hs_scan decl/s", "sl_match_decl decl/s", "match MB/s", "match / raw"]),
  ($r.patterns.sizes[] | row([.patterns, "\(.compile_s | fix(2)) s (\(.parse_s | fix(2)) + \(.hs_compile_s | fix(2)))", "\(.db_bytes / 1048576 | fix(2)) MiB", "\(.bundle_bytes / 1048576 | fix(2)) MiB", (.raw_decl_s | si), (.match_decl_s | si), (.match_bytes_s | mbs), (.ratio_match_raw | fix(2))])),
  ($r.patterns.default | if . then row(["default bundle (\(.patterns))", "", "", "", (.raw_decl_s | si), (.match_decl_s | si), (.match_bytes_s | mbs), (.ratio_match_raw | fix(2))]) else empty end),
  "",
  "\($r.patterns.decls) declarations of 1-3 items, best of \($r.patterns.reps).",
  "",
  "### Tracked buyers (memory-only state, one worker)",
  "",
  head(["buyers", "resident bytes per buyer (target <= 64)", "insert ns", "lookup ns", "update ns (sl_state_buyer_add)"]),
  ($r.buyers[] | if .skipped then row([.n, "skipped: " + .skipped, "", "", ""])
    else row([.n, (.bytes_per_buyer | fix(1)), (.insert_ns | fix(0)), (.lookup_ns | fix(0)), (.update_ns | fix(0))]) end),
  "",
  "Lookup and update: a random existing buyer each time (at most 2 M probes), so the larger tables pay cache and TLB misses.",
  "",
  "### Items per declaration (core, valid declarations, exactly k items each)",
  "",
  head(["items", "records", "decl/s", "ns/decl", "ns/item", "instructions/decl", "instructions/item", "raw hs_scan decl/s", "core / raw", "p99", "seized"]),
  ($r.items[] | row([.items, .records, (.core_decl_s | si), (.core_ns | fix(0)), (.ns_per_item | fix(0)), (.core_ir_per_decl | fix(0)), (.core_ir_per_item | fix(0)), (.raw_decl_s | si), (.ratio_core_raw | fix(3)), (.p99_ns | us), "\(.verdicts.seize * 100 / .records | fix(0)) %"])),
  "",
  "`bench_core --items k` gives each valid declaration of a sluice-gen corpus exactly k items, its own and then those of earlier records: with more items more declarations carry a prohibited one (the last column). Instructions: callgrind over the first records (rules compiled for AVX2).",
  "",
  "### Dense matches (the worst case)",
  "",
  head(["case", "records", "raw matches/decl", "raw hs_scan MB/s", "core decl/s", "ns/decl", "instructions/decl (core / raw)", "p99", "core / raw"]),
  ($r.dense[] | select(. != null) | row([.label, .records, (.raw_matches_per_decl | fix(1)), (.raw.bytes_s | mbs), (.core.decl_s | si), (.core.ns_per_decl | fix(0)), "\(.callgrind.core_ir_per_decl | fix(0)) / \(.callgrind.raw_ir_per_decl | fix(0))", (.latency_ns.p99 | us), (.ratio_core_raw | fix(3))])),
  "",
  "Instructions: callgrind over the first records of each case (rules compiled for AVX2). plain: the corpus's first records as they are; dense: the same records with every text field the bundle scans, in every item, filled with the bundle's terms; dense-99-items: 99 items per declaration, all dense.",
  "",
  "## 6. Reload",
  "",
  "`bench_reload`: the engine's RCU swap (load bundle + registry, `sl_snapshot_new`; `rcu_xchg_pointer` + `synchronize_rcu`; free) under workers screening the corpus. A stall is the gap between two declarations of one worker, in loops the scheduler did not preempt; preempted loops are counted apart.",
  "",
  head(["workers", "reloads", "build median / max", "swap median / max", "longest stall while reloading", "longest gap, steady windows", "preempted gaps > 100 us (reload / steady)", "peak / steady RSS"]),
  ($r.reload.bench[] | select(. != null) | row([
    "\(.workers)\(if .ctl_own_cpu then " (control thread on its own CPU)" else " (sharing the CPUs)" end)",
    .reloads,
    "\(.build_ms.median | fix(2)) / \(.build_ms.max | fix(2)) ms",
    "\(.swap_us.median | fix(0)) / \(.swap_us.max | fix(0)) us",
    (.gaps_reload.max_ns | us),
    (.gaps_steady.max_ns | us),
    "\(.gaps_reload_preempted.over_100us) in \(.gaps_reload.window_s | fix(2)) s / \(.gaps_steady_preempted.over_100us) in \(.gaps_steady.window_s | fix(2)) s",
    "\(.rss_peak_kib) / \(.rss_steady_kib) KiB = \(.rss_ratio | fix(2))"])),
  "",
  (if skipped($r.reload.engine) or $r.reload.engine == null then "On the running DPDK engine: not measured: \($r.reload.engine.skipped // "no data")" else
  ($r.reload.engine as $e |
  "On the running DPDK engine (`sluice run`, 1 worker, net_pcap replaying the corpus at \($e.decl_s_steady | si) decl/s; `sluicectl reload` \($e.reloads) times): the engine's own reload time (build + publish + grace period) min \($e.reload_ms.min | fix(2)) ms, median \($e.reload_ms.median | fix(2)) ms, max \($e.reload_ms.max | fix(2)) ms; VmRSS before \($e.rss_steady_kib) KiB, VmHWM over the reloads \($e.rss_peak_kib) KiB: peak / steady \($e.rss_ratio | fix(3)).")
  end),
  "",
  "## Plots",
  "",
  "![pattern count](patterns.png) ![tracked buyers](buyers.png) ![items per declaration](items.png)"
