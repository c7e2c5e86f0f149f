"""Temporal convolutional lifter of Pavllo et al., "3D human pose estimation in video with temporal
convolutions and semi-supervised training", CVPR 2019, arXiv:1811.11742 (VideoPose3D).

Written from the paper's description. The J·2 coordinates of each frame are the input channels of
a stack of valid 1D convolutions over time: an input convolution of width w_0, then one residual
block per further width w_i, each a dilated convolution (width w_i, dilation w_0·…·w_{i-1}) and a
1×1 convolution, both followed by BatchNorm, ReLU and dropout; the residual is the block's input
cropped to the centre frames. A final 1×1 convolution gives J·3 channels. The receptive field is
w_0·w_1·…; widths (3, 3, 3) give 27 frames and 8.56 M parameters at 17 joints and 1024 channels.

Differences from the paper:
    - No trajectory model or semi-supervised training. The causal variant (``causal=True``) is ours,
      written from the paper's description of the idea: the residual crops keep the last frames, so an
      output frame is the last frame of its input window.
    - The paper's strided training variant (only the frames the single output frame needs are
      computed) is ``forward(x, strided=True)`` on the same weights, not a second model; it is used
      when ``train.strided`` is set.
    - ``tcn1`` is the paper's single-frame ablation: the same layer stack with all widths 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from ..core.errors import ShapeError, SkelgnnError
from ..core.skeleton import Skeleton
from .layers import check_joints_2d
from .registry import register
from .zscore import ZScored

__all__ = ["TemporalConvLifter"]


def _strided_stage(stage: nn.Sequential, x: Tensor) -> Tensor:
    """``stage`` with its convolution run at stride = width and no dilation (strided training).

    On input frames spaced like the dilated taps, this computes exactly the frames the dilated
    stage would produce at the centres of consecutive groups of ``width`` frames.
    """
    conv = stage[0]
    x = F.conv1d(x, conv.weight, conv.bias, stride=conv.kernel_size[0])
    return stage[1:](x)


def _conv_stage(c_in: int, c_out: int, width: int, dilation: int, dropout: float) -> nn.Sequential:
    """Valid Conv1d (no bias) → BatchNorm → ReLU → Dropout on (N, C, T) features."""
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, width, dilation=dilation, bias=False),
        nn.BatchNorm1d(c_out),
        nn.ReLU(),
        nn.Dropout(dropout),
    )


class _ResidualBlock(nn.Module):
    """Dilated conv stage then 1×1 conv stage; adds the input cropped to the surviving frames."""

    def __init__(self, channels: int, width: int, dilation: int, dropout: float,
                 causal: bool = False) -> None:
        super().__init__()
        self.crop = (width - 1) * dilation // 2  # frames lost on each side
        self.width, self.causal = width, causal
        self.stages = nn.Sequential(
            _conv_stage(channels, channels, width, dilation, dropout),
            _conv_stage(channels, channels, 1, 1, dropout),
        )

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        if strided:  # x holds the frames spaced by this block's dilation; keep each group's centre
            h = self.stages[1](_strided_stage(self.stages[0], x))
            return x[..., (self.width - 1 if self.causal else (self.width - 1) // 2)::self.width] + h
        if self.causal:  # keep the last frames: output t lines up with the last frame of its window
            return x[..., 2 * self.crop:] + self.stages(x)
        T = x.shape[-1]
        return x[..., self.crop:T - self.crop] + self.stages(x)


class TemporalConvLifter(ZScored, nn.Module):
    """VideoPose3D-style dilated temporal convolution lifter.

    Args:
        skeleton: joint layout; fixes J.
        filter_widths: odd temporal widths, one per layer group (paper: 3, 3, 3[, 3[, 3]]).
        channels: channels of every hidden convolution (paper: 1024).
        dropout: dropout after every hidden stage (paper: 0.25).
        causal: residuals keep the last frames instead of the centre ones: output frame t belongs to the
            last of its input frames (live use, :meth:`skelgnn.Lifter.stream`); same parameters.

    Shapes:
        joints_2d: (B, T, J, 2) normalised screen coordinates, T >= receptive_field.
        returns:   (B, T - receptive_field + 1, J, 3) root-relative joints; output frame t is the
            centre of input frames t .. t + receptive_field - 1 (``causal``: the last of them).
        strided=True (training only): T must equal receptive_field; returns (B, 1, J, 3), the same
            function computed on only the frames that output needs (VideoPose3D's training variant).
    """

    supports_strided = True

    def __init__(self, skeleton: Skeleton, *, filter_widths: Sequence[int] = (3, 3, 3),
                 channels: int = 1024, dropout: float = 0.25, zscore: bool = False,
                 causal: bool = False) -> None:
        super().__init__()
        widths = [int(w) for w in filter_widths]
        if not widths or any(w < 1 or w % 2 == 0 for w in widths):
            raise SkelgnnError(f"tcn: filter_widths must be odd positive integers, got {list(filter_widths)}")
        self.num_joints = J = skeleton.num_joints
        self.causal = bool(causal)
        self._init_zscore(J, zscore)  # skelgnn.models.zscore
        self.inp = _conv_stage(J * 2, channels, widths[0], 1, dropout)
        blocks, dilation = [], widths[0]
        for w in widths[1:]:
            blocks.append(_ResidualBlock(channels, w, dilation, dropout, self.causal))
            dilation *= w
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv1d(channels, J * 3, 1)
        self.receptive_field = dilation  # = product of the widths

    def forward(self, joints_2d: Tensor, strided: bool = False) -> Tensor:
        check_joints_2d(joints_2d, self.num_joints, self.receptive_field, "tcn")
        B, T, J, _ = joints_2d.shape
        x = self._zscore_input(joints_2d).reshape(B, T, J * 2).transpose(1, 2)  # (B, J*2, T)
        if strided:
            if self.receptive_field != T:
                raise ShapeError(f"tcn: strided=True needs exactly T = {self.receptive_field} frames "
                                 f"(the receptive field), got T={T}")
            x = _strided_stage(self.inp, x)  # (B, C, T / w_0)
            for block in self.blocks:
                x = block(x, strided=True)
        else:
            x = self.blocks(self.inp(x))
        x = self.out(x)  # (B, J*3, T')
        return self._zscore_output(x.transpose(1, 2).reshape(B, -1, J, 3))


@register("tcn1")
def tcn1(skeleton: Skeleton, **kwargs) -> TemporalConvLifter:
    """Single-frame ablation: the 27-frame layer stack with all widths 1 (receptive field 1)."""
    return TemporalConvLifter(skeleton, filter_widths=(1, 1, 1), **kwargs)


@register("tcn27")
def tcn27(skeleton: Skeleton, **kwargs) -> TemporalConvLifter:
    """Widths 3, 3, 3 (dilations 1, 3, 9): receptive field 27 frames."""
    return TemporalConvLifter(skeleton, filter_widths=(3, 3, 3), **kwargs)


@register("tcn81")
def tcn81(skeleton: Skeleton, **kwargs) -> TemporalConvLifter:
    """Widths 3, 3, 3, 3 (dilations 1, 3, 9, 27): receptive field 81 frames."""
    return TemporalConvLifter(skeleton, filter_widths=(3, 3, 3, 3), **kwargs)
