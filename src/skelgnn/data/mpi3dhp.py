"""MPI-INF-3DHP test set (TS1–TS6) in the npz most lifters use (scored by
:func:`skelgnn.evaluation.report.score_3dhp`).

Expected file (``data_test_3dhp.npz``, as produced by P-STMO's ``data_to_npz_3dhp_test.py`` and read by
its descendants; users bring it, nothing is downloaded here):

* key ``data``: a **pickled** dict ``sequence name -> dict`` (so it is read only with
  ``allow_pickle=True``; CLI ``--allow-pickle``), sequence names ``"TS1"`` … ``"TS6"``;
* per sequence:

  - ``data_2d``: (T, 17, 2) 2D joints in **pixels** of the test video (TS1–TS4 are 2048 × 2048,
    TS5–TS6 1920 × 1080: :data:`TEST_RESOLUTION`);
  - ``data_3d``: (T, 17, 3) camera-frame 3D joints in **mm**, the height-normalised "universal"
    annotations (``univ_annot3``), which the 3DHP numbers in the literature are computed on;
  - ``valid``: (T,) flags (0/1 or bool); only valid frames are scored;
  - other keys (e.g. camera data) are ignored.

Joint order: the MPI-INF-3DHP 17-joint test order, :data:`MPI3DHP_JOINT_NAMES` (head top, neck, right
shoulder/elbow/wrist, left shoulder/elbow/wrist, right hip/knee/ankle, left hip/knee/ankle, pelvis = root
at index 14, spine, head). :data:`MPI3DHP_TO_H36M17` maps it onto our Human3.6M 17-joint order
(``ours[j] = theirs[MPI3DHP_TO_H36M17[j]]``). The correspondence is by anatomy and is the one P-STMO's
descendants use; it is approximate at the top of the body: H36M "thorax" ↔ 3DHP "neck",
H36M "neck/nose" ↔ 3DHP "head", H36M "head" ↔ 3DHP "head top". We have not checked it against a real
file here (none is available to us); files already in Human3.6M order can be read with ``order="h36m"``.

PCK / AUC (CONVENTIONS §1.3): PCK = share of joints with error < 150 mm after root alignment; AUC = mean
PCK over the thresholds 0, 1, …, 149 mm. ``pck150``/``auc`` use all 17 joints (pelvis included, as the
Python code of the lifters does); ``pck150_14``/``auc_14`` use the 14 joints of
:data:`PCK14_JOINTS` (no pelvis, spine, head), which is our reading of the joint groups of the official
MATLAB evaluation — unverified, so both are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import FormatError, SkelgnnError
from ..core.io import read_npz
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17
from .sequences import SequenceSet

__all__ = ["MPI3DHP_JOINT_NAMES", "MPI3DHP_TO_H36M17", "TEST_SEQUENCES", "TEST_RESOLUTION", "PCK14_JOINTS",
           "MPI3DHPTest", "read_3dhp_test"]

MPI3DHP_JOINT_NAMES: tuple[str, ...] = (
    "head_top", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "pelvis",
    "spine", "head",
)
"""The MPI-INF-3DHP 17-joint test order (root = pelvis at index 14)."""

MPI3DHP_TO_H36M17: tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)
"""For each joint of :data:`skelgnn.core.skeleton.H36M_17`, its index in the 3DHP order (see module
docstring)."""

TEST_SEQUENCES: tuple[str, ...] = ("TS1", "TS2", "TS3", "TS4", "TS5", "TS6")

TEST_RESOLUTION: dict[str, tuple[int, int]] = {
    "TS1": (2048, 2048), "TS2": (2048, 2048), "TS3": (2048, 2048), "TS4": (2048, 2048),
    "TS5": (1920, 1080), "TS6": (1920, 1080),
}
"""(width, height) in pixels of each test sequence's video (studio TS1–4, outdoor TS5–6)."""

PCK14_JOINTS: tuple[str, ...] = (
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "thorax", "head",
    "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
)
"""Our joint names of the 14-joint PCK set (3DHP head top, neck, arms, legs; no pelvis, spine, 3DHP head)."""


@dataclass
class MPI3DHPTest:
    """The test set as sequences plus per-frame validity.

    Attributes:
        seqs: one sequence per test sequence: inputs (T, J, 2) normalised, targets (T, J, 3) mm
            pelvis-relative in Human3.6M order, keys ``"<TS>/test/0"``, classes ``"<TS>"``.
        valid: (T,) bool per sequence.
        path: the file.
    """

    seqs: SequenceSet
    valid: list[np.ndarray] = field(default_factory=list)
    path: Path | None = None


def _load(path: Path, allow_pickle: bool) -> dict:
    if not path.is_file():
        raise FormatError(path, "no such file")
    names, _ = read_npz(path, ())  # a readable npz with a 'data' member, before any word about pickles
    if "data" not in names:
        raise FormatError(path, f"missing key 'data'; found {sorted(names)} (expected P-STMO's "
                                "data_test_3dhp.npz layout)")
    if not allow_pickle:
        raise FormatError(path, "the MPI-INF-3DHP npz stores a pickled dict under 'data'; pass "
                                "allow_pickle=True (CLI --allow-pickle), only for files you trust")
    names, arrays = read_npz(path, ("data",), allow_pickle=True, encoding="latin1")
    if "data" not in arrays:
        raise FormatError(path, f"missing key 'data'; found {sorted(names)} (expected P-STMO's "
                                "data_test_3dhp.npz layout)")
    data = arrays["data"]
    data = data.item() if data.dtype == object and data.shape == () else data
    if not isinstance(data, dict):
        raise FormatError(path, f"key 'data' holds {type(data).__name__}, expected a dict sequence -> arrays")
    odd = [k for k in data if not isinstance(k, str)]
    if odd:
        raise FormatError(path, f"key 'data' has the key {odd[0]!r} ({type(odd[0]).__name__}); expected "
                                "sequence names such as 'TS1'")
    return data


