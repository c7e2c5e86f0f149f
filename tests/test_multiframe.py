"""The multi-frame D-HCSF layers (temporal convolution or stacked taps, an O_k window of F frames, strided
training) against a slow, obvious float64 reference written frame by frame, hop by hop and joint by joint;
and the multi-frame models against outputs and gradients saved before their layers were rewritten for
speed (tests/data/make_multiframe_fixture.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skelgnn import H36M_17
from skelgnn.core.skeleton import Skeleton
from skelgnn.models import build
from skelgnn.models.hcsf import DHCSF, HCSF, HopGraph
from skelgnn.models.layers import TemporalConv, TemporalTaps

# a small branching skeleton, so that the joint-by-joint loops stay quick: hop distances up to 4
SMALL = Skeleton("small", ("root", "a", "b", "c", "d", "e", "f"), (-1, 0, 1, 2, 0, 4, 1), (), ())


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# ---------------------------------------------------------------------------- the slow reference
def _ref_conv(conv: TemporalConv, x: torch.Tensor, frames: list[int]) -> torch.Tensor:
    """One output frame of a temporal convolution (or of the stacked taps) from the input frames
    ``frames`` (its F taps, in order), tap by tap. x (N, T, J, C_in) -> (N, J, C_out)."""
    if isinstance(conv, TemporalTaps):
        return torch.cat([x[:, f] for f in frames], dim=-1)  # tap-major
    C_in, F = x.shape[-1], conv.kernel_size
    w = conv.linear.weight.view(-1, C_in, F)  # the linear layer reads the taps channel-major, tap-minor
    y = sum(x[:, f] @ w[:, :, m].T for m, f in enumerate(frames))
    return y if conv.linear.bias is None else y + conv.linear.bias


def _ref_logits(graph: HopGraph, x: torch.Tensor, frames: list[int]) -> torch.Tensor:
    """θ_k(x)_i · φ_k(x)_j of one graph frame, hop by hop and joint pair by joint pair: (N, L+1, J, J)."""
    emb = _ref_conv(graph.embed, x, frames)  # (N, J, 2·(L+1)·C_h)
    N, J, _ = emb.shape
    K = graph.num_hops
    theta, phi = emb.view(N, J, 2, K, -1).unbind(2)  # (N, J, L+1, C_h)
    logits = x.new_zeros(N, K, J, J)
    for k in range(K):
        for i in range(J):
            for j in range(J):
                logits[:, k, i, j] = (theta[:, i, k] * phi[:, j, k]).sum(-1)
    return logits


def _ref_graph_from_logits(graph: HopGraph, logits: torch.Tensor, frames_summed: int) -> torch.Tensor:
    """G_k = M_k·A_k + gate·norm(scale·logits), entry by entry where a mask applies. (N, L+1, J, J)."""
    C_h = graph.embed.out_channels // (2 * graph.num_hops)
    if graph.o_scale != 1.0 or graph.scale_frames:  # o_scale: 1/√C_h, per clip 1/√(C_h·T_h)
        logits = logits * (C_h ** -0.5 * (frames_summed ** -0.5 if graph.per_clip else 1.0))
    mask = graph.mask
    if graph.o_norm == "softmax":
        o = torch.zeros_like(logits)
        K, J = mask.shape[:2]
        for k in range(K):
            for i in range(J):
                cols = [j for j in range(J) if not graph.mask_dynamic or mask[k, i, j]]
                if cols:
                    o[:, k, i, cols] = torch.softmax(logits[:, k, i, cols], dim=-1)
    else:
        o = torch.tanh(logits)
        if graph.mask_dynamic:
            o = o * mask
    if graph.gate is not None:
        o = o * graph.gate
    return o if graph.m is None else o + graph.m * mask


def _ref_hcsf(layer: HCSF, x: torch.Tensor, g: torch.Tensor, skeleton: Skeleton) -> torch.Tensor:
    """One frame of an HCSF layer on graph g (N, L+1, J, J): h_i^(k) = Σ_j G_k[i, j] · W^(k) x_j (shared)
    or Σ_{j at hop k} G_k[i, j] · W^(k)_ij x_j (lcn) joint by joint, then H_a and W_a. x (N, J, C_in)."""
    N, J, _ = x.shape
    widths, S = layer.widths, layer.S
    L = len(widths) - 1
    hops = [x.new_zeros(N, J, widths[k]) for k in range(L + 1)]
    start = 0
    if layer.weight_mode == "shared":
        for k in range(L + 1):
            w = layer.hops.weight[start:start + widths[k]]  # (C_k, C_in)
            start += widths[k]
            for i in range(J):
                for j in range(J):
                    hops[k][:, i] += g[:, k, i, j, None] * (x[:, j] @ w.T)
    else:
        for k, i, j in zip(*np.nonzero(skeleton.hop_masks(L))):  # pairs in storage order
            w = layer.hops.weight[:, start:start + widths[k]]  # (C_in, C_k)
            start += widths[k]
            hops[k][:, i] += g[:, k, i, j, None] * (x[:, j] @ w)
    short = [sum(hops[: S + 1])] if layer.sum_short else hops[: S + 1]
    return layer.fuse(torch.cat(short + hops[S + 1:], dim=-1))


def _reference(layer: DHCSF, x: torch.Tensor, skeleton: Skeleton, strided: bool = False) -> torch.Tensor:
    """A D-HCSF layer output frame by output frame. Plain: the centre T − frames_consumed frames, output
    frame t reading input frames t + start + m·dilation. Strided: one frame per group of ``step`` frames,
    the taps of the group's centre read from consecutive frames. x (N, T, J, C_in) -> (N, T', J, C)."""
    T = x.shape[1]
    conv, graph = layer.temporal, layer.graph
    embed = graph.embed
    F_g = 1 if embed is None else embed.kernel_size
    if strided and conv is not None:
        step = conv.kernel_size
        starts = [g * step for g in range(T // step)]
        conv_taps = [[s + (step - conv.kernel_size) // 2 + m for m in range(step)] for s in starts]
        graph_taps = [[s + (step - F_g) // 2 + m for m in range(F_g)] for s in starts]
    else:
        T_out = T - layer.frames_consumed
        d_c = 1 if conv is None else conv.dilation
        d_g = 1 if embed is None else embed.dilation
        fc_c = 0 if conv is None else conv.frames_consumed
        fc_g = graph.frames_consumed
        s_c, s_g = (layer.frames_consumed - fc_c) // 2, (layer.frames_consumed - fc_g) // 2
        conv_taps = [[t + s_c + m * d_c for m in range(1 if conv is None else conv.kernel_size)]
                     for t in range(T_out)]
        graph_taps = [[t + s_g + m * d_g for m in range(F_g)] for t in range(T_out)]
    clip = None
    if graph.per_clip:  # one graph from every frame the embedding can see
        T_h = T - graph.frames_consumed
        logits = sum(_ref_logits(graph, x, [s + m * embed.dilation for m in range(F_g)]) for s in range(T_h))
        clip = _ref_graph_from_logits(graph, logits, T_h)
    out = []
    for taps_c, taps_g in zip(conv_taps, graph_taps):
        features = x[:, taps_c[0]] if conv is None else _ref_conv(conv, x, taps_c)
        if clip is not None:
            g = clip
        elif embed is None:
            g = (graph.m * graph.mask).expand(x.shape[0], -1, -1, -1)  # fixed A_k or learnable M_k
        else:
            g = _ref_graph_from_logits(graph, _ref_logits(graph, x, taps_g), 1)
        out.append(_ref_hcsf(layer.hcsf, features, g, skeleton))
    return torch.stack(out, dim=1)


# ---------------------------------------------------------------------------- layer cases
def _dhcsf(skeleton=SMALL, C=4, L=4, weight_mode="shared", temporal="conv", kernel=3, dilation=1,
           graph_kernel=3, graph_dilation=None, dynamic="mo", hcsf=None, **graph_kw) -> DHCSF:
    masks = skeleton.hop_masks(L)
    conv = None
    if temporal == "conv":
        conv = TemporalConv(C, C, kernel, dilation, bias=graph_kw.pop("conv_bias", False))
    elif temporal == "taps":
        conv = TemporalTaps(C, kernel, dilation)
    return DHCSF(HCSF(masks, C if conv is None else conv.out_channels, C + 1, weight_mode=weight_mode,
                      **(hcsf or {})),
                 HopGraph(masks, C, dynamic=dynamic, temporal_kernel=graph_kernel,
                          dilation=dilation if graph_dilation is None else graph_dilation, **graph_kw),
                 conv)


LAYERS = {
    "mo": {},
    "mo-lcn": dict(weight_mode="lcn", hcsf=dict(d=1.0)),
    "mo-lcn-squeezed": dict(weight_mode="lcn", hcsf=dict(S=0, short_range="per_hop")),
    "mo-dilation3": dict(dilation=3),
    "mo-bias": dict(conv_bias=True, hcsf=dict(squeeze="k-L")),
    "taps": dict(temporal="taps"),
    "taps-lcn": dict(temporal="taps", weight_mode="lcn", dilation=2),
    "graph-window-1": dict(graph_kernel=1),
    "no-conv-F3": dict(temporal=None, graph_dilation=2),
    "no-conv-F1": dict(temporal=None, graph_kernel=1),
    "o-masked-softmax-scaled-gated": dict(dynamic="o", mask_dynamic=True, o_norm="softmax", o_scale=True,
                                          o_gate=True),
    "mo-masked-tanh-scaled": dict(mask_dynamic=True, o_scale=True, init="sym"),
    "m": dict(dynamic="m"),
    "none-lcn": dict(dynamic="none", weight_mode="lcn"),
    "clip": dict(o_window="clip", o_scale=True),
    "clip-lcn-softmax": dict(o_window="clip", weight_mode="lcn", o_norm="softmax", mask_dynamic=True,
                             dilation=2),
}


def _prepared(name: str) -> DHCSF:
    torch.manual_seed(0)
    layer = _dhcsf(**dict(LAYERS[name])).double()
    with torch.no_grad():
        if layer.graph.gate is not None:
            layer.graph.gate.uniform_(0.5, 1.5)
        if layer.graph.m is not None and isinstance(layer.graph.m, torch.nn.Parameter):
            layer.graph.m.add_(torch.rand_like(layer.graph.m) * 0.3)  # off the normalised skeleton
    return layer


def _check(fast: torch.Tensor, ref: torch.Tensor, layer: DHCSF, x: torch.Tensor) -> None:
    torch.testing.assert_close(fast, ref, rtol=1e-10, atol=1e-10)
    params = list(layer.parameters())
    w = torch.randn(fast.shape, generator=torch.Generator().manual_seed(5), dtype=fast.dtype)
    grads = [torch.autograd.grad((out * w).sum(), params + [x]) for out in (fast, ref)]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", list(LAYERS))
def test_multiframe_layer_equals_the_frame_by_frame_reference(name):
    """Plain (dilated) forward: outputs and the gradients of every parameter and of the input, float64."""
    layer = _prepared(name)
    T = layer.frames_consumed + 3
    x = torch.randn(2, T, SMALL.num_joints, 4, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64, requires_grad=True)
    fast = layer(x)
    assert fast.shape == (2, 3, SMALL.num_joints, 5)
    _check(fast, _reference(layer, x, SMALL), layer, x)


@pytest.mark.parametrize("name", [n for n in LAYERS if not n.startswith(("clip", "no-conv-F3"))])
def test_strided_multiframe_layer_equals_the_frame_by_frame_reference(name):
    """strided=True: one output frame per group of ``stride`` frames, outputs and gradients, float64."""
    layer = _prepared(name)
    assert layer.supports_strided()
    x = torch.randn(2, 3 * layer.stride, SMALL.num_joints, 4, generator=torch.Generator().manual_seed(2),
                    dtype=torch.float64, requires_grad=True)
    fast = layer(x, strided=True)
    assert fast.shape == (2, 3 if layer.temporal is not None else 3 * layer.stride, SMALL.num_joints, 5)
    _check(fast, _reference(layer, x, SMALL, strided=layer.temporal is not None), layer, x)


def test_layer_cases_cover_both_weight_modes_windows_and_temporal_mixes():
    kinds = {(layer.hcsf.weight_mode, layer.graph.o_window, type(layer.temporal).__name__,
              layer.graph.embed is not None) for layer in map(_prepared, LAYERS)}
    for mode in ("shared", "lcn"):
        for window in ("frame", "clip"):
            assert any(k[0] == mode and k[1] == window and k[3] for k in kinds), (mode, window)
        assert any(k[0] == mode and k[2] == "TemporalTaps" for k in kinds)
    assert any(k[2] == "NoneType" and k[3] for k in kinds)


# ---------------------------------------------------------------------------- whole models, saved outputs
FIXTURE = Path(__file__).parent / "data" / "multiframe_89faf8d.pt"


def test_multiframe_checkpoints_give_the_saved_outputs_and_gradients():
    """Models saved with the layers as written before the speed rewrite (commit 89faf8d,
    tests/data/make_multiframe_fixture.py) load with the same state_dict keys and shapes and give the
    same outputs (plain and strided) and the same gradients (relative 1e-5, float32)."""
    cases = torch.load(FIXTURE, weights_only=True)
    assert len(cases) == 8
    for case in cases:
        model = build(case["name"], H36M_17, **case["kwargs"])
        state = model.state_dict()
        assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in case["state_dict"].items()}
        model.load_state_dict(case["state_dict"])
        model.eval()
        with torch.no_grad():
            y = model(case["x"])
        assert (y - case["y"]).abs().max() <= 1e-5 * case["y"].abs().max(), case["kwargs"]
        if "y_strided" not in case:
            assert model.windowed
            continue
        ys = model(case["x_strided"], strided=True)
        assert (ys - case["y_strided"]).abs().max() <= 1e-5 * case["y_strided"].abs().max(), case["kwargs"]
        params = dict(model.named_parameters())
        grads = torch.autograd.grad(ys.square().sum(), list(params.values()))
        for key, grad in zip(params, grads):
            saved = case["grads"][key]
            assert (grad - saved).abs().max() <= 1e-5 * max(saved.abs().max(), 1e-3), (case["kwargs"], key)
