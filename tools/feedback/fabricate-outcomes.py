#!/usr/bin/env python3
"""fabricate-outcomes.py — invent inspection outcomes for a worked example.

    fabricate-outcomes.py LABELS.jsonl VERDICTS.jsonl > OUTCOMES.csv

For demonstrations and tests of the targeting loop only (docs/targeting.md):
real outcomes come from the officers.  LABELS are the labels `sluice-gen
--labels` wrote for the declarations (what each one really is); VERDICTS
are what `sluice screen` or the engine decided.  Every declaration the
engine selected (hold, inspect, seize) gets one outcome row, as if every
selected parcel were examined:

  * Ground truth.  A declaration is non-compliant when its generator class
    says so (prohibited goods and their evasions, restricted goods,
    undervaluation, limits and split shipments: TRUTH below), and for the
    classes that look compliant, with the hidden rate of HIDDEN below: the
    non-compliance no rule can see, which only random selection measures.
  * Inspection.  An officer finds a non-compliant parcel with probability
    DETECT (0.9); a compliant parcel is always clean.

Every draw is a function of the decl_id alone (SHA-256), so the same
declarations give the same outcomes under any bundle: re-running after a
weight change compares like with like.  Standard library only.
"""
import csv
import hashlib
import json
import sys

DETECT = 0.90  # an officer finds a real violation 9 times in 10

# class prefix -> (probability the parcel is non-compliant, finding)
TRUTH = {
    "prohibited.": (1.00, "prohibited goods"),
    "evasion.": (1.00, "prohibited goods, disguised name"),
    "restricted.": (0.60, "restricted goods without permit"),
    "value.undervalued": (0.90, "undervalued"),
    "value.vague": (0.25, "misdescribed goods"),
    "limit.txn": (1.00, "over the single-transaction limit"),
    "annual.over": (1.00, "over the annual limit"),
    "split.over": (0.70, "split shipment"),
}
# Non-compliance the rules cannot see, by class that looks compliant.
HIDDEN = {
    "clean": (0.02, "undeclared item"),
    "trap": (0.02, "undeclared item"),
    "annual.under": (0.02, "undeclared item"),
    "split.under": (0.02, "undeclared item"),
    "tier.unknown": (0.08, "undeclared item"),
    "tier.dishonest": (0.15, "undeclared item"),
    "tier.negative": (0.20, "undeclared item"),
}
OFFICERS = ["wang.li", "zhao.min", "li.na", "chen.yu"]


def draw(decl_id, what):
    """A number in [0, 1) fixed by decl_id and what it is drawn for."""
    h = hashlib.sha256((what + "\0" + decl_id).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def truth(decl_id, cls):
    """(non-compliant?, finding) for a declaration of generator class cls."""
    for table in (TRUTH, HIDDEN):
        for prefix, (p, finding) in table.items():
            if cls == prefix or (prefix.endswith(".") and
                                 cls.startswith(prefix)):
                return draw(decl_id, "truth") < p, finding
    return False, ""


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 0 if len(argv) == 2 else 2
    labels = {}
    with open(argv[1], encoding="utf-8") as f:
        for line in f:
            lab = json.loads(line)
            if lab.get("decl_id"):
                labels[lab["decl_id"]] = lab["class"]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["decl_id", "outcome", "finding", "officer",
                  "inspected_at"])
    n = found = 0
    with open(argv[2], encoding="utf-8") as f:
        for line in f:
            v = json.loads(line)
            if v.get("vlog") or v.get("verdict") not in ("hold", "inspect",
                                                         "seize"):
                continue
            decl_id = v["decl_id"]
            bad, finding = truth(decl_id, labels.get(decl_id, "clean"))
            hit = bad and draw(decl_id, "detect") < DETECT
            officer = OFFICERS[int(draw(decl_id, "officer") * len(OFFICERS))]
            minute = int(draw(decl_id, "time") * 600)
            out.writerow([decl_id, "found" if hit else "clean",
                          finding if hit else "", officer,
                          "2027-01-%02dT%02d:%02d:00+08:00" %
                          (5 + minute // 600, 8 + minute // 60 % 10,
                           minute % 60)])
            n += 1
            found += hit
    sys.stderr.write("fabricate-outcomes: %d outcomes, %d found\n" %
                     (n, found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
