"""The evaluation protocol as a value: every switch that changes a reported number is a named field.

Reproduction gaps in this field come from unstated switches (CONVENTIONS.md §0 item 4, §1.8): test-time
flip, 16 vs 17 joints, excluded sequences, frame-wise vs action-wise averaging, test-set sampling and
model selection. A :class:`Protocol` holds them all, :meth:`Protocol.describe` spells them out, and
:func:`protocol_report` puts that description next to every number it computes.

Metrics (all reuse :mod:`skelgnn.metrics`; poses in mm, root-relative, the root included in the mean
with error 0 as in VideoPose3D):

* Protocol #1 — MPJPE; Protocol #2 — P-MPJPE (per-frame similarity Procrustes); "Protocol #3" —
  N-MPJPE (per-frame scale only); MPJVE (velocity error, per sequence, at the sequence's frame rate
  after test downsampling).
* Each is reported **frame-wise** (mean over every test sample = frame × camera) and **action-wise**
  (mean over the action classes of each class's frame-wise mean, the number papers print), always both;
  ``headline_average`` only says which one a one-line summary quotes.
* Hard poses: HT5/HT10/HT20 (mean MPJPE of the worst 5/10/20 % samples), actions sorted easy → hard,
  and rare poses (test frames farthest from their nearest training pose, by
  :func:`skelgnn.data.hdm05.rare_pose_distances` on world poses).

Shape letters: ``T`` frames, ``J`` joints, ``N`` samples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch

from .data.h36m import (DEFAULT_EXCLUDE, TEST_SUBJECTS, TRAIN_SUBJECTS, VP3DPair, h36m_sequences,
                        h36m_world_poses, load_vp3d_pair, split_validation)
from .data.lifting import SequenceSet
from .errors import ShapeError, SkelgnnError
from .metrics import classwise_mean, group_means, hard_tail, joint_errors, mpjpe, mpjve, n_mpjpe, p_mpjpe
from .skeleton import H36M_16, H36M_17, Skeleton

__all__ = [
    "Protocol", "h36m_splits", "per_frame_errors", "hard_pose_analysis", "rare_pose_flags", "h36m_rare_flags",
    "attach_rare_flags", "protocol_report", "evaluate_protocol", "format_protocol_report",
]

_AVERAGES = ("action-wise", "frame-wise")
_KNOWN_DATASETS = {"h36m": ("Human3.6M", "z", 50.0), "hdm05": ("HDM05-Lift (VideoPose3D export)", "y", 30.0)}


def _pairs(value) -> tuple[tuple[str, str], ...]:
    out = []
    for item in value or ():
        if isinstance(item, str) or len(item) != 2:
            raise SkelgnnError(f"exclusions must be (subject, action) pairs, got {item!r}")
        out.append((str(item[0]), str(item[1])))
    return tuple(out)


@dataclass(frozen=True)
class Protocol:
    """Every switch of a Human3.6M-style evaluation (CONVENTIONS §1.8), defaults = the standard protocol.

    Args:
        dataset: what is evaluated, free text (e.g. ``"Human3.6M"``, ``"HDM05-Lift (VideoPose3D export)"``).
        input_2d: 2D source (``"gt"``, ``"cpn_ft_h36m_dbb"``, …), as in the 2D file name.
        train_subjects: training subjects (S1, S5, S6, S7, S8).
        test_subjects: test subjects (S9, S11).
        joints: 17 (root included with error 0, VideoPose3D) or 16 (Neck/Nose dropped, SemGCN style).
        test_flip: test-time flip augmentation (average with the un-flipped prediction of the mirrored
            input). On in VideoPose3D and most video lifters, off in SemGCN/GraFormer/LCN/Martinez.
        exclude_s11_directions: drop S11 "Directions" (corrupted video; VideoPose3D drops it, mmpose
            does not).
        extra_exclude: further (subject, action) pairs to drop (e.g. MotionBERT's three S9 sequences).
        test_downsample: evaluate every k-th test frame (1 = all frames at 50 fps, the video-lifter
            convention; image-based methods use 64).
        train_downsample: train on every k-th frame.
        headline_average: which average a one-line summary quotes; both are always reported.
        val_every: validation = every ``val_every``-th (subject, action) of the training subjects.
        model_selection: how the evaluated checkpoint was chosen, free text.
        rare_fraction: share of test frames flagged as rare poses (0.2 → "Rare20").
        rare_train_step: use every k-th training frame as reference in the nearest-pose search (speed).
        up_axis: world up axis of the 3D file (``"z"`` for Human3.6M, ``"y"`` for HDM05-Lift).
        fps: frame rate of the 3D data before downsampling (for the description only).
    """

    dataset: str = "Human3.6M"
    input_2d: str = "cpn_ft_h36m_dbb"
    train_subjects: tuple[str, ...] = TRAIN_SUBJECTS
    test_subjects: tuple[str, ...] = TEST_SUBJECTS
    joints: int = 17
    test_flip: bool = True
    exclude_s11_directions: bool = True
    extra_exclude: tuple[tuple[str, str], ...] = ()
    test_downsample: int = 1
    train_downsample: int = 1
    headline_average: str = "action-wise"
    val_every: int = 10
    model_selection: str = "lowest validation MPJPE on held-out training sequences (never the test subjects)"
    rare_fraction: float = 0.2
    rare_train_step: int = 5
    up_axis: str = "z"
    fps: float = 50.0

    def __post_init__(self) -> None:
        for name in ("train_subjects", "test_subjects"):
            v = getattr(self, name)
            v = (v,) if isinstance(v, str) else tuple(str(s) for s in v)
            if not v:
                raise SkelgnnError(f"Protocol.{name} must name at least one subject")
            object.__setattr__(self, name, v)
        overlap = set(self.train_subjects) & set(self.test_subjects)
        if overlap:
            raise SkelgnnError(f"Protocol: subjects {sorted(overlap)} are in both the train and the test split")
        object.__setattr__(self, "extra_exclude", _pairs(self.extra_exclude))
        if self.joints not in (16, 17):
            raise SkelgnnError(f"Protocol.joints must be 17 or 16, got {self.joints!r}")
        for name in ("test_downsample", "train_downsample", "rare_train_step", "val_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise SkelgnnError(f"Protocol.{name} must be an integer >= 1, got {v!r}")
        if self.headline_average not in _AVERAGES:
            raise SkelgnnError(f"Protocol.headline_average must be one of {_AVERAGES}, got {self.headline_average!r}")
        if not 0.0 < self.rare_fraction < 1.0:
            raise SkelgnnError(f"Protocol.rare_fraction must be in (0, 1), got {self.rare_fraction}")
        if self.up_axis not in ("y", "z"):
            raise SkelgnnError(f"Protocol.up_axis must be 'y' or 'z', got {self.up_axis!r}")
        for name in ("test_flip", "exclude_s11_directions"):
            if not isinstance(getattr(self, name), bool):
                raise SkelgnnError(f"Protocol.{name} must be True or False")

    @classmethod
    def from_config(cls, data) -> Protocol:
        """The protocol named by a ``[data]`` config section (an object with attributes, or a dict).

        Reads ``name`` (``"h36m"`` → Human3.6M, Z up, 50 fps; ``"hdm05"`` → HDM05-Lift export, Y up,
        30 fps), ``input``, ``train_subjects``, ``test_subjects``, ``joints``, ``test_flip``,
        ``exclude_s11_directions``, ``train_downsample``, ``test_downsample`` and ``val_every``; absent
        keys keep their defaults.
        """
        get = data.get if isinstance(data, dict) else (lambda k, d=None: getattr(data, k, d))
        name = str(get("name", "h36m"))
        dataset, up, fps = _KNOWN_DATASETS.get(name, (f"{name} (VideoPose3D layout)", "z", 50.0))
        kw = {"dataset": dataset, "up_axis": up, "fps": fps}
        if get("input") is not None:
            kw["input_2d"] = str(get("input"))
        for key in ("train_subjects", "test_subjects", "joints", "test_flip", "exclude_s11_directions",
                    "train_downsample", "test_downsample", "val_every"):
            if get(key) is not None:
                kw[key] = get(key)
        return cls(**kw)

    # ------------------------------------------------------------------ derived
    @property
    def exclude(self) -> tuple[tuple[str, str], ...]:
        """All excluded (subject, action) pairs."""
        return (DEFAULT_EXCLUDE if self.exclude_s11_directions else ()) + self.extra_exclude

    @property
    def skeleton(self) -> Skeleton:
        """:data:`~skelgnn.skeleton.H36M_17` or :data:`~skelgnn.skeleton.H36M_16`."""
        return H36M_17 if self.joints == 17 else H36M_16

    def replace(self, **changes) -> Protocol:
        """A copy with some fields changed (validated again)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise SkelgnnError(f"Protocol has no field(s) {sorted(unknown)}")
        return Protocol(**{**asdict(self), **changes})

    def to_dict(self) -> dict:
        """Plain-data fields (JSON-ready; tuples become lists)."""
        d = asdict(self)
        return {k: ([list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v)
                for k, v in d.items()}

    def describe(self) -> dict[str, str]:
        """Every switch in words, to be printed with every result."""
        excl = [f"{s} {a!r}" for s, a in self.exclude]
        joints = ("17 (Human3.6M order), pelvis included with error 0 after root alignment" if self.joints == 17
                  else "16 (Neck/Nose dropped), pelvis included with error 0")
        frames = ("every frame" if self.test_downsample == 1 else f"every {self.test_downsample}th frame")
        return {
            "dataset": self.dataset,
            "2D input": self.input_2d,
            "train subjects": ", ".join(self.train_subjects),
            "test subjects": ", ".join(self.test_subjects),
            "excluded sequences": ", ".join(excl) if excl else "none",
            "joints": joints,
            "test-time flip": "on" if self.test_flip else "off",
            "test frames": f"{frames} at {self.fps:g} fps, every camera (each frame × camera is one sample)",
            "train frames": "every frame" if self.train_downsample == 1 else f"every {self.train_downsample}th frame",
            "averaging": (f"both reported; headline {self.headline_average} (action-wise = mean over actions of "
                          "the per-action frame mean, frame-wise = mean over samples)"),
            "model selection": self.model_selection,
            "validation": f"every {self.val_every}th (subject, action) of the training subjects, all cameras",
            "hard poses": (f"HT5/HT10/HT20 = mean MPJPE of the worst 5/10/20 % samples; rare poses = the "
                           f"{100 * self.rare_fraction:g} % test frames farthest from their nearest training pose "
                           f"(every {self.rare_train_step}th training frame, yaw-canonicalised)"),
        }


# ---------------------------------------------------------------------------------------- data
def h36m_splits(protocol: Protocol, data_3d: str | Path | VP3DPair, data_2d: str | Path | None = None, *,
                allow_pickle: bool = False, splits: Iterable[str] = ("train", "val", "test"),
                actions: Iterable[str] | None = None, input_norm: str = "screen") -> dict[str, SequenceSet]:
    """Train / validation / test sequences of VideoPose3D-layout files under ``protocol``.

    The files are read once. Train and validation come from ``protocol.train_subjects`` (validation =
    :func:`~skelgnn.data.h36m.split_validation` with ``protocol.val_every``) at ``train_downsample``;
    test from ``protocol.test_subjects`` at ``test_downsample``. ``actions`` and ``input_norm`` are passed
    to :func:`~skelgnn.data.h36m.h36m_sequences`.

    Returns:
        ``{split: SequenceSet}`` for the requested splits.
    """
    splits = tuple(splits)
    bad = set(splits) - {"train", "val", "test"}
    if bad:
        raise SkelgnnError(f"unknown split(s) {sorted(bad)}; expected train, val, test")
    data = data_3d if isinstance(data_3d, VP3DPair) else load_vp3d_pair(data_3d, data_2d, allow_pickle=allow_pickle)
    common = {"joints": protocol.joints, "exclude": protocol.exclude, "actions": actions, "input_norm": input_norm}
    out: dict[str, SequenceSet] = {}
    if "train" in splits or "val" in splits:
        seqs = h36m_sequences(data, subjects=protocol.train_subjects, downsample=protocol.train_downsample, **common)
        train, val = split_validation(seqs, protocol.val_every)
        if "train" in splits:
            out["train"] = train
        if "val" in splits:
            out["val"] = val
    if "test" in splits:
        out["test"] = h36m_sequences(data, subjects=protocol.test_subjects, downsample=protocol.test_downsample,
                                     **common)
    return out


# ---------------------------------------------------------------------------------------- metrics
def _check_preds(preds: Sequence[np.ndarray], seqs: SequenceSet) -> None:
    if len(preds) != len(seqs):
        raise ShapeError(f"{len(preds)} predictions for {len(seqs)} sequences")
    if len(seqs) == 0:
        raise SkelgnnError("no sequences to evaluate")
    for p, t, k in zip(preds, seqs.targets, seqs.keys):
        if np.shape(p) != np.shape(t):
            raise ShapeError(f"prediction for {k} has shape {np.shape(p)}, target {np.shape(t)}")


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
        "mpjve": torch.cat(vel).numpy() if vel else np.zeros(0), "mpjve_class": np.array(vel_cls, dtype=object),
        "joint": (joint_sum / n).numpy(),
    }


def _labels(seqs: SequenceSet) -> list[str]:
    return [c for c, x in zip(seqs.classes, seqs.inputs) for _ in range(len(x))]


def hard_pose_analysis(per_frame: np.ndarray, classes: Sequence[str], qs: Sequence[float] = (5, 10, 20)) -> dict:
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


def _to_y_up(poses: np.ndarray, up_axis: str) -> np.ndarray:
    if up_axis == "y":
        return poses
    # Z up -> Y up by the proper rotation (x, y, z) -> (x, z, -y); only the vertical axis matters for the
    # yaw canonicalisation of rare_pose_distances
    return np.stack([poses[..., 0], poses[..., 2], -poses[..., 1]], axis=-1)


def rare_pose_flags(test_world: dict[str, np.ndarray], train_world: dict[str, np.ndarray], *,
                    fraction: float = 0.2, train_step: int = 5, up_axis: str = "z",
                    memory_mb: float = 256.0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rare poses: the ``fraction`` of test frames farthest from their nearest training pose.

    Distances come from :func:`skelgnn.data.hdm05.rare_pose_distances` (root-relative, yaw-canonicalised,
    mean per-joint distance) against every ``train_step``-th training frame of every sequence. Cost is
    (test frames) × (reference frames) × J distance evaluations on the CPU: for all of Human3.6M's test
    frames against every 5th training frame, expect tens of minutes; use a test downsample for a quick look.

    Args:
        test_world: ``{"<subject>/<action>": (T, J, 3) world mm}`` (from
            :func:`~skelgnn.data.h36m.h36m_world_poses`).
        train_world: the same for the training subjects.
        fraction: share of test frames flagged (ties broken by order, deterministic).
        train_step: reference subsampling.
        up_axis: ``"z"`` (Human3.6M) or ``"y"`` (HDM05-Lift).
        memory_mb: bound for the distance block held at once.

    Returns:
        ``(flags, distances)``, both keyed like ``test_world``: (T,) bool and (T,) float64 mm.
    """
    from .data.hdm05 import rare_pose_distances

    if not test_world or not train_world:
        raise SkelgnnError("rare_pose_flags needs test and training poses")
    keys = list(test_world)
    test = np.concatenate([test_world[k] for k in keys]).astype(np.float64)
    ref = np.concatenate([v[::train_step] for v in train_world.values()]).astype(np.float64)
    chunk = max(1, int(memory_mb * 1e6 / 8 / max(len(ref), 1)))
    dist = rare_pose_distances(_to_y_up(test, up_axis), _to_y_up(ref, up_axis), chunk=chunk)
    n_rare = int(round(fraction * len(dist)))
    flags_all = np.zeros(len(dist), dtype=bool)
    flags_all[np.argsort(-dist, kind="stable")[:n_rare]] = True
    flags, dists, s = {}, {}, 0
    for k in keys:
        n = len(test_world[k])
        flags[k], dists[k] = flags_all[s:s + n], dist[s:s + n]
        s += n
    return flags, dists


def h36m_rare_flags(protocol: Protocol, data_3d: str | Path | VP3DPair, data_2d: str | Path | None = None, *,
                    allow_pickle: bool = False, actions: Iterable[str] | None = None,
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rare-pose flags of the test frames of VideoPose3D-layout files under ``protocol``.

    Test frames are taken at ``protocol.test_downsample`` (so the flags fit the test sequences of
    :func:`h36m_splits`); the reference is every ``protocol.rare_train_step``-th frame of every training
    subject's sequence (validation sequences included). Then :func:`attach_rare_flags` puts them on the
    test set.

    Returns:
        ``(flags, distances)`` as :func:`rare_pose_flags`.
    """
    data = data_3d if isinstance(data_3d, VP3DPair) else load_vp3d_pair(data_3d, data_2d, allow_pickle=allow_pickle)
    common = {"joints": protocol.joints, "exclude": protocol.exclude, "actions": actions}
    test = h36m_world_poses(data, subjects=protocol.test_subjects, downsample=protocol.test_downsample, **common)
    train = h36m_world_poses(data, subjects=protocol.train_subjects, **common)
    return rare_pose_flags(test, train, fraction=protocol.rare_fraction, train_step=protocol.rare_train_step,
                           up_axis=protocol.up_axis)


def attach_rare_flags(seqs: SequenceSet, flags: dict[str, np.ndarray]) -> SequenceSet:
    """Set ``seqs.rare`` from per-(subject, action) flags (every camera of a frame shares its flag).

    Raises:
        SkelgnnError: a sequence has no flags or their length differs (different downsampling?).
    """
    for i, key in enumerate(seqs.keys):
        group = key.rsplit("/", 1)[0]
        if group not in flags:
            raise SkelgnnError(f"no rare-pose flags for sequence {key}")
        f = np.asarray(flags[group], dtype=bool)
        if len(f) != len(seqs.inputs[i]):
            raise SkelgnnError(f"rare-pose flags of {group} have {len(f)} frames, the sequence {len(seqs.inputs[i])} "
                               "(read both with the same downsample)")
        seqs.rare[i] = f.copy()
    return seqs


def _both(values: np.ndarray, labels: Sequence[str]) -> dict:
    t = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if t.numel() == 0:
        return {"frame_wise": float("nan"), "action_wise": float("nan")}
    return {"frame_wise": float(t.mean()), "action_wise": classwise_mean(t, list(labels))}


def protocol_report(preds: Sequence[np.ndarray], seqs: SequenceSet, protocol: Protocol) -> dict:
    """All protocol metrics of predictions, with the protocol description (pure, no model).

    Args:
        preds: one (T, J, 3) prediction in mm per sequence of ``seqs``.
        seqs: the test sequences (``rare`` flags used when any is set).
        protocol: the protocol the predictions were made under.

    Returns:
        JSON-ready dict: ``protocol`` (:meth:`Protocol.describe`), ``protocol_fields``;
        ``protocol_1`` (MPJPE), ``protocol_2`` (P-MPJPE), ``protocol_3`` (N-MPJPE) and ``mpjve``, each
        ``{"frame_wise", "action_wise"}``; ``headline`` (the three protocols under
        ``headline_average``); ``per_action`` ({action: mpjpe, p_mpjpe, n_mpjpe, mpjve, samples},
        easy → hard); ``per_joint``; ``hard_poses`` (:func:`hard_pose_analysis`); ``rare_poses`` (MPJPE
        over the flagged frames and over the rest, when flags are set); ``samples``, ``sequences``.
    """
    err = per_frame_errors(preds, seqs)
    labels = _labels(seqs)
    J = seqs.targets[0].shape[1]
    names = protocol.skeleton.joint_names if J == protocol.joints else tuple(f"joint_{j}" for j in range(J))
    report: dict = {"protocol": protocol.describe(), "protocol_fields": protocol.to_dict()}
    for key, metric in (("protocol_1", "mpjpe"), ("protocol_2", "p_mpjpe"), ("protocol_3", "n_mpjpe")):
        report[key] = {"metric": {"mpjpe": "MPJPE", "p_mpjpe": "P-MPJPE", "n_mpjpe": "N-MPJPE"}[metric],
                       **_both(err[metric], labels)}
    report["mpjve"] = {"metric": "MPJVE", **_both(err["mpjve"], err["mpjve_class"].tolist())}
    avg = "action_wise" if protocol.headline_average == "action-wise" else "frame_wise"
    report["headline"] = {"average": protocol.headline_average,
                          **{k: report[k][avg] for k in ("protocol_1", "protocol_2", "protocol_3")}}
    per = {m: group_means(torch.from_numpy(err[m]), labels) for m in ("mpjpe", "p_mpjpe", "n_mpjpe")}
    vel = group_means(torch.from_numpy(err["mpjve"]), err["mpjve_class"].tolist()) if len(err["mpjve"]) else {}
    counts: dict[str, int] = {}
    for c in labels:
        counts[c] = counts.get(c, 0) + 1
    report["per_action"] = {c: {"mpjpe": per["mpjpe"][c], "p_mpjpe": per["p_mpjpe"][c], "n_mpjpe": per["n_mpjpe"][c],
                                "mpjve": vel.get(c, float("nan")), "samples": counts[c]}
                            for c in sorted(per["mpjpe"], key=per["mpjpe"].get)}
    report["per_joint"] = {names[j]: float(err["joint"][j]) for j in range(J)}
    report["hard_poses"] = hard_pose_analysis(err["mpjpe"], labels)
    rare = np.concatenate(seqs.rare).astype(bool) if seqs.rare else np.zeros(0, dtype=bool)
    if len(rare) == len(err["mpjpe"]) and rare.any():
        report["rare_poses"] = {"rare_mpjpe": float(err["mpjpe"][rare].mean()),
                                "common_mpjpe": float(err["mpjpe"][~rare].mean()) if (~rare).any() else float("nan"),
                                "rare_samples": int(rare.sum()), "fraction": float(rare.mean())}
    report["samples"] = int(len(err["mpjpe"]))
    report["sequences"] = len(seqs)
    return report


def evaluate_protocol(model: torch.nn.Module, meta: dict, seqs: SequenceSet, protocol: Protocol, *,
                      chunk: int = 4096) -> dict:
    """Predict ``seqs`` with a loaded checkpoint (test-time flip per ``protocol``) and report.

    Args:
        model: from :func:`skelgnn.checkpoint.load_checkpoint`.
        meta: its checkpoint dict (``skeleton``, ``normalization``, ``model``).
        seqs: the test sequences, read with ``joints = protocol.joints``.
        protocol: the protocol.

    Returns:
        :func:`protocol_report`'s dict plus ``model``.
    """
    from .evaluate import predict_sequences

    skeleton = Skeleton.from_dict(meta["skeleton"])
    if skeleton.num_joints != protocol.joints:
        raise SkelgnnError(f"the checkpoint's skeleton has {skeleton.num_joints} joints, the protocol "
                           f"{protocol.joints}")
    preds = predict_sequences(model, seqs, skeleton, tta=protocol.test_flip, chunk=chunk,
                              scale_mm=float(meta["normalization"]["target_scale_mm"]))
    report = protocol_report(preds, seqs, protocol)
    report["model"] = f"{meta['model']['name']} {meta['model'].get('kwargs', {})}"
    return report


def _mm(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


def format_protocol_report(report: dict, title: str = "Results") -> str:
    """Markdown of :func:`protocol_report`: the protocol first, then every number."""
    lines = [f"## {title}", "", "Protocol:"]
    lines += [f"- {k}: {v}" for k, v in report["protocol"].items()]
    lines += ["", "| metric | action-wise (mm) | frame-wise (mm) |", "|---|---|---|"]
    for key, label in (("protocol_1", "Protocol #1 MPJPE"), ("protocol_2", "Protocol #2 P-MPJPE"),
                       ("protocol_3", "Protocol #3 N-MPJPE"), ("mpjve", "MPJVE")):
        lines.append(f"| {label} | {_mm(report[key]['action_wise'])} | {_mm(report[key]['frame_wise'])} |")
    hp = report["hard_poses"]
    lines += ["", (f"Hard tail: HT5 {_mm(hp['ht5'])}, HT10 {_mm(hp['ht10'])}, HT20 {_mm(hp['ht20'])} mm "
                   f"over {report['samples']} samples.")]
    if "rare_poses" in report:
        r = report["rare_poses"]
        lines.append(f"Rare poses ({100 * r['fraction']:.0f} % of samples): MPJPE {_mm(r['rare_mpjpe'])} mm, "
                     f"other poses {_mm(r['common_mpjpe'])} mm.")
    lines += ["", "Per action (easy → hard):", "",
              "| action | MPJPE | P-MPJPE | N-MPJPE | MPJVE | HT10 | samples |", "|---|---|---|---|---|---|---|"]
    ht = {r["action"]: r["ht10"] for r in hp["actions_easy_to_hard"]}
    for a, row in report["per_action"].items():
        lines.append(f"| {a} | {_mm(row['mpjpe'])} | {_mm(row['p_mpjpe'])} | {_mm(row['n_mpjpe'])} | "
                     f"{_mm(row['mpjve'])} | {_mm(ht.get(a))} | {row['samples']} |")
    lines += ["", "Per joint:", "", "| joint | MPJPE |", "|---|---|"]
    lines += [f"| {j} | {_mm(v)} |" for j, v in report["per_joint"].items()]
    return "\n".join(lines) + "\n"
