"""Measuring lifters: evaluation under each protocol, the report, rare poses, camera robustness and
speed (docs/design.md)."""
