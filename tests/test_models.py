"""Registry sweep: every registered lifter obeys the common contract (docs/api/index.md)."""

from __future__ import annotations

import io

import pytest
import torch

from skelgnn import H36M_17, SkelgnnError
from skelgnn.core.errors import ShapeError
from skelgnn.models import build, names

SMALL = {"channels": 8}  # tried first; a builder that rejects it is built with its defaults
B, EXTRA = 2, 2  # batch size, output frames beyond one


def _build(name: str) -> tuple[torch.nn.Module, dict]:
    torch.manual_seed(0)
    try:
        return build(name, H36M_17, **SMALL), SMALL
    except SkelgnnError:
        return build(name, H36M_17), {}


def _inputs(model: torch.nn.Module, seed: int = 1, batch: int = B) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    T = model.receptive_field + EXTRA
    return torch.rand(batch, T, H36M_17.num_joints, 2, generator=g) * 2 - 1


def _warm_up(model: torch.nn.Module) -> None:
    """One train-mode forward so that BatchNorm running statistics are not the defaults."""
    model.train()
    with torch.no_grad():
        model(_inputs(model, seed=7, batch=4))
    model.eval()


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(params=names())
def built(request):
    model, kwargs = _build(request.param)
    return request.param, model, kwargs


def test_registry_is_not_empty():
    assert {"skeletal_gnn", "skeletal_gnn_static", "skeletal_gnn_t27", "skeletal_gnn_t81"} <= set(names())


def test_output_shape(built):
    name, model, _ = built
    assert isinstance(model.receptive_field, int) and model.receptive_field >= 1
    x = _inputs(model)
    model.eval()
    with torch.no_grad():
        out = model(x)
    assert out.shape == (B, x.shape[1] - model.receptive_field + 1, H36M_17.num_joints, 3), name
    assert torch.isfinite(out).all()


def test_every_parameter_gets_a_gradient(built):
    name, model, _ = built
    model.train()
    out = model(_inputs(model))
    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(3))
    (out * weights).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"{name}: no gradient reaches {missing}"


def test_eval_is_deterministic(built):
    _, model, _ = built
    _warm_up(model)
    x = _inputs(model)
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


def test_batch_independence_in_eval(built):
    _, model, _ = built
    _warm_up(model)
    x = _inputs(model, batch=3)
    y = x.clone()
    y[1:] = _inputs(model, seed=5, batch=2)  # other samples change, sample 0 does not
    with torch.no_grad():
        a, b = model(x), model(y)
        alone = model(x[:1])
    torch.testing.assert_close(a[0], b[0], rtol=0, atol=1e-6)
    torch.testing.assert_close(a[:1], alone, rtol=1e-5, atol=1e-5)


def test_state_dict_round_trip(built, tmp_path):
    name, model, kwargs = built
    _warm_up(model)
    x = _inputs(model)
    with torch.no_grad():
        expected = model(x)

    torch.manual_seed(123)  # a different initialisation, overwritten by the state dict
    clone = build(name, H36M_17, **kwargs)
    clone.load_state_dict(model.state_dict())
    clone.eval()
    with torch.no_grad():
        assert torch.equal(clone(x), expected)

    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    torch.manual_seed(321)
    reloaded = build(name, H36M_17, **kwargs)
    reloaded.load_state_dict(torch.load(path, weights_only=True))
    reloaded.eval()
    with torch.no_grad():
        assert torch.equal(reloaded(x), expected)

    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    assert set(torch.load(buffer, weights_only=True)) == set(model.state_dict())


def test_wrong_input_shape_raises(built):
    _name, model, _ = built
    J, rf = H36M_17.num_joints, model.receptive_field
    model.eval()
    bad = [torch.zeros(B, rf, J, 3), torch.zeros(B, rf, J + 1, 2), torch.zeros(rf, J, 2),
           torch.zeros(B, rf, J, 2, 1)]
    if rf > 1:
        bad.append(torch.zeros(B, rf - 1, J, 2))
    for x in bad:
        with pytest.raises(ShapeError):
            model(x)


def _random_batchnorm_statistics(model: torch.nn.Module) -> None:
    g = torch.Generator().manual_seed(1)
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm1d):
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g))
            mod.running_var.copy_(0.5 + torch.rand(mod.running_var.shape, generator=g))


