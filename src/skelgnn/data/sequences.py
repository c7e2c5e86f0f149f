"""Sequences: the unit every split, model run and report works on, one per (clip or action, camera).

Inputs are normalised 2D joints (:mod:`skelgnn.core.normalization`); targets are camera-frame joints
relative to the pelvis, in millimetres (the training driver divides by the checkpoint's
``target_scale_mm``). Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.errors import SkelgnnError

__all__ = ["SequenceSet", "require_finite"]


@dataclass
class SequenceSet:
    """Sequences of one split, one per (clip, camera).

    Attributes:
        inputs: list of (T, J, 2) float32 normalised 2D joints.
        targets: list of (T, J, 3) float32 camera-frame root-relative joints in mm.
        keys: "<subject>/<clip>/<camera index>" per sequence.
        classes: motion class per sequence.
        rare: list of (T,) bool Rare20 flags (all False where unknown).
        pixels: list of (T, J, 2) float32 2D input in pixels (the same 2D as ``inputs``), or empty.
        roots: list of (T, 3) float32 camera-frame pelvis positions in mm, or empty (unknown).
        intrinsics: list of (fx, fy, cx, cy) pixels per sequence, or empty.
    """

    inputs: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    rare: list[np.ndarray] = field(default_factory=list)
    pixels: list[np.ndarray] = field(default_factory=list)
    roots: list[np.ndarray] = field(default_factory=list)
    intrinsics: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def has_trajectory(self) -> bool:
        """True when every sequence has its pixels, true roots and intrinsics."""
        n = len(self.keys)
        return n > 0 and len(self.pixels) == n and len(self.roots) == n and len(self.intrinsics) == n

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def num_frames(self) -> int:
        return int(sum(len(x) for x in self.inputs))

    def subset(self, indices) -> SequenceSet:
        """The sequences at ``indices`` (arrays shared, not copied)."""
        idx = list(indices)
        return SequenceSet(inputs=[self.inputs[i] for i in idx], targets=[self.targets[i] for i in idx],
                           keys=[self.keys[i] for i in idx], classes=[self.classes[i] for i in idx],
                           rare=[self.rare[i] for i in idx],
                           pixels=[self.pixels[i] for i in idx] if len(self.pixels) == len(self) else [],
                           roots=[self.roots[i] for i in idx] if len(self.roots) == len(self) else [],
                           intrinsics=([self.intrinsics[i] for i in idx]
                                       if len(self.intrinsics) == len(self) else []))

    def key(self, i: int) -> str:
        """The key of sequence ``i`` (``#i`` when the set has no keys)."""
        return self.keys[i] if i < len(self.keys) else f"#{i}"


def require_finite(values: np.ndarray, what: str) -> None:
    """Raise :class:`SkelgnnError` naming ``what`` and the first bad frame/joint if ``values`` (T, J, D) holds
    NaN or an infinity."""
    ok = np.isfinite(values)
    if ok.all():
        return
    bad = np.argwhere(~ok)
    where = f" (first at frame {bad[0][0]}, joint {bad[0][1]})" if bad.shape[1] >= 2 else ""
    raise SkelgnnError(f"{what} has {len(bad)} NaN or infinite value(s){where}; fill or drop the missing "
                       "joints first (e.g. skelgnn.keypoints.fill_missing)")
