"""Fuzzing the file readers with hypothesis: bad input may only raise the library's own errors.

Property: whatever bytes a file holds, a reader either returns or raises a
:class:`~skelgnn.core.errors.SkelgnnError` subclass (``FileNotFoundError`` is allowed only for a missing
path, which these tests never pass). Inputs are valid files mutated (byte flips, truncation, line
deletion/duplication/swaps, token swaps and replacements by odd numbers, CRLF/CR line ends, Latin-1
bytes, random insertions), zip members of npz/checkpoint files mutated inside a valid container,
structurally odd but well-formed contents, and random text/bytes.

The regular suite runs a few dozen deterministic examples per reader. A dedicated run raises the count::

    SKELGNN_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz.py -p no:cacheprovider

and ``SKELGNN_FUZZ_SAVE=<folder>`` keeps the smallest failing input per (reader, exception, location).

The property alone would hold for a reader that rejects everything, so each fuzz test first reads every
unmodified seed with the same call and checks what it returns (its ``@seed_check``), and
``test_a_reader_that_rejects_everything_fails_its_fuzz_test`` proves that each one fails for such a
reader.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
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

from skelgnn.core.errors import CheckpointError, FormatError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.amc import read_amc
from skelgnn.data.asf_amc import read_asf
from skelgnn.data.bvh import read_bvh
from skelgnn.data.h36m import CAMERA_IDS
from skelgnn.data.hdm05_files import LIFT_FILE, load_benchmark
from skelgnn.data.mmpose_h36m import read_mmpose_h36m
from skelgnn.data.mpi3dhp import read_3dhp_test
from skelgnn.data.vp3d import read_vp3d_2d, read_vp3d_3d
from skelgnn.keypoints import LAYOUTS, read_keypoints
from skelgnn.lifting.checkpoint import load_checkpoint, make_checkpoint, read_checkpoint
from skelgnn.models import build

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


def _write(path: Path, data: str | bytes) -> Path:
    """Write a seed (text as Latin-1) and return its path."""
    path.write_bytes(_latin1(data) if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------------------------------- text mutations
_text_chars = st.characters(max_codepoint=255)
_token = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(WORDS),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
                   st.text(_text_chars, max_size=8))


def _tokens_of(lines: list[str]) -> list[tuple[int, int]]:
    return [(i, k) for i, line in enumerate(lines) for k in range(len(line.split()))]


@st.composite
def _text_op(draw, text: str, tokens=_token) -> str:
    """One mutation of a Latin-1 text (one char per byte); ``tokens`` replace and insert tokens."""
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
        parts[k] = draw(tokens)
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
        return text[:pos] + draw(st.one_of(tokens, st.text(_text_chars, max_size=30))) + text[pos:]
    if op == "delete_range":
        return text[:pos] + text[pos + draw(st.integers(1, 200)):]
    if op == "prefix":
        bom = "\ufeff".encode("utf-8").decode("latin-1")
        return draw(st.sampled_from([bom, "\x00", " ", "\n", "\xff\xfe"])) + text
    return text


@st.composite
def mutated_text(draw, seeds: list[str], words: tuple[str, ...] = ()) -> bytes:
    """Bytes of a mutated seed text, or of random text/bytes/token soup.

    ``words``: the format's own vocabulary, added to :data:`NUMBERS`/:data:`WORDS` for token replacements
    and insertions (JSON literals and keys, CSV column names, ...).
    """
    tokens = st.one_of(_token, st.sampled_from(words)) if words else _token
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return Blob(draw(st.binary(max_size=2000)))
    if kind == 1:
        return Blob(draw(st.text(max_size=2000)).encode("utf-8", "surrogatepass"))
    if kind == 2:  # lines of tokens from the formats' vocabularies
        lines = draw(st.lists(st.lists(tokens, max_size=8).map(" ".join), max_size=60))
        return Blob(_latin1("\n".join(lines)))
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        text = draw(_text_op(text, tokens))
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
    if op == "npy_header" and blob.startswith(b"\x93NUMPY") and len(blob) >= 10:  # magic, version, length
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


SEED_CHECKS: dict[str, object] = {}  # target -> its seed check (see seed_check)


def seed_check(target: str):
    """Register ``fn(**fixtures)`` as ``target``'s seed check: it writes every unmodified seed the fuzzing
    starts from, reads it with the fuzz test's own call, and asserts what the reader returns (shapes,
    frames). Any exception, the library's own errors included, fails the fuzz test."""
    def register(fn):
        SEED_CHECKS[target] = fn
        return fn
    return register


def run_collecting(target: str, fuzz, **fixtures) -> None:
    """Check that the reader accepts its seeds, then run the hypothesis test ``fuzz``; in collect mode, fail
    at the end listing every distinct failure."""
    import json

    assert target in SEED_CHECKS, f"{target}: no @seed_check (the fuzz test must prove the seeds are read)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SEED_CHECKS[target](**fixtures)
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


def test_real_hdm05_seeds_are_fuzzed(hdm05_dir):
    """The real ASF/AMC seeds come from ../shared: without it the fuzzing runs on the synthetic seeds only,
    so this test skips naming the path (and fails in CI, where SKELGNN_REQUIRE_SHARED=1)."""
    assert (hdm05_dir / "asf" / "HDM_bd.asf").resolve() == (HDM05 / "asf" / "HDM_bd.asf").resolve()
    assert len(ASF_SEEDS) == 2 and len(AMC_PAIRS) == 2


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


@seed_check("read_asf")
def _asf_seeds(work):
    path = work / "fuzz.asf"
    for text, bones in zip(ASF_SEEDS, [4, 30], strict=False):  # the seed, and HDM_bd.asf when present
        path.write_bytes(_latin1(text))
        asf = read_asf(path)
        assert len(asf.bones) == bones and asf.length_unit_mm == pytest.approx(25.4 / 0.45)
    assert list(read_asf(_write(work / "fuzz.asf", ASF_SEED)).bones) == ["hip", "knee", "spine", "toe"]


def test_fuzz_read_asf(work):
    run_collecting("read_asf", _fuzz_read_asf, work=work)


@FUZZ
@given(pair=st.integers(0, len(AMC_PAIRS) - 1), choice=st.data())
def _fuzz_read_amc(work, amc_skeletons, pair, choice):
    data = choice.draw(mutated_text([AMC_PAIRS[pair][1]]))
    path = work / "fuzz.amc"
    path.write_bytes(data)
    check_reader("read_amc", path, lambda: read_amc(path, amc_skeletons[pair]))


@seed_check("read_amc")
def _amc_seeds(work, amc_skeletons):
    path = work / "fuzz.amc"
    for (_, text), asf in zip(AMC_PAIRS, amc_skeletons, strict=True):
        path.write_bytes(_latin1(text))
        motion = read_amc(path, asf)
        assert motion.frame_numbers.tolist() == [1, 2, 3] and motion.channels["root"].shape == (3, 6)
    motion = read_amc(_write(path, AMC_SEED), amc_skeletons[0])
    assert {b: v.shape for b, v in motion.channels.items()} == {"root": (3, 6), "hip": (3, 3), "knee": (3, 1),
                                                                 "spine": (3, 2), "toe": (3, 0)}
    np.testing.assert_array_equal(motion.channels["spine"][:, 1], [-2.5, 0, 2.5])


def test_fuzz_read_amc(work, amc_skeletons):
    run_collecting("read_amc", _fuzz_read_amc, work=work, amc_skeletons=amc_skeletons)


@FUZZ
@given(data=mutated_text([BVH_SEED]))
def _fuzz_read_bvh(work, data):
    path = work / "fuzz.bvh"
    path.write_bytes(data)
    check_reader("read_bvh", path, lambda: read_bvh(path))


@seed_check("read_bvh")
def _bvh_seeds(work):
    motion = read_bvh(_write(work / "fuzz.bvh", BVH_SEED))
    assert motion.num_frames == 3 and motion.motion.shape == (3, 16) and motion.offsets.shape == (6, 3)
    assert motion.joint_names == ("Hips", "LeftUpLeg", "LeftLeg", "LeftLeg_end", "Spine", "Spine_end")
    assert motion.parents == (-1, 0, 1, 2, 0, 4)
    np.testing.assert_allclose(motion.motion[2, -4:], [5.2, -1, -2, -3])


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