@pytest.mark.parametrize("name,kwargs", [
    ("tcn27", {"channels": 32}), ("tcn81", {"channels": 32}),
    ("skeletal_gnn_t27", {"channels": 16}), ("skeletal_gnn_t81", {"channels": 16}),
    ("skeletal_gnn_t27", {"channels": 16, "temporal_kernel": 1}),  # the F = 1 ablation
    ("skeletal_gnn_t27", {"channels": 16, "temporal_mix": "graph"}),  # taps mixed by the hop weights
    ("skeletal_gnn_t27", {"channels": 16, "temporal_mix": "graph", "weight_mode": "lcn", "d": 1.0}),
    ("skeletal_gnn_t27", {"channels": 16, "dynamic": "m", "weight_mode": "lcn", "d": 1.0, "L": 8,
                          "root_relative": True}),
])
def test_strided_training_variant_is_the_same_function_on_fewer_frames(name, kwargs):
    """strided=True on one receptive field gives the dilated model's output (eval mode, same weights)."""
    torch.manual_seed(0)
    model = build(name, H36M_17, **kwargs)
    assert model.supports_strided
    _random_batchnorm_statistics(model)
    model.eval()
    x = torch.randn(3, model.receptive_field, H36M_17.num_joints, 2)
    with torch.no_grad():
        dilated, strided = model(x), model(x, strided=True)
    assert strided.shape == dilated.shape == (3, 1, H36M_17.num_joints, 3)
    assert torch.allclose(strided, dilated, atol=1e-5), (strided - dilated).abs().max()
    with pytest.raises(ShapeError, match="exactly T"):
        model(torch.randn(1, model.receptive_field + 2, H36M_17.num_joints, 2), strided=True)


def test_temporal_mix_graph_feeds_the_stacked_taps_to_the_hop_weights():
    """temporal_mix="graph": no temporal convolution weights; the first layer of every block reads 3·C
    features per joint, so its hop weights mix joints and the 3 frames at once; recorded in the settings."""
    joint = build("skeletal_gnn_t27", H36M_17, channels=8)
    graph = build("skeletal_gnn_t27", H36M_17, channels=8, temporal_mix="graph")
    assert "temporal_mix" not in repr(joint) and "temporal_mix=graph" in repr(graph)
    assert any(".temporal.linear.weight" in k for k in joint.state_dict())
    assert not any(".temporal." in k for k in graph.state_dict())
    x = torch.randn(2, 27, H36M_17.num_joints, 8)
    for block in graph.blocks:
        taps = block.first.temporal(x)
        assert taps.shape[-1] == 24
        d = block.first.temporal.dilation
        assert torch.equal(taps[:, 0, :, 8:16], x[:, d]) and torch.equal(taps[:, 0, :, 16:], x[:, 2 * d])
    assert graph.receptive_field == joint.receptive_field == 27
    y = graph(torch.randn(2, 29, H36M_17.num_joints, 2))
    assert y.shape == (2, 3, H36M_17.num_joints, 3)
    with pytest.raises(SkelgnnError, match="temporal_mix"):
        build("skeletal_gnn_t27", H36M_17, channels=8, temporal_mix="time")


def test_strided_variant_computes_only_the_frames_the_output_needs():
    model = build("skeletal_gnn_t27", H36M_17, channels=8)
    seen = []
    for block in model.blocks:
        block.first.register_forward_hook(lambda mod, inp, out: seen.append((inp[0].shape[1], out.shape[1])))
    x = torch.randn(2, 27, H36M_17.num_joints, 2)
    model(x)
    assert seen == [(27, 25), (25, 19), (19, 1)]
    seen.clear()
    model(x, strided=True)
    assert seen == [(27, 9), (9, 3), (3, 1)]


def test_strided_variant_refuses_layouts_it_cannot_reproduce():
    odd = build("skeletal_gnn_t27", H36M_17, channels=8, dilations=(1, 2, 4))  # taps not on a 3-frame grid
    wide = build("skeletal_gnn", H36M_17, channels=8, temporal_kernel=3)  # graph window, no convolution
    for model in (odd, wide):
        assert not model.supports_strided
        with pytest.raises(SkelgnnError, match="strided"):
            model(torch.randn(1, model.receptive_field, H36M_17.num_joints, 2), strided=True)


@pytest.mark.parametrize("name", ["skeletal_gnn", "skeletal_gnn_t27", "skeletal_gnn_t81"])
def test_clip_window_switch_on_the_skeletal_gnn_variants(name):
    """o_window="clip" (one O_k per window): same parameters, windowed, no strided variant, and each output
    frame a function of its own receptive-field window (batch and window independence)."""
    torch.manual_seed(0)
    model = build(name, H36M_17, channels=8, o_window="clip")
    torch.manual_seed(0)
    frame = build(name, H36M_17, channels=8)
    assert model.windowed and not frame.windowed
    assert model.receptive_field == frame.receptive_field
    assert model.supports_strided is False
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in frame.named_parameters()]
    _warm_up(model)
    x = _inputs(model)
    rf = model.receptive_field
    with torch.no_grad():
        y = model(x)
        assert y.shape == (B, EXTRA + 1, H36M_17.num_joints, 3)
        # float32 rounding, relative to the output's scale: the temporal convolutions (oneDNN) may sum in
        # another order for another batch size or clip length (the float64 model agrees to 1e-12)
        scale = float(y.abs().max())
        torch.testing.assert_close(y[:1, 1:2], model(x[:1, 1:1 + rf]), rtol=1e-5, atol=1e-5 * scale)
        double = model.double()(x[:1, 1:1 + rf].double())
        torch.testing.assert_close(model(x.double())[:1, 1:2], double, rtol=1e-12, atol=1e-12)
