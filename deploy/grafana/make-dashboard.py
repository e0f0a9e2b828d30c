#!/usr/bin/env python3
"""Writes deploy/grafana/sluice-dashboard.json (stdout), the Grafana
dashboard of a bureau's sluice engines.  Edit this file, not the JSON:
  python3 deploy/grafana/make-dashboard.py > deploy/grafana/sluice-dashboard.json
tests/integration/test_metrics.sh checks that the JSON is this script's
output and that every metric it queries is one the engine exports."""
import json
import sys

if len(sys.argv) > 1:
    sys.stdout.write(__doc__)
    sys.exit(0 if sys.argv[1] in ("-h", "--help") else 2)

DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
panels = []


def sel(extra=""):
    """Label matcher of the dashboard's $instance variable, plus extra."""
    return '{instance=~"$instance"%s}' % (("," + extra) if extra else "")


S = sel()
NOT_REJECT = sel('verdict!="reject"')
SELECTED = sel('verdict=~"hold|inspect|seize"')
NOT_DECL = sel('class!="decl"')


def panel(title, exprs, x, y, w=12, h=8, unit="short", kind="timeseries",
          stack=False, desc=""):
    p = {"id": len(panels) + 1, "type": kind, "title": title,
         "description": desc, "datasource": DS,
         "gridPos": {"x": x, "y": y, "w": w, "h": h},
         "targets": [{"datasource": DS, "refId": chr(65 + i), "expr": e,
                      "legendFormat": legend}
                     for i, (e, legend) in enumerate(exprs)],
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
         "options": {}}
    if kind == "timeseries":
        p["fieldConfig"]["defaults"]["custom"] = {
            "stacking": {"mode": "normal" if stack else "none"},
            "fillOpacity": 20 if stack else 0}
        p["options"] = {"legend": {"showLegend": True, "displayMode": "table",
                                   "placement": "right",
                                   "calcs": ["lastNotNull"]},
                        "tooltip": {"mode": "multi"}}
    elif kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]},
                        "colorMode": "background"}
    panels.append(p)
    return p


def thresholds(p, steps):
    p["fieldConfig"]["defaults"]["thresholds"] = {
        "mode": "absolute",
        "steps": [{"color": c, "value": v} for c, v in steps]}


def row(title, y):
    panels.append({"id": len(panels) + 1, "type": "row", "title": title,
                   "collapsed": False,
                   "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
                   "panels": []})


y = 0
row("Gate", y)
y += 1
panel("Declarations / s",
      [(f"sum(rate(sluice_declarations_total{S}[1m]))", "in")],
      0, y, w=4, h=4, unit="reqps", kind="stat",
      desc="Declarations in (records plus unreadable units), all engines "
           "selected.")
p = panel("Accounting identity",
          [(f"min(sluice_accounting_identity{S})", "holds")],
          4, y, w=4, h=4, kind="stat",
          desc="1 while declarations in = verdicts + quarantined on every "
               "engine. 0 is a bug: page someone.")
thresholds(p, [("red", None), ("green", 1)])
p = panel("Unlogged verdicts",
          [(f"sum(sluice_unlogged_verdicts_total{S})", "unlogged")],
          8, y, w=4, h=4, kind="stat",
          desc="Verdicts neither sent nor logged, or refused by the verdict "
               "log writer. Must stay 0.")
thresholds(p, [("green", None), ("red", 1)])
p = panel("NIC drops / s",
          [(f"sum(rate(sluice_nic_rx_missed_total{S}[1m]))", "imissed")],
          12, y, w=4, h=4, unit="pps", kind="stat",
          desc="Packets the NICs dropped because the workers did not keep "
               "up (imissed). Above 0: declarants must resend.")
thresholds(p, [("green", None), ("red", 0.001)])
p = panel("Draining", [(f"max(sluice_draining{S})", "draining")],
          16, y, w=4, h=4, kind="stat",
          desc="1 while an engine takes no input (sluicectl drain).")
thresholds(p, [("green", None), ("orange", 1)])
p = panel("Live bundle / registry",
          [(f"sluice_info{S}", "{{instance}} {{bundle}} {{registry}}")],
          20, y, w=4, h=4, kind="table",
          desc="The bundle and registry each engine decides with (labels of "
               "sluice_info).")
p["targets"][0]["format"] = "table"
p["targets"][0]["instant"] = True
p["transformations"] = [{"id": "organize", "options": {"excludeByName": {
    "Time": True, "Value": True, "__name__": True, "job": True}}}]
y += 4
panel("Verdicts / s by kind",
      [(f"sum by (verdict) (rate(sluice_verdicts_total{S}[1m]))",
        "{{verdict}}")],
      0, y, unit="reqps", stack=True,
      desc="release, hold, inspect, seize, reject.")
panel("Selection rate by credit tier",
      [(f"sum by (tier) (rate(sluice_tier_verdicts_total{SELECTED}[15m])) / "
        f"sum by (tier) (rate(sluice_tier_verdicts_total{NOT_REJECT}[15m]))",
        "{{tier}}")],
      12, y, unit="percentunit",
      desc="Share of screened declarations held, inspected or seized, per "
           "enterprise credit tier (SPEC 1: advanced far below the average, "
           "dishonest at least 80 %). What inspection then found: "
           "sluice-feedback (docs/targeting.md).")
