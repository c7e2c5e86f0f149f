"""HDM05-Lift clips re-projected through other cameras: the one implementation of projection and 2D noise
shared by the camera-robustness check (:mod:`skelgnn.evaluation.robustness`) and by training on extra random
virtual views (``[data] extra_views``, :func:`extra_view_sequences`).

* :func:`pixel_noise` draws the benchmark's 2D noise model (docs/benchmarks.md: σ = 4 px on every joint
  plus, with probability 3 %, a σ = 20 px outlier offset), both σ multiplied by ``scale`` (the image's
  larger side / 1000 px, :func:`noise_scale`): first the base noise, then the outlier draws, then the
  offsets, each over the whole ``shape`` at once.
* :func:`append_view` projects one clip's world joints through one camera, adds that noise, and appends
  the sequence to a :class:`~skelgnn.data.sequences.SequenceSet` exactly as
  :func:`skelgnn.data.hdm05.benchmark_sequences` fills it: camera-frame pelvis-relative targets in mm,
  inputs normalised with ``input_norm`` (``"screen"`` with this camera's image size), pixels, camera-frame
  roots and intrinsics.
* :func:`extra_view_sequences` adds, for every *training* clip (split ``"train"``; never the validation
  clips, never the test actors), ``views`` sequences seen by random virtual cameras (:func:`draw_view`):

  - yaw uniform in [0°, 360°) (from +X towards +Z, world up +Y, as
  :func:`skelgnn.core.camera_rigs.ring_cameras`);
  - camera height uniform in [0.3 m, 2.8 m] (the top set by ``data.view_max_height``); distance from the
    look-at point uniform in [2.5 m, 9 m];
  - look-at point ``(x̄, h, z̄)``: the clip's mean pelvis x and z, ``h`` uniform in [0.6 m, 1.3 m];
  - focal length 1145 px × a log-uniform factor in [0.5, 2] (fx = fy);
  - image size uniformly one of 1000 × 1000, 1920 × 1080, 1280 × 720, 640 × 480, principal point at
    its centre; no distortion; the camera looks at the look-at point
    (:func:`skelgnn.core.camera_rigs.look_at`).

  A draw that would put a joint of the clip (any frame) less than 1 m in front of the camera (or behind
  it), or whose height above or below the look-at point exceeds 0.9 × its distance (only possible with a
  ``data.view_max_height`` above 2.85 m), is discarded and drawn again from the same generator (rare: only
  clips that travel far from their mean position, seen from close by). View ``i`` of a clip with key ``k``
  uses its own generator,
  :func:`view_generator` = PCG64 seeded with ``SeedSequence([seed, crc32(k), i])`` (``seed`` is
  ``data.view_seed``): first the camera, then, for ``"noisy"`` input, its 2D noise over the frames used.
  So the views do not depend on each other, on the clip selection (``train_fraction``), on the input
  kind (gt and noisy see the same cameras) or on ``max_frames_per_clip``, and ``extra_views = n`` adds
  views ``v0 … v{n-1}``, the first views of any larger ``n``.
* ``bone_jitter = b`` (``data.bone_jitter``, default 0: the actors' own bodies) also gives each extra view
  its own body proportions: every bone group of :attr:`skelgnn.core.skeleton.Skeleton.bone_groups` (a bone and
  its mirror share one) has its length multiplied by a factor uniform in [1 − b, 1 + b], drawn in group
  order from :func:`bone_generator` (``SeedSequence([seed, crc32(k), i, 1])``, a generator of its own, so
  the cameras and the noise of a view stay those of ``b = 0`` unless the camera had to be redrawn for
  the new body), and the clip is rebuilt with :func:`skelgnn.core.skeleton.scale_bones` (joint angles and the
  pelvis trajectory unchanged) before it is projected. Targets carry the new proportions, so the model
  has to read them from the 2D pose instead of recalling the three training actors' bodies (the people
  of other datasets are built differently). The benchmark's own four views are never changed.
* ``joint_jitter = s`` (``data.joint_jitter``, default 0: HDM05's joint definitions) moves, in each extra
  view, the joints whose definitions differ most between motion-capture skeletons and 2D detectors
  (:data:`DEFINITION_JOINTS`: hips, spine, thorax, neck/nose, head, shoulders) along and across the bone to
  their parent, by offsets constant over the clip (:func:`move_joint_definitions`): along the bone by
  ``α·L`` with ``α`` uniform in [−s, s], across it by ``β₁·L`` up (hips, shoulders) or sideways (the spine's
  joints) and ``β₂·L`` forwards, ``β`` uniform in [−s/2, s/2]; ``L`` is the bone's length in that frame. A
  joint and its mirror share their draws (drawn in :data:`DEFINITION_JOINTS` order of the first of each pair
  from
  :func:`definition_generator`, ``SeedSequence([seed, crc32(k), i, 2])``); only the moved joint moves, its
  children stay. Applied after ``bone_jitter``, before projection, so 2D input and 3D target agree.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from ..core.camera_rigs import look_at
from ..core.cameras import Camera, project
from ..core.errors import SkelgnnError
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17, scale_bones
from ..core.validate import real
from .hdm05 import FOCAL_PX, IMAGE_SIZE, NOISE_SIGMA_PX, OUTLIER_PROB, OUTLIER_SIGMA_PX, benchmark_clips
from .sequences import SequenceSet

__all__ = ["VIEW_YAW_DEG", "VIEW_HEIGHT_MM", "VIEW_MAX_HEIGHT_RANGE_MM", "VIEW_DISTANCE_MM",
           "VIEW_LOOK_AT_HEIGHT_MM",
           "VIEW_FOCAL_FACTOR",
           "VIEW_IMAGE_SIZES", "VIEW_MIN_DEPTH_MM", "VirtualView", "noise_scale", "pixel_noise",
           "append_view",
           "VIEW_BONE_JITTER_MAX", "VIEW_JOINT_JITTER_MAX", "DEFINITION_JOINTS", "definition_generator",
           "draw_definition_offsets", "move_joint_definitions", "view_generator", "bone_generator",
           "draw_bone_factors", "draw_view",
           "virtual_view", "extra_view_sequences"]

VIEW_YAW_DEG = (0.0, 360.0)
VIEW_HEIGHT_MM = (300.0, 2800.0)
VIEW_MAX_HEIGHT_RANGE_MM = (1000.0, 6000.0)  # data.view_max_height (m x 1000) must lie in this range
#: a draw whose camera sits more than this share of its distance above or below the look-at point is drawn
#: again (at most 64 degrees of elevation); the default ranges never reach it (2.2 m over 2.5 m at most)
VIEW_MAX_DROP = 0.9
VIEW_DISTANCE_MM = (2500.0, 9000.0)
VIEW_LOOK_AT_HEIGHT_MM = (600.0, 1300.0)
VIEW_FOCAL_FACTOR = (0.5, 2.0)       # log-uniform
VIEW_IMAGE_SIZES = ((1000, 1000), (1920, 1080), (1280, 720), (640, 480))
VIEW_MIN_DEPTH_MM = 1000.0           # every joint at least this far in front of the camera
VIEW_MAX_TRIES = 100
VIEW_BONE_JITTER_MAX = 0.5           # data.bone_jitter must be below this (a factor of 0 would erase a bone)
VIEW_JOINT_JITTER_MAX = 1.0          # data.joint_jitter must be below this
#: (joint, parent) pairs whose definition :func:`move_joint_definitions` moves; a joint and its mirror share
#: one draw: hips (1, 4), spine 7, thorax 8, neck/nose 9, head 10, shoulders (14, 11), in Human3.6M order.
DEFINITION_JOINTS: tuple[tuple[int, ...], ...] = ((1, 4), (7,), (8,), (9,), (10,), (14, 11))


def noise_scale(width: int, height: int) -> float:
    """Noise σ multiplier of an image: its larger side relative to the benchmark's 1000 px."""
    return max(width, height) / max(IMAGE_SIZE)


