"""Model-specific behaviour of the baseline lifters (fc, semgcn, lcn, tcn*).

The registry-wide checks (gradients, determinism, batch independence, checkpoints) live in
test_models.py; here are the properties each paper's architecture promises.
"""

from __future__ import annotations

import pytest
import torch

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17
from skelgnn.models import build
from skelgnn.models.lcn import LocallyConnected
from skelgnn.models.semgcn import SemGraphConv
from skelgnn.models.tcn import TemporalConvLifter

BASELINES = ["fc", "semgcn", "semgcn_nonlocal", "lcn", "tcn1", "tcn27", "tcn81"]
TINY = {"channels": 8}


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("skeleton", [H36M_17, H36M_16], ids=lambda s: s.name)
def test_output_shape(name, skeleton):
    model = build(name, skeleton, **TINY).eval()
    rf = model.receptive_field
    assert isinstance(rf, int)
    out = model(_randn(2, rf + 2, skeleton.num_joints, 2))
    assert out.shape == (2, 3, skeleton.num_joints, 3)


@pytest.mark.parametrize("name", BASELINES)
def test_bad_input_shape_raises(name):
    model = build(name, H36M_17, **TINY)
    rf = model.receptive_field
    with pytest.raises(ShapeError, match=r"\(B, T, 17, 2\)"):
        model(_randn(2, rf, 16, 2))  # wrong joint count
    with pytest.raises(ShapeError):
        model(_randn(rf, 17, 2))  # missing batch axis
    with pytest.raises(ShapeError):
        model(_randn(2, rf, 17, 3))  # 3D input
    if rf > 1:
        with pytest.raises(ShapeError, match="receptive field"):
            model(_randn(2, rf - 1, 17, 2))


# ------------------------------------------------------------------ fc (Martinez et al.)
def test_fc_parameter_count_matches_paper_size():
    model = build("fc", H36M_17)
    n = sum(p.numel() for p in model.parameters())
    assert n == 4_296_755  # 34→1024, 4 × (1024→1024 + BN), 1024→51
    # 16 joints: SemGCN's README reports 4.29 M for its Martinez re-implementation
    assert round(sum(p.numel() for p in build("fc", H36M_16).parameters()) / 1e6, 2) == 4.29


def test_fc_max_norm_bounds_every_weight():
    for max_norm in (False, True):
        model = build("fc", H36M_17, channels=16, max_norm=max_norm).eval()
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                with torch.no_grad():
                    m.weight.mul_(100.0)
                    w_eff = (m(torch.eye(m.in_features)) - m.bias).T  # the weight actually applied
                norm = float(torch.linalg.matrix_norm(w_eff))
                assert norm <= 1.0 + 1e-5 if max_norm else norm > 1.0


# ------------------------------------------------------------------ semgcn
def test_semgcn_attention_row_stochastic_on_skeleton_mask():
    torch.manual_seed(0)
    mask = torch.from_numpy(H36M_17.adjacency(self_loops=True) > 0)
    conv = SemGraphConv(4, 5, mask)
    with torch.no_grad():
        conv.edge_logits.normal_()  # away from the uniform initialisation
    a = conv.attention()
    assert a.shape == (17, 17)
    torch.testing.assert_close(a.sum(dim=1), torch.ones(17))
    assert torch.all(a[~mask] == 0)
    assert torch.all(a[mask] > 0)
    # one learnable weight per edge of the graph, self-loops included
    assert conv.edge_logits.numel() == int(mask.sum()) == 17 + 2 * 16


def test_semgcn_separate_self_and_neighbour_weights():
    torch.manual_seed(0)
    mask = torch.from_numpy(H36M_17.adjacency(self_loops=True) > 0)
    conv = SemGraphConv(3, 4, mask)
    x = _randn(2, 17, 3)
    a = conv.attention()
    expected = (torch.diagonal(a)[:, None] * (x @ conv.weight[0])
                + (a - torch.diag(torch.diagonal(a))) @ (x @ conv.weight[1]) + conv.bias)
    torch.testing.assert_close(conv(x), expected)