@seed_check("read_vp3d_3d")
def _vp3d_3d_seeds(work):
    positions, cameras = read_vp3d_3d(_write(work / "data_3d_fuzz.npz", VP3D_3D), allow_pickle=True)
    shapes = {s: {a: v.shape for a, v in acts.items()} for s, acts in positions.items()}
    assert shapes == {"S1": {"walk": (4, 17, 3)}, "S5": {"sit": (2, 17, 3), "eat": (1, 17, 3)}}
    assert list(cameras) == ["S1"]


def test_fuzz_read_vp3d_3d(work):
    run_collecting("read_vp3d_3d", _fuzz_read_vp3d_3d, work=work)


@FUZZ
@given(data=st.one_of(mutated_zip([VP3D_2D], compressed=False), vp3d_structure(two_d=True)))
def _fuzz_read_vp3d_2d(work, data):
    path = work / "data_2d_fuzz.npz"
    path.write_bytes(data)
    check_reader("read_vp3d_2d", path, lambda: read_vp3d_2d(path, allow_pickle=True))


@seed_check("read_vp3d_2d")
def _vp3d_2d_seeds(work):
    positions, meta = read_vp3d_2d(_write(work / "data_2d_fuzz.npz", VP3D_2D), allow_pickle=True)
    assert [v.shape for v in positions["S1"]["walk"]] == [(4, 17, 2)] * 2 and list(positions) == ["S1"]
    assert meta["num_joints"] == 17


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
def npz_structure(draw, arrays: dict[str, np.ndarray], odd=lambda key, value: _odd_array,
                  favour: tuple[str, ...] = ()) -> bytes:
    """A well-formed npz of ``arrays`` with fields dropped or replaced by ``draw(odd(key, old value))``.

    ``favour``: keys drawn more often (listed once more per repetition).
    """
    arrays = dict(arrays)
    for _ in range(draw(st.integers(1, 3))):
        keys = sorted(arrays) + list(favour)
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 3)) == 0:
            arrays.pop(key, None)
        else:
            arrays[key] = draw(odd(key, arrays.get(key)))
    buf = io.BytesIO()
    (np.savez_compressed if draw(st.booleans()) else np.savez)(buf, **arrays)
    return Blob(buf.getvalue())


def lift_structure() -> st.SearchStrategy[bytes]:
    """A well-formed HDM05-Lift npz with fields dropped or replaced by arrays of odd shape/dtype."""
    return npz_structure(_lift_arrays(), favour=("image_size",) * 3)


@FUZZ
@given(data=st.one_of(mutated_zip([LIFT_SEED], compressed=True), lift_structure()))
def _fuzz_load_benchmark(work, data):
    folder = work / "lift"
    folder.mkdir(exist_ok=True)
    (folder / LIFT_FILE).write_bytes(data)
    check_reader("load_benchmark", folder / LIFT_FILE, lambda: load_benchmark(folder))


@seed_check("load_benchmark")
def _lift_seeds(work):
    folder = work / "lift"
    folder.mkdir(exist_ok=True)
    for blob in (LIFT_SEED, _npz_bytes(_lift_arrays())):  # mutated_zip's seed, npz_structure's arrays
        _write(folder / LIFT_FILE, blob)
        bench = load_benchmark(folder)
        assert bench.joints_world.shape == (5, 17, 3) and bench.joints_2d_noisy.shape == (4, 5, 17, 2)
        assert bench.clip_keys.tolist() == ["bd/HDM_bd_a_001_120", "mm/HDM_mm_b_002_120"]


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


_SHORT_KEYS = st.text(max_size=4)  # the default new dict keys of _mutate_nested


def _mutate_nested(draw, obj, tree, keys=_SHORT_KEYS, list_ops: bool = False, focus=None) -> None:
    """Replace, drop or add 1-3 entries anywhere in nested dicts/lists ``obj`` (in place).

    New values come from ``tree``, new dict keys from ``keys``; with ``list_ops`` list items are also
    dropped and inserted. New values are copies (``sampled_from`` hands out the same objects each time).
    ``focus(path)``: when given, half the mutations pick among the paths it accepts (the few fields that
    would otherwise drown among hundreds of coordinates).
    """
    for _ in range(draw(st.integers(1, 3))):
        where = [p for p in _paths(obj) if p]
        if focus is not None and draw(st.booleans()):
            where = [p for p in where if focus(p)] or where
        if not where:
            return
        where = draw(st.sampled_from(where))
        parent = obj
        for k in where[:-1]:
            parent = parent[k]
        op = draw(st.integers(0, 4))
        if op == 0 and isinstance(parent, dict):
            del parent[where[-1]]
        elif op == 1 and isinstance(parent, dict):
            parent[draw(keys)] = copy.deepcopy(draw(tree))
        elif op == 0 and list_ops:
            del parent[where[-1]]
        elif op == 1 and list_ops:
            parent.insert(where[-1], copy.deepcopy(draw(tree)))
        else:
            parent[where[-1]] = copy.deepcopy(draw(tree))


@st.composite
def ckpt_structure(draw) -> bytes:
    """A well-formed checkpoint file whose dict has entries replaced, dropped or added."""
    ckpt = _ckpt_dict()
    ckpt["model"]["kwargs"] = dict(ckpt["model"]["kwargs"])
    _mutate_nested(draw, ckpt, _ckpt_tree)
    return Blob(_ckpt_bytes(ckpt))


@FUZZ
@given(data=st.one_of(mutated_zip([CKPT_SEED], compressed=False), ckpt_structure()))
def _fuzz_read_checkpoint(work, data):
    path = work / "fuzz.pt"
    path.write_bytes(data)
    check_reader("read_checkpoint", path, lambda: read_checkpoint(path))


@seed_check("read_checkpoint")
def _ckpt_seeds(work):
    ckpt = read_checkpoint(_write(work / "fuzz.pt", CKPT_SEED))
    assert ckpt["model"]["name"] == "fc" and ckpt["model"]["kwargs"] == {"channels": 8, "num_blocks": 1}
    assert len(ckpt["skeleton"]["joint_names"]) == 17 and ckpt["state_dict"]


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


@seed_check("load_checkpoint")
def _load_ckpt_seeds(work):
    model, meta = load_checkpoint(_write(work / "fuzz_load.pt", CKPT_SEED))
    assert meta["model"]["name"] == "fc"
    with torch.no_grad():
        assert model.eval()(torch.zeros(1, 1, 17, 2)).shape == (1, 1, 17, 3)


def test_fuzz_load_checkpoint(work):
    run_collecting("load_checkpoint", _fuzz_load_checkpoint, work=work)


# ---------------------------------------------------------------------------------------- 2D keypoints
# read_keypoints: generic JSON, COCO/AlphaPose results lists, OpenPose folders, CSV and npz.
JSON_WORDS = ("null", "true", "false", "NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1E+30",
              "-0.0", "[]", "{}", "[[]]", "[null]", "[[null]]", '""', '"x"', '"7"', '"-3"', '"frame_12.jpg"',
              '"\\u00b3.jpg"', '"\\ud800"', '"\\u0000"', ",", ":", "[", "]", "{", "}", ",,", "[1, 2]",
              "[1, 2, 3]", "[-1]", "[0.5]", "[1e400]", '{"x": 1}', '"people":', '"keypoints":',
              '"pose_keypoints_2d":', '"frames":', '"frame":', '"frame_index":', '"image_id":', '"track_id":',
              '"person_id":', '"idx":', '"id":', '"layout":', '"width":', '"height":', '"fps":', '"coco17"',
              '"h36m17"', '"body25"', '"halpe"', '"xx"', '"COCO"')
CSV_WORDS = ("frame", "track", "track_id", "nose_x", "nose_y", "nose_c", "nose_conf", "nose_score", "neck_x",
             "head_x", "mid_hip_x", "left_eye_x,left_eye_y", "x_x", "_x", "_y", ",", ",,", ", ,", '"', '""',
             '"1,2"', '"a\nb"', "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e18", "-1", "\r", "\x00")


