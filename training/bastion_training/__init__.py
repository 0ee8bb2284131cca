"""Training pipeline for bastion's models (needs the ``train`` extra: torch, transformers, optimum...)."""
