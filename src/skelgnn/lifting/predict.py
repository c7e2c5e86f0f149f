"""Lift a user's own 2D keypoints (or, with the ``detect`` extra, an image or video) to 3D.

The pipeline is ``read_keypoints → to_h36m → fill_missing → lift_keypoints`` per tracked person,
one function each (:func:`predict_keypoints`), and :func:`skelgnn.lifting.api.predict_file` runs it
from files to an output file:

* ``.npz`` (default): ``joints_3d`` (P, T, 17, 3) float32 millimetres in the camera frame (x right,
  y down, z forward), pelvis-relative (the pelvis is at 0); ``joints_2d`` (P, T, 17, 2) float32
  pixels (the filled input); ``flags`` (P, T, 17) bool, True where a joint was missing or below the
  confidence threshold, or far outside the image (``outside``), and was filled by interpolation;
  ``outside`` (P, T, 17) bool, True where the input joint lay more than :data:`OUTSIDE_MARGIN` image
  sizes beyond the image border; ``confidence`` (P, T, 17) float32;
  ``track_ids`` (P,); ``frames`` (T,) frame numbers; and the self-describing strings/scalars
  ``skeleton`` (17 joint names), ``parents`` (17,), ``units`` ("mm"), ``frame`` ("camera,
  pelvis-relative"), ``fps``, ``width`` and ``height`` **only when known** (never a made-up 0),
  ``unknown`` (the names of those that are not known, e.g. ``["fps"]``), ``layout`` (the input's
  keypoint layout), ``model``, ``checkpoint`` and ``source``.
* ``.csv``: comment lines starting with ``#`` first (units, coordinate frame, fps or "unknown", image
  size, skeleton, model, source), then one row per track and frame, header
  ``track,frame,<joint>_x,<joint>_y,<joint>_z`` for the 17 joints (mm, same frame as above) then
  ``<joint>_filled`` (0/1). Read it with e.g. ``pandas.read_csv(path, comment="#")``.
  With the root trajectory (``trajectory=True``): ``root_3d`` (P, T, 3) float32 mm, the pelvis in the
  camera frame fitted by least squares to the 2D keypoints (:mod:`skelgnn.lifting.trajectory`);
  ``joints_3d_camera`` (P, T, 17, 3) float32 mm (``joints_3d + root_3d``); ``intrinsics`` (4,)
  ``fx, fy, cx, cy`` px and ``intrinsics_source`` (given or how they were assumed). Always:
  ``postfilter`` (the smoothing / bone-length steps applied, or "none"). The body size: ``size`` (in
  words: a typical adult's as learned from the training data, not measured; or scaled to the subject's
  height), ``standing_height_mm`` (P,) (:func:`skelgnn.core.height.standing_height` of each track's
  output) and, with ``subject_height``, ``subject_height_m`` and ``height_factor`` (P,), the factor
  that scaled each track's joints and root trajectory (the CSV says the same in its comments).

Shape letters: ``P`` tracks, ``T`` frames, ``J`` = 17 joints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import SkelgnnError
from ..core.height import check_subject_height, standing_height
from ..core.io import atomic_save_npz, atomic_write_text, one_line
from ..core.skeleton import H36M_17
from ..keypoints import MAX_IMAGE_SIDE, fill_missing, read_keypoints, to_h36m
from . import viz
from .checkpoint import CheckpointInfo
from .detect import detect_file, to_keypoints
from .inference import is_causal, lift_keypoints
from .smoothing import postprocess
from .stream import LiveStream
from .trajectory import DEFAULT_FOV_DEG, fit_root, intrinsics_from_image

__all__ = [
    "DEFAULT_SMOOTH",
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Prediction",
    "default_checkpoint",
    "degenerate_frames",
    "prediction_warnings",
    "lift_keypoints",
    "predict_keypoints",
    "read_input",
    "save_prediction",
    "size_statement",
    "unknown_meta",
]

OUTSIDE_MARGIN = 1.0
"""Keypoints more than this many image widths (heights) left/right of (above/below) the image are treated
as missing: filled by interpolation, flagged in ``flags`` and marked in ``outside``."""
MAX_PIXELS = 1e7  # |coordinate| beyond this is outside any image, even when the image size is unknown

DEGENERATE_PX = 4.0
"""A frame whose 2D joints all lie within this many pixels of each other (bounding box side) is
degenerate: no pose can be read from it; ``predict`` lifts it but warns."""
DEGENERATE_RATIO = 0.01
"""A frame whose 2D joints are collinear (the spread across their main axis below this fraction of the
spread along it) is degenerate too."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
FRAME_DESCRIPTION = "camera, pelvis-relative"
DEFAULT_SMOOTH = "savgol"
"""Post-filter ``predict`` applies by default to single-frame models' output (``--smooth``): with the
bundled model on HDM05-Lift test (noisy 2D) it cuts the acceleration error tenfold and lowers MPJPE
(docs/data.md). Multi-frame models (receptive field > 1) are left unfiltered by default. The
bone-length step (``--bone-lengths``) is on by default for every model: it lowers MPJPE and the root
error on HDM05-Lift test (gt and noisy) and makes the skeleton rigid, so a BVH export reproduces it."""


