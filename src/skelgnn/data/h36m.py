"""Human3.6M in the layouts users already have: VideoPose3D npz, mmpose npz, official CDF files.

Nothing here downloads anything; the user brings the data (docs/data.md).

Layouts read (VideoPose3D's npz files and mmpose's npz; docs/data.md):

* **VideoPose3D** ``data_3d_h36m.npz`` (key ``positions_3d``: pickled dict ``subject -> action ->
  (T, 32, 3)`` float32 world poses in **metres**, Z up; files that already hold 17 joints are accepted)
  and ``data_2d_h36m_<source>.npz`` (``positions_2d``: ``subject -> action -> [4 × (T_cam, 17, 2)]``
  pixels in the camera order 54138969, 55011271, 58860488, 60457274, plus ``metadata``). Both store
  pickled dicts, so they are read only with an explicit ``allow_pickle=True`` (the CLI flag
  ``--allow-pickle``): unpickling a file can run code, so pass it only for files you trust. Without
  calibration in the 3D file the built-in Human3.6M cameras of :mod:`skelgnn.core.cameras` are used.
* The same layout **with the cameras inside the 3D file** (key ``cameras``: ``subject -> action ->
  [camera dicts]`` as written by :meth:`skelgnn.core.cameras.Camera.to_dict`), which is what ``skelgnn data
  hdm05`` writes (``data_3d_hdm05.npz`` / ``data_2d_hdm05_<gt|noisy>.npz``). The reader detects the key
  and then uses those cameras instead of the built-in ones, so HDM05-Lift runs through the very same
  code path as Human3.6M.
* **mmpose** ``annotation_body3d/fps{50,10}/h36m_{train,test}.npz`` (plain npz, no pickle):
  ``imgname`` (N,), ``S`` (N, 17, 4) camera-frame joints in metres plus a visibility column,
  ``part`` (N, 17, 3) pixels plus visibility, ``center``/``scale`` (unused). Rows are grouped into
  sequences by ``imgname`` (:func:`skelgnn.data.mmpose_h36m.read_mmpose_h36m`).
* The **official CDF files** ``S*/MyPoseFeatures/D3_Positions/*.cdf`` are converted into the
  VideoPose3D 3D layout by :func:`skelgnn.data.h36m_cdf.convert_h36m_cdf` (needs the optional ``cdflib``
  package).

What the sequences hold (the :class:`~skelgnn.data.sequences.SequenceSet` contract): inputs are
screen-normalised 2D joints (``u / w · 2 − [1, h / w]`` with each camera's own ``w × h``, CONVENTIONS
§1.6), targets are camera-frame joints relative to the pelvis in **millimetres**, keys are
``"<subject>/<action>/<camera index>"`` and classes are the action names without the sub-action suffix
(``"Directions 1"`` → ``"Directions"``, and for HDM05-Lift ``"walk_003"`` → ``"walk"``).

Shape letters: ``T`` frames, ``J`` joints, ``N`` rows of an mmpose file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.camera_rigs import h36m_camera
from ..core.cameras import Camera, world_to_camera
from ..core.errors import FormatError, ShapeError, SkelgnnError
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17, Skeleton
from .sequences import SequenceSet
from .value_ranges import MAX_IMAGE_SIDES
from .vp3d import read_vp3d_2d, read_vp3d_3d

__all__ = [
    "TRAIN_SUBJECTS", "TEST_SUBJECTS", "ALL_SUBJECTS", "ACTIONS", "CAMERA_IDS", "H36M_32", "H36M_32_TO_17",
    "KEEP_16", "DEFAULT_EXCLUDE", "CDF_RENAMES",
    "reduce_32_to_17", "reduced_skeleton", "action_class", "canonical_action_name",
    "VP3DPair", "load_vp3d_pair", "h36m_sequences", "h36m_world_poses",
    "vp3d_file_paths", "h36m_data_files", "PICKLE_HELP",
]

TRAIN_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS: tuple[str, ...] = ("S9", "S11")
ALL_SUBJECTS: tuple[str, ...] = TRAIN_SUBJECTS + TEST_SUBJECTS

ACTIONS: tuple[str, ...] = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases", "Sitting",
    "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether",
)
"""The 15 action classes after VideoPose3D's renaming (CONVENTIONS §1.1)."""

CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")
"""Camera ids in the order of the 2D lists and of :data:`skelgnn.core.camera_rigs.H36M_INTRINSICS`."""

DEFAULT_EXCLUDE: tuple[tuple[str, str], ...] = (("S11", "Directions"),)
"""(subject, action) pairs dropped by default: S11 "Directions" is a corrupted video (CONVENTIONS §1.1).
Only that exact action is meant; "Directions 1" of S11 stays."""

CDF_RENAMES: tuple[tuple[str, str], ...] = (("TakingPhoto", "Photo"), ("WalkingDog", "WalkDog"))
"""Raw Human3.6M file names renamed as VideoPose3D does (``"TakingPhoto 1"`` → ``"Photo 1"``)."""

H36M_32_TO_17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
"""Indices of the 17 "moving" joints among the 32 mocap joints, in the 17-joint order (§2.3)."""

KEEP_16: tuple[int, ...] = tuple(j for j in range(17) if j != H36M_17.index("neck"))
"""17-joint indices kept by the 16-joint variant (Neck/Nose, index 9, dropped)."""

_PARENTS_32 = (-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 12, 16, 17, 18, 19, 20, 19, 22, 12, 24,
               25, 26, 27, 28, 27, 30)
_NAMES_32 = tuple(H36M_17.joint_names[H36M_32_TO_17.index(j)] if j in H36M_32_TO_17 else f"h36m32_{j}"
                  for j in range(32))

H36M_32 = Skeleton(
    name="h36m32",
    joint_names=_NAMES_32,
    parents=_PARENTS_32,
    left=(6, 7, 8, 9, 10, 16, 17, 18, 19, 20, 21, 22, 23),
    right=(1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29, 30, 31),
)
"""The raw 32-joint Human3.6M mocap skeleton (VideoPose3D's parents and sides, CONVENTIONS §2.3).
The 17 kept joints carry our names; the other 15 are named ``h36m32_<index>``."""


# ---------------------------------------------------------------------------------------- joints
def reduce_32_to_17(poses: np.ndarray) -> np.ndarray:
    """Keep the 17 moving joints of 32-joint poses (positions do not change, only the joint set).

    Args:
        poses: (..., 32, D) array.

    Returns:
        (..., 17, D) array in the 17-joint order of :data:`skelgnn.core.skeleton.H36M_17`.
    """
    poses = np.asarray(poses)
    if poses.ndim < 2 or poses.shape[-2] != 32:
        raise ShapeError(f"reduce_32_to_17: expected (..., 32, D), got {poses.shape}")
    return poses[..., list(H36M_32_TO_17), :]


def reduced_skeleton() -> Skeleton:
    """The 17-joint skeleton obtained from :data:`H36M_32` the way the field does it.

    The 15 unused joints are removed (each child goes to its nearest kept ancestor), then both
    shoulders are re-parented to the thorax, as VideoPose3D does after ``remove_joints`` (in the raw
    tree they hang off the spine through removed joints). The result equals
    :data:`skelgnn.core.skeleton.H36M_17` (tested).
    """
    sub = H36M_32.subset(H36M_32_TO_17, name="h36m17")
    parents = list(sub.parents)
    thorax = sub.index("thorax")
    for side in ("left_shoulder", "right_shoulder"):
        parents[sub.index(side)] = thorax
    return Skeleton(sub.name, sub.joint_names, tuple(parents), sub.left, sub.right)


def action_class(action: str) -> str:
    """The action class of a sequence name: a trailing sub-action or take number is removed.

    ``"Directions 1"`` → ``"Directions"``, ``"Directions"`` → ``"Directions"``, ``"Directions_1"`` →
    ``"Directions"`` (mmpose spelling), ``"hopBothLegs1hops_020"`` → ``"hopBothLegs1hops"`` (HDM05-Lift).
    """
    return re.sub(r"[ _]\d+$", "", str(action))


