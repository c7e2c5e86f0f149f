"""Semantic graph convolutional network of Zhao et al., "Semantic Graph Convolutional Networks for
3D Human Pose Regression", CVPR 2019, arXiv:1904.03345.

A semantic graph convolution learns one weight per edge of the skeleton graph (with self-loops),
softmax-normalised over each joint's neighbourhood, and uses separate feature transforms for the
joint itself and for its neighbours::

    A = softmax_row(M masked to the skeleton graph)       non-edges: -inf, so exactly 0 after softmax
    y_i = A_ii · W_0 x_i + Σ_{j≠i} A_ij · W_1 x_j + b

The lifter is one input graph conv (2 → ``channels``), ``num_blocks`` residual blocks of two
graph convs with BatchNorm and ReLU, and one output graph conv (``channels`` → 3). At 16 joints and
the defaults this is 0.27 M parameters, 0.43 M with the non-local layers (``semgcn_nonlocal``).

Differences from the paper:
    - Only 2D joint coordinates are input (the authors' released configuration; no image features).
    - The non-local layers (embedded Gaussian, Wang et al. 2018) attend over all joints without the
      joint-pair max-pool sub-sampling of the released code, so no skeleton-specific joint grouping
      is needed. Their output BatchNorm starts at the default scale 1 instead of 0, so every
      parameter receives a gradient from the first step.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core.skeleton import Skeleton
from .layers import check_joints_2d
from .registry import register
from .zscore import ZScored

__all__ = ["SemGraphConv", "SemGCN"]


class SemGraphConv(nn.Module):
    """Semantic graph convolution on per-joint features.

    Args:
        c_in: input channels per joint.
        c_out: output channels per joint.
        mask: bool (J, J), the graph with self-loops; one learnable weight per non-zero entry.

    Shapes:
        x: (N, J, c_in).
        returns: (N, J, c_out).
    """

    def __init__(self, c_in: int, c_out: int, mask: Tensor) -> None:
        super().__init__()
        rows, cols = torch.nonzero(mask, as_tuple=True)
        J = mask.shape[0]
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)
        self.register_buffer("eye", torch.eye(J), persistent=False)
        self.num_joints = J
        self.weight = nn.Parameter(torch.empty(2, c_in, c_out))  # [0]: self term, [1]: neighbours
        self.edge_logits = nn.Parameter(torch.empty(rows.numel()))  # M, one per graph edge
        self.bias = nn.Parameter(torch.empty(c_out))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight, gain=math.sqrt(2.0))
        nn.init.ones_(self.edge_logits)  # uniform attention over each neighbourhood
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.bias, -bound, bound)

    def attention(self) -> Tensor:
        """Row-stochastic edge weights softmax(M) over the graph, zero off it; shape (J, J)."""
        J = self.num_joints
        logits = self.edge_logits.new_full((J, J), float("-inf"))
        logits = logits.index_put((self.rows, self.cols), self.edge_logits)
        return torch.softmax(logits, dim=1)

    def operator(self) -> Tensor:
        """The graph of both transforms side by side, (J, 2·J): column 2j reads joint j's self transform
        (non-zero only for j = i: A_ii), column 2j+1 its neighbour transform (A_ij, zero diagonal)."""
        a = self.attention()  # (J, J)
        return torch.stack([a * self.eye, a * (1 - self.eye)], dim=-1).flatten(-2)

    def forward(self, x: Tensor) -> Tensor:
        N, J, c_in = x.shape
        # (N·J, 2·c_out): [W_0 | W_1]
        h = x.reshape(N * J, c_in) @ self.weight.transpose(0, 1).reshape(c_in, -1)
        h = h.view(N, J * 2, -1)  # rows (j, self/neighbour)
        graph = self.operator()
        return torch.bmm(graph.expand(N, *graph.shape), h) + self.bias  # one batched matmul, no copies


class _GraphConvBlock(nn.Module):
    """SemGraphConv → BatchNorm (over channels) → ReLU → Dropout; (N, J, C) in and out."""

    def __init__(self, c_in: int, c_out: int, mask: Tensor, dropout: float) -> None:
        super().__init__()
        self.conv = SemGraphConv(c_in, c_out, mask)
        self.bn = nn.BatchNorm1d(c_out)
        self.act = nn.Sequential(nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        N, J, C = x.shape
        x = self.bn(x.reshape(N * J, C)).view(N, J, C)  # BN per channel over (N, J), channels-last
        return self.act(x)


class _ResidualBlock(nn.Module):
    def __init__(self, channels: int, mask: Tensor, dropout: float) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            _GraphConvBlock(channels, channels, mask, dropout),
            _GraphConvBlock(channels, channels, mask, dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.convs(x)


class _NonLocal(nn.Module):
    """Embedded-Gaussian non-local layer over joints with a residual connection; (N, J, C) in and out."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        inner = max(channels // 2, 1)
        self.theta = nn.Linear(channels, inner)
        self.phi = nn.Linear(channels, inner)
        self.g = nn.Linear(channels, inner)
        self.out = nn.Linear(inner, channels)
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x: Tensor) -> Tensor:
        affinity = torch.softmax(self.theta(x) @ self.phi(x).transpose(1, 2), dim=-1)  # (N, J, J)
        y = self.out(affinity @ self.g(x))  # (N, J, C)
        N, J, C = y.shape
        return x + self.bn(y.reshape(N * J, C)).view(N, J, C)