def outside_image(joints_2d: np.ndarray, width: float | None, height: float | None,
                  margin: float = OUTSIDE_MARGIN) -> np.ndarray:
    """(…, J) bool: finite joints farther than ``margin`` image sizes outside the image (or beyond
    :data:`MAX_PIXELS` when the size is unknown)."""
    x = np.asarray(joints_2d, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = (np.abs(x) > MAX_PIXELS).any(-1)
        if width and height:
            u, v = x[..., 0], x[..., 1]
            out |= (u < -margin * width) | (u > (1 + margin) * width)
            out |= (v < -margin * height) | (v > (1 + margin) * height)
    return out & np.isfinite(x).all(-1)


def degenerate_frames(joints_2d: np.ndarray) -> np.ndarray:
    """(…, T) bool: frames whose finite 2D joints (…, T, J, 2) all lie within :data:`DEGENERATE_PX` pixels
    or on one line (:data:`DEGENERATE_RATIO`); frames with fewer than 3 finite joints count as neither."""
    x = np.asarray(joints_2d, dtype=np.float64)
    lead = x.shape[:-2]
    x = x.reshape(-1, *x.shape[-2:])
    out = np.zeros(len(x), dtype=bool)
    full = np.isfinite(x).all((-1, -2)) & (x.shape[-2] >= 3)
    if full.any():  # the usual case (filled joints): every frame at once
        f = x[full]
        small = (f.max(-2) - f.min(-2)).max(-1) <= DEGENERATE_PX
        c = f - f.mean(-2, keepdims=True)
        c = c / np.maximum(np.abs(c).max((-1, -2), keepdims=True), 1e-300)  # scale-free, no overflow
        sv = np.linalg.svd(np.nan_to_num(c), compute_uv=False)
        out[full] = small | (sv[:, 1] <= DEGENERATE_RATIO * sv[:, 0])
    for i in np.flatnonzero(~full):
        f = x[i]
        f = f[np.isfinite(f).all(-1)]
        if len(f) < 3:
            continue
        if (f.max(0) - f.min(0)).max() <= DEGENERATE_PX:
            out[i] = True
            continue
        c = f - f.mean(0)
        sv = np.linalg.svd(np.nan_to_num(c / max(float(np.abs(c).max()), 1e-300)), compute_uv=False)
        out[i] = bool(sv[1] <= DEGENERATE_RATIO * sv[0])
    return out.reshape(lead)


def prediction_warnings(pred: Prediction) -> list[str]:
    """What ``skelgnn predict`` warns about a prediction (one line each, without the ``warning:`` prefix):
    joints far outside the image, degenerate 2D frames."""
    lines = []
    if pred.outside is not None and pred.outside.any():
        if pred.width and pred.height:
            where = (f"lie more than {OUTSIDE_MARGIN:g} image size beyond the {pred.width}x{pred.height} "
                     "image")
        else:
            where = (f"lie more than {MAX_PIXELS:g} px from the origin, outside any image (the image size is "
                     "unknown; --width/--height give it)")
        lines.append(f"{int(pred.outside.sum())} joint(s) in {int(pred.outside.any(-1).sum())} "
                     f"track-frame(s) {where}; they were treated as missing, filled and flagged (npz "
                     "'outside', 'flags')")
    if pred.degenerate is not None and pred.degenerate.any():
        n, P = int(pred.degenerate.sum()), int(pred.degenerate.any(-1).sum())
        lines.append(f"{n} of {pred.degenerate.size} track-frame(s) (in {P} track(s)) have degenerate 2D "
                     f"input: every joint within {DEGENERATE_PX:g} px of the others or all on one line; no "
                     "pose can be read from them, their 3D is a guess")
    return lines


def check_image_size(width, height, what: str = "--width/--height") -> None:
    """Image sizes must be whole numbers of pixels in ``1..MAX_IMAGE_SIDE`` (or ``None``)."""
    for name, v in (("width", width), ("height", height)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= MAX_IMAGE_SIDE:
            raise SkelgnnError(f"{what}: the image {name} must be a whole number of pixels between 1 and "
                               f"{MAX_IMAGE_SIDE}, got {v!r}")


def check_lift_options(width, height, *, trajectory: bool, focal_px, fov_deg) -> None:
    """The image-size and camera options of a lift, checked before anything is read or lifted.

    Raises:
        SkelgnnError: only one of ``width`` and ``height`` is given, either is not a whole number of pixels
            in ``1..MAX_IMAGE_SIDE``, or ``focal_px``/``fov_deg`` come without ``trajectory`` (they set the
            camera of the root trajectory and nothing else).
    """
    if (width is None) != (height is None):
        raise SkelgnnError("give both the image width and height (--width and --height, in pixels), or "
                           "neither")
    check_image_size(width, height)
    if (focal_px is not None or fov_deg is not None) and not trajectory:
        raise SkelgnnError("the focal length and field of view (--focal, --fov) set the camera of the root "
                           "trajectory only: ask for the trajectory too (--trajectory, trajectory=True)")


def default_checkpoint() -> Path:
    """The bundled checkpoint ``skelgnn/assets/default.pt``.

    Raises:
        SkelgnnError: this installation has no bundled checkpoint.
    """
    from importlib.resources import files

    res = files("skelgnn").joinpath("assets/default.pt")
    if not res.is_file():
        raise SkelgnnError("no bundled checkpoint (skelgnn/assets/default.pt) in this installation; "
                           "give a checkpoint path (e.g. best.pt written by `skelgnn train`)")
    return Path(str(res))


@dataclass
class Prediction:
    """The result of :func:`predict_keypoints` (arrays as written to the npz; see the module docstring)."""

    joints_3d: np.ndarray
    joints_2d: np.ndarray
    flags: np.ndarray
    confidence: np.ndarray
    track_ids: np.ndarray
    frames: np.ndarray
    fps: float | None
    width: int | None
    height: int | None
    layout: str
    layout_guessed: bool
    model: str
    checkpoint: str
    source: str
    dropped_tracks: list[int] = field(default_factory=list)
    out_path: Path | None = None
    outside: np.ndarray | None = None  # (P, T, 17) bool: joints far outside the image (filled and flagged)
    short_tracks: int = 0  # tracks dropped on reading: detected in too few frames
    root_3d: np.ndarray | None = None
    joints_3d_camera: np.ndarray | None = None
    intrinsics: object | None = None
    postfilter: str = "none"
    subject_height: float | None = None  # metres, when given
    height_factor: np.ndarray | None = None  # (P,): the scale applied per track (subject_height only)
    standing_height_mm: np.ndarray | None = None  # (P,): standing height of each track's output
    degenerate: np.ndarray | None = None  # (P, T) bool: frames whose 2D joints are a point or a line
    receptive_field: int = 1  # input frames per output frame of the model that lifted it
    model_height: float | None = None  # metres: the one size the model was trained at (data.target_height)

    @property
    def filled_fraction(self) -> float:
        return float(self.flags.mean()) if self.flags.size else 0.0


def read_input(path: str | os.PathLike, *, layout: str | None = None, min_track_length: int | None = None):
    """Keypoints from a keypoint file/folder, or detected in an image/video (``detect`` extra).

    ``min_track_length``: see :func:`skelgnn.keypoints.read_keypoints` (keypoint files only).

    Returns:
        a :class:`skelgnn.keypoints.Keypoints`.
    """
    p = Path(path)
    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES:
        return to_keypoints(detect_file(p))
    return read_keypoints(p, layout=layout, min_track_length=min_track_length)


def predict_keypoints(model, meta: dict | CheckpointInfo, kp, *, width: int | None = None,
                      height: int | None = None,
                      fps: float | None = None, conf_threshold: float = 0.3, tta: bool = False,
                      checkpoint: str = "", smooth: str | None = "default", bones: bool | None = None,
                      trajectory: bool = False, focal_px: float | None = None,
                      fov_deg: float | None = None, subject_height: float | None = None,
                      causal: bool = False) -> Prediction:
    """Map, fill and lift every track of a :class:`~skelgnn.keypoints.Keypoints`.

    Tracks without a single valid joint are dropped (their ids are listed in
    ``Prediction.dropped_tracks``); if no track is left this raises :class:`SkelgnnError`.

    Post-filters (:mod:`skelgnn.lifting.smoothing`): ``smooth`` is ``"savgol"``, ``"one_euro"``, None (off) or
    ``"default"`` (:data:`DEFAULT_SMOOTH` for single-frame models, off for multi-frame ones); ``bones``
    rescales every bone to the track's median length afterwards (``None``: on, off with
    ``causal``). With ``trajectory`` the camera-frame
    pelvis is fitted per frame (:func:`skelgnn.lifting.trajectory.fit_root`; filled joints weigh 0.05) with
    the focal length ``focal_px`` if given, else one assumed from the image size and ``fov_deg``
    (default :data:`skelgnn.lifting.trajectory.DEFAULT_FOV_DEG`).

    With ``subject_height`` (metres) every track's joints and root trajectory are multiplied by one factor
    per track so that its :func:`skelgnn.core.height.standing_height` is that height (the projection of
    the body on its trajectory is unchanged); without it the size is the model's typical adult.

    With ``causal`` every track is pushed frame by frame through a :class:`~skelgnn.lifting.stream.LiveStream`
    (live use: each output frame uses that frame and earlier ones only): the model must be causal
    (:func:`~skelgnn.lifting.inference.is_causal`); gaps hold the last valid position instead of being
    interpolated; ``smooth`` is None or ``"one_euro"`` (``"default"``: One-Euro for a single-frame model
    when ``fps`` is known, else none); ``bones`` and ``subject_height`` (track medians) are refused. The
    frames before a track's first valid joint repeat its first lifted frame (no pose exists before it).
    """
    check_lift_options(width, height, trajectory=trajectory, focal_px=focal_px, fov_deg=fov_deg)
    info = CheckpointInfo.from_meta(meta)
    if bones is None:
        bones = not causal
    if causal:
        _check_causal(model, info, smooth, bones, subject_height)
        if smooth == "default":
            single = int(getattr(model, "receptive_field", 1)) == 1
            smooth = "one_euro" if single and (fps or kp.fps) else None
    if subject_height is not None:
        subject_height = check_subject_height(subject_height)
    width = width or kp.width
    height = height or kp.height
    fps = fps or kp.fps
    check_image_size(width, height)
    if smooth == "default":
        smooth = DEFAULT_SMOOTH if int(getattr(model, "receptive_field", 1)) == 1 else None
    if smooth not in (None, "savgol", "one_euro"):
        raise SkelgnnError(f"unknown smoothing {smooth!r}; use 'savgol', 'one_euro' or none")
    if smooth == "one_euro" and not fps:
        raise SkelgnnError("the One-Euro filter needs the frame rate (--fps)")
    intrinsics = None
    if trajectory:
        intrinsics = intrinsics_from_image(width, height, fov_deg if fov_deg is not None else DEFAULT_FOV_DEG,
                                           focal_px=focal_px)
    j2d, conf = to_h36m(kp)
    far = outside_image(j2d, width, height)
    roots, factors, statures = [], [], []
    outs3, outs2, flags, confs, ids, dropped, outside = [], [], [], [], [], [], []
    all_far = 0
    for p in range(kp.num_tracks):
        tid = int(kp.track_ids[p])
        try:
            filled, flag = fill_missing(j2d[p], np.where(far[p], 0.0, conf[p]), conf_threshold,
                                        what=f"{kp.source}: track {tid}")
        except SkelgnnError:
            all_far += bool(far[p].any())
            dropped.append(tid)
            continue
        outside.append(far[p])
        if causal:
            live = LiveStream(model, info, width=width, height=height, fps=fps, smooth=smooth, tta=tta,
                              conf_threshold=conf_threshold)
            filled, flag, j3 = _stream_track(live, j2d[p], np.where(far[p], 0.0, conf[p]))
        else:
            j3 = lift_keypoints(model, info, filled, width, height, tta=tta)
        if not causal and (smooth is not None or bones):
            j3 = postprocess(j3, H36M_17.parents, smooth=smooth, bones=bones, fps=float(fps or 30.0))
            j3 = (j3 - j3[:, :1]).astype(np.float32)
        factor = 1.0
        if subject_height is not None:
            own = standing_height(j3)
            if not own > 0:
                raise SkelgnnError(f"{kp.source}: track {tid}: the lifted pose has no size; it cannot be "
                                   "scaled to the subject's height")
            factor = 1000.0 * subject_height / own
            factors.append(factor)
        if intrinsics is not None:  # fitted to the unscaled body, then scaled with it: the projection is kept
            root = fit_root(j3, filled, intrinsics, weights=np.where(flag, 0.05, 1.0))
            roots.append((np.asarray(root, dtype=np.float64) * factor).astype(np.float32))
        if factor != 1.0:
            j3 = (j3.astype(np.float64) * factor).astype(np.float32)
        statures.append(standing_height(j3))
        outs3.append(j3)
        outs2.append(filled.astype(np.float32))
        flags.append(flag)
        confs.append(conf[p].astype(np.float32))
        ids.append(tid)
    if not ids and all_far:
        size = f"the {width}x{height} image" if width and height else f"{MAX_PIXELS:g} px"
        raise SkelgnnError(f"{kp.source}: every keypoint lies far outside {size} (more than "
                           f"{OUTSIDE_MARGIN:g} image size beyond its border); check the image size "
                           "(--width/--height) and the input")
    if not ids:
        raise SkelgnnError(f"{kp.source}: no joint reaches the confidence threshold {conf_threshold} in any "
                           f"frame of any of its {kp.num_tracks} track(s); nothing to lift (lower "
                           "--conf-threshold?)")
    return Prediction(
        joints_3d=np.stack(outs3).astype(np.float32), joints_2d=np.stack(outs2), flags=np.stack(flags),
        confidence=np.stack(confs), track_ids=np.asarray(ids, dtype=np.int64), frames=kp.frames.copy(),
        fps=fps, width=width, height=height, layout=kp.layout, layout_guessed=kp.layout_guessed,
        model=info.name, checkpoint=checkpoint, source=kp.source,
        dropped_tracks=dropped, outside=np.stack(outside), short_tracks=kp.short_tracks,
                      intrinsics=intrinsics,
        root_3d=np.stack(roots) if roots else None,
        joints_3d_camera=(np.stack(outs3) + np.stack(roots)[:, :,
                                                            None]).astype(np.float32) if roots else None,
        postfilter=", ".join(x for x in ("causal stream (gaps hold the last valid joint)" if causal else "",
                                         f"smoothing {smooth}" if smooth else "",
                                         "bone lengths = track medians" if bones else "") if x) or "none",
        subject_height=subject_height, height_factor=np.asarray(factors) if factors else None,
        standing_height_mm=np.asarray(statures, dtype=np.float64),
        degenerate=degenerate_frames(np.stack(outs2)),
        receptive_field=int(getattr(model, "receptive_field", 1)),
        model_height=float(info.data_config.get("target_height") or 0.0) or None)


def _check_causal(model, info: CheckpointInfo, smooth, bones: bool, subject_height) -> None:
    """Refuse what ``predict --causal`` cannot do, one line each."""
    if not is_causal(model):
        raise SkelgnnError(f"--causal: the checkpoint's model {info.name} (receptive field "
                           f"{int(model.receptive_field)}) is not causal: each of its output frames uses "
                           "future frames; train one with model.kwargs = {causal = true}, or use a "
                           "single-frame model")
    if smooth == "savgol":
        raise SkelgnnError("--causal: the Savitzky-Golay filter needs future frames; use --smooth one-euro "
                           "or none")
    if bones:
        raise SkelgnnError("--causal: --bone-lengths rescales bones to the track's median length, which "
                           "needs the whole track; use --no-bone-lengths")
    if subject_height is not None:
        raise SkelgnnError("--causal: --subject-height scales each track by its measured height, which needs "
                           "the whole track; leave it out")


def _stream_track(live: LiveStream, joints_2d: np.ndarray, conf: np.ndarray):
    """One track (T, J, 2) px with confidences (T, J) through ``live``: ``(filled (T, J, 2), flags (T, J),
    joints_3d (T, J, 3) float32 mm)``. Frames before the first one with a valid joint repeat that frame's
    result (flagged as filled)."""
    valid = np.isfinite(joints_2d).all(-1) & (np.nan_to_num(conf, nan=-np.inf) >= live.conf_threshold)
    start = int(np.argmax(valid.any(-1)))
    T = len(joints_2d)
    filled, flags, out = np.empty(joints_2d.shape), np.ones(valid.shape, dtype=bool), []
    for t in range(start, T):
        out.append(live.push(joints_2d[t], conf[t]))
        filled[t], flags[t] = live.last_filled_2d, live.last_filled
    j3 = np.stack(out)
    filled[:start] = filled[start]
    return filled, flags, np.concatenate([np.repeat(j3[:1], start, 0), j3]).astype(np.float32)


def size_statement(pred: Prediction) -> str:
    """The body size of a prediction, in words (the npz's ``size``, a CSV comment)."""
    if pred.subject_height is None and pred.model_height:
        return (f"typical adult: every person is drawn {pred.model_height:g} m tall, the one standing height "
                "the model was trained at, not measured (give the subject's standing height in metres to "
                "scale it)")
    if pred.subject_height is None:
        return ("typical adult: the body size is the one the model learned from its training data, not "
                "measured (give the subject's standing height in metres to scale it)")
    factors = ", ".join(f"{f:.4f}" for f in np.atleast_1d(pred.height_factor))
    return (f"scaled to the subject's standing height {pred.subject_height:g} m: joints and root trajectory "
            f"multiplied by {factors} (per track)")


def unknown_meta(pred: Prediction) -> list[str]:
    """Which of ``width``, ``height``, ``fps`` the input did not give (nor the command line)."""
    return [k for k in ("width", "height", "fps") if not getattr(pred, k)]


def _known_meta(pred: Prediction) -> dict[str, np.ndarray]:
    out = {}
    if pred.width:
        out["width"] = np.asarray(int(pred.width))
    if pred.height:
        out["height"] = np.asarray(int(pred.height))
    if pred.fps:
        out["fps"] = np.asarray(float(pred.fps))
    return out


def _csv_comments(pred: Prediction) -> list[str]:
    size = f"{pred.width}x{pred.height} px" if pred.width and pred.height else "unknown"
    return [
        "skelgnn prediction: 3D joints of the Human3.6M 17-joint skeleton (h36m17)",
        f"units: mm; frame: {FRAME_DESCRIPTION} (x right, y down, z forward)",
        f"fps: {pred.fps:g}" if pred.fps else "fps: unknown",
        f"image size of the 2D input: {size}",
        f"model: {one_line(pred.model)}; checkpoint: {one_line(pred.checkpoint)}; input: "
        f"{one_line(pred.source)} (layout {one_line(pred.layout)})",
        f"size: {size_statement(pred)}",
    ]


def save_prediction(pred: Prediction, out_path: str | os.PathLike) -> Path:
    """Write a prediction atomically: ``.csv`` as CSV, anything else as npz (module docstring)."""
    out = Path(out_path)
    if out.suffix.lower() == ".csv":
        import csv
        import io

        names = H36M_17.joint_names
        buf = io.StringIO()
        for line in _csv_comments(pred):
            buf.write(f"# {line}\n")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["track",
                    "frame"] + [f"{n}_{a}" for n in names for a in "xyz"] + [f"{n}_filled" for n in names])
        P, T = pred.joints_3d.shape[:2]
        for p in range(P):
            for t in range(T):
                xyz = [f"{v:.2f}" for v in pred.joints_3d[p, t].reshape(-1)]
                w.writerow([int(pred.track_ids[p]), int(pred.frames[t])] + xyz
                           + [int(f) for f in pred.flags[p, t]])
        return atomic_write_text(out, buf.getvalue())
    extra = {}
    if pred.root_3d is not None:
        k = pred.intrinsics
        extra = dict(root_3d=pred.root_3d.astype(np.float32),
                     joints_3d_camera=pred.joints_3d_camera.astype(np.float32),
                     intrinsics=np.asarray([k.fx, k.fy, k.cx, k.cy], dtype=np.float64),
                     intrinsics_source=np.asarray(k.source))
    if pred.subject_height is not None:
        extra.update(subject_height_m=np.asarray(float(pred.subject_height)),
                     height_factor=np.asarray(pred.height_factor, dtype=np.float64))
    if pred.standing_height_mm is not None:
        extra["standing_height_mm"] = np.asarray(pred.standing_height_mm, dtype=np.float64)
    return atomic_save_npz(
        out, plain=True,
        joints_3d=pred.joints_3d.astype(np.float32), joints_2d=pred.joints_2d.astype(np.float32),
        flags=pred.flags.astype(bool),
        outside=(pred.outside if pred.outside is not None else np.zeros(pred.flags.shape, bool)).astype(bool),
        confidence=pred.confidence.astype(np.float32),
        track_ids=pred.track_ids.astype(np.int64), frames=pred.frames.astype(np.int64),
        skeleton=np.asarray(H36M_17.joint_names), parents=np.asarray(H36M_17.parents, dtype=np.int64),
        units=np.asarray("mm"), frame=np.asarray(FRAME_DESCRIPTION), **_known_meta(pred),
        unknown=np.asarray(unknown_meta(pred), dtype=str), layout=np.asarray(pred.layout),
        model=np.asarray(pred.model), checkpoint=np.asarray(pred.checkpoint), source=np.asarray(pred.source),
        postfilter=np.asarray(pred.postfilter), size=np.asarray(size_statement(pred)), **extra,
    )


def track_index(pred: Prediction, track: int | None) -> int:
    """Row of ``pred``'s arrays holding track id ``track`` (None: the first track)."""
    if track is None:
        return 0
    matches = np.flatnonzero(pred.track_ids == track)
    if len(matches) == 0:
        raise SkelgnnError(f"track {track}: no such track; tracks: {pred.track_ids.tolist()}")
    return int(matches[0])


def check_selection(pred: Prediction, track: int | None = None, frame: int | None = None) -> int:
    """Refuse a track id (``--track``) or a 1-based frame (``--frame``) that ``pred`` does not have; run it
    before anything is written, so a refused command leaves nothing behind.

    Returns:
        the row of ``pred``'s arrays holding ``track`` (0 when ``None``).
    """
    T = pred.joints_3d.shape[1]
    matches = np.flatnonzero(pred.track_ids == track) if track is not None else np.array([0])
    if len(matches) == 0:
        raise SkelgnnError(f"--track {track}: no such track; tracks: {pred.track_ids.tolist()}")
    if frame is not None and not 1 <= frame <= T:
        raise SkelgnnError(f"--frame {frame}: the input has {T} frame(s) (1..{T})")
    return int(matches[0])


def check_pictures(png: str | os.PathLike | None = None, gif: str | os.PathLike | None = None) -> None:
    """Refuse unwritable picture formats (and MP4 without ffmpeg) before any work."""
    if png:
        viz.check_image_path(png)
    if gif:
        viz.check_animation_path(gif)
    if png or gif:
        viz.check_matplotlib()


def write_pictures(pred: Prediction, name: str, *, png=None, gif=None, html=None, track: int | None = None,
                   frame: int | None = None) -> list[str]:
    """Draw one track of a prediction: a still (``png``, frame ``frame``, 1-based; default the middle one),
    an animation (``gif``) and the HTML viewer (``html``, in the camera frame with the root trajectory
    when there is one). ``name`` titles the pictures.

    Returns:
        one line per file written, in words.
    """
    T = pred.joints_3d.shape[1]
    p = check_selection(pred, track, frame)
    tid = int(pred.track_ids[p])
    j2, j3, fl = pred.joints_2d[p], pred.joints_3d[p], pred.flags[p]
    j3_view = pred.joints_3d_camera[p] if pred.joints_3d_camera is not None else j3
    lines = []
    if png:
        t = (frame - 1) if frame is not None else (T - 1) // 2
        viz.plot_pair(j2[t], j3[t], png, flags=fl[t], title=f"{name}, track {tid}, frame {t + 1} of {T}")
        lines.append(f"Wrote {png} (frame {t + 1} of {T}, track {tid}; --frame N picks another).")
    if gif:
        viz.animate(j2, j3, gif, fps=pred.fps or 30.0, flags=fl, title=f"{name}, track {tid}")
        _, step = viz.animation_frames(T)
        shown = f"1 frame in {step} of {T}: at most 300 are drawn" if step > 1 else f"all {T} frames"
        lines.append(f"Wrote {gif} (track {tid}, {shown}).")
    if html:
        viz.write_html_viewer(j3_view, html, fps=pred.fps, title=f"{name}, track {tid}", joints_2d=j2,
                              flags=fl, frame_numbers=pred.frames)
        lines.append(f"Wrote {html} (track {tid}; open it in a browser, it needs no network).")
    return lines
