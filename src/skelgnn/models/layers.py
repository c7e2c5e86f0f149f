"""Building blocks shared by the lifters: shape check, residual block, joint-wise linear, temporal
convolution, sliding windows.

Each is a small ``nn.Module`` (or function) with explicit constructor values; the model files compose
them. Parameter names are part of the checkpoint format (``state_dict`` keys), so a block keeps the
attribute names it had where it was first written (``stages``, ``weight``/``bias``, ``linear``).

Shape letters: B batch, N batch × frames, T frames, J joints, C channels.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..core.errors import ShapeError, SkelgnnError

__all__ = ["check_joints_2d", "check_choice", "Residual", "JointLinear", "TemporalConv", "TemporalTaps",
           "center_crop", "sliding_windows"]


def check_joints_2d(joints_2d: Tensor, num_joints: int, receptive_field: int, model: str) -> None:
    """Raise :class:`ShapeError` unless ``joints_2d`` has shape (B, T, J, 2) with T >= receptive field.

    Every lifter's ``forward`` opens with it.
    """
    shape = tuple(joints_2d.shape)
    if len(shape) != 4 or shape[2] != num_joints or shape[3] != 2:
        raise ShapeError(f"{model}: joints_2d must have shape (B, T, {num_joints}, 2), got {shape}")
    if shape[1] < receptive_field:
        raise ShapeError(
            f"{model}: needs at least {receptive_field} frames (its receptive field), got T={shape[1]}"
        )


class Residual(nn.Module):
    """``x + stages(x)``: a residual block around stages that keep the shape (``fc``, ``lcn``)."""

    def __init__(self, *stages: nn.Module) -> None:
        super().__init__()
        self.stages = nn.Sequential(*stages)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.stages(x)


class JointLinear(nn.Module):
    """A separate linear map per joint. Shapes: (N, T, J, C_in) -> (N, T, J, C_out)."""

    def __init__(self, num_joints: int, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_joints, in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(num_joints, out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = self.weight.shape[1] ** -0.5
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        J, c_in, c_out = self.weight.shape
        return f"joints={J}, {c_in} -> {c_out}"

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("ntjc,jcd->ntjd", x, self.weight) + self.bias


def check_choice(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise SkelgnnError(f"{name} must be one of {list(allowed)}, got {value!r}")


def center_crop(x: Tensor, length: int, causal: bool = False) -> Tensor:
    """Keep the ``length`` centre entries of dim 1 (``causal``: the last ``length``, so that every kept
    entry lines up with the last frame of its window)."""
    start = x.shape[1] - length if causal else (x.shape[1] - length) // 2
    return x[:, start:start + length]


def sliding_windows(x: Tensor, size: int) -> Tensor:
    """Every run of ``size`` consecutive frames as its own sample, batch-major then by start frame.

    Shapes:
        x: (B, T, ...) with T >= size -> (B · (T - size + 1), size, ...); sample b·(T − size + 1) + s is
        ``x[b, s:s + size]``.
    """
    B, T = x.shape[:2]
    if not 1 <= size <= T:
        raise ShapeError(f"sliding_windows: need 1 <= size <= T, got size={size}, T={T}")
    windows = x.unfold(1, size, 1).movedim(-1, 2)  # (B, T', size, ...)
    return windows.reshape(B * (T - size + 1), size, *x.shape[2:])


class TemporalConv(nn.Module):
    """Valid, dilated convolution over time with kernel 1 over joints, on channel-last features.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: F, number of taps.
        dilation: spacing of the taps in frames.

    Shapes:
        x: (N, T, J, C_in) -> (N, T - (F-1)·dilation, J, C_out); output frame t sees input frames
        t, t + dilation, …, t + (F-1)·dilation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        if kernel_size < 1 or dilation < 1:
            raise SkelgnnError(f"kernel_size and dilation must be >= 1, got {kernel_size}, {dilation}")
        self.kernel_size, self.dilation = kernel_size, dilation
        self.frames_consumed = (kernel_size - 1) * dilation
        self.out_channels = out_channels
        if out_channels:  # TemporalTaps passes 0: no weight of its own
            self.linear = nn.Linear(in_channels * kernel_size, out_channels, bias=bias)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}"

    def _conv(self, x: Tensor, stride: int, dilation: int) -> Tensor:
        """The convolution itself, without gathering the taps: (N, T, J, C_in) -> (N, T', J, C_out).

        The linear layer reads the taps channel-major, tap-minor (its weight is (C_out, C_in·F)), which is
        the layout of a 2D convolution weight (C_out, C_in, F, 1) over (time, joint). The channel-last
        features are such a convolution's input in its channels-last memory format, (N, C_in, T, J) as a
        view, so the convolution reads them in place (no (…, C_in, F) copy) and its channels-last output
        is the (N, T', J, C_out) result, contiguous. A single tap is the linear layer itself.
        """
        if self.kernel_size == 1 and stride == 1:
            return self.linear(x)
        weight = self.linear.weight.view(self.out_channels, -1, self.kernel_size, 1)
        y = F.conv2d(x.permute(0, 3, 1, 2), weight, self.linear.bias, stride=(stride, 1),
                     dilation=(dilation, 1))
        return y.permute(0, 2, 3, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self._conv(x, 1, self.dilation)

    def strided(self, x: Tensor, step: int) -> Tensor:
        """The same taps read from frames spaced like the dilation, at the centres of consecutive
        groups of ``step`` frames (strided training). Shapes: (N, T, J, C_in) -> (N, T // step, J, C_out).
        """
        if self.kernel_size > step:
            raise SkelgnnError(f"strided: kernel_size {self.kernel_size} is wider than the step {step}")
        offset = (step - self.kernel_size) // 2
        return self._conv(x[:, offset:], step, 1)


class TemporalTaps(TemporalConv):
    """The F taps of a :class:`TemporalConv` stacked per joint, without a weight of their own.

    For a layer whose own weights mix the taps: a graph layer fed these features mixes joints and frames
    at once (``SkeletalGNN(temporal_mix="graph")``). Same windows, dilation and strided variant as the
    convolution; no parameters.

    Shapes:
        x: (N, T, J, C) -> (N, T - (F-1)·dilation, J, C·F), tap-major: the C features of tap 0, then
        of tap 1, … (``out_channels`` = C·F).
    """

    def __init__(self, channels: int, kernel_size: int = 1, dilation: int = 1) -> None:
        super().__init__(channels, 0, kernel_size, dilation)
        self.out_channels = channels * kernel_size

    def forward(self, x: Tensor) -> Tensor:
        T = x.shape[1] - self.frames_consumed
        return torch.cat([x[:, m * self.dilation:m * self.dilation + T] for m in range(self.kernel_size)], -1)

    def strided(self, x: Tensor, step: int) -> Tensor:
        """The taps of :meth:`TemporalConv.strided`: (N, T, J, C) -> (N, T // step, J, C·F)."""
        if self.kernel_size > step:
            raise SkelgnnError(f"strided: kernel_size {self.kernel_size} is wider than the step {step}")
        offset = (step - self.kernel_size) // 2
        groups = (x.shape[1] - offset - self.kernel_size) // step + 1
        return torch.cat([x[:, offset + m::step][:, :groups] for m in range(self.kernel_size)], -1)