def pixel_noise(rng: np.random.Generator, shape: tuple[int, ...],
                scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The benchmark's 2D noise for points of ``shape`` (e.g. (views, T, J)), drawn in the benchmark's order.

    Returns:
        ``(base, outlier, offset)``: base noise ``shape + (2,)`` (σ 4 px · scale), outlier flags ``shape``
        (probability 3 %), outlier offsets ``shape + (2,)`` (σ 20 px · scale); the noisy 2D is
        ``uv + base + outlier[..., None] * offset``.
    """
    shape = tuple(shape)
    base = rng.normal(0.0, NOISE_SIGMA_PX, size=shape + (2,)) * scale
    outlier = rng.random(shape) < OUTLIER_PROB
    offset = rng.normal(0.0, OUTLIER_SIGMA_PX, size=shape + (2,)) * scale
    return base, outlier, offset


def append_view(out: SequenceSet, world: np.ndarray, cam: Camera, *, key: str, cls: str, rare: np.ndarray,
                input_norm: str,
                noise: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Project one clip through ``cam`` and append it to ``out`` as one sequence.

    Args:
        out: the set to append to (every field is filled: inputs, targets, keys, classes, rare, pixels,
            roots, intrinsics).
        world: world joints (T, J, 3), float64 mm.
        cam: the camera (pinhole; its image size is what ``"screen"`` normalises by).
        key, cls: the sequence's key and motion class.
        rare: (T,) Rare20 flags (copied).
        input_norm: ``"screen"`` or ``"bbox"``.
        noise: ``(base, outlier, offset)`` of :func:`pixel_noise` for (T, J) points, or None (exact 2D).

    Returns:
        the 2D input in pixels, (T, J, 2) float64.
    """
    xc = (world - cam.center) @ np.asarray(cam.R).T
    uv = project(xc, cam)
    if noise is not None:
        base, outlier, offset = noise
        uv = uv + base + outlier[..., None] * offset
    out.targets.append((xc - xc[:, :1]).astype(np.float32))
    out.inputs.append(normalize_input(uv, input_norm, cam.width, cam.height).astype(np.float32))
    out.keys.append(key)
    out.classes.append(cls)
    out.rare.append(np.array(rare, dtype=bool, copy=True))
    out.pixels.append(np.asarray(uv, dtype=np.float32))
    out.roots.append(xc[:, 0].astype(np.float32))
    out.intrinsics.append((float(cam.f[0]), float(cam.f[1]), float(cam.c[0]), float(cam.c[1])))
    return uv


@dataclass(frozen=True)
class VirtualView:
    """The drawn parameters of one random virtual camera (module docstring), lengths in mm."""

    yaw_deg: float
    height_mm: float
    distance_mm: float
    look_at_height_mm: float
    focal_px: float
    width: int
    height: int

    def camera(self, root_xz, name: str = "") -> Camera:
        """The camera looking at ``(root_xz[0], look_at_height_mm, root_xz[1])`` from ``distance_mm`` away."""
        dh = self.height_mm - self.look_at_height_mm
        radius = math.sqrt(self.distance_mm ** 2 - dh ** 2)  # horizontal distance; > 0 within the ranges
        a = math.radians(self.yaw_deg)
        target = np.array([float(root_xz[0]), self.look_at_height_mm, float(root_xz[1])])
        eye = np.array([target[0] + radius * math.cos(a), self.height_mm, target[2] + radius * math.sin(a)])
        return Camera(R=look_at(eye, target, (0.0, 1.0, 0.0)), center=eye, f=(self.focal_px, self.focal_px),
                      c=(self.width / 2, self.height / 2), width=self.width, height=self.height, name=name)


def view_generator(seed: int, clip_key: str, view: int) -> np.random.Generator:
    """The generator of view ``view`` of clip ``clip_key``: PCG64 of ``SeedSequence([seed, crc32(key),
    view])``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [int(seed), zlib.crc32(str(clip_key).encode("utf-8")), int(view)])))


def bone_generator(seed: int, clip_key: str, view: int) -> np.random.Generator:
    """The generator of view ``view``'s body proportions: PCG64 of ``SeedSequence([seed, crc32(key), view,
    1])``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [int(seed), zlib.crc32(str(clip_key).encode("utf-8")), int(view), 1])))


