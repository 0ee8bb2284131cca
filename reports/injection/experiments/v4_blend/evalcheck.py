import sys, numpy as np, pandas as pd
sys.path.insert(0, "training")
from bastion_training.screen import head_scores, row_max
head = dict(np.load("/work/briefs/stack/head_gw1.npz"))
lg = lambda x: np.log(np.clip(x, 1e-6, 1 - 1e-6) / (1 - np.clip(x, 1e-6, 1 - 1e-6)))
val = pd.read_parquet("data/processed/injection/val.parquet"); yv = val.label.to_numpy()
sv = np.load("/work/briefs/stack/val_r7.npy").astype(float)
vf = dict(np.load("/work/briefs/stack/val_feats.npz")); hv = row_max(vf["rows"], head_scores(vf["X"], head), len(yv))
ev = pd.read_parquet("/work/briefs/stack/eval_rows.parquet"); ye = ev.label.to_numpy()
se = np.load("/work/briefs/stack/eval_r7.npy").astype(float)
ef = dict(np.load("/work/briefs/stack/eval_feats.npz")); he = row_max(ef["rows"], head_scores(ef["X"], head), len(ye))
th7 = 0.339649
fpr7 = ((sv >= th7) & (yv == 0)).sum() / (yv == 0).sum()
ws = [float(w) for w in sys.argv[1:]] or [0.3, 0.5]
cols = {"r7": se >= th7}
for w in ws:
    bv = (1 - w) * lg(sv) + w * lg(hv); be = (1 - w) * lg(se) + w * lg(he)
    t = np.quantile(bv[yv == 0], 1 - fpr7)
    cols[f"w{w}"] = be >= t
    print(f"w={w}: val TPR {((bv>=t)&(yv==1)).sum()/(yv==1).sum():.3f} (r7 {((sv>=th7)&(yv==1)).sum()/(yv==1).sum():.3f}) at val FPR {fpr7:.3f}")
cols["head"] = he >= np.quantile(hv[yv == 0], 1 - fpr7)
rows = []
for name, g in ev.groupby("set", sort=True):
    idx = g.index.to_numpy(); y = ye[idx]
    r = {"set": name, "n": len(idx), "pos": int(y.sum())}
    for c, pred in cols.items():
        r[c] = 100 * (pred[idx] == (y == 1)).mean()
    rows.append(r)
df = pd.DataFrame(rows)
pd.set_option("display.width", 200); print(df.round(1).to_string(index=False))
for c in cols:
    if c == "r7": continue
    d = df[c] - df["r7"]
    print(c, "better>1:", int((d > 1).sum()), "worse>1:", int((d < -1).sum()), "mean acc", round(df[c].mean(), 2), "r7", round(df["r7"].mean(), 2))
# pooled TPR at 1% FPR over all eval rows
def tpr_at(y, sc, f):
    neg = np.sort(sc[y == 0])[::-1]; th = neg[int(np.floor(f * len(neg)))]; return (sc[y == 1] > th).mean()
print("pooled TPR@1% all sets: r7", round(tpr_at(ye, lg(se), .01), 3), *[(w, round(tpr_at(ye, (1-w)*lg(se)+w*lg(he), .01), 3)) for w in ws], "head", round(tpr_at(ye, lg(he), .01), 3))
