"""Fuzzing the file readers with hypothesis: bad input may only raise the library's own errors.

Property: whatever bytes a file holds, a reader either returns or raises a
:class:`~skelgnn.errors.SkelgnnError` subclass (``FileNotFoundError`` is allowed only for a missing
path, which these tests never pass). Inputs are valid files mutated (byte flips, truncation, line
deletion/duplication/swaps, token swaps and replacements by odd numbers, CRLF/CR line ends, Latin-1
bytes, random insertions), zip members of npz/checkpoint files mutated inside a valid container,
structurally odd but well-formed contents, and random text/bytes.

The regular suite runs a few dozen deterministic examples per reader. A dedicated run raises the count::

    SKELGNN_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz.py -p no:cacheprovider

and ``SKELGNN_FUZZ_SAVE=<folder>`` keeps the smallest failing input per (reader, exception, location).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import traceback
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skelgnn.checkpoint import load_checkpoint, make_checkpoint, read_checkpoint
from skelgnn.data.asf_amc import read_amc, read_asf
from skelgnn.data.bvh import read_bvh
from skelgnn.data.hdm05_files import LIFT_FILE, load_benchmark
from skelgnn.data.vp3d import read_vp3d_2d, read_vp3d_3d
from skelgnn.errors import CheckpointError, SkelgnnError
from skelgnn.models import build
from skelgnn.skeleton import H36M_17

_ENV = os.environ.get("SKELGNN_FUZZ_EXAMPLES", "").strip()
EXAMPLES = int(_ENV) if _ENV else 60
SAVE = os.environ.get("SKELGNN_FUZZ_SAVE")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not _ENV, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)

HDM05 = Path(__file__).resolve().parents[2] / "shared" / "data" / "hdm05"

# ---------------------------------------------------------------------------------------- seeds
ASF_SEED = """\
# fuzz seed: root, a two-bone chain with a branch
:version 1.10
:name FUZZ
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
  any text
:root
  order TX TY TZ RX RY RZ
  axis XYZ
  position 0 0 0
  orientation 0 0 0
:bonedata
  begin
    id 1
    name hip
    direction 1 0 0
    length 1.5
    axis 0 0 0 XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-60.0 70.0)
  end
  begin
    id 2
    name knee
    direction 0 -1 0
    length 7.0
    axis 0 0 20 XYZ
    dof rx
    limits (-10.0 170.0)
  end
  begin
    id 3
    name spine
    direction 0 1 0
    length 2.0
    axis 0 0 0 ZYX
    dof rz ry
    limits (-30.0 30.0)
           (-20.0 20.0)
  end
  begin
    id 4
    name toe
    direction 0 0 1
    length 0.5
    axis 0 0 0 XYZ
  end
:hierarchy
  begin
    root hip spine
    hip knee
    knee toe
  end
