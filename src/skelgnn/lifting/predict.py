"""Lift a user's own 2D keypoints (or, with the ``detect`` extra, an image or video) to 3D.

The pipeline is ``read_keypoints → to_h36m → fill_missing → lift_keypoints`` per tracked person,
one function each, and :func:`predict_file` runs it from files to an output file:

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
  ``postfilter`` (the smoothing / bone-length steps applied, or "none").

Shape letters: ``P`` tracks, ``T`` frames, ``J`` = 17 joints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import SkelgnnError
from ..core.io import atomic_save_npz, atomic_write_text
from ..core.skeleton import H36M_17
from ..keypoints import MAX_IMAGE_SIDE, fill_missing, read_keypoints, to_h36m
from . import viz
from .bvh_export import write_bvh
from .checkpoint import load_checkpoint
from .detect import detect_file, to_keypoints
from .inference import lift_keypoints
from .outputs import check_outputs
from .smoothing import postprocess
from .trajectory import DEFAULT_FOV_DEG, fit_root, intrinsics_from_image

__all__ = [
    "DEFAULT_SMOOTH",
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Prediction",
    "default_checkpoint",
    "lift_keypoints",
    "predict_file",
    "predict_keypoints",
    "read_input",
    "save_prediction",
    "unknown_meta",
]

OUTSIDE_MARGIN = 1.0
"""Keypoints more than this many image widths (heights) left/right of (above/below) the image are treated
as missing: filled by interpolation, flagged in ``flags`` and marked in ``outside``."""
MAX_PIXELS = 1e7  # |coordinate| beyond this is outside any image, even when the image size is unknown

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


def check_image_size(width, height, what: str = "--width/--height") -> None:
    """Image sizes must be whole numbers of pixels in ``1..MAX_IMAGE_SIDE`` (or ``None``)."""
    for name, v in (("width", width), ("height", height)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= MAX_IMAGE_SIDE:
            raise SkelgnnError(f"{what}: the image {name} must be a whole number of pixels between 1 and "
                               f"{MAX_IMAGE_SIDE}, got {v!r}")


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
    """The result of :func:`predict_file` (arrays as written to the npz; see the module docstring)."""

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


def predict_keypoints(model, meta: dict, kp, *, width: int | None = None, height: int | None = None,
                      fps: float | None = None, conf_threshold: float = 0.3, tta: bool = False,
                      checkpoint: str = "", smooth: str | None = "default", bones: bool = True,
                      trajectory: bool = False, focal_px: float | None = None,
                      fov_deg: float | None = None) -> Prediction:
    """Map, fill and lift every track of a :class:`~skelgnn.keypoints.Keypoints`.

    Tracks without a single valid joint are dropped (their ids are listed in
    ``Prediction.dropped_tracks``); if no track is left this raises :class:`SkelgnnError`.

    Post-filters (:mod:`skelgnn.lifting.smoothing`): ``smooth`` is ``"savgol"``, ``"one_euro"``, None (off) or
    ``"default"`` (:data:`DEFAULT_SMOOTH` for single-frame models, off for multi-frame ones); ``bones``
    rescales every bone to the track's median length afterwards. With ``trajectory`` the camera-frame
    pelvis is fitted per frame (:func:`skelgnn.lifting.trajectory.fit_root`; filled joints weigh 0.05) with the
    focal length ``focal_px`` if given, else one assumed from the image size and ``fov_deg``
    (default :data:`skelgnn.lifting.trajectory.DEFAULT_FOV_DEG`).
    """
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
    roots = []
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
        j3 = lift_keypoints(model, meta, filled, width, height, tta=tta)
        if smooth is not None or bones:
            j3 = postprocess(j3, H36M_17.parents, smooth=smooth, bones=bones, fps=float(fps or 30.0))
            j3 = (j3 - j3[:, :1]).astype(np.float32)
        if intrinsics is not None:
            roots.append(fit_root(j3, filled, intrinsics, weights=np.where(flag, 0.05, 1.0)).astype(np.float32))
        outs3.append(j3)
        outs2.append(filled.astype(np.float32))
        flags.append(flag)
        confs.append(conf[p].astype(np.float32))
        ids.append(tid)
    if not ids and all_far:
        size = f"the {width}x{height} image" if width and height else f"{MAX_PIXELS:g} px"
        raise SkelgnnError(f"{kp.source}: every keypoint lies far outside {size} (more than {OUTSIDE_MARGIN:g} "
                           "image size beyond its border); check the image size (--width/--height) and the input")
    if not ids:
        raise SkelgnnError(f"{kp.source}: no joint reaches the confidence threshold {conf_threshold} in any frame "
                           f"of any of its {kp.num_tracks} track(s); nothing to lift (lower --conf-threshold?)")
    return Prediction(
        joints_3d=np.stack(outs3).astype(np.float32), joints_2d=np.stack(outs2), flags=np.stack(flags),
        confidence=np.stack(confs), track_ids=np.asarray(ids, dtype=np.int64), frames=kp.frames.copy(),
        fps=fps, width=width, height=height, layout=kp.layout, layout_guessed=kp.layout_guessed,
        model=str(meta.get("model", {}).get("name", "?")), checkpoint=checkpoint, source=kp.source,
        dropped_tracks=dropped, outside=np.stack(outside), short_tracks=kp.short_tracks, intrinsics=intrinsics,
        root_3d=np.stack(roots) if roots else None,
        joints_3d_camera=(np.stack(outs3) + np.stack(roots)[:, :, None]).astype(np.float32) if roots else None,
        postfilter=", ".join(x for x in (f"smoothing {smooth}" if smooth else "",
                                         "bone lengths = track medians" if bones else "") if x) or "none")


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
        f"model: {pred.model}; checkpoint: {pred.checkpoint}; input: {pred.source} (layout {pred.layout})",
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
        w.writerow(["track", "frame"] + [f"{n}_{a}" for n in names for a in "xyz"] + [f"{n}_filled" for n in names])
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
        extra = dict(root_3d=pred.root_3d.astype(np.float32), joints_3d_camera=pred.joints_3d_camera.astype(np.float32),
                     intrinsics=np.asarray([k.fx, k.fy, k.cx, k.cy], dtype=np.float64),
                     intrinsics_source=np.asarray(k.source))
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
        postfilter=np.asarray(pred.postfilter), **extra,
    )


def predict_file(ckpt_path: str | os.PathLike | None, input_path: str | os.PathLike,
                 out_path: str | os.PathLike | None, *, layout: str | None = None, width: int | None = None,
                 height: int | None = None, fps: float | None = None, conf_threshold: float = 0.3,
                 tta: bool = False, min_track_length: int | None = None, smooth: str | None = "default", bones: bool = True, trajectory: bool = False,
                 focal_px: float | None = None, fov_deg: float | None = None, bvh_path: str | os.PathLike | None = None,
                 bvh_unit: str = "cm", bvh_track: int | None = None) -> Prediction:
    """Read 2D keypoints (or detect them), lift every person, and write the result.

    Args:
        ckpt_path: a checkpoint; ``None`` uses the bundled one (:func:`default_checkpoint`).
        input_path: keypoint file or OpenPose folder (see :mod:`skelgnn.keypoints`), or an image or
            video (needs the ``detect`` extra).
        out_path: ``.npz`` or ``.csv`` output (module docstring); ``None`` writes nothing.
        layout: input keypoint layout; guessed when ``None``.
        width: image width in pixels (overrides the file's).
        height: image height in pixels (overrides the file's).
        fps: frame rate (overrides the file's; only recorded).
        conf_threshold: joints below this confidence are treated as missing and filled.
        tta: test-time flip augmentation.
        min_track_length: tracks detected in fewer frames are dropped (``None``:
            :data:`skelgnn.keypoints.MIN_TRACK_LENGTH`; see :func:`skelgnn.keypoints.read_keypoints`).
        smooth, bones, trajectory, focal_px, fov_deg: post-filters and root trajectory
            (:func:`predict_keypoints`).
        bvh_path: also write this track's motion as BVH (:func:`skelgnn.lifting.bvh_export.write_bvh`), with the
            root trajectory when ``trajectory``; frame time from the fps (30 fps when unknown).
        bvh_unit: ``"cm"`` (default), ``"m"`` or ``"mm"``.
        bvh_track: the track id written to the BVH (default the first track).

    Returns:
        the :class:`Prediction` (also what was written).

    Raises:
        SkelgnnError: bad input (FormatError names the file and what was expected), a missing
            checkpoint or image size.
    """
    if out_path is not None and Path(out_path).suffix.lower() not in (".npz", ".csv"):
        raise SkelgnnError(f"{out_path}: the output is written as .npz or .csv, not "
                           f"{Path(out_path).suffix or '(no extension)'!r}")
    ckpt = Path(ckpt_path) if ckpt_path is not None else default_checkpoint()
    if bvh_path is not None and Path(bvh_path).suffix.lower() != ".bvh":
        raise SkelgnnError(f"{bvh_path}: the BVH output must end in .bvh")
    if out_path is not None or bvh_path is not None:
        check_outputs({k: v for k, v in (("output", out_path), ("--bvh", bvh_path)) if v is not None},
                      inputs=[ckpt, input_path])
    kp = read_input(input_path, layout=layout, min_track_length=min_track_length)
    model, meta = load_checkpoint(ckpt)
    pred = predict_keypoints(model, meta, kp, width=width, height=height, fps=fps,
                             conf_threshold=conf_threshold, tta=tta, checkpoint=str(ckpt), smooth=smooth,
                             bones=bones, trajectory=trajectory, focal_px=focal_px, fov_deg=fov_deg)
    if out_path is not None:
        pred.out_path = save_prediction(pred, out_path)
    if bvh_path is not None:
        p = track_index(pred, bvh_track)
        write_bvh(bvh_path, pred.joints_3d[p], fps=float(pred.fps or 30.0), unit=bvh_unit,
                  root=None if pred.root_3d is None else pred.root_3d[p])
    return pred


def track_index(pred: Prediction, track: int | None) -> int:
    """Row of ``pred``'s arrays holding track id ``track`` (None: the first track)."""
    if track is None:
        return 0
    matches = np.flatnonzero(pred.track_ids == track)
    if len(matches) == 0:
        raise SkelgnnError(f"track {track}: no such track; tracks: {pred.track_ids.tolist()}")
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
    matches = np.flatnonzero(pred.track_ids == track) if track is not None else np.array([0])
    if len(matches) == 0:
        raise SkelgnnError(f"--track {track}: no such track; tracks: {pred.track_ids.tolist()}")
    if frame is not None and frame > T:
        raise SkelgnnError(f"--frame {frame}: the input has {T} frame(s) (1..{T})")
    p = int(matches[0])
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
        viz.write_html_viewer(j3_view, html, fps=pred.fps, title=f"{name}, track {tid}", joints_2d=j2, flags=fl,
                              frame_numbers=pred.frames)
        lines.append(f"Wrote {html} (track {tid}; open it in a browser, it needs no network).")
    return lines
