"""``skelgnn demo``: lift the bundled HDM05 sample with the bundled default checkpoint, offline.

The bundled sample ``skelgnn/assets/demo_sample.npz`` holds **real** 2D keypoints of one held-out
HDM05-Lift test clip (actor ``tr``, never seen in training) together with its 3D ground truth, so the
demo can print an honest error. It is written once by :func:`make_demo_sample` from a built
HDM05-Lift folder and is also a valid keypoint file for ``skelgnn predict`` (``keypoints`` +
``layout`` = ``"h36m17"`` + ``width``/``height``/``fps``). Its arrays:

* ``keypoints`` (T, 17, 2) float32 — the benchmark's ``noisy`` 2D input, pixels, H36M-17 order;
* ``joints_3d`` (T, 17, 3) float32 — ground truth, millimetres, camera frame (x right, y down,
  z forward), pelvis-relative;
* ``pelvis_camera`` (T, 3) float32 — the pelvis in the camera frame, mm (``joints_3d + pelvis_camera``
  projects through the camera onto the exact 2D);
* ``clip_frames`` (T,) int64 — frame numbers within the clip at 30 fps;
* ``camera_f``, ``camera_c`` (2,) px, ``camera_R`` (3, 3) world→camera, ``camera_center`` (3,) mm;
* scalars/strings ``width``, ``height``, ``fps``, ``layout``, ``clip``, ``actor``, ``motion_class``,
  ``camera``, ``input``, ``split``, ``spec``, ``units``, ``coordinate_frame``, ``skeleton``,
  ``parents``, ``licence`` and ``attribution``.

Data: HDM05 (Müller et al. 2007), CC BY-SA 3.0 — "The data used in this project was obtained from
HDM05." The sample is derived from it and shared under the same licence.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import FormatError, SkelgnnError
from ..core.io import atomic_save_npz
from ..core.metrics import mpjpe, p_mpjpe
from ..core.skeleton import H36M_17
from ..data.hdm05 import ATTRIBUTION, FPS, TEST_ACTORS
from ..data.hdm05_files import SPEC_VERSION, load_benchmark
from ..lifting import viz
from ..lifting.api import Lifter
from ..lifting.bvh_export import write_bvh
from ..lifting.predict import FRAME_DESCRIPTION, default_checkpoint

__all__ = [
    "DEFAULT_CAMERA",
    "DEFAULT_CLIP",
    "MAX_FRAMES",
    "DemoResult",
    "demo_sample_path",
    "load_demo_sample",
    "make_demo_sample",
    "run_demo",
]

DEFAULT_CLIP = "tr/kickLFront1Reps_029"
"""A front kick with the left leg by test actor ``tr`` (68 frames at 30 fps), seen from the side by camera
0."""
DEFAULT_CAMERA = 0
MAX_FRAMES = 150
SAMPLE_NAME = "demo_sample.npz"
# what run_demo writes
OUTPUT_FILES = ("prediction.npz", "pose.png", "pose.gif", "viewer.html", "motion.bvh", "trajectory.html")
_SAMPLE_ARRAYS = ("keypoints", "joints_3d", "clip_frames", "width", "height", "fps", "clip", "actor",
                  "motion_class", "camera", "input", "attribution")


def make_demo_sample(bench_dir: str | os.PathLike, out_path: str | os.PathLike, clip: str | None = None,
                     camera: int = DEFAULT_CAMERA, frames: tuple[int, int] | None = None) -> Path:
    """Extract one held-out HDM05-Lift clip (2D input + 3D truth) into a small npz (module docstring).

    Args:
        bench_dir: folder written by ``skelgnn data hdm05`` (only read).
        out_path: the npz to write (atomically, compressed).
        clip: ``"<actor>/<class>_<take>"`` of a test-actor clip (actors mm, tr); default
            :data:`DEFAULT_CLIP`.
        camera: benchmark camera index 0..3.
        frames: ``(start, stop)`` 30 fps frame range within the clip; default the whole clip, at most
            :data:`MAX_FRAMES` frames.

    Returns:
        the path written.

    Raises:
        SkelgnnError: unknown clip, a clip of a training actor, a bad camera or frame range.
    """
    bench = load_benchmark(bench_dir)
    key = clip or DEFAULT_CLIP
    keys = [str(k) for k in bench.clip_keys]
    if key not in keys:
        raise SkelgnnError(f"{bench_dir}: no clip {key!r} (clips are named like {keys[0]!r})")
    c = keys.index(key)
    if str(bench.clip_actor[c]) not in TEST_ACTORS or str(bench.clip_split[c]) != "test":
        raise SkelgnnError(f"clip {key!r} belongs to training actor {bench.clip_actor[c]!r}; the demo sample "
                           f"must come from a held-out test actor {list(TEST_ACTORS)}")
    if isinstance(camera, bool) or not 0 <= int(camera) < 4:
        raise SkelgnnError(f"camera must be 0..3, got {camera!r}")
    camera = int(camera)
    n = int(bench.clip_length[c])
    start, stop = (0, min(n, MAX_FRAMES)) if frames is None else (int(frames[0]), int(frames[1]))
    if not 0 <= start < stop <= n:
        raise SkelgnnError(f"frames {frames!r}: clip {key!r} has 30 fps frames 0..{n - 1}; "
                           f"give 0 <= start < stop <= {n}")
    s0 = int(bench.clip_start[c])
    sl = slice(s0 + start, s0 + stop)
    cam = bench.camera(c, camera)
    xc = (bench.joints_world[sl].astype(np.float64) - cam.center) @ cam.R.T
    j3 = xc - xc[:, :1]
    uv = bench.joints_2d_noisy[camera, sl]
    return atomic_save_npz(
        out_path, compressed=True,
        keypoints=uv.astype(np.float32), joints_3d=j3.astype(np.float32),
        pelvis_camera=xc[:, 0].astype(np.float32),
        clip_frames=np.arange(start, stop, dtype=np.int64),
        width=np.asarray(int(bench.width)), height=np.asarray(int(bench.height)), fps=np.asarray(float(FPS)),
        layout=np.asarray("h36m17"), clip=np.asarray(key), actor=np.asarray(str(bench.clip_actor[c])),
        motion_class=np.asarray(str(bench.clip_class[c])), camera=np.asarray(camera),
        camera_f=np.asarray(cam.f, dtype=np.float64), camera_c=np.asarray(cam.c, dtype=np.float64),
        camera_R=np.asarray(cam.R, dtype=np.float64), camera_center=np.asarray(cam.center, dtype=np.float64),
        input=np.asarray("noisy"), split=np.asarray("test"), spec=np.asarray(SPEC_VERSION),
        units=np.asarray("mm"), coordinate_frame=np.asarray(FRAME_DESCRIPTION),
        skeleton=np.asarray(H36M_17.joint_names), parents=np.asarray(H36M_17.parents, dtype=np.int64),
        licence=np.asarray("CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/)"),
        attribution=np.asarray(ATTRIBUTION),
    )


def demo_sample_path() -> Path:
    """The bundled sample ``skelgnn/assets/demo_sample.npz``.

    Raises:
        SkelgnnError: this installation lacks it.
    """
    from importlib.resources import files

    res = files("skelgnn").joinpath(f"assets/{SAMPLE_NAME}")
    if not res.is_file():
        raise SkelgnnError(f"no bundled demo sample (skelgnn/assets/{SAMPLE_NAME}) in this installation; "
                           "reinstall skelgnn")
    return Path(str(res))


def load_demo_sample(path: str | os.PathLike | None = None) -> dict:
    """The sample's arrays as a dict (strings and scalars as Python values); default the bundled one."""
    import zipfile

    p = Path(path) if path is not None else demo_sample_path()
    try:
        with np.load(p, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise FormatError(p, f"not a readable demo sample ({e})") from None
    missing = [k for k in _SAMPLE_ARRAYS if k not in d]
    if missing:
        raise FormatError(p, f"missing arrays {missing}; rebuild it with skelgnn.tools.demo.make_demo_sample")
    for k, v in list(d.items()):
        if v.ndim == 0:
            d[k] = v.item()
    return d


@dataclass
class DemoResult:
    """What :func:`run_demo` did: the sample, the checkpoint, the errors and the files written."""

    clip: str
    actor: str
    motion_class: str
    camera: int
    input: str
    frames: int
    fps: float
    width: int
    height: int
    mpjpe: float
    p_mpjpe: float
    model: str
    checkpoint: str
    input_norm: str
    seconds: float
    png_frame: int
    png_mpjpe: float
    attribution: str
    files: dict[str, Path] = field(default_factory=dict)
    root_error: float = float("nan")
    root_error_pct: float = float("nan")
    postfilter: str = "none"


def _default_checkpoint_for_demo() -> Path:
    try:
        return default_checkpoint()
    except SkelgnnError:
        raise SkelgnnError("no bundled default checkpoint (skelgnn/assets/default.pt) in this installation; "
                           "train one with `skelgnn train configs/default_hdm05.toml --out runs/default` and "
                           "run `skelgnn demo --checkpoint runs/default/best.pt`") from None


def run_demo(out_dir: str | os.PathLike = "skelgnn_demo", checkpoint: str | os.PathLike | None = None, *,
             sample: str | os.PathLike | None = None, pictures: bool = True,
             frame: int | None = None) -> DemoResult:
    """Lift the bundled sample, score it against its ground truth, and write npz, PNG, GIF and HTML.

    Every picture draws the ground truth (green dashed) over the prediction; the PNG's title names its
    frame and that frame's MPJPE.

    Args:
        out_dir: folder for ``prediction.npz``, ``pose.png``, ``pose.gif`` and ``viewer.html``.
        checkpoint: a checkpoint; ``None`` uses the bundled default.
        sample: a sample npz written by :func:`make_demo_sample`; ``None`` uses the bundled one.
        pictures: also write the PNG, GIF and HTML (needs matplotlib for PNG and GIF).
        frame: the 1-based frame the PNG shows; ``None``: the middle frame.

    Returns:
        a :class:`DemoResult`.

    Raises:
        SkelgnnError: no bundled checkpoint (and none given), or an unreadable sample/checkpoint.
    """
    import torch

    ckpt = Path(checkpoint) if checkpoint is not None else _default_checkpoint_for_demo()
    sample_path = Path(sample) if sample is not None else demo_sample_path()
    s = load_demo_sample(sample_path)
    n_frames = len(np.asarray(s["joints_3d"]))
    if frame is not None and not 1 <= int(frame) <= n_frames:  # refused before anything is written
        raise SkelgnnError(f"frame {frame}: the sample has {n_frames} frames (1..{n_frames})")
    out = Path(out_dir)
    files: dict[str, Path] = {}
    t0 = time.perf_counter()
    focal = float(np.asarray(s["camera_f"]).reshape(-1)[0]) if "camera_f" in s else None
    lifter = Lifter.load(ckpt)
    pred = lifter.lift(sample_path, layout="h36m17", trajectory=True, focal_px=focal)
    out.mkdir(parents=True, exist_ok=True)  # only once the checkpoint loaded and the sample lifted
    pred.out_path = pred.to_npz(out / "prediction.npz")
    seconds = time.perf_counter() - t0
    files["npz"] = pred.out_path
    j3 = pred.joints_3d[0].astype(np.float64)
    gt = np.asarray(s["joints_3d"], dtype=np.float64)
    gt = gt - gt[:, :1]
    if j3.shape != gt.shape:
        raise SkelgnnError(f"{sample_path}: {len(gt)} ground-truth frames but {len(j3)} lifted frames")
    pt, gt_t = torch.from_numpy(j3), torch.from_numpy(gt)
    e = float(mpjpe(pt, gt_t).mean())
    pe = float(p_mpjpe(pt, gt_t).mean())

    norm = lifter.input_norm
    t_png = (len(gt) - 1) // 2 if frame is None else int(frame) - 1
    png_error = float(np.linalg.norm(j3[t_png] - gt[t_png], axis=-1).mean())
    res = DemoResult(clip=str(s["clip"]), actor=str(s["actor"]), motion_class=str(s["motion_class"]),
                     camera=int(s["camera"]), input=str(s["input"]), frames=len(gt), fps=float(s["fps"]),
                     width=int(s["width"]), height=int(s["height"]), mpjpe=e, p_mpjpe=pe, model=pred.model,
                     checkpoint=str(ckpt), input_norm=norm, seconds=seconds, png_frame=t_png,
                     png_mpjpe=png_error,
                     attribution=str(s["attribution"]), files=files, postfilter=pred.postfilter)
    if "pelvis_camera" in s:
        true_root = np.asarray(s["pelvis_camera"], dtype=np.float64)
        root_err = np.linalg.norm(pred.root_3d[0].astype(np.float64) - true_root, axis=-1)
        res.root_error = float(root_err.mean())
        res.root_error_pct = float(100 * (root_err / np.linalg.norm(true_root, axis=-1)).mean())
    files["bvh"] = write_bvh(out / "motion.bvh", j3, fps=res.fps, root=pred.root_3d[0])
    if pictures:
        j2, fl = pred.joints_2d[0], pred.flags[0]
        title = f"HDM05 {res.clip}, camera {res.camera}"
        files["png"] = viz.plot_pair(j2[t_png], j3[t_png], out / "pose.png", flags=fl[t_png], gt_3d=gt[t_png],
                                     title=f"{title}, frame {t_png + 1} of {res.frames}: MPJPE "
                                           f"{png_error:.0f} mm (clip {e:.0f} mm)")
        files["gif"] = viz.animate(j2, j3, out / "pose.gif", fps=res.fps, flags=fl, gt_3d=gt,
                                   title=f"{title}, clip MPJPE {e:.0f} mm")
        files["html"] = viz.write_html_viewer(j3, out / "viewer.html", fps=res.fps,
                                              title=f"skelgnn demo: {title} (clip MPJPE {e:.0f} mm)",
                                              joints_2d=j2, flags=fl, gt_3d=gt, frame_numbers=pred.frames)
        files["trajectory_html"] = viz.write_html_viewer(
            pred.joints_3d_camera[0], out / "trajectory.html", fps=res.fps,
            title=f"skelgnn demo: {title}, camera frame with the fitted root trajectory", joints_2d=j2,
                                                         flags=fl,
            frame_numbers=pred.frames)
    return res