"""

AMC_SEED = """\
#!OML:ASF fuzz.asf
:FULLY-SPECIFIED
:DEGREES
1
root 1.5 17.0 -4.25 10 20 30
hip -20.5 3.0 4.0
knee 45
spine 1e-3 -2.5
2
root 1.6 17.1 -4.2 11 21 31
knee 46.5
hip -21 3.5 4.5
spine 0 0
3
root 1.7 17.2 -4.1 12 22 32
hip -22 4 5
knee 47
spine -1 2.5E+00
"""

BVH_SEED = """\
HIERARCHY
ROOT Hips
{
\tOFFSET 0.00 0.00 0.00
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT LeftUpLeg
\t{
\t\tOFFSET 3.5 -1.0 0.0
\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\tJOINT LeftLeg
\t\t{
\t\t\tOFFSET 0 -17.5 0
\t\t\tCHANNELS 3 Zrotation Xrotation Yrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0 -16 0
\t\t\t}
\t\t}
\t}
\tJOINT Spine
\t{
\t\tOFFSET 0 5 0
\t\tCHANNELS 4 Yposition Zrotation Xrotation Yrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 6 0
\t\t}
\t}
}
MOTION
Frames: 3
Frame Time: 0.0083333
0 35 0 0 0 0  10 -5 2  30 0 0  5 1 2 3
0.5 35.1 0.2 1 2 3  11 -4 2  31 0 1  5.1 1 2 3
1.0 35.2 0.4 2 4 6  12 -3 2  32 0 2  5.2 -1 -2 -3
"""

NUMBERS = ["0", "-0", "1", "-1", "0.5", "1e309", "-1e309", "nan", "-nan", "inf", "-Infinity", "1e-320", "1e5",
           "99999999999999999999", "9" * 5000, "0x1F", "1,5", "1_000", "", ".", "-", "+", "e", "1e", "--1",
           "\u00b2", "\u00b3", "\u00b9", "\u00bd", "1\u00a02", "007", "2147483648", "-2147483649", "1.5.5"]
WORDS = ["begin", "end", "root", ":root", ":bonedata", ":hierarchy", ":units", ":DEGREES", ":RADIANS",
         "order", "axis", "dof", "name", "direction", "length", "limits", "ROOT", "JOINT", "End", "Site",
         "{", "}",
         "OFFSET", "CHANNELS", "MOTION", "HIERARCHY", "Frames:", "Frame", "Time:", "Xrotation", "Yposition",
         "XYZ", "ZZZ", "rx", "tx", "l", "(", ")", "#", "\x00", "\t", "\u00e9", "\u00ff"]


class Blob(bytes):
    """File contents with a short repr (hypothesis prints it; SKELGNN_FUZZ_SAVE keeps the file)."""

    def __repr__(self) -> str:
        import hashlib

        head = bytes(self[:160])
        return f"Blob(len={len(self)}, sha1={hashlib.sha1(self).hexdigest()[:12]}, head={head!r})"


def _latin1(s: str) -> bytes:
    return s.encode("latin-1")


# ---------------------------------------------------------------------------------------- text mutations
_text_chars = st.characters(max_codepoint=255)
_token = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(WORDS),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
                   st.text(_text_chars, max_size=8))


def _tokens_of(lines: list[str]) -> list[tuple[int, int]]:
    return [(i, k) for i, line in enumerate(lines) for k in range(len(line.split()))]


@st.composite
def _text_op(draw, text: str) -> str:
    """One mutation of a Latin-1 text (one char per byte)."""
    op = draw(st.sampled_from(["flip", "truncate", "del_line", "dup_line", "swap_lines", "replace_token",
                               "swap_tokens", "line_ends", "latin1", "insert", "delete_range", "prefix",
                               "digit"]))
    n = len(text)
    pos = draw(st.integers(0, n)) if n else 0
    lines = text.split("\n")
    if op == "flip" and n:
        return text[:min(pos, n - 1)] + chr(draw(st.integers(0, 255))) + text[min(pos, n - 1) + 1:]
    if op == "truncate":
        return text[:pos]
    if op == "digit":  # a digit becomes an odd number: counts and frame numbers are digits too
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if digits:
            i = draw(st.sampled_from(digits))
            return text[:i] + draw(st.sampled_from(NUMBERS)) + text[i + 1:]
    if op == "del_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "\n".join(lines)
    if op == "dup_line":
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines)))
        lines.insert(j, lines[i])
        return "\n".join(lines)
    if op == "swap_lines":
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    where = _tokens_of(lines)
    if op == "replace_token" and where:
        i, k = draw(st.sampled_from(where))
        parts = lines[i].split()
        parts[k] = draw(_token)
        lines[i] = " ".join(parts)
        return "\n".join(lines)
    if op == "swap_tokens" and len(where) > 1:
        (i, k), (j, m) = draw(st.sampled_from(where)), draw(st.sampled_from(where))
        a, b = lines[i].split(), lines[j].split()
        if i == j:
            a[k], a[m] = a[m], a[k]
            lines[i] = " ".join(a)
        else:
            a[k], b[m] = b[m], a[k]
            lines[i], lines[j] = " ".join(a), " ".join(b)
        return "\n".join(lines)
    if op == "line_ends":
        return text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n\n", "\n\r"])))
    if op == "latin1":
        extra = draw(st.text(st.characters(min_codepoint=128, max_codepoint=255), min_size=1, max_size=4))
        return text[:pos] + extra + text[pos:]
    if op == "insert":
        return text[:pos] + draw(st.one_of(_token, st.text(_text_chars, max_size=30))) + text[pos:]
    if op == "delete_range":
        return text[:pos] + text[pos + draw(st.integers(1, 200)):]
    if op == "prefix":
        bom = "\ufeff".encode("utf-8").decode("latin-1")
        return draw(st.sampled_from([bom, "\x00", " ", "\n", "\xff\xfe"])) + text
    return text


@st.composite
def mutated_text(draw, seeds: list[str]) -> bytes:
    """Bytes of a mutated seed text, or of random text/bytes/token soup."""
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return Blob(draw(st.binary(max_size=2000)))
    if kind == 1:
        return Blob(draw(st.text(max_size=2000)).encode("utf-8", "surrogatepass"))
    if kind == 2:  # lines of tokens from the formats' vocabularies
        lines = draw(st.lists(st.lists(_token, max_size=8).map(" ".join), max_size=60))
        return Blob(_latin1("\n".join(lines)))
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        text = draw(_text_op(text))
    return Blob(_latin1(text))


# ---------------------------------------------------------------------------------------- binary mutations
def _zip_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def _zip_bytes(members: list[tuple[str, bytes]], compressed: bool) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as zf:
            for name, blob in members:
                zf.writestr(name, blob)
    return buf.getvalue()


NPY_DESCR = ["'<f4'", "'<f8'", "'|O'", "'<U5'", "'|b1'", "'<i8'", "'>f4'", "'<c8'", "'|V8'", "'<M8[s]'",
             "'xx'", "[('a', '<f4')]", "None"]
NPY_SHAPE = ["()", "(0,)", "(3,)", "(-1,)", "(2, 17, 3)", "(1, 1, 1, 1, 1)", "(10**3,)", "(1000000000000,)",
             "(4, 'a')", "(2.5,)", "[3]"]


@st.composite
def _bytes_op(draw, blob: bytes) -> bytes:
    op = draw(st.sampled_from(["flip", "truncate", "insert", "delete_range", "npy_header"]))
    n = len(blob)
    pos = draw(st.integers(0, max(n - 1, 0)))
    if op == "flip" and n:
        return blob[:pos] + bytes([draw(st.integers(0, 255))]) + blob[pos + 1:]
    if op == "truncate":
        return blob[:pos]
    if op == "insert":
        return blob[:pos] + draw(st.binary(min_size=1, max_size=16)) + blob[pos:]
    if op == "delete_range":
        return blob[:pos] + blob[pos + draw(st.integers(1, 64)):]
    if op == "npy_header" and blob.startswith(b"\x93NUMPY"):
        start = 10 if blob[6] == 1 else 12
        head_len = int.from_bytes(blob[8:start], "little")
        header = blob[start:start + head_len].decode("latin-1")
        field = draw(st.sampled_from(["descr", "shape", "fortran_order"]))
        value = {"descr": st.sampled_from(NPY_DESCR), "shape": st.sampled_from(NPY_SHAPE),
                 "fortran_order": st.sampled_from(["True", "False", "1", "'x'"])}[field]
        new = "{" + ", ".join(f"'{k}': {draw(value) if k == field else v}" for k, v in
                              (("descr", "'<f4'"), ("fortran_order", "False"), ("shape", "(3,)"))) + "}"
        if draw(st.booleans()):  # keep the other fields of the real header
            import ast

            try:
                d = ast.literal_eval(header.strip())
                d_text = {"descr": repr(d["descr"]), "fortran_order": repr(d["fortran_order"]),
                          "shape": repr(d["shape"])}
                d_text[field] = draw(value)
                new = "{" + ", ".join(f"'{k}': {v}" for k, v in d_text.items()) + "}"
            except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
                pass  # a header that is no dict literal keeps the fresh one
        new = new.ljust(((len(new) + start + 1 + 63) // 64) * 64 - start - 1) + "\n"
        size = len(new).to_bytes(2 if blob[6] == 1 else 4, "little")
        return blob[:8] + size + new.encode("latin-1") + blob[start + head_len:]
    return blob


@st.composite
def mutated_zip(draw, seeds: list[bytes], compressed: bool) -> bytes:
    """A mutated zip (npz or torch checkpoint): raw-byte or member-level mutations."""
    data = draw(st.sampled_from(seeds))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return Blob(draw(st.binary(max_size=2000)))
    if kind <= 3:  # raw bytes of the container
        for _ in range(draw(st.integers(1, 4))):
            data = draw(_bytes_op(data))
        return Blob(data)
    members = _zip_members(data)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(members) - 1)) if members else 0
        op = draw(st.sampled_from(["member", "member", "member", "drop", "dup", "rename"]))
        if not members:
            break
        name, blob = members[i]
        if op == "member":
            members[i] = (name, draw(_bytes_op(blob)))
        elif op == "drop":
            del members[i]
        elif op == "dup":
            members.insert(draw(st.integers(0, len(members))), (name, blob))
        else:
            names = [m for m, _ in members] + ["x.npy", "a/../b.npy", "positions_3d", "archive/data.pkl"]
            members[i] = (draw(st.sampled_from(names)), blob)
    return Blob(_zip_bytes(members, compressed and draw(st.booleans())))


# ---------------------------------------------------------------------------------------- the property
def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "skelgnn" in f.filename and "tests" not in f.filename]
    f = ours[-1] if ours else frames[-1]
    g = frames[-1]
    return f"{Path(f.filename).name}:{f.lineno}" + ("" if g is f else f"->{Path(g.filename).name}:{g.lineno}")


COLLECTED: dict[str, dict[str, int]] = {}  # target -> failure key -> count (collect mode only)
CALLS: dict[str, int] = {}


def _save_failure(target: str, path: Path, exc: BaseException) -> str:
    folder = Path(SAVE)
    folder.mkdir(parents=True, exist_ok=True)
    key = f"{target}--{type(exc).__name__}--{_where(exc)}"
    stem = key.replace("/", "_").replace(":", "_").replace(">", "")
    dest = folder / (stem + path.suffix)
    size = path.stat().st_size if path.is_file() else 0
    if not dest.exists() or size < dest.stat().st_size:
        if path.is_file():
            shutil.copyfile(path, dest)
        (folder / (stem + ".txt")).write_text(
            f"{target}: {type(exc).__name__}: {exc}\n\n" + "".join(traceback.format_exception(exc)))
    return key


def check_reader(target: str, path: Path, call) -> None:
    """Run ``call()``; only SkelgnnError may escape.

    Normally anything else propagates (hypothesis shrinks and reports it). In collect mode
    (``SKELGNN_FUZZ_SAVE`` set) every failure is recorded, its smallest input saved, and the run goes on.
    """
    CALLS[target] = CALLS.get(target, 0) + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    except SkelgnnError:
        pass
    except Exception as exc:
        if not SAVE:
            raise
        key = _save_failure(target, path, exc)
        found = COLLECTED.setdefault(target, {})
        found[key] = found.get(key, 0) + 1


def run_collecting(target: str, fuzz, **fixtures) -> None:
    """Run the hypothesis test ``fuzz``; in collect mode, fail at the end listing every distinct failure."""
    import json

    COLLECTED.pop(target, None)
    CALLS[target] = 0
    fuzz(**fixtures)
    found = COLLECTED.get(target, {})
    if SAVE:
        Path(SAVE).mkdir(parents=True, exist_ok=True)
        summary = {"target": target, "examples": CALLS[target], "failing_examples": sum(found.values()),
                   "distinct": found}
        (Path(SAVE) / f"summary-{target}.json").write_text(json.dumps(summary, indent=1))
    listing = "; ".join(f"{k} x{n}" for k, n in sorted(found.items()))
    assert not found, f"{target}: {sum(found.values())} of {CALLS[target]} inputs raised: {listing}"


# ---------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _real_asf() -> list[str]:
    p = HDM05 / "asf" / "HDM_bd.asf"
    return [p.read_bytes().decode("latin-1")] if p.is_file() else []


def _real_amc() -> list[str]:
    """The header and first three frames of a real HDM05 AMC (for HDM_bd.asf)."""
    p = HDM05 / "amc" / "HDM_bd_hopBothLegs1hops_001_120.amc"
    if not p.is_file():
        return []
    lines, frames = [], 0
    for line in p.read_bytes().decode("latin-1").split("\n"):
        if line.strip().isdigit():
            frames += 1
            if frames > 3:
                break
        lines.append(line)
    return ["\n".join(lines) + "\n"]


ASF_SEEDS = [ASF_SEED] + _real_asf()
AMC_PAIRS = [(ASF_SEED, AMC_SEED)] + list(zip(_real_asf(), _real_amc(), strict=False))


@pytest.fixture(scope="module")
def amc_skeletons(work) -> list:
    out = []
    for i, (asf, _) in enumerate(AMC_PAIRS):
        p = work / f"seed{i}.asf"
        p.write_bytes(_latin1(asf))
        out.append(read_asf(p))
    return out


def test_seeds_are_valid(work, amc_skeletons):
    for text in ASF_SEEDS:
        (work / "s.asf").write_bytes(_latin1(text))
        read_asf(work / "s.asf")
    for (_, amc), asf in zip(AMC_PAIRS, amc_skeletons, strict=True):
        (work / "s.amc").write_bytes(_latin1(amc))
        assert read_amc(work / "s.amc", asf).frame_numbers.tolist() == [1, 2, 3]
    (work / "s.bvh").write_bytes(_latin1(BVH_SEED))
    assert read_bvh(work / "s.bvh").num_frames == 3


# The dedicated run found escapes in read_vp3d_3d/2d and load_benchmark (unpickling, npy header, zlib and
# shape errors); both readers now turn any decoding error into FormatError, and these tests guard that.


# ---------------------------------------------------------------------------------------- text readers
@FUZZ
@given(data=mutated_text(ASF_SEEDS))
def _fuzz_read_asf(work, data):
    path = work / "fuzz.asf"
    path.write_bytes(data)
    check_reader("read_asf", path, lambda: read_asf(path))


def test_fuzz_read_asf(work):
    run_collecting("read_asf", _fuzz_read_asf, work=work)


@FUZZ
@given(pair=st.integers(0, len(AMC_PAIRS) - 1), choice=st.data())
def _fuzz_read_amc(work, amc_skeletons, pair, choice):
    data = choice.draw(mutated_text([AMC_PAIRS[pair][1]]))
    path = work / "fuzz.amc"
    path.write_bytes(data)
    check_reader("read_amc", path, lambda: read_amc(path, amc_skeletons[pair]))


def test_fuzz_read_amc(work, amc_skeletons):
    run_collecting("read_amc", _fuzz_read_amc, work=work, amc_skeletons=amc_skeletons)


@FUZZ
@given(data=mutated_text([BVH_SEED]))
def _fuzz_read_bvh(work, data):
    path = work / "fuzz.bvh"
    path.write_bytes(data)
    check_reader("read_bvh", path, lambda: read_bvh(path))


def test_fuzz_read_bvh(work):
    run_collecting("read_bvh", _fuzz_read_bvh, work=work)


# ---------------------------------------------------------------------------------------- VideoPose3D npz
def _obj(value) -> np.ndarray:
    arr = np.empty((), dtype=object)
    arr[()] = value
    return arr


def _vp3d_seeds() -> tuple[bytes, bytes]:
    rng = np.random.default_rng(0)
    pos3d = {"S1": {"walk": rng.normal(size=(4, 17, 3)).astype(np.float32)},
             "S5": {"sit": rng.normal(size=(2, 17, 3)).astype(np.float32),
                    "eat": np.zeros((1, 17, 3), np.float32)}}
    cams = {"S1": {"walk": [{"name": "c0", "R": np.eye(3).tolist()}]}}
    pos2d = {"S1": {"walk": [rng.normal(size=(4, 17, 2)).astype(np.float32) for _ in range(2)]}}
    meta = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6], [1, 2, 3]], "res_w": 1000}
    b3, b2 = io.BytesIO(), io.BytesIO()
    np.savez(b3, positions_3d=_obj(pos3d), cameras=_obj(cams))
    np.savez(b2, positions_2d=_obj(pos2d), metadata=_obj(meta))
    return b3.getvalue(), b2.getvalue()


VP3D_3D, VP3D_2D = _vp3d_seeds()
_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    st.tuples(st.lists(st.integers(0, 4), max_size=4),
              st.sampled_from(["f4", "f8", "i4", "U3", "O", "c8", "b1"]))
    .map(lambda s: np.zeros(tuple(s[0]), dtype=s[1])),
    st.sampled_from([np.zeros((2, 17, 3), np.float32), np.full((1, 17, 3), "x"),
                     np.zeros((2, 17, 2), np.float32), np.zeros((1, 16, 2), np.float64), np.array([1, 2])]),
)
_tree = st.recursive(_leaf, lambda c: st.one_of(st.lists(c, max_size=3), st.tuples(c, c),
                                                st.dictionaries(st.text(max_size=3), c, max_size=3)),
                     max_leaves=12)


@st.composite
def vp3d_structure(draw, two_d: bool) -> bytes:
    """A well-formed npz whose pickled contents are odd (wrong types, shapes, dtypes, ragged lists)."""
    key = "positions_2d" if two_d else "positions_3d"
    actions = st.dictionaries(st.text(max_size=3), _tree, max_size=2)
    value = draw(st.one_of(_tree, st.dictionaries(st.text(max_size=3), actions, max_size=2)))
    arrays = {key: _obj(value) if draw(st.booleans()) else np.asarray(draw(_leaf), dtype=object)}
    if two_d:
        meta = draw(st.one_of(_tree, st.fixed_dictionaries({"num_joints": _leaf}, optional={"x": _tree})))
        arrays["metadata"] = _obj(meta)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return Blob(buf.getvalue())


@FUZZ
@given(data=st.one_of(mutated_zip([VP3D_3D], compressed=False), vp3d_structure(two_d=False)))
def _fuzz_read_vp3d_3d(work, data):
    path = work / "data_3d_fuzz.npz"
    path.write_bytes(data)
    check_reader("read_vp3d_3d", path, lambda: read_vp3d_3d(path, allow_pickle=True))


def test_fuzz_read_vp3d_3d(work):
    run_collecting("read_vp3d_3d", _fuzz_read_vp3d_3d, work=work)


@FUZZ
@given(data=st.one_of(mutated_zip([VP3D_2D], compressed=False), vp3d_structure(two_d=True)))
def _fuzz_read_vp3d_2d(work, data):
    path = work / "data_2d_fuzz.npz"
    path.write_bytes(data)
    check_reader("read_vp3d_2d", path, lambda: read_vp3d_2d(path, allow_pickle=True))


def test_fuzz_read_vp3d_2d(work):
    run_collecting("read_vp3d_2d", _fuzz_read_vp3d_2d, work=work)


# ---------------------------------------------------------------------------------------- HDM05-Lift
def _lift_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    N, C = 5, 2
    return {
        "clip_keys": np.array(["bd/HDM_bd_a_001_120", "mm/HDM_mm_b_002_120"]),
        "clip_actor": np.array(["bd", "mm"]),
        "clip_class": np.array(["a", "b"]), "clip_split": np.array(["train", "test"]),
        "clip_start": np.array([0, 3]), "clip_length": np.array([3, 2]),
        "joints_world": rng.normal(size=(N, 17, 3)).astype(np.float32),
        "joints_2d_gt": rng.normal(size=(4, N, 17, 2)).astype(np.float32),
        "joints_2d_noisy": rng.normal(size=(4, N, 17, 2)).astype(np.float32),
        "clip_of_frame": np.array([0, 0, 0, 1, 1]), "cam_R": np.tile(np.eye(3), (C, 4, 1, 1)),
        "cam_center": rng.normal(size=(C, 4, 3)), "cam_f": np.full((C, 4, 2), 1000.0),
        "cam_c": np.full((C, 4, 2), 500.0), "rare_distance": np.array([np.nan, np.nan, np.nan, 10.0, 20.0]),
        "rare20": np.array([0, 0, 0, 0, 1], bool),
        "image_size": np.array([1000, 1000]), "spec": np.array("HDM05-Lift spec v1"),
    }


def _lift_seed() -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **_lift_arrays())
    return buf.getvalue()


LIFT_SEED = _lift_seed()
_odd_array = st.one_of(
    st.tuples(st.lists(st.integers(0, 5), max_size=4), st.sampled_from(["f4", "f8", "i8", "U4", "b1", "c8"]))
    .map(lambda s: np.ones(tuple(s[0]), dtype=s[1])),
    st.sampled_from([np.array(7), np.array([1000]), np.array([1000, 1000, 3]), np.array(["a", "b"]),
                     np.array([1e300, 1e300]), np.array([-5, 0]), np.array([np.nan, 1.0]), np.zeros((2, 2))]),
)


@st.composite
def lift_structure(draw) -> bytes:
    """A well-formed npz with fields dropped or replaced by arrays of odd shape/dtype."""
    arrays = _lift_arrays()
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(arrays) + ["image_size"] * 3))
        if draw(st.integers(0, 3)) == 0:
            arrays.pop(key, None)
        else:
            arrays[key] = draw(_odd_array)
    buf = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(buf, **arrays)
    return Blob(buf.getvalue())


@FUZZ
@given(data=st.one_of(mutated_zip([LIFT_SEED], compressed=True), lift_structure()))
def _fuzz_load_benchmark(work, data):
    folder = work / "lift"
    folder.mkdir(exist_ok=True)
    (folder / LIFT_FILE).write_bytes(data)
    check_reader("load_benchmark", folder / LIFT_FILE, lambda: load_benchmark(folder))


def test_fuzz_load_benchmark(work):
    run_collecting("load_benchmark", _fuzz_load_benchmark, work=work)


# ---------------------------------------------------------------------------------------- checkpoints
def _ckpt_dict() -> dict:
    torch.manual_seed(0)
    kwargs = {"channels": 8, "num_blocks": 1}
    return make_checkpoint("fc", kwargs, H36M_17, build("fc", H36M_17, **kwargs),
                           metrics={"val_mpjpe": 50.0}, config={"train": {"epochs": 1}})


def _ckpt_bytes(ckpt: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    return buf.getvalue()


CKPT_SEED = _ckpt_bytes(_ckpt_dict())
_ckpt_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(),
                       st.text(max_size=6),
                       st.sampled_from([torch.zeros(2), torch.zeros(3, 3, dtype=torch.int64),
                                        torch.tensor(1.5)]))
_ckpt_tree = st.recursive(
    _ckpt_leaf,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=4), c, max_size=3)),
    max_leaves=8)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


@contextlib.contextmanager
def _memory_cap(extra_bytes: int):
    """Limit the address space to its current size + ``extra_bytes`` (Linux; no-op elsewhere)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * resource.getpagesize()
    except (ImportError, OSError, ValueError):
        yield
        return
    cap = used + extra_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@st.composite
