"""Rare poses: the test frames farthest from their nearest training pose (a nearest-neighbour search).

A pose is compared root-relative and yaw-canonicalised (:func:`skelgnn.data.hdm05.rare_pose_distances`,
the same measure that flags HDM05-Lift's fixed Rare20 frames); the ``fraction`` of test frames with
the largest distance are "rare". :func:`h36m_rare_flags` runs the search on VideoPose3D-layout data under
a :class:`~skelgnn.evaluation.protocol.Protocol`; :func:`attach_rare_flags` puts the flags on the test
sequences, where the reports pick them up.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..core.errors import SkelgnnError
from ..data.h36m import VP3DPair, h36m_world_poses
from ..data.hdm05 import rare_pose_distances
from ..data.sequences import SequenceSet
from .protocol import Protocol

__all__ = ["rare_pose_flags", "h36m_rare_flags", "attach_rare_flags"]


def _to_y_up(poses: np.ndarray, up_axis: str) -> np.ndarray:
    if up_axis == "y":
        return poses
    # Z up -> Y up by the proper rotation (x, y, z) -> (x, z, -y); only the vertical axis matters for the
    # yaw canonicalisation of rare_pose_distances
    return np.stack([poses[..., 0], poses[..., 2], -poses[..., 1]], axis=-1)


def rare_pose_flags(test_world: dict[str, np.ndarray], train_world: dict[str, np.ndarray], *,
                    fraction: float = 0.2, train_step: int = 5, up_axis: str = "z",
                    memory_mb: float = 256.0) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rare poses: the ``fraction`` of test frames farthest from their nearest training pose.

    Distances come from :func:`skelgnn.data.hdm05.rare_pose_distances` (root-relative, yaw-canonicalised,
    mean per-joint distance) against every ``train_step``-th training frame of every sequence. Cost is
    (test frames) × (reference frames) × J distance evaluations on the CPU: for all of Human3.6M's test
    frames against every 5th training frame, expect tens of minutes; use a test downsample for a quick look.

    Args:
        test_world: ``{"<subject>/<action>": (T, J, 3) world mm}`` (from
            :func:`~skelgnn.data.h36m.h36m_world_poses`).
        train_world: the same for the training subjects.
        fraction: share of test frames flagged (ties broken by order, deterministic).
        train_step: reference subsampling.
        up_axis: ``"z"`` (Human3.6M) or ``"y"`` (HDM05-Lift).
        memory_mb: bound for the distance block held at once.

    Returns:
        ``(flags, distances)``, both keyed like ``test_world``: (T,) bool and (T,) float64 mm.
    """
    if not test_world or not train_world:
        raise SkelgnnError("rare_pose_flags needs test and training poses")
    keys = list(test_world)
    test = np.concatenate([test_world[k] for k in keys]).astype(np.float64)
    ref = np.concatenate([v[::train_step] for v in train_world.values()]).astype(np.float64)
    chunk = max(1, int(memory_mb * 1e6 / 8 / max(len(ref), 1)))
    dist = rare_pose_distances(_to_y_up(test, up_axis), _to_y_up(ref, up_axis), chunk=chunk)
    n_rare = int(round(fraction * len(dist)))
    flags_all = np.zeros(len(dist), dtype=bool)
    flags_all[np.argsort(-dist, kind="stable")[:n_rare]] = True
    flags, dists, s = {}, {}, 0
    for k in keys:
        n = len(test_world[k])
        flags[k], dists[k] = flags_all[s:s + n], dist[s:s + n]
        s += n
    return flags, dists


def h36m_rare_flags(protocol: Protocol, data: VP3DPair, *, actions: Iterable[str] | None = None,
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rare-pose flags of the test frames of VideoPose3D-layout files under ``protocol``.

    Test frames are taken at ``protocol.test_downsample`` (so the flags fit the test sequences of
    :meth:`Protocol.splits <skelgnn.evaluation.protocol.Protocol.splits>`); the reference is every
    ``protocol.rare_train_step``-th frame of every training subject's sequence (validation sequences
    included). Then :func:`attach_rare_flags` puts them on the test set.

    Returns:
        ``(flags, distances)`` as :func:`rare_pose_flags`.
    """
    common = {"joints": protocol.joints, "exclude": protocol.exclude, "actions": actions}
    test = h36m_world_poses(data, subjects=protocol.test_subjects, downsample=protocol.test_downsample,
                            **common)
    train = h36m_world_poses(data, subjects=protocol.train_subjects, **common)
    return rare_pose_flags(test, train, fraction=protocol.rare_fraction, train_step=protocol.rare_train_step,
                           up_axis=protocol.up_axis)


def attach_rare_flags(seqs: SequenceSet, flags: dict[str, np.ndarray]) -> SequenceSet:
    """Set ``seqs.rare`` from per-(subject, action) flags (every camera of a frame shares its flag).

    Raises:
        SkelgnnError: a sequence has no flags or their length differs (different downsampling?).
    """
    for i, key in enumerate(seqs.keys):
        group = key.rsplit("/", 1)[0]
        if group not in flags:
            raise SkelgnnError(f"no rare-pose flags for sequence {key}")
        f = np.asarray(flags[group], dtype=bool)
        if len(f) != len(seqs.inputs[i]):
            raise SkelgnnError(f"rare-pose flags of {group} have {len(f)} frames, the sequence "
                               f"{len(seqs.inputs[i])} (read both with the same downsample)")
        seqs.rare[i] = f.copy()
    return seqs