def _numbers(value, path: Path, where: str, expected: str, kinds: str = "iuf") -> np.ndarray:
    """``value`` as a numeric array, or a FormatError naming the entry and what was expected."""
    try:
        arr = np.asarray(value)
    except Exception as e:  # ragged lists and odd objects raise almost anything
        raise FormatError(path, f"{where} is not an array ({type(e).__name__}: {e}); "
                                f"expected {expected}") from None
    if arr.dtype.kind not in kinds:
        raise FormatError(path, f"{where} holds {arr.dtype} values; expected {expected}")
    return arr


def read_3dhp_test(path: str | Path, *, allow_pickle: bool = False, joints: int = 17, order: str = "mpi",
                   sequences: tuple[str, ...] | None = None, input_norm: str = "screen") -> MPI3DHPTest:
    """Read ``data_test_3dhp.npz`` (layout in the module docstring).

    Args:
        path: the npz.
        allow_pickle: must be ``True`` (the file holds a pickled dict).
        joints: 17, or 16 to drop Neck/Nose (for 16-joint models).
        order: ``"mpi"`` (the file is in 3DHP order, the usual case) or ``"h36m"`` (already remapped).
        sequences: read only these sequences (default: all in the file, sorted).
        input_norm: ``"screen"`` (per-sequence resolution, :data:`TEST_RESOLUTION`) or ``"bbox"``.

    Returns:
        an :class:`MPI3DHPTest`.

    Raises:
        FormatError: missing key or sequence, wrong shape, unknown sequence resolution, no valid frame.
    """
    path = Path(path)
    if joints not in (16, 17):
        raise SkelgnnError(f"joints must be 17 or 16, got {joints!r}")
    if order not in ("mpi", "h36m"):
        raise SkelgnnError(f"order must be 'mpi' or 'h36m', got {order!r}")
    data = _load(path, allow_pickle)
    names = sorted(data) if sequences is None else list(sequences)
    perm = list(MPI3DHP_TO_H36M17) if order == "mpi" else list(range(17))
    keep = [j for j in range(17) if joints == 17 or j != H36M_17.index("neck")]
    out = MPI3DHPTest(SequenceSet(), [], path)
    for name in names:
        if name not in data:
            raise FormatError(path, f"data has no sequence {name!r}; sequences: {sorted(data)}")
        seq = data[name]
        if not isinstance(seq, dict):
            raise FormatError(path, f"data[{name!r}] holds {type(seq).__name__}, expected a dict with "
                                    "'data_2d', 'data_3d', 'valid'")
        missing = [k for k in ("data_2d", "data_3d", "valid") if k not in seq]
        if missing:
            raise FormatError(path, f"data[{name!r}] lacks {missing}; keys: {sorted(seq, key=repr)}")
        where = f"data[{name!r}]"
        x2 = _numbers(seq["data_2d"], path, f"{where}['data_2d']", "(T, 17, 2) pixels").astype(np.float64)
        x3 = _numbers(seq["data_3d"], path, f"{where}['data_3d']", "(T, 17, 3) mm").astype(np.float64)
        valid = _numbers(seq["valid"], path, f"{where}['valid']", "(T,) flags 0/1",
                         kinds="biuf").reshape(-1).astype(bool)
        T = len(x3) if x3.ndim else 0
        if x3.ndim != 3 or x3.shape[1:] != (17, 3):
            raise FormatError(path, f"data[{name!r}]['data_3d'] has shape {x3.shape}, expected (T, 17, 3) mm")
        if x2.ndim != 3 or x2.shape[:2] != (T, 17) or x2.shape[2] < 2:
            raise FormatError(path, f"data[{name!r}]['data_2d'] has shape {x2.shape}, expected ({T}, 17, 2) "
                              "px")
        if len(valid) != T:
            raise FormatError(path, f"data[{name!r}]['valid'] has {len(valid)} entries for {T} frames")
        if not valid.any():
            raise FormatError(path, f"data[{name!r}]['valid'] marks no frame as valid")
        if name not in TEST_RESOLUTION:
            raise FormatError(path, f"data[{name!r}]: unknown test sequence (resolutions are known for "
                                    f"{list(TEST_RESOLUTION)})")
        w, h = TEST_RESOLUTION[name]
        x3 = x3[:, perm]
        x3 = x3 - x3[:, :1]
        x2 = normalize_input(x2[:, perm, :2][:, keep], input_norm, w, h)
        out.seqs.inputs.append(x2.astype(np.float32))
        out.seqs.targets.append(x3[:, keep].astype(np.float32))
        out.seqs.keys.append(f"{name}/test/0")
        out.seqs.classes.append(name)
        out.seqs.rare.append(np.zeros(T, dtype=bool))
        out.valid.append(valid)
    return out