def ckpt_structure(draw) -> bytes:
    """A well-formed checkpoint file whose dict has entries replaced, dropped or added."""
    ckpt = _ckpt_dict()
    ckpt["model"]["kwargs"] = dict(ckpt["model"]["kwargs"])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from([p for p in _paths(ckpt) if p]))
        parent = ckpt
        for k in where[:-1]:
            parent = parent[k]
        op = draw(st.integers(0, 4))
        if op == 0 and isinstance(parent, dict):
            del parent[where[-1]]
        elif op == 1 and isinstance(parent, dict):
            parent[draw(st.text(max_size=4))] = draw(_ckpt_tree)
        else:
            parent[where[-1]] = draw(_ckpt_tree)
    return Blob(_ckpt_bytes(ckpt))


@FUZZ
@given(data=st.one_of(mutated_zip([CKPT_SEED], compressed=False), ckpt_structure()))
def _fuzz_read_checkpoint(work, data):
    path = work / "fuzz.pt"
    path.write_bytes(data)
    check_reader("read_checkpoint", path, lambda: read_checkpoint(path))


def test_fuzz_read_checkpoint(work):
    run_collecting("read_checkpoint", _fuzz_read_checkpoint, work=work)


@FUZZ
@given(data=ckpt_structure())
def _fuzz_load_checkpoint(work, data):
    """Checkpoints that torch reads but whose contents are odd: load_checkpoint must say CheckpointError."""
    path = work / "fuzz_load.pt"
    path.write_bytes(data)
    with _memory_cap(4 << 30):  # mutated kwargs such as channels=50000 build models of many GB
        check_reader("load_checkpoint", path, lambda: load_checkpoint(path))


