"""Paper-specific behaviour of the HCSF / D-HCSF layers and the Skeletal GNN lifter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skelgnn import H36M_16, H36M_17, SkelgnnError
from skelgnn.models import build
from skelgnn.models.hcsf import DHCSF, HCSF, HopGraph, squeeze_widths

J = H36M_17.num_joints
DIST = torch.tensor(H36M_17.hop_distances)  # (J, J)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _x(N=2, T=1, C=8, seed=0, joints=J):
    return torch.randn(N, T, joints, C, generator=torch.Generator().manual_seed(seed))


def _layer(L=4, S=1, d=0.5, C=8, weight_mode="shared", **kw):
    torch.manual_seed(0)
    return HCSF(H36M_17.hop_masks(L), C, C, S=S, d=d, weight_mode=weight_mode, **kw)


# ---------------------------------------------------------------------------- channel squeezing
def test_squeeze_widths_follow_the_schedule():
    assert squeeze_widths(128, S=1, L=4, d=0.5) == (128, 128, 64, 32, 16)
    assert squeeze_widths(128, S=2, L=4, d=0.25) == (128, 128, 128, 32, 8)
    assert squeeze_widths(128, S=1, L=4, d=0.5, rule="k-L") == (128, 128, 512, 256, 128)
    assert squeeze_widths(4, S=0, L=3, d=0.1) == (4, 1, 1, 1)  # at least one channel
    layer = _layer(C=128)
    assert layer.widths == (128, 128, 64, 32, 16)
    assert layer.fused_width == layer.fuse.in_features == 240
    assert _layer(C=128, short_range="per_hop").fused_width == 2 * 128 + 112


@pytest.mark.parametrize("weight_mode", ["shared", "lcn"])
def test_unsqueezed_layer_when_d_is_one_or_L_equals_S(weight_mode):
    C = 8
    for L, S, d in ((1, 1, 0.5), (3, 3, 0.25), (4, 1, 1.0)):
        layer = _layer(L=L, S=S, d=d, C=C, weight_mode=weight_mode)
        assert layer.widths == (C,) * (L + 1)
        assert layer.fused_width == C * (1 + L - S)
        graph = HopGraph(H36M_17.hop_masks(L), C, dynamic="none")
        assert layer(_x(C=C), graph(None)).shape == (2, 1, J, C)


# ---------------------------------------------------------------------------- exact-k hop sets
# ---------------------------------------------------------------------------- a slow, obvious reference
def _reference_hops(layer: HCSF, x: torch.Tensor, graph: torch.Tensor) -> list[torch.Tensor]:
    """h_i^(k) = Σ_j G_k[i, j] · W^(k) x_j (shared) or Σ_{j: d(i,j) = k} G_k[i, j] · W^(k)_ij x_j (lcn), with
    loops over hops, joints and pairs, straight from the stored parameters. Returns L+1 tensors (N, T, J,
    C_k)."""
    N, T, _, _ = x.shape
    widths, L = layer.widths, len(layer.widths) - 1
    g = graph.expand(N, T, L + 1, J, J) if graph.dim() == 3 else graph
    hops = [x.new_zeros(N, T, J, widths[k]) for k in range(L + 1)]
    if layer.weight_mode == "shared":
        start = 0
        for k in range(L + 1):
            w = layer.hops.weight[start:start + widths[k]]  # (C_k, C_in)
            start += widths[k]
            for i in range(J):
                for j in range(J):
                    hops[k][:, :, i] += g[:, :, k, i, j, None] * (x[:, :, j] @ w.T)
    else:
        start = 0
        for k, i, j in zip(*np.nonzero(H36M_17.hop_masks(L))):  # pairs in storage order
            w = layer.hops.weight[:, start:start + widths[k]]  # (C_in, C_k)
            start += widths[k]
            hops[k][:, :, i] += g[:, :, k, i, j, None] * (x[:, :, j] @ w)
    return hops


def _reference_layer(layer: HCSF, x: torch.Tensor, graph: torch.Tensor) -> torch.Tensor:
    """H_a = [Σ_{k≤S} h^(k) (or each of them) ‖ h^(S+1) ‖ … ‖ h^(L)], y = W_a H_a + b, step by step."""
    hops, S = _reference_hops(layer, x, graph), layer.S
    short = [sum(hops[: S + 1])] if layer.sum_short else hops[: S + 1]
    return layer.fuse(torch.cat(short + hops[S + 1:], dim=-1))


CASES = [dict(), dict(S=0, d=0.25), dict(S=2, short_range="per_hop"), dict(L=6, squeeze="k-L"),
         dict(L=8, d=1.0),
         dict(weight_mode="lcn"), dict(weight_mode="lcn", L=8, d=1.0), dict(weight_mode="lcn", S=0, d=0.5,
                                                                            short_range="per_hop")]


@pytest.mark.parametrize("kw", CASES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "default")
@pytest.mark.parametrize("graph_kind", ["static", "dynamic"])
def test_fast_layer_equals_the_step_by_step_reference(kw, graph_kind):
    L = kw.get("L", 4)
    layer = _layer(**{"L": L, **{k: v for k, v in kw.items() if k != "L"}}, C=6)
    g = torch.Generator().manual_seed(1)
    if graph_kind == "static":
        graph = torch.rand(L + 1, J, J, generator=g) * torch.as_tensor(H36M_17.hop_masks(L))
    else:
        graph = torch.randn(3, 2, L + 1, J, J, generator=g)
    x = torch.randn(3, 2, J, 6, generator=g, dtype=torch.float64)
    layer = layer.double()
    graph = graph.double()
    fast, ref = layer(x, graph), _reference_layer(layer, x, graph)
    torch.testing.assert_close(fast, ref, rtol=1e-10, atol=1e-10)
    # the same gradients for every parameter
    grads = [torch.autograd.grad(out.square().sum(), list(layer.parameters())) for out in (fast, ref)]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_old_checkpoints_give_the_same_outputs():
    """Models saved with the step-by-step layers (commit 09b760a; tests/data/make_layers_fixture.py) load
    into the fast layers and give the same outputs (relative 1e-5)."""
    from pathlib import Path

    cases = torch.load(Path(__file__).parent / "data" / "layers_09b760a.pt", weights_only=True)
    assert len(cases) == 13
    for case in cases:
        model = build(case["name"], H36M_17, **case["kwargs"])
        model.load_state_dict(case["state_dict"])
        with torch.no_grad():
            y = model.eval()(case["x"])
            y_again = model(case["x"])  # the second call reads the cached dense weight
        scale = case["y"].abs().max()
        for out in (y, y_again):
            assert (out - case["y"]).abs().max() <= 1e-5 * scale, (case["name"], case["kwargs"])


def _cached_model():
    """A model whose fixed-graph layers fold a dense weight, with its first output (eval, no grad)."""
    torch.manual_seed(0)
    model = build("skeletal_gnn_plus", H36M_17, channels=8).eval()
    x = torch.randn(2, 1, J, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = model(x)
    assert model.blocks[0].first._dense_cache is not None  # the folded weight is kept
    return model, x, before


def _fresh(model, x):
    """The output computed without any kept weight."""
    model.clear_cache()
    with torch.no_grad():
        return model(x)


def test_cached_dense_weight_is_dropped_by_clear_cache_after_an_edit_by_hand():
    model, x, before = _cached_model()
    with torch.no_grad():
        model.blocks[0].first.hcsf.fuse.weight.mul_(2.0)  # in place, by hand: the documented call follows
        model.clear_cache()
        after = model(x)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, _fresh(model, x), rtol=0, atol=0)


def test_cached_dense_weight_is_dropped_after_an_optimizer_step():
    model, x, before = _cached_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    model(torch.randn(8, 1, J, 2)).square().mean().backward()  # eval mode with autograd: BatchNorm unchanged
    with torch.no_grad():
        assert torch.equal(model(x), before)  # cached again, weights unchanged so far
    opt.step()  # the step changes the weights of an eval-mode model that holds a folded weight
    with torch.no_grad():
        after = model(x)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, _fresh(model, x), rtol=0, atol=0)


def test_cached_dense_weight_is_dropped_by_load_state_dict_and_train():
    model, x, before = _cached_model()
    torch.manual_seed(5)
    other = build("skeletal_gnn_plus", H36M_17, channels=8).eval()
    with torch.no_grad():
        expected = other(x)
        model.load_state_dict(other.state_dict())  # copies in place into the same storage
        assert model.blocks[0].first._dense_cache is None
        loaded = model(x)
    torch.testing.assert_close(loaded, expected, rtol=0, atol=0)
    assert not torch.allclose(before, loaded)
    model.train()
    assert all(m._dense_cache is None for m in model.modules() if isinstance(m, DHCSF))
    with torch.no_grad():
        model.blocks[0].first.hcsf.fuse.weight.mul_(2.0)  # in train mode nothing is kept
        model.eval()
        torch.testing.assert_close(model(x), _fresh(model, x), rtol=0, atol=0)


def test_cached_dense_weight_follows_dtype_and_device():
    model, x, before = _cached_model()
    with torch.no_grad():
        double = model.double()(x.double())
    assert double.dtype == torch.float64
    torch.testing.assert_close(double.float(), before, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        torch.testing.assert_close(model.float()(x), before, rtol=1e-5, atol=1e-6)


def test_no_cache_is_keyed_on_private_torch_fields():
    import inspect

    from skelgnn.models import hcsf, hops, skeletal_gnn

    for module in (hcsf, hops, skeletal_gnn):
        assert "_version" not in inspect.getsource(module)


@pytest.mark.parametrize("weight_mode", ["shared", "lcn"])
def test_exact_k_masks_are_used(weight_mode):
    L = 3
    layer = _layer(L=L, weight_mode=weight_mode)
    graph = HopGraph(H36M_17.hop_masks(L), 8, dynamic="none")(None)
    x = _x()
    with torch.no_grad():
        base_hops, base = _reference_hops(layer, x, graph), layer(x, graph)
        for j in range(J):
            y = x.clone()
            y[:, :, j] += 1.0
            hops_changed = torch.stack([(a - b).abs().amax(dim=(0, 1, 3)) > 1e-6  # (L+1, J)
                                        for a, b in zip(_reference_hops(layer, y, graph), base_hops)])
            out_changed = (layer(y, graph) - base).abs().amax(dim=(0, 1, 3)) > 1e-6  # (J,)
            for k in range(L + 1):  # hop k of joint i sees joint j iff d(i, j) == k exactly
                assert torch.equal(hops_changed[k], DIST[:, j] == k), (j, k)
            assert torch.equal(out_changed, DIST[:, j] <= L), j



def test_fixed_graph_is_the_normalised_skeleton_graph():
    L = 4
    masks = H36M_17.hop_masks(L).astype(np.float32)
    graph = HopGraph(masks > 0, 8, dynamic="none")
    assert not list(graph.parameters()) and not graph.state_dict()
    row = masks / np.maximum(masks.sum(-1, keepdims=True), 1)
    np.testing.assert_allclose(graph(_x()).numpy(), row, rtol=1e-6)
    np.testing.assert_allclose(HopGraph(masks > 0, 8, dynamic="none", init="binary")(None).numpy(), masks)
    sym = HopGraph(masks > 0, 8, dynamic="none", init="sym")(None).numpy()
    np.testing.assert_allclose(sym, sym.transpose(0, 2, 1), rtol=1e-6)
    # the learnable M_k starts at the same graph, so a "m" layer equals the static layer at init
    layer = _layer(L=L)
    x = _x()
    static = DHCSF(layer, HopGraph(masks > 0, 8, dynamic="none"))(x)
    learnable = DHCSF(layer, HopGraph(masks > 0, 8, dynamic="m"))(x)
    torch.testing.assert_close(static, learnable, rtol=0, atol=0)


# ---------------------------------------------------------------------------- dynamic graph
def test_dynamic_graph_depends_on_the_input_and_m_does_not():
    masks = H36M_17.hop_masks(4)
    torch.manual_seed(0)
    graph = HopGraph(masks, 8, dynamic="mo")
    x1, x2 = _x(seed=1), _x(seed=2)
    o1, o2 = graph.dynamic_graph(x1), graph.dynamic_graph(x2)
    assert o1.shape == (2, 1, 5, J, J)
    assert (o1 - o2).abs().max() > 1e-3
    assert o1.abs().max() < 1 and o2.abs().max() < 1
    m = graph.static_graph()
    assert m.shape == (5, J, J) and isinstance(graph.m, torch.nn.Parameter)
    torch.testing.assert_close(graph(x1), o1 + m)
    torch.testing.assert_close(graph(x1) - graph(x2), o1 - o2)
    # M_k lives on the exact-k pairs; O_k is dense unless masked
    assert torch.all(m[torch.as_tensor(~masks)] == 0)
    assert (o1[..., torch.as_tensor(~masks)] != 0).any()
    masked = HopGraph(masks, 8, dynamic="o", mask_dynamic=True)
    assert masked.static_graph() is None
    assert torch.all(masked(x1)[..., torch.as_tensor(~masks)] == 0)


def test_dynamic_graph_sees_only_its_frame_window():
    torch.manual_seed(0)
    graph = HopGraph(H36M_17.hop_masks(2), 8, dynamic="o", temporal_kernel=3, dilation=2)
    assert graph.frames_consumed == 4
    x = _x(T=9)
    base = graph(x)  # (N, 5, 3, J, J): output frame t from input frames t, t+2, t+4
    assert base.shape == (2, 5, 3, J, J)
    for frame in range(9):
        y = x.clone()
        y[:, frame] += 1.0
        changed = (graph(y) - base).abs().amax(dim=(0, 2, 3, 4)) > 1e-6  # (5,)
        expected = torch.tensor([frame - t in (0, 2, 4) for t in range(5)])
        assert torch.equal(changed, expected), frame


# ---------------------------------------------------------------------------- modes and edge cases
@pytest.mark.parametrize("weight_mode", ["shared", "lcn"])
@pytest.mark.parametrize("dynamic", ["none", "mo"])
@pytest.mark.parametrize("L", [4, 8, 10])
def test_empty_hop_sets_give_finite_output(weight_mode, dynamic, L):
    masks = H36M_17.hop_masks(L)
    assert L <= 4 or not masks[L].all(-1).any()  # some joints have an empty hop-L set
    torch.manual_seed(0)
    layer = DHCSF(HCSF(masks, 8, 8, S=1, d=0.5, weight_mode=weight_mode), HopGraph(masks, 8, dynamic=dynamic))
    x = _x().requires_grad_()
    out = layer(x)
    out.square().sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()


def test_lcn_layer_equals_shared_layer_with_tied_weights():
    L, C = 3, 8
    masks = H36M_17.hop_masks(L)
    shared, lcn = _layer(L=L, C=C), _layer(L=L, C=C, weight_mode="lcn")
    # lcn stores only the pairs inside the hop sets: C_in · Σ_pairs C_k hop weights
    pairs = masks.sum((1, 2))
    assert lcn.hops.weight.numel() == C * int((pairs * np.asarray(lcn.widths)).sum())
    offsets = np.cumsum((0,) + shared.widths)
    with torch.no_grad():
        blocks = [shared.hops.weight[offsets[k]:offsets[k + 1]].T for k in lcn.hops.pair_k.tolist()]
        lcn.hops.weight.copy_(torch.cat(blocks, dim=1))
        lcn.fuse.load_state_dict(shared.fuse.state_dict())
    static = HopGraph(masks, C, dynamic="none")(None)
    random_graph = torch.rand(2, 1, L + 1, J, J) * torch.as_tensor(masks)  # per-sample, within hop sets
    for graph in (static, random_graph):
        torch.testing.assert_close(lcn(_x(C=C), graph), shared(_x(C=C), graph), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("weight_mode", ["shared", "lcn"])
def test_both_weight_modes_train(weight_mode):
    model = build("skeletal_gnn", H36M_17, channels=8, weight_mode=weight_mode)
    out = model(torch.randn(4, 1, J, 2))
    out.square().mean().backward()
    assert out.shape == (4, 1, J, 3)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_ablation_settings_reach_the_layers_through_build():
    model = build("skeletal_gnn", H36M_17, channels=16, d=0.25, S=2, L=5, weight_mode="lcn", dynamic="o",
                  squeeze="k-S", short_range="per_hop")
    first = model.blocks[0].first
    assert first.hcsf.widths == (16, 16, 16, 4, 1, 1)
    assert first.hcsf.fused_width == 3 * 16 + 6
    assert first.graph.static_graph() is None and first.graph.embed is not None
    static = build("skeletal_gnn_static", H36M_17, channels=8)
    assert not any("graph" in name for name, _ in static.named_parameters())
    learnable = build("skeletal_gnn_static", H36M_17, channels=8, dynamic="m")
    assert learnable.blocks[0].first.graph.m.requires_grad
    widened = build("skeletal_gnn", H36M_17, channels=8, squeeze="k-L", d=0.5).eval()
    assert widened.blocks[0].first.hcsf.widths == (8, 8, 32, 16, 8)
    assert torch.isfinite(widened(torch.randn(2, 1, J, 2))).all()
    model16 = build("skeletal_gnn", H36M_16, channels=8).eval()
    assert model16(torch.randn(2, 1, 16, 2)).shape == (2, 1, 16, 3)


def test_bad_settings_raise():
    for kwargs in ({"weight_mode": "dense"}, {"dynamic": "mask"}, {"S": 3, "L": 2}, {"d": 0},
                   {"temporal_kernel": 2}, {"squeeze": "k"}, {"short_range": "mean"}, {"graph_init": "x"},
                   {"dilations": (1, 3, 9)}, {"dilations": (0, 1)}):
        with pytest.raises(SkelgnnError):
            build("skeletal_gnn", H36M_17, channels=8, **kwargs)


# ---------------------------------------------------------------------------- multi-frame
def test_receptive_fields():
    rf = {name: build(name, H36M_17, channels=8).receptive_field
          for name in ("skeletal_gnn", "skeletal_gnn_static", "skeletal_gnn_t27", "skeletal_gnn_t81")}
    assert rf == {"skeletal_gnn": 1, "skeletal_gnn_static": 1,
                  "skeletal_gnn_t27": 27, "skeletal_gnn_t81": 81}
    assert build("skeletal_gnn_t27", H36M_17, channels=8, temporal_kernel=1).receptive_field == 27
    assert build("skeletal_gnn_t27", H36M_17, channels=8, temporal_kernel=5).receptive_field == 1 + 4 * 13
    assert build("skeletal_gnn", H36M_17, channels=8, temporal_kernel=3).receptive_field == 1 + 2 * 2


@pytest.mark.parametrize("name, kwargs", [
    ("skeletal_gnn_t27", {}),
    ("skeletal_gnn_t27", {"temporal_kernel": 5, "weight_mode": "lcn"}),
    ("skeletal_gnn", {"temporal_kernel": 3, "dynamic": "o"}),
])
def test_sliding_equivalence(name, kwargs):
    torch.manual_seed(0)
    model = build(name, H36M_17, channels=8, **kwargs)
    model.train()
    with torch.no_grad():  # non-default BatchNorm statistics
        model(torch.randn(4, model.receptive_field + 3, J, 2))
    model.eval()
    rf, extra = model.receptive_field, 4
    x = torch.randn(2, rf + extra, J, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        long = model(x)
        windows = torch.cat([model(x[:, s:s + rf]) for s in range(extra + 1)], dim=1)
    assert long.shape == windows.shape == (2, extra + 1, J, 3)
    torch.testing.assert_close(long, windows, rtol=1e-5, atol=1e-5)


def test_root_relative_variant_sees_positions_relative_to_the_root():
    """skeletal_gnn_rel: with the root-position inputs switched off it ignores where the person stands."""
    torch.manual_seed(0)
    model = build("skeletal_gnn_rel", H36M_17, channels=8).eval()
    assert model.embed.weight.shape[1] == 4 and build("skeletal_gnn", H36M_17,
                                                      channels=8).embed.weight.shape[1] == 2
    x = torch.randn(3, 1, 17, 2)
    shifted = x + torch.tensor([0.4, -0.3])
    assert not torch.allclose(model(x), model(shifted), atol=1e-4)  # the root position is an input
    with torch.no_grad():
        model.embed.weight[:, 2:] = 0
    torch.testing.assert_close(model(shifted), model(x), rtol=0, atol=1e-5)


def test_plus_variant_combines_the_validated_ablation_choices():
    """skeletal_gnn_plus = skeletal_gnn with root-relative input, d = 1, L = 8, lcn weights and M_k only."""
    plus = build("skeletal_gnn_plus", H36M_17, channels=8)
    same = build("skeletal_gnn", H36M_17, channels=8, root_relative=True, d=1.0, L=8, weight_mode="lcn",
                 dynamic="m")
    assert plus.as_kwargs() == same.as_kwargs() and plus.options == same.options
    assert plus.arguments["d"] == 1.0 and plus.arguments["L"] == 8 and plus.arguments["dynamic"] == "m"
    assert plus.options.changed() == {"weight_mode": "lcn", "root_relative": True}
    assert plus.embed.weight.shape[1] == 4
    assert [n for n, _ in plus.named_parameters()] == [n for n, _ in same.named_parameters()]
    # keyword arguments still override the variant's choices (used by ablations of the variant)
    assert build("skeletal_gnn_plus", H36M_17, channels=8, L=4).arguments["L"] == 4


def test_dynamic_graph_switches_scale_softmax_and_gate():
    masks = H36M_17.hop_masks(4)
    x = _x(C=8)
    torch.manual_seed(0)
    plain = HopGraph(masks, 8, dynamic="o")
    torch.manual_seed(0)
    scaled = HopGraph(masks, 8, dynamic="o", o_scale=True)
    with torch.no_grad():
        raw = torch.atanh(plain.dynamic_graph(x).clamp(-0.999999, 0.999999))
        # C_h = 2
        torch.testing.assert_close(scaled.dynamic_graph(x), torch.tanh(raw / 2 ** 0.5), rtol=1e-4, atol=1e-5)
    soft = HopGraph(masks, 8, dynamic="o", o_norm="softmax", mask_dynamic=True)
    o = soft.dynamic_graph(x)
    rows = o.sum(-1)  # each non-empty exact-k row sums to 1, off-hop entries are 0
    torch.testing.assert_close(rows, torch.as_tensor(masks).any(-1).float().expand_as(rows))
    assert (o * (1 - torch.as_tensor(masks).float())).abs().max() == 0
    gated = HopGraph(masks, 8, dynamic="mo", o_gate=True)
    # starts at M_k
    assert gated.gate.shape == (5, 1, 1) and torch.equal(gated(x)[0, 0], gated.static_graph())
    model = build("skeletal_gnn", H36M_17, channels=8, o_gate=True, o_scale=True)
    model(torch.randn(4, 1, J, 2)).square().mean().backward()
    assert model.blocks[0].first.graph.gate.grad.abs().sum() > 0
    with pytest.raises(SkelgnnError, match="o_norm"):
        HopGraph(masks, 8, o_norm="relu")


def test_graph_input_layer():
    model = build("skeletal_gnn", H36M_17, channels=8, input_layer="graph")
    assert isinstance(model.embed, DHCSF) and model.blocks[0].post1.norm.num_features == J * 8
    x = torch.randn(4, 1, J, 2)
    model(x).square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    # the graph input layer mixes joints: moving one joint's 2D changes other joints' first features
    model.eval()
    with torch.no_grad():
        y = x.clone()
        y[:, :, 3] += 0.5
        changed = (model.embed(y) - model.embed(x)).abs().amax(dim=(0, 1, 3)) > 1e-6
    assert changed.sum() > 1
    t27 = build("skeletal_gnn_t27", H36M_17, channels=8, input_layer="graph").eval()
    clip = torch.randn(2, 27, J, 2)
    with torch.no_grad():
        torch.testing.assert_close(t27(clip, strided=True), t27(clip), rtol=1e-4, atol=1e-5)
    with pytest.raises(SkelgnnError, match="input_layer"):
        build("skeletal_gnn", H36M_17, channels=8, input_layer="conv")


# ---------------------------------------------------------------------------- o_window = "clip"
def _theta_phi(graph: HopGraph, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    emb = graph.embed(x)  # (N, T_h, J, 2·(L+1)·C_h)
    N, T, _, _ = emb.shape
    return emb.view(N, T, J, 2, graph.num_hops, -1).unbind(3)  # (N, T_h, J, L+1, C_h) each


def test_clip_graph_is_one_graph_from_every_frame_of_the_window():
    """o_window="clip": O_k = tanh(Σ_t θ_t·φ_t), (N, L+1, J, J); o_scale divides by √(C_h·T_h)."""
    masks = H36M_17.hop_masks(4)
    x = _x(T=9)
    for o_scale in (False, True):
        torch.manual_seed(0)
        frame = HopGraph(masks, 8, dynamic="o", temporal_kernel=3, dilation=2, o_scale=o_scale)
        torch.manual_seed(0)
        clip = HopGraph(masks, 8, dynamic="o", temporal_kernel=3, dilation=2, o_scale=o_scale,
                        o_window="clip")
        assert clip.per_clip and not frame.per_clip and clip.frames_consumed == frame.frames_consumed == 4
        theta, phi = _theta_phi(clip, x)  # T_h = 9 - 4 = 5, C_h = 2
        logits = torch.einsum("ntikc,ntjkc->nkij", theta, phi) / (2 * 5) ** (0.5 if o_scale else 0.0)
        with torch.no_grad():
            o = clip(x)
            assert o.shape == (2, 5, J, J) and frame(x).shape == (2, 5, 5, J, J)
            torch.testing.assert_close(o, torch.tanh(logits), rtol=1e-5, atol=1e-6)
    # softmax over the exact-k pairs, the gate and M_k keep working per clip
    torch.manual_seed(0)
    soft = HopGraph(masks, 8, dynamic="mo", o_norm="softmax", o_scale=True, mask_dynamic=True, o_gate=True,
                    temporal_kernel=3, o_window="clip")
    with torch.no_grad():
        soft.gate.fill_(1.0)
        o = soft.dynamic_graph(x)
        rows = o.sum(-1)
        torch.testing.assert_close(rows, torch.as_tensor(masks).any(-1).float().expand_as(rows))
        torch.testing.assert_close(soft(x), o + soft.static_graph())
    with pytest.raises(SkelgnnError, match="o_window"):
        HopGraph(masks, 8, o_window="sequence")
    with pytest.raises(SkelgnnError, match="strided"):
        soft.dynamic_graph(x, step=3)


@pytest.mark.parametrize("kernel", [3, 1])
@pytest.mark.parametrize("weight_mode", ["shared", "lcn"])
def test_clip_graph_couples_every_frame_of_the_layer(kernel, weight_mode):
    """Perturbing one input frame changes every output frame of a clip layer; of a frame layer only the
    frames whose F-window contains it."""
    masks = H36M_17.hop_masks(4)
    layers = {}
    for window in ("frame", "clip"):
        torch.manual_seed(0)
        layers[window] = DHCSF(HCSF(masks, 8, 8, weight_mode=weight_mode),
                               HopGraph(masks, 8, dynamic="mo", temporal_kernel=kernel, o_window=window))
    x = _x(T=9)
    T_out = 9 - (kernel - 1)
    with torch.no_grad():
        base = {w: layer(x) for w, layer in layers.items()}
        assert all(b.shape == (2, T_out, J, 8) for b in base.values())
        for f in range(9):
            y = x.clone()
            y[:, f] += 1.0
            changed = {w: (layer(y) - base[w]).abs().amax(dim=(0, 2, 3)) > 1e-6
                       for w, layer in layers.items()}
            assert changed["clip"].all(), f
            assert torch.equal(changed["frame"], torch.tensor([t <= f < t + kernel for t in range(T_out)])), f


def test_single_frame_clip_model_equals_the_frame_model():
    for kwargs in ({}, {"o_scale": True, "o_gate": True}, {"o_norm": "softmax", "mask_dynamic": True},
                   {"weight_mode": "lcn", "dynamic": "o"}):
        torch.manual_seed(0)
        frame = build("skeletal_gnn", H36M_17, channels=8, **kwargs)
        torch.manual_seed(1)
        clip = build("skeletal_gnn", H36M_17, channels=8, o_window="clip", **kwargs)
        assert clip.windowed and not frame.windowed and clip.receptive_field == 1
        clip.load_state_dict(frame.state_dict())
        for training in (True, False):  # dropout masks drawn alike in train mode
            frame.train(training), clip.train(training)
            x = torch.randn(4, 1, J, 2, generator=torch.Generator().manual_seed(2))
            torch.manual_seed(3)
            a = frame(x)
            torch.manual_seed(3)
            assert torch.equal(clip(x), a), (kwargs, training)
        with torch.no_grad():  # T > 1: each frame its own window, as the frame model slides
            x = torch.randn(2, 6, J, 2)
            torch.testing.assert_close(clip(x), frame(x), rtol=1e-5, atol=1e-6)


def test_clip_model_runs_one_window_per_output_frame():
    """A windowed model's output frame t is the model on input frames t .. t + rf − 1 alone, through
    forward on a long clip and through inference.lift over a sequence (edges padded)."""
    from skelgnn.lifting.inference import lift, predict_sequences

    torch.manual_seed(0)
    model = build("skeletal_gnn_t27", H36M_17, channels=8, o_window="clip", o_scale=True)
    assert model.windowed and not model.supports_strided and model.receptive_field == 27
    model.train()
    with torch.no_grad():  # non-default BatchNorm statistics
        model(torch.randn(4, 27, J, 2))
    model.eval()
    x = torch.randn(2, 27 + 5, J, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        windows = torch.cat([model(x[:, s:s + 27]) for s in range(6)], dim=1)
        torch.testing.assert_close(model(x), windows, rtol=1e-5, atol=1e-6)
        # the same network slid along the clip (every layer on all frames at once) is another function
        first = model.blocks[0].first
        h = model.embed_post(model.embed(x))
        slid = first(h)[:, :2]
        alone = torch.cat([first(h[:, s:s + 27])[:, :1] for s in range(2)], dim=1)
        assert (slid - alone).abs().max() > 1e-4
    seq = torch.randn(40, J, 2, generator=torch.Generator().manual_seed(2))
    pad = torch.cat([seq[:1].expand(13, -1, -1), seq, seq[-1:].expand(13, -1, -1)])
    with torch.no_grad():
        ref = torch.cat([model(pad[t:t + 27][None])[0] for t in range(40)])  # (40, J, 3)
    ref = ref - ref[:, :1]
    # float32 rounding: the temporal convolutions (oneDNN) may sum in another order for another batch size
    for chunk in (4096, 30, 1):  # 4096 // 27 = 151 windows, one window, and at least one window per call
        torch.testing.assert_close(lift(model, seq, chunk=chunk), ref, rtol=1e-5, atol=1e-5)

    class _Seqs:  # the two attributes predict_sequences reads
        def __init__(self):
            self.inputs = [seq.numpy()]

        def key(self, i):
            return "seq"

    pred = predict_sequences(model, _Seqs(), H36M_17, scale_mm=1.0)[0]
    np.testing.assert_allclose(pred, ref.numpy(), rtol=1e-5, atol=1e-5)


def test_clip_switch_is_recorded_and_round_trips_through_a_checkpoint(tmp_path):
    from skelgnn.lifting.checkpoint import load_checkpoint, make_checkpoint, save_checkpoint

    torch.manual_seed(0)
    default = build("skeletal_gnn_t27", H36M_17, channels=8).eval()
    torch.manual_seed(0)
    explicit = build("skeletal_gnn_t27", H36M_17, channels=8, o_window="frame").eval()
    assert "o_window" not in default.as_kwargs() and default.as_kwargs() == explicit.as_kwargs()
    assert not default.windowed and default.supports_strided
    x = torch.randn(2, 30, J, 2)
    with torch.no_grad():
        assert torch.equal(default(x), explicit(x))
    kwargs = {"channels": 8, "o_window": "clip"}
    torch.manual_seed(0)
    clip = build("skeletal_gnn_t27", H36M_17, **kwargs).eval()
    assert clip.as_kwargs() == {**default.as_kwargs(), "o_window": "clip"} and "o_window='clip'" in repr(clip)
    assert list(clip.state_dict()) == list(default.state_dict())  # no parameter added or renamed
    save_checkpoint(tmp_path / "clip.pt", make_checkpoint("skeletal_gnn_t27", kwargs, H36M_17, clip))
    loaded, meta = load_checkpoint(tmp_path / "clip.pt")
    assert meta["model"]["kwargs"] == kwargs and loaded.windowed and loaded.options == clip.options
    with torch.no_grad():
        assert torch.equal(loaded(x), clip(x))
        assert not torch.allclose(clip(x), default(x))  # same weights, the other graph


def test_clip_model_has_no_strided_variant():
    model = build("skeletal_gnn_t27", H36M_17, channels=8, o_window="clip")
    assert not model.supports_strided
    assert not any(b.first.supports_strided() for b in model.blocks)
    with pytest.raises(SkelgnnError, match="o_window='clip'"):
        model(torch.randn(1, 27, J, 2), strided=True)
    # without an O_k the switch changes nothing: no windows needed, the strided variant stays
    for dynamic in ("m", "none"):
        plain = build("skeletal_gnn_t27", H36M_17, channels=8, o_window="clip", dynamic=dynamic)
        assert not plain.windowed and plain.supports_strided