class SemGCN(ZScored, nn.Module):
    """SemGCN lifter (single frame).

    Args:
        skeleton: joint layout; its bones plus self-loops form the graph.
        channels: hidden channels per joint (paper: 128).
        num_blocks: residual blocks of two graph convs (paper: 4).
        dropout: dropout after every hidden graph conv (paper: none).
        nonlocal_layers: insert a non-local layer after the input conv and after every block.

    Shapes:
        joints_2d: (B, T, J, 2) normalised screen coordinates.
        returns:   (B, T, J, 3) root-relative joints; frames are independent.
    """

    receptive_field = 1

    def __init__(self, skeleton: Skeleton, *, channels: int = 128, num_blocks: int = 4,
                 dropout: float = 0.0, nonlocal_layers: bool = False, zscore: bool = False) -> None:
        super().__init__()
        self.num_joints = skeleton.num_joints
        self._init_zscore(self.num_joints, zscore)  # skelgnn.models.zscore
        mask = torch.from_numpy(skeleton.adjacency(self_loops=True) > 0)
        layers: list[nn.Module] = [_GraphConvBlock(2, channels, mask, dropout)]
        if nonlocal_layers:
            layers.append(_NonLocal(channels))
        for _ in range(num_blocks):
            layers.append(_ResidualBlock(channels, mask, dropout))
            if nonlocal_layers:
                layers.append(_NonLocal(channels))
        self.layers = nn.Sequential(*layers)
        self.out = SemGraphConv(channels, 3, mask)

    def forward(self, joints_2d: Tensor) -> Tensor:
        check_joints_2d(joints_2d, self.num_joints, self.receptive_field, "semgcn")
        B, T, J, _ = joints_2d.shape
        x = self._zscore_input(joints_2d).reshape(B * T, J, 2)  # frames folded into the batch
        x = self.out(self.layers(x))  # (B*T, J, 3)
        return self._zscore_output(x.reshape(B, T, J, 3))


@register("semgcn")
def semgcn(skeleton: Skeleton, **kwargs) -> SemGCN:
    """SemGCN, 128 channels, 4 residual blocks, no non-local layers."""
    return SemGCN(skeleton, **kwargs)


@register("semgcn_nonlocal")
def semgcn_nonlocal(skeleton: Skeleton, **kwargs) -> SemGCN:
    """SemGCN with a non-local layer after the input conv and after every residual block."""
    return SemGCN(skeleton, nonlocal_layers=True, **kwargs)
