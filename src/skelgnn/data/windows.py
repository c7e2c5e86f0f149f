"""Training windows: chunks of consecutive frames cut from a :class:`~skelgnn.data.sequences.SequenceSet`.

numpy below the ``Dataset``, torch above it. Flip augmentation mirrors the image about its vertical
centre line (:func:`skelgnn.core.skeleton.flip_joints`): normalised x → −x, camera X → −X, and left/right
joints swap (exact when the principal point is at the image centre, as in HDM05-Lift).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.errors import ShapeError, SkelgnnError
from ..core.skeleton import Skeleton, flip_joints
from .sequences import SequenceSet, require_finite

__all__ = ["PoseWindows"]


class PoseWindows(Dataset):
    """Training samples: chunks of ``chunk`` consecutive target frames with the input frames they need.

    Sample ``i`` is ``(joints_2d (chunk + rf − 1, J, 2), joints_3d (chunk, J, 3) mm)`` as float32 tensors,
    where rf is the model's receptive field; for a single-frame model and ``chunk=1`` every frame is
    one sample. Sequence edges are padded by repeating the first/last frame (rf // 2 frames each side:
    a window targets its centre frame); with ``causal=True`` by rf − 1 copies of the first frame on the
    left only, so the window ending at frame t targets frame t (a causal model's output frame). A sequence
    shorter than ``chunk`` is extended at its end, and its last chunk overlaps the previous one. Chunks
    let a multi-frame model share its computation between neighbouring targets (VideoPose3D's trick).
    With ``flip=True`` a fixed half of the samples (re-drawn by :meth:`set_epoch`) is mirrored.
    """

    def __init__(self, seqs: SequenceSet, receptive_field: int, skeleton: Skeleton, *,
                 flip: bool = False, seed: int = 0, chunk: int = 1, causal: bool = False) -> None:
        if receptive_field < 1 or receptive_field % 2 == 0:
            raise SkelgnnError(f"receptive_field must be odd and >= 1, got {receptive_field}")
        if chunk < 1:
            raise SkelgnnError(f"chunk must be >= 1, got {chunk}")
        if len(seqs) == 0:
            raise SkelgnnError("no sequences to build windows from (empty split?)")
        J = skeleton.num_joints
        left = receptive_field - 1 if causal else receptive_field // 2
        right = receptive_field - 1 - left
        inputs, targets, in_starts, out_starts = [], [], [], []
        in_off = out_off = 0
        for i, (x, y) in enumerate(zip(seqs.inputs, seqs.targets)):
            if x.ndim != 3 or x.shape[1:] != (J, 2) or y.shape != x.shape[:2] + (3,):
                raise ShapeError(f"sequence {seqs.key(i)}: shapes {x.shape} / {y.shape}, expected (T, {J}, "
                                 f"2) / (T, {J}, 3)")
            require_finite(x, f"sequence {seqs.key(i)}: the 2D input")
            require_finite(y, f"sequence {seqs.key(i)}: the 3D target")
            if len(x) < chunk:
                x = np.concatenate([x, np.repeat(x[-1:], chunk - len(x), 0)])
                y = np.concatenate([y, np.repeat(y[-1:], chunk - len(y), 0)])
            T = len(x)
            starts = np.arange(0, T - chunk + 1, chunk)
            if starts[-1] != T - chunk:
                starts = np.append(starts, T - chunk)
            inputs.append(np.concatenate([np.repeat(x[:1], left, 0), x, np.repeat(x[-1:], right, 0)]))
            targets.append(y)
            in_starts.append(in_off + starts)  # first input frame of the chunk's first window
            out_starts.append(out_off + starts)
            in_off += T + left + right
            out_off += T
        self.inputs = torch.from_numpy(np.concatenate(inputs))
        self.targets = torch.from_numpy(np.concatenate(targets))
        self.in_starts = torch.from_numpy(np.concatenate(in_starts))
        self.out_starts = torch.from_numpy(np.concatenate(out_starts))
        self.rf, self.chunk, self.skeleton, self.causal = receptive_field, chunk, skeleton, bool(causal)
        self.flip, self.seed = flip, seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Re-draw which samples are flipped (deterministic in ``seed`` and ``epoch``)."""
        if self.flip:
            rng = np.random.default_rng([self.seed, epoch])
            self.flipped = torch.from_numpy(rng.random(len(self)) < 0.5)
        else:
            self.flipped = torch.zeros(len(self), dtype=torch.bool)

    def __len__(self) -> int:
        return len(self.in_starts)

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples ``indices`` (B,) stacked: ``(x (B, chunk + rf − 1, J, 2), y (B, chunk, J, 3))``, the same
        values as ``[self[i] for i in indices]`` gathered with one indexing call per array."""
        indices = torch.as_tensor(indices, dtype=torch.long)
        x = self.inputs[self.in_starts[indices, None] + torch.arange(self.chunk + self.rf - 1)]
        y = self.targets[self.out_starts[indices, None] + torch.arange(self.chunk)]
        flip = self.flipped[indices]
        if bool(flip.any()):
            x[flip], y[flip] = flip_joints(x[flip], self.skeleton), flip_joints(y[flip], self.skeleton)
        return x, y

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = int(self.in_starts[i]), int(self.out_starts[i])
        x = self.inputs[a: a + self.chunk + self.rf - 1]
        y = self.targets[b: b + self.chunk]
        if self.flipped[i]:
            x, y = flip_joints(x, self.skeleton), flip_joints(y, self.skeleton)
        return x, y