def _kp_row(k: int, person: int, frame: int) -> list[float]:
    """One detected COCO keypoint, people 500 px apart."""
    return [round(100.0 + 7 * k + 500 * person + 2 * frame, 2), round(200.0 + 11 * k + frame, 2),
            round(0.5 + 0.02 * k, 2)]


def _kp_flat(person: int, frame: int, n: int = 17) -> list[float]:
    return [v for k in range(n) for v in _kp_row(k, person, frame)]


def _json_lines(obj) -> str:
    """JSON with one person/detection per line (so line mutations move whole people)."""
    if isinstance(obj, list):
        return "[\n" + ",\n".join(json.dumps(x) for x in obj) + "\n]\n"
    return json.dumps(obj, indent=1) + "\n"


GENERIC_DOCS = [
    {"layout": "coco17", "width": 640, "height": 480, "fps": 25.0, "frames": [
        {"frame": 0, "people": [{"track_id": 0, "keypoints": [_kp_row(k, 0, 0) for k in range(17)]},
                                {"track_id": 3, "keypoints": _kp_flat(1, 0)}]},
        {"frame": 1, "people": [{"track_id": 3, "keypoints": _kp_flat(1, 1)},
                                {"track_id": 0,
                                 "keypoints": [None] + [_kp_row(k, 0, 1)[:2] for k in range(1, 17)]}]},
        {"frame": 3, "keypoints": _kp_flat(0, 3), "track_id": 0}]},
    [[_kp_flat(0, 0), _kp_flat(1, 0)],  # a list of frames, each a bare list of people (tracked by position)
     {"frame_index": 1, "people": [[_kp_row(k, 1, 1) for k in range(17)], _kp_flat(0, 1)]},
     [_kp_flat(0, 2)]],
    # one frame whose number is near the largest accepted (10**18 - 1): digit mutations push it beyond
    {"frames": [{"frame": 999_999_999_999_999_998, "people": [{"id": 999_999_999_999_999_990,
                                                               "keypoints": _kp_flat(0, 0)}]}]},
    # plain arrays: [T][K][3] and [T][P][K][2] (skelgnn.keypoints.readers.arrays)
    [[_kp_row(k, 0, t) for k in range(17)] for t in range(3)],
    [[[_kp_row(k, p, t)[:2] for k in range(17)] for p in range(2)] for t in range(2)],
    # mmpose's inferencer: frame_id, instances with keypoints + keypoint_scores, bbox, track_id
    [{"frame_id": t, "instances": [{"keypoints": [_kp_row(k, p, t)[:2] for k in range(17)],
                                    "keypoint_scores": [_kp_row(k, p, t)[2] for k in range(17)],
                                    "bbox": [[0.0, 0.0, 9.0, 9.0]], "bbox_score": 0.9, "track_id": p}
                                   for p in range(2)]} for t in range(2)],
]
GENERIC_SEEDS = [json.dumps(GENERIC_DOCS[0], indent=1) + "\n", _json_lines(GENERIC_DOCS[1]),
                 json.dumps(GENERIC_DOCS[2]) + "\n", _json_lines(GENERIC_DOCS[3]),
                 _json_lines(GENERIC_DOCS[5])]

COCO_DOCS = [
    [{"image_id": f"{t:06d}.jpg", "category_id": 1, "keypoints": _kp_flat(p, t), "score": 0.9, "idx": p + 1}
     for t in range(3) for p in range(2)],
    [{"image_id": t, "keypoints": _kp_flat(p, t), "score": 1.0, "track_id": [p]}
     for t in (0, 2, 3) for p in range(2)],
    [{"image_id": "frame_a", "keypoints": _kp_flat(0, 0)},
     {"image_id": "frame_b", "keypoints": _kp_flat(0, 1)}],
    [{"image_id": "999999999999999998.jpg", "keypoints": _kp_flat(0, 0), "idx": 999_999_999_999_999_990}],
]
COCO_SEEDS = [_json_lines(d) for d in COCO_DOCS]


def _openpose_docs() -> list[dict]:
    def person(p: int, t: int, pid) -> dict:
        return {"person_id": pid, "pose_keypoints_2d": _kp_flat(p, t, 25), "face_keypoints_2d": [],
                "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": []}
    docs = [{"version": 1.3, "people": [person(0, t, [-1]), person(1, t, [-1])]} for t in range(3)]
    docs[1]["people"][0]["pose_keypoints_2d"][12:15] = [0, 0, 0]  # an undetected keypoint
    docs[2]["people"].append({"person_id": [-1], "pose_keypoints_2d": []})  # body model off
    return docs


OPENPOSE_DOCS = _openpose_docs()
OPENPOSE_SEEDS = [json.dumps(d, indent=1) + "\n" for d in OPENPOSE_DOCS]
OPENPOSE_OFFSETS = [0, 0, 0, 5, 10 ** 18 - 2, 2 ** 63 - 2, 10 ** 25]  # the folder's first frame number


def _openpose_names(offset: int = 0) -> list[str]:
    return [f"clip_{offset + t:012d}_keypoints.json" for t in range(3)]


ODD_OPENPOSE_NAMES = ["clip_keypoints.json", "_keypoints.json", "clip_000000000000_keypoints.json",
                      "clip_99999999999999999999_keypoints.json", "clip_" + "9" * 200 + "_keypoints.json",
                      "clip_\u0663_keypoints.json", "clip_\u00b2_keypoints.json", "clip_-5_keypoints.json",
                      "a.b_keypoints.json", " _keypoints.json"]


def _csv_seed(sep: str, track: bool, conf: bool, names=None, frames=range(3)) -> str:
    names = names or LAYOUTS["coco17"].keypoint_names
    cols = [f"{n}_{s}" for n in names for s in ("xyc" if conf else "xy")]
    head = ["frame"] + (["track"] if track else []) + cols
    lines = [sep.join(head)]
    for t in frames:
        for p in (range(2) if track else range(1)):
            cells = [str(t)] + ([str(p)] if track else [])
            for k in range(len(names)):
                x, y, c = _kp_row(k, p, t)
                cells += ([repr(x), repr(y)] + ([repr(c)] if conf else [])) if (t, k) != (1, 4) else \
                    ["", ""] + (["0"] if conf else [])
            lines.append(sep.join(cells))
    return "\n".join(lines) + "\n"


CSV_SEEDS = [_csv_seed(", ", True, True), _csv_seed(",", False, False),
             _csv_seed(" ,", True, True, LAYOUTS["openpose18"].keypoint_names),
             _csv_seed(",", True, True, frames=[999_999_999_999_999_998])]  # near the largest frame number


def _kp_npz_forms() -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(2)
    k4 = np.concatenate([rng.uniform(0, 500, (2, 4, 17, 2)), rng.uniform(0.1, 1, (2, 4, 17, 1))], -1)
    k4[1, 2] = 0.0
    rows = np.concatenate([rng.uniform(0, 500, (5, 17, 2)), np.ones((5, 17, 1))], -1)
    return [
        {"keypoints": k4, "track_id": np.array([4, 9]), "frame": np.arange(10, 14),
         "layout": np.array("coco17"), "width": np.array(640), "height": np.array(480),
         "fps": np.array(30.0)},
        {"keypoints": rows.astype(np.float32), "frame": np.array([0, 0, 1, 3, 3]),
         "track_id": np.array([1, 2, 1, 1, 2])},
        {"keypoints": rng.uniform(0, 500, (3, 17, 2)), "layout": np.array("h36m17")},
    ]


def _npz_bytes(arrays: dict[str, np.ndarray], compressed: bool = False) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


CSV_CELLS = ("", " ", "nan", "inf", "-inf", "1e400", "1e18", "1e30", "2.0", "0.5", "-1", "1e-320", "x", '"',
             "\u00b2", "\u0663", "0x1F", "1_000", "\x00", "1,5", "9" * 140_000)