def definition_generator(seed: int, clip_key: str, view: int) -> np.random.Generator:
    """The generator of view ``view``'s joint definitions: PCG64 of ``SeedSequence([seed, crc32(key), view,
    2])``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [int(seed), zlib.crc32(str(clip_key).encode("utf-8")), int(view), 2])))


def draw_definition_offsets(rng: np.random.Generator, jitter: float) -> np.ndarray:
    """Offsets ``(α, β₁, β₂)`` per group of :data:`DEFINITION_JOINTS`: α ~ U[−s, s], β ~ U[−s/2, s/2];
    float64 (groups, 3)."""
    n = len(DEFINITION_JOINTS)
    along = rng.uniform(-jitter, jitter, size=n)
    across = rng.uniform(-jitter / 2, jitter / 2, size=(n, 2))
    return np.concatenate([along[:, None], across], axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def move_joint_definitions(world: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Move the :data:`DEFINITION_JOINTS` of a Human3.6M-17 clip along and across their parent bones.

    Args:
        world: (T, 17, 3) joints, Y up (world frame).
        offsets: (len(DEFINITION_JOINTS), 3) ``(α, β₁, β₂)`` per group, in units of the bone's length.

    Returns:
        (T, 17, 3) float64: joint ``j`` of a group moves by ``L·(α·u + β₁·a + β₂·f)`` where ``u`` is the unit
        bone from its parent, ``a`` the body's up axis (pelvis → thorax) for a left/right pair (hips,
        shoulders) and its sideways axis (right hip → left hip) for a joint of the spine, ``f`` the forward
        axis, both made orthogonal to ``u``; every other joint stays.
    """
    world = np.asarray(world, dtype=np.float64)
    parents = H36M_17.parents
    lateral = _unit(world[:, 4] - world[:, 1])           # towards the left
    up = _unit(world[:, 8] - world[:, 0])
    forward = _unit(np.cross(lateral, up))
    out = world.copy()
    for group, (alpha, b_1, b_fwd) in zip(DEFINITION_JOINTS, offsets):
        for j in group:
            bone = world[:, j] - world[:, parents[j]]
            length = np.linalg.norm(bone, axis=-1, keepdims=True)
            u = _unit(bone)
            # across: a sideways bone (hips, shoulders) moves up/down and forwards, a bone of the spine
            # sideways and forwards; both axes are shared by a joint and its mirror
            first = up if len(group) == 2 else lateral
            first = _unit(first - np.sum(first * u, axis=-1, keepdims=True) * u)
            fwd = _unit(forward - np.sum(forward * u, axis=-1, keepdims=True) * u
                        - np.sum(forward * first, axis=-1, keepdims=True) * first)
            out[:, j] = world[:, j] + length * (alpha * u + b_1 * first + b_fwd * fwd)
    return out


