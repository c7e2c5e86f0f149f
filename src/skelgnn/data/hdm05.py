"""HDM05-Lift: the project's real-data 2D→3D lifting benchmark, built from HDM05 ASF/AMC files.

Implements the HDM05-Lift specification (``docs/benchmarks.md``) exactly:

* poses: every AMC clip at 30 fps (source frames 0, 4, 8, …), forward kinematics of the actor's ASF,
  17 Human3.6M joints (:data:`skelgnn.data.mocap_joints.HDM05_TO_H36M17`), millimetres, Y up;
* cameras: 4 per clip on a 4500 mm ring at 1600 mm height around ``(x̄, 900, z̄)``, yaw 45°, 135°,
  225°, 315°, f = 1145 px, c = (500, 500), 1000 × 1000 px, no distortion;
* inputs: ``gt`` (exact projection) and ``noisy`` (σ = 4 px everywhere plus, with probability 0.03
  per joint, a σ = 20 px offset; numpy PCG64 seed 0, drawn clip by clip in sorted clip order, for
  each clip first the (4, T, 17, 2) base noise, then the (4, T, 17) outlier draws, then the
  (4, T, 17, 2) outlier offsets);
* split: train actors bd, bk, dg; test actors mm, tr. Every 10th training clip (sorted order,
  indices 9, 19, …) is flagged ``val`` for model selection;
* Rare20: the 20 % of test frames farthest from their nearest training pose (docs/benchmarks.md, Metrics).

Data: HDM05, Müller et al. 2007, CC BY-SA 3.0 — "The data used in this project was obtained from
HDM05." Everything written here is derived from it and carries that attribution.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.camera_rigs import ring_cameras
from ..core.cameras import Camera, project, world_to_camera
from ..core.errors import FormatError, SkelgnnError
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17
from .amc import read_amc
from .asf_amc import read_asf
from .mocap_joints import HDM05_TO_H36M17, bone_end_points_to_joints, forward_kinematics
from .sequences import SequenceSet

__all__ = [
    "TRAIN_ACTORS", "TEST_ACTORS", "ATTRIBUTION", "Clip", "Benchmark", "find_clips", "build_clip",
    "build_benchmark", "benchmark_clips", "benchmark_sequences", "rare_pose_distances", "canonical_yaw",
    "sanity_figures", "ClipCameras", "append_camera_views",
]

TRAIN_ACTORS = ("bd", "bk", "dg")
TEST_ACTORS = ("mm", "tr")
SOURCE_FPS = 120
FPS = 30
STEP = SOURCE_FPS // FPS
LOOK_AT_HEIGHT_MM = 900.0
RING_RADIUS_MM = 4500.0
RING_HEIGHT_MM = 1600.0
YAWS_DEG = (45.0, 135.0, 225.0, 315.0)
FOCAL_PX = 1145.0
IMAGE_SIZE = (1000, 1000)
NOISE_SIGMA_PX = 4.0
OUTLIER_PROB = 0.03
OUTLIER_SIGMA_PX = 20.0
NOISE_SEED = 0
RARE_FRACTION = 0.20
ATTRIBUTION = (
    "Derived from the Mocap Database HDM05 (M. Mueller, T. Roeder, M. Clausen, B. Eberhardt, B. Krueger, "
    "A. Weber: Documentation Mocap Database HDM05, Tech. report CG-2007-2, Universitaet Bonn, 2007), "
    "licensed CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/); this derivative is shared "
    "under the same licence. The data used in this project was obtained from HDM05."
)


@dataclass(frozen=True)
class Clip:
    """One AMC file of the dataset: ``actor``, motion ``cls``, ``name`` = "<class>_<take>", ``amc``."""

    actor: str
    cls: str
    name: str
    amc: Path

    @property
    def key(self) -> str:
        return f"{self.actor}/{self.name}"


def find_clips(src: str | Path) -> list[Clip]:
    """List every clip of an HDM05 folder (``asf/``, ``amc/``, ``MANIFEST.tsv``) in sorted key order."""
    src = Path(src)
    manifest = src / "MANIFEST.tsv"
    if not manifest.is_file():
        raise FormatError(manifest, "missing: expected the HDM05 MANIFEST.tsv (actor, class, take per AMC)")
    clips = []
    try:
        with open(manifest, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
    except UnicodeDecodeError as e:
        raise FormatError(manifest,
                          f"not UTF-8 text (byte {e.start}); expected a tab-separated table") from None
    except csv.Error as e:
        raise FormatError(manifest, f"not a tab-separated table ({e})") from None
    header = rows[0] if rows else []
    need = ("file", "actor", "motion_class", "take")
    if any(h not in header for h in need):
        raise FormatError(manifest, f"header {header} lacks one of the columns {list(need)}", line=1)
    col = {h: header.index(h) for h in header}
    for lineno, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise FormatError(manifest, f"expected {len(header)} tab-separated fields, got {len(row)}",
                              lineno)
        amc = src / "amc" / row[col["file"]]
        if not amc.is_file():
            raise FormatError(manifest, f"names {amc.name}, which is not in {src / 'amc'}", lineno)
        clips.append(Clip(row[col["actor"]], row[col["motion_class"]],
                          f"{row[col['motion_class']]}_{row[col['take']]}", amc))
    clips.sort(key=lambda c: c.key)
    if len({c.key for c in clips}) != len(clips):
        raise FormatError(manifest, "two rows describe the same actor/class/take")
    return clips


def build_clip(asf, clip: Clip) -> np.ndarray:
    """Joints of one clip at 30 fps in world millimetres, shape (T, 17, 3)."""
    motion = read_amc(clip.amc, asf)
    n = len(motion.frame_numbers)
    frames = np.arange(0, n, STEP)
    ends = forward_kinematics(asf, motion, frames=frames)
    return bone_end_points_to_joints(ends, H36M_17, HDM05_TO_H36M17, source=str(clip.amc))


def clip_cameras(joints_world: np.ndarray) -> list[Camera]:
    """The 4 benchmark cameras of a clip, from its 30 fps world joints (T, 17, 3) in mm."""
    root = joints_world[:, 0]
    target = np.array([root[:, 0].mean(), LOOK_AT_HEIGHT_MM, root[:, 2].mean()])
    return ring_cameras(target, radius=RING_RADIUS_MM, height=RING_HEIGHT_MM, yaws_deg=YAWS_DEG,
                        f=(FOCAL_PX, FOCAL_PX), c=(IMAGE_SIZE[0] / 2, IMAGE_SIZE[1] / 2),
                        width=IMAGE_SIZE[0], height_px=IMAGE_SIZE[1])


def canonical_yaw(joints: np.ndarray) -> np.ndarray:
    """Root-relative world poses rotated about Y so that left hip − right hip points along +X.

    Args:
        joints: world joints (N, 17, 3), Y up.

    Returns:
        (N, 17, 3) float64.
    """
    rel = joints - joints[:, :1]
    hip = rel[:, H36M_17.index("left_hip")] - rel[:, H36M_17.index("right_hip")]
    ang = np.arctan2(hip[:, 2], hip[:, 0])  # angle of the hip vector from +X towards +Z
    c, s = np.cos(ang), np.sin(ang)
    # rotate by -ang about Y in the X–Z plane: x' = c·x + s·z, z' = −s·x + c·z
    x, z = rel[..., 0], rel[..., 2]
    out = rel.copy()
    out[..., 0] = c[:, None] * x + s[:, None] * z
    out[..., 2] = -s[:, None] * x + c[:, None] * z
    return out


def rare_pose_distances(test: np.ndarray, train: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Distance of every test pose to its nearest training pose (docs/benchmarks.md, Metrics: Rare20).

    Both are canonicalised with :func:`canonical_yaw`; distance = mean per-joint Euclidean distance.

    Args:
        test: world joints (N, J, 3), mm.
        train: world joints (M, J, 3), mm.

    Returns:
        (N,) float64 distances in mm.
    """
    import torch

    a = torch.from_numpy(canonical_yaw(test))
    b = torch.from_numpy(canonical_yaw(train))
    out = torch.empty(len(a), dtype=torch.float64)
    for s in range(0, len(a), chunk):
        blk = a[s:s + chunk]
        acc = torch.zeros(len(blk), len(b), dtype=torch.float64)
        for j in range(a.shape[1]):  # per-joint distance matrices, summed; J = 17 pairs of cdist
            acc += torch.cdist(blk[:, j], b[:, j])
        out[s:s + chunk] = acc.min(dim=1).values / a.shape[1]
    return out.numpy()


