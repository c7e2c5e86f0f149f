"""The Python API: one loaded model (:class:`Lifter`) and what lifting returns (:class:`LiftResult`).

::

    import numpy as np
    import skelgnn

    lifter = skelgnn.Lifter.default()                  # or skelgnn.Lifter.load("best.pt")
    result = lifter.lift(np.load("keypoints.npy"), width=1920, height=1080, layout="coco17", fps=30)
    result.joints_3d                                   # (P, T, 17, 3) mm, camera frame, pelvis-relative
    result.to_bvh("motion.bvh")

A :class:`Lifter` holds the model and what its checkpoint says about it (skeleton, normalisation, config,
metrics: :class:`~skelgnn.lifting.checkpoint.CheckpointInfo`); ``skelgnn predict``, ``demo``, ``evaluate``,
``robustness``, ``export`` and the bench scripts load checkpoints through it. :meth:`Lifter.lift` runs the
pipeline of :mod:`skelgnn.lifting.predict` on a keypoint file or array; :func:`predict_file` is
``skelgnn predict``: a file in, the npz/CSV (and BVH) out.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import numpy as np
from torch import nn

from ..core.errors import SkelgnnError
from ..core.height import check_subject_height
from ..core.skeleton import Skeleton
from ..keypoints import Keypoints, keypoints_from_array
from .bvh_export import write_bvh
from .checkpoint import CheckpointInfo, load_checkpoint
from .inference import is_causal, predict_sequences
from .outputs import check_outputs
from .predict import (
    FRAME_DESCRIPTION,
    Prediction,
    check_lift_options,
    check_pictures,
    check_selection,
    default_checkpoint,
    predict_keypoints,
    read_input,
    save_prediction,
    size_statement,
    track_index,
    unknown_meta,
    write_pictures,
)
from .stream import LiveStream

__all__ = ["LiftResult", "Lifter", "predict_file"]


class Lifter:
    """A loaded lifter: the model in eval mode and its checkpoint's description.

    Build one with :meth:`default` (the bundled model) or :meth:`load` (a ``.pt`` written by
    ``skelgnn train``).

    Attributes:
        model: the ``torch.nn.Module``.
        info: the checkpoint's description (:class:`~skelgnn.lifting.checkpoint.CheckpointInfo`);
            ``skeleton``, ``normalization``, ``config``, ``metrics``, ``name``, ``kwargs``,
            ``input_norm`` and ``scale_mm`` read it.
        source: the checkpoint file.
    """

    def __init__(self, model: nn.Module, info: CheckpointInfo | dict, source: str | os.PathLike = "") -> None:
        self.model = model
        self.info = CheckpointInfo.from_meta(info)
        self.source = str(source)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Lifter:
        """Load a checkpoint (:func:`skelgnn.lifting.checkpoint.load_checkpoint`).

        Raises:
            CheckpointError: a missing, corrupt or foreign file, or weights that do not fit their model.
        """
        model, meta = load_checkpoint(path)
        return cls(model, meta, path)

    @classmethod
    def default(cls) -> Lifter:
        """The bundled checkpoint ``skelgnn/assets/default.pt`` (its model card: ``assets/MODEL_CARD.md``)."""
        return cls.load(default_checkpoint())

    # what the checkpoint says
    @property
    def name(self) -> str:
        return self.info.name

    @property
    def kwargs(self) -> dict:
        return self.info.kwargs

    @property
    def skeleton(self) -> Skeleton:
        return self.info.skeleton

    @property
    def normalization(self) -> dict:
        return self.info.normalization

    @property
    def config(self) -> dict:
        return self.info.config

    @property
    def metrics(self) -> dict:
        return self.info.metrics

    @property
    def input_norm(self) -> str:
        return self.info.input_norm

    @property
    def scale_mm(self) -> float:
        return self.info.scale_mm

    @property
    def receptive_field(self) -> int:
        return int(self.model.receptive_field)

    @property
    def causal(self) -> bool:
        """Whether every output frame uses only the current and earlier frames (a model built with
        ``causal=True``, or a single-frame model): only then can :meth:`stream` run it."""
        return is_causal(self.model)

    @property
    def num_parameters(self) -> int:
        return int(sum(p.numel() for p in self.model.parameters()))

    @property
    def metadata(self) -> dict:
        """The checkpoint's description as plain data (no weights)."""
        return {"checkpoint": self.source, "model": self.name, "kwargs": dict(self.kwargs),
                "skeleton": dict(self.info.skeleton_dict), "normalization": dict(self.normalization),
                "config": dict(self.config), "metrics": dict(self.metrics),
                "package_version": self.info.package_version, "receptive_field": self.receptive_field,
                "parameters": self.num_parameters}

    def __repr__(self) -> str:
        return (f"Lifter({self.name}, {self.num_parameters / 1e6:.3f} M parameters, receptive field "
                f"{self.receptive_field}, input {self.input_norm}, from {self.source or '<memory>'})")

    # running it
    def predict_sequences(self, seqs, *, tta: bool = False, chunk: int = 4096) -> list[np.ndarray]:
        """Every sequence of a :class:`~skelgnn.data.sequences.SequenceSet` (inputs normalised as
        :attr:`input_norm` says), in mm (:func:`skelgnn.lifting.inference.predict_sequences`)."""
        return predict_sequences(self.model, seqs, self.skeleton, tta=tta, scale_mm=self.scale_mm,
                                 chunk=chunk)

    def stream(self, *, width: int | None = None, height: int | None = None, fps: float | None = None,
               smooth: str | None = None, tta: bool = False, conf_threshold: float = 0.3) -> LiveStream:
        """A live stream through this (causal) model: ``push`` one person's 2D keypoints of one frame,
        get its 3D pose back, batch 1 (:class:`~skelgnn.lifting.stream.LiveStream`)::

            live = skelgnn.Lifter.load("causal.pt").stream(width=1920, height=1080, fps=30)
            for keypoints in camera:                  # (17, 2) pixels, H36M-17 order, NaN where missing
                pose = live.push(keypoints)           # (17, 3) mm, camera frame, pelvis at 0

        Frame by frame the poses equal those of :meth:`lift` with ``smooth=None, bones=False`` (or
        ``smooth="one_euro"``) on the whole sequence when no joint is missing.

        Args:
            width, height: the image size in pixels (needed by ``screen`` models).
            fps: frame rate (needed by ``smooth="one_euro"``).
            smooth: ``None`` or ``"one_euro"`` (causal); ``"savgol"`` is refused (it needs future frames).
            tta: average with the mirrored prediction of the mirrored window (twice the work).
            conf_threshold: joints below it (with ``push(..., conf)``) count as missing and hold their
                last valid position.

        Raises:
            SkelgnnError: the model is not causal (train one with ``model.kwargs = {causal = true}``).
        """
        return LiveStream(self.model, self.info, width=width, height=height, fps=fps, smooth=smooth, tta=tta,
                          conf_threshold=conf_threshold)

    def lift(self, keypoints, *, width: int | None = None, height: int | None = None,
             layout: str | None = None,
             fps: float | None = None, subject_height: float | None = None, trajectory: bool = False,
             focal_px: float | None = None, fov_deg: float | None = None, conf_threshold: float = 0.3,
             tta: bool = False, smooth: str | None = "default", bones: bool | None = None,
             min_track_length: int | None = None, causal: bool = False) -> LiftResult:
        """Lift 2D keypoints (pixels) to 3D, as ``skelgnn predict`` does.

        Args:
            keypoints: a keypoint file or OpenPose folder (any format of :mod:`skelgnn.keypoints`; an image
                or video with the ``detect`` extra), a :class:`~skelgnn.keypoints.Keypoints`, or an array
                (T, K, 2|3) for one person or (P, T, K, 2|3) for P people: x, y in pixels (and confidence),
                ``NaN`` where missing.
            width, height: the image size in pixels (overrides the file's; needed by ``screen`` models).
            layout: the keypoint layout (``"coco17"``, ``"h36m17"``, ``"body25"``, ...); guessed when ``None``
                (17 keypoints: COCO-17).
            fps: frame rate (recorded; the BVH's frame time and the One-Euro filter use it).
            subject_height: the person's standing height in metres: joints and trajectory are scaled to it
                (:mod:`skelgnn.core.height`); ``None``: the model's typical adult, said in the metadata.
            trajectory: also fit the pelvis in the camera frame (``root_3d``, ``joints_3d_camera``), with
                the focal length ``focal_px`` or one assumed from the image size and ``fov_deg``.
            conf_threshold, tta, smooth, bones, min_track_length: as ``skelgnn predict``
                (:func:`skelgnn.lifting.predict.predict_keypoints`; ``bones`` None: on, off with ``causal``).
            causal: push every track through :meth:`stream` one frame at a time (``predict --causal``):
                each output frame uses that frame and earlier ones only; needs a causal model.

        Returns:
            a :class:`LiftResult`.

        Raises:
            SkelgnnError: bad input (the message names the file or array and what was expected).
        """
        if isinstance(keypoints, Keypoints):
            kp = keypoints
        elif isinstance(keypoints, (str, os.PathLike)):
            kp = read_input(keypoints, layout=layout, min_track_length=min_track_length)
        else:
            kp = keypoints_from_array(keypoints, layout=layout)
        pred = predict_keypoints(self.model, self.info, kp, width=width, height=height, fps=fps,
                                 conf_threshold=conf_threshold, tta=tta, checkpoint=self.source,
                                 smooth=smooth,
                                 bones=bones, trajectory=trajectory, focal_px=focal_px, fov_deg=fov_deg,
                                 subject_height=subject_height, causal=causal)
        return LiftResult(**{f.name: getattr(pred, f.name) for f in fields(Prediction)})