def test_fuzz_load_checkpoint(work):
    run_collecting("load_checkpoint", _fuzz_load_checkpoint, work=work)


# ---------------------------------------------------------------------------------------- regressions
AMC_ONE_FRAME = "1\nroot 0 0 0 0 0 0\nhip 0 0 0\nknee 0\nspine 0 0\n"


@pytest.mark.parametrize("bad", ["\u00b9", "\u00b2", "9" * 19, "9" * 5000],
                         ids=["sup1", "sup2", "19dig", "5000dig"])
def test_amc_odd_frame_numbers(work, amc_skeletons, bad):
    """Latin-1 superscripts pass str.isdigit() but not int(); int() refuses > 4300 digits; int64 holds 18."""
    path = work / "odd.amc"
    path.write_bytes(_latin1(AMC_ONE_FRAME.replace("1\n", bad + "\n", 1)))
    with pytest.raises(SkelgnnError):
        read_amc(path, amc_skeletons[0])


@pytest.mark.parametrize("old,new", [("CHANNELS 3", "CHANNELS \u00b3"), ("Frames: 3", "Frames: \u00b3"),
                                     ("CHANNELS 3", "CHANNELS " + "3" * 5000),
                                     ("Frames: 3", "Frames: " + "3" * 5000)],
                         ids=["channels-sup3", "frames-sup3", "channels-5000dig", "frames-5000dig"])
