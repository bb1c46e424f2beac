#!/usr/bin/env bash
# Gradient-boosted trees baseline for `epilogue eval log`, on the same split: rows stably sorted
# by the time column, the first 80% to train, the last 20% to test. Categorical columns are
# one-hot encoded, numeric ones used as they are, and the hour of day and day of week of the
# time column are categorical features, as in eval log. Tree count and depth are chosen on the
# last eighth of the training part (never on the test part), then refit on the whole of it.
#
# For measurement only; nothing in Epilogue depends on it. Needs the xgboost command-line tool
# (Debian: apt-get install -y xgboost) and python3.
#
# usage: bench/xgb_baseline.sh FILE.csv LABEL [TIME] [CATEGORICAL,COLS] [NUMERIC,COLS]
#   (empty CATEGORICAL and NUMERIC: every other column is categorical, as in eval log)
set -euo pipefail
if [ $# -lt 2 ]; then
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
command -v xgboost >/dev/null || { echo "xgb_baseline: xgboost not found (apt-get install -y xgboost)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$@" <<'PY'
import csv, math, os, subprocess, sys
from datetime import datetime, timezone

work, path, label = sys.argv[1], sys.argv[2], sys.argv[3]
tcol = sys.argv[4] if len(sys.argv) > 4 else ""
cats = [c for c in (sys.argv[5] if len(sys.argv) > 5 else "").split(",") if c]
nums = [c for c in (sys.argv[6] if len(sys.argv) > 6 else "").split(",") if c]

def parse_time(s):
    s = s.strip()
    try:
        return datetime.fromtimestamp(float(s), timezone.utc)
    except ValueError:
        pass
    d = datetime.fromisoformat(s.replace("z", "Z"))
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)

with open(path, newline="") as f:
    r = csv.reader(f)
    header = next(r)
    rows = list(r)
li = header.index(label)
ti = header.index(tcol) if tcol else -1
if not cats and not nums:
    cats = [h for i, h in enumerate(header) if i not in (li, ti)]
ci = [header.index(c) for c in cats]
ni = [header.index(c) for c in nums]
times = [parse_time(x[ti]) for x in rows] if ti >= 0 else None
order = sorted(range(len(rows)), key=lambda i: times[i]) if times else list(range(len(rows)))  # stable

vocab = {}
def feats(i):
    x = rows[i]
    out = {}
    keys = [(c, x[j]) for c, j in zip(cats, ci)]
    if times:
        t = times[i]
        keys += [("#hour", t.hour), ("#weekday", t.weekday())]
    for k in keys:
        out[vocab.setdefault(k, len(vocab) + len(nums))] = 1
    for n, j in enumerate(ni):
        if x[j].strip():
            out[n] = float(x[j])
    return out

def y(i):
    return 1 if rows[i][li].strip().lower() in ("1", "1.0", "true") else 0

# A category first seen after the rows a booster learns from is left out of the rows it
# predicts: the booster cannot have split on it, and its CLI refuses columns it has not seen.
def write(name, idx, limit=None):
    with open(os.path.join(work, name), "w") as f:
        for i in idx:
            fs = feats(i)
            f.write(str(y(i)) + "".join(" %d:%g" % (k, v) for k, v in sorted(fs.items()) if limit is None or k < limit) + "\n")
    return len(vocab) + len(nums)

n = len(order)
ntrain = int(n * 0.8)
nfit = ntrain - ntrain // 8
cols = write("fit.txt", order[:nfit])
write("val.txt", order[nfit:ntrain], cols)
cols = write("train.txt", order[:ntrain])
write("test.txt", order[ntrain:], cols)

def run(train, test, rounds, depth):
    model, pred = os.path.join(work, "m.model"), os.path.join(work, "pred.txt")
    base = ["objective=binary:logistic", "eta=0.1", "max_depth=%d" % depth, "min_child_weight=1",
            "subsample=1", "nthread=2", "silent=1"]
    conf = os.path.join(work, "xgb.conf")
    open(conf, "w").write("")
    subprocess.run(["xgboost", conf, "task=train", "data=%s?format=libsvm" % os.path.join(work, train),
                    "num_round=%d" % rounds, "model_out=" + model] + base, check=True, capture_output=True)
    subprocess.run(["xgboost", conf, "task=pred", "test:data=%s?format=libsvm" % os.path.join(work, test),
                    "model_in=" + model, "name_pred=" + pred] + base, check=True, capture_output=True)
    p = [float(l) for l in open(pred)]
    labels = [int(l.split(" ", 1)[0]) for l in open(os.path.join(work, test))]
    return p, labels

def logloss(p, ys):
    e = 1e-15
    return -sum(math.log(min(max(q, e), 1 - e)) if t else math.log(1 - min(max(q, e), 1 - e)) for q, t in zip(p, ys)) / len(p)

def auc(p, ys):
    idx = sorted(range(len(p)), key=lambda i: p[i])
    pos = rank = 0.0
    i = 0
    while i < len(idx):
        j = i
        while j < len(idx) and p[idx[j]] == p[idx[i]]:
            j += 1
        for k in idx[i:j]:
            if ys[k]:
                pos += 1
                rank += (i + j + 1) / 2
        i = j
    neg = len(p) - pos
    return (rank - pos * (pos + 1) / 2) / (pos * neg) if pos and neg else float("nan")

best = None
for depth in (3, 6):
    for rounds in (50, 150, 400):
        p, ys = run("fit.txt", "val.txt", rounds, depth)
        ll = logloss(p, ys)
        if best is None or ll < best[0]:
            best = (ll, rounds, depth)
_, rounds, depth = best
p, ys = run("train.txt", "test.txt", rounds, depth)
print('{"rows": %d, "test_rows": %d, "test": {"logloss": %.6f, "auc": %.6f}, "num_round": %d, "max_depth": %d}'
      % (n, len(ys), logloss(p, ys), auc(p, ys), rounds, depth))
PY