class LiftResult(Prediction):
    """What :meth:`Lifter.lift` returns: the arrays of :class:`~skelgnn.lifting.predict.Prediction`
    (``joints_3d`` (P, T, 17, 3) mm, camera frame, pelvis-relative; ``root_3d`` and ``joints_3d_camera`` with
    a trajectory; ``joints_2d``, ``flags``, ``track_ids``, ``frames``, ...), :attr:`metadata`, and writers.

    ``track`` in the writers is a row of ``joints_3d`` (0: the first track; ``track_ids[track]`` is its id).
    """

    @property
    def metadata(self) -> dict:
        """What the npz records besides the arrays: units, frame, size, image size, fps, model, source, ..."""
        out = {"units": "mm", "frame": FRAME_DESCRIPTION, "skeleton": "h36m17", "layout": self.layout,
               "model": self.model, "checkpoint": self.checkpoint, "source": self.source,
               "postfilter": self.postfilter, "size": size_statement(self), "unknown": unknown_meta(self)}
        for k in ("width", "height", "fps"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.standing_height_mm is not None:
            out["standing_height_mm"] = [float(h) for h in self.standing_height_mm]
        if self.subject_height is not None:
            out["subject_height_m"] = float(self.subject_height)
            out["height_factor"] = [float(f) for f in self.height_factor]
        if self.intrinsics is not None:
            k = self.intrinsics
            out["intrinsics"] = {"fx": k.fx, "fy": k.fy, "cx": k.cx, "cy": k.cy, "source": k.source}
        return out

    def _row(self, track: int) -> int:
        P = len(self.track_ids)
        if isinstance(track, bool) or not isinstance(track, (int, np.integer)) or not -P <= track < P:
            raise SkelgnnError(f"track {track!r}: this result has {P} track(s) (rows 0..{P - 1}; ids "
                               f"{self.track_ids.tolist()})")
        return int(track) % P

    def _save(self, path, suffix: str) -> Path:
        if Path(path).suffix.lower() != suffix:
            raise SkelgnnError(f"{path}: the file name must end in {suffix}")
        check_outputs({"path": path}, inputs=[self.source] if self.source else [])
        return save_prediction(self, path)

    def to_npz(self, path: str | os.PathLike) -> Path:
        """Write every track as npz (the arrays and metadata of :mod:`skelgnn.lifting.predict`)."""
        return self._save(path, ".npz")

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write every track as CSV, one row per track and frame, ``#`` comment lines first."""
        return self._save(path, ".csv")

    def to_bvh(self, path: str | os.PathLike, track: int = 0, *, unit: str = "cm") -> Path:
        """Write one track as a BVH animation (Y up, ZXY rotations; with the root trajectory when fitted)."""
        if Path(path).suffix.lower() != ".bvh":
            raise SkelgnnError(f"{path}: the BVH file name must end in .bvh")
        p = self._row(track)
        return write_bvh(path, self.joints_3d[p], fps=float(self.fps or 30.0), unit=unit,
                         root=None if self.root_3d is None else self.root_3d[p])

    def _draw(self, path, track: int, **kw) -> Path:
        tid = int(self.track_ids[self._row(track)])
        write_pictures(self, Path(self.source).name if self.source else "keypoints", track=tid, **kw)
        return Path(path)

    def to_png(self, path: str | os.PathLike, track: int = 0, *, frame: int | None = None) -> Path:
        """Draw the 2D input beside the 3D pose of one frame (1-based; default the middle one); needs
        matplotlib."""
        check_pictures(png=path)
        return self._draw(path, track, png=path, frame=frame)

    def to_gif(self, path: str | os.PathLike, track: int = 0) -> Path:
        """Animate one track (``.gif``, or ``.mp4`` with ffmpeg); needs matplotlib."""
        check_pictures(gif=path)
        return self._draw(path, track, gif=path)

    def to_html(self, path: str | os.PathLike, track: int = 0) -> Path:
        """Write a self-contained interactive 3D viewer of one track (camera frame with the trajectory, if
        fitted)."""
        return self._draw(path, track, html=path)


def predict_file(ckpt_path: str | os.PathLike | None, input_path: str | os.PathLike,
                 out_path: str | os.PathLike | None, *, layout: str | None = None, width: int | None = None,
                 height: int | None = None, fps: float | None = None, conf_threshold: float = 0.3,
                 tta: bool = False, min_track_length: int | None = None, smooth: str | None = "default",
                 bones: bool | None = None, trajectory: bool = False, focal_px: float | None = None,
                 fov_deg: float | None = None, subject_height: float | None = None,
                 bvh_path: str | os.PathLike | None = None, bvh_unit: str = "cm",
                 bvh_track: int | None = None, frame: int | None = None, causal: bool = False) -> LiftResult:
    """Read 2D keypoints (or detect them), lift every person, and write the result (``skelgnn predict``).

    Args:
        ckpt_path: a checkpoint; ``None`` uses the bundled one (:meth:`Lifter.default`).
        input_path: keypoint file or OpenPose folder (see :mod:`skelgnn.keypoints`), or an image or
            video (needs the ``detect`` extra).
        out_path: ``.npz`` or ``.csv`` output (:mod:`skelgnn.lifting.predict`); ``None`` writes nothing.
        layout, width, height, fps, conf_threshold, tta, min_track_length, smooth, bones, trajectory,
            focal_px, fov_deg, subject_height, causal: as :meth:`Lifter.lift`.
        bvh_path: also write this track's motion as BVH (:func:`skelgnn.lifting.bvh_export.write_bvh`), with
            the root trajectory when ``trajectory``; frame time from the fps (30 fps when unknown).
        bvh_unit: ``"cm"`` (default), ``"m"`` or ``"mm"``.
        bvh_track: the track id written to the BVH (default the first track).
        frame: a 1-based frame that pictures drawn afterwards will show; like ``bvh_track`` it is checked
            against the result before any file is written.

    Returns:
        the :class:`LiftResult` (also what was written).

    Raises:
        SkelgnnError: bad input (FormatError names the file and what was expected), a missing
            checkpoint or image size, a bad subject height.
    """
    if out_path is not None and Path(out_path).suffix.lower() not in (".npz", ".csv"):
        raise SkelgnnError(f"{out_path}: the output is written as .npz or .csv, not "
                           f"{Path(out_path).suffix or '(no extension)'!r}")
    check_lift_options(width, height, trajectory=trajectory, focal_px=focal_px, fov_deg=fov_deg)
    if subject_height is not None:
        check_subject_height(subject_height)
    ckpt = Path(ckpt_path) if ckpt_path is not None else default_checkpoint()
    if bvh_path is not None and Path(bvh_path).suffix.lower() != ".bvh":
        raise SkelgnnError(f"{bvh_path}: the BVH output must end in .bvh")
    if out_path is not None or bvh_path is not None:
        check_outputs({k: v for k, v in (("output", out_path), ("--bvh", bvh_path)) if v is not None},
                      inputs=[ckpt, input_path])
    kp = read_input(input_path, layout=layout, min_track_length=min_track_length)
    result = Lifter.load(ckpt).lift(kp, width=width, height=height, fps=fps, conf_threshold=conf_threshold,
                                    tta=tta, smooth=smooth, bones=bones, trajectory=trajectory,
                                    focal_px=focal_px, fov_deg=fov_deg, subject_height=subject_height,
                                    causal=causal)
    check_selection(result, bvh_track, frame)  # a refused --track/--frame leaves nothing behind
    bvh_row = track_index(result, bvh_track)
    if out_path is not None:
        result.out_path = save_prediction(result, out_path)
    if bvh_path is not None:
        result.to_bvh(bvh_path, bvh_row, unit=bvh_unit)
    return result