def test_bvh_odd_counts(work, old, new):
    path = work / "odd.bvh"
    path.write_bytes(_latin1(BVH_SEED.replace(old, new, 1)))
    with pytest.raises(SkelgnnError):
        read_bvh(path)


@pytest.mark.parametrize("data", [b"\x80", b"up", b"J\x17", b"\x85\x1b", b"\x81\xa7{", b"s\xeb\xa3\x927"])
def test_checkpoint_tiny_corrupt_files(work, data):
    """Non-zip bytes go to torch's weights-only unpickler, which raised IndexError / struct.error."""
    path = work / "tiny.pt"
    path.write_bytes(data)
    with pytest.raises(CheckpointError):
        read_checkpoint(path)


@pytest.mark.parametrize("where,value", [
    (("format",), torch.ones(2)), (("skeleton", "parents"), ["\u00ae"] * 17),
    (("skeleton", "parents"), [float("inf")] * 17), (("skeleton", "left"), [torch.zeros(2)]),
    (("model",), torch.zeros(2)),
], ids=["format-tensor", "parents-str", "parents-inf", "left-tensor", "model-tensor"])
@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: indexing a tensor with a str
def test_checkpoint_odd_entries(work, where, value):
    ckpt = _ckpt_dict()
    parent = ckpt
    for k in where[:-1]:
        parent = parent[k]
    parent[where[-1]] = value
    path = work / "odd.pt"
    path.write_bytes(_ckpt_bytes(ckpt))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


# ---------------------------------------------------------------------------------------- missing paths
def test_missing_paths(work, amc_skeletons):
    missing = work / "does-not-exist"
    for call in (lambda: read_asf(missing), lambda: read_amc(missing, amc_skeletons[0]),
                 lambda: read_bvh(missing), lambda: read_vp3d_3d(missing, allow_pickle=True),
                 lambda: read_vp3d_2d(missing, allow_pickle=True), lambda: load_benchmark(missing),
                 lambda: read_checkpoint(missing)):
        with pytest.raises((FileNotFoundError, SkelgnnError)):
            call()
