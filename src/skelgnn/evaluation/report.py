"""Reports: the numbers of an evaluation with the protocol they were computed under, and how to show them.

One value, :class:`Report`, serves every dataset: it is the JSON-ready dict of numbers itself
(``report["mpjpe"]``, ``json.dumps(report)``), and it carries the tables that
:meth:`Report.to_markdown` prints under the title and the protocol (every switch, first). The three
builders compute the numbers each benchmark defines:

* :func:`compute_report`: HDM05-Lift (docs/benchmarks.md, Metrics): frame-wise and class-wise errors, hard
  tail, Rare20, PCK/AUC, smoothness and trajectory metrics;
* :func:`protocol_report`: Human3.6M-style protocols (:class:`skelgnn.evaluation.protocol.Protocol`):
Protocols
  #1-#3 and MPJVE, action-wise and frame-wise, hard and rare poses;
* :func:`score_3dhp`: MPI-INF-3DHP (cross-dataset): PCK@150 mm, AUC and MPJPE per sequence.

Pure functions of predictions and sequences (mm, any root: re-centred here); no model, no files.
Shape letters: ``T`` frames, ``J`` joints, ``N`` samples.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..core.errors import ShapeError, SkelgnnError
from ..core.metrics import (
    accel_error,
    auc,
    bone_length_std,
    classwise_mean,
    group_means,
    hard_tail,
    joint_errors,
    mpjpe,
    mpjve,
    n_mpjpe,
    p_mpjpe,
    pck,
)
from ..core.skeleton import H36M_17, Skeleton
from ..data.mpi3dhp import PCK14_JOINTS, MPI3DHPTest
from ..data.sequences import SequenceSet, require_finite
from .protocol import Protocol

__all__ = ["Report", "Table", "Note", "stack_targets", "compute_report", "jitter_metrics",
           "require_finite_predictions",
           "trajectory_metrics",
           "reprojection_errors", "protocol_report",
           "per_frame_errors", "hard_pose_analysis", "score_3dhp"]


@dataclass(frozen=True)
class Table:
    """A Markdown table: ``header`` cells, ``rows`` of already formatted cells, an optional caption above."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None

    def markdown_lines(self) -> list[str]:
        lines = [self.caption, ""] if self.caption else []
        lines += ["| " + " | ".join(self.header) + " |", "|" + "---|" * len(self.header)]
        return lines + ["| " + " | ".join(row) + " |" for row in self.rows]


@dataclass(frozen=True)
class Note:
    """Lines of text between the tables."""

    lines: tuple[str, ...]

    def markdown_lines(self) -> list[str]:
        return list(self.lines)


class Report(dict):
    """The numbers of one evaluation (this dict: JSON-ready, with its ``protocol`` description) and their
    tables.

    Args:
        values: the numbers; ``values["protocol"]`` is ``{switch: description}``, printed first.
        title: the Markdown heading.
        blocks: :class:`Table` and :class:`Note` blocks, in order, shown after the protocol.
        required: the headline numbers (dotted paths, e.g. ``"mpjpe"``, ``"all.mpjpe"``) that must be
            finite; a NaN or infinite one is a :class:`SkelgnnError` instead of a report printed with exit
            status 0 (other numbers may be NaN where they do not apply and print as n/a).
    """

    def __init__(self, values=(), *, title: str = "Results", blocks: Sequence[Table | Note] = (),
                 required: Sequence[str] = ()) -> None:
        super().__init__(values)
        self.title = title
        self.blocks = list(blocks)
        for path in required:
            v: object = self
            for part in path.split("."):
                v = v[part]  # type: ignore[index]
            if not math.isfinite(float(v)):  # type: ignore[arg-type]
                raise SkelgnnError(f"{title}: {path} came out {v}; a prediction or target is out of the "
                                   "range the metrics can hold (check the 2D input and the checkpoint)")

    def to_markdown(self) -> str:
        """The title, the protocol (one line per switch), then every block, separated by blank lines."""
        lines = [f"## {self.title}", "", "Protocol:"]
        lines += [f"- {k}: {v}" for k, v in self.get("protocol", {}).items()]
        for block in self.blocks:
            lines += ["", *block.markdown_lines()]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """The numbers as JSON (indent 1)."""
        return json.dumps(self, indent=1)


