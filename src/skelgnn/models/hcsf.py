"""HCSF and D-HCSF layers of Zeng et al., "Learning Skeletal Graph Neural Networks for Hard 3D Pose
Estimation", ICCV 2021, arXiv:2108.07181 (docs/PAPER.md §3.2–3.3).

An HCSF layer aggregates joint features separately over each exact-k hop set (k = 0..L) with a graph
G_k, keeps hops 0..S at the full output width C, squeezes every long-range hop k = S+1..L to
C_k = round(d^(k−S)·C) channels, concatenates the pieces into H_a and fuses them with W_a::

    h_i^(k) = Σ_j G_k[i, j] · W^(k) x_j            (shared)  or  W^(k)_ij x_j  (lcn)
    H_a,i   = [ Σ_{k≤S} h_i^(k) ‖ h_i^(S+1) ‖ … ‖ h_i^(L) ],    y_i = W_a H_a,i + b

A D-HCSF layer takes G_k from a :class:`HopGraph`: a learnable skeleton-initialised M_k plus an
input-dependent O_k = tanh(θ_k(X)ᵀ φ_k(X)), θ_k and φ_k being convolutions over a window of F frames.

What differs from the paper (whose equations are unavailable, PAPER.md §9) — our choices:
    - The squeeze rule d^(k−S) is our reading; ``squeeze="k-S"`` is the default, and ``"k-L"`` is the
      unofficial re-implementation's d^(k−L). Widths are rounded half up and at least 1.
    - Fusion is two-level: hops 0..S are summed at full width (``short_range="sum"``; ``"per_hop"``
      concatenates them instead), then one W_a fuses them with the squeezed hops. No progressive fusion.
    - M_k is a learnable weight on the exact-k pairs only (SemGCN-like, no softmax), initialised to the
      row-normalised A_k. O_k is dense unless ``mask_dynamic``; it has no scaling, softmax or gate.
    - The figure computes one O_k for the whole clip; here O_k is computed per output frame from a
      local window of F (dilated) frames, so the layer is translation-equivariant in time.
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

from ..errors import SkelgnnError

__all__ = ["squeeze_widths", "TemporalConv", "HopGraph", "HCSF", "DHCSF"]

WeightMode = Literal["shared", "lcn"]
Squeeze = Literal["k-S", "k-L"]
ShortRange = Literal["sum", "per_hop"]
Dynamic = Literal["none", "m", "o", "mo"]
GraphInit = Literal["row", "sym", "binary"]


def _check_choice(name: str, value: object, allowed: tuple) -> None:
    if value not in allowed:
        raise SkelgnnError(f"{name} must be one of {list(allowed)}, got {value!r}")


def squeeze_widths(channels: int, S: int, L: int, d: float, rule: Squeeze = "k-S") -> tuple[int, ...]:
    """Output width C_k of every hop k = 0..L.

    Hops 0..S keep ``channels``; hop k > S gets ``round(d**(k - S) * channels)`` (rule ``"k-S"``) or
    ``round(d**(k - L) * channels)`` (rule ``"k-L"``), rounded half up and at least 1.

    Example:
        >>> squeeze_widths(128, S=1, L=4, d=0.5)
        (128, 128, 64, 32, 16)
    """
    _check_choice("squeeze", rule, ("k-S", "k-L"))
    if not 0 <= S <= L:
        raise SkelgnnError(f"need 0 <= S <= L, got S={S}, L={L}")
    if not d > 0 or channels < 1:
        raise SkelgnnError(f"need d > 0 and channels >= 1, got d={d}, channels={channels}")
    ref = S if rule == "k-S" else L
    return tuple(channels if k <= S else max(1, math.floor(d ** (k - ref) * channels + 0.5))
                 for k in range(L + 1))


def _hop_masks_tensor(hop_masks) -> Tensor:
    masks = torch.tensor(np.asarray(hop_masks), dtype=torch.bool)
    if masks.dim() != 3 or masks.shape[1] != masks.shape[2]:
        raise SkelgnnError(f"hop_masks must have shape (L+1, J, J), got {tuple(masks.shape)}")
    return masks


def _normalise(masks: Tensor, how: GraphInit) -> Tensor:
    """Exact-k masks (K+1, J, J) → float graphs; empty rows stay zero."""
    a = masks.float()
    deg = a.sum(-1, keepdim=True)  # (K+1, J, 1)
    if how == "row":
        return a / deg.clamp(min=1)
    if how == "sym":
        inv = deg.clamp(min=1).rsqrt()
        return a * inv * inv.transpose(-1, -2)
    return a


def _center_crop(x: Tensor, length: int) -> Tensor:
    """Keep the ``length`` centre entries of dim 1."""
    start = (x.shape[1] - length) // 2
    return x[:, start:start + length]


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
        self.linear = nn.Linear(in_channels * kernel_size, out_channels, bias=bias)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}"

    def forward(self, x: Tensor) -> Tensor:
        taps = x.unfold(1, self.frames_consumed + 1, 1)[..., :: self.dilation]  # (N, T', J, C_in, F)
        return self.linear(taps.flatten(-2))

    def strided(self, x: Tensor, step: int) -> Tensor:
        """The same taps read from frames spaced like the dilation, at the centres of consecutive
        groups of ``step`` frames (strided training). Shapes: (N, T, J, C_in) -> (N, T // step, J, C_out).
        """
        if self.kernel_size > step:
            raise SkelgnnError(f"strided: kernel_size {self.kernel_size} is wider than the step {step}")
        offset = (step - self.kernel_size) // 2
        taps = x[:, offset:].unfold(1, self.kernel_size, step)  # (N, T // step, J, C_in, F)
        return self.linear(taps.flatten(-2))


class HopGraph(nn.Module):
    """The per-hop graphs G_k (k = 0..L) that feed an HCSF layer.

    Args:
        hop_masks: exact-k masks A_k, bool, shape (L+1, J, J) (``Skeleton.hop_masks(L)``).
        in_channels: C_in of the features O_k is computed from.
        dynamic: ``"none"``: fixed normalised A_k; ``"m"``: learnable M_k on the exact-k pairs,
            initialised to the normalised A_k; ``"o"``: O_k alone; ``"mo"``: M_k + O_k (D-HCSF).
        temporal_kernel: F, frames seen by θ_k and φ_k (odd).
        dilation: spacing of those F frames.
        hidden_channels: C_h of θ_k and φ_k (default C_in // 4, at least 1).
        mask_dynamic: restrict O_k to the exact-k pairs.
        init: normalisation of A_k: ``"row"`` (D⁻¹A), ``"sym"`` (D^-½AD^-½) or ``"binary"``.
        o_norm: ``"tanh"`` (default, values in (−1, 1)) or ``"softmax"`` (each row of O_k sums to 1 over its
            joints j, as attention; with ``mask_dynamic`` over the exact-k pairs only).
        o_scale: divide the inner product by √C_h before the nonlinearity (scaled dot product), so that
            O_k does not start saturated.
        o_gate: multiply O_k by a learnable per-hop gate α_k initialised at 0 (G_k = M_k + α_k·O_k, the
            unofficial re-implementation's ``A + α·O``): training starts from the skeleton prior.

    ``G_k[i, j]`` weighs joint j in the hop-k aggregate of joint i, and
    ``O_k[i, j] = tanh(θ_k(x)_i · φ_k(x)_j)``, the inner product running over the C_h channels of one
    output frame (θ_k and φ_k being valid convolutions, that frame summarises the F-frame window).

    Shapes:
        x: (N, T, J, C_in).
        returns: (L+1, J, J) when the graph does not depend on the input (``"none"``, ``"m"``), else
            (N, T - frames_consumed, L+1, J, J); the graph of output frame t comes from input frames
            t .. t + frames_consumed.
    """

    def __init__(self, hop_masks, in_channels: int, *, dynamic: Dynamic = "mo", temporal_kernel: int = 1,
                 dilation: int = 1, hidden_channels: int | None = None, mask_dynamic: bool = False,
                 init: GraphInit = "row", o_norm: str = "tanh", o_scale: bool = False, o_gate: bool = False) -> None:
        super().__init__()
        _check_choice("dynamic", dynamic, ("none", "m", "o", "mo"))
        _check_choice("o_norm", o_norm, ("tanh", "softmax"))
        _check_choice("graph_init", init, ("row", "sym", "binary"))
        if temporal_kernel < 1 or temporal_kernel % 2 == 0:
            raise SkelgnnError(f"temporal_kernel must be odd and >= 1, got {temporal_kernel}")
        masks = _hop_masks_tensor(hop_masks)
        self.num_hops, self.dynamic, self.mask_dynamic = masks.shape[0], dynamic, mask_dynamic
        self.register_buffer("mask", masks.float(), persistent=False)
        graph = _normalise(masks, init)
        if dynamic == "none":
            self.register_buffer("m", graph, persistent=False)
        else:  # M_k is learnable; absent for "o"
            self.m = nn.Parameter(graph) if dynamic in ("m", "mo") else None
        self.register_buffer("o_mask", masks.float() if mask_dynamic else None, persistent=False)
        self.embed: TemporalConv | None = None  # θ_k and φ_k of every hop, stacked
        self.o_norm, self.o_scale, self.gate = o_norm, 1.0, None
        if dynamic in ("o", "mo"):
            hidden = hidden_channels or max(1, in_channels // 4)
            self.embed = TemporalConv(in_channels, 2 * self.num_hops * hidden, temporal_kernel, dilation)
            self.o_scale = hidden ** -0.5 if o_scale else 1.0
            if o_gate:
                self.gate = nn.Parameter(torch.zeros(self.num_hops, 1, 1))  # α_k
        self.frames_consumed = 0 if self.embed is None else self.embed.frames_consumed

    def extra_repr(self) -> str:
        return f"hops=0..{self.num_hops - 1}, dynamic={self.dynamic!r}, mask_dynamic={self.mask_dynamic}"

    def static_graph(self) -> Tensor | None:
        """M_k restricted to the exact-k pairs (or the fixed A_k), shape (L+1, J, J); None for "o"."""
        return None if self.m is None else self.m * self.mask

    def dynamic_graph(self, x: Tensor, step: int = 0) -> Tensor:
        """O_k = tanh(θ_k(x)ᵀ φ_k(x)), shape (N, T - frames_consumed, L+1, J, J), values in (−1, 1).

        ``step`` > 0: strided training, one graph per group of ``step`` frames (:meth:`TemporalConv.strided`).
        """
        emb = self.embed(x) if step <= 0 else self.embed.strided(x, step)  # (N, T', J, 2·(L+1)·C_h)
        N, T, J, _ = emb.shape
        theta, phi = emb.view(N, T, J, 2, self.num_hops, -1).unbind(3)  # (N, T', J, L+1, C_h) each
        logits = torch.einsum("ntikc,ntjkc->ntkij", theta, phi)
        if self.o_scale != 1.0:
            logits = logits * self.o_scale
        if self.o_norm == "softmax":
            if self.o_mask is not None:  # rows over the exact-k pairs; an empty row stays zero
                logits = logits.masked_fill(self.o_mask == 0, float("-inf"))
            o = torch.softmax(logits, dim=-1).nan_to_num(0.0)
        else:
            o = torch.tanh(logits)
            if self.o_mask is not None:
                o = o * self.o_mask
        return o if self.gate is None else o * self.gate

    def forward(self, x: Tensor, step: int = 0) -> Tensor:
        static = self.static_graph()
        if self.embed is None:
            return static
        o = self.dynamic_graph(x, step)
        return o if static is None else o + static


class _SharedHopWeights(nn.Module):
    """One matrix W^(k): C_in → C_k per hop, shared by all joints.

    Stored as one (Σ_k C_k, C_in) parameter, rows hop-major (W^(0); W^(1); …; W^(L)).
    """

    def __init__(self, hop_masks: Tensor, in_channels: int, widths: tuple[int, ...], S: int) -> None:
        super().__init__()
        self.num_hops, self.max_width, self.in_channels = len(widths), max(widths), in_channels
        total = sum(widths)
        self.weight = nn.Parameter(torch.empty(total, in_channels))
        w = np.asarray(widths, dtype=np.int64)
        cols = np.arange(self.max_width)
        rows = np.where(cols[None] < w[:, None], (np.cumsum(w) - w)[:, None] + cols[None], total)  # pad: zero row
        self.register_buffer("rows", torch.as_tensor(rows.reshape(-1)), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)

    def padded(self) -> Tensor:
        """W^(k)ᵀ of every hop, zero-padded to the widest hop: (L+1, C_in, C_max)."""
        w = F.pad(self.weight, (0, 0, 0, 1)).index_select(0, self.rows)  # (L+1)·C_max rows
        return w.view(self.num_hops, self.max_width, self.in_channels).transpose(1, 2)


class _PairHopWeights(nn.Module):
    """One matrix W^(k)_ij: C_in → C_k per joint pair (i, j) at hop distance k ≤ L (LCN-style).

    Only the pairs inside the hop sets are stored: one flat (C_in, Σ_pairs C_k) parameter, pair p
    (sorted by hop, then i, then j) owning C_{k_p} consecutive columns. Every (i, j) is in at most one
    exact-k hop set, so the pairs also index a dense (J, J) grid (``dense_index``).
    """

    def __init__(self, hop_masks: Tensor, in_channels: int, widths: tuple[int, ...], S: int) -> None:
        super().__init__()
        self.max_width, self.in_channels = max(widths), in_channels
        J = self.num_joints = hop_masks.shape[1]
        k, i, j = (torch.as_tensor(a) for a in np.nonzero(hop_masks.numpy()))  # pairs sorted by hop
        pair_width = np.asarray(widths)[k.numpy()]
        total = int(pair_width.sum())
        self.weight = nn.Parameter(torch.empty(in_channels, total))
        offsets = np.cumsum(pair_width) - pair_width
        cols = np.arange(self.max_width)
        index = np.where(cols[None] < pair_width[:, None], offsets[:, None] + cols[None], total)
        self.register_buffer("col_index", torch.as_tensor(index.reshape(-1)), persistent=False)
        self.register_buffer("pair_k", k, persistent=False)
        dense = torch.full((J * J,), len(k), dtype=torch.long)  # (i, j) -> pair index; P: no pair (zero)
        dense[i * J + j] = torch.arange(len(k))
        self.register_buffer("dense_index", dense, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.shape[0])
        nn.init.uniform_(self.weight, -bound, bound)

    def padded(self) -> Tensor:
        """W_pᵀ of every pair, zero-padded to the widest hop: (P, C_in, C_max)."""
        w = F.pad(self.weight, (0, 1)).index_select(1, self.col_index)  # (C_in, P·C_max)
        return w.view(self.in_channels, -1, self.max_width).transpose(0, 1)


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
    * an input-dependent graph (N, T, L+1, J, J) is applied with one batched matmul over the joints of
      all hops at once, followed by one matmul with the stacked V_k (shared weights), or folded per
      output joint into one batched matmul (``lcn``).

    Same function as aggregating, squeezing and fusing step by step (tests/test_hcsf.py checks it against
    such a step-by-step reference); the channel squeeze is exact as a rank limit of V_k.

    Shapes:
        x: (N, T, J, C_in); graph: (L+1, J, J) or (N, T, L+1, J, J); returns (N, T, J, C).
    """

    def __init__(self, hop_masks, in_channels: int, out_channels: int, *, S: int = 1, d: float = 0.5,
                 weight_mode: WeightMode = "shared", squeeze: Squeeze = "k-S",
                 short_range: ShortRange = "sum", bias: bool = True) -> None:
        super().__init__()
        _check_choice("weight_mode", weight_mode, ("shared", "lcn"))
        _check_choice("short_range", short_range, ("sum", "per_hop"))
        masks = _hop_masks_tensor(hop_masks)
        L = masks.shape[0] - 1
        self.S, self.in_channels, self.out_channels = S, in_channels, out_channels
        self.num_hops, self.num_joints = L + 1, masks.shape[1]
        self.widths = squeeze_widths(out_channels, S, L, d, squeeze)
        self.weight_mode = weight_mode
        hops = _SharedHopWeights if weight_mode == "shared" else _PairHopWeights
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
            v = F.pad(v, (0, 0, 0, 0, 0, 1)).index_select(0, self._dense_index_ji())  # (J·J, C_in, C): [(j, i)]
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
        xf = x.reshape(N * T, J, C_in)
        if self.weight_mode == "shared":
            g = graph.reshape(N * T, K, J, J).transpose(1, 2).reshape(N * T, J * K, J)  # rows (i, k)
            a = torch.bmm(g, xf).view(N * T * J, K * C_in)  # Σ_j G_k[i, j] x_j for every (i, k)
            y = torch.mm(a, v.reshape(K * C_in, C))
        else:
            g = (graph.reshape(N * T, K, J, J) * self.hop_mask).sum(1)  # (N·T, J_i, J_j): G_k(i,j)[i, j]
            xs = g.permute(1, 0, 2).unsqueeze(-1) * xf.unsqueeze(0)  # (J_i, N·T, J_j, C_in)
            v = F.pad(v, (0, 0, 0, 0, 0, 1)).index_select(0, self.hops.dense_index)  # (J·J, C_in, C): [(i, j)]
            y = torch.bmm(xs.view(J, N * T, J * C_in), v.view(J, J * C_in, C)).transpose(0, 1)  # (N·T, J, C)
        y = y.reshape(N, T, J, C)
        return y if self.fuse.bias is None else y + self.fuse.bias

    def forward(self, x: Tensor, graph: Tensor) -> Tensor:
        if graph.dim() == 3:
            return self.apply_dense(x, self.dense_weight(graph))
        return self.apply_dynamic(x, graph)


class DHCSF(nn.Module):
    """D-HCSF: an HCSF layer fed by a :class:`HopGraph`, optionally after a temporal convolution.

    The graph and the features are both cropped to the centre ``T - frames_consumed`` frames, where
    ``frames_consumed`` is the larger of the two windows (graph window and temporal convolution).

    Args:
        hcsf: the layer.
        graph: its graph source (static, learnable M_k, dynamic O_k, or both).
        temporal: optional :class:`TemporalConv` applied to the features before aggregation.

    Shapes:
        x: (N, T, J, C_in) -> (N, T - frames_consumed, J, C).
    """

    def __init__(self, hcsf: HCSF, graph: HopGraph, temporal: TemporalConv | None = None) -> None:
        super().__init__()
        self.hcsf, self.graph, self.temporal = hcsf, graph, temporal
        conv_frames = 0 if temporal is None else temporal.frames_consumed
        if (conv_frames - graph.frames_consumed) % 2:
            raise SkelgnnError("graph window and temporal convolution must differ by an even frame count")
        self.frames_consumed = max(graph.frames_consumed, conv_frames)

    @property
    def stride(self) -> int:
        """Frames per group in strided training: the temporal kernel (1 without a temporal convolution)."""
        return 1 if self.temporal is None else self.temporal.kernel_size

    def supports_strided(self) -> bool:
        """Whether :meth:`forward` with ``strided=True`` computes the same function."""
        embed = self.graph.embed  # the graph's own temporal window (None: no input-dependent graph)
        if self.temporal is None:
            return self.graph.frames_consumed == 0
        if embed is None:
            return True
        return embed.dilation == self.temporal.dilation and embed.kernel_size <= self.temporal.kernel_size

    def _cacheable(self) -> bool:
        if self.training or torch.is_grad_enabled() or torch.onnx.is_in_onnx_export():
            return False
        return not (torch.jit.is_tracing() or torch.jit.is_scripting() or torch.compiler.is_compiling())

    def _layer(self, x: Tensor, graph: Tensor) -> Tensor:
        """The HCSF layer on ``graph``; a fixed graph's dense weight is kept between inference calls while the
        parameters are unchanged (eval mode, no grad), so batch-1 inference does not rebuild it."""
        if graph.dim() != 3:
            return self.hcsf.apply_dynamic(x, graph)
        if not self._cacheable():
            self._dense_cache = None
            return self.hcsf(x, graph)
        key = tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in self.parameters())
        cache = getattr(self, "_dense_cache", None)
        if cache is None or cache[0] != key:
            cache = self._dense_cache = (key, self.hcsf.dense_weight(graph))
        return self.hcsf.apply_dense(x, cache[1])

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        """``strided=True`` (training): x holds frames spaced by the temporal dilation; returns one frame
        per group of :attr:`stride` frames, the frame the dilated layer gives at the group's centre."""
        if strided and self.temporal is not None:
            step = self.temporal.kernel_size
            return self._layer(self.temporal.strided(x, step), self.graph(x, step))
        T_out = x.shape[1] - self.frames_consumed
        graph = self.graph(x)
        if graph.dim() == 5:  # one graph per frame
            graph = _center_crop(graph, T_out)
        features = x if self.temporal is None else self.temporal(x)
        return self._layer(_center_crop(features, T_out), graph)
