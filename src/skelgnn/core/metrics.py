"""Pose-error metrics (CONVENTIONS §1.3), in torch, batched over any leading dimensions.

Poses are ``(..., J, 3)`` tensors in millimetres (2D points, ``(..., J, 2)``, work too). The
metrics do no root alignment of their own: pass root-relative poses for Protocol #1 MPJPE (the
root then contributes an error of 0 and is included in the mean, as in VideoPose3D).
``pred`` and ``target`` must have identical shapes (no broadcasting), otherwise
:class:`~skelgnn.core.errors.ShapeError` is raised. Numpy arrays are accepted and converted to tensors.

Aggregation helpers (:func:`hard_tail`, :func:`group_means`, :func:`classwise_mean`) work on a
1-D tensor of per-frame errors and return Python floats (accumulated in float64).

Shape letters: ``...`` leading dimensions (frames, cameras, batch), ``T`` time, ``J`` joints,
``N`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import torch

from .errors import ShapeError, SkelgnnError

__all__ = [
    "mpjpe",
    "joint_errors",
    "procrustes_align",
    "p_mpjpe",
    "n_mpjpe",
    "mpjve",
    "accel_error",
    "bone_lengths",
    "bone_length_std",
    "pck",
    "auc",
    "hard_tail",
    "group_means",
    "classwise_mean",
]


# ---------------------------------------------------------------------------------------- checks
def _tensor(x: Any) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    return t if t.is_floating_point() else t.to(torch.get_default_dtype())


def _pair(pred: Any, target: Any, fn: str, min_ndim: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    pred, target = _tensor(pred), _tensor(target)
    lead = "(..., T, J, 3)" if min_ndim == 3 else "(..., J, 3)"
    if pred.shape != target.shape:
        raise ShapeError(
            f"{fn}: pred and target must have the same shape {lead}, "
            f"got pred {tuple(pred.shape)} and target {tuple(target.shape)}"
        )
    if pred.ndim < min_ndim or pred.shape[-1] not in (2, 3):
        raise ShapeError(f"{fn}: expected poses of shape {lead}, got {tuple(pred.shape)}")
    if pred.shape[-2] < 1:
        raise ShapeError(f"{fn}: poses need at least one joint, got {tuple(pred.shape)}")
    if pred.dtype != target.dtype:
        dtype = torch.promote_types(pred.dtype, target.dtype)
        pred, target = pred.to(dtype), target.to(dtype)
    return pred, target


def _per_frame(x: Any, fn: str) -> torch.Tensor:
    t = _tensor(x).detach()
    if t.ndim != 1:
        raise ShapeError(f"{fn}: per_frame must be a 1-D tensor of shape (N,), got {tuple(t.shape)}")
    if t.numel() == 0:
        raise SkelgnnError(f"{fn}: per_frame is empty")
    return t.to(device="cpu", dtype=torch.float64)


# ---------------------------------------------------------------------------------------- errors
def joint_errors(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-joint Euclidean distance.

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).

    Returns:
        distances, shape (..., J).

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    pred, target = _pair(pred, target, "joint_errors")
    return torch.linalg.vector_norm(pred - target, dim=-1)


def mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint position error (Protocol #1): the mean over J of the Euclidean distance.

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).

    Returns:
        per-pose error, shape (...).

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    return joint_errors(pred, target).mean(dim=-1)


def procrustes_align(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pose similarity alignment of ``pred`` onto ``target`` (reflections excluded).

    Solves ``min_{s, R, t} ‖s · pred · R + t − target‖²`` over a uniform scale ``s``, a proper
    rotation ``R`` (det +1) and a translation ``t``: both poses are centred and divided by their
    Frobenius norms, the SVD ``U Σ Vᵀ`` of ``predᵀ · target`` gives ``R = U D Vᵀ`` with
    ``D = diag(1, …, 1, sign det(U Vᵀ))`` (a reflection flips the last singular vector and value),
    ``s = tr(Σ D) · ‖target₀‖ / ‖pred₀‖`` and ``t = μ_target − s · μ_pred · R``.

    Degenerate poses are safe in the forward pass: a pose collapsed to a point (e.g. all zeros)
    gives scale 0, i.e. every aligned joint at the target's centroid, and never NaN. Gradients are
    those of the SVD, well defined when the singular values are distinct (any generic pose).

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).

    Returns:
        aligned ``pred``, shape (..., J, 3).

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    pred, target = _pair(pred, target, "procrustes_align")
    eps = torch.finfo(pred.dtype).eps
    mu_p = pred.mean(dim=-2, keepdim=True)
    mu_t = target.mean(dim=-2, keepdim=True)
    p0, t0 = pred - mu_p, target - mu_t
    norm_p = torch.linalg.vector_norm(p0, dim=(-2, -1), keepdim=True)  # (..., 1, 1)
    norm_t = torch.linalg.vector_norm(t0, dim=(-2, -1), keepdim=True)
    norm_p_safe = norm_p.clamp_min(eps)
    pn, tn = p0 / norm_p_safe, t0 / norm_t.clamp_min(eps)
    h = pn.transpose(-1, -2) @ tn  # (..., D, D)
    u, sigma, vh = torch.linalg.svd(h)
    # proper rotation: flip the last singular vector/value where U Vᵀ would be a reflection
    sign = torch.where(torch.linalg.det(u @ vh) < 0, -1.0, 1.0).to(pred.dtype)  # (...,)
    d = torch.ones_like(sigma)
    d = torch.cat([d[..., :-1], sign[..., None]], dim=-1)
    rot = (u * d[..., None, :]) @ vh  # U diag(d) Vᵀ
    trace = (sigma * d).sum(dim=-1)[..., None, None]
    scale = trace * norm_t / norm_p_safe
    return scale * (p0 @ rot) + mu_t


def p_mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MPJPE after per-pose Procrustes (similarity) alignment (Protocol #2).

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).

    Returns:
        per-pose error, shape (...).

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    return mpjpe(procrustes_align(pred, target), target)


def n_mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MPJPE after the optimal per-pose scale ``⟨pred, target⟩ / ⟨pred, pred⟩`` ("Protocol #3").

    No centring is done (pass root-relative poses). An all-zero ``pred`` gets scale 0.

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).

    Returns:
        per-pose error, shape (...).

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    pred, target = _pair(pred, target, "n_mpjpe")
    num = (pred * target).sum(dim=(-2, -1), keepdim=True)
    den = (pred * pred).sum(dim=(-2, -1), keepdim=True)
    scale = num / den.clamp_min(torch.finfo(pred.dtype).tiny)
    return mpjpe(scale * pred, target)


def mpjve(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint velocity error: mean over J of ``‖Δpred − Δtarget‖`` per time step.

    ``Δ`` is the first difference along the time axis (T).

    Args:
        pred: predicted sequences, shape (..., T, J, 3), T ≥ 2.
        target: ground-truth sequences, shape (..., T, J, 3).

    Returns:
        per-step error, shape (..., T − 1).

    Raises:
        ShapeError: the shapes differ, are not (..., T, J, 3), or T < 2.
    """
    pred, target = _pair(pred, target, "mpjve", min_ndim=3)
    if pred.shape[-3] < 2:
        raise ShapeError(f"mpjve: need T >= 2 frames on axis -3, got shape {tuple(pred.shape)}")
    dp = pred[..., 1:, :, :] - pred[..., :-1, :, :]
    dt = target[..., 1:, :, :] - target[..., :-1, :, :]
    return torch.linalg.vector_norm(dp - dt, dim=-1).mean(dim=-1)