class ClipCameras:
    """The clip ranges and the 4 cameras of a set held as concatenated arrays (``clip_keys``, ``clip_start``,
    ``clip_length``, ``cam_R``, ``cam_center``, ``cam_f``, ``cam_c``, ``width``, ``height``): HDM05-Lift's
    :class:`Benchmark` and Bandai2-Cross's :class:`~skelgnn.data.bandai2.CrossSet`."""

    def camera(self, clip: int, index: int) -> Camera:
        return Camera(R=self.cam_R[clip, index], center=self.cam_center[clip, index],
                      f=self.cam_f[clip, index],
                      c=self.cam_c[clip, index], width=self.width, height=self.height,
                      name=f"{self.clip_keys[clip]}/{index}")

    def clip_frames(self, clip: int) -> slice:
        s = int(self.clip_start[clip])
        return slice(s, s + int(self.clip_length[clip]))


def append_camera_views(out: SequenceSet, world: np.ndarray, cameras, uv: np.ndarray, *, key: str, cls: str,
                        rare: np.ndarray, input_norm: str, width: int, height: int) -> None:
    """Append one sequence per camera of a clip to ``out``: camera-frame, pelvis-relative targets (mm), the
    normalised 2D input, pixels, true roots and intrinsics. ``world`` (T, J, 3) mm, ``uv`` (C, T, J, 2) px,
    ``rare`` (T,) flags; keys ``f"{key}/{camera index}"``."""
    for i, cam in enumerate(cameras):
        xc = (world - cam.center) @ np.asarray(cam.R).T
        out.targets.append((xc - xc[:, :1]).astype(np.float32))
        out.inputs.append(normalize_input(uv[i], input_norm, width, height).astype(np.float32))
        out.keys.append(f"{key}/{i}")
        out.classes.append(cls)
        out.rare.append(rare.copy())
        out.pixels.append(np.asarray(uv[i], dtype=np.float32))
        out.roots.append(xc[:, 0].astype(np.float32))
        out.intrinsics.append((float(cam.f[0]), float(cam.f[1]), float(cam.c[0]), float(cam.c[1])))


