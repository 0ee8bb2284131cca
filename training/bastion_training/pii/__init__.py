"""PII training and evaluation data: the synthetic generator, WNUT-17 train and loaders for the
eval-only sets, all producing the same span schema. Entry point: :func:`build.build_pii_frames`."""
