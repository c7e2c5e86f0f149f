"""BVH reader and forward kinematics: hand-computed answers and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skelgnn.core.errors import FormatError, MappingError
from skelgnn.core.skeleton import Skeleton
from skelgnn.data.bvh import bvh_forward_kinematics, read_bvh, read_bvh_joints

# Root with a non-standard rotation order, a joint with Y-X-Z order, and a joint with a position
# channel mixed among its rotations; two End Sites.
BVH = """\
HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Yrotation Xrotation Zrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
  JOINT Leg
  {
    OFFSET 3 1 0
    CHANNELS 4 Xrotation Yposition Zrotation Yrotation
    End Site
    {
      OFFSET 0 -4 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
1 2 3 0 0 0   0 0 0    0 1 0 0
0 0 0 0 0 90  0 90 90  0 2 90 0
0 0 0 90 90 0 0 0 0    0 1 0 0
"""

# Frame 1: root Ry(90) (x -> -z, z -> x); Chest R = Ry(0)·Rx(90)·Rz(90): (0,5,0) -> (-5,0,0) -> (-5,0,0),
#   then the root's Ry(90) -> (0,0,5). Leg translation (3, 2, 0) (Yposition replaces OFFSET y) -> (0,2,-3);
#   Leg R = Rz(90): (0,-4,0) -> (4,0,0) -> Ry(90) -> (0,0,-4).
# Frame 2: root Rz(90)·Rx(90) (listed Z X Y): (0,10,0) -> (0,0,10); (3,1,0) -> (3,0,1) -> (0,3,1).
EXPECTED = {
    "Hips": [(1, 2, 3), (0, 0, 0), (0, 0, 0)],
    "Chest": [(1, 12, 3), (0, 10, 0), (0, 0, 10)],
    "Chest_end": [(1, 17, 3), (0, 10, 5), (0, 0, 15)],
    "Leg": [(4, 3, 3), (0, 2, -3), (0, 3, 1)],
    "Leg_end": [(4, -1, 3), (0, 2, -7), (0, 3, -3)],
}


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("latin-1") if isinstance(text, str) else text)
    return p


def test_read_bvh_structure(tmp_path):
    m = read_bvh(_write(tmp_path, "t.bvh", BVH))
    assert m.joint_names == ("Hips", "Chest", "Chest_end", "Leg", "Leg_end")
    assert m.parents == (-1, 0, 1, 0, 3)
    assert m.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
    assert m.channels[1] == ("Yrotation", "Xrotation", "Zrotation")
    assert m.channels[2] == () and m.channels[4] == ()
    assert m.channels[3] == ("Xrotation", "Yposition", "Zrotation", "Yrotation")
    assert m.channel_offsets == (0, 6, 9, 9, 13)
    np.testing.assert_allclose(m.offsets[3], [3, 1, 0])
    assert m.frame_time == pytest.approx(0.0333333)
    assert m.motion.shape == (3, 13) and m.num_frames == 3


def test_bvh_forward_kinematics_hand_computed(tmp_path):
    m = read_bvh(_write(tmp_path, "t.bvh", BVH))
    pos = bvh_forward_kinematics(m)
    assert list(pos) == list(m.joint_names)
    for name, want in EXPECTED.items():
        np.testing.assert_allclose(pos[name], np.array(want, float), atol=1e-9, err_msg=name)
    sel = bvh_forward_kinematics(m, frames=[2, 1])
    for name in pos:
        np.testing.assert_allclose(sel[name], pos[name][[2, 1]])


def test_bvh_crlf_and_joints(tmp_path):
    path = _write(tmp_path, "crlf.bvh", BVH.replace("\n", "\r\n").encode("latin-1"))
    skel = Skeleton("t", ("pelvis", "torso", "leg"), (-1, 0, 0), (), ())
    joints = read_bvh_joints(path, skel, {"pelvis": "Hips", "torso": ("Chest", "Chest_end"), "leg": "Leg"},
                             scale=10.0)
    assert joints.shape == (3, 3, 3)
    np.testing.assert_allclose(joints[0], np.array([(1, 2, 3), (1, 14.5, 3), (4, 3, 3)]) * 10.0)
    with pytest.raises(MappingError, match=r"crlf\.bvh.*'leg'.*'Foot'"):
        read_bvh_joints(path, skel, {"pelvis": "Hips", "torso": "Chest", "leg": "Foot"})


def test_bvh_zero_frames(tmp_path):
    text = BVH[: BVH.index("Frames:")] + "Frames: 0\nFrame Time: 0.01\n"
    m = read_bvh(_write(tmp_path, "z.bvh", text))
    assert m.motion.shape == (0, 13)
    assert bvh_forward_kinematics(m)["Leg_end"].shape == (0, 3)


def _last_line(text: str) -> int:
    return len(text.split("\n")) - text.endswith("\n")


CASES = {
    "not a bvh": ("hello\n" + BVH, "HIERARCHY", "hello"),
    "no motion": (BVH[: BVH.index("MOTION")], "MOTION", None),
    "unknown channel": (BVH.replace("Zrotation Xrotation Yrotation", "Zrotation Wrotation Yrotation"),
                        "channel name", "Wrotation"),
    "bad offset": (BVH.replace("OFFSET 3 1 0", "OFFSET 3 one 0"), "OFFSET", "OFFSET 3 one 0"),
    "missing brace": (BVH.replace("  }\n  JOINT Leg", "  JOINT Leg"), "hierarchy ends early", "MOTION"),
    "bad keyword": (BVH.replace("JOINT Leg", "JIONT Leg"), "JIONT", "JIONT"),
    "bad channel count": (BVH.replace("CHANNELS 4", "CHANNELS four"), "channel count", "CHANNELS four"),
    "too many frames": (BVH.replace("Frames: 3", "Frames: 2"), "'Frames: 2' but 3", "0 0 0 90 90 0"),
    "too few frames": (BVH.replace("Frames: 3", "Frames: 4"), "'Frames: 4' but 3", None),
    "short frame line": (BVH.replace("0 2 90 0\n", "0 2 90\n"), "expected 13 values", "0 2 90"),
    "bad number": (BVH.replace("0 2 90 0\n", "0 2 x 0\n"), "finite numbers on frame line 2", "0 2 x 0"),
    "bad frame time": (BVH.replace("Frame Time: 0.0333333", "Frame Time: fast"), "Frame Time", "Frame Time"),
    "missing frames line": (BVH.replace("Frames: 3\n", ""), "Frames:", "Frame Time"),
    "duplicate joint": (BVH.replace("JOINT Leg", "JOINT Chest"), "used twice", "JOINT Chest|1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_bvh_raises_format_error(tmp_path, case):
    text, message, needle = CASES[case]
    path = _write(tmp_path, "bad.bvh", text)
    with pytest.raises(FormatError, match=message) as info:
        read_bvh(path)
    err = info.value
    assert err.path == str(path) and "bad.bvh" in str(err)
    if needle is None:
        expected = _last_line(text)
    else:
        s, _, nth = needle.partition("|")
        expected = [i + 1 for i, line in enumerate(text.split("\n")) if s in line][int(nth or 0)]
    assert err.line == expected, str(err)