@st.composite
def csv_structure(draw, seeds: list[str]) -> bytes:
    """A seed CSV with 1-4 cells replaced (frame and track columns favoured; header cells by column names)."""
    rows = [line.split(",") for line in draw(st.sampled_from(seeds)).rstrip("\n").split("\n")]
    for _ in range(draw(st.integers(1, 4))):
        r = draw(st.integers(0, len(rows) - 1))
        c = min(draw(st.one_of(st.integers(0, 1), st.integers(0, len(rows[r]) - 1))), len(rows[r]) - 1)
        vocab = CSV_WORDS + LAYOUTS["body25"].keypoint_names if r == 0 else CSV_CELLS + tuple(NUMBERS)
        cells = st.one_of(st.sampled_from(vocab), st.text(_text_chars, max_size=8))
        if r and c < 2:  # frame / track: odd integers
            odd_ints = ["1e30", "-1e19", "9" * 19, "9" * 40, "2.0", "1e18", "-0"]
            cells = st.one_of(cells, st.sampled_from(odd_ints))
        rows[r][c] = draw(cells)
    return Blob("\n".join(",".join(row) for row in rows).encode("utf-8") + b"\n")


KP_NPZ_FORMS = _kp_npz_forms()
KP_NPZ_SEEDS = [_npz_bytes(a, compressed=i == 1) for i, a in enumerate(KP_NPZ_FORMS)]

_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 70), 2 ** 70), st.floats(), st.text(max_size=6),
    st.sampled_from([-1, 0, 1, 17, 0.5, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 1e308, 1e20, float("inf"),
                     float("-inf"), float("nan"), [7], [float("inf")], "9" * 30 + ".jpg", "\u00b3.jpg",
                     "\u0663"]),
    st.sampled_from(["coco17", "h36m17", "body25", "17", "frame_3.jpg", [], {}, [None] * 17, [0] * 51,
                     [[1, 2]] * 17, [[1, 2, 3, 4]] * 17, [1.5] * 54, [[None, 1]] * 17, [float("nan")] * 51,
                     [-1]]),
)
_json_odd = st.sampled_from([float("inf"), float("-inf"), float("nan"), 10 ** 30, 2 ** 63, -(2 ** 63) - 1,
                             1e20, -1, 0.5, "9" * 30 + ".jpg", "\u00b3.jpg", [float("inf")], [10 ** 30],
                             True])
JSON_KEYS = ("people", "keypoints", "pose_keypoints_2d", "frames", "frame", "frame_index", "image_id",
             "track_id", "person_id", "idx", "id", "layout", "width", "height", "fps", "frame_id",
             "instances", "keypoint_scores", "instance_info", "meta_info", "bbox")
_json_tree = st.recursive(
    _json_leaf,
    lambda c: st.one_of(st.lists(c, max_size=3),
                        st.dictionaries(st.one_of(st.sampled_from(JSON_KEYS), st.text(max_size=3)), c,
                                        max_size=3)),
    max_leaves=10)


@st.composite
def json_structure(draw, docs: list) -> bytes:
    """Well-formed JSON: a seed document with values replaced, dropped or added anywhere (lists too)."""
    doc = json.loads(json.dumps(draw(st.sampled_from(docs))))  # a deep copy
    _mutate_nested(draw, doc, st.one_of(_json_odd, _json_tree),
                   keys=st.one_of(st.sampled_from(JSON_KEYS), st.text(max_size=3)), list_ops=True,
                   focus=lambda path: isinstance(path[-1], str))
    return Blob(json.dumps(doc, indent=draw(st.sampled_from([None, 1]))).encode())


_ODD_DTYPES = ["U6", "S6", "b1", "c16", "f2", "i1", "u8", "O", "M8[s]", "V8"]


