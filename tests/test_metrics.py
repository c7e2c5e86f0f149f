"""Tests of skelgnn.core.metrics: hand-computed values, invariances, an independent numpy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.metrics import (
    auc,
    classwise_mean,
    group_means,
    hard_tail,
    joint_errors,
    mpjpe,
    mpjve,
    n_mpjpe,
    p_mpjpe,
    pck,
    procrustes_align,
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _poses(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Random poses in mm (joint spread of a few hundred mm)."""
    return torch.randn(*shape, generator=_gen(seed), dtype=dtype) * 300.0


def _rotation(seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A random proper rotation (det +1) from the QR decomposition of a Gaussian matrix."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=_gen(seed), dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))
    if torch.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q.to(dtype)


# 3 joints with errors 0, 1 and 5 (a 3-4-5 triangle)
HAND_PRED = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 3.0, 4.0]], dtype=torch.float64)
HAND_TARGET = torch.zeros(3, 3, dtype=torch.float64)


# ---------------------------------------------------------------------------------------- MPJPE
def test_mpjpe_hand_example():
    assert_close(joint_errors(HAND_PRED, HAND_TARGET), torch.tensor([0.0, 1.0, 5.0], dtype=torch.float64))
    assert_close(mpjpe(HAND_PRED, HAND_TARGET), torch.tensor(2.0, dtype=torch.float64))
    # symmetric, and translated copies of both poses give the same error
    shift = torch.tensor([10.0, -20.0, 30.0], dtype=torch.float64)
    assert_close(mpjpe(HAND_TARGET + shift, HAND_PRED + shift), torch.tensor(2.0, dtype=torch.float64))


def test_batched_leading_dims_match_loop():
    pred, target = _poses(2, 4, 17, 3, seed=1), _poses(2, 4, 17, 3, seed=2)
    for fn in (mpjpe, p_mpjpe, n_mpjpe, pck, auc):
        out = fn(pred, target)
        assert out.shape == (2, 4)
        loop = torch.stack([torch.stack([fn(pred[i, j], target[i, j]) for j in range(4)]) for i in range(2)])
        assert_close(out, loop, rtol=1e-10, atol=1e-9)
    assert joint_errors(pred, target).shape == (2, 4, 17)


def test_zero_on_identical_inputs():
    x = _poses(6, 17, 3, seed=3)
    zeros = torch.zeros(6, dtype=torch.float64)
    assert_close(mpjpe(x, x), zeros)
    assert_close(n_mpjpe(x, x), zeros, rtol=0, atol=1e-9)
    assert_close(p_mpjpe(x, x), zeros, rtol=0, atol=1e-8)
    assert_close(mpjve(x, x), torch.zeros(5, dtype=torch.float64))
    assert_close(pck(x, x), torch.ones(6, dtype=torch.float64))


# ---------------------------------------------------------------------------------------- P-MPJPE
@pytest.mark.parametrize("dtype,atol", [(torch.float64, 1e-8), (torch.float32, 2e-2)])
def test_p_mpjpe_zero_for_similarity_transform_of_target(dtype, atol):
    target = _poses(8, 17, 3, seed=4, dtype=dtype)
    R = _rotation(5, dtype)
    pred = 0.37 * target @ R + torch.tensor([500.0, -120.0, 4000.0], dtype=dtype)
    out = p_mpjpe(pred, target)
    assert out.dtype == dtype
    assert_close(out, torch.zeros(8, dtype=dtype), rtol=0, atol=atol)
    assert_close(procrustes_align(pred, target), target, rtol=0, atol=atol * 10)
    assert mpjpe(pred, target).min() > 100  # the raw error is large


def test_p_mpjpe_invariant_to_similarity_of_pred():
    pred, target = _poses(8, 17, 3, seed=6), _poses(8, 17, 3, seed=7)
    moved = 2.5 * pred @ _rotation(8) + torch.tensor([-300.0, 40.0, 7.0], dtype=torch.float64)
    assert_close(p_mpjpe(moved, target), p_mpjpe(pred, target), rtol=1e-9, atol=1e-8)


def _rms(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target).pow(2).sum(-1).mean(-1).sqrt()


