"""Prompt-injection training data: loaders, synthetic rows, augmentation, splits."""