y += 8
row("Rules", y)
y += 1
panel("Top rules (verdicts / min, over 15 min)",
      [(f"topk(10, sum by (rule) (rate(sluice_rule_hits_total{S}[15m])) * 60)",
        "{{rule}}")],
      0, y,
      desc="Verdicts naming each rule, per minute. The same ranking over any "
           "window: sluicectl top MINUTES N.")
panel("Rejects / s by code",
      [(f"sum by (code) (rate(sluice_rejects_total{S}[5m])) > 0", "{{code}}")],
      12, y, unit="reqps", stack=True,
      desc="Malformed declarations returned, by reject code.")
y += 8
row("Performance", y)
y += 1
panel("Decision latency",
      [(f"histogram_quantile({q}, sum by (le) "
        f"(rate(sluice_decision_latency_seconds_bucket{S}[1m])))", name)
       for q, name in (("0.5", "p50"), ("0.99", "p99"), ("0.999", "p99.9"))],
      0, y, unit="s",
      desc="From the rx_burst that brought a declaration to the tx_burst "
           "that sent its verdict (time in the NIC queue before is not "
           "seen).")
panel("Worker load",
      [(f"rate(sluice_worker_busy_loops_total{S}[1m]) / "
        f"rate(sluice_worker_loops_total{S}[1m])",
        "{{instance}} w{{worker}}")],
      12, y, unit="percentunit",
      desc="Share of poll loops that received frames. Near 100 % on every "
           "worker: the engine is at capacity (docs/operations.md, Sizing).")
y += 8
panel("NIC packets / s",
      [(f"sum by (port) (rate(sluice_nic_rx_packets_total{S}[1m]))",
        "rx {{port}}"),
       (f"sum by (port) (rate(sluice_nic_tx_packets_total{S}[1m]))",
        "tx {{port}}"),
       (f"sum by (port) (rate(sluice_nic_rx_missed_total{S}[1m]))",
        "missed {{port}}")],
      0, y, unit="pps")
panel("Backpressure",
      [(f"sum(rate(sluice_log_stalls_total{S}[1m]))", "log ring full"),
       (f"sum(rate(sluice_mbuf_stalls_total{S}[1m]))", "TX mbufs out"),
       (f"sum(rate(sluice_tx_dropped_verdicts_total{S}[1m]))",
        "TX dropped verdicts"),
       (f"sum(sluice_log_ring_used{S})", "log ring entries")],
      12, y,
      desc="Workers waiting for the log thread or for mbufs; verdicts a full "
           "TX queue dropped (they are still in the verdict log).")
y += 8
row("Log and reloads", y)
y += 1
panel("Verdict log",
      [(f"sum(rate(sluice_vlog_verdicts_total{S}[1m]))", "appended / s"),
       (f"sum(rate(sluice_vlog_syncs_total{S}[1m]))", "fdatasync / s"),
       (f"sum(increase(sluice_vlog_checkpoints_total{S}[1h]))",
        "checkpoints / h"),
       (f"sum(rate(sluice_log_write_errors_total{S}[5m]))", "write errors / s")],
      0, y)
panel("Quarantine and other frames / s",
      [(f"sum(rate(sluice_quarantined_total{S}[5m]))", "quarantined"),
       (f"sum by (class) (rate(sluice_frames_total{NOT_DECL}[5m]))",
        "frames {{class}}")],
      12, y,
      desc="Units with no decl_id written raw to the quarantine file, and "
           "frames that were not declarations (docs/wire.md).")
y += 8
panel("Reloads",
      [(f"sum by (result) (increase(sluice_reloads_total{S}[1h]))",
        "{{result}} / h"),
       (f"max(sluice_last_reload_seconds{S})", "last reload, s")],
      0, y,
      desc="Bundle and registry reloads (SIGHUP, sluicectl reload). A failed "
           "reload keeps the old snapshot; the journal says why.")
panel("Snapshot generation",
      [(f"sluice_snapshot_generation{S}", "{{instance}}")], 12, y)

dash = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus",
                  "type": "datasource", "pluginId": "prometheus",
                  "pluginName": "Prometheus"}],
    "title": "sluice — customs screening gate", "uid": "sluice-gate",
    "editable": True, "schemaVersion": 38, "version": 1,
    "tags": ["sluice", "customs", "dpdk"],
    "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
    "description": "A bureau's sluice engines: throughput, verdicts by kind "
                   "and credit tier, rules, latency, NIC drops, verdict log "
                   "and reloads. Metrics: docs/operations.md.",
    "templating": {"list": [{
        "name": "instance", "type": "query", "datasource": DS,
        "query": {"query": "label_values(sluice_info, instance)",
                  "refId": "instance"},
        "definition": "label_values(sluice_info, instance)",
        "includeAll": True, "multi": True,
        "current": {"text": "All", "value": "$__all"}, "refresh": 2}]},
    "panels": panels,
}
print(json.dumps(dash, indent=2, ensure_ascii=False))
