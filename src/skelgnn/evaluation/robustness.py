"""Robustness of a lifter to the camera: HDM05-Lift's test actors seen through changed virtual cameras.

The held-out test actors (mm, tr) are re-projected with the benchmark's camera rule (docs/benchmarks.md:
4 cameras per clip on a ring around ``(x̄, 900, z̄)`` at 1600 mm height, yaw 45°, 135°, 225°, 315°,
pinhole, principal point at the image centre) with **one** parameter changed at a time:

* ``baseline`` — the benchmark's own cameras (f = 1145 px, ring radius 4.5 m, 1000 × 1000 px);
* ``focal_x0.5`` / ``focal_x2`` — focal length 572.5 px / 2290 px (same 1000 × 1000 image; at ×2 the
  person fills most of the image and some points fall outside it — they are kept, not clipped);
* ``distance_3m`` / ``distance_8m`` — ring radius 3 m / 8 m instead of 4.5 m (perspective changes);
* ``height_0.5m`` / ``height_3m`` — camera centres 0.5 m / 3 m above the floor instead of 1.6 m, still
  looking at the point 0.9 m above the floor: the camera looks slightly up (−5°) or clearly down (25°,
  a camera on a wall or a tripod raised high) instead of 9° down;
* ``image_640x480`` / ``image_1920x1080`` — that image size with the **same focal length** (1145 px),
  principal point at the new centre: the person keeps their pixel size and the frame around them
  changes (a crop or a wider sensor). (The same *field of view* instead would leave both the
  ``screen`` and the ``bbox`` coordinates exactly as in the baseline, so it would test nothing.)

The 2D input is either exact (``gt``) or ``noisy`` as in the benchmark — σ = 4 px on every joint plus,
with probability 3 %, a σ = 20 px outlier offset — with both σ scaled by ``max(width, height) / 1000``
(the noise of a detector grows with the image it runs on). Noise is drawn with numpy's PCG64 seeded
``seed`` in the benchmark's order (every clip in sorted order, train clips included: per clip the
(4, T, 17, 2) base noise, the (4, T, 17) outlier draws and the (4, T, 17, 2) offsets), so every
change sees the same standard-normal draws, and the ``baseline`` row with seed 0 reproduces the
benchmark's stored ``noisy`` input, i.e. ``skelgnn evaluate --input noisy`` (up to float32 rounding).
Projection and noise are :func:`skelgnn.data.views.append_view` and :func:`skelgnn.data.views.pixel_noise`,
the code that also makes the random training views of ``data.extra_views``.

The 2D is normalised the way the checkpoint was trained (its ``normalization.input``):
``screen`` divides by the image width, so a model trained on 1000 × 1000 images sees different
numbers when the focal length or the image changes; ``bbox`` (pelvis-centred, divided by half the
box side) is exactly invariant to the focal length and to the image size without noise, and only the
change of perspective with distance (and the relative noise level) remains.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from ..core.camera_rigs import ring_cameras
from ..core.cameras import Camera
from ..core.errors import SkelgnnError
from ..core.skeleton import H36M_17
from ..data.hdm05 import (
    FOCAL_PX,
    IMAGE_SIZE,
    LOOK_AT_HEIGHT_MM,
    NOISE_SEED,
    NOISE_SIGMA_PX,
    OUTLIER_PROB,
    OUTLIER_SIGMA_PX,
    RING_HEIGHT_MM,
    RING_RADIUS_MM,
    YAWS_DEG,
)
from ..data.hdm05_files import load_benchmark
from ..data.sequences import SequenceSet
from ..data.views import append_view, noise_scale, pixel_noise
from ..lifting.api import Lifter
from ..lifting.inference import fit_trajectories
from .report import compute_report

__all__ = ["CAMERA_CHANGES", "CameraChange", "camera_change", "camera_change_sequences", "changed_cameras",
           "robustness_markdown", "run_robustness"]


@dataclass(frozen=True)
class CameraChange:
    """One virtual-camera setting: the benchmark's rule with these parameters.

    Attributes:
        name: short id (used in JSON and ``--changes``).
        label: what changed, in words.
        focal_scale: focal length = ``FOCAL_PX · focal_scale`` (1145 px · scale).
        distance_mm: ring radius (camera distance from the look-at point), mm.
        width: image width in pixels (principal point at ``width / 2``).
        height: image height in pixels (principal point at ``height / 2``).
        camera_height_mm: world height (Y) of the camera centres, mm (the look-at point stays 900 mm).
    """

    name: str
    label: str
    focal_scale: float = 1.0
    distance_mm: float = RING_RADIUS_MM
    width: int = IMAGE_SIZE[0]
    height: int = IMAGE_SIZE[1]
    camera_height_mm: float = RING_HEIGHT_MM

    @property
    def focal_px(self) -> float:
        return FOCAL_PX * self.focal_scale

    @property
    def noise_scale(self) -> float:
        """Noise σ multiplier: the image's larger side relative to the benchmark's 1000 px."""
        return noise_scale(self.width, self.height)


CAMERA_CHANGES: tuple[CameraChange, ...] = (
    CameraChange("baseline", "benchmark cameras (f 1145 px, 4.5 m, 1000x1000)"),
    CameraChange("focal_x0.5", "focal length x0.5 (572.5 px)", focal_scale=0.5),
    CameraChange("focal_x2", "focal length x2 (2290 px)", focal_scale=2.0),
    CameraChange("distance_3m", "camera distance 3 m", distance_mm=3000.0),
    CameraChange("distance_8m", "camera distance 8 m", distance_mm=8000.0),
    CameraChange("height_0.5m", "camera height 0.5 m (looking up 5 deg)", camera_height_mm=500.0),
    CameraChange("height_3m", "camera height 3 m (looking down 25 deg)", camera_height_mm=3000.0),
    CameraChange("image_640x480", "image 640x480, same focal 1145 px", width=640, height=480),
    CameraChange("image_1920x1080", "image 1920x1080, same focal 1145 px", width=1920, height=1080),
)


def camera_change(name: str) -> CameraChange:
    """The entry of :data:`CAMERA_CHANGES` called ``name``."""
    for ch in CAMERA_CHANGES:
        if ch.name == name:
            return ch
    raise SkelgnnError(f"unknown camera change {name!r}; known: {[c.name for c in CAMERA_CHANGES]}")


def changed_cameras(joints_world: np.ndarray, change: CameraChange) -> list[Camera]:
    """The 4 cameras of one clip under ``change``, from its 30 fps world joints (T, 17, 3) mm.

    With the ``baseline`` change these are the benchmark's cameras
    (:func:`skelgnn.data.hdm05.clip_cameras`).
    """
    root = np.asarray(joints_world, dtype=np.float64)[:, 0]
    target = np.array([root[:, 0].mean(), LOOK_AT_HEIGHT_MM, root[:, 2].mean()])
    f = change.focal_px
    return ring_cameras(target, radius=change.distance_mm, height=change.camera_height_mm, yaws_deg=YAWS_DEG,
                        f=(f, f), c=(change.width / 2, change.height / 2), width=change.width,
                        height_px=change.height, name_prefix=f"{change.name}/cam")


def camera_change_sequences(bench, change: CameraChange, *, input_kind: str = "noisy",
                            input_norm: str = "screen", split: str = "test",
                            seed: int = NOISE_SEED) -> tuple[SequenceSet, dict]:
    """Sequences of ``split`` re-projected through ``change``'s cameras (module docstring).

    Args:
        bench: a :class:`skelgnn.data.hdm05.Benchmark` (its ``joints_world`` is what is used).
        change: the camera setting.
        input_kind: ``"gt"`` (exact projection) or ``"noisy"``.
        input_norm: the checkpoint's input normalisation (``"screen"`` or ``"bbox"``).
        split: which clips (default the test actors).
        seed: noise seed (0 reproduces the benchmark's noise for the baseline).

    Returns:
        ``(SequenceSet, stats)``; the set has one sequence per (clip, camera) with the same keys as
        :func:`skelgnn.data.hdm05.benchmark_sequences`; ``stats`` has ``inside_image`` (share of 2D
        points inside the image) and ``median_box_px`` (median larger side of the 2D box).
    """
    if input_kind not in ("gt", "noisy"):
        raise SkelgnnError(f"input must be 'gt' or 'noisy', got {input_kind!r}")
    rng = np.random.Generator(np.random.PCG64(seed))
    out = SequenceSet()
    inside, boxes = [], []
    for c in range(len(bench.clip_keys)):
        sl = bench.clip_frames(c)
        world = bench.joints_world[sl].astype(np.float64)
        if input_kind == "noisy":  # draw for every clip, in the benchmark's order
            base, outlier, offset = pixel_noise(rng, (4, sl.stop - sl.start) + world.shape[1:2],
                                                change.noise_scale)
        if str(bench.clip_split[c]) != split:
            continue
        for i, cam in enumerate(changed_cameras(world, change)):
            noise = (base[i], outlier[i], offset[i]) if input_kind == "noisy" else None
            uv = append_view(out, world, cam, key=f"{bench.clip_keys[c]}/{i}", cls=str(bench.clip_class[c]),
                             rare=bench.rare20[sl], input_norm=input_norm, noise=noise)
            inside.append(((uv[..., 0] >= 0) & (uv[..., 0] <= cam.width) & (uv[..., 1] >= 0)
                           & (uv[..., 1] <= cam.height)).reshape(-1))
            boxes.append(np.max(uv.max(axis=-2) - uv.min(axis=-2), axis=-1))
    if not out.keys:
        raise SkelgnnError(f"the benchmark has no {split!r} clips")
    stats = {"inside_image": float(np.concatenate(inside).mean()),
             "median_box_px": float(np.median(np.concatenate(boxes)))}
    return out, stats


def run_robustness(checkpoint: str | os.PathLike, data_dir: str | os.PathLike, *, input_kind: str = "noisy",
                   changes: list[str] | None = None, seed: int = NOISE_SEED, tta: bool = False) -> dict:
    """Evaluate a checkpoint on the test actors under every camera change.

    Args:
        checkpoint: a ``.pt`` checkpoint (17 Human3.6M joints).
        data_dir: folder written by ``skelgnn data hdm05``.
        input_kind: ``"noisy"`` (default) or ``"gt"`` 2D.
        changes: names from :data:`CAMERA_CHANGES` (default all, baseline first).
        seed: noise seed.
        tta: test-time flip augmentation.

    Returns:
        JSON-ready dict: ``checkpoint``, ``model``, ``input_norm``, ``input``, ``seed``, ``protocol``
        and ``rows`` (one per change: its parameters, ``mpjpe``, ``p_mpjpe``, ``mpjpe_classwise``,
        ``ratio_to_baseline``, ``inside_image``, ``median_box_px``, ``samples``).
    """
    import time

    lifter = Lifter.load(checkpoint)
    skeleton = lifter.skeleton
    if tuple(skeleton.joint_names) != H36M_17.joint_names:
        raise SkelgnnError(f"{checkpoint}: its skeleton {skeleton.name!r} is not the 17 Human3.6M joints "
                           "of HDM05-Lift")
    norm = lifter.input_norm
    todo = [camera_change(n) for n in changes] if changes else list(CAMERA_CHANGES)
    bench = load_benchmark(data_dir)
    t0 = time.perf_counter()
    rows = []
    for ch in todo:
        seqs, stats = camera_change_sequences(bench, ch, input_kind=input_kind, input_norm=norm, seed=seed)
        preds = lifter.predict_sequences(seqs, tta=tta)
        rep = compute_report(preds, seqs, skeleton, roots=fit_trajectories(preds, seqs))
        rows.append({**asdict(ch), "focal_px": ch.focal_px,
                     "noise_sigma_px": NOISE_SIGMA_PX * ch.noise_scale if input_kind == "noisy" else 0.0,
                     "mpjpe": rep["mpjpe"], "p_mpjpe": rep["p_mpjpe"],
                     "mpjpe_classwise": rep["mpjpe_classwise"],
                     **{k: rep[k] for k in ("root_error", "root_error_pct", "root_depth_error_pct",
                                            "abs_mpjpe")},
                     "samples": rep["samples"], **stats})
    base = next((r for r in rows if r["name"] == "baseline"), None)
    for r in rows:
        r["ratio_to_baseline"] = r["mpjpe"] / base["mpjpe"] if base else float("nan")
    noise = ("none (exact projection)" if input_kind == "gt" else
             f"sigma {NOISE_SIGMA_PX:g} px + {100 * OUTLIER_PROB:g} % outliers sigma {OUTLIER_SIGMA_PX:g} "
             f"px, both x max(width, height)/1000, PCG64 seed {seed}")
    return {
        "checkpoint": str(checkpoint), "model": lifter.name, "input_norm": norm,
        "input": input_kind,
        "seed": seed, "tta": tta, "seconds": round(time.perf_counter() - t0, 2),
        "protocol": {
            "data": "HDM05-Lift (spec v1) test actors mm, tr, re-projected through changed virtual cameras",
            "cameras": "benchmark rule: 4 per clip on a ring around (mean root x, 900, mean root z) at 1600 "
                       "mm height, yaw 45/135/225/315 deg, pinhole, principal point at the image centre; one "
                       "parameter changed per row; image-size rows keep the focal length (1145 px)",
            "2D noise": noise,
            "2D normalisation": f"{norm} (as the checkpoint was trained)",
            "metrics": "MPJPE and P-MPJPE in mm, frame-wise over every frame x 4 cameras, 17 joints, "
                       "pelvis-relative camera frame; root error = camera-frame pelvis fitted by least "
                       "squares with the changed cameras' intrinsics (skelgnn.lifting.trajectory), in mm and "
                       "% of the camera distance",
        },
        "rows": rows,
    }


def robustness_markdown(report: dict) -> str:
    """A Markdown table of :func:`run_robustness`'s dict."""
    lines = [f"## Camera robustness of {report['model']} ({report['checkpoint']})", "",
             (f"2D input: {report['input']}; normalised by {report['input_norm']} (as trained); "
              f"test-time flip {'on' if report['tta'] else 'off'}."), ""]
    for k, v in report["protocol"].items():
        lines.append(f"- {k}: {v}")
    lines += ["", ("| camera change | f (px) | distance (m) | image (px) | noise σ (px) | 2D in image "
                   "| median box (px) | MPJPE (mm) | P-MPJPE (mm) | × baseline | root error (mm) | root "
                   "error (%) |"),
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        lines.append(f"| {r['label']} | {r['focal_px']:g} | {r['distance_mm'] / 1000:g} "
                     f"| {r['width']}x{r['height']} | {r['noise_sigma_px']:g} | "
                     f"{100 * r['inside_image']:.1f} % | {r['median_box_px']:.0f} "
                     f"| {r['mpjpe']:.1f} | {r['p_mpjpe']:.1f} | {r['ratio_to_baseline']:.2f} "
                     f"| {r.get('root_error', float('nan')):.0f} | "
                     f"{r.get('root_error_pct', float('nan')):.1f} |")
    return "\n".join(lines) + "\n"