def accel_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Acceleration error ("Accel", docs/benchmarks.md): mean over J of ``‖Δ²pred − Δ²target‖``.

    ``Δ²p[t] = p[t+1] − 2·p[t] + p[t−1]`` for every interior frame t (units per frame², e.g.
    mm/frame² for mm poses at the sequence's frame rate). Pass root-relative poses.

    Args:
        pred: predicted sequences, shape (..., T, J, 3), T ≥ 3.
        target: ground-truth sequences, shape (..., T, J, 3).

    Returns:
        per-interior-frame error, shape (..., T − 2).

    Raises:
        ShapeError: the shapes differ, are not (..., T, J, 3), or T < 3.
    """
    pred, target = _pair(pred, target, "accel_error", min_ndim=3)
    if pred.shape[-3] < 3:
        raise ShapeError(f"accel_error: need T >= 3 frames on axis -3, got shape {tuple(pred.shape)}")

    def second_difference(x: torch.Tensor) -> torch.Tensor:
        return x[..., 2:, :, :] - 2.0 * x[..., 1:-1, :, :] + x[..., :-2, :, :]

    return torch.linalg.vector_norm(second_difference(pred) - second_difference(target), dim=-1).mean(dim=-1)


def bone_lengths(poses: torch.Tensor, parents: Sequence[int]) -> torch.Tensor:
    """Length of every bone ``(parents[j], j)``, ``j`` with a parent, in joint order.

    Args:
        poses: shape (..., J, 3).
        parents: parent index per joint, ``-1`` for the root (length J).

    Returns:
        lengths, shape (..., B) with B = the number of joints that have a parent.

    Raises:
        ShapeError: ``poses`` is not (..., J, 3) with J = ``len(parents)``.
    """
    x = _tensor(poses)
    if x.ndim < 2 or x.shape[-1] != 3 or x.shape[-2] != len(parents):
        raise ShapeError(f"bone_lengths: expected poses of shape (..., {len(parents)}, 3), got "
                         f"{tuple(x.shape)}")
    child = [j for j, p in enumerate(parents) if p >= 0]
    parent = [parents[j] for j in child]
    return torch.linalg.vector_norm(x[..., child, :] - x[..., parent, :], dim=-1)


def bone_length_std(poses: torch.Tensor, parents: Sequence[int]) -> torch.Tensor:
    """Standard deviation over time (population, ddof 0) of every bone's length (docs/benchmarks.md, Metrics).

    Args:
        poses: one sequence or a batch of them, shape (..., T, J, 3), T ≥ 1.
        parents: parent index per joint, ``-1`` for the root (length J).

    Returns:
        per-bone standard deviation, shape (..., B).

    Raises:
        ShapeError: ``poses`` is not (..., T, J, 3) with J = ``len(parents)``.
    """
    x = _tensor(poses)
    if x.ndim < 3:
        raise ShapeError(f"bone_length_std: expected sequences of shape (..., T, J, 3), got {tuple(x.shape)}")
    return bone_lengths(x, parents).std(dim=-2, correction=0)


# ---------------------------------------------------------------------------------------- PCK / AUC
def pck(pred: torch.Tensor, target: torch.Tensor, threshold: float = 150.0) -> torch.Tensor:
    """Percentage of correct keypoints: the fraction of joints with error ``< threshold``.

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).
        threshold: distance threshold, mm (strict inequality).

    Returns:
        fraction in [0, 1], shape (...), the dtype of the inputs.

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3).
    """
    err = joint_errors(pred, target)
    return (err < threshold).to(err.dtype).mean(dim=-1)


def auc(
    pred: torch.Tensor,
    target: torch.Tensor,
    thresholds: Sequence[float] | torch.Tensor | None = None,
) -> torch.Tensor:
    """Area under the PCK curve: the mean of :func:`pck` over ``thresholds``.

    Args:
        pred: predicted poses, shape (..., J, 3).
        target: ground-truth poses, shape (..., J, 3).
        thresholds: distance thresholds, mm; default ``0, 1, …, 149`` (CONVENTIONS §1.3).

    Returns:
        AUC in [0, 1], shape (...), the dtype of the inputs.

    Raises:
        ShapeError: the shapes differ or are not (..., J, 3), or ``thresholds`` is not 1-D.
        SkelgnnError: ``thresholds`` is empty.
    """
    err = joint_errors(pred, target).detach()
    if thresholds is None:
        thr = torch.arange(150, dtype=err.dtype, device=err.device)
    else:
        thr = torch.as_tensor(thresholds, dtype=err.dtype, device=err.device)
        if thr.ndim != 1:
            raise ShapeError(f"auc: thresholds must be 1-D, got shape {tuple(thr.shape)}")
        if thr.numel() == 0:
            raise SkelgnnError("auc: thresholds is empty")
        thr = thr.sort().values
    # number of thresholds t with err < t, without materialising a (..., J, n_thresholds) tensor
    below_or_equal = torch.searchsorted(thr, err.contiguous(), right=True)
    n_correct = thr.numel() - below_or_equal
    return n_correct.to(err.dtype).mean(dim=-1) / thr.numel()


# ---------------------------------------------------------------------------------------- aggregation
def hard_tail(per_frame: torch.Tensor, q: float = 10.0) -> float:
    """Mean of the worst ``ceil(q / 100 · N)`` values (HT10 for ``q = 10``).

    Args:
        per_frame: per-frame errors, shape (N,).
        q: percentage of frames in the tail, ``0 < q ≤ 100``.

    Returns:
        the tail mean, a float.

    Raises:
        ShapeError: ``per_frame`` is not 1-D.
        SkelgnnError: ``per_frame`` is empty or ``q`` is outside (0, 100].
    """
    x = _per_frame(per_frame, "hard_tail")
    if not 0.0 < q <= 100.0:
        raise SkelgnnError(f"hard_tail: q must be in (0, 100], got {q}")
    n = x.numel()
    # round first so that e.g. q = 10, N = 100 gives exactly 10 frames despite float error
    k = max(1, min(n, math.ceil(round(q * n / 100.0, 9))))
    return float(torch.topk(x, k).values.mean())


def group_means(per_frame: torch.Tensor, labels: Sequence[Hashable]) -> dict[Hashable, float]:
    """Mean of ``per_frame`` for each label (e.g. the per-class frame-wise MPJPE).

    Args:
        per_frame: per-frame values, shape (N,).
        labels: one hashable label per frame, length N.

    Returns:
        ``{label: mean}`` with the keys in sorted order (first-appearance order if the labels
        cannot be sorted).

    Raises:
        ShapeError: ``per_frame`` is not 1-D or its length differs from ``len(labels)``.
        SkelgnnError: ``per_frame`` is empty.
    """
    x = _per_frame(per_frame, "group_means")
    labels = list(labels)
    if len(labels) != x.numel():
        raise ShapeError(f"group_means: {x.numel()} values but {len(labels)} labels")
    index: dict[Hashable, int] = {}
    ids = [index.setdefault(lab, len(index)) for lab in labels]
    ids_t = torch.as_tensor(ids, dtype=torch.long)
    sums = torch.zeros(len(index), dtype=torch.float64).index_add_(0, ids_t, x)
    counts = torch.bincount(ids_t, minlength=len(index)).to(torch.float64)
    means = (sums / counts).tolist()
    try:
        keys = sorted(index)
    except TypeError:
        keys = list(index)
    return {key: means[index[key]] for key in keys}


def classwise_mean(per_frame: torch.Tensor, labels: Sequence[Hashable]) -> float:
    """Class-wise average: the mean of :func:`group_means` (every class weighs the same).

    Args:
        per_frame: per-frame values, shape (N,).
        labels: one class label per frame, length N.

    Returns:
        the mean over classes of each class's mean, a float.

    Raises:
        ShapeError: ``per_frame`` is not 1-D or its length differs from ``len(labels)``.
        SkelgnnError: ``per_frame`` is empty.
    """
    means = group_means(per_frame, labels)
    return math.fsum(means.values()) / len(means)
