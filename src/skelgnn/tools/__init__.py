"""Drivers of drivers: the side-by-side benchmark (train + evaluate every run) and the offline demo
(docs/design.md)."""
