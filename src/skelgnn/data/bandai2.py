"""Bandai2-Cross: the cross-dataset test set (HDM05-Lift spec v1.2, section 8).

A second studio's optical motion capture (Bandai Namco Research Motion dataset 2, **CC BY-NC 4.0**),
other performers and another skeleton, seen through HDM05-Lift's cameras, so that models trained on
HDM05-Lift are scored on people and joint definitions they have never seen. Every clip is test data.

The rule, exactly:

* clips: every ``bvh/*.bvh`` file, sorted by file name, every frame (30 fps);
* forward kinematics (:func:`skelgnn.data.bvh.bvh_forward_kinematics`): per joint, local translation =
  its three position channels (they replace the ``OFFSET``), local rotation = ``Rz·Rx·Ry`` in channel
  order (degrees), global = parent global × local; a joint's position is the origin of its global
  transform; centimetres × 10 → millimetres;
* 17 joints in Human3.6M order (:data:`BVH_TO_H36M17`), joint 10 (head top) = ``Head + (Head − Neck)``;
* cameras: HDM05-Lift's ring (:func:`skelgnn.data.hdm05.clip_cameras`), look-at from the clip's mean root
  x, z over all its frames;
* inputs: ``gt`` and ``noisy``; one PCG64 generator with seed 0, clip after clip in sorted order, per clip
  the draws N(0, 4) of shape (T, 4, 17, 2), U(0, 1) of shape (T, 4, 17), N(0, 20) of shape (T, 4, 17, 2);
* in-view samples: a (frame, camera) pair whose 17 ``gt`` 2D joints all lie in ``0 ≤ u, v < 1000``.

Shape letters: ``N`` frames over all clips, ``T`` frames of one clip, ``C`` clips, ``J`` = 17 joints.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.cameras import project, world_to_camera
from ..core.errors import FormatError, SkelgnnError
from .bvh import bvh_forward_kinematics, read_bvh
from .hdm05 import (
    IMAGE_SIZE,
    NOISE_SEED,
    NOISE_SIGMA_PX,
    OUTLIER_PROB,
    OUTLIER_SIGMA_PX,
    ClipCameras,
    append_camera_views,
    clip_cameras,
)
from .sequences import SequenceSet

__all__ = ["BVH_TO_H36M17", "AGREE_JOINTS", "CONTENTS", "STYLES", "LICENCE", "CrossClip", "CrossSet",
           "find_clips", "clip_joints", "build_cross", "cross_sequences", "in_view_mask"]

#: BVH joint whose origin is each Human3.6M joint; ``None`` = head top, ``Head + (Head − Neck)``.
BVH_TO_H36M17: tuple[str | None, ...] = (
    "Hips", "UpperLeg_R", "LowerLeg_R", "Foot_R", "UpperLeg_L", "LowerLeg_L", "Foot_L", "Chest", "Neck",
                                         "Head",
    None, "UpperArm_L", "LowerArm_L", "Hand_L", "UpperArm_R", "LowerArm_R", "Hand_R",
)
#: The 13 joints whose definitions agree best with HDM05-Lift's (all but spine, thorax, neck, head).
AGREE_JOINTS: tuple[int, ...] = tuple(j for j in range(17) if j not in (7, 8, 9, 10))
CONTENTS = ("walk", "walk-turn-left", "walk-turn-right", "run", "wave-both-hands", "wave-left-hand",
            "wave-right-hand", "raise-up-both-hands", "raise-up-left-hand", "raise-up-right-hand")
STYLES = ("active", "elderly", "exhausted", "feminine", "masculine", "normal", "youthful")
CM_TO_MM = 10.0
LICENCE = (
    "Built from the Bandai Namco Research Motion dataset 2 (Bandai Namco Research Inc., CC BY-NC 4.0; "
    "Kobayashi et al., Motion Capture Dataset for Practical Use of AI-based Motion Editing and Stylization, "
    "arXiv:2306.08861, 2023). Non-commercial use only, with attribution; these arrays, and any model trained "
    "on them, carry the same restriction and must never be put into the skelgnn package."
)


@dataclass(frozen=True)
class CrossClip:
    """One BVH clip: its path, key (file name without ``.bvh``), content, style and take."""

    path: Path
    key: str
    content: str
    style: str
    take: str


def find_clips(src: str | Path) -> list[CrossClip]:
    """Every ``bvh/*.bvh`` of ``src``, sorted by file name, with its labels from ``MANIFEST.tsv``.

    Raises:
        FormatError: the manifest is missing, lacks a column, or does not list a BVH file of ``bvh/``.
    """
    src = Path(src)
    manifest = src / "MANIFEST.tsv"
    if not manifest.is_file():
        raise FormatError(manifest, "missing: expected the Bandai2 subset's MANIFEST.tsv "
                                    "(columns file, content, style, take, fps, frames)")
    labels: dict[str, dict] = {}
    with open(manifest, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        need = {"file", "content", "style", "take"}
        if not need <= set(reader.fieldnames or ()):
            raise FormatError(manifest, f"header {reader.fieldnames}: expected the columns {sorted(need)}")
        for line, row in enumerate(reader, start=2):
            name = Path(row["file"] or "").name
            if not name.endswith(".bvh"):
                raise FormatError(manifest, f"line {line}: file {row['file']!r} is not a .bvh file")
            labels[name] = row
    files = sorted((src / "bvh").glob("*.bvh"), key=lambda p: p.name)
    out = []
    for path in files:
        row = labels.get(path.name)
        if row is None:
            raise FormatError(manifest, f"does not list {path.name} (every bvh/*.bvh needs a row)")
        out.append(CrossClip(path=path, key=path.stem, content=row["content"], style=row["style"],
                             take=row["take"]))
    return out


def clip_joints(path: str | Path) -> np.ndarray:
    """World joints of one clip in millimetres, shape (T, 17, 3) float64 (Y up)."""
    motion = read_bvh(path)
    pos = bvh_forward_kinematics(motion)
    missing = [n for n in BVH_TO_H36M17 if n is not None and n not in pos]
    if missing:
        raise FormatError(path, f"joint(s) {missing} missing from the hierarchy (expected the Bandai2 "
                          "skeleton)")
    cols = []
    for name in BVH_TO_H36M17:
        if name is None:
            cols.append(2.0 * pos["Head"] - pos["Neck"])
        else:
            cols.append(pos[name])
    return np.stack(cols, axis=1) * CM_TO_MM


def in_view_mask(uv: np.ndarray, width: int = IMAGE_SIZE[0], height: int = IMAGE_SIZE[1]) -> np.ndarray:
    """True where all joints of a sample lie inside the image: ``uv`` (..., J, 2) px -> (...) bool."""
    u, v = uv[..., 0], uv[..., 1]
    return np.all((u >= 0) & (u < width) & (v >= 0) & (v < height), axis=-1)


@dataclass
class CrossSet(ClipCameras):
    """Bandai2-Cross held in memory: all clips concatenated frame by frame.

    Shapes:
        joints_world: (N, 17, 3) float32 world mm.
        joints_2d_gt, joints_2d_noisy: (4, N, 17, 2) float32 px.
        in_view: (4, N) bool.
        clip_of_frame: (N,) int64; clip_start, clip_length: (C,) int64.
        cam_R: (C, 4, 3, 3); cam_center: (C, 4, 3) mm; cam_f, cam_c: (C, 4, 2) px.
    """

    clip_keys: np.ndarray
    clip_content: np.ndarray
    clip_style: np.ndarray
    clip_start: np.ndarray
    clip_length: np.ndarray
    joints_world: np.ndarray
    joints_2d_gt: np.ndarray
    joints_2d_noisy: np.ndarray
    in_view: np.ndarray
    clip_of_frame: np.ndarray
    cam_R: np.ndarray
    cam_center: np.ndarray
    cam_f: np.ndarray
    cam_c: np.ndarray
    width: int = IMAGE_SIZE[0]
    height: int = IMAGE_SIZE[1]


def build_cross(src: str | Path, progress: bool = False, limit: int = 0) -> CrossSet:
    """Read every clip of ``src`` and build Bandai2-Cross in memory (the module docstring's rule).

    Args:
        src: the Bandai2 subset folder (``MANIFEST.tsv``, ``bvh/``).
        progress: show a progress bar.
        limit: if > 0, only the first ``limit`` clips (tests; the noise of those clips is the full set's).
    """
    from tqdm import tqdm

    clips = find_clips(src)
    if not clips:
        raise SkelgnnError(f"{src}: no bvh/*.bvh files")
    if limit > 0:
        clips = clips[:limit]
    rng = np.random.Generator(np.random.PCG64(NOISE_SEED))
    world, gt2d, noisy2d, cams = [], [], [], []
    for clip in tqdm(clips, desc="Bandai2-Cross clips", unit="clip", disable=not progress):
        joints = clip_joints(clip.path)
        cameras = clip_cameras(joints)
        uv = np.stack([project(world_to_camera(joints, cam), cam) for cam in cameras], axis=1)  # (T, 4, J, 2)
        noise = rng.normal(0.0, NOISE_SIGMA_PX, size=uv.shape)
        outlier = rng.random(uv.shape[:-1]) < OUTLIER_PROB
        offset = rng.normal(0.0, OUTLIER_SIGMA_PX, size=uv.shape)
        noisy = uv + noise + outlier[..., None] * offset
        world.append(joints.astype(np.float32))
        gt2d.append(uv.transpose(1, 0, 2, 3).astype(np.float32))
        noisy2d.append(noisy.transpose(1, 0, 2, 3).astype(np.float32))
        cams.append(cameras)
    lengths = np.array([len(w) for w in world], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    gt = np.concatenate(gt2d, axis=1)

    def cam_field(fn):
        return np.array([[fn(cam) for cam in cs] for cs in cams])

    return CrossSet(
        clip_keys=np.array([c.key for c in clips]), clip_content=np.array([c.content for c in clips]),
        clip_style=np.array([c.style for c in clips]), clip_start=starts, clip_length=lengths,
        joints_world=np.concatenate(world), joints_2d_gt=gt, joints_2d_noisy=np.concatenate(noisy2d, axis=1),
        in_view=in_view_mask(gt.astype(np.float64)), clip_of_frame=np.repeat(np.arange(len(clips)), lengths),
        cam_R=cam_field(lambda c: c.R), cam_center=cam_field(lambda c: c.center),
                    cam_f=cam_field(lambda c: c.f),
        cam_c=cam_field(lambda c: c.c),
    )


def cross_sequences(cs: CrossSet, input_kind: str = "gt", *, input_norm: str = "screen",
                    max_frames: int = 0) -> tuple[SequenceSet, list[np.ndarray]]:
    """One sequence per (clip, camera), like HDM05-Lift's, and its in-view flags.

    Returns:
        ``(sequences, in_view)``: targets are camera-frame pelvis-relative mm, ``classes`` the content,
        ``pixels``/``roots``/``intrinsics`` filled (the trajectory can be fitted); ``in_view`` a (T,) bool
        array per sequence.
    """
    if input_kind not in ("gt", "noisy"):
        raise SkelgnnError(f"input must be 'gt' or 'noisy', got {input_kind!r}")
    uv_all = cs.joints_2d_gt if input_kind == "gt" else cs.joints_2d_noisy
    out, flags = SequenceSet(), []
    for c in range(len(cs.clip_keys)):
        sl = cs.clip_frames(c)
        if max_frames > 0:
            sl = slice(sl.start, min(sl.stop, sl.start + max_frames))
        append_camera_views(out, cs.joints_world[sl].astype(np.float64), [cs.camera(c, i) for i in range(4)],
                            uv_all[:, sl], key=f"bandai2/{cs.clip_keys[c]}", cls=str(cs.clip_content[c]),
                            rare=np.zeros(sl.stop - sl.start, dtype=bool), input_norm=input_norm,
                            width=cs.width, height=cs.height)
        flags += [cs.in_view[i, sl].copy() for i in range(4)]
    return out, flags

