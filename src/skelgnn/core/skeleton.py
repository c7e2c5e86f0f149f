"""The skeleton as an immutable value, and the graph maths the models need.

A :class:`Skeleton` is a frozen dataclass of tuples; everything else (adjacency, hop distances,
exact-k hop masks, the flip permutation) is derived from it and cached. Nothing here mutates a
skeleton: :meth:`Skeleton.subset` returns a new one.

Shape letters: ``J`` joints, ``K`` hops.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import SkelgnnError

__all__ = ["Skeleton", "H36M_17", "H36M_16", "get_skeleton", "flip_joints", "scale_bones"]


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree of named joints.

    Args:
        name: short identifier, e.g. ``"h36m17"``.
        joint_names: one name per joint.
        parents: parent index per joint, ``-1`` for the root (exactly one root).
        left: indices of the joints on the body's left side.
        right: indices of the mirrored joints on the right side, in the same order as ``left``.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]

    def __post_init__(self) -> None:
        for field in ("joint_names", "parents", "left", "right"):
            object.__setattr__(self, field, tuple(getattr(self, field)))
        J = len(self.joint_names)
        if len(self.parents) != J:
            raise SkelgnnError(f"skeleton {self.name!r}: {len(self.parents)} parents for {J} joints")
        if sum(p == -1 for p in self.parents) != 1:
            raise SkelgnnError(f"skeleton {self.name!r}: expected exactly one root (parent -1)")
        for j, p in enumerate(self.parents):
            if p != -1 and not 0 <= p < J:
                raise SkelgnnError(f"skeleton {self.name!r}: joint {j} has parent {p} outside 0..{J - 1}")
        if len(self.left) != len(self.right) or set(self.left) & set(self.right):
            raise SkelgnnError(f"skeleton {self.name!r}: left and right must be disjoint, same length")
        # every joint must reach the root (no cycles)
        for j in range(J):
            seen, k = set(), j
            while k != -1:
                if k in seen:
                    raise SkelgnnError(f"skeleton {self.name!r}: cycle through joint {k}")
                seen.add(k)
                k = self.parents[k]

    # ------------------------------------------------------------------ basic properties
    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def root(self) -> int:
        return self.parents.index(-1)

    @cached_property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) pairs, one per bone, in joint order."""
        return tuple((p, j) for j, p in enumerate(self.parents) if p != -1)

    def index(self, joint_name: str) -> int:
        try:
            return self.joint_names.index(joint_name)
        except ValueError:
            raise SkelgnnError(
                f"skeleton {self.name!r} has no joint {joint_name!r}; joints: {list(self.joint_names)}"
            ) from None

    @cached_property
    def flip_permutation(self) -> tuple[int, ...]:
        """Index map that swaps left and right joints: ``flipped = joints[..., perm, :]``."""
        perm = list(range(self.num_joints))
        for a, b in zip(self.left, self.right):
            perm[a], perm[b] = b, a
        return tuple(perm)

    @cached_property
    def bone_groups(self) -> tuple[int, ...]:
        """Per joint, the index of its bone's group: a bone and its mirror (the bones ending at a left joint
        and at its right counterpart) share one group; every other bone has its own. The root (no bone) gets
        -1. Groups are numbered 0, 1, ... in joint order of their first bone.
        """
        mirror = dict(zip(self.right, self.left))
        group: dict[int, int] = {}
        out = []
        for j, p in enumerate(self.parents):
            if p == -1:
                out.append(-1)
                continue
            key = mirror.get(j, j)
            out.append(group.setdefault(key, len(group)))
        return tuple(out)

    @cached_property
    def kinematic_order(self) -> tuple[int, ...]:
        """Every joint once, each after its parent (root first), whatever the joint order."""
        order, placed = [self.root], {self.root}
        # the tree is checked in __post_init__: every joint reaches the root
        while len(order) < self.num_joints:
            for j, p in enumerate(self.parents):
                if j not in placed and p in placed:
                    order.append(j)
                    placed.add(j)
        return tuple(order)

    @property
    def num_bone_groups(self) -> int:
        """How many bone groups :attr:`bone_groups` has (10 for the 17-joint Human3.6M tree)."""
        return max(self.bone_groups) + 1

    # ------------------------------------------------------------------ graph helpers
    def adjacency(self, self_loops: bool = False, normalize: str | None = None) -> np.ndarray:
        """Symmetric bone adjacency.

        Args:
            self_loops: add the identity.
            normalize: ``None``, ``"row"`` (D⁻¹A) or ``"sym"`` (D^-½ A D^-½).

        Returns:
            float32 array, shape (J, J).
        """
        J = self.num_joints
        a = np.zeros((J, J), dtype=np.float32)
        for p, c in self.edges:
            a[p, c] = a[c, p] = 1.0
        if self_loops:
            a += np.eye(J, dtype=np.float32)
        if normalize is None:
            return a
        deg = a.sum(1)
        if np.any(deg == 0):
            raise SkelgnnError("cannot normalise an adjacency with an isolated joint; use self_loops=True")
        if normalize == "row":
            return (a / deg[:, None]).astype(np.float32)
        if normalize == "sym":
            d = 1.0 / np.sqrt(deg)
            return (a * d[:, None] * d[None, :]).astype(np.float32)
        raise SkelgnnError(f"normalize must be None, 'row' or 'sym', got {normalize!r}")

    @cached_property
    def hop_distances(self) -> np.ndarray:
        """Shortest-path length in bones between every pair of joints, int64, shape (J, J)."""
        J = self.num_joints
        a = self.adjacency() > 0
        dist = np.full((J, J), -1, dtype=np.int64)
        for s in range(J):  # BFS from every joint; J is tiny and this runs once
            dist[s, s] = 0
            frontier, k = [s], 0
            while frontier:
                k += 1
                nxt = []
                for u in frontier:
                    for v in np.flatnonzero(a[u]):
                        if dist[s, v] < 0:
                            dist[s, v] = k
                            nxt.append(int(v))
                frontier = nxt
        dist.setflags(write=False)
        return dist

    @property
    def diameter(self) -> int:
        """Largest hop distance between two joints (8 for the 17-joint Human3.6M tree)."""
        return int(self.hop_distances.max())

    def hop_masks(self, k_max: int | None = None) -> np.ndarray:
        """Exact-k hop masks ``A_k[i, j] = d(i, j) == k`` for k = 0..k_max.

        ``A_0`` is the identity. For ``k_max`` = diameter the masks partition J×J; beyond the
        diameter they are all-zero (empty hop sets).

        Returns:
            bool array, shape (k_max + 1, J, J).
        """
        k_max = self.diameter if k_max is None else int(k_max)
        if k_max < 0:
            raise SkelgnnError(f"k_max must be >= 0, got {k_max}")
        ks = np.arange(k_max + 1)[:, None, None]
        return self.hop_distances[None] == ks

    def cumulative_hop_masks(self, k_max: int | None = None) -> np.ndarray:
        """Masks of all joints within k hops, ``d(i, j) <= k``, for k = 0..k_max (LCN style).

        Returns:
            bool array, shape (k_max + 1, J, J).
        """
        return np.cumsum(self.hop_masks(k_max), axis=0) > 0

    # ------------------------------------------------------------------ derived skeletons
    def subset(self, keep: list[int] | tuple[int, ...], name: str | None = None) -> Skeleton:
        """A new skeleton with only the joints ``keep`` (in that order).

        A removed joint's children are re-parented to its nearest kept ancestor. The root must be
        kept. Left/right pairs lose any pair with a removed member.
        """
        keep = tuple(int(k) for k in keep)
        if self.root not in keep:
            raise SkelgnnError("subset() must keep the root joint")
        new_index = {old: new for new, old in enumerate(keep)}
        parents = []
        for old in keep:
            p = self.parents[old]
            while p != -1 and p not in new_index:
                p = self.parents[p]
            parents.append(-1 if p == -1 else new_index[p])
        pairs = [(new_index[a], new_index[b]) for a, b in zip(self.left, self.right)
                 if a in new_index and b in new_index]
        return Skeleton(
            name=name or f"{self.name}_subset",
            joint_names=tuple(self.joint_names[k] for k in keep),
            parents=tuple(parents),
            left=tuple(a for a, _ in pairs),
            right=tuple(b for _, b in pairs),
        )

    def to_dict(self) -> dict:
        """Plain-data form (for checkpoints and npz metadata)."""
        return {"name": self.name, "joint_names": list(self.joint_names), "parents": list(self.parents),
                "left": list(self.left), "right": list(self.right)}

    @classmethod
    def from_dict(cls, d: dict) -> Skeleton:
        try:
            return cls(d["name"], tuple(d["joint_names"]), tuple(int(p) for p in d["parents"]),
                       tuple(int(i) for i in d["left"]), tuple(int(i) for i in d["right"]))
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise SkelgnnError("not a skeleton description: missing or bad field "
                               f"({type(e).__name__}: {e})") from None


