"""Fully-connected baseline of Martinez et al., "A simple yet effective baseline for 3d human pose
estimation", ICCV 2017, arXiv:1705.03098.

The flattened 2D pose (J·2) goes through a linear layer to ``channels`` units, then ``num_blocks``
residual blocks of two (Linear, BatchNorm, ReLU, Dropout) stages, then a linear layer to J·3.
With the defaults (1024 units, 2 blocks) this is about 4.3 M parameters at 17 joints.

Differences from the paper:
    - 2D and 3D poses are all J joints (the paper maps 16 joints to 16 non-root joints); the root
      output is ignored by the driver, which zeroes it.
    - By default inputs are normalised screen coordinates and outputs root-relative metres. With
      ``zscore=True`` (the paper's setting) every input and output dimension is standardised by the
      mean and standard deviation of the training set (:meth:`FCLifter.fit_normalization`, called by
      the training driver before the first epoch); the statistics are buffers, so the checkpoint
      carries them. Output dimensions with zero spread (the root joint) are predicted as their mean.
    - The max-norm constraint is optional and off by default (as in most re-implementations). When
      on, every weight matrix is rescaled in the forward pass so that its Frobenius norm is at most 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..core.skeleton import Skeleton
from .layers import Residual, check_joints_2d
from .registry import register
from .zscore import ZScored

__all__ = ["FCLifter"]


class _MaxNormLinear(nn.Linear):
    """Linear layer whose weight is rescaled to Frobenius norm <= 1 in the forward pass."""

    def forward(self, x: Tensor) -> Tensor:
        norm = torch.linalg.matrix_norm(self.weight)
        return F.linear(x, self.weight / norm.clamp(min=1.0), self.bias)


class _Stage(nn.Sequential):
    """Linear → BatchNorm → ReLU → Dropout on (N, C) features."""

    def __init__(self, linear: type[nn.Linear], c_in: int, c_out: int, dropout: float) -> None:
        super().__init__(linear(c_in, c_out), nn.BatchNorm1d(c_out), nn.ReLU(), nn.Dropout(dropout))


class _ResidualBlock(Residual):
    """Two stages of ``channels`` units around a skip connection."""

    def __init__(self, linear: type[nn.Linear], channels: int, dropout: float) -> None:
        super().__init__(_Stage(linear, channels, channels, dropout),
                         _Stage(linear, channels, channels, dropout))


class FCLifter(ZScored, nn.Module):
    """Martinez et al. fully-connected residual lifter (single frame).

    Args:
        skeleton: joint layout; fixes J.
        channels: width of every hidden linear layer (paper: 1024).
        num_blocks: number of residual blocks (paper: 2).
        dropout: dropout probability after every hidden layer (paper: 0.5).
        max_norm: constrain every weight matrix to Frobenius norm <= 1.
        zscore: standardise inputs and outputs per dimension with training-set statistics (paper: on).
        init: "default" (PyTorch's) | "kaiming" (He normal weights, as the paper's code).

    Shapes:
        joints_2d: (B, T, J, 2) normalised screen coordinates.
        returns:   (B, T, J, 3) root-relative joints; frames are independent.
    """

    receptive_field = 1

    def __init__(self, skeleton: Skeleton, *, channels: int = 1024, num_blocks: int = 2,
                 dropout: float = 0.5, max_norm: bool = False, zscore: bool = False,
                 init: str = "default") -> None:
        super().__init__()
        if init not in ("default", "kaiming"):
            raise ValueError(f"fc: init must be 'default' or 'kaiming', got {init!r}")
        self.num_joints = J = skeleton.num_joints
        linear = _MaxNormLinear if max_norm else nn.Linear
        self.inp = _Stage(linear, J * 2, channels, dropout)
        self.blocks = nn.Sequential(*(_ResidualBlock(linear, channels, dropout) for _ in range(num_blocks)))
        self.out = linear(channels, J * 3)
        self._init_zscore(J, zscore)
        if init == "kaiming":
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.kaiming_normal_(m.weight)

    def forward(self, joints_2d: Tensor) -> Tensor:
        check_joints_2d(joints_2d, self.num_joints, self.receptive_field, "fc")
        B, T, J, _ = joints_2d.shape
        x = self._zscore_input(joints_2d).reshape(B * T, J * 2)  # frames folded into the batch
        x = self.out(self.blocks(self.inp(x)))  # (B*T, J*3)
        return self._zscore_output(x.reshape(B, T, J, 3))


@register("fc")
def fc(skeleton: Skeleton, **kwargs) -> FCLifter:
    """Martinez et al. 2017 baseline (1024 units, 2 residual blocks, dropout 0.5)."""
    return FCLifter(skeleton, **kwargs)
