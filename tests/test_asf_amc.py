"""ASF/AMC reader and forward kinematics: hand-computed answers, bad input, one real file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelgnn.core.errors import FormatError, MappingError
from skelgnn.core.skeleton import H36M_17, Skeleton
from skelgnn.data.amc import read_amc
from skelgnn.data.asf_amc import euler_to_matrix, read_asf
from skelgnn.data.mocap_joints import (
    HDM05_TO_H36M17,
    bone_end_points_to_joints,
    forward_kinematics,
    read_asf_amc_joints,
)

MM = 25.4 / 0.45  # millimetres per ASF unit for ':units length 0.45'

# Chain root -> a -> b -> c. a: 3 dofs, b: 1 dof with a 90 degree axis about z, c: no dof.
ASF = """\
# tiny test skeleton
:version 1.10
:name TINY
:units
  mass 1.0
  length 0.45
  angle deg
:documentation
   free text
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name a
     direction 0 1 0
     length 2
     axis 0 0 0  XYZ
    dof rx ry rz
    limits (-180.0 180.0)
           (-180.0 180.0)
           (-180.0 180.0)
  end
  begin
     id 2
     name b
     direction 1 0 0
     length 1
     axis 0 0 90 XYZ
    dof rx
    limits (-180.0 180.0)
  end
  begin
     id 3
     name c
     direction 0 0 1
     length 1
     axis 0 0 0 XYZ
  end
:hierarchy
  begin
    root a
    a b
    b c
  end
