"""Skeletal GNN lifter of Zeng et al., "Learning Skeletal Graph Neural Networks for Hard 3D Pose Estimation",
ICCV 2021, arXiv:2108.07181, built from the (D-)HCSF layers of :mod:`.hcsf`.

Layout (docs/models.md, a reconstruction): a per-joint input layer 2 → C, residual blocks of two
(D-)HCSF layers each followed by BatchNorm, ReLU and Dropout, and a per-joint output layer C → 3.
The multi-frame variants (VideoPose3D style) start every block with a valid dilated temporal
convolution (kernel 3, dilations 1, 3, 9[, 27]) on the features of the first D-HCSF layer, whose
dynamic graph sees F frames at the same dilation; receptive fields 27 and 81.

The constructor takes the paper's hyper-parameters (C, blocks, S, L, d, the graph, F, the dilations);
every other choice (the ablation switches, our additions, the data setting) is one
:class:`SkeletalGNNOptions` value. A registry builder (``build("skeletal_gnn", skeleton, **kwargs)``,
``model.kwargs`` in a config) takes both as one flat table (:meth:`SkeletalGNN.from_kwargs`).

What differs from the paper (its network, width, depth and hyper-parameters are unpublished):
    - Width 64 per joint (CPU budget; docs/models.md suggests 64–128), 2 blocks, S=1, L=4, d=1/2 are
      our defaults; shared per-hop weights (``weight_mode="shared"``), not LCN-style per-pair weights.
    - Input and output layers are per-joint linear maps with their own weights for every joint.
    - BatchNorm normalises every (joint, channel) feature separately (statistics over batch × frames).
    - The paper's temporal model is unknown; ours puts the dynamic graph window inside the temporal
      convolution window so that the receptive field stays 27 / 81 frames with F = 3.
    - O_k is computed per output frame from F frames by default; ``o_window="clip"`` computes one O_k per
      layer and window from all its frames, as the paper's figure draws it (:mod:`.hcsf`). Such a model
      is applied to one receptive-field window per output frame (``windowed``), never slid along a clip.

Checkpoints written by earlier versions are rewritten into the current form when they are loaded
(:func:`skelgnn.models.migrate`; the migrations of this model are at the end of this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Literal

import torch
from torch import Tensor, nn

from ..core.errors import ShapeError, SkelgnnError
from ..core.skeleton import Skeleton
from .hcsf import DHCSF, HCSF, ShortRange, Squeeze, WeightMode
from .hops import Dynamic, GraphInit, HopGraph, OWindow
from .layers import JointLinear, TemporalConv, TemporalTaps, check_choice, sliding_windows
from .registry import register, register_migration
from .zscore import ZScored

__all__ = ["ARGUMENTS", "OPTIONS", "REMOVED", "SkeletalGNN", "SkeletalGNNOptions"]

#: The constructor's keywords besides the skeleton and ``options``: the paper's hyper-parameters.
ARGUMENTS = ("channels", "num_blocks", "S", "L", "d", "dynamic", "temporal_kernel", "dilations")

#: Switches removed in 0.3.0, with their only value: unused by every config, benchmark run, bundled model
#: and test fixture, and never measured (docs/models.md). A checkpoint that sets one to this value loads.
REMOVED = {"norm": "joint", "graph_hidden": None}


@dataclass(frozen=True)
class SkeletalGNNOptions:
    """Every choice of a :class:`SkeletalGNN` beyond the paper's hyper-parameters; the defaults are the
    network as reconstructed (docs/models.md, "Switches of SkeletalGNN").

    Attributes:
        weight_mode: ``"shared"`` (one matrix per hop) or ``"lcn"`` (one per joint pair).
        squeeze: ``"k-S"`` (C_k = d^(k−S)·C) or ``"k-L"`` (the unofficial code's d^(k−L)·C).
        short_range: ``"sum"`` (hops 0..S summed) or ``"per_hop"`` (concatenated).
        graph_init: normalisation of A_k for M_k and the fixed graph: ``"row"``, ``"sym"``, ``"binary"``.
        mask_dynamic: restrict O_k to the exact-k pairs.
        o_norm, o_scale, o_gate: how O_k is formed (:class:`~.hops.HopGraph`): ``"tanh"`` or ``"softmax"``,
            scaled by 1/√C_h or not, gated by a learnable α_k initialised at 0 or not. Defaults: the
            figure's unscaled, ungated tanh.
        o_window: ``"frame"``: O_k per output frame from its F-frame window; ``"clip"``: one O_k per D-HCSF
            layer and window from all T_h frames of the layer input (the paper's figure; ``o_scale`` then
            divides by √(C_h·T_h)). No parameters change; a clip model is ``windowed``.
        input_layer: ``"joint"`` (a separate linear map 2 → C per joint) or ``"graph"`` (an HCSF layer
            2 → C on the learnable skeleton graph M_k: every joint's first features already mix its hop
            neighbourhoods, so absolute image positions can be compared).
        temporal_mix: how a block's first layer mixes its 3 temporal taps (multi-frame models):
            ``"joint"`` a per-joint temporal convolution C·3 → C, then the layer's hop weights mix the
            joints; ``"graph"`` the taps are stacked (C·3 features per joint, :class:`~.layers.TemporalTaps`)
            and the layer's hop weights mix joints and frames at once (3× the hop weights of those layers,
            no temporal convolution weights).
        root_relative: ours, not the paper's. Feed every joint its 2D position relative to the root
            joint plus the root's own position, (x_j − x_root, y_j − y_root, x_root, y_root), instead of
            (x_j, y_j) (``skeletal_gnn_rel``).
        causal: ours (VideoPose3D's causal idea, no code of it). Every crop that aligns windows of different
            lengths (graph and features in a D-HCSF layer, a block's residual) keeps the last frames instead
            of the centre ones, so output frame t is a function of input frames t − receptive_field + 1 .. t
            (:meth:`SkeletalGNN.forward`); for live use (:meth:`skelgnn.Lifter.stream`). No parameters
            change; a single-frame model is the same either way.
        zscore: standardise the 2D input and the 3D output per dimension with training-set statistics
            (Martinez et al.'s data setting, :mod:`skelgnn.models.zscore`); applied before the
            root-relative transform. Off by default (the paper normalises screen coordinates only).
        dropout: after every hidden layer.

    Example:
        >>> SkeletalGNNOptions(o_gate=True, zscore=True).changed()
        {'o_gate': True, 'zscore': True}
    """

    weight_mode: WeightMode = "shared"
    squeeze: Squeeze = "k-S"
    short_range: ShortRange = "sum"
    graph_init: GraphInit = "row"
    mask_dynamic: bool = False
    o_norm: Literal["tanh", "softmax"] = "tanh"
    o_scale: bool = False
    o_gate: bool = False
    o_window: OWindow = "frame"
    input_layer: Literal["joint", "graph"] = "joint"
    temporal_mix: Literal["joint", "graph"] = "joint"
    root_relative: bool = False
    causal: bool = False
    zscore: bool = False
    dropout: float = 0.25

    def __post_init__(self) -> None:
        for name, allowed in (("weight_mode", ("shared", "lcn")), ("squeeze", ("k-S", "k-L")),
                              ("short_range", ("sum", "per_hop")), ("graph_init", ("row", "sym", "binary")),
                              ("o_norm", ("tanh", "softmax")), ("o_window", ("frame", "clip")),
                              ("input_layer", ("joint", "graph")), ("temporal_mix", ("joint", "graph"))):
            check_choice(name, getattr(self, name), allowed)
        for name in ("mask_dynamic", "o_scale", "o_gate", "root_relative", "causal", "zscore"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) \
                or not 0.0 <= self.dropout < 1.0:
            raise SkelgnnError(f"dropout must be a number in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "dropout", float(self.dropout))

    def changed(self) -> dict:
        """The options that differ from the defaults, in field order."""
        default = SkeletalGNNOptions()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}

    def replace(self, **changes) -> SkeletalGNNOptions:
        """A copy with ``changes`` applied (checked like a new value)."""
        return replace(self, **changes)


OPTIONS = tuple(f.name for f in fields(SkeletalGNNOptions))


class _Post(nn.Module):
    """BatchNorm (statistics per joint and channel over batch and frames) → ReLU → Dropout.
    Shapes: (N, T, J, C) -> same."""

    def __init__(self, num_joints: int, channels: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(num_joints * channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        N, T, J, C = x.shape
        x = self.norm(x.reshape(N * T, J * C)).view(N, T, J, C)
        return self.drop(torch.relu(x))


class _Block(nn.Module):
    """Two D-HCSF layers (each + BatchNorm, ReLU, Dropout) with a centre-cropped residual."""

    def __init__(self, first: DHCSF, second: DHCSF, num_joints: int, channels: int, dropout: float) -> None:
        super().__init__()
        self.first, self.second = first, second
        self.causal = first.causal  # residual aligned with the last frame of the window, not its centre
        self.post1 = _Post(num_joints, channels, dropout)
        self.post2 = _Post(num_joints, channels, dropout)
        self.frames_consumed = first.frames_consumed + second.frames_consumed

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        h = self.post2(self.second(self.post1(self.first(x, strided))))
        if strided:  # one output frame per group of `stride` input frames: keep each group's centre
            step = self.first.stride
            return x[:, (step - 1 if self.causal else (step - 1) // 2)::step] + h
        if self.causal:
            return x[:, self.frames_consumed:] + h
        crop = self.frames_consumed // 2
        return x[:, crop:x.shape[1] - crop] + h


class SkeletalGNN(ZScored, nn.Module):
    """Skeletal GNN lifter from (D-)HCSF layers.

    Args:
        skeleton: joint layout; its exact-k hop masks define the hop sets.
        channels: C, features per joint.
        num_blocks: residual blocks of two (D-)HCSF layers (must equal ``len(dilations)`` if given).
        S: last short-range hop (full width).
        L: last hop aggregated; hops beyond the skeleton's reach are empty and give zero features.
        d: channel-squeezing ratio of the long-range hops.
        dynamic: graph of every layer: ``"none"`` (fixed A_k, plain HCSF), ``"m"`` (learnable M_k),
            ``"o"`` (input-dependent O_k), ``"mo"`` (M_k + O_k, the paper's D-HCSF).
        temporal_kernel: F, frames seen by the dynamic graph of each block's first layer (odd).
        dilations: one per block for the multi-frame model: the block starts with a valid temporal
            convolution of kernel 3 at this dilation, and its graph window is dilated alike. Empty:
            no temporal convolution (single frame when F = 1).
        options: every other choice (:class:`SkeletalGNNOptions`; default: the network as reconstructed).

    Attributes:
        options: the :class:`SkeletalGNNOptions` the model was built with.
        arguments: the constructor's other keywords, as a dict (``dilations`` a tuple).
        receptive_field: input frames per output frame, 1 + the frames every block consumes.
        causal: ``options.causal``: output frame t belongs to the last frame of its input window.
        supports_strided: whether ``strided=True`` computes the same function (never with
            ``o_window="clip"``).
        windowed: True when some layer computes one O_k per clip (``o_window="clip"`` with an O_k): the
            output of a window depends on all of its frames at once, so the network is not
            translation-equivariant in time and must see exactly one receptive-field window per output
            frame. :meth:`forward` does so by itself for T > receptive_field (each output frame from its
            own window, batched: receptive_field times the work of a sliding model).

    Shapes:
        joints_2d: (B, T, J, 2) normalised screen coordinates, T >= receptive_field.
        returns:   (B, T - receptive_field + 1, J, 3) root-relative joints; output frame t is the
            centre of input frames t .. t + receptive_field - 1 (the last of them with ``causal``), and a
            function of those frames alone
            (``windowed`` models too). With receptive_field 1 every frame is processed independently (as
            if T were folded into the batch).

        strided=True (training only): T must equal receptive_field; returns (B, 1, J, 3), the same
            function computed on only the frames that output needs (``train.strided``).

    Note:
        Without ``strided``, every frame of every layer is computed, so a window of exactly
        ``receptive_field`` frames costs many single-frame passes. Longer chunks give
        ``T - receptive_field + 1`` targets per window at a lower cost per target, but fewer
        independent windows per batch, which slows learning a lot
        (:func:`skelgnn.training.train.default_chunk`).

        In eval mode without autograd, a layer whose graph does not depend on the input keeps its folded
        dense weight between calls (:class:`~.hcsf.DHCSF`). It is dropped on ``train()``/``eval()``,
        ``load_state_dict``, a change of device or dtype and every optimiser step; after editing weights in
        place by hand, call :meth:`clear_cache`.
    """

    def __init__(self, skeleton: Skeleton, *, channels: int = 64, num_blocks: int = 2, S: int = 1, L: int = 4,
                 d: float = 0.5, dynamic: Dynamic = "mo", temporal_kernel: int = 1,
                 dilations: Sequence[int] = (), options: SkeletalGNNOptions | None = None) -> None:
        super().__init__()
        opt = SkeletalGNNOptions() if options is None else options
        if not isinstance(opt, SkeletalGNNOptions):
            raise SkelgnnError(f"options must be a SkeletalGNNOptions, got {type(opt).__name__}")
        dilations = tuple(int(x) for x in dilations)
        if dilations and len(dilations) != num_blocks:
            raise SkelgnnError(f"num_blocks={num_blocks} but {len(dilations)} dilations {dilations}")
        if any(x < 1 for x in dilations) or num_blocks < 0:
            raise SkelgnnError(f"dilations must be >= 1 and num_blocks >= 0, got {dilations}, {num_blocks}")
        J, C = skeleton.num_joints, channels
        masks = skeleton.hop_masks(L)
        self.options = opt
        self.arguments = {"channels": C, "num_blocks": num_blocks, "S": S, "L": L, "d": d, "dynamic": dynamic,
                          "temporal_kernel": temporal_kernel, "dilations": dilations}
        self.num_joints, self.root, self.root_relative = J, skeleton.root, opt.root_relative
        self.causal = opt.causal
        self._init_zscore(J, opt.zscore)  # skelgnn.models.zscore; off: no buffers
        hcsf = {"S": S, "d": d, "weight_mode": opt.weight_mode, "squeeze": opt.squeeze,
                "short_range": opt.short_range}

        def layer(kernel: int, dilation: int, temporal: bool) -> DHCSF:
            conv: TemporalConv | None = None
            if temporal:
                conv = (TemporalTaps(C, 3, dilation) if opt.temporal_mix == "graph"
                        else TemporalConv(C, C, 3, dilation, bias=False))
            return DHCSF(
                HCSF(masks, C if conv is None else conv.out_channels, C, **hcsf),
                HopGraph(masks, C, dynamic=dynamic, temporal_kernel=kernel, dilation=dilation,
                         mask_dynamic=opt.mask_dynamic, init=opt.graph_init, o_norm=opt.o_norm,
                         o_scale=opt.o_scale, o_gate=opt.o_gate, o_window=opt.o_window),
                conv, causal=opt.causal,
            )

        c_in = 4 if self.root_relative else 2
        if opt.input_layer == "graph":
            self.embed = DHCSF(HCSF(masks, c_in, C, **hcsf),
                               HopGraph(masks, c_in, dynamic="m" if dynamic in ("m", "mo") else "none",
                                        init=opt.graph_init))
        else:
            self.embed = JointLinear(J, c_in, C)
        self.embed_post = _Post(J, C, opt.dropout)
        self.blocks = nn.ModuleList(
            _Block(layer(temporal_kernel, dilations[b] if dilations else 1, bool(dilations)),
                   layer(1, 1, False), J, C, opt.dropout)
            for b in range(num_blocks)
        )
        self.head = JointLinear(J, C, 3)
        self.receptive_field = 1 + sum(block.frames_consumed for block in self.blocks)
        spacing, self.supports_strided = 1, True  # block b must see frames spaced by its dilation
        for block in self.blocks:
            temporal = block.first.temporal
            ok = block.first.supports_strided() and block.second.supports_strided()
            if temporal is not None:
                ok = ok and temporal.dilation == spacing
                spacing *= temporal.kernel_size
            self.supports_strided = self.supports_strided and ok
        self.supports_strided = self.supports_strided and spacing == self.receptive_field
        self.windowed = any(layer.graph.per_clip for block in self.blocks
                            for layer in (block.first, block.second))

    @classmethod
    def from_kwargs(cls, skeleton: Skeleton, **kwargs) -> SkeletalGNN:
        """Build from one flat table (a config's ``model.kwargs``, a checkpoint's): the keys of
        :data:`ARGUMENTS` go to the constructor, those of :class:`SkeletalGNNOptions` into ``options``.

        Example:
            >>> from skelgnn import H36M_17
            >>> SkeletalGNN.from_kwargs(H36M_17, channels=128, o_gate=True).options.o_gate
            True
        """
        removed = sorted(set(kwargs) & set(REMOVED))
        if removed:
            raise SkelgnnError(f"{', '.join(removed)}: removed in skelgnn 0.3.0 (docs/models.md); leave "
                               f"{'it' if len(removed) == 1 else 'them'} out")
        unknown = sorted(set(kwargs) - set(ARGUMENTS) - set(OPTIONS))
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {unknown}; known: {sorted(ARGUMENTS + OPTIONS)}")
        options = SkeletalGNNOptions(**{k: v for k, v in kwargs.items() if k in OPTIONS})
        return cls(skeleton, options=options, **{k: v for k, v in kwargs.items() if k in ARGUMENTS})

    def as_kwargs(self) -> dict:
        """The flat table that :meth:`from_kwargs` rebuilds this model from: every constructor keyword and
        the options that differ from the defaults."""
        return {**self.arguments, "dilations": list(self.arguments["dilations"]), **self.options.changed()}

    def clear_cache(self) -> None:
        """Drop the folded weights kept for inference (call it after editing weights in place by hand)."""
        for module in self.modules():
            if isinstance(module, DHCSF):
                module.clear_cache()

    def extra_repr(self) -> str:
        a = self.arguments
        s = ", ".join(f"{k}={v}" for k, v in (("channels", a["channels"]), ("blocks", a["num_blocks"]),
                                              ("S", a["S"]), ("L", a["L"]), ("d", a["d"]),
                                              ("weight_mode", self.options.weight_mode),
                                              ("dynamic", a["dynamic"]), ("F", a["temporal_kernel"]),
                                              ("dilations", a["dilations"])))
        extra = {k: v for k, v in self.options.changed().items() if k != "weight_mode"}
        s += "".join(f", {k}={v}" for k, v in extra.items())
        return (f"{s}, receptive_field={self.receptive_field}\n"
                "(paper's widths, depth, squeeze rule and temporal design unpublished: ours, see module doc)")

    def forward(self, joints_2d: Tensor, strided: bool = False) -> Tensor:
        shape = tuple(joints_2d.shape)
        if len(shape) != 4 or shape[2:] != (self.num_joints, 2):
            raise ShapeError(
                f"skeletal_gnn: joints_2d must have shape (B, T, {self.num_joints}, 2), got {shape}")
        if shape[1] < self.receptive_field:
            raise ShapeError(f"skeletal_gnn: needs T >= {self.receptive_field} frames (receptive field), "
                             f"got T={shape[1]}")
        if strided:
            if self.windowed:
                raise SkelgnnError("skeletal_gnn: strided=True is not available with o_window='clip' (one "
                                   "graph from every frame of the window; the strided variant sees only the "
                                   "dilated frames); train on plain receptive-field windows")
            if not self.supports_strided:
                raise SkelgnnError("skeletal_gnn: strided=True needs temporal convolutions at dilations "
                                   "1, 3, 9, … with graph windows no wider than them (the t27/t81 layouts)")
            if shape[1] != self.receptive_field:
                raise ShapeError(f"skeletal_gnn: strided=True needs exactly T = {self.receptive_field} "
                                 f"frames (the receptive field), got T={shape[1]}")
        if self.windowed and shape[1] > self.receptive_field:  # one window per output frame, batched
            B, T_out = shape[0], shape[1] - self.receptive_field + 1
            y = self.forward(sliding_windows(joints_2d, self.receptive_field))  # (B·T', 1, J, 3)
            return y.view(B, T_out, self.num_joints, 3)
        joints_2d = self._zscore_input(joints_2d)
        if self.root_relative:
            root = joints_2d[:, :, self.root:self.root + 1].expand_as(joints_2d)  # (B, T, J, 2)
            joints_2d = torch.cat([joints_2d - root, root], dim=-1)  # (B, T, J, 4)
        x = self.embed_post(self.embed(joints_2d))  # (B, T, J, C)
        for block in self.blocks:
            x = block(x, strided)  # (B, T - consumed, J, C); strided: (B, T / stride, J, C)
        return self._zscore_output(self.head(x))  # (B, T', J, 3)


@register("skeletal_gnn")
def skeletal_gnn(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """Single frame, D-HCSF with M_k + O_k (the paper's full model)."""
    return SkeletalGNN.from_kwargs(skeleton, **kwargs)


@register("skeletal_gnn_static")
def skeletal_gnn_static(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """Single frame, plain HCSF on the fixed exact-k skeleton graphs."""
    return SkeletalGNN.from_kwargs(skeleton, **{"dynamic": "none", **kwargs})


@register("skeletal_gnn_rel")
def skeletal_gnn_rel(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """Ours: single-frame D-HCSF fed root-relative 2D plus the root position (``root_relative``)."""
    return SkeletalGNN.from_kwargs(skeleton, **{"root_relative": True, **kwargs})


@register("skeletal_gnn_plus")
def skeletal_gnn_plus(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """Ours: single frame, every ablation choice that lowered the validation MPJPE on HDM05-Lift.

    Root-relative input, no channel squeezing (d = 1), hops up to L = 8, per-joint-pair weights
    (``weight_mode="lcn"``) and the learnable graph M_k without O_k. Picked on the validation clips
    of the training actors (configs/benchmark_hdm05.toml ablations), never on the test actors.
    """
    defaults = {"root_relative": True, "d": 1.0, "L": 8, "weight_mode": "lcn", "dynamic": "m"}
    return SkeletalGNN.from_kwargs(skeleton, **{**defaults, **kwargs})


@register("skeletal_gnn_t27")
def skeletal_gnn_t27(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """27 frames: 3 blocks at dilations 1, 3, 9, D-HCSF with F = 3."""
    kwargs = {"dilations": (1, 3, 9), "temporal_kernel": 3, **kwargs}
    return SkeletalGNN.from_kwargs(skeleton, **{"num_blocks": len(kwargs["dilations"]), **kwargs})


@register("skeletal_gnn_t81")
def skeletal_gnn_t81(skeleton: Skeleton, **kwargs) -> SkeletalGNN:
    """81 frames: 4 blocks at dilations 1, 3, 9, 27, D-HCSF with F = 3."""
    kwargs = {"dilations": (1, 3, 9, 27), "temporal_kernel": 3, **kwargs}
    return SkeletalGNN.from_kwargs(skeleton, **{"num_blocks": len(kwargs["dilations"]), **kwargs})


# ---------------------------------------------------------------------------- checkpoint migrations
# Each function rewrites the model description of a checkpoint written before a version into that version's
# form (skelgnn.models.registry.register_migration); it must leave a description already in that form alone.
_BUILDERS = ("skeletal_gnn", "skeletal_gnn_static", "skeletal_gnn_rel", "skeletal_gnn_plus",
             "skeletal_gnn_t27", "skeletal_gnn_t81")
_DEFAULT_DYNAMIC = {"skeletal_gnn_static": "none", "skeletal_gnn_plus": "m"}  # the builders' own; else "mo"


@register_migration(*_BUILDERS, before="0.3.0")
def _drop_removed_switches(name: str, kwargs: dict, state_dict: dict) -> tuple[dict, dict]:
    """0.3.0 removed ``norm`` and ``graph_hidden``: a checkpoint that set them to what the model does anyway
    (``norm="joint"``; ``graph_hidden`` unset, C / 4, or without an O_k) loads without them; any other value
    is refused, naming the last version that builds it. The weights are unchanged."""
    kwargs = dict(kwargs)
    if kwargs.get("norm", "joint") != "joint":
        raise SkelgnnError(f"norm={kwargs['norm']!r} (BatchNorm per channel) was removed in skelgnn 0.3.0; "
                           "load this checkpoint with skelgnn 0.2")
    kwargs.pop("norm", None)
    hidden = kwargs.pop("graph_hidden", None)
    if hidden is not None:
        channels = kwargs.get("channels", 64)
        dynamic = kwargs.get("dynamic", _DEFAULT_DYNAMIC.get(name, "mo"))
        with_o = dynamic in ("o", "mo")
        if with_o and hidden != max(1, int(channels) // 4):
            raise SkelgnnError(f"graph_hidden={hidden!r} (C_h of θ_k, φ_k other than C / 4) was removed in "
                               "skelgnn 0.3.0; load this checkpoint with skelgnn 0.2")
    return kwargs, state_dict
