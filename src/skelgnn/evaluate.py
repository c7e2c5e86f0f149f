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

from .data.lifting import SequenceSet, flip_joints
from .metrics import (auc, classwise_mean, group_means, hard_tail, joint_errors, mpjpe, mpjve, n_mpjpe,
                      p_mpjpe, pck)
from .skeleton import Skeleton

__all__ = ["evaluate_checkpoint", "lift", "predict_sequences", "stack_targets", "compute_report", "report_markdown"]


@torch.no_grad()
def lift(model: nn.Module, joints_2d: torch.Tensor, *, chunk: int = 4096) -> torch.Tensor:
    """Lift one sequence, one output per input frame (edges padded by repeating the end frames).

    Args:
        model: any registered lifter (eval mode is the caller's choice).
        joints_2d: (T, J, 2) normalised 2D joints.

    Returns:
        (T, J, 3) raw model outputs with the root subtracted.
    """
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
    for x in seqs.inputs:
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


def compute_report(preds: list[np.ndarray], seqs: SequenceSet, skeleton: Skeleton, *,
                   protocol: dict | None = None, tail_q: float = 10.0) -> dict:
    """All metrics of predictions against a sequence set's targets (mm).

    Returns:
        JSON-ready dict: ``mpjpe`` (frame-wise), ``mpjpe_classwise``, ``p_mpjpe``, ``p_mpjpe_classwise``,
        ``n_mpjpe``, ``mpjve``, ``ht10`` (mean of the worst ``tail_q`` % samples), ``rare20`` (MPJPE over
        the Rare20 frames, NaN if none), ``pck150``, ``auc``, ``per_class`` and ``per_joint`` tables,
        ``samples`` and ``protocol``.
    """
    pred, target = stack_targets(preds, seqs)
    e = mpjpe(pred, target)
    pe = p_mpjpe(pred, target)
    classes = np.concatenate([[c] * len(x) for c, x in zip(seqs.classes, seqs.inputs)])
    rare = np.concatenate(seqs.rare).astype(bool)
    vel = [mpjve(torch.from_numpy(p).double(), torch.from_numpy(t - t[:, :1]).double())
           for p, t in zip(preds, seqs.targets) if len(p) > 1]
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
        "mpjve": float(torch.cat(vel).mean()) if vel else float("nan"),
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
    report = compute_report(preds, seqs, skeleton, protocol=protocol)
    report.update(model=meta["model"]["name"], checkpoint=str(checkpoint),
                  parameters=int(sum(p.numel() for p in model.parameters())),
                  receptive_field=int(model.receptive_field),
                  seconds=round(time.perf_counter() - t0, 2))
    return report, preds, seqs