def test_p_mpjpe_and_n_mpjpe_not_above_mpjpe():
    target = _poses(64, 17, 3, seed=9)
    pred = 1.2 * target + _poses(64, 17, 3, seed=10) * 0.3  # wrong scale plus noise
    e, pe, ne = mpjpe(pred, target), p_mpjpe(pred, target), n_mpjpe(pred, target)
    assert torch.all(pe <= e + 1e-9)
    assert torch.all(ne <= e + 1e-9)
    # The alignments minimise the *squared* error, so the exact per-pose guarantee is for the
    # RMS error; for the mean of norms (MPJPE) a single pose may exceed by a little, but not the mean.
    noisy = target + _poses(64, 17, 3, seed=24) * 0.3
    assert torch.all(_rms(procrustes_align(noisy, target), target) <= _rms(noisy, target) + 1e-9)
    num = (noisy * target).sum((-2, -1), keepdim=True)
    den = (noisy * noisy).sum((-2, -1), keepdim=True)
    assert torch.all(_rms(num / den * noisy, target) <= _rms(noisy, target) + 1e-9)
    assert p_mpjpe(noisy, target).mean() <= mpjpe(noisy, target).mean()
    assert n_mpjpe(noisy, target).mean() <= mpjpe(noisy, target).mean()
    # on unrelated random poses the similarity alignment helps a lot
    other = _poses(64, 17, 3, seed=11)
    assert torch.all(p_mpjpe(other, target) <= mpjpe(other, target) + 1e-9)


def test_reflection_is_excluded():
    target = _poses(4, 17, 3, seed=12)
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    aligned = procrustes_align(mirrored, target)
    assert p_mpjpe(mirrored, target).min() > 50.0  # a reflection would fit exactly (error 0)
    # the recovered transform is a proper rotation: a mirrored pose stays mirrored (det < 0)
    a0 = aligned - aligned.mean(-2, keepdim=True)
    m0 = mirrored - mirrored.mean(-2, keepdim=True)
    R = torch.linalg.lstsq(m0, a0).solution
    assert torch.all(torch.linalg.det(R) > 0)


