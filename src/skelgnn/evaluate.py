"""Evaluation: run a lifter over sequences and compute the benchmark's metrics.

Pure functions, no file I/O. The protocol (input, test-time flip, joints, frames, averaging) is part
of every report, next to the numbers.

Conventions (BENCHMARK.md §5): every test frame of every camera is one sample ("frame"); MPJPE is the
mean over the 17 joints including the pelvis (error 0 after root alignment); "frame-wise" is the mean
over samples, "class-wise" the mean over the motion classes of each class's frame-wise mean.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .data.lifting import SequenceSet, flip_joints, require_finite
from .errors import SkelgnnError
from .metrics import (accel_error, auc, bone_length_std, classwise_mean, group_means, hard_tail, joint_errors,
                      mpjpe, mpjve, n_mpjpe, p_mpjpe, pck)
from .skeleton import Skeleton

__all__ = ["evaluate_checkpoint", "lift", "predict_sequences", "stack_targets", "compute_report", "report_markdown",
           "jitter_metrics", "fit_trajectories", "trajectory_metrics",
           "checkpoint_data_kind", "evaluate_h36m_checkpoint", "evaluate_3dhp_checkpoint"]


@torch.no_grad()
def lift(model: nn.Module, joints_2d: torch.Tensor, *, chunk: int = 4096) -> torch.Tensor:
    """Lift one sequence, one output per input frame (edges padded by repeating the end frames).

    Args:
        model: any registered lifter (eval mode is the caller's choice).
        joints_2d: (T, J, 2) normalised 2D joints.

    Returns:
        (T, J, 3) raw model outputs with the root subtracted.
    """
    if not bool(torch.isfinite(joints_2d).all()):
        raise SkelgnnError("joints_2d contains NaN or infinite values; fill or drop the missing joints first "
                           "(e.g. skelgnn.keypoints.fill_missing)")
    rf = int(model.receptive_field)
    pad = rf // 2
    x = torch.cat([joints_2d[:1].expand(pad, -1, -1), joints_2d, joints_2d[-1:].expand(pad, -1, -1)])
    T = joints_2d.shape[0]
    outs = []
    for s in range(0, T, chunk):
        n = min(chunk, T - s)
        outs.append(model(x[s: s + n + rf - 1][None])[0])  # (n, J, 3)
    y = torch.cat(outs)
    return y - y[:, :1]


@torch.no_grad()
def predict_sequences(model: nn.Module, seqs: SequenceSet, skeleton: Skeleton, *, tta: bool = False,
                      scale_mm: float = 1000.0, chunk: int = 4096) -> list[np.ndarray]:
    """Predictions in millimetres, one (T, J, 3) float32 array per sequence (root at 0).

    With ``tta`` the prediction is averaged with the un-flipped prediction on the flipped input.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    preds = []
    for i, x in enumerate(seqs.inputs):
        require_finite(x, f"sequence {seqs.key(i)}: the 2D input")
        xt = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        y = lift(model, xt, chunk=chunk)
        if tta:
            y = 0.5 * (y + flip_joints(lift(model, flip_joints(xt, skeleton), chunk=chunk), skeleton))
        preds.append((y * scale_mm).float().cpu().numpy())
    model.train(was_training)
    return preds


def stack_targets(preds: list[np.ndarray], seqs: SequenceSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate predictions and root-relative targets over sequences: two (N, J, 3) float64 tensors."""
    pred = torch.from_numpy(np.concatenate(preds)).double()
    target = torch.from_numpy(np.concatenate(seqs.targets)).double()
    return pred, target - target[:, :1]


def jitter_metrics(preds: list[np.ndarray], targets: list[np.ndarray], parents) -> dict:
    """Smoothness metrics of BENCHMARK.md §7 over sequences (each (T, J, 3) mm, root-relative).

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


def fit_trajectories(preds: list[np.ndarray], seqs: SequenceSet) -> list[np.ndarray]:
    """Least-squares camera-frame pelvis per sequence (:func:`skelgnn.trajectory.fit_root`) from each
    sequence's pixels and intrinsics: a list of (T, 3) float64 mm.

    Raises:
        SkelgnnError: the sequence set has no pixels/intrinsics (``seqs.has_trajectory`` is False).
    """
    from .trajectory import Intrinsics, fit_root

    if not seqs.has_trajectory:
        raise SkelgnnError("these sequences carry no 2D pixels, camera roots and intrinsics; "
                           "the root trajectory cannot be fitted or scored")
    return [fit_root(p, uv, Intrinsics(*k), strict=False)  # NaN rows where a frame has no solution
            for p, uv, k in zip(preds, seqs.pixels, seqs.intrinsics)]


def trajectory_metrics(preds: list[np.ndarray], roots: list[np.ndarray], seqs: SequenceSet) -> dict:
    """Trajectory metrics of BENCHMARK.md §7 (mm, frame-weighted over every sample).

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
                   protocol: dict | None = None, tail_q: float = 10.0, roots: list[np.ndarray] | None = None) -> dict:
    """All metrics of predictions against a sequence set's targets (mm).

    Returns:
        JSON-ready dict: ``mpjpe`` (frame-wise), ``mpjpe_classwise``, ``p_mpjpe``, ``p_mpjpe_classwise``,
        ``n_mpjpe``, ``mpjve``, ``ht10`` (mean of the worst ``tail_q`` % samples), ``rare20`` (MPJPE over
        the Rare20 frames, NaN if none), ``pck150``, ``auc``, ``per_class`` and ``per_joint`` tables,
        ``samples`` and ``protocol``; the smoothness metrics of :func:`jitter_metrics` (``accel``,
        ``bone_std``, ``bone_std_target``); and with ``roots`` (predicted camera-frame pelvis per sequence)
        those of :func:`trajectory_metrics`.
    """
    for i, t in enumerate(seqs.targets):
        require_finite(t, f"sequence {seqs.key(i)}: the 3D target")
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
    return report


def report_markdown(report: dict, title: str = "Results") -> str:
    """A readable Markdown rendering of :func:`compute_report`'s dict."""
    lines = [f"## {title}", "", "Protocol:"]
    for k, v in report["protocol"].items():
        lines.append(f"- {k}: {v}")
    lines += ["", "| metric | mm |", "|---|---|"]
    for k, label in (("mpjpe", "MPJPE (frame-wise)"), ("mpjpe_classwise", "MPJPE (class-wise)"),
                     ("p_mpjpe", "P-MPJPE (frame-wise)"), ("n_mpjpe", "N-MPJPE"), ("mpjve", "MPJVE"),
                     ("ht10", "HT10 (worst 10 % of samples)"), ("rare20", "Rare20")):
        lines.append(f"| {label} | {report[k]:.2f} |")
    lines.append(f"| PCK@150mm / AUC | {100 * report['pck150']:.1f} % / {100 * report['auc']:.1f} % |")
    for k, label in (("accel", "Accel (mm/frame²)"), ("bone_std", "bone-length sd over time"),
                     ("bone_std_target", "bone-length sd over time, ground truth"),
                     ("root_error", "root position error (camera frame)"), ("abs_mpjpe", "absolute MPJPE (root kept)")):
        if k in report:
            lines.append(f"| {label} | {report[k]:.2f} |")
    if "root_error_pct" in report:
        lines.append(f"| root error / depth error, % of camera distance | {report['root_error_pct']:.2f} % / "
                     f"{report['root_depth_error_pct']:.2f} % |")
    lines += ["", "Per class (easy → hard):", "", "| class | MPJPE | P-MPJPE | samples |", "|---|---|---|---|"]
    for c, row in report["per_class"].items():
        lines.append(f"| {c} | {row['mpjpe']:.2f} | {row['p_mpjpe']:.2f} | {row['samples']} |")
    lines += ["", "Per joint:", "", "| joint | MPJPE |", "|---|---|"]
    for j, v in report["per_joint"].items():
        lines.append(f"| {j} | {v:.2f} |")
    return "\n".join(lines) + "\n"


def evaluate_checkpoint(checkpoint, data_dir, *, input_kind: str = "gt", split: str = "test",
                        tta: bool = False) -> tuple[dict, list[np.ndarray], SequenceSet]:
    """Driver: load a checkpoint and HDM05-Lift, predict every sequence of ``split``, build the report.

    Returns:
        ``(report, predictions in mm, sequences)``.
    """
    import time

    from .checkpoint import load_checkpoint
    from .data.hdm05_files import load_benchmark
    from .data.lifting import benchmark_sequences
    from .errors import SkelgnnError

    model, meta = load_checkpoint(checkpoint)
    skeleton = Skeleton.from_dict(meta["skeleton"])
    norm = meta["normalization"].get("input", "screen")
    seqs = benchmark_sequences(load_benchmark(data_dir), split, input_kind, input_norm=norm)
    if len(seqs) == 0:
        raise SkelgnnError(f"{data_dir}: the split {split!r} has no clips")
    t0 = time.perf_counter()
    preds = predict_sequences(model, seqs, skeleton, tta=tta,
                              scale_mm=float(meta["normalization"]["target_scale_mm"]))
    protocol = {
        "benchmark": "HDM05-Lift (spec v1)",
        "split": "test (actors mm, tr)" if split == "test" else split,
        "input": f"{input_kind} (normalised: {norm})", "test-time flip": "on" if tta else "off",
        "joints": "17 (Human3.6M order), pelvis included with error 0 after root alignment",
        "frames": f"every 30 fps frame x 4 cameras = {seqs.num_frames} samples",
        "averaging": "frame-wise (mean over samples) and class-wise (mean over the motion classes)",
        "hard tail": "HT10 = mean MPJPE of the worst 10 % samples of this model",
        "rare poses": "Rare20 = MPJPE over the fixed 20 % test frames farthest from any training pose",
        "model": f"{meta['model']['name']} {meta['model']['kwargs']}",
        "model selection": "lowest validation MPJPE (validation clips of the training actors)",
    }
    protocol["smoothness"] = ("Accel = mean |second difference error| per joint, mm/frame^2 at 30 fps; MPJVE the same "
                              "with first differences; bone sd = per clip x camera std of each bone's length")
    protocol["trajectory"] = ("camera-frame pelvis fitted by least squares to the 2D input with the true intrinsics "
                              "(skelgnn.trajectory.fit_root); absolute MPJPE keeps the root")
    roots = fit_trajectories(preds, seqs)
    report = compute_report(preds, seqs, skeleton, protocol=protocol, roots=roots)
    report.update(model=meta["model"]["name"], checkpoint=str(checkpoint),
                  parameters=int(sum(p.numel() for p in model.parameters())),
                  receptive_field=int(model.receptive_field),
                  seconds=round(time.perf_counter() - t0, 2))
    return report, preds, seqs


# ---------------------------------------------------------------------------------------- VideoPose3D layout
def checkpoint_data_kind(checkpoint) -> str:
    """``data.kind`` of the config stored in a checkpoint: ``"hdm05"`` (also for older checkpoints) or ``"h36m"``."""
    from .checkpoint import read_checkpoint

    data = (read_checkpoint(checkpoint).get("config") or {}).get("data") or {}
    return str(data.get("kind", "hdm05"))


def evaluate_h36m_checkpoint(checkpoint, data_dir, *, allow_pickle: bool = False, tta: bool | None = None,
                             joints: int | None = None, keep_s11_directions: bool = False,
                             test_downsample: int | None = None, rare: bool = False):
    """Driver: a checkpoint trained with ``data.kind = "h36m"`` on the test subjects of its protocol.

    The :class:`~skelgnn.protocol.Protocol` is the one of the checkpoint's ``[data]`` config
    (:meth:`~skelgnn.protocol.Protocol.from_config`) with these overrides: ``tta`` (test-time flip; ``None``
    keeps ``data.test_flip``), ``joints``, ``keep_s11_directions`` and ``test_downsample``. The files are
    ``<data_dir>/data_3d_<name>.npz`` and ``<data_dir>/data_2d_<name>_<input>.npz`` (``name`` and ``input``
    from the config). With ``rare`` the test frames farthest from their nearest training pose are flagged
    (slow on the full Human3.6M: a nearest-neighbour search over the training poses).

    Returns:
        ``(report, predictions in mm, test sequences, protocol)``; the report is
        :func:`skelgnn.protocol.evaluate_protocol`'s dict (same numbers) plus ``checkpoint``, ``parameters``,
        ``receptive_field``, ``files``, ``selection`` and ``seconds``.

    Raises:
        SkelgnnError: the checkpoint is not an ``h36m`` one, ``joints`` differs from the checkpoint's
            skeleton, ``allow_pickle`` is false, or a file is missing or malformed.
    """
    import time

    from .checkpoint import load_checkpoint
    from .data.h36m import load_vp3d_pair
    from .datasets import h36m_data_files
    from .errors import SkelgnnError
    from .protocol import Protocol, attach_rare_flags, h36m_rare_flags, h36m_splits, protocol_report

    model, meta = load_checkpoint(checkpoint)
    data = dict((meta.get("config") or {}).get("data") or {})
    if data.get("kind", "hdm05") != "h36m":
        raise SkelgnnError(f"{checkpoint}: trained with data.kind = {data.get('kind', 'hdm05')!r}, not 'h36m'")
    protocol = Protocol.from_config(data)
    changes: dict = {}
    if tta is not None:
        changes["test_flip"] = bool(tta)
    if keep_s11_directions:
        changes["exclude_s11_directions"] = False
    if test_downsample is not None:
        changes["test_downsample"] = test_downsample
    if joints is not None:
        changes["joints"] = joints
    protocol = protocol.replace(**changes) if changes else protocol
    skeleton = Skeleton.from_dict(meta["skeleton"])
    if skeleton.num_joints != protocol.joints:
        raise SkelgnnError(f"{checkpoint}: the model was trained on {skeleton.num_joints} joints, so it cannot be "
                           f"evaluated with {protocol.joints} joints; the 16-joint protocol needs a model trained "
                           "with data.joints = 16 (and the 17-joint one a 17-joint model)")
    p3, p2 = h36m_data_files(data_dir, str(data.get("name", "h36m")), protocol.input_2d, allow_pickle=allow_pickle)
    pair = load_vp3d_pair(p3, p2, allow_pickle=True)
    seqs = h36m_splits(protocol, pair, splits=("test",),
                       input_norm=meta["normalization"].get("input", "screen"))["test"]
    if len(seqs) == 0:
        raise SkelgnnError(f"{p3}: no test sequences for subjects {list(protocol.test_subjects)}")
    t0 = time.perf_counter()
    if rare:
        flags, _ = h36m_rare_flags(protocol, pair)
        attach_rare_flags(seqs, flags)
    # what protocol.evaluate_protocol does, keeping the predictions (for --save-predictions)
    preds = predict_sequences(model, seqs, skeleton, tta=protocol.test_flip,
                              scale_mm=float(meta["normalization"]["target_scale_mm"]))
    report = protocol_report(preds, seqs, protocol)
    report["model"] = f"{meta['model']['name']} {meta['model'].get('kwargs', {})}"
    report.update(checkpoint=str(checkpoint), parameters=int(sum(p.numel() for p in model.parameters())),
                  receptive_field=int(model.receptive_field), files=[str(p3), str(p2)],
                  selection=dict(meta.get("metrics") or {}), seconds=round(time.perf_counter() - t0, 2))
    return report, preds, seqs, protocol


def evaluate_3dhp_checkpoint(checkpoint, path, *, allow_pickle: bool = False, tta: bool | None = None,
                             order: str = "mpi") -> dict:
    """Driver: cross-dataset PCK@150 mm / AUC of a checkpoint on the MPI-INF-3DHP test set.

    ``tta`` ``None`` uses the checkpoint's ``data.test_flip`` for ``h36m`` checkpoints and off otherwise.
    See :func:`skelgnn.data.mpi3dhp.evaluate_3dhp` for the file layout and the metrics.

    Returns:
        :func:`~skelgnn.data.mpi3dhp.evaluate_3dhp`'s dict plus ``checkpoint``.
    """
    from .checkpoint import load_checkpoint
    from .data.mpi3dhp import evaluate_3dhp

    model, meta = load_checkpoint(checkpoint)
    if tta is None:
        data = (meta.get("config") or {}).get("data") or {}
        tta = bool(data.get("test_flip", False)) if data.get("kind", "hdm05") == "h36m" else False
    report = evaluate_3dhp(model, meta, path, allow_pickle=allow_pickle, tta=tta, order=order)
    report["checkpoint"] = str(checkpoint)
    return report
