#!/usr/bin/env bash
# Writes the Open Bandit Dataset samples (random and bts, men and women) as one click log for
# `epilogue eval log` and bench/xgb_baseline.sh: timestamp, campaign, policy, item_id,
# position, user_feature_0..3, the user's affinity with the shown item, click.
#
# usage: bench/obd_clicklog.sh [OBD_DIR] > obd_clicks.csv   (OBD_DIR defaults to ../shared/data/obd)
set -euo pipefail
dir=${1:-$(dirname "$0")/../../shared/data/obd}
python3 - "$dir" <<'PY'
import csv, sys
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["timestamp", "campaign", "policy", "item_id", "position", "user_feature_0", "user_feature_1",
              "user_feature_2", "user_feature_3", "affinity", "click"])
for policy in ("random", "bts"):
    for campaign in ("men", "women"):
        with open("%s/%s/%s/%s.csv" % (sys.argv[1], policy, campaign, campaign), newline="") as f:
            for r in csv.DictReader(f):
                out.writerow([r["timestamp"], campaign, policy, r["item_id"], r["position"], r["user_feature_0"],
                              r["user_feature_1"], r["user_feature_2"], r["user_feature_3"],
                              r.get("user-item_affinity_" + r["item_id"], ""), r["click"]])
PY
