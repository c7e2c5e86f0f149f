"""Locally connected network of Ci et al., "Optimizing Network Structure for 3D Human Pose
Estimation", ICCV 2019 (LCN; no arXiv version).

A locally connected layer has a separate weight for every (input joint, output joint) pair, but
only between joints at most ``knn`` bones apart::

    y_i = Σ_{j : d(i, j) <= knn} W_ji^T x_j + b_i,      W_ji ∈ R^{C_in × C_out}

It is stored as one dense weight of shape (J, C_in, J, C_out) times a fixed 0/1 mask, i.e. a
masked (J·C_in) × (J·C_out) matrix product. The lifter follows Martinez et al.: an input layer, then
``num_blocks`` residual blocks of two (LC layer, BatchNorm, ReLU, Dropout) stages, then an output
LC layer to 3 channels.

Differences from the paper:
    - Inputs are normalised screen coordinates rather than the paper's scale-normalised 2D poses.
    - BatchNorm normalises each (joint, channel) feature of the flattened pose, as in Martinez et al.
    - Weights outside the mask are kept at zero but are still stored, so ``numel`` counts them
      (7.2 M stored at 17 joints and the defaults; 3.3 M are effective, inside the 3-hop mask).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core.skeleton import Skeleton
from .layers import Residual, check_joints_2d
from .registry import register
from .zscore import ZScored

__all__ = ["LocallyConnected", "LCN"]


class LocallyConnected(nn.Module):
    """Locally connected layer on flattened per-joint features.

    Args:
        c_in: input channels per joint.
        c_out: output channels per joint.
        mask: bool (J, J); ``mask[j, i]`` lets input joint j reach output joint i.

    Shapes:
        x: (N, J·c_in), joint-major (the channels of joint 0 first).
        returns: (N, J·c_out), joint-major.
    """

    def __init__(self, c_in: int, c_out: int, mask: Tensor) -> None:
        super().__init__()
        J = mask.shape[0]
        self.c_in, self.c_out, self.num_joints = c_in, c_out, J
        self.register_buffer("mask", mask.to(torch.float32)[:, None, :, None], persistent=False)
        self.weight = nn.Parameter(torch.empty(J, c_in, J, c_out))
        self.bias = nn.Parameter(torch.empty(J * c_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # uniform(±1/sqrt(fan_in)) with the fan-in of each output joint: c_in × its neighbourhood size
        fan_in = self.c_in * self.mask.sum(dim=0).clamp(min=1)  # (1, J, 1)
        bound = fan_in.rsqrt()[None]  # (1, 1, J, 1)
        with torch.no_grad():
            self.weight.uniform_(-1.0, 1.0).mul_(bound * self.mask)
            bias_bound = bound.reshape(self.num_joints, 1).expand(-1, self.c_out).reshape(-1)
            self.bias.uniform_(-1.0, 1.0).mul_(bias_bound)

    def effective_weight(self) -> Tensor:
        """The masked weight, shape (J, c_in, J, c_out); exactly zero outside the mask."""
        return self.weight * self.mask

    def forward(self, x: Tensor) -> Tensor:
        w = self.effective_weight().reshape(self.num_joints * self.c_in, self.num_joints * self.c_out)
        return torch.addmm(self.bias, x, w)


class _Stage(nn.Module):
    """LC layer → BatchNorm → ReLU → Dropout on (N, J·C) features."""

    def __init__(self, c_in: int, c_out: int, mask: Tensor, dropout: float) -> None:
        super().__init__()
        self.lc = LocallyConnected(c_in, c_out, mask)
        self.post = nn.Sequential(nn.BatchNorm1d(mask.shape[0] * c_out), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        return self.post(self.lc(x))


class _ResidualBlock(Residual):
    """Two LC stages of ``channels`` per joint around a skip connection."""

    def __init__(self, channels: int, mask: Tensor, dropout: float) -> None:
        super().__init__(_Stage(channels, channels, mask, dropout), _Stage(channels, channels, mask, dropout))


class LCN(ZScored, nn.Module):
    """LCN lifter (single frame).

    Args:
        skeleton: joint layout; hop distances define the locality mask.
        channels: hidden channels per joint (paper: 64).
        num_blocks: residual blocks of two LC stages (paper: 3).
        knn: largest hop distance a layer connects (paper: 3).
        dropout: dropout after every hidden stage (paper: 0.25).

    Shapes:
        joints_2d: (B, T, J, 2) normalised screen coordinates.
        returns:   (B, T, J, 3) root-relative joints; frames are independent.
    """

    receptive_field = 1

    def __init__(self, skeleton: Skeleton, *, channels: int = 64, num_blocks: int = 3, knn: int = 3,
                 dropout: float = 0.25, zscore: bool = False) -> None:
        super().__init__()
        self.num_joints = skeleton.num_joints
        self._init_zscore(self.num_joints, zscore)  # skelgnn.models.zscore
        mask = torch.from_numpy(skeleton.cumulative_hop_masks(knn)[knn])
        self.inp = _Stage(2, channels, mask, dropout)
        self.blocks = nn.Sequential(*(_ResidualBlock(channels, mask, dropout) for _ in range(num_blocks)))
        self.out = LocallyConnected(channels, 3, mask)

    def forward(self, joints_2d: Tensor) -> Tensor:
        check_joints_2d(joints_2d, self.num_joints, self.receptive_field, "lcn")
        B, T, J, _ = joints_2d.shape
        x = self._zscore_input(joints_2d).reshape(B * T, J * 2)  # frames folded into the batch, joint-major
        x = self.out(self.blocks(self.inp(x)))  # (B*T, J*3)
        return self._zscore_output(x.reshape(B, T, J, 3))


@register("lcn")
def lcn(skeleton: Skeleton, **kwargs) -> LCN:
    """LCN, 64 channels, 3 residual blocks, 3-hop locality."""
    return LCN(skeleton, **kwargs)
