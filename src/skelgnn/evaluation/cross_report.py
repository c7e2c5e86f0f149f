"""The Bandai2-Cross report: predictions of an HDM05-trained lifter against another studio's people.

:func:`cross_report` builds one :class:`~skelgnn.evaluation.report.Report` with, for the in-view samples and
for all
samples (HDM05-Lift spec v1.2 §8; mm, root-relative, camera frame):

* ``mpjpe``, ``p_mpjpe`` (similarity Procrustes), ``n_mpjpe`` (scale only), ``ht10``;
* ``pck150`` (share of the 16 non-root joints with error < 150 mm) and ``auc`` (mean PCK over the 31
  thresholds 0, 5, …, 150 mm);
* ``mpjpe13``: MPJPE over the 13 joints whose definitions agree best with HDM05-Lift's (all but 7–10);
* ``mpjpe_height`` and ``pck150_height``: the same after scaling each sequence's prediction to the clip's
  true standing height (:mod:`skelgnn.core.height`, the rule applied to its ground-truth joints), i.e. what a
  user who gives ``--subject-height`` gets;
* ``reproj_px``: the 2D reprojection error (px) of the lifted pose placed on its fitted trajectory
  (:func:`skelgnn.lifting.inference.fit_trajectories`) against the 2D input, mean and per joint: a lifter that
  follows its input puts another skeleton's joints where the 2D says they are;
* per content class and per joint MPJPE.

Shape letters: ``N`` samples, ``J`` = 17 joints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..core.height import standing_height
from ..core.metrics import auc, group_means, hard_tail, joint_errors, mpjpe, n_mpjpe, p_mpjpe, pck
from ..core.skeleton import Skeleton
from ..data.sequences import SequenceSet
from .report import Report, Table, reprojection_errors, require_finite_predictions

__all__ = ["AUC_THRESHOLDS_MM", "AGREE_JOINTS", "cross_metrics", "cross_report"]

AUC_THRESHOLDS_MM = tuple(float(t) for t in range(0, 151, 5))
AGREE_JOINTS = tuple(j for j in range(17) if j not in (7, 8, 9, 10))


def cross_metrics(pred: torch.Tensor, target: torch.Tensor, classes: np.ndarray, scaled: torch.Tensor,
                  reproj: np.ndarray, skeleton: Skeleton) -> dict:
    """Every metric of the module docstring over one selection of samples.

    Args:
        pred, target: (N, 17, 3) mm, root-relative (float64).
        classes: (N,) content label per sample.
        scaled: (N, 17, 3) the predictions scaled to the true standing height.
        reproj: (N, 17) px reprojection errors.
        skeleton: for the joint names.
    """
    e = mpjpe(pred, target)
    nonroot = slice(1, None)
    agree = list(AGREE_JOINTS)
    e_h = mpjpe(scaled, target)
    per_class = group_means(e, classes.tolist())
    per_joint = joint_errors(pred, target).mean(0)
    counts = {c: int((classes == c).sum()) for c in per_class}
    rp_joint = np.nanmean(reproj, axis=0)
    return {
        "samples": int(len(e)),
        "mpjpe": float(e.mean()),
        "p_mpjpe": float(p_mpjpe(pred, target).mean()),
        "n_mpjpe": float(n_mpjpe(pred, target).mean()),
        "ht10": hard_tail(e, 10.0),
        "pck150": float(pck(pred[:, nonroot], target[:, nonroot], 150.0).mean()),
        "auc": float(auc(pred[:, nonroot], target[:, nonroot], AUC_THRESHOLDS_MM).mean()),
        "mpjpe13": float(mpjpe(pred[:, agree], target[:, agree]).mean()),
        "mpjpe_height": float(e_h.mean()),
        "pck150_height": float(pck(scaled[:, nonroot], target[:, nonroot], 150.0).mean()),
        "reproj_px": float(np.nanmean(reproj)),
        "per_class": {c: {"mpjpe": per_class[c], "samples": counts[c]}
                      for c in sorted(per_class, key=per_class.get)},
        "per_joint": {skeleton.joint_names[j]: float(per_joint[j]) for j in range(skeleton.num_joints)},
        "per_joint_reproj_px": {skeleton.joint_names[j]: float(rp_joint[j])
                                for j in range(skeleton.num_joints)},
    }


def cross_report(preds: Sequence[np.ndarray], seqs: SequenceSet, in_view: Sequence[np.ndarray],
                 roots: Sequence[np.ndarray], skeleton: Skeleton, *, protocol: dict | None = None,
                 title: str = "Bandai2-Cross") -> Report:
    """The report of the module docstring: ``in_view`` and ``all`` dictionaries of :func:`cross_metrics`."""
    require_finite_predictions(preds, seqs.keys)
    pred = torch.from_numpy(np.concatenate([np.asarray(p, dtype=np.float64) for p in preds]))
    target = torch.from_numpy(np.concatenate([np.asarray(t, dtype=np.float64) for t in seqs.targets]))
    pred, target = pred - pred[:, :1], target - target[:, :1]
    scaled = []
    for p, t in zip(preds, seqs.targets):
        p = np.asarray(p, dtype=np.float64)
        p = p - p[:, :1]
        scaled.append(p * (standing_height(np.asarray(t, dtype=np.float64)) / standing_height(p)))
    scaled_t = torch.from_numpy(np.concatenate(scaled))
    classes = np.concatenate([[c] * len(x) for c, x in zip(seqs.classes, seqs.targets)])
    mask = torch.from_numpy(np.concatenate([np.asarray(v, dtype=bool) for v in in_view]))
    reproj = reprojection_errors(preds, roots, seqs)
    m = mask.numpy()
    values = {
        "in_view": cross_metrics(pred[mask], target[mask], classes[m], scaled_t[mask], reproj[m], skeleton),
        "all": cross_metrics(pred, target, classes, scaled_t, reproj, skeleton),
        "protocol": dict(protocol or {}),
    }
    return Report(values, title=title, blocks=_tables(values),
                  required=("all.mpjpe", "all.p_mpjpe", "all.pck150"))


def _tables(r: dict) -> list[Table]:
    a, b = r["in_view"], r["all"]
    rows = [("samples", str(a["samples"]), str(b["samples"]))]
    for k, label in (("mpjpe", "MPJPE"), ("p_mpjpe", "P-MPJPE"), ("n_mpjpe", "N-MPJPE"), ("ht10", "HT10"),
                     ("mpjpe13", "MPJPE, 13 agreeing joints"), ("mpjpe_height", "MPJPE, true height given")):
        rows.append((label, f"{a[k]:.2f}", f"{b[k]:.2f}"))
    for k, label in (("pck150", "PCK@150mm"), ("auc", "AUC (0-150 mm, step 5)"),
                     ("pck150_height", "PCK@150mm, true height given")):
        rows.append((label, f"{100 * a[k]:.1f} %", f"{100 * b[k]:.1f} %"))
    rows.append(("2D reprojection error (px)", f"{a['reproj_px']:.2f}", f"{b['reproj_px']:.2f}"))
    per_class = tuple((c, f"{v['mpjpe']:.2f}", str(v["samples"])) for c, v in a["per_class"].items())
    per_joint = tuple((j, f"{v:.2f}",
                       f"{a['per_joint_reproj_px'][j]:.2f}") for j, v in a["per_joint"].items())
    return [Table(("metric (mm)", "in view", "all"), tuple(rows)),
            Table(("content", "MPJPE", "samples"), per_class, "Per content, in view (easy → hard):"),
            Table(("joint", "MPJPE", "reprojection px"), per_joint, "Per joint, in view:")]