def canonical_action_name(raw: str) -> str:
    """A raw Human3.6M sequence name with VideoPose3D's renaming applied (:data:`CDF_RENAMES`)."""
    for old, new in CDF_RENAMES:
        if raw == old or raw.startswith(old + " "):
            return new + raw[len(old):]
    return raw


# ---------------------------------------------------------------------------------------- VideoPose3D pair
@dataclass
class VP3DPair:
    """A VideoPose3D 3D file and one of its 2D files, read and checked, 17 joints.

    Attributes:
        path_3d: the 3D file.
        path_2d: the 2D file.
        positions_3d: subject -> action -> (T, 17, 3) float32 world poses in metres.
        positions_2d: subject -> action -> list of (T_cam, J2, 2) float32 pixel arrays, J2 = 17 or 16.
        metadata: the 2D file's metadata dict.
        cameras: subject -> action -> list of camera dicts when the 3D file carries its own cameras
            (HDM05-Lift export), else ``None`` (the built-in Human3.6M calibration is used).
    """

    path_3d: Path
    path_2d: Path
    positions_3d: dict
    positions_2d: dict
    metadata: dict
    cameras: dict | None = None

    @property
    def layout(self) -> str:
        """``"h36m"`` (built-in Human3.6M cameras) or ``"cameras-in-file"``."""
        return "h36m" if self.cameras is None else "cameras-in-file"

    @property
    def num_joints_2d(self) -> int:
        return int(self.metadata["num_joints"])

    def views(self, subject: str, action: str, frames: int) -> list[np.ndarray]:
        """The per-camera 2D arrays of one sequence trimmed to ``frames`` (the 3D length).

        Raises:
            FormatError: the action or a camera is missing from the 2D file, or a camera has fewer
                frames than the 3D sequence.
        """
        acts = self.positions_2d.get(subject)
        if acts is None:
            raise FormatError(self.path_2d, f"positions_2d has no subject {subject!r} (present: "
                                            f"{sorted(self.positions_2d)}), but the 3D file has it")
        if action not in acts:
            raise FormatError(self.path_2d, f"positions_2d[{subject!r}] has no action {action!r}, which "
                                            f"the 3D file {self.path_3d.name} has")
        views = acts[action]
        expected = len(self._camera_list(subject, action)) if self.cameras is not None else len(CAMERA_IDS)
        if len(views) != expected:
            raise FormatError(self.path_2d, f"positions_2d[{subject!r}][{action!r}] has {len(views)} "
                                            f"camera(s), expected {expected}")
        out = []
        for i, v in enumerate(views):
            if len(v) < frames:
                raise FormatError(self.path_2d, (
                    f"positions_2d[{subject!r}][{action!r}][{i}] (camera {i}) has {len(v)} frames, fewer "
                    f"than the {frames} frames of positions_3d[{subject!r}][{action!r}] in "
                    f"{self.path_3d.name}; the 2D file does not belong to this 3D file"))
            v = v[:frames]  # videos may have extra frames at the end (CONVENTIONS §2.2)
            self._check_pixels(np.asarray(v), subject, action, i)
            out.append(v)
        return out

    def _check_pixels(self, v: np.ndarray, subject: str, action: str, index: int) -> None:
        """A 2D view's coordinates must be finite and within :data:`MAX_IMAGE_SIDES` image sides of its
        camera's image (value_ranges' rule for the built benchmark files); else a FormatError names where."""
        if v.dtype.kind not in "iuf":
            return  # a non-numeric array is refused, with its shape, where the sequence is built
        cam = self.camera(subject, action, index)
        side = MAX_IMAGE_SIDES * max(int(cam.width), int(cam.height))
        bad = ~(np.abs(v[..., :2]) <= side)  # NaN too
        if bad.any():
            t, j, c = (int(x) for x in np.argwhere(bad)[0])
            raise FormatError(self.path_2d, f"positions_2d[{subject!r}][{action!r}][{index}] holds "
                                            f"{float(v[t, j, c]):.6g} at frame {t}, joint {j}; expected "
                                            f"finite pixels within {MAX_IMAGE_SIDES} image sides "
                                            f"(|v| <= {side:g}) of the {cam.width}x{cam.height} image")

    def _camera_list(self, subject: str, action: str) -> list:
        try:
            cams = self.cameras[subject][action]
        except (KeyError, TypeError):
            raise FormatError(self.path_3d, f"cameras[{subject!r}][{action!r}] is missing; the file "
                                            "carries cameras for some sequences only") from None
        if not isinstance(cams, (list, tuple)):
            raise FormatError(self.path_3d, f"cameras[{subject!r}][{action!r}] holds {type(cams).__name__}, "
                                            "expected a list of camera dicts")
        return list(cams)

    def camera(self, subject: str, action: str, index: int) -> Camera:
        """Camera ``index`` of a sequence (from the file, or the built-in Human3.6M calibration)."""
        if self.cameras is None:
            try:
                return h36m_camera(subject, index)
            except SkelgnnError as e:
                raise FormatError(self.path_3d, f"positions_3d[{subject!r}][{action!r}]: {e}") from None
        cams = self._camera_list(subject, action)
        if not 0 <= index < len(cams):
            raise FormatError(self.path_3d, f"cameras[{subject!r}][{action!r}] has {len(cams)} cameras, "
                                            f"no camera {index}")
        try:
            return Camera.from_dict(cams[index])
        except (SkelgnnError, TypeError, AttributeError) as e:
            raise FormatError(self.path_3d, f"cameras[{subject!r}][{action!r}][{index}] is not a camera "
                                            f"dict: {e}") from None

    def select(self, subjects: Iterable[str], *, exclude: Iterable[tuple[str, str]] = DEFAULT_EXCLUDE,
               actions: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """The (subject, action) pairs of ``subjects`` in file order, minus ``exclude``, within ``actions``.

        ``actions`` names actions or action classes (``"Walking"`` keeps "Walking" and "Walking 1").

        Raises:
            FormatError: a subject is not in the 3D file.
            SkelgnnError: an entry of ``actions`` matches no sequence.
        """
        excluded = {(str(s), str(a)) for s, a in (exclude or ())}
        wanted = None if actions is None else {str(a) for a in actions}
        used: set[str] = set()
        pairs = []
        for s in subjects:
            if s not in self.positions_3d:
                raise FormatError(self.path_3d, f"positions_3d has no subject {s!r}; subjects in the file: "
                                                f"{sorted(self.positions_3d)}")
            for a in self.positions_3d[s]:
                if (s, a) in excluded:
                    continue
                if wanted is not None:
                    hit = {a, action_class(a)} & wanted
                    if not hit:
                        continue
                    used |= hit
                pairs.append((s, a))
        if wanted is not None and wanted - used:
            raise SkelgnnError(f"actions {sorted(wanted - used)} match no sequence of subjects "
                               f"{list(subjects)} in {self.path_3d}")
        return pairs


def _as_path(p) -> Path:
    return p if isinstance(p, Path) else Path(p)


def load_vp3d_pair(data_3d: str | Path, data_2d: str | Path, *, allow_pickle: bool = False) -> VP3DPair:
    """Read a VideoPose3D-layout 3D file and a 2D file, reduce 32 → 17 joints, detect the camera source.

    Args:
        data_3d: ``data_3d_<name>.npz``; 32-joint (raw Human3.6M) or 17-joint world poses in metres.
        data_2d: ``data_2d_<name>_<source>.npz``; 17 (or 16) joints per camera, pixels.
        allow_pickle: must be ``True``: the layout stores pickled dicts (trust the files first).

    Returns:
        a :class:`VP3DPair`.

    Raises:
        FormatError: unreadable file, missing key, wrong layout or joint count (naming file and key).
    """
    path_3d, path_2d = _as_path(data_3d), _as_path(data_2d)
    pos3d, cams = read_vp3d_3d(path_3d, allow_pickle=allow_pickle)
    reduced = {}
    for s, acts in pos3d.items():
        reduced[s] = {}
        for a, arr in acts.items():
            if arr.shape[1] == 32:
                arr = reduce_32_to_17(arr)
            elif arr.shape[1] != 17:
                raise FormatError(path_3d, f"positions_3d[{s!r}][{a!r}] has {arr.shape[1]} joints; expected "
                                           "32 (raw Human3.6M mocap) or 17")
            reduced[s][a] = np.ascontiguousarray(arr, dtype=np.float32)
    if cams is not None and not isinstance(cams, dict):
        raise FormatError(path_3d, f"key 'cameras' holds {type(cams).__name__}, expected a dict "
                                   "subject -> action -> [camera dicts]")
    pos2d, meta = read_vp3d_2d(path_2d, allow_pickle=allow_pickle)
    if int(meta["num_joints"]) not in (16, 17):
        raise FormatError(path_2d, f"metadata['num_joints'] is {meta['num_joints']}; expected 17 joints in "
                                   "Human3.6M order (or 16 without Neck/Nose)")
    return VP3DPair(path_3d, path_2d, reduced, pos2d, meta, cams)


def vp3d_file_paths(folder: str | Path, name: str = "h36m", source: str = "gt") -> tuple[Path, Path]:
    """``(folder/data_3d_<name>.npz, folder/data_2d_<name>_<source>.npz)``, the field's file naming."""
    folder = _as_path(folder)
    return folder / f"data_3d_{name}.npz", folder / f"data_2d_{name}_{source}.npz"


PICKLE_HELP = ("the VideoPose3D layout stores pickled dicts and unpickling a file can run code: "
               "pass --allow-pickle (Python: allow_pickle=True), only for files you trust")
"""The reason given wherever a pickled-layout file is refused."""


def h36m_data_files(path: str | Path, name: str, source: str, *, allow_pickle: bool) -> tuple[Path, Path]:
    """The 3D and 2D files of a VideoPose3D-layout dataset, checked to exist and to be allowed.

    Returns:
        ``(data_3d, data_2d)`` = ``(<path>/data_3d_<name>.npz, <path>/data_2d_<name>_<source>.npz)``.

    Raises:
        FormatError: a file is missing, or ``allow_pickle`` is false (the message names the file).
    """
    files = vp3d_file_paths(path, name, source)
    for f in files:
        if not f.is_file():
            raise FormatError(f, f"no such file (expected data_3d_{name}.npz and data_2d_{name}_{source}.npz "
                                 f"in {path}, VideoPose3D layout)")
    if not allow_pickle:
        raise FormatError(files[0], PICKLE_HELP)
    return files


def check_selection(joints: int, downsample: int) -> None:
    if joints not in (16, 17):
        raise SkelgnnError(f"joints must be 17 or 16, got {joints!r}")
    if isinstance(downsample, bool) or not isinstance(downsample, (int, np.integer)) or downsample < 1:
        raise SkelgnnError(f"downsample must be an integer >= 1, got {downsample!r}")


def subject_tuple(subjects) -> tuple[str, ...]:
    if isinstance(subjects, str):
        subjects = (subjects,)
    subjects = tuple(str(s) for s in subjects)
    if not subjects:
        raise SkelgnnError("subjects must name at least one subject")
    return subjects


def _pair(data_3d, data_2d, allow_pickle: bool) -> VP3DPair:
    if isinstance(data_3d, VP3DPair):
        return data_3d
    if data_2d is None:
        raise SkelgnnError("pass the 2D file (data_2d) next to the 3D file, "
                           "or a VP3DPair from load_vp3d_pair")
    return load_vp3d_pair(data_3d, data_2d, allow_pickle=allow_pickle)


def h36m_sequences(
    data_3d: str | Path | VP3DPair,
    data_2d: str | Path | None = None,
    *,
    subjects: Sequence[str],
    allow_pickle: bool = False,
    joints: int = 17,
    exclude: Iterable[tuple[str, str]] | None = DEFAULT_EXCLUDE,
    downsample: int = 1,
    actions: Iterable[str] | None = None,
    input_norm: str = "screen",
) -> SequenceSet:
    """Sequences (one per subject, action and camera) of VideoPose3D-layout files.

    Works on Human3.6M files (built-in calibration) and on files that carry their own ``cameras``
    (HDM05-Lift's export); :attr:`VP3DPair.layout` says which.

    Args:
        data_3d: the 3D file, or a :class:`VP3DPair` already read (then ``data_2d`` is ignored).
        data_2d: the 2D file (``data_2d_h36m_gt.npz``, ``data_2d_h36m_cpn_ft_h36m_dbb.npz``, …).
        subjects: subjects to read, e.g. ``("S9", "S11")``.
        allow_pickle: must be ``True`` to read this pickled layout (CLI: ``--allow-pickle``).
        joints: 17, or 16 to drop Neck/Nose (index 9) from inputs and targets.
        exclude: (subject, action) pairs to skip; default drops S11 "Directions"; ``()`` keeps all.
        downsample: keep every ``downsample``-th frame (frames 0, k, 2k, … after trimming).
        actions: keep only these actions or action classes; ``None`` keeps all.
        input_norm: 2D normalisation, ``"screen"`` (each camera's ``w × h``) or ``"bbox"``
            (:mod:`skelgnn.core.normalization`).

    Returns:
        a :class:`SequenceSet`: inputs (T, J, 2) normalised, targets (T, J, 3) camera-frame,
        pelvis-relative, mm; keys ``"<subject>/<action>/<camera>"``; classes without the sub-action
        suffix; ``rare`` all False (see :func:`skelgnn.evaluation.rare_poses.attach_rare_flags`).

    Raises:
        FormatError: a subject, action or camera is missing, a 2D sequence is shorter than its 3D
            sequence, or a file has the wrong layout (the message names the file and the key).
        SkelgnnError: bad ``joints``/``downsample``, or ``actions`` names nothing.
    """
    check_selection(joints, downsample)
    subjects = subject_tuple(subjects)
    data = _pair(data_3d, data_2d, allow_pickle)
    j2 = data.num_joints_2d
    if j2 == 16 and joints == 17:
        raise FormatError(data.path_2d, "the 2D file has 16 joints (no Neck/Nose); read it with joints=16")
    out = SequenceSet()
    for s, a in data.select(subjects, exclude=exclude or (), actions=actions):
        world = data.positions_3d[s][a].astype(np.float64) * 1000.0  # metres -> mm
        T = len(world)
        for i, uv in enumerate(data.views(s, a, T)):
            cam = data.camera(s, a, i)
            xc = world_to_camera(world, cam)
            xc = xc - xc[:, :1]
            if joints == 16:
                xc = xc[:, list(KEEP_16)]
                if j2 == 17:
                    uv = uv[:, list(KEEP_16)]
            x2 = normalize_input(uv, input_norm, cam.width, cam.height)
            out.inputs.append(np.ascontiguousarray(x2[::downsample], dtype=np.float32))
            out.targets.append(np.ascontiguousarray(xc[::downsample], dtype=np.float32))
            out.keys.append(f"{s}/{a}/{i}")
            out.classes.append(action_class(a))
            out.rare.append(np.zeros(len(out.inputs[-1]), dtype=bool))
    return out


def h36m_world_poses(
    data_3d: str | Path | VP3DPair,
    data_2d: str | Path | None = None,
    *,
    subjects: Sequence[str],
    allow_pickle: bool = False,
    joints: int = 17,
    exclude: Iterable[tuple[str, str]] | None = DEFAULT_EXCLUDE,
    downsample: int = 1,
    actions: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """World poses (mm) of the same selection as :func:`h36m_sequences`, one per (subject, action).

    Used for the rare-pose analysis (nearest training pose). Frame ``t`` here is frame ``t`` of every
    camera's sequence from :func:`h36m_sequences` with the same arguments (the 3D length drives both).
    ``data_2d`` is needed only when ``data_3d`` is a path (the pair is read together).

    Returns:
        ``{"<subject>/<action>": (T, J, 3) float64 world poses in mm}`` (Z up for Human3.6M, Y up for
        HDM05-Lift).
    """
    check_selection(joints, downsample)
    data = _pair(data_3d, data_2d, allow_pickle)
    out = {}
    for s, a in data.select(subject_tuple(subjects), exclude=exclude or (), actions=actions):
        w = data.positions_3d[s][a].astype(np.float64) * 1000.0
        if joints == 16:
            w = w[:, list(KEEP_16)]
        out[f"{s}/{a}"] = w[::downsample]
    return out
