"""Per-dimension standardisation of a lifter's input and output (Martinez et al.'s z-scoring).

A model that mixes in :class:`ZScored` and calls ``_init_zscore(J, on)`` in its constructor owns four
buffers when ``on`` (so a checkpoint carries them): ``in_mean``/``in_std`` (J·2,) and
``out_mean``/``out_std`` (J·3,). The training driver sets them from the training frames through
:meth:`ZScored.fit_normalization` before the first epoch; until then they are the identity. The
model standardises its 2D input with :meth:`_zscore_input` and maps its raw output back with
:meth:`_zscore_output`. Output dimensions without spread in the training set (the root joint of
root-relative targets) keep a zero scale, so they are predicted as their training mean.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["ZScored"]


class ZScored:
    """Mixin for ``nn.Module`` lifters: optional z-scoring of (…, J, 2) inputs and (…, J, 3) outputs."""

    zscore: bool = False

    def _init_zscore(self, num_joints: int, on: bool) -> None:
        self.zscore = bool(on)
        if self.zscore:
            self.register_buffer("in_mean", torch.zeros(num_joints * 2))
            self.register_buffer("in_std", torch.ones(num_joints * 2))
            self.register_buffer("out_mean", torch.zeros(num_joints * 3))
            self.register_buffer("out_std", torch.ones(num_joints * 3))

    @torch.no_grad()
    def fit_normalization(self, inputs: Tensor, targets: Tensor) -> None:
        """Set the statistics from training poses (a no-op when z-scoring is off).

        Args:
            inputs: (N, J, 2) normalised 2D joints of the training set.
            targets: (N, J, 3) root-relative 3D joints in the model's output units.
        """
        if not self.zscore:
            return
        x, y = inputs.reshape(len(inputs), -1).double(), targets.reshape(len(targets), -1).double()
        in_std, out_std = x.std(0), y.std(0)
        self.in_mean.copy_(x.mean(0))
        self.in_std.copy_(torch.where(in_std > 1e-8, in_std, torch.ones_like(in_std)))
        self.out_mean.copy_(y.mean(0))
        self.out_std.copy_(torch.where(out_std > 1e-8, out_std, torch.zeros_like(out_std)))

    def _zscore_input(self, joints_2d: Tensor) -> Tensor:
        """(…, J, 2) → the same shape, standardised per dimension (unchanged when off)."""
        if not self.zscore:
            return joints_2d
        shape = joints_2d.shape
        return ((joints_2d.reshape(*shape[:-2], -1) - self.in_mean) / self.in_std).reshape(shape)

    def _zscore_output(self, joints_3d: Tensor) -> Tensor:
        """(…, J, 3) raw network output → target units (unchanged when off)."""
        if not self.zscore:
            return joints_3d
        shape = joints_3d.shape
        return (joints_3d.reshape(*shape[:-2], -1) * self.out_std + self.out_mean).reshape(shape)
