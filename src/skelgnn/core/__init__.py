"""The ground: errors, atomic files, the skeleton, cameras, metrics, 2D normalisation, range checks and
process helpers: values and maths that know nothing of models or datasets (docs/design.md)."""