"""

AMC = """\
#!OML:ASF tiny.asf
:FULLY-SPECIFIED
:DEGREES
1
root 0 0 0 0 0 0
a 0 0 0
b 0
2
root 1 2 3 0 90 0
a 0 0 90
b 90
3
b 0
root 0 0 0 90 0 90
a 0 0 0
"""

# hand-computed end points in ASF units, per frame (see the derivations in the tests)
EXPECTED = {
    "root": [(0, 0, 0), (1, 2, 3), (0, 0, 0)],
    "a": [(0, 2, 0), (1, 2, 5), (0, 0, 2)],
    "b": [(1, 2, 0), (0, 2, 5), (0, 1, 2)],
    "c": [(1, 2, 1), (0, 3, 5), (1, 1, 2)],
}


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, str):
        text = text.encode("latin-1")
    p.write_bytes(text)
    return p


def _last_line(text: str) -> int:
    return len(text.split("\n")) - text.endswith("\n")


def _line_of(text: str, needle: str, nth: int = 0) -> int:
    hits = [i + 1 for i, s in enumerate(text.split("\n")) if needle in s]
    return hits[nth]


@pytest.fixture
def tiny(tmp_path):
    asf = read_asf(_write(tmp_path, "tiny.asf", ASF))
    return asf, read_amc(_write(tmp_path, "tiny.amc", AMC), asf)


# ------------------------------------------------------------------------------------------ parsing
def test_read_asf_fields(tiny):
    asf, _ = tiny
    assert asf.name == "TINY"
    assert asf.length_unit_mm == pytest.approx(56.4444444)
    assert asf.angle_unit == "deg"
    assert asf.root_order == ("TX", "TY", "TZ", "RX", "RY", "RZ")
    assert asf.root_axis_order == "XYZ"
    assert list(asf.bones) == ["a", "b", "c"]
    a, b, c = asf.bones.values()
    assert a.parent == "root" and b.parent == "a" and c.parent == "b"
    assert a.dofs == ("rx", "ry", "rz") and b.dofs == ("rx",) and c.dofs == ()
    np.testing.assert_allclose(b.axis, [0, 0, 90])
    assert b.axis_order == "XYZ" and b.length == 1.0
    np.testing.assert_allclose(a.direction, [0, 1, 0])


def test_read_amc_channels(tiny):
    _, motion = tiny
    np.testing.assert_array_equal(motion.frame_numbers, [1, 2, 3])
    assert motion.channels["root"].shape == (3, 6)
    assert motion.channels["a"].shape == (3, 3)
    assert motion.channels["b"].shape == (3, 1)
    assert motion.channels["c"].shape == (3, 0)
    np.testing.assert_allclose(motion.channels["b"][:, 0], [0, 90, 0])  # frame 3 lists b first
    assert motion.angle_unit == "deg"


# ------------------------------------------------------------------------------------------ FK
def test_forward_kinematics_hand_computed(tiny):
    # frame 2: root at (1,2,3) turned Ry(90); a turned Rz(90): (0,2,0) -> (-2,0,0) -> (0,0,2).
    # b: C = Rz(90), so C·Rx(90)·C⁻¹ = Ry(90); M_b = Ry90·Rz90·Ry90 sends x to -x and z to y.
    # frame 3: root Rz(90)·Rx(90) (x applied first) sends y to z and x to y and z to x.
    asf, motion = tiny
    ends = forward_kinematics(asf, motion)
    assert list(ends) == ["root", "a", "b", "c"]
    for name, want in EXPECTED.items():
        assert ends[name].shape == (3, 3)
        np.testing.assert_allclose(ends[name], np.array(want, float) * MM, atol=1e-9, err_msg=name)


def test_forward_kinematics_frame_selection(tiny):
    asf, motion = tiny
    full = forward_kinematics(asf, motion)
    some = forward_kinematics(asf, motion, frames=np.array([2, 0]))
    one = forward_kinematics(asf, motion, frames=1)
    for name in full:
        np.testing.assert_allclose(some[name], full[name][[2, 0]])
        np.testing.assert_allclose(one[name], full[name][1:2])


def test_radians_give_the_same_answer(tmp_path):
    rad = ASF.replace("angle deg", "angle rad").replace("axis 0 0 90 XYZ", f"axis 0 0 {np.pi / 2!r} XYZ")
    asf = read_asf(_write(tmp_path, "r.asf", rad))
    assert asf.angle_unit == "rad"
    amc = AMC.replace(":DEGREES\n", "").replace(" 90", f" {np.pi / 2!r}")
    ends = forward_kinematics(asf, read_amc(_write(tmp_path, "r.amc", amc), asf))
    for name, want in EXPECTED.items():
        np.testing.assert_allclose(ends[name], np.array(want, float) * MM, atol=1e-9, err_msg=name)


def test_amc_radians_header_overrides(tmp_path):
    asf = read_asf(_write(tmp_path, "t.asf", ASF))
    amc = AMC.replace(":DEGREES", ":RADIANS").replace(" 90", f" {np.pi / 2!r}")
    motion = read_amc(_write(tmp_path, "r.amc", amc), asf)
    assert motion.angle_unit == "rad"
    np.testing.assert_allclose(forward_kinematics(asf, motion)["c"], np.array(EXPECTED["c"], float) * MM,
                               atol=1e-9)


def test_root_orientation_axis(tmp_path):
    # root orientation 0 90 0: C_root = Ry(90); R_root = Rx(90) gives C·Rx·C⁻¹ = rotation about
    # C·x = -z by 90 degrees, which sends y to +x. a then points along +x.
    asf = read_asf(_write(tmp_path, "o.asf", ASF.replace("orientation 0 0 0", "orientation 0 90 0")))
    amc = "1\nroot 0 0 0 90 0 0\na 0 0 0\nb 0\n"
    ends = forward_kinematics(asf, read_amc(_write(tmp_path, "o.amc", amc), asf))
    np.testing.assert_allclose(ends["a"][0], np.array([2, 0, 0]) * MM, atol=1e-9)


def test_euler_to_matrix_order():
    a = np.deg2rad([30.0, -50.0, 70.0])
    rx, ry, rz = (euler_to_matrix(np.eye(3)[i] * a[i]) for i in range(3))
    np.testing.assert_allclose(euler_to_matrix(a, "XYZ"), rz @ ry @ rx, atol=1e-12)
    np.testing.assert_allclose(euler_to_matrix(a, "ZYX"), rx @ ry @ rz, atol=1e-12)
    np.testing.assert_allclose(euler_to_matrix(np.array([0, 0, np.pi / 2])) @ [1, 0, 0], [0, 1, 0],
                               atol=1e-12)


def test_crlf_latin1_fewer_dofs_and_reordered_lines(tmp_path):
    asf_bytes = ASF.replace("\n", "\r\n").encode("latin-1")
    # Latin-1 byte in the header, mixed line ends (frame numbers LF, bone lines CRLF)
    amc = "#!OML:ASF X:\\f\xfcr Bonn\\tiny.ASF\r\n:FULLY-SPECIFIED\r\n:DEGREES\r\n"
    amc += "1\nroot 1 2 3 0 90 0\r\nb 90\r\na 0 0 90\r\n"
    asf = read_asf(_write(tmp_path, "crlf.asf", asf_bytes))
    motion = read_amc(_write(tmp_path, "crlf.AMC", amc.encode("latin-1")), asf)
    ends = forward_kinematics(asf, motion)
    np.testing.assert_allclose(ends["c"][0], np.array(EXPECTED["c"][1], float) * MM, atol=1e-9)


# ------------------------------------------------------------------------------------------ mapping
TINY_SKELETON = Skeleton("tiny", ("pelvis", "mid", "tip"), (-1, 0, 1), (), ())


def test_mapping_and_mean(tiny, tmp_path):
    asf, motion = tiny
    ends = forward_kinematics(asf, motion)
    mapping = {"pelvis": "root", "mid": ("a", "b"), "tip": "c", "unused": "nothing"}
    joints = bone_end_points_to_joints(ends, TINY_SKELETON, mapping, source="x.amc")
    assert joints.shape == (3, 3, 3)
    np.testing.assert_allclose(joints[:, 1], (ends["a"] + ends["b"]) / 2)
    np.testing.assert_allclose(joints[:, 2], ends["c"])
    via_files = read_asf_amc_joints(tmp_path / "tiny.asf", tmp_path / "tiny.amc", TINY_SKELETON, mapping,
                                    frames=[1])
    np.testing.assert_allclose(via_files, joints[1:2])


def test_mapping_errors(tiny):
    asf, motion = tiny
    ends = forward_kinematics(asf, motion)
    with pytest.raises(MappingError, match=r"clip\.amc.*'tip'.*'toe'"):
        bone_end_points_to_joints(ends, TINY_SKELETON, {"pelvis": "root", "mid": "a", "tip": "toe"},
                                  source="clip.amc")
    with pytest.raises(MappingError, match=r"clip\.amc.*'mid'.*'nope'"):
        bone_end_points_to_joints(ends, TINY_SKELETON, {"pelvis": "root", "mid": ("a", "nope"), "tip": "c"},
                                  source="clip.amc")
    with pytest.raises(MappingError, match=r"clip\.amc.*no entry for joint 'tip'"):
        bone_end_points_to_joints(ends, TINY_SKELETON, {"pelvis": "root", "mid": "a"}, source="clip.amc")


def test_hdm05_mapping_covers_h36m17():
    assert set(HDM05_TO_H36M17) == set(H36M_17.joint_names)
    assert HDM05_TO_H36M17["spine"] == ("lowerback", "upperback")
    assert HDM05_TO_H36M17["pelvis"] == "root"


# ------------------------------------------------------------------------------------------ bad input
def _cut_after(text: str, needle: str) -> str:
    i = text.index(needle) + len(needle)
    return text[:i] + "\n"


ASF_CASES = {
    "missing bonedata": (_cut_after(ASF, "orientation 0 0 0"), "bonedata", None),
    "bad direction": (ASF.replace("direction 0 1 0", "direction 0 x 0"), "direction", "direction 0 x 0"),
    "short direction": (ASF.replace("direction 0 1 0", "direction 0 1"), "3 numbers", "direction 0 1"),
    "truncated bone": (_cut_after(ASF, "length 1"), "no 'end'", None),
    "unknown hierarchy bone": (ASF.replace("    b c\n", "    b zz\n"), "zz", "b zz"),
    "bad axis order": (ASF.replace("axis 0 0 90 XYZ", "axis 0 0 90 XYQ"), "axis order", "XYQ"),
    "translation dof": (ASF.replace("dof rx\n", "dof tx\n"), "dof", "dof tx"),
    "missing length": (ASF.replace("     length 2\n", ""), "'length'", "end"),
    "unknown key": (ASF.replace("     id 2\n", "     colour red\n"), "colour", "colour red"),
    "unknown units": (ASF.replace("angle deg", "angle grad"), "angle", "angle grad"),
    "bad root order": (ASF.replace("order TX TY TZ", "order TX TQ TZ"), "root order", "order TX"),
    "no hierarchy end": (ASF[: ASF.rindex("  end")], "no 'end'", None),
}


@pytest.mark.parametrize("case", sorted(ASF_CASES))
def test_bad_asf_raises_format_error(tmp_path, case):
    text, message, needle = ASF_CASES[case]
    path = _write(tmp_path, "bad.asf", text)
    with pytest.raises(FormatError, match=message) as info:
        read_asf(path)
    err = info.value
    assert err.path == str(path)
    lines = text.split("\n")
    expected_line = _last_line(text) if needle is None else _line_of(text, needle, 0)
    if case == "missing length":  # the 'end' of bone a's block
        expected_line = lines.index("  end") + 1
    assert err.line == expected_line, str(err)
    assert "bad.asf" in str(err)


AMC_LINES = AMC.split("\n")
AMC_CASES = {
    "bad number": (AMC.replace("a 0 0 90", "a 0 abc 90"), "finite numbers", "a 0 abc 90"),
    "nan": (AMC.replace("a 0 0 90", "a 0 nan 90"), "finite numbers", "a 0 nan 90"),
    "too few values": (AMC.replace("b 90", "b 90 1"), "bone 'b': expected 1 value ", "b 90 1"),
    "values on a dof-less bone": (AMC.replace("b 90\n", "b 90\nc 1\n"), "'c'", "c 1"),
    "unknown bone": (AMC.replace("b 90", "zz 90"), "'zz'", "zz 90"),
    "frame missing a bone": (AMC.replace("b 90\n", ""), r"frame 2 \(line 8\).*\bb\b", "3"),
    "truncated": (AMC[: AMC.rindex("a 0 0 0")], r"frame 3 .*\ba\b", None),
    "bone twice": (AMC.replace("b 90\n", "b 90\nb 90\n"), "twice", "b 90|1"),
    "bone before frame": (AMC.replace("1\nroot", "root", 1), "frame number", "root 0 0 0 0 0 0"),
    "no frames": (AMC[: AMC.index("1\n")], "no frames", None),
}


@pytest.mark.parametrize("case", sorted(AMC_CASES))
def test_bad_amc_raises_format_error(tiny, tmp_path, case):
    asf, _ = tiny
    text, message, needle = AMC_CASES[case]
    path = _write(tmp_path, "bad.amc", text)
    with pytest.raises(FormatError, match=message) as info:
        read_amc(path, asf)
    err = info.value
    assert err.path == str(path)
    lines = text.split("\n")
    if needle is None:
        expected = _last_line(text)
    elif "|" in needle:
        s, nth = needle.split("|")
        expected = _line_of(text, s, int(nth))
    else:
        expected = lines.index(needle) + 1
    assert err.line == expected, str(err)


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_asf(tmp_path / "nope.asf")


# ------------------------------------------------------------------------------------------ real data
def test_real_hdm05_file(hdm05_dir):
    DATA = hdm05_dir  # ../shared/data/hdm05 (conftest: skips naming the path, fails in CI when missing)
    # upper-case extension, Latin-1 header byte, mixed CRLF/LF, bones with 0-2 dofs
    amc = DATA / "amc" / "HDM_bk_sneak2StepsLStart_006_120.AMC"
    asf = read_asf(DATA / "asf" / "HDM_bk.asf")
    assert len(asf.bones) == 30 and asf.length_unit_mm == pytest.approx(56.4444444)
    motion = read_amc(amc, asf)
    ends = forward_kinematics(asf, motion)
    F = motion.num_frames
    assert F > 100 and all(v.shape == (F, 3) for v in ends.values())
    # a bone's length is its ASF length whatever the pose: the end of its parent to its own end
    for parent, child in [("lfemur", "ltibia"), ("rhipjoint", "rfemur"), ("lclavicle", "lhumerus"),
                          ("root", "lowerback"), ("upperback", "thorax")]:
        d = np.linalg.norm(ends[child] - ends[parent], axis=1)
        assert np.ptp(d) < 0.1, (parent, child)
        assert d.mean() == pytest.approx(asf.bones[child].length * asf.length_unit_mm, abs=0.1)
    joints = read_asf_amc_joints(DATA / "asf" / "HDM_bk.asf", amc, H36M_17, HDM05_TO_H36M17)
    assert joints.shape == (F, 17, 3)
    assert 800 < np.median(joints[:, 0, 1]) < 1100  # pelvis height, mm, Y up
    np.testing.assert_allclose(joints[:, 0], ends["root"])


def test_motion_from_another_skeleton(tiny, tmp_path):
    _asf, motion = tiny
    other = read_asf(_write(tmp_path, "o.asf", ASF.replace("name b", "name bb").replace("a b\n", "a bb\n")
                            .replace("b c\n", "bb c\n")))
    with pytest.raises(MappingError, match="'bb'"):
        forward_kinematics(other, motion)