def test_semgcn_nonlocal_is_larger_and_registered():
    small = sum(p.numel() for p in build("semgcn", H36M_16).parameters())
    big = sum(p.numel() for p in build("semgcn_nonlocal", H36M_16).parameters())
    assert round(small / 1e6, 2) == 0.27  # SemGCN README, 16 joints
    assert round(big / 1e6, 2) == 0.43


# ------------------------------------------------------------------ lcn
def test_lcn_effective_weight_is_zero_outside_k_hop_mask():
    torch.manual_seed(0)
    knn = 3
    mask = torch.from_numpy(H36M_17.cumulative_hop_masks(knn)[knn])
    layer = LocallyConnected(2, 4, mask)
    with torch.no_grad():
        layer.weight.normal_()  # even with non-zero stored weights outside the mask
    w = layer.effective_weight()  # (J, C_in, J, C_out)
    assert torch.all(w.permute(0, 2, 1, 3)[~mask] == 0)
    assert torch.all(w.permute(0, 2, 1, 3)[mask].abs().sum(dim=(1, 2)) > 0)


def test_lcn_layer_output_depends_only_on_joints_within_knn_hops():
    torch.manual_seed(0)
    knn = 2
    mask = torch.from_numpy(H36M_17.cumulative_hop_masks(knn)[knn])
    layer = LocallyConnected(2, 3, mask)
    dist = torch.tensor(H36M_17.hop_distances)
    x = _randn(1, 17, 2)
    base = layer(x.reshape(1, -1)).reshape(17, 3)
    for j in (0, 3, 10, 16):  # perturb one input joint at a time
        x2 = x.clone()
        x2[0, j] += 1.0
        changed = (layer(x2.reshape(1, -1)).reshape(17, 3) - base).abs().amax(dim=1) > 0
        assert torch.equal(changed, dist[j] <= knn), f"input joint {j}"


def test_lcn_gradient_stays_inside_mask():
    torch.manual_seed(0)
    model = build("lcn", H36M_17, **TINY)
    model(_randn(4, 1, 17, 2)).sum().backward()
    for m in model.modules():
        if isinstance(m, LocallyConnected):
            outside = (m.mask == 0).expand_as(m.weight)
            assert torch.all(m.weight.grad[outside] == 0)
            assert torch.all(m.weight[outside] == 0)  # initialised to zero there too


# ------------------------------------------------------------------ tcn (VideoPose3D)
@pytest.mark.parametrize(("name", "rf"), [("tcn1", 1), ("tcn27", 27), ("tcn81", 81)])
def test_tcn_receptive_field(name, rf):
    assert build(name, H36M_17, **TINY).receptive_field == rf


def test_tcn27_parameter_count():
    # VideoPose3D's 27-frame model at 1024 channels and 17 joints
    assert sum(p.numel() for p in build("tcn27", H36M_17).parameters()) == 8_555_571


