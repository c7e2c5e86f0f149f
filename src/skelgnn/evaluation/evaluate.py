"""Evaluation: a checkpoint on a test set, every number next to the protocol it was computed under.

:func:`evaluate` is the one entry point (``skelgnn evaluate`` and ``skelgnn evaluate-3dhp`` call it):
it reads the data kind from the checkpoint's config and runs one of three drivers:

* :func:`evaluate_checkpoint`: HDM05-Lift (the benchmark folder of ``skelgnn data hdm05``);
* :func:`evaluate_cross_checkpoint`: an HDM05-trained checkpoint on Bandai2-Cross, the cross-dataset test
  set (the folder of ``skelgnn data bandai2``, recognised by its ``bandai2_cross.npz``);
* :func:`evaluate_h36m_checkpoint`: a ``data.kind = "h36m"`` checkpoint on the test subjects of its
  :class:`~skelgnn.evaluation.protocol.Protocol` (VideoPose3D-layout files);
* :func:`evaluate_3dhp_checkpoint`: cross-dataset PCK / AUC on the MPI-INF-3DHP test set.

Each loads the model (:class:`skelgnn.lifting.api.Lifter`) and the data (:mod:`skelgnn.data`), predicts
(:mod:`skelgnn.lifting.inference`) and builds a :class:`~skelgnn.evaluation.report.Report`
(:mod:`skelgnn.evaluation.report`).

Conventions (docs/benchmarks.md): every test frame of every camera is one sample ("frame"); MPJPE is the
mean over the 17 joints including the pelvis (error 0 after root alignment); "frame-wise" is the mean
over samples, "class-wise" the mean over the motion classes of each class's frame-wise mean.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.errors import ParameterError, SkelgnnError
from ..core.io import atomic_save_npz
from ..data.bandai2 import cross_sequences
from ..data.bandai2_files import is_cross_folder, load_cross
from ..data.h36m import h36m_data_files, load_vp3d_pair
from ..data.hdm05 import benchmark_sequences
from ..data.hdm05_files import load_benchmark
from ..data.mpi3dhp import read_3dhp_test
from ..data.sequences import SequenceSet
from ..lifting.api import Lifter
from ..lifting.checkpoint import CheckpointInfo, read_checkpoint
from ..lifting.inference import fit_trajectories
from .cross_report import cross_report
from .protocol import Protocol
from .rare_poses import attach_rare_flags, h36m_rare_flags
from .report import Note, Report, compute_report, protocol_report, score_3dhp

__all__ = ["Evaluation", "evaluate", "checkpoint_data_kind", "evaluate_checkpoint",
           "evaluate_h36m_checkpoint",
           "evaluate_3dhp_checkpoint", "evaluate_protocol", "evaluate_3dhp", "evaluate_cross_checkpoint"]

_H36M_ONLY = ("joints", "keep_s11_directions", "test_downsample", "rare")
_HDM05_ONLY = ("input", "split")


@dataclass
class Evaluation:
    """What :func:`evaluate` returns.

    Attributes:
        kind: ``"hdm05"``, ``"bandai2"``, ``"h36m"`` or ``"3dhp"``.
        report: the numbers and their protocol (:meth:`~skelgnn.evaluation.report.Report.to_markdown`,
            ``to_json``).
        predictions: (T, J, 3) mm per test sequence (empty for ``"3dhp"``).
        sequences: the test sequences (``None`` for ``"3dhp"``).
        protocol: the Human3.6M-style protocol (``"h36m"`` only).
    """

    kind: str
    report: Report
    predictions: list[np.ndarray]
    sequences: SequenceSet | None = None
    protocol: Protocol | None = None

    def save_predictions(self, path: str | Path) -> str:
        """Write the predictions as float32 npz (one array per sequence key); returns what was written, in
        words."""
        atomic_save_npz(path,
                        **{k: p.astype(np.float32) for k, p in zip(self.sequences.keys, self.predictions)})
        if self.kind == "h36m":
            return (f"{len(self.predictions)} arrays (T, {self.protocol.joints}, 3), one per "
                    "subject/action/camera, camera frame, pelvis-relative, mm")
        return f"{len(self.predictions)} arrays (T, 17, 3), camera frame, pelvis-relative, mm"


def evaluate(checkpoint, data, *, kind: str | None = None, input: str | None = None, split: str | None = None,
             tta: bool | None = None, allow_pickle: bool = False, joints: int | None = None,
             keep_s11_directions: bool = False, test_downsample: int | None = None, rare: bool = False,
             order: str = "mpi") -> Evaluation:
    """Evaluate ``checkpoint`` on ``data``; the data kind is the checkpoint's unless ``kind="3dhp"``.

    Args:
        checkpoint: a ``.pt`` file written by ``skelgnn train``.
        data: the HDM05-Lift folder, the Bandai2-Cross folder (HDM05-trained checkpoints), the folder of
            VideoPose3D-layout npz files (``data.kind = "h36m"`` checkpoints), or ``data_test_3dhp.npz``
            (``kind="3dhp"``).
        kind: ``None`` (from the checkpoint: ``"hdm05"`` or ``"h36m"``) or ``"3dhp"``.
        input, split: HDM05-Lift only: 2D input (``"gt"``, default, or ``"noisy"``) and split (default
            ``"test"``).
        tta: test-time flip; ``None``: off for HDM05-Lift, the config's ``data.test_flip`` otherwise.
        allow_pickle: read pickled layouts (VideoPose3D npz, 3DHP npz): trusted files only.
        joints, keep_s11_directions, test_downsample, rare: Human3.6M protocol overrides
            (:func:`evaluate_h36m_checkpoint`).
        order: joint order of the 3DHP file (:func:`skelgnn.data.mpi3dhp.read_3dhp_test`).

    Raises:
        ParameterError: an override that does not apply to the data kind (named as the parameter).
        SkelgnnError: any error of the drivers.
    """
    if kind is None:
        kind = checkpoint_data_kind(checkpoint)
    if kind == "3dhp":
        return Evaluation("3dhp",
                          evaluate_3dhp_checkpoint(checkpoint, data, allow_pickle=allow_pickle, tta=tta,
                                                           order=order), [])
    if kind == "h36m":  # VideoPose3D layout: the protocol comes from the config
        given = {"input": input, "split": split}
        wrong = [name for name in _HDM05_ONLY if given[name] is not None]
        if wrong:
            raise ParameterError(" and ".join(f"{{{n}}}" for n in wrong) + " apply to HDM05-Lift "
                                 "checkpoints; this checkpoint was trained with data.kind = 'h36m': its 2D "
                                 "source is the config's data.input and it is evaluated on the protocol's "
                                 "test subjects",
                                 wrong)
        report, preds, seqs, protocol = evaluate_h36m_checkpoint(
            checkpoint, data, allow_pickle=allow_pickle, tta=tta, joints=joints,
            keep_s11_directions=keep_s11_directions, test_downsample=test_downsample, rare=rare)
        return Evaluation("h36m", report, preds, seqs, protocol)
    values = {"joints": joints, "keep_s11_directions": keep_s11_directions,
              "test_downsample": test_downsample,
              "rare": rare}
    wrong = [name for name in _H36M_ONLY if values[name]]
    if wrong:
        raise ParameterError(", ".join(f"{{{n}}}" for n in wrong) + ": only for checkpoints trained with "
                             f"data.kind = 'h36m'; {_braces(checkpoint)} was trained on HDM05-Lift", wrong)
    if is_cross_folder(data):
        if split not in (None, "test"):
            raise ParameterError(f"{{split}} {_braces(split)}: every clip of Bandai2-Cross is test data; "
                                 "leave "
                                 "{split} out", ["split"])
        report, preds, seqs = evaluate_cross_checkpoint(checkpoint, data, input_kind=input or "gt",
                                                        tta=bool(tta))
        return Evaluation("bandai2", report, preds, seqs)
    report, preds, seqs = evaluate_checkpoint(checkpoint, data, input_kind=input or "gt",
                                              split=split or "test",
                                              tta=bool(tta))
    return Evaluation("hdm05", report, preds, seqs)


def checkpoint_data_kind(checkpoint) -> str:
    """``data.kind`` of the config stored in a checkpoint: ``"hdm05"`` (also for older checkpoints) or
    ``"h36m"``."""
    return CheckpointInfo.from_meta(read_checkpoint(checkpoint)).data_kind


def _braces(value) -> str:
    """``value`` as text that :meth:`str.format` keeps as it is (a path or value inside a message
    template)."""
    return str(value).replace("{", "{{").replace("}", "}}")


def _model_facts(lifter: Lifter) -> dict:
    return {"parameters": lifter.num_parameters, "receptive_field": lifter.receptive_field}


# ---------------------------------------------------------------------------------------- HDM05-Lift
def evaluate_checkpoint(checkpoint, data_dir, *, input_kind: str = "gt", split: str = "test",
                        tta: bool = False) -> tuple[Report, list[np.ndarray], SequenceSet]:
    """Driver: load a checkpoint and HDM05-Lift, predict every sequence of ``split``, build the report.

    Returns:
        ``(report, predictions in mm, sequences)``.
    """
    lifter = Lifter.load(checkpoint)
    skeleton, norm = lifter.skeleton, lifter.input_norm
    seqs = benchmark_sequences(load_benchmark(data_dir), split, input_kind, input_norm=norm)
    if len(seqs) == 0:
        raise SkelgnnError(f"{data_dir}: the split {split!r} has no clips")
    t0 = time.perf_counter()
    preds = lifter.predict_sequences(seqs, tta=tta)
    protocol = {
        "benchmark": "HDM05-Lift (spec v1)",
        "split": "test (actors mm, tr)" if split == "test" else split,
        "input": f"{input_kind} (normalised: {norm})", "test-time flip": "on" if tta else "off",
        "joints": "17 (Human3.6M order), pelvis included with error 0 after root alignment",
        "frames": f"every 30 fps frame x 4 cameras = {seqs.num_frames} samples",
        "averaging": "frame-wise (mean over samples) and class-wise (mean over the motion classes)",
        "hard tail": "HT10 = mean MPJPE of the worst 10 % samples of this model",
        "rare poses": "Rare20 = MPJPE over the fixed 20 % test frames farthest from any training pose",
        "model": lifter.info.description,
        "model selection": "lowest validation MPJPE (validation clips of the training actors)",
    }
    protocol["smoothness"] = ("Accel = mean |second difference error| per joint, mm/frame^2 at 30 fps; MPJVE "
                              "the same with first differences; bone sd = per clip x camera std of each "
                              "bone's length")
    protocol["trajectory"] = ("camera-frame pelvis fitted by least squares to the 2D input with the true "
                              "intrinsics (skelgnn.lifting.trajectory.fit_root); absolute MPJPE keeps the "
                              "root")
    roots = fit_trajectories(preds, seqs)
    report = compute_report(preds, seqs, skeleton, protocol=protocol, roots=roots,
                            title=f"{lifter.name} on HDM05-Lift {input_kind}")
    report.update(model=lifter.name, checkpoint=str(checkpoint), **_model_facts(lifter),
                  seconds=round(time.perf_counter() - t0, 2))
    return report, preds, seqs


def evaluate_cross_checkpoint(checkpoint, data_dir, *, input_kind: str = "gt", tta: bool = False,
                              max_frames: int = 0) -> tuple[Report, list[np.ndarray], SequenceSet]:
    """Driver: an HDM05-trained checkpoint on Bandai2-Cross (:mod:`skelgnn.evaluation.cross_report`).

    Args:
        max_frames: if > 0, only the first frames of each clip (quick checks; not the set's numbers).

    Returns:
        ``(report, predictions in mm, sequences)``.
    """
    lifter = Lifter.load(checkpoint)
    skeleton = lifter.skeleton
    if skeleton.num_joints != 17:
        raise SkelgnnError(f"{checkpoint}: Bandai2-Cross scores Human3.6M-17 lifters; this one has "
                           f"{skeleton.num_joints} joints")
    norm = lifter.input_norm
    seqs, in_view = cross_sequences(load_cross(data_dir), input_kind, input_norm=norm, max_frames=max_frames)
    t0 = time.perf_counter()
    preds = lifter.predict_sequences(seqs, tta=tta)
    roots = fit_trajectories(preds, seqs)
    protocol = {
        "benchmark": "Bandai2-Cross (HDM05-Lift spec v1.2, section 8): another studio, other people, "
                     "another skeleton; every clip is test data",
        "input": f"{input_kind} (normalised: {norm})", "test-time flip": "on" if tta else "off",
        "samples": f"every frame x 4 cameras = {seqs.num_frames}; in view: all 17 gt joints inside the image",
        "joints": "17 (Human3.6M order; head top = Head + (Head - Neck)); MPJPE13 leaves out 7-10",
        "PCK/AUC": "16 non-root joints; AUC over thresholds 0, 5, ..., 150 mm",
        "height given": "each sequence's prediction scaled to the clip's true standing height "
                "(skelgnn.core.height)",
        "reprojection": "prediction placed on its least-squares trajectory, projected with the true "
                "intrinsics",
        "model": lifter.info.description,
    }
    report = cross_report(preds, seqs, in_view, roots, skeleton, protocol=protocol,
                          title=f"{lifter.name} on Bandai2-Cross {input_kind}")
    report.update(model=lifter.name, checkpoint=str(checkpoint), **_model_facts(lifter),
                  seconds=round(time.perf_counter() - t0, 2))
    return report, preds, seqs


# ---------------------------------------------------------------------------------------- Human3.6M layout
def _protocol_predictions(lifter: Lifter, seqs: SequenceSet, protocol: Protocol, *,
                          chunk: int = 4096, title: str = "Results") -> tuple[Report, list[np.ndarray]]:
    skeleton = lifter.skeleton
    if skeleton.num_joints != protocol.joints:
        raise SkelgnnError(f"the checkpoint's skeleton has {skeleton.num_joints} joints, the protocol "
                           f"{protocol.joints}")
    preds = lifter.predict_sequences(seqs, tta=protocol.test_flip, chunk=chunk)
    report = protocol_report(preds, seqs, protocol, title=title)
    report["model"] = lifter.info.description
    return report, preds


def evaluate_protocol(model: torch.nn.Module, meta: dict | CheckpointInfo, seqs: SequenceSet,
                      protocol: Protocol, *, chunk: int = 4096) -> Report:
    """Predict ``seqs`` with a loaded checkpoint (test-time flip per ``protocol``) and report.

    Args:
        model: from :func:`skelgnn.lifting.checkpoint.load_checkpoint`.
        meta: its checkpoint dict (``skeleton``, ``normalization``, ``model``) or its description.
        seqs: the test sequences, read with ``joints = protocol.joints``.
        protocol: the protocol.

    Returns:
        :func:`~skelgnn.evaluation.report.protocol_report`'s report plus ``model``.
    """
    return _protocol_predictions(Lifter(model, meta), seqs, protocol, chunk=chunk)[0]


def evaluate_h36m_checkpoint(checkpoint, data_dir, *, allow_pickle: bool = False, tta: bool | None = None,
                             joints: int | None = None, keep_s11_directions: bool = False,
                             test_downsample: int | None = None, rare: bool = False):
    """Driver: a checkpoint trained with ``data.kind = "h36m"`` on the test subjects of its protocol.

    The :class:`~skelgnn.evaluation.protocol.Protocol` is the one of the checkpoint's ``[data]`` config
    (:meth:`~skelgnn.evaluation.protocol.Protocol.from_config`) with these overrides: ``tta`` (test-time flip;
    ``None`` keeps ``data.test_flip``), ``joints``, ``keep_s11_directions`` and ``test_downsample``. The files
    are ``<data_dir>/data_3d_<name>.npz`` and ``<data_dir>/data_2d_<name>_<input>.npz`` (``name`` and
    ``input`` from the config). With ``rare`` the test frames farthest from their nearest training pose are
    flagged (slow on the full Human3.6M: a nearest-neighbour search over the training poses).

    Returns:
        ``(report, predictions in mm, test sequences, protocol)``; the report is
        :func:`evaluate_protocol`'s (same numbers) plus ``checkpoint``, ``parameters``,
        ``receptive_field``, ``files``, ``selection`` and ``seconds``.

    Raises:
        SkelgnnError: the checkpoint is not an ``h36m`` one, ``joints`` differs from the checkpoint's
            skeleton, ``allow_pickle`` is false, or a file is missing or malformed.
    """
    lifter = Lifter.load(checkpoint)
    data = lifter.info.data_config
    if lifter.info.data_kind != "h36m":
        raise SkelgnnError(f"{checkpoint}: trained with data.kind = {lifter.info.data_kind!r}, not 'h36m'")
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
    skeleton = lifter.skeleton
    if skeleton.num_joints != protocol.joints:
        raise SkelgnnError(f"{checkpoint}: the model was trained on {skeleton.num_joints} joints, so it "
                           f"cannot be evaluated with {protocol.joints} joints; the 16-joint protocol needs "
                           "a model trained with data.joints = 16 (and the 17-joint one a 17-joint model)")
    p3, p2 = h36m_data_files(data_dir, str(data.get("name", "h36m")), protocol.input_2d,
                             allow_pickle=allow_pickle)
    pair = load_vp3d_pair(p3, p2, allow_pickle=True)
    seqs = protocol.splits(pair, splits=("test",), input_norm=lifter.input_norm)["test"]
    if len(seqs) == 0:
        raise SkelgnnError(f"{p3}: no test sequences for subjects {list(protocol.test_subjects)}")
    t0 = time.perf_counter()
    if rare:
        flags, _ = h36m_rare_flags(protocol, pair)
        attach_rare_flags(seqs, flags)
    report, preds = _protocol_predictions(lifter, seqs, protocol)
    report.title = f"{report['model']} on {protocol.dataset}, 2D {protocol.input_2d}"
    sel = dict(lifter.metrics)
    report.update(checkpoint=str(checkpoint), **_model_facts(lifter), files=[str(p3), str(p2)], selection=sel,
                  seconds=round(time.perf_counter() - t0, 2))
    if "val_mpjpe" in sel:
        report.blocks.append(Note((f"Checkpoint {checkpoint}: epoch {sel.get('epoch')}, validation MPJPE "
                                   f"{sel['val_mpjpe']:.2f} mm; {report['parameters'] / 1e6:.3f} M "
                                   f"parameters, receptive field {report['receptive_field']}.",)))
    return report, preds, seqs, protocol


# ---------------------------------------------------------------------------------------- MPI-INF-3DHP
def evaluate_3dhp(model: torch.nn.Module, meta: dict | CheckpointInfo, path: str | Path, *,
                  allow_pickle: bool = False,
                  tta: bool = False, order: str = "mpi", chunk: int = 4096) -> Report:
    """Cross-dataset evaluation of a loaded checkpoint on the MPI-INF-3DHP test set.

    Every frame is fed to the model (temporal models need the neighbours); only valid frames are scored.

    Args:
        model: from :func:`skelgnn.lifting.checkpoint.load_checkpoint`.
        meta: its checkpoint dict (skeleton with 17 or 16 joints, normalization) or its description.
        path: ``data_test_3dhp.npz``.
        allow_pickle: must be ``True`` (pickled layout).
        tta: test-time flip augmentation.
        order: joint order of the file (see :func:`skelgnn.data.mpi3dhp.read_3dhp_test`).

    Returns:
        :func:`~skelgnn.evaluation.report.score_3dhp`'s report plus ``protocol`` (a description of every
        switch) and ``model``.
    """
    lifter = Lifter(model, meta)
    skeleton = lifter.skeleton
    if skeleton.num_joints not in (16, 17):
        raise SkelgnnError(f"the checkpoint's skeleton has {skeleton.num_joints} joints; 3DHP needs 17 or 16")
    norm = lifter.input_norm
    test = read_3dhp_test(path, allow_pickle=allow_pickle, joints=skeleton.num_joints, order=order,
                          input_norm=norm)
    preds = lifter.predict_sequences(test.seqs, tta=tta, chunk=chunk)
    report = score_3dhp(preds, test, skeleton.joint_names)
    report["protocol"] = {
        "dataset": "MPI-INF-3DHP test set (" + ", ".join(test.seqs.classes) + ")",
        "frames": "valid frames only (the file's 'valid' flags); every frame is fed to the model",
        "3D": "universal (height-normalised) annotations, mm, pelvis-relative; joints mapped to Human3.6M "
                          "order",
        "2D input": f"the file's data_2d, normalised '{norm}' (screen: per sequence resolution, TS1-4 "
                    "2048x2048, TS5-6 1920x1080)",
        "test-time flip": "on" if tta else "off",
        "PCK": "share of joints closer than 150 mm (pck150: all joints incl. pelvis; pck150_14: 14 joints)",
        "AUC": "mean PCK over thresholds 0..149 mm in 1 mm steps",
        "averaging": "overall = pooled over all valid frames; sequence_mean = mean over sequences",
    }
    report["model"] = lifter.info.description
    return report


def evaluate_3dhp_checkpoint(checkpoint, path, *, allow_pickle: bool = False, tta: bool | None = None,
                             order: str = "mpi") -> Report:
    """Driver: cross-dataset PCK@150 mm / AUC of a checkpoint on the MPI-INF-3DHP test set.

    ``tta`` ``None`` uses the checkpoint's ``data.test_flip`` for ``h36m`` checkpoints and off otherwise.

    Returns:
        :func:`evaluate_3dhp`'s report plus ``checkpoint``.
    """
    lifter = Lifter.load(checkpoint)
    if tta is None:
        info = lifter.info
        tta = bool(info.data_config.get("test_flip", False)) if info.data_kind == "h36m" else False
    report = evaluate_3dhp(lifter.model, lifter.info, path, allow_pickle=allow_pickle, tta=tta, order=order)
    report.title = f"{report['model']} on MPI-INF-3DHP (cross-dataset)"
    report["checkpoint"] = str(checkpoint)
    return report