def _mm(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


# ---------------------------------------------------------------------------------------- HDM05-Lift
def stack_targets(preds: list[np.ndarray], seqs: SequenceSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate predictions and root-relative targets over sequences: two (N, J, 3) float64 tensors."""
    pred = torch.from_numpy(np.concatenate(preds)).double()
    target = torch.from_numpy(np.concatenate(seqs.targets)).double()
    return pred, target - target[:, :1]


def jitter_metrics(preds: list[np.ndarray], targets: list[np.ndarray], parents) -> dict:
    """Smoothness metrics of docs/benchmarks.md (Metrics) over sequences (each (T, J, 3) mm, root-relative).

    Returns:
        ``accel`` (mm/frame², frame-weighted over interior frames), ``mpjve`` (mm/frame, frame-weighted
        over frame pairs), ``bone_std`` (mm, mean over bones and sequences of the per-sequence standard
        deviation of the predicted bone length) and ``bone_std_target`` (the same for the targets);
        NaN where no sequence is long enough.
    """
    acc, vel, bstd, bstd_t = [], [], [], []
    for p, t in zip(preds, targets):
        pt = torch.from_numpy(np.asarray(p, dtype=np.float64))
        tt = torch.from_numpy(np.asarray(t, dtype=np.float64))
        pt, tt = pt - pt[:, :1], tt - tt[:, :1]
        if len(pt) > 2:
            acc.append(accel_error(pt, tt))
        if len(pt) > 1:
            vel.append(mpjve(pt, tt))
        bstd.append(bone_length_std(pt, parents).mean())
        bstd_t.append(bone_length_std(tt, parents).mean())
    nan = float("nan")
    return {"accel": float(torch.cat(acc).mean()) if acc else nan,
            "mpjve": float(torch.cat(vel).mean()) if vel else nan,
            "bone_std": float(torch.stack(bstd).mean()) if bstd else nan,
            "bone_std_target": float(torch.stack(bstd_t).mean()) if bstd_t else nan}


def reprojection_errors(preds, roots, seqs: SequenceSet) -> np.ndarray:
    """Pixel distance per sample and joint, (N, J), between the 2D input and the projection (true intrinsics)
    of each root-relative prediction placed on its fitted camera-frame root; NaN where a root has no solution
    or a joint falls behind the camera."""
    out = []
    for p, r, uv, (fx, fy, cx, cy) in zip(preds, roots, seqs.pixels, seqs.intrinsics):
        p = np.asarray(p, dtype=np.float64)
        q = p - p[:, :1] + np.asarray(r, dtype=np.float64)[:, None]
        z = np.where(q[..., 2] > 1e-6, q[..., 2], np.nan)
        proj = np.stack([fx * q[..., 0] / z + cx, fy * q[..., 1] / z + cy], axis=-1)
        out.append(np.linalg.norm(proj - np.asarray(uv, dtype=np.float64), axis=-1))
    return np.concatenate(out)


def trajectory_metrics(preds: list[np.ndarray], roots: list[np.ndarray], seqs: SequenceSet) -> dict:
    """Trajectory metrics of docs/benchmarks.md (Metrics) (mm, frame-weighted over every sample).

    Args:
        preds: (T, J, 3) root-relative predictions per sequence, mm.
        roots: (T, 3) predicted camera-frame pelvis per sequence, mm.
        seqs: the sequences, with ``roots`` (the true pelvis) and root-relative ``targets``.

    Returns:
        ``root_error`` (mm), ``root_error_pct`` (the same per frame as % of the true camera distance
        ``‖r‖``, then averaged), ``root_depth_error_pct`` (``|ẑ − z| / ‖r‖`` in %, averaged),
        ``abs_mpjpe`` (MPJPE of camera-frame joints, root not subtracted) and ``camera_distance``
        (mean ``‖r‖``, mm).
    """
    r_hat = np.concatenate([np.asarray(r, dtype=np.float64) for r in roots])
    r = np.concatenate([np.asarray(t, dtype=np.float64) for t in seqs.roots])
    p = np.concatenate([np.asarray(x, dtype=np.float64) for x in preds])
    t = np.concatenate([np.asarray(x, dtype=np.float64) for x in seqs.targets])
    p_abs = p - p[:, :1] + r_hat[:, None]
    t_abs = t - t[:, :1] + r[:, None]
    dist = np.linalg.norm(r, axis=-1)
    err = np.linalg.norm(r_hat - r, axis=-1)
    return {"root_error": float(err.mean()), "root_error_pct": float(100 * (err / dist).mean()),
            "root_depth_error_pct": float(100 * (np.abs(r_hat[:, 2] - r[:, 2]) / dist).mean()),
            "abs_mpjpe": float(np.linalg.norm(p_abs - t_abs, axis=-1).mean()),
            "camera_distance": float(dist.mean())}


def compute_report(preds: list[np.ndarray], seqs: SequenceSet, skeleton: Skeleton, *,
                   protocol: dict | None = None, tail_q: float = 10.0, roots: list[np.ndarray] | None = None,
                   title: str = "Results") -> Report:
    """All metrics of predictions against a sequence set's targets (mm).

    Returns:
        a :class:`Report`: ``mpjpe`` (frame-wise), ``mpjpe_classwise``, ``p_mpjpe``, ``p_mpjpe_classwise``,
        ``n_mpjpe``, ``mpjve``, ``ht10`` (mean of the worst ``tail_q`` % samples), ``rare20`` (MPJPE over
        the Rare20 frames, NaN if none), ``pck150``, ``auc``, ``per_class`` and ``per_joint`` tables,
        ``samples`` and ``protocol``; the smoothness metrics of :func:`jitter_metrics` (``accel``,
        ``bone_std``, ``bone_std_target``); and with ``roots`` (predicted camera-frame pelvis per sequence)
        those of :func:`trajectory_metrics`.
    """
    for i, t in enumerate(seqs.targets):
        require_finite(t, f"sequence {seqs.key(i)}: the 3D target")
    require_finite_predictions(preds, seqs.keys)
    pred, target = stack_targets(preds, seqs)
    e = mpjpe(pred, target)
    pe = p_mpjpe(pred, target)
    classes = np.concatenate([[c] * len(x) for c, x in zip(seqs.classes, seqs.inputs)])
    rare = np.concatenate(seqs.rare).astype(bool)
    jitter = jitter_metrics(preds, seqs.targets, skeleton.parents)
    per_class_e = group_means(e, classes.tolist())
    per_class_pe = group_means(pe, classes.tolist())
    counts = {c: int((classes == c).sum()) for c in per_class_e}
    per_joint = joint_errors(pred, target).mean(0)
    report = {
        "mpjpe": float(e.mean()),
        "mpjpe_classwise": classwise_mean(e, classes.tolist()),
        "p_mpjpe": float(pe.mean()),
        "p_mpjpe_classwise": classwise_mean(pe, classes.tolist()),
        "n_mpjpe": float(n_mpjpe(pred, target).mean()),
        **jitter,
        f"ht{int(tail_q)}": hard_tail(e, tail_q),
        "ht5": hard_tail(e, 5.0), "ht20": hard_tail(e, 20.0),
        "rare20": float(e[torch.from_numpy(rare)].mean()) if rare.any() else float("nan"),
        "pck150": float(pck(pred, target, 150.0).mean()),
        "auc": float(auc(pred, target).mean()),
        "per_class": {c: {"mpjpe": per_class_e[c], "p_mpjpe": per_class_pe[c], "samples": counts[c]}
                      for c in sorted(per_class_e, key=per_class_e.get)},
        "per_joint": {skeleton.joint_names[j]: float(per_joint[j]) for j in range(skeleton.num_joints)},
        "samples": int(len(e)),
        "rare20_samples": int(rare.sum()),
        "protocol": dict(protocol or {}),
    }
    if roots is not None:
        report.update(trajectory_metrics(preds, roots, seqs))
        reproj = reprojection_errors(preds, roots, seqs)
        report["reproj_px"] = float(np.nanmean(reproj))
        per_joint_rp = np.nanmean(reproj, axis=0)
        report["per_joint_reproj_px"] = {skeleton.joint_names[j]: float(per_joint_rp[j])
                                         for j in range(skeleton.num_joints)}
    return Report(report, title=title, blocks=_hdm05_tables(report),
                  required=("mpjpe", "p_mpjpe", "n_mpjpe", "pck150", "auc"))


def _hdm05_tables(report: dict) -> list[Table]:
    rows = []
    for k, label in (("mpjpe", "MPJPE (frame-wise)"), ("mpjpe_classwise", "MPJPE (class-wise)"),
                     ("p_mpjpe", "P-MPJPE (frame-wise)"), ("n_mpjpe", "N-MPJPE"), ("mpjve", "MPJVE"),
                     ("ht10", "HT10 (worst 10 % of samples)"), ("rare20", "Rare20")):
        rows.append((label, f"{report[k]:.2f}"))
    rows.append(("PCK@150mm / AUC", f"{100 * report['pck150']:.1f} % / {100 * report['auc']:.1f} %"))
    for k, label in (("accel", "Accel (mm/frame²)"), ("bone_std", "bone-length sd over time"),
                     ("bone_std_target", "bone-length sd over time, ground truth"),
                     ("root_error", "root position error (camera frame)"), ("abs_mpjpe", "absolute MPJPE "
                                                                            "(root kept)"),
                     ("reproj_px", "2D reprojection error on the fitted trajectory (px)")):
        if k in report:
            rows.append((label, f"{report[k]:.2f}"))
    if "root_error_pct" in report:
        rows.append(("root error / depth error, % of camera distance",
                     f"{report['root_error_pct']:.2f} % / {report['root_depth_error_pct']:.2f} %"))
    per_class = tuple((c, f"{r['mpjpe']:.2f}", f"{r['p_mpjpe']:.2f}", str(r["samples"]))
                      for c, r in report["per_class"].items())
    rp = report.get("per_joint_reproj_px")
    if rp:
        per_joint = tuple((j, f"{v:.2f}", f"{rp[j]:.2f}") for j, v in report["per_joint"].items())
        joint_table = Table(("joint", "MPJPE", "reprojection px"), per_joint, "Per joint:")
    else:
        joint_table = Table(("joint", "MPJPE"),
                            tuple((j, f"{v:.2f}") for j, v in report["per_joint"].items()),
                            "Per joint:")
    return [Table(("metric", "mm"), tuple(rows)),
            Table(("class", "MPJPE", "P-MPJPE", "samples"), per_class, "Per class (easy → hard):"),
            joint_table]


# ---------------------------------------------------------------------------------------- Human3.6M protocols
def _check_preds(preds: Sequence[np.ndarray], seqs: SequenceSet) -> None:
    if len(preds) != len(seqs):
        raise ShapeError(f"{len(preds)} predictions for {len(seqs)} sequences")
    if len(seqs) == 0:
        raise SkelgnnError("no sequences to evaluate")
    for p, t, k in zip(preds, seqs.targets, seqs.keys):
        if np.shape(p) != np.shape(t):
            raise ShapeError(f"prediction for {k} has shape {np.shape(p)}, target {np.shape(t)}")
    require_finite_predictions(preds, seqs.keys)


def require_finite_predictions(preds: Sequence[np.ndarray], keys: Sequence[str]) -> None:
    """Raise :class:`SkelgnnError` naming the first sequence whose prediction holds NaN or an infinity (its
    metrics would be NaN, or the Procrustes alignment fail)."""
    for p, k in zip(preds, keys):
        bad = ~np.isfinite(np.asarray(p, dtype=np.float64))
        if bad.any():
            frames = int(bad.reshape(len(bad), -1).any(-1).sum()) if bad.ndim else 1
            raise SkelgnnError(f"sequence {k}: the prediction holds NaN or infinite values in {frames} "
                               "frame(s); no metric of it would be finite")


def per_frame_errors(preds: Sequence[np.ndarray], seqs: SequenceSet) -> dict[str, np.ndarray]:
    """Per-sample errors of every protocol, computed sequence by sequence (bounded memory).

    Args:
        preds: one (T, J, 3) prediction in mm per sequence of ``seqs`` (any root; re-centred here).
        seqs: the sequences (targets (T, J, 3) mm).

    Returns:
        ``mpjpe``, ``p_mpjpe``, ``n_mpjpe``: (N,) float64 over all samples in sequence order;
        ``mpjve``: (N − number of sequences,) velocity errors (sequences of one frame contribute none);
        ``mpjve_class``: the class of each velocity error; ``joint``: (J,) mean per-joint error.
    """
    _check_preds(preds, seqs)
    p1, p2, p3, vel, vel_cls = [], [], [], [], []
    joint_sum, n = None, 0
    for p, t, c in zip(preds, seqs.targets, seqs.classes):
        p = torch.from_numpy(np.asarray(p, dtype=np.float64))
        t = torch.from_numpy(np.asarray(t, dtype=np.float64))
        p, t = p - p[:, :1], t - t[:, :1]
        p1.append(mpjpe(p, t))
        p2.append(p_mpjpe(p, t))
        p3.append(n_mpjpe(p, t))
        je = joint_errors(p, t).sum(0)
        joint_sum = je if joint_sum is None else joint_sum + je
        n += len(p)
        if len(p) > 1:
            v = mpjve(p, t)
            vel.append(v)
            vel_cls.extend([c] * len(v))
    return {
        "mpjpe": torch.cat(p1).numpy(), "p_mpjpe": torch.cat(p2).numpy(), "n_mpjpe": torch.cat(p3).numpy(),
        "mpjve": torch.cat(vel).numpy() if vel else np.zeros(0),
            "mpjve_class": np.array(vel_cls, dtype=object),
        "joint": (joint_sum / n).numpy(),
    }


def _labels(seqs: SequenceSet) -> list[str]:
    return [c for c, x in zip(seqs.classes, seqs.inputs) for _ in range(len(x))]


def hard_pose_analysis(per_frame: np.ndarray, classes: Sequence[str],
                       qs: Sequence[float] = (5, 10, 20)) -> dict:
    """Hard-pose summary of per-sample MPJPE: hard tails and the actions sorted easy → hard.

    Args:
        per_frame: (N,) per-sample MPJPE, mm.
        classes: (N,) action class per sample.
        qs: tail percentages (HT5, HT10, HT20 by default).

    Returns:
        ``{"ht5": …, "ht10": …, "ht20": …, "actions_easy_to_hard": [{"action", "mpjpe", "ht10",
        "samples"}, …]}`` (floats in mm; the per-action HT10 is the tail within that action).
    """
    e = torch.as_tensor(np.asarray(per_frame, dtype=np.float64))
    classes = list(classes)
    out: dict = {f"ht{q:g}": hard_tail(e, float(q)) for q in qs}
    means = group_means(e, classes)
    labels = np.asarray(classes, dtype=object)
    rows = []
    for c, m in means.items():
        sel = torch.from_numpy(labels == c)
        rows.append({"action": c, "mpjpe": m, "ht10": hard_tail(e[sel], 10.0), "samples": int(sel.sum())})
    out["actions_easy_to_hard"] = sorted(rows, key=lambda r: r["mpjpe"])
    return out


def _both(values: np.ndarray, labels: Sequence[str]) -> dict:
    t = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if t.numel() == 0:
        return {"frame_wise": float("nan"), "action_wise": float("nan")}
    return {"frame_wise": float(t.mean()), "action_wise": classwise_mean(t, list(labels))}


def protocol_report(preds: Sequence[np.ndarray], seqs: SequenceSet, protocol: Protocol, *,
                    title: str = "Results") -> Report:
    """All protocol metrics of predictions, with the protocol description (pure, no model).

    Args:
        preds: one (T, J, 3) prediction in mm per sequence of ``seqs``.
        seqs: the test sequences (``rare`` flags used when any is set).
        protocol: the protocol the predictions were made under.

    Returns:
        a :class:`Report`: ``protocol`` (:meth:`Protocol.describe`), ``protocol_fields``;
        ``protocol_1`` (MPJPE), ``protocol_2`` (P-MPJPE), ``protocol_3`` (N-MPJPE) and ``mpjve``, each
        ``{"frame_wise", "action_wise"}``; ``headline`` (the three protocols under
        ``headline_average``); ``per_action`` ({action: mpjpe, p_mpjpe, n_mpjpe, mpjve, samples},
        easy → hard); ``per_joint``; ``hard_poses`` (:func:`hard_pose_analysis`); ``rare_poses`` (MPJPE
        over the flagged frames and over the rest, when flags are set); ``samples``, ``sequences``.
    """
    err = per_frame_errors(preds, seqs)
    labels = _labels(seqs)
    J = seqs.targets[0].shape[1]
    names = protocol.skeleton.joint_names if protocol.joints == J else tuple(f"joint_{j}" for j in range(J))
    report: dict = {"protocol": protocol.describe(), "protocol_fields": protocol.to_dict()}
    for key, metric in (("protocol_1", "mpjpe"), ("protocol_2", "p_mpjpe"), ("protocol_3", "n_mpjpe")):
        report[key] = {"metric": {"mpjpe": "MPJPE", "p_mpjpe": "P-MPJPE", "n_mpjpe": "N-MPJPE"}[metric],
                       **_both(err[metric], labels)}
    report["mpjve"] = {"metric": "MPJVE", **_both(err["mpjve"], err["mpjve_class"].tolist())}
    avg = "action_wise" if protocol.headline_average == "action-wise" else "frame_wise"
    report["headline"] = {"average": protocol.headline_average,
                          **{k: report[k][avg] for k in ("protocol_1", "protocol_2", "protocol_3")}}
    per = {m: group_means(torch.from_numpy(err[m]), labels) for m in ("mpjpe", "p_mpjpe", "n_mpjpe")}
    vel = group_means(torch.from_numpy(err["mpjve"]),
                      err["mpjve_class"].tolist()) if len(err["mpjve"]) else {}
    counts: dict[str, int] = {}
    for c in labels:
        counts[c] = counts.get(c, 0) + 1
    report["per_action"] = {c: {"mpjpe": per["mpjpe"][c], "p_mpjpe": per["p_mpjpe"][c],
                                "n_mpjpe": per["n_mpjpe"][c],
                                "mpjve": vel.get(c, float("nan")), "samples": counts[c]}
                            for c in sorted(per["mpjpe"], key=per["mpjpe"].get)}
    report["per_joint"] = {names[j]: float(err["joint"][j]) for j in range(J)}
    report["hard_poses"] = hard_pose_analysis(err["mpjpe"], labels)
    rare = np.concatenate(seqs.rare).astype(bool) if seqs.rare else np.zeros(0, dtype=bool)
    if len(rare) == len(err["mpjpe"]) and rare.any():
        report["rare_poses"] = {"rare_mpjpe": float(err["mpjpe"][rare].mean()),
                                "common_mpjpe": (float(err["mpjpe"][~rare].mean()) if (~rare).any()
                                                 else float("nan")),
                                "rare_samples": int(rare.sum()), "fraction": float(rare.mean())}
    report["samples"] = int(len(err["mpjpe"]))
    report["sequences"] = len(seqs)
    return Report(report, title=title, blocks=_protocol_blocks(report),
                  required=("headline.protocol_1", "headline.protocol_2", "headline.protocol_3"))


def _protocol_blocks(report: dict) -> list[Table | Note]:
    """The protocol numbers, then the hard tail and rare poses, then per action and per joint."""
    rows = tuple((label, _mm(report[key]["action_wise"]), _mm(report[key]["frame_wise"]))
                 for key, label in (("protocol_1", "Protocol #1 MPJPE"),
                                    ("protocol_2", "Protocol #2 P-MPJPE"),
                                    ("protocol_3", "Protocol #3 N-MPJPE"), ("mpjve", "MPJVE")))
    hp = report["hard_poses"]
    note = [f"Hard tail: HT5 {_mm(hp['ht5'])}, HT10 {_mm(hp['ht10'])}, HT20 {_mm(hp['ht20'])} mm "
            f"over {report['samples']} samples."]
    if "rare_poses" in report:
        r = report["rare_poses"]
        note.append(f"Rare poses ({100 * r['fraction']:.0f} % of samples): MPJPE {_mm(r['rare_mpjpe'])} mm, "
                    f"other poses {_mm(r['common_mpjpe'])} mm.")
    ht = {r["action"]: r["ht10"] for r in hp["actions_easy_to_hard"]}
    per_action = tuple((a, _mm(r["mpjpe"]), _mm(r["p_mpjpe"]), _mm(r["n_mpjpe"]), _mm(r["mpjve"]),
                        _mm(ht.get(a)), str(r["samples"])) for a, r in report["per_action"].items())
    per_joint = tuple((j, _mm(v)) for j, v in report["per_joint"].items())
    return [Table(("metric", "action-wise (mm)", "frame-wise (mm)"), rows), Note(tuple(note)),
            Table(("action", "MPJPE", "P-MPJPE", "N-MPJPE", "MPJVE", "HT10", "samples"), per_action,
                  "Per action (easy → hard):"),
            Table(("joint", "MPJPE"), per_joint, "Per joint:")]


# ---------------------------------------------------------------------------------------- MPI-INF-3DHP
def score_3dhp(preds: list[np.ndarray], test: MPI3DHPTest, joint_names: tuple[str, ...] | None = None, *,
               title: str = "MPI-INF-3DHP") -> Report:
    """PCK@150 mm, AUC and MPJPE on the valid frames, per sequence and overall.

    Args:
        preds: one (T, J, 3) prediction in mm per sequence (re-centred on the pelvis here).
        test: the test set.
        joint_names: names of the J joints (default: Human3.6M 17, or 16 without "neck").

    Returns:
        a :class:`Report` ``{"per_sequence": {TS: {pck150, auc, pck150_14, auc_14, mpjpe, frames}}, "overall":
        {…} (pooled over every valid frame), "sequence_mean": {…} (mean over sequences)}``; PCK and AUC are
        percentages.
    """
    if len(preds) != len(test.seqs):
        raise SkelgnnError(f"{len(preds)} predictions for {len(test.seqs)} sequences")
    require_finite_predictions(preds, [str(k) for k in test.seqs.keys])
    J = test.seqs.targets[0].shape[1]
    if joint_names is None:
        joint_names = H36M_17.joint_names if J == 17 else tuple(n for n in H36M_17.joint_names if n != "neck")
    sel14 = [joint_names.index(n) for n in PCK14_JOINTS]
    per: dict = {}
    pooled = {k: [] for k in ("pck150", "auc", "pck150_14", "auc_14", "mpjpe")}
    for p, t, v, key in zip(preds, test.seqs.targets, test.valid, test.seqs.keys):
        p = torch.from_numpy(np.asarray(p, dtype=np.float64))[torch.from_numpy(v)]
        t = torch.from_numpy(np.asarray(t, dtype=np.float64))[torch.from_numpy(v)]
        p, t = p - p[:, :1], t - t[:, :1]
        vals = {"pck150": 100 * pck(p, t, 150.0), "auc": 100 * auc(p, t),
                "pck150_14": 100 * pck(p[:, sel14], t[:, sel14], 150.0),
                "auc_14": 100 * auc(p[:, sel14], t[:, sel14]),
                "mpjpe": mpjpe(p, t)}
        name = key.split("/", 1)[0]
        per[name] = {k: float(x.mean()) for k, x in vals.items()}
        per[name]["frames"] = int(len(p))
        for k, x in vals.items():
            pooled[k].append(x)
    overall = {k: float(torch.cat(x).mean()) for k, x in pooled.items()}
    overall["frames"] = int(sum(r["frames"] for r in per.values()))
    seq_mean = {k: float(np.mean([r[k] for r in per.values()])) for k in pooled}
    rows = [_3dhp_row(name, r, r["frames"]) for name, r in per.items()]
    rows += [_3dhp_row("all (pooled over frames)", overall, overall["frames"]),
             _3dhp_row("mean over sequences", seq_mean, "")]
    header = ("sequence", "PCK@150 (%)", "AUC (%)", "PCK@150, 14 joints (%)", "AUC, 14 joints (%)", "MPJPE "
              "(mm)",
              "frames")
    return Report({"per_sequence": per, "overall": overall, "sequence_mean": seq_mean}, title=title,
                  blocks=[Table(header, tuple(rows))],
                  required=("overall.mpjpe", "overall.pck150", "overall.auc"))


def _3dhp_row(name: str, r: dict, frames) -> tuple[str, ...]:
    return (name, f"{r['pck150']:.1f}", f"{r['auc']:.1f}", f"{r['pck150_14']:.1f}", f"{r['auc_14']:.1f}",
            f"{r['mpjpe']:.1f}", str(frames))