def test_tcn27_long_sequence_equals_sliding_windows():
    torch.manual_seed(0)
    model = build("tcn27", H36M_17, **TINY).eval()
    x = _randn(2, 27 + 6, 17, 2)
    with torch.no_grad():
        full = model(x)
        windows = torch.cat([model(x[:, t:t + 27]) for t in range(7)], dim=1)
    assert full.shape == (2, 7, 17, 3)
    torch.testing.assert_close(full, windows, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("frame", [3, 36])
def test_tcn27_output_frame_sees_exactly_its_window(frame):
    torch.manual_seed(0)
    model = build("tcn27", H36M_17, **TINY).eval()
    x = _randn(1, 40, 17, 2)  # 14 output frames; output t sees input frames t .. t + 26
    x2 = x.clone()
    x2[0, frame] += 1.0
    with torch.no_grad():
        changed = (model(x2) - model(x)).abs().flatten(2).amax(dim=2)[0] > 0
    t = torch.arange(14)
    assert torch.equal(changed, (t <= frame) & (frame <= t + 26))


def test_tcn_rejects_even_widths():
    with pytest.raises(SkelgnnError, match="odd"):
        TemporalConvLifter(H36M_17, filter_widths=(3, 2), channels=8)


def test_fc_zscore_standardises_with_training_statistics_and_keeps_them_in_the_state_dict():
    torch.manual_seed(0)
    J = H36M_17.num_joints
    x = torch.randn(500, J, 2) * 0.1 + 0.3
    y = torch.randn(500, J, 3) * 0.2 + 0.05
    y[:, 0] = 0.0  # root-relative targets: the root has no spread
    model = build("fc", H36M_17, zscore=True, channels=32, num_blocks=1)
    model.fit_normalization(x, y)
    assert torch.allclose(model.in_mean, x.reshape(500, -1).mean(0), atol=1e-6)
    assert torch.allclose(model.in_std, x.reshape(500, -1).std(0), atol=1e-6)
    assert torch.all(model.out_std[:3] == 0) and torch.all(model.out_std[3:] > 0.1)
    model.eval()
    out = model(x[:7, None])
    assert torch.equal(out[:, 0, 0], model.out_mean[:3].expand(7, 3))  # the root is its (zero) mean
    # the first linear layer sees standardised inputs: shifting the raw input by its mean changes nothing
    # once the statistics move with it
    shifted = build("fc", H36M_17, zscore=True, channels=32, num_blocks=1)
    shifted.load_state_dict(model.state_dict())
    shifted.fit_normalization(x + 5.0, y)
    shifted.eval()
    assert torch.allclose(shifted(x[:7, None] + 5.0), out, atol=1e-4)
    # the statistics travel with the weights
    fresh = build("fc", H36M_17, zscore=True, channels=32, num_blocks=1)
    fresh.load_state_dict(model.state_dict())
    fresh.eval()
    assert torch.equal(fresh(x[:7, None]), out)
    # without zscore the statistics are not part of the model (old checkpoints load unchanged)
    assert "in_mean" not in build("fc", H36M_17).state_dict()


def test_fc_rejects_an_unknown_init():
    with pytest.raises(SkelgnnError, match="init must be"):
        build("fc", H36M_17, init="xavier")


def test_training_fits_the_fc_statistics_before_the_first_epoch(tmp_path):
    from skelgnn.data.sequences import SequenceSet
    from skelgnn.training.train import _fit_normalization

    J = H36M_17.num_joints
    seqs = SequenceSet(inputs=[torch.rand(40, J, 2).numpy() + 1.0],
                       targets=[(torch.rand(40, J, 3) * 500.0).numpy()], keys=["a"], classes=["c"], rare=[])
    model = build("fc", H36M_17, zscore=True, channels=16, num_blocks=1)
    _fit_normalization(model, seqs, H36M_17, flip=False)
    assert torch.allclose(model.in_mean, torch.from_numpy(seqs.inputs[0]).reshape(40, -1).mean(0), atol=1e-5)
    assert torch.allclose(model.out_mean, torch.from_numpy(seqs.targets[0]).reshape(40, -1).mean(0) / 1000.0,
                          atol=1e-5)
    _fit_normalization(model, seqs, H36M_17, flip=True)  # mirrored copies: the x mean of the outputs is ~0
    assert float(model.out_mean.reshape(J, 3)[:, 0].abs().max()) < 0.3


@pytest.mark.parametrize("name, size", [("fc", {"num_blocks": 1}), ("skeletal_gnn", {"num_blocks": 1}),
                                        ("lcn", {"num_blocks": 1}), ("semgcn", {"num_blocks": 1}),
                                        ("tcn1", {})])
def test_zscore_switch_round_trips_and_predicts_the_root_as_its_mean(name, size):
    torch.manual_seed(1)
    J = H36M_17.num_joints
    x = torch.randn(300, J, 2) * 0.1 + 0.3
    y = torch.randn(300, J, 3) * 0.2 + 0.05
    y[:, 0] = 0.0
    model = build(name, H36M_17, zscore=True, channels=16, **size)
    model.fit_normalization(x, y)
    model.eval()
    out = model(x[:5, None])
    assert out.shape == (5, 1, J, 3)
    assert torch.all(out[:, :, 0] == 0)
    again = build(name, H36M_17, zscore=True, channels=16, **size)
    again.load_state_dict(model.state_dict())
    assert torch.equal(again.eval()(x[:5, None]), out)
    # off: fit_normalization is a no-op and no buffers exist
    plain = build(name, H36M_17, channels=16, **size)
    plain.fit_normalization(x, y)
    assert not any(k.endswith(("in_mean", "out_std")) for k in plain.state_dict())