@st.composite
def array_variant(draw, value: np.ndarray | None) -> np.ndarray:
    """An array close to ``value``: odd dtype, values, length or rank, or an unrelated odd array."""
    if value is None:
        return draw(_odd_array)
    v = np.asarray(value)
    op = draw(st.sampled_from(["dtype", "values", "rows", "rank", "odd"]))
    if op == "dtype":
        dt = np.dtype(draw(st.sampled_from(_ODD_DTYPES)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nan -> int casts
                return v.astype(dt)
        except (TypeError, ValueError, OverflowError, RuntimeError):  # e.g. datetime -> short string
            return np.zeros(v.shape, dt)
    if op == "values" and v.dtype.kind in "biuf" and v.size:
        odd = draw(st.sampled_from([np.nan, np.inf, -np.inf, -1, 0, 1e300, -1e300, 2 ** 63 - 1, 2 ** 62,
                                    0.5]))
        v = v.astype(np.int64 if isinstance(odd, int) and v.dtype.kind != "f" else np.float64)  # a copy
        v.reshape(-1)[draw(st.integers(0, v.size - 1))] = odd
        if draw(st.booleans()):
            v[...] = odd
        return v
    if op == "rows" and v.ndim:
        return draw(st.sampled_from([v[:0], v[:1], v[:-1], v[::-1], np.concatenate([v, v[:1]])]))
    if op == "rank":
        forms = [v.reshape(-1), v[None]]
        if v.ndim:
            forms += [v[..., :1], np.swapaxes(v, 0, -1)]
        if v.size == 1:
            forms.append(v.reshape(()))
        return draw(st.sampled_from(forms))
    return draw(_odd_array)


KP_ODD = {
    "layout": st.sampled_from([np.array(s) for s in ("coco17", "h36m17", "body25", "halpe", "COCO", "xx", "")]
                              + [np.array([]), np.array(["coco17", "x"]), np.array(b"coco17"), np.array(5),
                                 np.array(np.nan)]),
    "frame": st.sampled_from([np.array([0, 2 ** 62, 1, 2]), np.array([-(2 ** 63), 0, 1, 2]),
                              np.array([0.5, 1, 2, 3]), np.array([np.nan, 1, 2, 3]),
                              np.array([2 ** 64 - 1, 1, 2, 3], np.uint64),
                              np.array(["a", "b", "c", "d"]), np.array([3, 2, 1, 0]), np.array([0, 0, 0, 0]),
                              np.array([0, 0, 1, 3, 3]), np.array([0, 1e12, 1, 3, 3])]),
    "track_id": st.sampled_from([np.array([2 ** 63 - 1, -1]), np.array([0, 0]), np.array([1.5, 2]),
                                 np.array([np.inf, 1]), np.array(["a", "b"]),
                                 np.array([2 ** 64 - 1, 1], np.uint64), np.array([1, 1, 1, 1, 1]),
                                 np.array([-1, -2, 1, 1, 2]), np.array([1e20] * 5)]),
}


def _kp_odd(key: str, value) -> st.SearchStrategy[np.ndarray]:
    return st.one_of(array_variant(value), KP_ODD.get(key, _odd_array))


@FUZZ
@given(data=st.one_of(mutated_text(GENERIC_SEEDS, JSON_WORDS), json_structure(GENERIC_DOCS)))
def _fuzz_keypoints_json(work, data):
    path = work / "fuzz_kp.json"
    path.write_bytes(data)
    check_reader("read_keypoints_json", path, lambda: read_keypoints(path))


def _kp_shape(path: Path, **kw) -> tuple:
    kp = read_keypoints(path, **kw)
    assert np.isfinite(kp.xy).any()
    return kp.xy.shape, kp.layout


GENERIC_SHAPES = [(2, 4), (2, 3), (1, 1), (1, 3), (2, 2), (2, 2)]  # (tracks, frames) of GENERIC_DOCS


@seed_check("read_keypoints_json")
def _json_seeds(work):
    path = work / "fuzz_kp.json"
    for text, doc in zip(GENERIC_SEEDS, [0, 1, 2, 3, 5], strict=True):
        assert _kp_shape(_write(path, text)) == (GENERIC_SHAPES[doc] + (17, 2), "coco17")
    for doc, shape in zip(GENERIC_DOCS, GENERIC_SHAPES, strict=True):  # json_structure's starting points
        assert _kp_shape(_write(path, json.dumps(doc))) == (shape + (17, 2), "coco17")


def test_fuzz_read_keypoints_json(work):
    run_collecting("read_keypoints_json", _fuzz_keypoints_json, work=work)


@FUZZ
@given(data=st.one_of(mutated_text(COCO_SEEDS, JSON_WORDS), json_structure(COCO_DOCS)))
def _fuzz_keypoints_coco(work, data):
    path = work / "fuzz_results.json"
    path.write_bytes(data)
    check_reader("read_keypoints_coco", path, lambda: read_keypoints(path))


@seed_check("read_keypoints_coco")
def _coco_seeds(work):
    path = work / "fuzz_results.json"
    shapes = [(2, 3, 17, 2), (2, 4, 17, 2), (1, 2, 17, 2), (1, 1, 17, 2)]
    for text, doc, shape in zip(COCO_SEEDS, COCO_DOCS, shapes, strict=True):
        assert _kp_shape(_write(path, text)) == _kp_shape(_write(path, json.dumps(doc))) == (shape, "coco17")


def test_fuzz_read_keypoints_coco(work):
    run_collecting("read_keypoints_coco", _fuzz_keypoints_coco, work=work)


def _write_openpose(folder: Path, offset: int = 0) -> list[Path]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    paths = [folder / name for name in _openpose_names(offset)]
    for path, text in zip(paths, OPENPOSE_SEEDS, strict=True):
        path.write_bytes(_latin1(text))
    return paths


@FUZZ
@given(which=st.integers(0, len(OPENPOSE_SEEDS) - 1), choice=st.data())
def _fuzz_keypoints_openpose(work, which, choice):
    """One file of a three-frame OpenPose folder mutated (and sometimes renamed)."""
    data = choice.draw(st.one_of(mutated_text([OPENPOSE_SEEDS[which]], JSON_WORDS),
                                 json_structure([OPENPOSE_DOCS[which]])))
    folder = work / "openpose"
    path = _write_openpose(folder, choice.draw(st.sampled_from(OPENPOSE_OFFSETS)))[which]
    if choice.draw(st.integers(0, 4)) == 0:
        path.unlink()
        path = folder / choice.draw(st.sampled_from(ODD_OPENPOSE_NAMES))
    path.write_bytes(data)
    check_reader("read_keypoints_openpose", path, lambda: read_keypoints(folder))


@seed_check("read_keypoints_openpose")
def _openpose_seeds(work):
    """The folder reads from every first frame number whose last frame fits (10**18 - 1 at most); the larger
    starts are boundary cases the fuzzing mutates and must be refused."""
    folder = work / "openpose"
    for offset in OPENPOSE_OFFSETS:
        _write_openpose(folder, offset)
        if offset + 2 < 10 ** 18:
            kp = read_keypoints(folder)
            assert kp.xy.shape == (2, 3, 25, 2) and kp.layout == "body25"
            assert kp.frames.tolist() == [offset, offset + 1, offset + 2]
        else:
            with pytest.raises(FormatError, match="out of range"):
                read_keypoints(folder)
    assert sum(offset + 2 < 10 ** 18 for offset in OPENPOSE_OFFSETS) >= 4


def test_fuzz_read_keypoints_openpose(work):
    run_collecting("read_keypoints_openpose", _fuzz_keypoints_openpose, work=work)


@FUZZ
@given(data=st.one_of(mutated_text(CSV_SEEDS, CSV_WORDS), csv_structure(CSV_SEEDS)),
       layout=st.sampled_from([None, None, None, "coco17", "openpose18"]))
def _fuzz_keypoints_csv(work, data, layout):
    path = work / "fuzz_kp.csv"
    path.write_bytes(data)
    check_reader("read_keypoints_csv", path, lambda: read_keypoints(path, layout=layout))


@seed_check("read_keypoints_csv")
def _csv_seeds(work):
    path = work / "fuzz_kp.csv"
    shapes = [(2, 3, 17, 2), (1, 3, 17, 2), (2, 3, 18, 2), (2, 1, 17, 2)]
    layouts = ["coco17", "coco17", "openpose18", "coco17"]
    for text, shape, layout in zip(CSV_SEEDS, shapes, layouts, strict=True):
        _write(path, text)
        assert _kp_shape(path) == _kp_shape(path, layout=layout) == (shape, layout)  # guessed, and given


def test_fuzz_read_keypoints_csv(work):
    run_collecting("read_keypoints_csv", _fuzz_keypoints_csv, work=work)


@FUZZ
@given(data=st.one_of(mutated_zip(KP_NPZ_SEEDS, compressed=True),
                      st.sampled_from(KP_NPZ_FORMS).flatmap(lambda a: npz_structure(a, _kp_odd))))
def _fuzz_keypoints_npz(work, data):
    path = work / "fuzz_kp.npz"
    path.write_bytes(data)
    check_reader("read_keypoints_npz", path, lambda: read_keypoints(path))


@seed_check("read_keypoints_npz")
def _kp_npz_seeds(work):
    path = work / "fuzz_kp.npz"
    expected = [((2, 4, 17, 2), "coco17"), ((2, 4, 17, 2), "coco17"), ((1, 3, 17, 2), "h36m17")]
    for blob, arrays, want in zip(KP_NPZ_SEEDS, KP_NPZ_FORMS, expected, strict=True):
        assert _kp_shape(_write(path, blob)) == want
        for compressed in (False, True):  # npz_structure's starting points
            assert _kp_shape(_write(path, _npz_bytes(arrays, compressed))) == want


def test_fuzz_read_keypoints_npz(work):
    run_collecting("read_keypoints_npz", _fuzz_keypoints_npz, work=work)


# ---------------------------------------------------------------------------------------- mmpose H36M npz
def _mmpose_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    names = []
    for subj, seq in (("S9", "TakingPhoto_1"), ("S11", "Directions"), ("S11", "Walking")):
        for cam in (CAMERA_IDS[0], CAMERA_IDS[3]):
            for fr in (3, 1, 2):
                names.append(f"{subj}/{subj}_{seq}.{cam}/{subj}_{seq}.{cam}_{1 + 5 * fr:06d}.jpg")
    N = len(names)
    S = np.concatenate([rng.normal(0, 0.3, (N, 17, 3)) + [0, 0, 5], np.ones((N, 17, 1))], -1)
    part = np.concatenate([rng.uniform(0, 1000, (N, 17, 2)), np.ones((N, 17, 1))], -1)
    return {"imgname": np.array(names), "S": S, "part": part, "center": np.full((N, 2), 500.0),
            "scale": np.ones(N)}


MMPOSE_ARRAYS = _mmpose_arrays()
MMPOSE_SEED = _npz_bytes(MMPOSE_ARRAYS)
ODD_IMGNAMES = ["S9_Walking.54138969_\u0663.jpg", "S9_Walking.54138969_\u00b2.jpg",
                "S9_Walking.54138969_.jpg", "S9_Walking.54138969_99999999999999999999.jpg",
                "S9_Walking.54138969_" + "9" * 5000 + ".jpg", "S9_.54138969_000001.jpg",
                "S_Walking.54138969_000001.jpg", "S99999999999_Walking.54138969_1.jpg",
                "S\u0663_Walking.54138969_1.jpg", "S9_Walking.54138969_1.JPG", ".jpg", "", "/", "a/b/",
                "S9_Walking.54138969_1.jpg/x.jpg", "S9_Walking_1.jpg", "S9_Walking.60457274_1.jpg.jpg"]


@st.composite
def _imgname_variant(draw, names: np.ndarray) -> np.ndarray:
    """imgname with one to three names mutated as text or replaced by odd ones."""
    out = [str(n) for n in names]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(out) - 1))
        out[i] = draw(st.one_of(st.sampled_from(ODD_IMGNAMES), _text_op(out[i])))
    return np.array(out)


def _mmpose_odd(key: str, value) -> st.SearchStrategy[np.ndarray]:
    if key == "imgname" and value is not None and value.dtype.kind == "U" and value.size and value.ndim == 1:
        return st.one_of(_imgname_variant(value), _imgname_variant(value), array_variant(value))
    return array_variant(value)


def _npy_bytes(value: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, value)
    return buf.getvalue()


DETECTIONS_SEED = _npy_bytes(MMPOSE_ARRAYS["part"][..., :2].astype(np.float32))


