"""MPI-INF-3DHP test set (TS1–TS6) in the npz most lifters use, and PCK / AUC evaluation.

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
import torch

from ..errors import FormatError, SkelgnnError
from ..io import read_npz
from ..metrics import auc, mpjpe, pck
from ..normalization import normalize_input
from ..skeleton import H36M_17, Skeleton
from .lifting import SequenceSet

__all__ = ["MPI3DHP_JOINT_NAMES", "MPI3DHP_TO_H36M17", "TEST_SEQUENCES", "TEST_RESOLUTION", "PCK14_JOINTS",
           "MPI3DHPTest", "read_3dhp_test", "score_3dhp", "evaluate_3dhp", "format_3dhp_report"]

MPI3DHP_JOINT_NAMES: tuple[str, ...] = (
    "head_top", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "pelvis",
    "spine", "head",
)
"""The MPI-INF-3DHP 17-joint test order (root = pelvis at index 14)."""

MPI3DHP_TO_H36M17: tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)
"""For each joint of :data:`skelgnn.skeleton.H36M_17`, its index in the 3DHP order (see module docstring)."""

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
        raise FormatError(path, "the MPI-INF-3DHP npz stores a pickled dict under 'data'; pass allow_pickle=True "
                                "(CLI --allow-pickle), only for files you trust")
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
    except Exception as e:  # noqa: BLE001 - ragged lists and odd objects raise almost anything
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
            raise FormatError(path, f"data[{name!r}]['data_2d'] has shape {x2.shape}, expected ({T}, 17, 2) px")
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


def score_3dhp(preds: list[np.ndarray], test: MPI3DHPTest, joint_names: tuple[str, ...] | None = None) -> dict:
    """PCK@150 mm, AUC and MPJPE on the valid frames, per sequence and overall.

    Args:
        preds: one (T, J, 3) prediction in mm per sequence (re-centred on the pelvis here).
        test: the test set.
        joint_names: names of the J joints (default: Human3.6M 17, or 16 without "neck").

    Returns:
        ``{"per_sequence": {TS: {pck150, auc, pck150_14, auc_14, mpjpe, frames}}, "overall": {…}
        (pooled over every valid frame), "sequence_mean": {…} (mean over sequences)}``; PCK and AUC are
        percentages.
    """
    if len(preds) != len(test.seqs):
        raise SkelgnnError(f"{len(preds)} predictions for {len(test.seqs)} sequences")
    J = test.seqs.targets[0].shape[1]
    if joint_names is None:
        joint_names = H36M_17.joint_names if J == 17 else tuple(n for n in H36M_17.joint_names if n != "neck")
    sel14 = [joint_names.index(n) for n in PCK14_JOINTS]
    per: dict = {}
    pooled = {k: [] for k in ("pck150", "auc", "pck150_14", "auc_14", "mpjpe")}
    for p, t, v, key in zip(preds, test.seqs.targets, test.valid, test.seqs.keys):
        p = torch.from_numpy(np.asarray(p, dtype=np.float64))[torch.from_numpy(v)]
        t = torch.from_numpy(np.asarray(t, dtype=np.float64))[torch.from_numpy(v)]
        p, t = p - p[:, :1], t - t[:, :1]
        vals = {"pck150": 100 * pck(p, t, 150.0), "auc": 100 * auc(p, t),
                "pck150_14": 100 * pck(p[:, sel14], t[:, sel14], 150.0), "auc_14": 100 * auc(p[:, sel14], t[:, sel14]),
                "mpjpe": mpjpe(p, t)}
        name = key.split("/", 1)[0]
        per[name] = {k: float(x.mean()) for k, x in vals.items()}
        per[name]["frames"] = int(len(p))
        for k, x in vals.items():
            pooled[k].append(x)
    overall = {k: float(torch.cat(x).mean()) for k, x in pooled.items()}
    overall["frames"] = int(sum(r["frames"] for r in per.values()))
    seq_mean = {k: float(np.mean([r[k] for r in per.values()])) for k in pooled}
    return {"per_sequence": per, "overall": overall, "sequence_mean": seq_mean}


def evaluate_3dhp(model: torch.nn.Module, meta: dict, path: str | Path, *, allow_pickle: bool = False,
                  tta: bool = False, order: str = "mpi", chunk: int = 4096) -> dict:
    """Cross-dataset evaluation of a checkpoint on the MPI-INF-3DHP test set.

    Every frame is fed to the model (temporal models need the neighbours); only valid frames are scored.

    Args:
        model: from :func:`skelgnn.checkpoint.load_checkpoint`.
        meta: its checkpoint dict (skeleton with 17 or 16 joints, normalization).
        path: ``data_test_3dhp.npz``.
        allow_pickle: must be ``True`` (pickled layout).
        tta: test-time flip augmentation.
        order: joint order of the file (see :func:`read_3dhp_test`).

    Returns:
        :func:`score_3dhp`'s dict plus ``protocol`` (a description of every switch) and ``model``.
    """
    from ..evaluate import predict_sequences

    skeleton = Skeleton.from_dict(meta["skeleton"])
    if skeleton.num_joints not in (16, 17):
        raise SkelgnnError(f"the checkpoint's skeleton has {skeleton.num_joints} joints; 3DHP needs 17 or 16")
    norm = meta.get("normalization", {}).get("input", "screen")
    test = read_3dhp_test(path, allow_pickle=allow_pickle, joints=skeleton.num_joints, order=order, input_norm=norm)
    preds = predict_sequences(model, test.seqs, skeleton, tta=tta, chunk=chunk,
                              scale_mm=float(meta["normalization"]["target_scale_mm"]))
    report = score_3dhp(preds, test, skeleton.joint_names)
    report["protocol"] = {
        "dataset": "MPI-INF-3DHP test set (" + ", ".join(test.seqs.classes) + ")",
        "frames": "valid frames only (the file's 'valid' flags); every frame is fed to the model",
        "3D": "universal (height-normalised) annotations, mm, pelvis-relative; joints mapped to Human3.6M order",
        "2D input": f"the file's data_2d, normalised '{norm}' (screen: per sequence resolution, TS1-4 2048x2048, "
                    "TS5-6 1920x1080)",
        "test-time flip": "on" if tta else "off",
        "PCK": "share of joints closer than 150 mm (pck150: all joints incl. pelvis; pck150_14: 14 joints)",
        "AUC": "mean PCK over thresholds 0..149 mm in 1 mm steps",
        "averaging": "overall = pooled over all valid frames; sequence_mean = mean over sequences",
    }
    report["model"] = f"{meta['model']['name']} {meta['model'].get('kwargs', {})}"
    return report


def format_3dhp_report(report: dict, title: str = "MPI-INF-3DHP") -> str:
    """Markdown of :func:`evaluate_3dhp`'s dict: the protocol first, then PCK / AUC / MPJPE per sequence."""
    lines = [f"## {title}", "", "Protocol:"]
    lines += [f"- {k}: {v}" for k, v in report["protocol"].items()]
    lines += ["", ("| sequence | PCK@150 (%) | AUC (%) | PCK@150, 14 joints (%) | AUC, 14 joints (%) | MPJPE (mm) | "
                   "frames |"), "|---|---|---|---|---|---|---|"]

    def row(name: str, r: dict, frames) -> str:
        return (f"| {name} | {r['pck150']:.1f} | {r['auc']:.1f} | {r['pck150_14']:.1f} | {r['auc_14']:.1f} | "
                f"{r['mpjpe']:.1f} | {frames} |")

    for name, r in report["per_sequence"].items():
        lines.append(row(name, r, r["frames"]))
    lines.append(row("all (pooled over frames)", report["overall"], report["overall"]["frames"]))
    lines.append(row("mean over sequences", report["sequence_mean"], ""))
    return "\n".join(lines) + "\n"