@dataclass
class Benchmark(ClipCameras):
    """HDM05-Lift held in memory: all clips concatenated frame by frame.

    Shapes (N frames at 30 fps over all clips, C clips, 4 cameras, J = 17):
        joints_world: (N, J, 3) float32, world mm.
        joints_2d_gt, joints_2d_noisy: (4, N, J, 2) float32, pixels.
        clip_of_frame: (N,) int64 index into the clip arrays.
        cam_R: (C, 4, 3, 3), cam_center: (C, 4, 3) mm, cam_f, cam_c: (C, 4, 2) px.
        rare_distance: (N,) mm (NaN on training frames); rare20: (N,) bool.
    """

    clip_keys: np.ndarray
    clip_actor: np.ndarray
    clip_class: np.ndarray
    clip_split: np.ndarray  # "train" | "val" | "test"
    clip_start: np.ndarray
    clip_length: np.ndarray
    joints_world: np.ndarray
    joints_2d_gt: np.ndarray
    joints_2d_noisy: np.ndarray
    clip_of_frame: np.ndarray
    cam_R: np.ndarray
    cam_center: np.ndarray
    cam_f: np.ndarray
    cam_c: np.ndarray
    rare_distance: np.ndarray
    rare20: np.ndarray
    width: int = IMAGE_SIZE[0]
    height: int = IMAGE_SIZE[1]


    def joints_camera(self) -> np.ndarray:
        """Camera-frame joints of every frame and camera, (4, N, J, 3) float32 mm."""
        out = np.empty((4,) + self.joints_world.shape, dtype=np.float32)
        for c in range(len(self.clip_keys)):
            sl = self.clip_frames(c)
            for i in range(4):
                out[i, sl] = world_to_camera(self.joints_world[sl].astype(np.float64), self.camera(c, i))
        return out