@st.composite
def detections_npy(draw) -> bytes:
    """A detections .npy: the valid one, a variant array, or mutated bytes."""
    if draw(st.booleans()):
        return Blob(_npy_bytes(draw(array_variant(MMPOSE_ARRAYS["part"]))))
    data = DETECTIONS_SEED
    for _ in range(draw(st.integers(0, 3))):
        data = draw(_bytes_op(data))
    return Blob(data)


@FUZZ
@given(data=st.one_of(mutated_zip([MMPOSE_SEED], compressed=True),
                      npz_structure(MMPOSE_ARRAYS, _mmpose_odd, favour=("imgname",) * 2)),
       det=st.one_of(st.none(), st.none(), st.none(), detections_npy()),
       joints=st.sampled_from([17, 16]), norm=st.sampled_from(["screen", "bbox"]))
def _fuzz_read_mmpose(work, data, det, joints, norm):
    path = work / "h36m_fuzz.npz"
    path.write_bytes(data)
    det_path = None
    if det is not None:
        det_path = work / "cpn_fuzz.npy"
        det_path.write_bytes(det)
    check_reader("read_mmpose_h36m", path,
                 lambda: read_mmpose_h36m(path, joints=joints, input_norm=norm, detections=det_path))


@seed_check("read_mmpose_h36m")
def _mmpose_seeds(work):
    path = _write(work / "h36m_fuzz.npz", MMPOSE_SEED)
    det = _write(work / "cpn_fuzz.npy", DETECTIONS_SEED)
    for joints in (17, 16):
        for norm in ("screen", "bbox"):
            for det_path in (None, det):
                seqs = read_mmpose_h36m(path, joints=joints, input_norm=norm, detections=det_path)
                assert seqs.keys == ["S9/Photo 1/0", "S9/Photo 1/3", "S11/Walking/0", "S11/Walking/3"]
                assert [x.shape for x in seqs.inputs] == [(3, joints, 2)] * 4
                assert [x.shape for x in seqs.targets] == [(3, joints, 3)] * 4


def test_fuzz_read_mmpose_h36m(work):
    run_collecting("read_mmpose_h36m", _fuzz_read_mmpose, work=work)


# ---------------------------------------------------------------------------------------- MPI-INF-3DHP npz
def _3dhp_data() -> dict:
    rng = np.random.default_rng(4)
    data = {}
    for name in ("TS1", "TS5"):
        valid = np.ones(6, np.float32)
        valid[2] = 0
        data[name] = {"data_3d": rng.normal(0, 300, (6, 17, 3)) + [0, 0, 4000],
                      "data_2d": rng.uniform(0, 1000, (6, 17, 2)).astype(np.float32), "valid": valid,
                      "camera": np.zeros(4)}
    return data


MPI3DHP_SEED = _npz_bytes({"data": _obj(_3dhp_data())})
_3dhp_leaf = st.one_of(_tree, st.sampled_from([
    np.zeros((6, 17, 3)), np.zeros((6, 17, 2)), np.zeros((5, 17, 3)), np.zeros((6, 16, 3)),
    np.zeros((0, 17, 3)), np.full((6, 17, 3), np.nan), np.full((6, 17, 2), np.inf),
    np.zeros((6, 17, 3), "U2"), np.zeros((6, 17, 3), "c8"), np.zeros((6, 17, 1)),
    np.zeros((6, 17, 3), object), np.zeros(6, "U2"), np.zeros(6), np.ones(5), np.ones((6, 2)),
    np.array(["1"] * 6), np.ones(6, "c8"), [[[0.0] * 3] * 17] * 6, [1] * 6, np.zeros((6, 17, 3), "M8[s]")]))


@st.composite
def mpi3dhp_structure(draw) -> bytes:
    """A well-formed 3DHP npz whose pickled dict has sequences/entries replaced, dropped or added."""
    data = _3dhp_data()
    names = ["TS1", "TS2", "TS5", "TS6", "TS7", "data_2d", "data_3d", "valid", "", 1, None, ("TS1",)]
    keys = st.one_of(st.sampled_from(names), st.text(max_size=3))
    _mutate_nested(draw, data, _3dhp_leaf, keys=keys)
    value = _obj(data) if draw(st.integers(0, 5)) else np.asarray(draw(_leaf), dtype=object)
    return Blob(_npz_bytes({"data": value}))


@FUZZ
@given(data=st.one_of(mutated_zip([MPI3DHP_SEED], compressed=False), mpi3dhp_structure()),
       joints=st.sampled_from([17, 16]), norm=st.sampled_from(["screen", "bbox"]))
def _fuzz_read_3dhp(work, data, joints, norm):
    path = work / "data_test_3dhp_fuzz.npz"
    path.write_bytes(data)
    check_reader("read_3dhp_test", path,
                 lambda: read_3dhp_test(path, allow_pickle=True, joints=joints, input_norm=norm))


@seed_check("read_3dhp_test")
def _3dhp_seeds(work):
    path = _write(work / "data_test_3dhp_fuzz.npz", MPI3DHP_SEED)
    for blob in (MPI3DHP_SEED, _npz_bytes({"data": _obj(_3dhp_data())})):  # mpi3dhp_structure's start
        _write(path, blob)
        for joints in (17, 16):
            for norm in ("screen", "bbox"):
                test = read_3dhp_test(path, allow_pickle=True, joints=joints, input_norm=norm)
                assert test.seqs.keys == ["TS1/test/0", "TS5/test/0"]
                assert [x.shape for x in test.seqs.inputs] == [(6, joints, 2)] * 2
                assert [x.shape for x in test.seqs.targets] == [(6, joints, 3)] * 2
                assert [int(v.sum()) for v in test.valid] == [5, 5]


def test_fuzz_read_3dhp_test(work):
    run_collecting("read_3dhp_test", _fuzz_read_3dhp, work=work)


# Each fuzz test, and the readers it calls (looked up by name in this module when it runs).
FUZZ_TESTS = {
    "read_asf": ("test_fuzz_read_asf", ["read_asf"]),
    "read_amc": ("test_fuzz_read_amc", ["read_amc"]),
    "read_bvh": ("test_fuzz_read_bvh", ["read_bvh"]),
    "read_vp3d_3d": ("test_fuzz_read_vp3d_3d", ["read_vp3d_3d"]),
    "read_vp3d_2d": ("test_fuzz_read_vp3d_2d", ["read_vp3d_2d"]),
    "load_benchmark": ("test_fuzz_load_benchmark", ["load_benchmark"]),
    "read_checkpoint": ("test_fuzz_read_checkpoint", ["read_checkpoint"]),
    "load_checkpoint": ("test_fuzz_load_checkpoint", ["load_checkpoint"]),
    "read_keypoints_json": ("test_fuzz_read_keypoints_json", ["read_keypoints"]),
    "read_keypoints_coco": ("test_fuzz_read_keypoints_coco", ["read_keypoints"]),
    "read_keypoints_openpose": ("test_fuzz_read_keypoints_openpose", ["read_keypoints"]),
    "read_keypoints_csv": ("test_fuzz_read_keypoints_csv", ["read_keypoints"]),
    "read_keypoints_npz": ("test_fuzz_read_keypoints_npz", ["read_keypoints"]),
    "read_mmpose_h36m": ("test_fuzz_read_mmpose_h36m", ["read_mmpose_h36m"]),
    "read_3dhp_test": ("test_fuzz_read_3dhp_test", ["read_3dhp_test"]),
}


def test_every_fuzz_test_checks_its_seeds():
    names = {n for n in globals() if n.startswith("test_fuzz_")}
    assert names == {t for t, _ in FUZZ_TESTS.values()}
    assert set(SEED_CHECKS) == set(FUZZ_TESTS)


@pytest.mark.parametrize("target", sorted(FUZZ_TESTS))
def test_a_reader_that_rejects_everything_fails_its_fuzz_test(target, work, amc_skeletons, monkeypatch):
    """A reader that refuses every file raises only FormatError, which the fuzz property allows: the seed
    check is what makes the fuzz test fail for it."""
    import inspect

    test_name, readers = FUZZ_TESTS[target]

    def reject(path, *args, **kwargs):
        raise FormatError(path, "this reader rejects everything")

    for name in readers:
        monkeypatch.setitem(globals(), name, reject)
    test = globals()[test_name]
    fixtures = {"work": work, "amc_skeletons": amc_skeletons}
    with pytest.raises(SkelgnnError, match="rejects everything"):
        test(**{k: fixtures[k] for k in inspect.signature(test).parameters})


