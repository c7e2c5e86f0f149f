"""Training targets drawn at one body size (``data.target_height``): the pose without the actors' size.

A box-normalised 2D pose carries no size, so a lifter trained on a few actors can only learn their mixture
of sizes, and that size variance is noise in its targets. With ``data.target_height = h`` (metres) every
training sequence's 3D target is scaled about the pelvis so that its standing height
(:func:`skelgnn.core.height.standing_height`, median bone lengths over the sequence) is ``h``; the
camera-frame root trajectory is scaled by the same factor, so the 2D input is unchanged (a body scaled
about the camera centre projects to the same pixels). The model then learns one explicit size, recorded in
the checkpoint, and a user's ``--subject-height`` scales from it. Validation sequences keep their true
sizes (the driver does not pass them here), so validation MPJPE stays comparable with every other run.

Shape letters: ``T`` frames, ``J`` = 17 joints.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import SkelgnnError
from ..core.height import standing_height
from ..core.validate import real
from .sequences import SequenceSet

__all__ = ["TARGET_HEIGHT_RANGE_M", "scale_targets_to_height"]

TARGET_HEIGHT_RANGE_M = (1.0, 2.2)
"""The standing heights (metres) ``data.target_height`` may name; 0 turns the switch off."""


def scale_targets_to_height(seqs: SequenceSet, height_m: float) -> tuple[SequenceSet, np.ndarray]:
    """``seqs`` with every sequence's targets (and true roots, when known) scaled to ``height_m``.

    Args:
        seqs: sequences whose ``targets`` are (T, 17, 3) root-relative joints in mm.
        height_m: the standing height every target gets, metres, in :data:`TARGET_HEIGHT_RANGE_M`.

    Returns:
        ``(new SequenceSet, factors (N,))``; inputs, pixels and intrinsics are shared, not copied; the
        argument is not changed.

    Raises:
        SkelgnnError: ``height_m`` out of range, or a sequence that is not 17 joints or has no size.
    """
    height_m = real(height_m, "data.target_height (a standing height in metres; 0 = the actors' own sizes)",
                    *TARGET_HEIGHT_RANGE_M)
    factors, targets, roots = [], [], []
    has_roots = len(seqs.roots) == len(seqs)
    for i, y in enumerate(seqs.targets):
        if y.ndim != 3 or y.shape[1:] != (17, 3):
            raise SkelgnnError(f"data.target_height needs (T, 17, 3) Human3.6M-17 targets; sequence "
                               f"{seqs.key(i)} has shape {y.shape}")
        own = standing_height(y)
        if not own > 0:
            raise SkelgnnError(f"data.target_height: sequence {seqs.key(i)} has a target of zero size")
        f = 1000.0 * height_m / own
        factors.append(f)
        targets.append((y.astype(np.float64) * f).astype(y.dtype))
        if has_roots:
            r = seqs.roots[i]
            roots.append((r.astype(np.float64) * f).astype(r.dtype))
    out = SequenceSet(inputs=list(seqs.inputs), targets=targets, keys=list(seqs.keys),
                      classes=list(seqs.classes), rare=list(seqs.rare), pixels=list(seqs.pixels),
                      roots=roots if has_roots else list(seqs.roots), intrinsics=list(seqs.intrinsics))
    return out, np.asarray(factors, dtype=np.float64)
