"""Training lifters: the run configuration, the training data a config names, resume safety and the
training loop (docs/design.md)."""
