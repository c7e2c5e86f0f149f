"""From benchmark arrays to model inputs: sequences per (clip, camera), windows, flips.

numpy below the ``Dataset``, torch above it. Inputs are normalised screen coordinates
(:func:`skelgnn.cameras.normalize_screen`); targets are camera-frame joints relative to the pelvis,
in millimetres (the training driver divides by the checkpoint's ``target_scale_mm``).

Flip augmentation mirrors the image about its vertical centre line: normalised x → −x, camera X → −X,
and left/right joints swap. (Exact when the principal point is at the image centre, as in HDM05-Lift.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import ShapeError, SkelgnnError
from ..normalization import normalize_input
from ..skeleton import Skeleton

__all__ = ["SequenceSet", "benchmark_sequences", "PoseWindows", "flip_joints", "require_finite"]


@dataclass
class SequenceSet:
    """Sequences of one split, one per (clip, camera).

    Attributes:
        inputs: list of (T, J, 2) float32 normalised 2D joints.
        targets: list of (T, J, 3) float32 camera-frame root-relative joints in mm.
        keys: "<subject>/<clip>/<camera index>" per sequence.
        classes: motion class per sequence.
        rare: list of (T,) bool Rare20 flags (all False where unknown).
        pixels: list of (T, J, 2) float32 2D input in pixels (the same 2D as ``inputs``), or empty.
        roots: list of (T, 3) float32 camera-frame pelvis positions in mm, or empty (unknown).
        intrinsics: list of (fx, fy, cx, cy) pixels per sequence, or empty.
    """

    inputs: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    rare: list[np.ndarray] = field(default_factory=list)
    pixels: list[np.ndarray] = field(default_factory=list)
    roots: list[np.ndarray] = field(default_factory=list)
    intrinsics: list[tuple[float, float, float, float]] = field(default_factory=list)

    @property
    def has_trajectory(self) -> bool:
        """True when every sequence has its pixels, true roots and intrinsics."""
        n = len(self.keys)
        return n > 0 and len(self.pixels) == n and len(self.roots) == n and len(self.intrinsics) == n

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def num_frames(self) -> int:
        return int(sum(len(x) for x in self.inputs))

    def subset(self, indices) -> SequenceSet:
        """The sequences at ``indices`` (arrays shared, not copied)."""
        idx = list(indices)
        return SequenceSet(inputs=[self.inputs[i] for i in idx], targets=[self.targets[i] for i in idx],
                           keys=[self.keys[i] for i in idx], classes=[self.classes[i] for i in idx],
                           rare=[self.rare[i] for i in idx],
                           pixels=[self.pixels[i] for i in idx] if len(self.pixels) == len(self) else [],
                           roots=[self.roots[i] for i in idx] if len(self.roots) == len(self) else [],
                           intrinsics=[self.intrinsics[i] for i in idx] if len(self.intrinsics) == len(self) else [])

    def key(self, i: int) -> str:
        """The key of sequence ``i`` (``#i`` when the set has no keys)."""
        return self.keys[i] if i < len(self.keys) else f"#{i}"


def require_finite(values: np.ndarray, what: str) -> None:
    """Raise :class:`SkelgnnError` naming ``what`` and the first bad frame/joint if ``values`` (T, J, D) holds
    NaN or an infinity."""
    ok = np.isfinite(values)
    if ok.all():
        return
    bad = np.argwhere(~ok)
    where = f" (first at frame {bad[0][0]}, joint {bad[0][1]})" if bad.shape[1] >= 2 else ""
    raise SkelgnnError(f"{what} has {len(bad)} NaN or infinite value(s){where}; fill or drop the missing "
                       "joints first (e.g. skelgnn.keypoints.fill_missing)")


def benchmark_sequences(bench, splits: str | tuple[str, ...], input_kind: str = "gt", *,
                        fraction: float = 1.0, max_frames: int = 0, input_norm: str = "screen") -> SequenceSet:
    """Sequences of the clips whose split is in ``splits`` ("train", "val", "test").

    Args:
        bench: a :class:`skelgnn.data.hdm05.Benchmark`.
        input_kind: "gt" or "noisy" 2D input.
        fraction: keep this share of the selected clips (every k-th clip, deterministic).
        max_frames: if > 0, keep only the first ``max_frames`` frames of each clip.
        input_norm: "screen" or "bbox" (:mod:`skelgnn.normalization`).
    """
    if input_kind not in ("gt", "noisy"):
        raise SkelgnnError(f"input must be 'gt' or 'noisy', got {input_kind!r}")
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    uv_all = bench.joints_2d_gt if input_kind == "gt" else bench.joints_2d_noisy
    clips = [c for c in range(len(bench.clip_keys)) if bench.clip_split[c] in splits]
    if fraction < 1.0:
        step = max(1, int(round(1.0 / max(fraction, 1e-9))))
        clips = clips[::step]
    out = SequenceSet()
    for c in clips:
        sl = bench.clip_frames(c)
        if max_frames > 0:
            sl = slice(sl.start, min(sl.stop, sl.start + max_frames))
        world = bench.joints_world[sl].astype(np.float64)
        for i in range(4):
            cam = bench.camera(c, i)
            xc = (world - cam.center) @ np.asarray(cam.R).T
            out.targets.append((xc - xc[:, :1]).astype(np.float32))
            out.inputs.append(normalize_input(uv_all[i, sl], input_norm, bench.width, bench.height)
                              .astype(np.float32))
            out.keys.append(f"{bench.clip_keys[c]}/{i}")
            out.classes.append(str(bench.clip_class[c]))
            out.rare.append(bench.rare20[sl].copy())
            out.pixels.append(np.asarray(uv_all[i, sl], dtype=np.float32))
            out.roots.append(xc[:, 0].astype(np.float32))
            out.intrinsics.append((float(cam.f[0]), float(cam.f[1]), float(cam.c[0]), float(cam.c[1])))
    return out


def flip_joints(x: np.ndarray | torch.Tensor, skeleton: Skeleton):
    """Mirror joints: negate the first coordinate and swap left/right. Shape (..., J, D)."""
    perm = list(skeleton.flip_permutation)
    y = x[..., perm, :]
    y = y.clone() if isinstance(y, torch.Tensor) else y.copy()
    y[..., 0] = -y[..., 0]
    return y


class PoseWindows(Dataset):
    """Training samples: chunks of ``chunk`` consecutive target frames with the input frames they need.

    Sample ``i`` is ``(joints_2d (chunk + rf − 1, J, 2), joints_3d (chunk, J, 3) mm)`` as float32 tensors,
    where rf is the model's receptive field; for a single-frame model and ``chunk=1`` every frame is
    one sample. Sequence edges are padded by repeating the first/last frame; a sequence shorter than
    ``chunk`` is extended the same way, and its last chunk overlaps the previous one. Chunks let a
    multi-frame model share its computation between neighbouring targets (VideoPose3D's trick).
    With ``flip=True`` a fixed half of the samples (re-drawn by :meth:`set_epoch`) is mirrored.
    """

    def __init__(self, seqs: SequenceSet, receptive_field: int, skeleton: Skeleton, *,
                 flip: bool = False, seed: int = 0, chunk: int = 1) -> None:
        if receptive_field < 1 or receptive_field % 2 == 0:
            raise SkelgnnError(f"receptive_field must be odd and >= 1, got {receptive_field}")
        if chunk < 1:
            raise SkelgnnError(f"chunk must be >= 1, got {chunk}")
        if len(seqs) == 0:
            raise SkelgnnError("no sequences to build windows from (empty split?)")
        J = skeleton.num_joints
        pad = receptive_field // 2
        inputs, targets, in_starts, out_starts = [], [], [], []
        in_off = out_off = 0
        for i, (x, y) in enumerate(zip(seqs.inputs, seqs.targets)):
            if x.ndim != 3 or x.shape[1:] != (J, 2) or y.shape != x.shape[:2] + (3,):
                raise ShapeError(f"sequence {seqs.key(i)}: shapes {x.shape} / {y.shape}, expected (T, {J}, 2) / "
                                 f"(T, {J}, 3)")
            require_finite(x, f"sequence {seqs.key(i)}: the 2D input")
            require_finite(y, f"sequence {seqs.key(i)}: the 3D target")
            if len(x) < chunk:
                x = np.concatenate([x, np.repeat(x[-1:], chunk - len(x), 0)])
                y = np.concatenate([y, np.repeat(y[-1:], chunk - len(y), 0)])
            T = len(x)
            starts = np.arange(0, T - chunk + 1, chunk)
            if starts[-1] != T - chunk:
                starts = np.append(starts, T - chunk)
            inputs.append(np.concatenate([np.repeat(x[:1], pad, 0), x, np.repeat(x[-1:], pad, 0)]))
            targets.append(y)
            in_starts.append(in_off + starts)  # first input frame of the chunk's first window
            out_starts.append(out_off + starts)
            in_off += T + 2 * pad
            out_off += T
        self.inputs = torch.from_numpy(np.concatenate(inputs))
        self.targets = torch.from_numpy(np.concatenate(targets))
        self.in_starts = torch.from_numpy(np.concatenate(in_starts))
        self.out_starts = torch.from_numpy(np.concatenate(out_starts))
        self.rf, self.chunk, self.skeleton = receptive_field, chunk, skeleton
        self.flip, self.seed = flip, seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Re-draw which samples are flipped (deterministic in ``seed`` and ``epoch``)."""
        if self.flip:
            rng = np.random.default_rng([self.seed, epoch])
            self.flipped = torch.from_numpy(rng.random(len(self)) < 0.5)
        else:
            self.flipped = torch.zeros(len(self), dtype=torch.bool)

    def __len__(self) -> int:
        return len(self.in_starts)

    def batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples ``indices`` (B,) stacked: ``(x (B, chunk + rf − 1, J, 2), y (B, chunk, J, 3))``, the same
        values as ``[self[i] for i in indices]`` gathered with one indexing call per array."""
        indices = torch.as_tensor(indices, dtype=torch.long)
        x = self.inputs[self.in_starts[indices, None] + torch.arange(self.chunk + self.rf - 1)]
        y = self.targets[self.out_starts[indices, None] + torch.arange(self.chunk)]
        flip = self.flipped[indices]
        if bool(flip.any()):
            x[flip], y[flip] = flip_joints(x[flip], self.skeleton), flip_joints(y[flip], self.skeleton)
        return x, y

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = int(self.in_starts[i]), int(self.out_starts[i])
        x = self.inputs[a: a + self.chunk + self.rf - 1]
        y = self.targets[b: b + self.chunk]
        if self.flipped[i]:
            x, y = flip_joints(x, self.skeleton), flip_joints(y, self.skeleton)
        return x, y