def draw_bone_factors(rng: np.random.Generator, jitter: float, groups: int) -> np.ndarray:
    """``groups`` bone-length factors, uniform in [1 - jitter, 1 + jitter], float64 (groups,)."""
    return rng.uniform(1.0 - jitter, 1.0 + jitter, size=int(groups))


def draw_view(rng: np.random.Generator, max_height_mm: float = VIEW_HEIGHT_MM[1]) -> VirtualView:
    """One camera's parameters, in this order: yaw, height (uniform in [0.3 m, ``max_height_mm``]), distance,
    look-at height, focal factor, image size. The generator's draws do not depend on ``max_height_mm``, so a
    view differs from the default range's only in its height."""
    yaw = float(rng.uniform(*VIEW_YAW_DEG))
    height = float(rng.uniform(VIEW_HEIGHT_MM[0], float(max_height_mm)))
    distance = float(rng.uniform(*VIEW_DISTANCE_MM))
    look_at_height = float(rng.uniform(*VIEW_LOOK_AT_HEIGHT_MM))
    factor = math.exp(float(rng.uniform(math.log(VIEW_FOCAL_FACTOR[0]), math.log(VIEW_FOCAL_FACTOR[1]))))
    w, h = VIEW_IMAGE_SIZES[int(rng.integers(len(VIEW_IMAGE_SIZES)))]
    return VirtualView(yaw, height, distance, look_at_height, FOCAL_PX * factor, w, h)


def virtual_view(world: np.ndarray, rng: np.random.Generator, name: str = "",
                 max_height_mm: float = VIEW_HEIGHT_MM[1]) -> tuple[VirtualView, Camera]:
    """A random virtual camera for a clip (world joints (T, J, 3) mm) with every joint >= 1 m in front of it,
    at most ``max_height_mm`` high (:func:`draw_view`).

    Raises:
        SkelgnnError: no such camera in 100 draws (a clip spread over many metres).
    """
    world = np.asarray(world, dtype=np.float64)
    root_xz = (world[:, 0, 0].mean(), world[:, 0, 2].mean())
    for _ in range(VIEW_MAX_TRIES):
        view = draw_view(rng, max_height_mm)
        if abs(view.height_mm - view.look_at_height_mm) > VIEW_MAX_DROP * view.distance_mm:
            continue  # too steep to place (only with data.view_max_height above 2.85 m); drawn again
        cam = view.camera(root_xz, name)
        if float(((world - cam.center) @ cam.R[2]).min()) >= VIEW_MIN_DEPTH_MM:
            return view, cam
    raise SkelgnnError(f"{name or 'clip'}: no random virtual camera in {VIEW_MAX_TRIES} draws keeps every "
                       f"joint {VIEW_MIN_DEPTH_MM / 1000:g} m in front of it; the clip spreads over too "
                       "large an area")


