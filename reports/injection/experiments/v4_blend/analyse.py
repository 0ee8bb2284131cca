import sys, numpy as np, pandas as pd
sys.path.insert(0, "training")
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
from bastion_training.screen import ScreenParams, train_head, window_targets, head_scores, row_max
import yaml
params = yaml.safe_load(open("params.yaml"))
p = ScreenParams.from_params(params)
tr_frame = pd.read_parquet("data/processed/injection/train.parquet")
tr_frame = tr_frame.sample(n=min(p.train_rows, len(tr_frame)), random_state=p.seed).reset_index(drop=True)
tr = dict(np.load("artifacts/screen_cache/train.npz"))
assert int(tr["rows"].max()) + 1 == len(tr_frame), (tr["rows"].max(), len(tr_frame))
ytr = tr_frame.label.astype(int).to_numpy()
gw = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
head = train_head(tr["X"], window_targets(tr["rows"], tr["T"], ytr, gw), p)
np.savez("/work/briefs/stack/head_gw%g.npz" % gw, **head)
val = pd.read_parquet("data/processed/injection/val.parquet")
yv = val.label.astype(int).to_numpy()
s = np.load("/work/briefs/stack/val_r7.npy").astype(float)
vf = dict(np.load("/work/briefs/stack/val_feats.npz"))
h = row_max(vf["rows"], head_scores(vf["X"], head), len(yv))
lg = lambda x: np.log(np.clip(x, 1e-6, 1 - 1e-6) / (1 - np.clip(x, 1e-6, 1 - 1e-6)))
def tpr_at(y, sc, fpr):
    neg = np.sort(sc[y == 0])[::-1]; th = neg[int(np.floor(fpr * len(neg)))]
    return (sc[y == 1] > th).mean()
def show(name, sc):
    print(f"{name:12s} AUC {roc_auc_score(yv, sc):.4f}  TPR@1% {tpr_at(yv, sc, .01):.3f}  TPR@3% {tpr_at(yv, sc, .03):.3f}")
show("run7", s); show("head", h)
fam = val.family.astype(str).str.split("+").str[0].to_numpy()
fold = np.array([hash(f) % 2 for f in fam])  # PYTHONHASHSEED fixed by caller
F = np.c_[lg(s), lg(h)]
st = np.zeros(len(yv))
for k in (0, 1):
    m = LogisticRegression(C=1.0).fit(F[fold != k], yv[fold != k])
    st[fold == k] = m.decision_function(F[fold == k])
    print("fold", k, m.coef_, m.intercept_)
show("stack(cv)", st)
for w in (0.1, 0.2, 0.3, 0.5):
    show(f"avg w={w}", (1 - w) * lg(s) + w * lg(h))
# at run 7's default threshold
th = 0.339649
tp = ((s >= th) & (yv == 1)).sum() / (yv == 1).sum(); fp = ((s >= th) & (yv == 0)).sum() / (yv == 0).sum()
print(f"run7 @default: TPR {tp:.3f} FPR {fp:.3f}")
for name, sc in (("stack", st), ("avg .3", 0.7 * lg(s) + 0.3 * lg(h))):
    t = np.quantile(sc[yv == 1], 1 - tp)
    print(f"{name} at same TPR: FPR {((sc >= t) & (yv == 0)).sum() / (yv == 0).sum():.3f}")