def build_benchmark(src: str | Path, progress: bool = False) -> Benchmark:
    """Read every clip of ``src`` and build HDM05-Lift in memory (see the module docstring)."""
    from tqdm import tqdm

    src = Path(src)
    clips = find_clips(src)
    if not clips:
        raise SkelgnnError(f"{src}: MANIFEST.tsv lists no clips")
    unknown = sorted({c.actor for c in clips} - set(TRAIN_ACTORS) - set(TEST_ACTORS))
    if unknown:
        raise SkelgnnError(f"{src}: actors {unknown} are in neither the train nor the test split")
    for role, actors in (("training", TRAIN_ACTORS), ("test", TEST_ACTORS)):
        if not any(c.actor in actors for c in clips):
            raise SkelgnnError(f"{src}: MANIFEST.tsv lists no clip of the {role} actors {list(actors)}; "
                               "HDM05-Lift needs both training actors (bd, bk, dg) and test actors (mm, tr)")
    asfs = {}
    for actor in sorted({c.actor for c in clips}):
        path = src / "asf" / f"HDM_{actor}.asf"
        if not path.is_file():
            raise FormatError(path, f"missing: the skeleton of actor {actor!r}")
        asfs[actor] = read_asf(path)

    rng = np.random.Generator(np.random.PCG64(NOISE_SEED))
    world, gt2d, noisy2d, cams = [], [], [], []
    train_index = 0
    split = []
    for clip in tqdm(clips, desc="HDM05-Lift clips", unit="clip", disable=not progress):
        joints = build_clip(asfs[clip.actor], clip)
        cameras = clip_cameras(joints)
        uv = np.stack([project(world_to_camera(joints, cam), cam) for cam in cameras])  # (4, T, J, 2)
        noise = rng.normal(0.0, NOISE_SIGMA_PX, size=uv.shape)
        outlier = rng.random(uv.shape[:-1]) < OUTLIER_PROB
        offset = rng.normal(0.0, OUTLIER_SIGMA_PX, size=uv.shape)
        noisy = uv + noise + outlier[..., None] * offset
        world.append(joints.astype(np.float32))
        gt2d.append(uv.astype(np.float32))
        noisy2d.append(noisy.astype(np.float32))
        cams.append(cameras)
        if clip.actor in TRAIN_ACTORS:
            split.append("val" if train_index % 10 == 9 else "train")
            train_index += 1
        else:
            split.append("test")

    lengths = np.array([len(w) for w in world], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    joints_world = np.concatenate(world)
    clip_of_frame = np.repeat(np.arange(len(clips)), lengths)
    actor_of_frame = np.array([c.actor for c in clips])[clip_of_frame]
    is_test = np.isin(actor_of_frame, TEST_ACTORS)
    is_train_actor = np.isin(actor_of_frame, TRAIN_ACTORS)
    rare_distance = np.full(len(joints_world), np.nan)
    rare_distance[is_test] = rare_pose_distances(joints_world[is_test].astype(np.float64),
                                                 joints_world[is_train_actor].astype(np.float64))
    rare20 = np.zeros(len(joints_world), dtype=bool)
    test_idx = np.flatnonzero(is_test)
    n_rare = int(round(RARE_FRACTION * len(test_idx)))
    order = np.argsort(-rare_distance[test_idx], kind="stable")
    rare20[test_idx[order[:n_rare]]] = True

    def cam_field(fn):
        return np.array([[fn(cam) for cam in cs] for cs in cams])

    return Benchmark(
        clip_keys=np.array([c.key for c in clips]), clip_actor=np.array([c.actor for c in clips]),
        clip_class=np.array([c.cls for c in clips]), clip_split=np.array(split),
        clip_start=starts, clip_length=lengths, joints_world=joints_world,
        joints_2d_gt=np.concatenate(gt2d, axis=1), joints_2d_noisy=np.concatenate(noisy2d, axis=1),
        clip_of_frame=clip_of_frame, cam_R=cam_field(lambda c: c.R), cam_center=cam_field(lambda c: c.center),
        cam_f=cam_field(lambda c: c.f), cam_c=cam_field(lambda c: c.c),
        rare_distance=rare_distance, rare20=rare20,
    )


def benchmark_clips(bench, splits: str | tuple[str, ...], fraction: float = 1.0,
                    actors: tuple[str, ...] | None = None) -> list[int]:
    """Indices of the clips whose split is in ``splits`` (and, if ``actors`` is given, whose actor is one of
    them), in sorted key order; with ``fraction`` < 1 every k-th of them (``k = round(1 / fraction)``,
    deterministic)."""
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    clips = [c for c in range(len(bench.clip_keys)) if bench.clip_split[c] in splits
             and (actors is None or str(bench.clip_actor[c]) in actors)]
    if fraction < 1.0:
        step = max(1, int(round(1.0 / max(fraction, 1e-9))))
        clips = clips[::step]
    return clips


def benchmark_sequences(bench, splits: str | tuple[str, ...], input_kind: str = "gt", *,
                        fraction: float = 1.0, max_frames: int = 0, input_norm: str = "screen",
                        actors: tuple[str, ...] | None = None) -> SequenceSet:
    """Sequences of the clips whose split is in ``splits`` ("train", "val", "test").

    Args:
        bench: a :class:`skelgnn.data.hdm05.Benchmark`.
        input_kind: "gt" or "noisy" 2D input.
        fraction: keep this share of the selected clips (every k-th clip, deterministic).
        max_frames: if > 0, keep only the first ``max_frames`` frames of each clip.
        input_norm: "screen" or "bbox" (:mod:`skelgnn.core.normalization`).
        actors: if given, only these actors' clips (leave-one-actor-out validation, ``data.val_actor``).
    """
    if input_kind not in ("gt", "noisy"):
        raise SkelgnnError(f"input must be 'gt' or 'noisy', got {input_kind!r}")
    uv_all = bench.joints_2d_gt if input_kind == "gt" else bench.joints_2d_noisy
    clips = benchmark_clips(bench, splits, fraction, actors)
    out = SequenceSet()
    for c in clips:
        sl = bench.clip_frames(c)
        if max_frames > 0:
            sl = slice(sl.start, min(sl.stop, sl.start + max_frames))
        cameras = [bench.camera(c, i) for i in range(4)]
        append_camera_views(out, bench.joints_world[sl].astype(np.float64), cameras, uv_all[:, sl],
                            key=str(bench.clip_keys[c]), cls=str(bench.clip_class[c]), rare=bench.rare20[sl],
                            input_norm=input_norm, width=bench.width, height=bench.height)
    return out


def sanity_figures(bench: Benchmark) -> dict:
    """Per-actor bone lengths, largest within-clip bone-length drift per bone, share of 2D points inside
    the image, frames per split. All lengths in mm."""
    sk = H36M_17
    names = [f"{sk.joint_names[p]}-{sk.joint_names[c]}" for p, c in sk.edges]
    par = np.array([p for p, _ in sk.edges])
    chi = np.array([c for _, c in sk.edges])
    lengths = np.linalg.norm(bench.joints_world[:, chi] - bench.joints_world[:, par], axis=-1)  # (N, E)
    per_actor = {}
    for actor in sorted(set(bench.clip_actor.tolist())):
        mask = bench.clip_actor[bench.clip_of_frame] == actor
        per_actor[actor] = {n: round(float(v), 2) for n, v in zip(names, lengths[mask].mean(0))}
    drift = np.zeros(len(names))
    drift_clip = [""] * len(names)
    for c in range(len(bench.clip_keys)):
        seg = lengths[bench.clip_frames(c)]
        d = seg.max(0) - seg.min(0)
        for e in np.flatnonzero(d > drift):
            drift[e], drift_clip[e] = d[e], str(bench.clip_keys[c])
    inside = {}
    for kind, uv in (("gt", bench.joints_2d_gt), ("noisy", bench.joints_2d_noisy)):
        ok = (uv[..., 0] >= 0) & (uv[..., 0] <= bench.width) & (uv[..., 1] >= 0) & (uv[...,
                                                                                       1] <= bench.height)
        inside[kind] = float(ok.mean())
    gt = bench.joints_2d_gt
    ok = (gt[..., 0] >= 0) & (gt[..., 0] <= bench.width) & (gt[..., 1] >= 0) & (gt[..., 1] <= bench.height)
    outside_clips = {}
    for c in range(len(bench.clip_keys)):
        frac = 1.0 - float(ok[:, bench.clip_frames(c)].mean())
        if frac > 0:
            sl = bench.clip_frames(c)
            over = np.maximum.reduce([-gt[:, sl, :, 0], gt[:, sl, :, 0] - bench.width,
                                      -gt[:, sl, :, 1], gt[:, sl, :, 1] - bench.height])
            outside_clips[str(bench.clip_keys[c])] = {"share_outside": round(frac, 5),
                                                      "max_px_outside": round(float(over.max()), 1)}
    split_of_frame = bench.clip_split[bench.clip_of_frame]
    frames = {s: int((split_of_frame == s).sum()) for s in ("train", "val", "test")}
    frames["rare20"] = int(bench.rare20.sum())
    return {
        "bone_length_mm_per_actor": per_actor,
        "max_within_clip_drift_mm": {n: round(float(d), 4) for n, d in zip(names, drift)},
        "max_within_clip_drift_clip": dict(zip(names, drift_clip)),
        "share_2d_inside_image": inside,
        "clips_with_2d_outside_image": outside_clips,
        "frames_30fps": frames,
        "clips": {s: int((bench.clip_split == s).sum()) for s in ("train", "val", "test")},
        "camera_views_per_frame": 4,
    }


def format_sanity(fig: dict) -> str:
    """A plain-text report of :func:`sanity_figures`."""
    lines = ["Bone lengths per actor (mm):"]
    per_actor = fig["bone_length_mm_per_actor"]
    bones = list(next(iter(per_actor.values())))
    lines.append("  " + "bone".ljust(28) + "".join(a.rjust(9) for a in per_actor))
    for b in bones:
        lines.append("  " + b.ljust(28) + "".join(f"{per_actor[a][b]:9.1f}" for a in per_actor))
    lines.append("Largest bone-length drift within any clip (mm):")
    for b, d in fig["max_within_clip_drift_mm"].items():
        lines.append(f"  {b.ljust(28)}{d:10.4f}   ({fig['max_within_clip_drift_clip'][b]})")
    ins = fig["share_2d_inside_image"]
    lines.append(f"2D points inside the 1000x1000 image: gt {100 * ins['gt']:.3f} %, noisy "
                 f"{100 * ins['noisy']:.3f} %")
    for k, v in fig["clips_with_2d_outside_image"].items():
        lines.append(f"  outside in {k}: {100 * v['share_outside']:.3f} % of points, up to "
                     f"{v['max_px_outside']} px")
    fr = fig["frames_30fps"]
    lines.append(f"Frames at 30 fps: train {fr['train']}, val {fr['val']}, test {fr['test']} "
                 f"(x4 cameras); Rare20 {fr['rare20']} test frames")
    return "\n".join(lines)


def cameras_json(bench: Benchmark) -> dict:
    """Every clip's 4 cameras as plain data (R world→camera, centre mm, f, c px, image size)."""
    return {str(k): [bench.camera(c, i).to_dict() for i in range(4)] for c, k in enumerate(bench.clip_keys)}


def json_dumps(obj) -> str:
    return json.dumps(obj, indent=1, sort_keys=False)