def extra_view_sequences(bench, views: int, *, seed: int = 0, input_kind: str = "gt",
                         input_norm: str = "screen",
                         fraction: float = 1.0, max_frames: int = 0, splits: tuple[str, ...] = ("train",),
                         actors: tuple[str, ...] | None = None, bone_jitter: float = 0.0,
                         joint_jitter: float = 0.0,
                         max_height_mm: float = VIEW_HEIGHT_MM[1]) -> SequenceSet:
    """The training clips of ``bench`` seen by ``views`` random virtual cameras each (module docstring).

    Args:
        bench: a :class:`skelgnn.data.hdm05.Benchmark`.
        views: virtual views per training clip (>= 0).
        seed: the views' seed (``data.view_seed``).
        input_kind: ``"gt"`` (exact projection) or ``"noisy"`` (the benchmark's noise, scaled by the image).
        input_norm: ``"screen"`` (this camera's image size) or ``"bbox"``.
        fraction, max_frames: the clip and frame selection of
            :func:`skelgnn.data.hdm05.benchmark_sequences` (the same clips, the same frames).
        splits, actors: the training clips: these splits (default the benchmark's "train"), and only these
            actors' clips if given (leave-one-actor-out validation trains on ("train", "val") of the others).
        bone_jitter: each view's bone lengths scaled by factors in [1 - b, 1 + b] (module docstring); 0 = off.
        joint_jitter: each view's joint definitions moved by up to this share of their bone (module
            docstring); 0 = off.
        max_height_mm: the highest camera, mm (``data.view_max_height`` × 1000; default 2800): heights are
            uniform in [300 mm, max_height_mm]; the other draws stay those of the default.

    Returns:
        one sequence per (training clip, view), keys ``f"{clip_key}/v{i}"``, clip by clip in the order of
        ``benchmark_sequences(bench, "train", ...)``.
    """
    if input_kind not in ("gt", "noisy"):
        raise SkelgnnError(f"input must be 'gt' or 'noisy', got {input_kind!r}")
    if isinstance(views, bool) or not isinstance(views, (int, np.integer)) or views < 0:
        raise SkelgnnError(f"extra views must be an integer >= 0, got {views!r}")
    bone_jitter = real(bone_jitter, "bone jitter (each extra view's bone factors lie in [1 - b, 1 + b])",
                       0.0, VIEW_BONE_JITTER_MAX, hi_open=True)
    joint_jitter = real(joint_jitter, "joint jitter (each extra view's joint-definition offsets, in bones)",
                        0.0, VIEW_JOINT_JITTER_MAX, hi_open=True)
    max_height_mm = real(max_height_mm, "the highest virtual camera (mm)", *VIEW_MAX_HEIGHT_RANGE_MM)
    out = SequenceSet()
    if views == 0:
        return out
    for c in benchmark_clips(bench, splits, fraction, actors):
        full = bench.clip_frames(c)
        sl = full if max_frames <= 0 else slice(full.start, min(full.stop, full.start + max_frames))
        world_full = bench.joints_world[full].astype(np.float64)
        world = bench.joints_world[sl].astype(np.float64)
        key = str(bench.clip_keys[c])
        for i in range(views):
            body_full, body = world_full, world
            if bone_jitter > 0:
                factors = draw_bone_factors(bone_generator(seed, key, i), bone_jitter,
                                            H36M_17.num_bone_groups)
                body_full = scale_bones(world_full, H36M_17, factors)
            if joint_jitter > 0:
                offsets = draw_definition_offsets(definition_generator(seed, key, i), joint_jitter)
                body_full = move_joint_definitions(body_full, offsets)
            if bone_jitter > 0 or joint_jitter > 0:
                body = body_full[sl.start - full.start:sl.stop - full.start]
            rng = view_generator(seed, key, i)
            _, cam = virtual_view(body_full, rng, name=f"{key}/v{i}", max_height_mm=max_height_mm)
            noise = None
            if input_kind == "noisy":
                noise = pixel_noise(rng, body.shape[:2], noise_scale(cam.width, cam.height))
            append_view(out, body, cam, key=f"{key}/v{i}", cls=str(bench.clip_class[c]),
                        rare=bench.rare20[sl], input_norm=input_norm, noise=noise)
    return out