def _procrustes_numpy(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Independent reference: Umeyama (1991) with column vectors, one pose at a time."""
    out = np.empty_like(pred)
    for i, (x, y) in enumerate(zip(pred, target, strict=True)):
        mx, my = x.mean(0), y.mean(0)
        xc, yc = x - mx, y - my
        cov = yc.T @ xc / len(x)
        U, S, Vt = np.linalg.svd(cov)
        D = np.eye(3)
        D[2, 2] = np.sign(np.linalg.det(U) * np.linalg.det(Vt))
        Rm = U @ D @ Vt
        s = np.trace(np.diag(S) @ D) / (xc**2).sum(1).mean()
        t = my - s * Rm @ mx
        out[i] = s * x @ Rm.T + t
    return out


def test_p_mpjpe_matches_numpy_svd_reference():
    pred, target = _poses(32, 17, 3, seed=13), _poses(32, 17, 3, seed=14)
    pred[:4] = target[:4] * torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)  # reflections
    ref = _procrustes_numpy(pred.numpy(), target.numpy())
    assert_close(procrustes_align(pred, target), torch.from_numpy(ref), rtol=1e-9, atol=1e-7)
    ref_err = np.linalg.norm(ref - target.numpy(), axis=-1).mean(-1)
    assert_close(p_mpjpe(pred, target), torch.from_numpy(ref_err), rtol=1e-9, atol=1e-7)


def test_procrustes_degenerate_poses_no_nan():
    target = _poses(3, 17, 3, seed=15)
    zeros = torch.zeros_like(target)
    aligned = procrustes_align(zeros, target)
    assert torch.isfinite(aligned).all()
    assert_close(aligned, target.mean(-2, keepdim=True).expand_as(target))  # collapses to the centroid
    assert torch.isfinite(procrustes_align(target, zeros)).all()
    assert_close(p_mpjpe(zeros, zeros), torch.zeros(3, dtype=torch.float64))
    point = torch.full_like(target, 12.0)  # every joint at the same point
    assert torch.isfinite(p_mpjpe(point, target)).all()
    assert torch.isfinite(n_mpjpe(zeros, target)).all()
    assert_close(n_mpjpe(zeros, target), mpjpe(zeros, target))


def test_gradcheck_mpjpe_and_p_mpjpe():
    pred = _poses(2, 5, 3, seed=16).div(300).requires_grad_(True)
    target = _poses(2, 5, 3, seed=17).div(300)
    assert torch.autograd.gradcheck(lambda p: mpjpe(p, target), (pred,), eps=1e-6, atol=1e-5)
    assert torch.autograd.gradcheck(lambda p: p_mpjpe(p, target), (pred,), eps=1e-6, atol=1e-5)
    assert torch.autograd.gradcheck(lambda p: n_mpjpe(p, target), (pred,), eps=1e-6, atol=1e-5)


# ---------------------------------------------------------------------------------------- N-MPJPE
def test_n_mpjpe_scale_invariance_hand():
    target = _poses(5, 17, 3, seed=18)
    assert_close(n_mpjpe(0.25 * target, target), torch.zeros(5, dtype=torch.float64), rtol=0, atol=1e-9)
    # hand example: pred = (1,0,0), target = (2,1,0): scale 2 -> residual (0,1,0), error 1
    p = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([[2.0, 1.0, 0.0]], dtype=torch.float64)
    assert_close(n_mpjpe(p, t), torch.tensor(1.0, dtype=torch.float64))


# ---------------------------------------------------------------------------------------- MPJVE
def test_mpjve_hand_example():
    # T = 3, J = 2: joint 0 of pred moves along x by 1 then 2; everything else is static
    pred = torch.zeros(3, 2, 3, dtype=torch.float64)
    pred[:, 0, 0] = torch.tensor([0.0, 1.0, 3.0])
    target = torch.zeros(3, 2, 3, dtype=torch.float64)
    assert_close(mpjve(pred, target), torch.tensor([0.5, 1.0], dtype=torch.float64))
    # a constant offset has no velocity error
    assert_close(mpjve(pred + 100.0, pred), torch.zeros(2, dtype=torch.float64))
    # batched: (B, T, J, 3) -> (B, T - 1)
    assert mpjve(_poses(4, 9, 17, 3, seed=19), _poses(4, 9, 17, 3, seed=20)).shape == (4, 8)


# ---------------------------------------------------------------------------------------- PCK / AUC
def test_pck_auc_hand_example():
    # joint errors are 0, 1, 5
    third = torch.tensor(1.0 / 3.0, dtype=torch.float64)
    assert_close(pck(HAND_PRED, HAND_TARGET, threshold=2.0), 2 * third)
    assert_close(pck(HAND_PRED, HAND_TARGET, threshold=1.0), third)  # strict: 1 < 1 is false
    assert_close(pck(HAND_PRED, HAND_TARGET), torch.tensor(1.0, dtype=torch.float64))
    # PCK at 0, 1, 2, 6 = 0, 1/3, 2/3, 1 -> mean 0.5 (order of thresholds does not matter)
    half = torch.tensor(0.5, dtype=torch.float64)
    assert_close(auc(HAND_PRED, HAND_TARGET, thresholds=[6.0, 0.0, 2.0, 1.0]), half)
    # default thresholds 0..149: joint error e is below 149, 148, 144 of them
    assert_close(auc(HAND_PRED, HAND_TARGET), torch.tensor((149 + 148 + 144) / 450, dtype=torch.float64))


def test_auc_equals_mean_pck_on_random_data():
    pred, target = _poses(10, 17, 3, seed=21) * 0.2, _poses(10, 17, 3, seed=22) * 0.2
    ref = torch.stack([pck(pred, target, float(t)) for t in range(150)]).mean(0)
    assert_close(auc(pred, target), ref, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------- aggregation
def test_hard_tail_hand_example():
    x = torch.arange(1.0, 11.0)  # 1..10, shuffled below
    x = x[torch.randperm(10, generator=_gen(23))]
    assert hard_tail(x) == pytest.approx(10.0)  # ceil(1.0) = 1 frame
    assert hard_tail(x, q=25.0) == pytest.approx(9.0)  # ceil(2.5) = 3 frames: 10, 9, 8
    assert hard_tail(x, q=100.0) == pytest.approx(5.5)
    assert hard_tail(torch.arange(100.0), q=10.0) == pytest.approx(94.5)  # exactly 10 frames: 90..99
    assert isinstance(hard_tail(x), float)


def test_group_means_and_classwise_mean_hand_example():
    per_frame = torch.tensor([1.0, 2.0, 3.0, 4.0, 10.0])
    labels = ["b", "a", "b", "a", "c"]
    means = group_means(per_frame, labels)
    assert list(means) == ["a", "b", "c"]
    assert means == pytest.approx({"a": 3.0, "b": 2.0, "c": 10.0})
    assert classwise_mean(per_frame, labels) == pytest.approx(5.0)  # frame-wise mean would be 4
    assert float(per_frame.mean()) == pytest.approx(4.0)


def test_aggregation_errors():
    with pytest.raises(ShapeError):
        hard_tail(torch.zeros(2, 3))
    with pytest.raises(SkelgnnError):
        hard_tail(torch.zeros(0))
    with pytest.raises(SkelgnnError):
        hard_tail(torch.ones(4), q=0.0)
    with pytest.raises(ShapeError, match="3 values but 2 labels"):
        group_means(torch.ones(3), ["a", "b"])


# ---------------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize(
    "fn", [mpjpe, joint_errors, procrustes_align, p_mpjpe, n_mpjpe, pck, auc], ids=lambda f: f.__name__
)
def test_wrong_shapes_raise(fn):
    with pytest.raises(ShapeError, match="same shape"):
        fn(torch.zeros(2, 17, 3), torch.zeros(2, 16, 3))
    with pytest.raises(ShapeError):
        fn(torch.zeros(2, 17, 4), torch.zeros(2, 17, 4))
    with pytest.raises(ShapeError):
        fn(torch.zeros(3), torch.zeros(3))


def test_mpjve_wrong_shapes_raise():
    with pytest.raises(ShapeError):
        mpjve(torch.zeros(17, 3), torch.zeros(17, 3))  # no time axis
    with pytest.raises(ShapeError, match="T >= 2"):
        mpjve(torch.zeros(1, 17, 3), torch.zeros(1, 17, 3))
    with pytest.raises(ShapeError):
        mpjve(torch.zeros(4, 17, 3), torch.zeros(5, 17, 3))


def test_numpy_inputs_accepted():
    out = mpjpe(HAND_PRED.numpy(), HAND_TARGET.numpy())
    assert isinstance(out, torch.Tensor)
    assert math.isclose(float(out), 2.0)


# ---------------------------------------------------------------------------------------- jitter (spec v1.1)
def test_accel_error_hand_example():
    from skelgnn.core.metrics import accel_error

    target = torch.zeros(4, 2, 3, dtype=torch.float64)
    pred = target.clone()
    pred[2, 1, 0] = 1.0  # a one-frame spike of 1 mm on joint 1: second differences 1, -2 (frames 1, 2)
    assert_close(accel_error(pred, target), torch.tensor([0.5, 1.0], dtype=torch.float64))
    # constant velocity has no acceleration, and shared motion cancels
    ramp = torch.arange(5, dtype=torch.float64)[:, None, None] * torch.ones(5, 17, 3, dtype=torch.float64)
    assert_close(accel_error(ramp * 7.0, torch.zeros_like(ramp)), torch.zeros(3, dtype=torch.float64))
    x = _poses(5, 17, 3, seed=3)
    assert_close(accel_error(x + 100.0, x), torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ShapeError):
        accel_error(torch.zeros(2, 17, 3), torch.zeros(2, 17, 3))


def test_bone_length_std_rigid_is_zero_and_hand_example():
    from skelgnn.core.metrics import bone_length_std, bone_lengths

    parents = (-1, 0, 1)
    pose = torch.tensor([[0.0, 0, 0], [3.0, 4, 0], [3.0, 4, 10]], dtype=torch.float64)
    assert_close(bone_lengths(pose, parents), torch.tensor([5.0, 10.0], dtype=torch.float64))
    rot = torch.stack([_rotation(s) for s in range(6)])  # a rigid skeleton turning: sd 0
    seq = pose @ rot.transpose(-1, -2)
    assert_close(bone_length_std(seq, parents), torch.zeros(2, dtype=torch.float64), atol=1e-9, rtol=0)
    seq2 = torch.stack([pose, pose.clone()])
    seq2[1, 2, 2] = 14.0  # second bone 10 then 14 mm: population sd 2
    assert_close(bone_length_std(seq2, parents), torch.tensor([0.0, 2.0], dtype=torch.float64))
    with pytest.raises(ShapeError):
        bone_lengths(torch.zeros(4, 3), (-1, 0))
