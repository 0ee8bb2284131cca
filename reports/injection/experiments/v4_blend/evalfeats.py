import sys, time, logging
from pathlib import Path
import numpy as np, pandas as pd
sys.path.insert(0, "training")
from bastion_training.evaluate_injection import load_eval_sets, sample_set
from bastion_training.screen import window_rows
from bastion.detectors.onnx_classifier import OnnxInjectionDetector
from bastion.normalize import normalize
sets = load_eval_sets(Path("data/processed/injection"))
r7 = OnnxInjectionDetector.load(Path("models/injection"))
frames = []
for name, df in sets.items():
    df = sample_set(df, 200)
    frames.append(df.assign(set=name)[["text", "label", "set"] + (["lang"] if "lang" in df else [])])
ev = pd.concat(frames, ignore_index=True)
ev.to_parquet("/work/briefs/stack/eval_rows.parquet")
texts = ev.text.astype(str).tolist()
t0 = time.time()
s = [p for p, _, _ in r7.scores([normalize(t, homoglyphs=r7.homoglyphs).text for t in texts])]
np.save("/work/briefs/stack/eval_r7.npy", np.array(s, dtype=np.float32)); print("r7", time.time() - t0, len(texts), flush=True)
d = window_rows(Path("/work/briefs/stack/graph"), None, texts)
np.savez("/work/briefs/stack/eval_feats.npz", rows=d["rows"], X=d["X"]); print("done", time.time() - t0)
