"""Val features: tagger screen features per tagger window + run 7 row scores (whole row, runtime)."""
import json, sys, time, logging
from pathlib import Path
import numpy as np, pandas as pd, onnx
sys.path.insert(0, "training")
from bastion_training.screen import add_features, window_rows, layer_outputs, default_pool_layers
from bastion.detectors.onnx_classifier import OnnxInjectionDetector
from bastion.normalize import normalize
logging.basicConfig(level=logging.INFO)
out = Path("/work/briefs/stack"); stg = out / "graph"; stg.mkdir(parents=True, exist_ok=True)
if not (stg / "model.onnx").exists():
    base = onnx.load("models/pii/model.onnx")
    g, dim = add_features(base, [3, 5, 7, 9, 11])
    onnx.save(g, str(stg / "model.onnx"))
    (stg / "tokenizer.json").write_bytes(Path("models/pii/tokenizer.json").read_bytes())
    m = json.loads(Path("models/pii/manifest.json").read_text())
    (stg / "manifest.json").write_text(json.dumps({**m, "batch_invariant": False}))
val = pd.read_parquet("data/processed/injection/val.parquet")
texts = val.text.astype(str).tolist()
t0 = time.time()
r7 = OnnxInjectionDetector.load(Path("models/injection"))
s = [p for p, _, _ in r7.scores([normalize(t, homoglyphs=r7.homoglyphs).text for t in texts])]
print("r7 scores", time.time() - t0, flush=True)
np.save(out / "val_r7.npy", np.array(s, dtype=np.float32))
d = window_rows(stg, None, texts)
np.savez(out / "val_feats.npz", rows=d["rows"], X=d["X"])
print("done", time.time() - t0, len(d["rows"]))
