"""HCSF and D-HCSF layers of Zeng et al., "Learning Skeletal Graph Neural Networks for Hard 3D Pose
Estimation", ICCV 2021, arXiv:2108.07181 (docs/models.md).

An HCSF layer aggregates joint features separately over each exact-k hop set (k = 0..L) with a graph
G_k, keeps hops 0..S at the full output width C, squeezes every long-range hop k = S+1..L to
C_k = round(d^(k−S)·C) channels, concatenates the pieces into H_a and fuses them with W_a::

    h_i^(k) = Σ_j G_k[i, j] · W^(k) x_j            (shared)  or  W^(k)_ij x_j  (lcn)
    H_a,i   = [ Σ_{k≤S} h_i^(k) ‖ h_i^(S+1) ‖ … ‖ h_i^(L) ],    y_i = W_a H_a,i + b

A D-HCSF layer takes G_k from a :class:`~skelgnn.models.hops.HopGraph`: a learnable skeleton-initialised M_k
plus an input-dependent O_k = tanh(θ_k(X)ᵀ φ_k(X)), θ_k and φ_k being convolutions over a window of F frames.

What differs from the paper (whose equations are unavailable, docs/models.md) — our choices:
    - The squeeze rule d^(k−S) is our reading; ``squeeze="k-S"`` is the default, and ``"k-L"`` is the
      unofficial re-implementation's d^(k−L). Widths are rounded half up and at least 1.
    - Fusion is two-level: hops 0..S are summed at full width (``short_range="sum"``; ``"per_hop"``
      concatenates them instead), then one W_a fuses them with the squeezed hops. No progressive fusion.
    - M_k is a learnable weight on the exact-k pairs only (SemGCN-like, no softmax), initialised to the
      row-normalised A_k. O_k is dense unless ``mask_dynamic``; it has no scaling, softmax or gate.
    - The figure computes one O_k for the whole clip (θ_k, φ_k flattened over C_h × T_h, T_h = T_in − F + 1).
      Here that is ``o_window="clip"``: one (N, L+1, J, J) graph per hop per window, from all T_h frames of
      the layer input, applied to every output frame of the layer (``o_scale`` divides by √(C_h·T_h)). The
      network is then not translation-equivariant in time, so a clip model is run on one receptive-field
      window per output frame (``SkeletalGNN.windowed``) and has no strided training variant. The default,
      ``o_window="frame"``, computes O_k per output frame from its local window of F (dilated) frames, so
      the layer is translation-equivariant in time. With one frame (T_in = 1, F = 1) both are the same.
    - In ``lcn`` mode weights exist only for pairs within L hops, so O_k is used on exact-k pairs only.

Shape letters: N batch, T frames, J joints, C channels, K+1 = L+1 hops.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

from ..core.errors import SkelgnnError
from .hops import Dynamic, GraphInit, HopGraph, PairHopWeights, SharedHopWeights, hop_masks_tensor
from .layers import TemporalConv, center_crop, check_choice

__all__ = ["squeeze_widths", "TemporalConv", "HopGraph", "HCSF", "DHCSF", "Dynamic", "GraphInit",
           "optimizer_steps"]

WeightMode = Literal["shared", "lcn"]
Squeeze = Literal["k-S", "k-L"]
ShortRange = Literal["sum", "per_hop"]


def squeeze_widths(channels: int, S: int, L: int, d: float, rule: Squeeze = "k-S") -> tuple[int, ...]:
    """Output width C_k of every hop k = 0..L.

    Hops 0..S keep ``channels``; hop k > S gets ``round(d**(k - S) * channels)`` (rule ``"k-S"``) or
    ``round(d**(k - L) * channels)`` (rule ``"k-L"``), rounded half up and at least 1.

    Example:
        >>> squeeze_widths(128, S=1, L=4, d=0.5)
        (128, 128, 64, 32, 16)
    """
    check_choice("squeeze", rule, ("k-S", "k-L"))
    if not 0 <= S <= L:
        raise SkelgnnError(f"need 0 <= S <= L, got S={S}, L={L}")
    if not d > 0 or channels < 1:
        raise SkelgnnError(f"need d > 0 and channels >= 1, got d={d}, channels={channels}")
    ref = S if rule == "k-S" else L
    return tuple(channels if k <= S else max(1, math.floor(d ** (k - ref) * channels + 0.5))
                 for k in range(L + 1))


class HCSF(nn.Module):
    """Hop-aware hierarchical channel-squeezing fusion layer (graph supplied by the caller).

    Args:
        hop_masks: exact-k masks, bool, shape (L+1, J, J); fixes L and J.
        in_channels: C_in per joint.
        out_channels: C per joint (the width of hops 0..S and of the output).
        S: last short-range hop.
        d: channel-squeezing ratio.
        weight_mode: ``"shared"`` (one matrix per hop) or ``"lcn"`` (one per joint pair).
        squeeze: ``"k-S"`` (C_k = d^(k−S)·C) or ``"k-L"`` (d^(k−L)·C, unofficial code).
        short_range: ``"sum"`` (one summed width-C feature) or ``"per_hop"`` (S+1 of them).

    Attributes:
        widths: C_k for k = 0..L.
        fused_width: width of H_a, the input of W_a (``self.fuse``).

    The parameters are those of the paper's layer (W^(k) or W^(k)_ij, then W_a). The layer is linear in
    x for a given graph, so the forward pass composes the two steps before touching the features: the
    squeezed hop k contributes V_k = W^(k)ᵀ W_a,kᵀ (C_in × C, rank ≤ C_k), where W_a,k are the columns
    of W_a that read hop k. Then

    * a graph that does not depend on the input (fixed A_k, learnable M_k) folds into one dense
      (J·C_in × J·C) matrix Σ_k G_k ⊗ V_k, and the layer is a single matmul (as an LCN layer);
    * an input-dependent graph (N, T, L+1, J, J) with shared weights is applied at the narrower of the
      two widths: for C_in ≤ C with one batched matmul over the joints of all hops at once followed by one
      matmul with the stacked V_k; for C_in > C (stacked temporal taps) the other way round, one matmul
      with the stacked V_k over all frames (x_j V_k for every joint j and hop k), then one batched matmul
      per frame contracting joints and hops together (J × J·(L+1) times J·(L+1) × C). With ``lcn``
      weights the graph is folded per output joint into one batched matmul.

    Same function as aggregating, squeezing and fusing step by step (tests/test_hcsf.py checks it against
    such a step-by-step reference); the channel squeeze is exact as a rank limit of V_k.

    Shapes:
        x: (N, T, J, C_in); graph: (L+1, J, J) or (N, T, L+1, J, J); returns (N, T, J, C).
    """

    def __init__(self, hop_masks, in_channels: int, out_channels: int, *, S: int = 1, d: float = 0.5,
                 weight_mode: WeightMode = "shared", squeeze: Squeeze = "k-S",
                 short_range: ShortRange = "sum", bias: bool = True) -> None:
        super().__init__()
        check_choice("weight_mode", weight_mode, ("shared", "lcn"))
        check_choice("short_range", short_range, ("sum", "per_hop"))
        masks = hop_masks_tensor(hop_masks)
        L = masks.shape[0] - 1
        self.S, self.in_channels, self.out_channels = S, in_channels, out_channels
        self.num_hops, self.num_joints = L + 1, masks.shape[1]
        self.widths = squeeze_widths(out_channels, S, L, d, squeeze)
        self.weight_mode = weight_mode
        hops = SharedHopWeights if weight_mode == "shared" else PairHopWeights
        self.hops = hops(masks, in_channels, self.widths, S)
        self.sum_short = short_range == "sum"
        short_width = out_channels * (1 if self.sum_short else S + 1)
        w = np.asarray(self.widths, dtype=np.int64)
        self.fused_width = short_width + int(w[S + 1:].sum())
        self.fuse = nn.Linear(self.fused_width, out_channels, bias=bias)  # W_a
        # the columns of W_a that read hop k, zero-padded (index fused_width) to the widest hop
        start = np.where(np.arange(L + 1) <= S, 0 if self.sum_short else np.arange(L + 1) * out_channels,
                         short_width + np.cumsum(w) - w - (S + 1) * out_channels)
        cols = np.arange(max(self.widths))
        fuse_cols = np.where(cols[None] < w[:, None], start[:, None] + cols[None], self.fused_width)
        self.register_buffer("fuse_cols", torch.as_tensor(fuse_cols), persistent=False)  # (L+1, C_max)
        self.register_buffer("hop_mask", masks.float(), persistent=False)
        self._repr = (f"S={S}, widths={self.widths}, fused_width={self.fused_width}, "
                      f"weight_mode={weight_mode!r}, short_range={short_range!r}")

    def extra_repr(self) -> str:
        return self._repr

    def _fuse_columns(self) -> Tensor:
        """W_a,kᵀ for every hop, zero-padded: (L+1, C_max, C)."""
        wa = F.pad(self.fuse.weight, (0, 1)).index_select(1, self.fuse_cols.reshape(-1))  # (C, (L+1)·C_max)
        return wa.view(self.out_channels, self.num_hops, -1).permute(1, 2, 0)

    def hop_operators(self) -> Tensor:
        """V = W^(k)ᵀ W_a,kᵀ per hop (shared) or per pair (lcn): (L+1 or P, C_in, C)."""
        wa = self._fuse_columns()  # (L+1, C_max, C)
        if self.weight_mode == "lcn":
            wa = wa.index_select(0, self.hops.pair_k)  # (P, C_max, C)
        return torch.bmm(self.hops.padded(), wa)

    def dense_weight(self, graph: Tensor) -> Tensor:
        """The layer for a fixed graph (L+1, J, J) as one (J·C_in, J·C) matrix W: y = x W + b per frame."""
        J, C_in, C = self.num_joints, self.in_channels, self.out_channels
        v = self.hop_operators()
        if self.weight_mode == "shared":  # W[(j, c), (i, o)] = Σ_k G_k[i, j] V_k[c, o]
            w = torch.einsum("kij,kco->jcio", graph, v)
        else:  # one pair per (i, j): W[(j, c), (i, o)] = G_k(i,j)[i, j] V_ij[c, o]
            g = (graph * self.hop_mask).sum(0).t().reshape(J * J, 1, 1)  # [(j, i)]
            # (J·J, C_in, C): [(j, i)]
            v = F.pad(v, (0, 0, 0, 0, 0, 1)).index_select(0, self._dense_index_ji())
            w = (v * g).view(J, J, C_in, C).transpose(1, 2)
        return w.reshape(J * C_in, J * C)

    def _dense_index_ji(self) -> Tensor:
        J = self.num_joints
        return self.hops.dense_index.view(J, J).t().reshape(-1)

    def apply_dense(self, x: Tensor, weight: Tensor) -> Tensor:
        """x (N, T, J, C_in) with a :meth:`dense_weight` -> (N, T, J, C)."""
        N, T, J, _ = x.shape
        y = torch.matmul(x.reshape(N, T, J * self.in_channels), weight).view(N, T, J, self.out_channels)
        return y if self.fuse.bias is None else y + self.fuse.bias

    def apply_dynamic(self, x: Tensor, graph: Tensor) -> Tensor:
        """x (N, T, J, C_in) with a per-frame graph (N, T, L+1, J, J) -> (N, T, J, C)."""
        N, T, J, C_in = x.shape
        K, C = self.num_hops, self.out_channels
        v = self.hop_operators()
        if self.weight_mode == "shared" and C_in > C:  # y_i = Σ_(j, k) G_k[i, j] · (x_j V_k)
            u = torch.matmul(x, v.permute(1, 0, 2).reshape(C_in, K * C))  # (N, T, J, K·C): x_j V_k
            g = graph.permute(0, 1, 3, 4, 2).reshape(N * T, J, J * K)  # columns (j, k)
            y = torch.bmm(g, u.view(N * T, J * K, C))
        elif self.weight_mode == "shared":  # y_i = Σ_k (Σ_j G_k[i, j] x_j) V_k
            g = graph.reshape(N * T, K, J, J).transpose(1, 2).reshape(N * T, J * K, J)  # rows (i, k)
            a = torch.bmm(g, x.reshape(N * T, J, C_in)).view(N * T * J, K * C_in)
            y = torch.mm(a, v.reshape(K * C_in, C))
        else:
            g = (graph.reshape(N * T, K, J, J) * self.hop_mask).sum(1)  # (N·T, J_i, J_j): G_k(i,j)[i, j]
            xf = x.reshape(N * T, J, C_in)
            xs = g.permute(1, 0, 2).unsqueeze(-1) * xf.unsqueeze(0)  # (J_i, N·T, J_j, C_in)
            # (J·J, C_in, C): [(i, j)]
            v = F.pad(v, (0, 0, 0, 0, 0, 1)).index_select(0, self.hops.dense_index)
            y = torch.bmm(xs.view(J, N * T, J * C_in), v.view(J, J * C_in, C)).transpose(0, 1)  # (N·T, J, C)
        y = y.reshape(N, T, J, C)
        return y if self.fuse.bias is None else y + self.fuse.bias

    def forward(self, x: Tensor, graph: Tensor) -> Tensor:
        if graph.dim() == 3:
            return self.apply_dense(x, self.dense_weight(graph))
        return self.apply_dynamic(x, graph)


_steps = [0]  # optimiser steps taken in this process, by any optimiser


def _count_step(optimizer, args, kwargs) -> None:
    _steps[0] += 1


register_optimizer_step_post_hook(_count_step)


def optimizer_steps() -> int:
    """Optimiser steps taken in this process (a step hook common to all torch optimisers counts them): a
    dense weight folded before the last step is stale."""
    return _steps[0]


def _clear_after_load(module: DHCSF, incompatible_keys) -> None:
    module.clear_cache()


class DHCSF(nn.Module):
    """D-HCSF: an HCSF layer fed by a :class:`HopGraph`, optionally after a temporal convolution.

    The graph and the features are both cropped to the centre ``T - frames_consumed`` frames, where
    ``frames_consumed`` is the larger of the two windows (graph window and temporal convolution); with
    ``causal`` to the last ones, so that output frame t lines up with the last frame of its window. A graph
    computed per clip (``HopGraph(o_window="clip")``, shape (N, L+1, J, J)) serves every output frame.

    Args:
        hcsf: the layer.
        graph: its graph source (static, learnable M_k, dynamic O_k, or both).
        temporal: optional :class:`TemporalConv` applied to the features before aggregation.
        causal: align the shorter window with the end of the longer one instead of its centre.

    Shapes:
        x: (N, T, J, C_in) -> (N, T - frames_consumed, J, C).
    """

    def __init__(self, hcsf: HCSF, graph: HopGraph, temporal: TemporalConv | None = None,
                 causal: bool = False) -> None:
        super().__init__()
        self.hcsf, self.graph, self.temporal = hcsf, graph, temporal
        self.causal = bool(causal)
        conv_frames = 0 if temporal is None else temporal.frames_consumed
        if (conv_frames - graph.frames_consumed) % 2:
            raise SkelgnnError("graph window and temporal convolution must differ by an even frame count")
        self.frames_consumed = max(graph.frames_consumed, conv_frames)
        self._dense_cache: tuple | None = None
        self.register_load_state_dict_post_hook(_clear_after_load)

    @property
    def stride(self) -> int:
        """Frames per group in strided training: the temporal kernel (1 without a temporal convolution)."""
        return 1 if self.temporal is None else self.temporal.kernel_size

    def supports_strided(self) -> bool:
        """Whether :meth:`forward` with ``strided=True`` computes the same function."""
        embed = self.graph.embed  # the graph's own temporal window (None: no input-dependent graph)
        if self.graph.per_clip:  # one graph from every frame of the input: the dilated frames alone differ
            return False
        if self.temporal is None:
            return self.graph.frames_consumed == 0
        if embed is None:
            return True
        return embed.dilation == self.temporal.dilation and embed.kernel_size <= self.temporal.kernel_size

    def clear_cache(self) -> None:
        """Drop the folded dense weight kept for inference (:meth:`_layer`)."""
        self._dense_cache = None

    def train(self, mode: bool = True) -> DHCSF:
        self.clear_cache()
        return super().train(mode)

    def _cacheable(self) -> bool:
        if self.training or torch.is_grad_enabled() or torch.onnx.is_in_onnx_export():
            return False
        return not (torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling())

    def _layer(self, x: Tensor, graph: Tensor) -> Tensor:
        """The HCSF layer on ``graph``. A fixed graph's dense weight is folded once and kept for later
        inference calls (eval mode, no autograd), so batch-1 inference does not rebuild it. The kept weight
        is dropped explicitly: on ``train()``/``eval()``, ``load_state_dict`` (a hook), every optimiser
        step (a global step hook, :func:`optimizer_steps`), any call that may not use it (training or
        autograd), and by :meth:`clear_cache` (after editing weights in place by hand); it is refolded when
        a parameter moves to other storage, another dtype or device (``model.to(...)``)."""
        if graph.dim() != 3:
            return self.hcsf.apply_dynamic(x, graph)
        if not self._cacheable():
            self._dense_cache = None
            return self.hcsf(x, graph)
        key = (optimizer_steps(), tuple((p.data_ptr(), p.dtype, p.device) for p in self.parameters()))
        cache = self._dense_cache
        if cache is None or cache[0] != key:
            cache = self._dense_cache = (key, self.hcsf.dense_weight(graph))
        return self.hcsf.apply_dense(x, cache[1])

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        """``strided=True`` (training): x holds frames spaced by the temporal dilation; returns one frame
        per group of :attr:`stride` frames, the frame the dilated layer gives at the group's centre
        (``causal``: at the group's last frame)."""
        if strided and self.temporal is not None:
            step = self.temporal.kernel_size
            xg = x[:, _causal_shift(step, self.graph.embed):] if self.causal else x
            return self._layer(self.temporal.strided(x, step), self.graph(xg, step))
        T_out = x.shape[1] - self.frames_consumed
        graph = self.graph(x)
        if graph.dim() == 5:  # one graph per frame
            graph = center_crop(graph, T_out, self.causal)
        elif graph.dim() == 4:  # one graph per clip (N, L+1, J, J): the same for every output frame
            graph = graph.unsqueeze(1).expand(-1, T_out, -1, -1, -1)
        features = x if self.temporal is None else self.temporal(x)
        return self._layer(center_crop(features, T_out, self.causal), graph)


def _causal_shift(step: int, conv: TemporalConv | None) -> int:
    """Frames to drop in front of a strided input so that ``conv.strided(x, step)`` (whose taps sit at the
    centre of each group of ``step`` frames, offset ``(step - F) // 2``) reads the last F frames of each
    group instead (offset ``step - F``); 0 without a convolution or when F = ``step``."""
    if conv is None:
        return 0
    spare = step - conv.kernel_size
    return spare - spare // 2