def test_new_seeds_are_valid(work):
    """Every seed of the readers above reads without error (the fuzzing starts from valid files)."""
    for i, text in enumerate(GENERIC_SEEDS + COCO_SEEDS):
        (work / f"seed{i}.json").write_bytes(_latin1(text))
        assert read_keypoints(work / f"seed{i}.json").num_frames >= 1
    for doc in GENERIC_DOCS + COCO_DOCS:  # json_structure's starting points are the same documents
        (work / "seed.json").write_text(json.dumps(doc))
        read_keypoints(work / "seed.json")
    kp = read_keypoints(work / "seed0.json")
    assert kp.layout == "coco17" and kp.track_ids.tolist() == [0, 3] and kp.frames.tolist() == [0, 1, 2, 3]
    assert (kp.width, kp.height, kp.fps) == (640, 480, 25.0) and not kp.layout_guessed
    kp = read_keypoints(work / "seed2.json")
    assert kp.frames.tolist() == [999_999_999_999_999_998]
    assert kp.track_ids.tolist() == [999_999_999_999_999_990]
    _write_openpose(work / "openpose", 10 ** 18 - 4)
    kp = read_keypoints(work / "openpose")
    assert kp.layout == "body25" and kp.xy.shape == (2, 3, 25, 2) and kp.frames[-1] == 10 ** 18 - 2
    for i, text in enumerate(CSV_SEEDS):
        (work / f"seed{i}.csv").write_bytes(_latin1(text))
        kp = read_keypoints(work / f"seed{i}.csv")
        assert kp.num_frames == (1 if i == 3 else 3) and kp.layout == ("openpose18" if i == 2 else "coco17")
    for i, blob in enumerate(KP_NPZ_SEEDS):
        (work / f"seed{i}.npz").write_bytes(blob)
        assert read_keypoints(work / f"seed{i}.npz").num_frames >= 3
    (work / "h36m_seed.npz").write_bytes(MMPOSE_SEED)
    seqs = read_mmpose_h36m(work / "h36m_seed.npz")
    assert seqs.keys == ["S9/Photo 1/0", "S9/Photo 1/3", "S11/Walking/0", "S11/Walking/3"]
    (work / "seed.npy").write_bytes(DETECTIONS_SEED)
    assert len(read_mmpose_h36m(work / "h36m_seed.npz", detections=work / "seed.npy")) == 4
    (work / "data_test_3dhp_seed.npz").write_bytes(MPI3DHP_SEED)
    test = read_3dhp_test(work / "data_test_3dhp_seed.npz", allow_pickle=True)
    assert test.seqs.keys == ["TS1/test/0", "TS5/test/0"] and test.valid[0].sum() == 5


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


# ---------------------------------------------------------------------------------------- 2D keypoint bugs
# Found by the fuzzing above (and, for deep nesting and huge widths, by probing the same fields by hand).
def _person_json(extra: str = "") -> str:
    return f'{{"keypoints": {json.dumps(_kp_flat(0, 0))}{extra}}}'