H36M_17 = Skeleton(
    name="h36m17",
    joint_names=("pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
                 "left_ankle", "spine", "thorax", "neck", "head", "left_shoulder", "left_elbow",
                 "left_wrist", "right_shoulder", "right_elbow", "right_wrist"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15),
    left=(4, 5, 6, 11, 12, 13),
    right=(1, 2, 3, 14, 15, 16),
)
"""Human3.6M 17 joints in VideoPose3D order (joint 9 is "Neck/Nose")."""

H36M_16 = H36M_17.subset([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16], name="h36m16")
"""The 16-joint variant (SemGCN, GraFormer, Martinez): Neck/Nose dropped, head re-parented to thorax."""

_BY_NAME = {s.name: s for s in (H36M_17, H36M_16)}


def get_skeleton(name: str) -> Skeleton:
    """Look up a built-in skeleton by name (``"h36m17"`` or ``"h36m16"``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise SkelgnnError(f"unknown skeleton {name!r}; known: {sorted(_BY_NAME)}") from None


def flip_joints(x, skeleton: Skeleton):
    """Mirror joints (numpy array or torch tensor, a copy): negate the first coordinate and swap
    left/right. Shape (..., J, D).

    In the image this is the mirror about the vertical centre line (normalised x → −x); in the camera
    frame X → −X. Training flip augmentation and test-time flip both use it.
    """
    y = x[..., list(skeleton.flip_permutation), :]
    y = y.clone() if hasattr(y, "clone") else y.copy()
    y[..., 0] = -y[..., 0]
    return y


def scale_bones(joints: np.ndarray, skeleton: Skeleton, factors: np.ndarray) -> np.ndarray:
    """The same motion with other body proportions: every bone's length multiplied by its group's factor.

    The root keeps its position; every other joint is rebuilt from its parent along the bone's original
    direction, ``new[j] = new[parent(j)] + factors[group(j)] * (joints[j] - joints[parent(j)])``, so joint
    angles and the root trajectory are unchanged and a factor of 1 everywhere returns the input.

    Args:
        joints: (..., J, D) positions.
        skeleton: the tree (``J`` joints).
        factors: (G,) positive length factors, one per bone group (:attr:`Skeleton.bone_groups`).

    Returns:
        (..., J, D) float64 array (a new array).

    Raises:
        SkelgnnError: a shape that does not match the skeleton, or a factor that is not positive and finite.
    """
    joints = np.asarray(joints, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64)
    J, G = skeleton.num_joints, skeleton.num_bone_groups
    if joints.ndim < 2 or joints.shape[-2] != J:
        raise SkelgnnError(f"scale_bones: joints must have shape (..., {J}, D), got {joints.shape}")
    if factors.shape != (G,) or not np.all(np.isfinite(factors)) or np.any(factors <= 0):
        raise SkelgnnError(f"scale_bones: expected {G} positive finite bone-group factors, got {factors!r}")
    out = np.empty_like(joints)
    for j in skeleton.kinematic_order:
        p = skeleton.parents[j]
        if p == -1:
            out[..., j, :] = joints[..., j, :]
        else:
            f = factors[skeleton.bone_groups[j]]
            out[..., j, :] = out[..., p, :] + f * (joints[..., j, :] - joints[..., p, :])
    return out
