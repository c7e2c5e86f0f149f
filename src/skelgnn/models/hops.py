"""Per-hop pieces of the HCSF layers (docs/models.md): the hop graphs G_k and the per-hop weights W^(k).

* :class:`HopGraph`: G_k = M_k (learnable, skeleton-initialised) + O_k(X) (input-dependent), the
  dynamic graph of a D-HCSF layer; O_k per output frame (``o_window="frame"``) or one per clip (``"clip"``);
* :class:`SharedHopWeights` (``weight_mode="shared"``): one W^(k) per hop, h^(k) = G_k · X W^(k);
* :class:`PairHopWeights` (``weight_mode="lcn"``): one W^(k)_ij per joint pair within L hops.

Shape letters: N batch, T frames, J joints, C channels, K+1 = L+1 hops.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ..core.errors import SkelgnnError
from .layers import TemporalConv, check_choice

__all__ = ["HopGraph", "SharedHopWeights", "PairHopWeights", "hop_masks_tensor", "Dynamic", "GraphInit",
           "OWindow"]

Dynamic = Literal["none", "m", "o", "mo"]
GraphInit = Literal["row", "sym", "binary"]
OWindow = Literal["frame", "clip"]


def hop_masks_tensor(hop_masks) -> Tensor:
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
        o_scale: divide the inner product by √C_h (by √(C_h·T_h) with ``o_window="clip"``) before the
            nonlinearity (scaled dot product), so that O_k does not start saturated.
        o_gate: multiply O_k by a learnable per-hop gate α_k initialised at 0 (G_k = M_k + α_k·O_k, the
            unofficial re-implementation's ``A + α·O``): training starts from the skeleton prior.
        o_window: ``"frame"`` (default): one O_k per output frame of θ_k, φ_k, from that frame's F-frame
            window (translation-equivariant in time). ``"clip"`` (the paper's figure): ONE O_k per sample,
            the inner product running over C_h × T_h, all T_h = T − frames_consumed frames of θ_k and φ_k.

    ``G_k[i, j]`` weighs joint j in the hop-k aggregate of joint i, and
    ``O_k[i, j] = tanh(θ_k(x)_i · φ_k(x)_j)``, the inner product running over the C_h channels of one
    output frame (θ_k and φ_k being valid convolutions, that frame summarises the F-frame window), or
    with ``o_window="clip"`` over the C_h channels of every one of the T_h frames
    (Σ_t θ_k(x)_{t,i} · φ_k(x)_{t,j}).

    Attributes:
        per_clip: True when the graph has an O_k and it is one graph per clip (``o_window="clip"``).

    Shapes:
        x: (N, T, J, C_in).
        returns: (L+1, J, J) when the graph does not depend on the input (``"none"``, ``"m"``); else
            with ``o_window="frame"`` (N, T - frames_consumed, L+1, J, J), the graph of output frame t
            coming from input frames t .. t + frames_consumed; with ``"clip"`` (N, L+1, J, J), from all
            T input frames (T > frames_consumed).
    """

    def __init__(self, hop_masks, in_channels: int, *, dynamic: Dynamic = "mo", temporal_kernel: int = 1,
                 dilation: int = 1, hidden_channels: int | None = None, mask_dynamic: bool = False,
                 init: GraphInit = "row", o_norm: str = "tanh", o_scale: bool = False, o_gate: bool = False,
                 o_window: OWindow = "frame") -> None:
        super().__init__()
        check_choice("dynamic", dynamic, ("none", "m", "o", "mo"))
        check_choice("o_norm", o_norm, ("tanh", "softmax"))
        check_choice("o_window", o_window, ("frame", "clip"))
        check_choice("graph_init", init, ("row", "sym", "binary"))
        if temporal_kernel < 1 or temporal_kernel % 2 == 0:
            raise SkelgnnError(f"temporal_kernel must be odd and >= 1, got {temporal_kernel}")
        masks = hop_masks_tensor(hop_masks)
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
        self.o_window, self.per_clip = o_window, self.embed is not None and o_window == "clip"
        self.scale_frames = self.per_clip and bool(o_scale)  # clip: 1/√(C_h·T_h), T_h known at call time

    def extra_repr(self) -> str:
        clip = ", o_window='clip'" if self.o_window == "clip" else ""
        return (f"hops=0..{self.num_hops - 1}, dynamic={self.dynamic!r}, "
                f"mask_dynamic={self.mask_dynamic}{clip}")

    def static_graph(self) -> Tensor | None:
        """M_k restricted to the exact-k pairs (or the fixed A_k), shape (L+1, J, J); None for "o"."""
        return None if self.m is None else self.m * self.mask

    def dynamic_graph(self, x: Tensor, step: int = 0) -> Tensor:
        """O_k = tanh(θ_k(x)ᵀ φ_k(x)), values in (−1, 1): shape (N, T - frames_consumed, L+1, J, J), or
        (N, L+1, J, J) with ``o_window="clip"`` (the inner products summed over all T_h output frames).

        ``step`` > 0: strided training, one graph per group of ``step`` frames (:meth:`TemporalConv.strided`);
        not available per clip.
        """
        if step > 0 and self.per_clip:
            raise SkelgnnError("o_window='clip': one graph from every frame of the window has no strided "
                               "variant")
        emb = self.embed(x) if step <= 0 else self.embed.strided(x, step)  # (N, T', J, 2·(L+1)·C_h)
        N, T, J, _ = emb.shape
        theta, phi = emb.view(N, T, J, 2, self.num_hops, -1).unbind(3)  # (N, T', J, L+1, C_h) each
        logits = torch.einsum("ntikc,ntjkc->ntkij", theta, phi)
        if self.per_clip:  # flattened C_h × T_h inner product: (N, L+1, J, J); exact for T_h = 1
            logits = logits.sum(1)
        if self.scale_frames:
            logits = logits * (self.o_scale * T ** -0.5)
        elif self.o_scale != 1.0:
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


class SharedHopWeights(nn.Module):
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
        # pad: zero row
        rows = np.where(cols[None] < w[:, None], (np.cumsum(w) - w)[:, None] + cols[None], total)
        self.register_buffer("rows", torch.as_tensor(rows.reshape(-1)), persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)

    def padded(self) -> Tensor:
        """W^(k)ᵀ of every hop, zero-padded to the widest hop: (L+1, C_in, C_max)."""
        w = F.pad(self.weight, (0, 0, 0, 1)).index_select(0, self.rows)  # (L+1)·C_max rows
        return w.view(self.num_hops, self.max_width, self.in_channels).transpose(1, 2)


class PairHopWeights(nn.Module):
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
