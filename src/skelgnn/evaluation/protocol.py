"""The evaluation protocol as a value: every switch that changes a reported number is a named field.

Reproduction gaps in this field come from unstated switches (docs/data.md): test-time
flip, 16 vs 17 joints, excluded sequences, frame-wise vs action-wise averaging, test-set sampling and
model selection. A :class:`Protocol` holds them all, :meth:`Protocol.describe` spells them out, and
:func:`skelgnn.evaluation.report.protocol_report` puts that description next to every number it computes.

Metrics (all reuse :mod:`skelgnn.core.metrics`; poses in mm, root-relative, the root included in the mean
with error 0 as in VideoPose3D):

* Protocol #1 — MPJPE; Protocol #2 — P-MPJPE (per-frame similarity Procrustes); "Protocol #3" —
  N-MPJPE (per-frame scale only); MPJVE (velocity error, per sequence, at the sequence's frame rate
  after test downsampling).
* Each is reported **frame-wise** (mean over every test sample = frame × camera) and **action-wise**
  (mean over the action classes of each class's frame-wise mean, the number papers print), always both;
  ``headline_average`` only says which one a one-line summary quotes.
* Hard poses: HT5/HT10/HT20 (mean MPJPE of the worst 5/10/20 % samples), actions sorted easy → hard,
  and rare poses (test frames farthest from their nearest training pose, :mod:`skelgnn.evaluation.rare_poses`,
  by
  :func:`skelgnn.data.hdm05.rare_pose_distances` on world poses).

Shape letters: ``T`` frames, ``J`` joints, ``N`` samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

import numpy as np

from ..core.errors import SkelgnnError
from ..core.skeleton import H36M_16, H36M_17, Skeleton
from ..data.h36m import DEFAULT_EXCLUDE, TEST_SUBJECTS, TRAIN_SUBJECTS, VP3DPair
from ..data.sequences import SequenceSet
from ..data.splits import h36m_splits

__all__ = ["Protocol"]

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
            raise SkelgnnError(f"Protocol: subjects {sorted(overlap)} are in both the train and the test "
                               "split")
        object.__setattr__(self, "extra_exclude", _pairs(self.extra_exclude))
        if self.joints not in (16, 17):
            raise SkelgnnError(f"Protocol.joints must be 17 or 16, got {self.joints!r}")
        for name in ("test_downsample", "train_downsample", "rare_train_step", "val_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise SkelgnnError(f"Protocol.{name} must be an integer >= 1, got {v!r}")
        if self.headline_average not in _AVERAGES:
            raise SkelgnnError(f"Protocol.headline_average must be one of {_AVERAGES}, got "
                               f"{self.headline_average!r}")
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
        """:data:`~skelgnn.core.skeleton.H36M_17` or :data:`~skelgnn.core.skeleton.H36M_16`."""
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

    def splits(self, data: VP3DPair, *, splits: Iterable[str] = ("train", "val", "test"),
               actions: Iterable[str] | None = None, input_norm: str = "screen") -> dict[str, SequenceSet]:
        """Train / validation / test sequences of a VideoPose3D-layout pair under this protocol
        (:func:`skelgnn.data.splits.h36m_splits` with this protocol's subjects, joints, exclusions,
        downsampling and ``val_every``)."""
        return h36m_splits(data, train_subjects=self.train_subjects, test_subjects=self.test_subjects,
                           joints=self.joints, exclude=self.exclude, train_downsample=self.train_downsample,
                           test_downsample=self.test_downsample, val_every=self.val_every, splits=splits,
                           actions=actions, input_norm=input_norm)

    def describe(self) -> dict[str, str]:
        """Every switch in words, to be printed with every result."""
        excl = [f"{s} {a!r}" for s, a in self.exclude]
        joints = ("17 (Human3.6M order), pelvis included with error 0 after root alignment"
                  if self.joints == 17 else "16 (Neck/Nose dropped), pelvis included with error 0")
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
            "train frames": "every frame" if self.train_downsample == 1 else "every "
                f"{self.train_downsample}th frame",
            "averaging": (f"both reported; headline {self.headline_average} (action-wise = mean over actions "
                          "of the per-action frame mean, frame-wise = mean over samples)"),
            "model selection": self.model_selection,
            "validation": f"every {self.val_every}th (subject, action) of the training subjects, all cameras",
            "hard poses": (f"HT5/HT10/HT20 = mean MPJPE of the worst 5/10/20 % samples; rare poses = the "
                           f"{100 * self.rare_fraction:g} % test frames farthest from their nearest training "
                           f"pose (every {self.rare_train_step}th training frame, yaw-canonicalised)"),
        }