@pytest.mark.parametrize("text,match", [
    (f'''{{"frames": [{{"frame": 0, "people": [{_person_json(', "track_id": Infinity')}]}}]}}''',
     "integer track id"),
    (f'''{{"frames": [{{"frame": 0, "people": [{_person_json(', "track_id": NaN')}]}}]}}''', "integer track "
                                                                                             "id"),
    (f'''{{"frames": [{{"frame": 0, "people": [{_person_json(f', "id": {2 ** 70}')}]}}]}}''',
     "track id .* out of range"),
    (f'{{"frames": [{{"frame": {2 ** 70}, "people": [{_person_json()}]}}]}}',
     r"frames\[0\]\.frame: .*out of range"),
    (f'{{"frames": [{{"frame": 1e20, "people": [{_person_json()}]}}]}}', "out of range"),
    (f'{{"frames": [{{"frame": {2 ** 63 - 1}, "people": [{_person_json()}]}}]}}',
     "out of range"),  # was wrapped to -2**63
    (f'[{{"image_id": "{"9" * 30}.jpg", "keypoints": {json.dumps(_kp_flat(0, 0))}}}]',
     r"\[0\]\.image_id.*30 digits"),
    ('{"frames": [{"frame": %s, "people": []}]}' % ("9" * 5000), "not readable JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (f'{{"width": {10 ** 400}, "frames": [[{_person_json()}]]}}', "'width' must be a positive number"),
], ids=["tid-inf", "tid-nan", "tid-2**70", "frame-2**70", "frame-1e20", "frame-int64max", "image_id-30dig",
        "int-5000dig", "deep", "width-10**400"])
def test_keypoints_json_odd_numbers(work, text, match):
    """Were OverflowError/ValueError (int(inf), int64 casts, json's 4300-digit limit) and RecursionError."""
    path = work / "odd.json"
    path.write_text(text)
    with pytest.raises(FormatError, match=match) as e:
        read_keypoints(path)
    assert e.value.path == str(path)


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e309", "0.5"])
def test_keypoints_json_non_integral_frame_numbers_count_in_order(work, value):
    """Frame or image ids that are no integers number the frames in file order, as 0.5 did (inf raised)."""
    path = work / "order.json"
    path.write_text(f'[{{"image_id": {value}, "keypoints": {json.dumps(_kp_flat(0, 0))}}}, '
                    f'{{"image_id": 7, "keypoints": {json.dumps(_kp_flat(0, 1))}}}]')
    assert read_keypoints(path).frames.tolist() == [0, 1]


@pytest.mark.parametrize("frame,track,match", [
    ("1e30", "0", "line 2: column 'frame': frame number .* out of range"),
    ("9" * 19, "0", "line 2: column 'frame': frame number 9{19} is out of range"),
    ("0", "1e30", "line 2: column 'track': track id .* out of range"),
    ("0", "9" * 140_000, "line 2: not readable CSV: field larger than field limit"),
], ids=["frame-1e30", "frame-19dig", "track-1e30", "field-limit"])
def test_keypoints_csv_odd_numbers(work, frame, track, match):
    """Were OverflowError (int64 cast of frame numbers / track ids) and _csv.Error (field size limit)."""
    path = work / "odd.csv"
    path.write_text(_csv_seed(",", True, True, frames=[0]).replace("\n0,0,", f"\n{frame},{track},", 1))
    with pytest.raises(FormatError, match=match):
        read_keypoints(path)


def test_keypoints_csv_large_frame_numbers_are_exact(work):
    """float() rounded 999999999999999998 to 1e18; integer cells are now read as integers."""
    path = work / "big.csv"
    path.write_text(_csv_seed(",", True, True, frames=[999_999_999_999_999_998]))
    assert read_keypoints(path).frames.tolist() == [999_999_999_999_999_998]


def test_keypoints_openpose_huge_frame_number_names_the_file(work):
    folder = work / "op_huge"
    _write_openpose(folder)
    for f in list(folder.iterdir())[1:]:
        f.unlink()
    big = folder / f"clip_{10 ** 30}_keypoints.json"
    next(folder.iterdir()).rename(big)
    with pytest.raises(FormatError, match=r"frame number 10{30} is out of range") as e:
        read_keypoints(folder)
    assert e.value.path == str(big)


def _npy_header(header: str, payload: bytes = b"") -> bytes:
    """A version 1.0 .npy with the given header text (padded as numpy pads it)."""
    header = header.ljust(((len(header) + 11 + 63) // 64) * 64 - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin-1") + payload


def _patched_zip(members: list[tuple[str, bytes]], *, method: int | None = None,
                 flags: int | None = None) -> bytes:
    """A stored zip whose headers then claim another compression method or flag bits."""
    data = bytearray(_zip_bytes(members, compressed=False))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at >= 0:
            if flags is not None:
                data[at + off:at + off + 2] = flags.to_bytes(2, "little")
            if method is not None:
                data[at + off + 2:at + off + 4] = method.to_bytes(2, "little")
            at = data.find(sig, at + 4)
    return bytes(data)


def _bad_unicode(text: str) -> np.ndarray:
    codes = np.array([ord(c) for c in text] + [0x110000], dtype=np.uint32)
    return codes.view(f"<U{len(codes)}").reshape(())


_KP = KP_NPZ_FORMS[0]
_NPZ_CASES = {
    "raw-member": (_zip_bytes([("keypoints.npy", b"not an array")], False),
                   "member 'keypoints' is not a .npy array"),
    "header-eof": (_zip_bytes([("keypoints.npy",
                                _npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,"))],
                              False), "member 'keypoints' cannot be decoded"),
    "bad-deflate": (_patched_zip([("keypoints.npy", b"\xff" * 64)], method=8),
                    "member 'keypoints' cannot be decoded"),
    "encrypted": (_patched_zip([("keypoints.npy", _npy_bytes(_KP["keypoints"]))], flags=1),
                  "member 'keypoints' cannot be decoded"),
    "layout-bad-unicode": (_npz_bytes({"keypoints": _KP["keypoints"], "layout": _bad_unicode("coco17")}),
                           "member 'layout' holds invalid text"),
    "layout-number": (_npz_bytes({"keypoints": _KP["keypoints"], "layout": np.array(5)}),
                      "'layout' must be one string"),
    "frame-strings": (_npz_bytes({"keypoints": _KP["keypoints"], "frame": np.array(list("abcd"))}),
                      "'frame' must hold integers, got dtype <U1"),
    "rows-frame-nan": (_npz_bytes({**KP_NPZ_FORMS[1], "frame": np.array([0, 0, np.nan, 3, 3])}),
                       "'frame' must hold integers, got non-integral values such as nan"),
    "rows-frame-1e20": (_npz_bytes({**KP_NPZ_FORMS[1], "frame": np.full(5, 1e20)}),
                        "'frame' holds 1e\\+20, out of range"),
    "rows-track-1e20": (_npz_bytes({**KP_NPZ_FORMS[1], "track_id": np.full(5, 1e20)}),
                        "'track_id' holds .* out of range"),
    "rows-track-strings": (_npz_bytes({**KP_NPZ_FORMS[1], "track_id": np.array(list("abcde"))}),
                           "'track_id' must hold integers"),
}


@pytest.mark.parametrize("case", sorted(_NPZ_CASES))
def test_keypoints_npz_damaged(work, case):
    """Were AttributeError (raw bytes for a member), TokenError/zlib.error/RuntimeError from numpy and
    zipfile, SystemError (a layout string with code points beyond U+10FFFF) and ValueError/OverflowError
    (int casts)."""
    data, match = _NPZ_CASES[case]
    path = work / "odd_kp.npz"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=match) as e:
        read_keypoints(path)
    assert e.value.path == str(path)


# ---------------------------------------------------------------------------------------- mmpose, 3DHP bugs
def _mmpose_with(**changes) -> bytes:
    arrays = dict(MMPOSE_ARRAYS)
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    return _npz_bytes(arrays)


_NAMES = [str(n) for n in MMPOSE_ARRAYS["imgname"]]
_MMPOSE_CASES = {
    "imgname-0d": (_mmpose_with(imgname=np.array(_NAMES[0])),
                   "key 'imgname' is a <U.* array of shape \\(\\)"),
    "frame-superscript": (_mmpose_with(imgname=np.array(["S9_Walking.54138969_\u00b2.jpg"] + _NAMES[1:])),
                          r"imgname\[0\] = .*frame: 1 to 18 digits"),
    "frame-20dig": (_mmpose_with(imgname=np.array(_NAMES[:3] + ["S9_Walking.54138969_" + "9" * 20 + ".jpg"]
                                                  + _NAMES[4:])),
                    r"imgname\[3\] = "),
    "S-strings": (_mmpose_with(S=np.full(MMPOSE_ARRAYS["S"].shape, "x")),
                  "key 'S' has dtype <U1; expected numbers"),
    "part-strings": (_mmpose_with(part=np.full(MMPOSE_ARRAYS["part"].shape, "x")), "part has dtype <U1"),
    "raw-member": (_zip_bytes(_zip_members(_mmpose_with(S=None)) + [("S.npy", b"junk")], False),
                   "member 'S' is not a .npy array"),
    "header-eof": (_zip_bytes(_zip_members(_mmpose_with(part=None))
                              + [("part.npy", _npy_header("{'descr': ("))], False),
                   "member 'part' cannot be decoded"),
}


@pytest.mark.parametrize("case", sorted(_MMPOSE_CASES))
def test_mmpose_damaged(work, case):
    """Were TypeError (len() of a 0-d imgname), ValueError/OverflowError (int64 cast of '²' or 20-digit
    frames; float cast of strings), AttributeError (raw bytes for a member) and TokenError (npy header)."""
    data, match = _MMPOSE_CASES[case]
    path = work / "h36m_odd.npz"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=match) as e:
        read_mmpose_h36m(path)
    assert e.value.path == str(path)


def test_mmpose_damaged_detections(work):
    (work / "h36m_ok.npz").write_bytes(MMPOSE_SEED)
    det = work / "cpn_odd.npy"
    det.write_bytes(_npy_header("{'descr': '<f4', 'fortran_order': False, 'shape': (18,"))
    with pytest.raises(FormatError, match=r"not a plain \.npy array of detections") as e:
        read_mmpose_h36m(work / "h36m_ok.npz", detections=det)
    assert e.value.path == str(det)


def _3dhp_with(where: tuple, value) -> bytes:
    data = _3dhp_data()
    parent = data
    for k in where[:-1]:
        parent = parent[k]
    parent[where[-1]] = value
    return _npz_bytes({"data": _obj(data)})


_3DHP_CASES = {
    "pickle-not-zip": (b"\x80\x04\x95junk", "not a readable npz file"),
    "truncated-pickle": (_zip_bytes([(n, b[:-20]) for n, b in _zip_members(MPI3DHP_SEED)], False),
                         "member 'data' cannot be decoded"),
    "raw-member": (_zip_bytes([("data.npy", b"junk")], False), "member 'data' is not a .npy array"),
    "int-key": (_3dhp_with((1,), {}), "key 'data' has the key 1"),
    "2d-dict": (_3dhp_with(("TS1", "data_2d"), {"a": 1}), r"data\['TS1'\]\['data_2d'\] holds object values"),
    "3d-strings": (_3dhp_with(("TS1", "data_3d"), np.zeros((6, 17, 3), "U2")),
                   r"\['data_3d'\] holds <U2 values"),
    "3d-scalar": (_3dhp_with(("TS1", "data_3d"), 5.0), r"\['data_3d'\] has shape \(\)"),
    "valid-ragged": (_3dhp_with(("TS5", "valid"), [[1, 2], [3]]),
                     r"data\['TS5'\]\['valid'\] is not an array"),
}


@pytest.mark.parametrize("case", sorted(_3DHP_CASES))
def test_3dhp_damaged(work, case):
    """Were UnpicklingError, AttributeError (raw bytes for 'data'), TypeError (sorting int and str keys;
    float() of a dict; len() of a scalar) and ValueError (ragged lists, strings)."""
    data, match = _3DHP_CASES[case]
    path = work / "data_test_3dhp_odd.npz"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=match) as e:
        read_3dhp_test(path, allow_pickle=True)
    assert e.value.path == str(path)


# ---------------------------------------------------------------------------------------- missing paths
def test_missing_paths(work, amc_skeletons):
    missing = work / "does-not-exist"
    for call in (lambda: read_asf(missing), lambda: read_amc(missing, amc_skeletons[0]),
                 lambda: read_bvh(missing), lambda: read_vp3d_3d(missing, allow_pickle=True),
                 lambda: read_vp3d_2d(missing, allow_pickle=True), lambda: load_benchmark(missing),
                 lambda: read_checkpoint(missing), lambda: read_keypoints(missing),
                 lambda: read_keypoints(missing.with_suffix(".npz")), lambda: read_mmpose_h36m(missing),
                 lambda: read_3dhp_test(missing, allow_pickle=True)):
        with pytest.raises((FileNotFoundError, SkelgnnError)):
            call()
