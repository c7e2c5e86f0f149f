"""Keypoint layouts, their mapping onto H36M-17, the readers, and gap filling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skelgnn.core.errors import FormatError, ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.keypoints import (
    LAYOUTS,
    Keypoints,
    fill_missing,
    get_layout,
    layout_for_count,
    map_to_h36m,
    read_keypoints,
    to_h36m,
    write_keypoints,
)

J = {n: i for i, n in enumerate(H36M_17.joint_names)}


def _coco_pose() -> np.ndarray:
    """A hand-made upright COCO-17 pose in pixels, (17, 2)."""
    return np.array([
        [300, 100],  # nose
        [290, 90], [310, 90],  # eyes
        [275, 100], [325, 100],  # ears (l, r)
        [360, 160], [240, 160],  # shoulders (l, r)
        [380, 240], [220, 240],  # elbows
        [390, 320], [210, 320],  # wrists
        [340, 330], [260, 330],  # hips (l, r)
        [345, 450], [255, 450],  # knees
        [350, 570], [250, 570],  # ankles
    ], dtype=np.float64)


def _layout_pose(layout: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A pose in ``layout`` built from the COCO pose by name, plus the extra named points."""
    coco = dict(zip(LAYOUTS["coco17"].keypoint_names, _coco_pose()))
    extra = {
        "neck": np.array([300.0, 150.0]), "mid_hip": np.array([300.0, 335.0]),
        "hip": np.array([300.0, 332.0]),
        "head": np.array([300.0, 40.0]),
    }
    rng = np.random.default_rng(1)
    lay = LAYOUTS[layout]
    pts = []
    for n in lay.keypoint_names:
        if n in coco:
            pts.append(coco[n])
        elif n in extra:
            pts.append(extra[n])
        else:  # feet, hands, face details: anywhere
            pts.append(rng.uniform(0, 600, 2))
    return np.asarray(pts), {**coco, **extra}


def test_every_layout_is_an_average_and_has_its_count():
    for lay in LAYOUTS.values():
        np.testing.assert_allclose(lay.weights.sum(1), 1.0)
        assert (lay.weights >= 0).all()
    assert layout_for_count(17).name == "coco17"
    assert layout_for_count(25).name == "body25"
    assert layout_for_count(26).name == "halpe26"
    assert layout_for_count(33).name == "blazepose33"
    assert layout_for_count(18).name == "openpose18"
    assert get_layout("MediaPipe").name == "blazepose33"
    assert get_layout("openpose").name == "body25"
    with pytest.raises(SkelgnnError, match="unknown keypoint layout"):
        get_layout("mpii")


def test_module_docstring_documents_every_layout():
    import skelgnn.keypoints as K

    for name in LAYOUTS:
        assert f"``{name}``" in K.__doc__


def test_coco_mapping_derives_pelvis_thorax_spine_neck_head():
    pose = _coco_pose()
    conf = np.linspace(0.5, 1.0, 17)
    j, c = map_to_h36m(pose, conf, "coco17")
    names = LAYOUTS["coco17"].keypoint_names
    k = {n: pose[i] for i, n in enumerate(names)}
    kc = {n: conf[i] for i, n in enumerate(names)}
    np.testing.assert_allclose(j[J["pelvis"]], (k["left_hip"] + k["right_hip"]) / 2)
    np.testing.assert_allclose(j[J["thorax"]], (k["left_shoulder"] + k["right_shoulder"]) / 2)
    np.testing.assert_allclose(j[J["spine"]], (j[J["pelvis"]] + j[J["thorax"]]) / 2)
    np.testing.assert_allclose(j[J["neck"]], k["nose"])
    np.testing.assert_allclose(j[J["head"]], (k["left_ear"] + k["right_ear"]) / 2)
    for limb in ("left_knee", "right_ankle", "left_wrist", "right_shoulder", "left_hip"):
        np.testing.assert_allclose(j[J[limb]], k[limb])
    assert c[J["pelvis"]] == pytest.approx(min(kc["left_hip"], kc["right_hip"]))
    assert c[J["spine"]] == pytest.approx(min(kc[n] for n in ("left_hip", "right_hip", "left_shoulder",
                                                               "right_shoulder")))
    assert c[J["left_wrist"]] == pytest.approx(kc["left_wrist"])


@pytest.mark.parametrize("layout", ["openpose18", "body25", "halpe26", "blazepose33"])
def test_other_layouts_map_by_name(layout):
    pose, named = _layout_pose(layout)
    j, c = map_to_h36m(pose, None, layout)
    assert j.shape == (17, 2) and np.isfinite(j).all() and (c == 1).all()
    for limb in ("right_hip", "left_knee", "right_ankle", "left_shoulder", "right_elbow", "left_wrist"):
        np.testing.assert_allclose(j[J[limb]], named[limb])
    np.testing.assert_allclose(j[J["neck"]], named["nose"])
    mid_hips = (named["left_hip"] + named["right_hip"]) / 2
    mid_sho = (named["left_shoulder"] + named["right_shoulder"]) / 2
    mid_ears = (named["left_ear"] + named["right_ear"]) / 2
    expect = {
        "openpose18": (mid_hips, named["neck"], mid_ears),
        "body25": (named["mid_hip"], named["neck"], mid_ears),
        "halpe26": (named["hip"], named["neck"], named["head"]),
        "blazepose33": (mid_hips, mid_sho, mid_ears),
    }[layout]
    np.testing.assert_allclose(j[J["pelvis"]], expect[0])
    np.testing.assert_allclose(j[J["thorax"]], expect[1])
    np.testing.assert_allclose(j[J["head"]], expect[2])
    np.testing.assert_allclose(j[J["spine"]], (expect[0] + expect[1]) / 2)


def test_h36m_layout_is_identity_and_missing_sources_propagate():
    x = np.random.default_rng(0).uniform(0, 100, (3, 17, 2))
    j, c = map_to_h36m(x, None, "h36m17")
    np.testing.assert_array_equal(j, x)
    pose = _coco_pose()
    pose[11] = np.nan  # left hip
    j, c = map_to_h36m(pose, np.ones(17), "coco17")
    assert np.isnan(j[J["pelvis"]]).all() and c[J["pelvis"]] == 0 and c[J["spine"]] == 0
    assert np.isnan(j[J["left_hip"]]).all() and np.isfinite(j[J["right_hip"]]).all()
    with pytest.raises(ShapeError):
        map_to_h36m(np.zeros((5, 2)), None, "coco17")


# ---------------------------------------------------------------------------------------- OpenPose

def _openpose_frame(people) -> dict:
    return {"version": 1.3, "people": [
        {"person_id": [-1], "pose_keypoints_2d": [float(v) for v in p.reshape(-1)], "face_keypoints_2d": []}
        for p in people]}


def _body25(offset_x: float) -> np.ndarray:
    pose, _ = _layout_pose("body25")
    k = np.concatenate([pose, np.full((25, 1), 0.9)], 1)
    k[:, 0] += offset_x
    return k


def test_openpose_folder_two_people_and_a_missing_frame(tmp_path):
    a, b = _body25(0.0), _body25(800.0)
    frames = {0: [a, b], 1: [b + [5, 0, 0], a + [5, 0, 0]], 3: [a + [15, 0, 0]], 4: []}
    for n, people in frames.items():  # frame 2 has no file, frame 4 nobody
        (tmp_path / f"clip_{n:012d}_keypoints.json").write_text(json.dumps(_openpose_frame(people)))
    kp = read_keypoints(tmp_path)
    assert kp.layout == "body25" and kp.layout_guessed
    assert kp.xy.shape == (2, 5, 25, 2) and kp.conf.shape == (2, 5, 25)
    np.testing.assert_array_equal(kp.frames, [0, 1, 2, 3, 4])
    # person A stays track 0 although the people swapped order in frame 1
    np.testing.assert_allclose(kp.xy[0, 0], a[:, :2])
    np.testing.assert_allclose(kp.xy[0, 1], a[:, :2] + [5, 0])
    np.testing.assert_allclose(kp.xy[1, 1], b[:, :2] + [5, 0])
    np.testing.assert_allclose(kp.xy[0, 3], a[:, :2] + [15, 0])
    assert np.isnan(kp.xy[:, 2]).all() and (kp.conf[:, 2] == 0).all()  # missing file
    assert np.isnan(kp.xy[1, 3]).all() and np.isnan(kp.xy[:, 4]).all()  # B gone, nobody
    j, _ = to_h36m(kp)
    assert j.shape == (2, 5, 17, 2)


def test_openpose_person_ids_and_undetected_keypoints(tmp_path):
    a, b = _body25(0.0), _body25(800.0)
    a[4] = 0.0  # OpenPose writes an undetected keypoint as 0, 0, 0
    for n in range(2):
        doc = _openpose_frame([a, b])
        doc["people"][0]["person_id"], doc["people"][1]["person_id"] = [7], [3]
        if n == 1:
            doc["people"].reverse()
        (tmp_path / f"v_{n:06d}_keypoints.json").write_text(json.dumps(doc))
    kp = read_keypoints(tmp_path, layout="openpose")
    np.testing.assert_array_equal(kp.track_ids, [3, 7])
    np.testing.assert_allclose(kp.xy[1, :, 0], a[None, 0, :2].repeat(2, 0))
    assert np.isnan(kp.xy[1, :, 4]).all() and (kp.conf[1, :, 4] == 0).all()
    assert not kp.layout_guessed


def test_openpose_files_with_different_counts_name_the_file(tmp_path):
    (tmp_path / "x_000000000000_keypoints.json").write_text(json.dumps(_openpose_frame([_body25(0)])))
    bad = tmp_path / "x_000000000001_keypoints.json"
    bad.write_text(json.dumps(_openpose_frame([_body25(0)[:18]])))
    with pytest.raises(FormatError, match="18 keypoints per person") as e:
        read_keypoints(tmp_path)
    assert e.value.path == str(bad)
    (tmp_path / "x_000000000001_keypoints.json").write_text('{"people": [{"pose_keypoints_2d": [1, 2]}]}')
    with pytest.raises(FormatError, match=r"people\[0\].pose_keypoints_2d has 2 numbers; expected 3 per "
                                          r"keypoint"):
        read_keypoints(tmp_path)
    (tmp_path / "x_000000000001_keypoints.json").write_text('{"people": [\n  {"pose_keypoints_2d": [1, '
                                                            '2,]}]}')
    with pytest.raises(FormatError, match="not valid JSON") as e:
        read_keypoints(tmp_path)
    assert e.value.line == 2


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FormatError, match=r"no \*_keypoints.json"):
        read_keypoints(tmp_path)


# ---------------------------------------------------------------------------------------- JSON, npz, CSV

def test_generic_json_frames_and_coco_results(tmp_path):
    pose = _coco_pose()
    rows = [[float(x), float(y), 0.8] for x, y in pose]
    doc = {"layout": "coco17", "width": 640, "height": 480, "fps": 25,
           "frames": [{"frame": 10, "people": [{"track_id": 1, "keypoints": rows}]},
                      {"frame": 12, "people": [{"track_id": 1, "keypoints": [r if i != 3 else None
                                                                           for i, r in enumerate(rows)]}]}]}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    kp = read_keypoints(tmp_path / "a.json")
    assert (kp.width, kp.height, kp.fps) == (640, 480, 25.0)
    assert kp.xy.shape == (1, 3, 17, 2) and kp.track_ids.tolist() == [1]
    np.testing.assert_array_equal(kp.frames, [10, 11, 12])
    assert np.isnan(kp.xy[0, 1]).all() and np.isnan(kp.xy[0, 2, 3]).all()
    flat = [v for r in rows for v in r]
    results = [{"image_id": "frame_0001.jpg", "category_id": 1, "keypoints": flat, "score": 0.9},
               {"image_id": "frame_0002.jpg", "category_id": 1, "keypoints": flat, "score": 0.9}]
    (tmp_path / "res.json").write_text(json.dumps(results))
    kp = read_keypoints(tmp_path / "res.json")
    assert kp.layout == "coco17" and kp.xy.shape == (1, 2, 17, 2)
    np.testing.assert_allclose(kp.xy[0, 1], pose)
    (tmp_path / "bad.json").write_text(json.dumps({"frames": [{"people": [{"kp": []}]}]}))
    with pytest.raises(FormatError, match=r"frames\[0\].people\[0\]: a person needs a 'keypoints'"):
        read_keypoints(tmp_path / "bad.json")


def _two_tracks(T: int = 6) -> Keypoints:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 500, (2, T, 17, 2))
    conf = rng.uniform(0.1, 1.0, (2, T, 17))
    xy[0, 2, 4] = np.nan
    conf[0, 2, 4] = 0.0
    xy[1, 0] = np.nan  # track 1 absent in frame 0
    conf[1, 0] = 0.0
    return Keypoints(xy, conf, "coco17", [4, 9], np.arange(5, 5 + T), width=640, height=480, fps=30.0)


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_round_trip(tmp_path, suffix):
    kp = _two_tracks()
    path = write_keypoints(kp, tmp_path / f"k{suffix}")
    back = read_keypoints(path)
    assert back.layout == "coco17"
    np.testing.assert_array_equal(back.track_ids, kp.track_ids)
    np.testing.assert_array_equal(back.frames, kp.frames)
    np.testing.assert_allclose(back.xy, kp.xy)  # NaN in the same places
    np.testing.assert_allclose(back.conf, kp.conf)
    if suffix == ".npz":
        assert (back.width, back.height, back.fps) == (640, 480, 30.0)


def test_csv_header_and_errors(tmp_path):
    kp = _two_tracks()
    path = write_keypoints(kp, tmp_path / "k.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:5] == ["frame", "track", "nose_x", "nose_y", "nose_c"]
    # custom names need an explicit layout and are taken in column order
    names = [f"p{i}" for i in range(17)]
    lines = ["frame," + ",".join(f"{n}_x,{n}_y" for n in names)]
    lines.append("0," + ",".join(f"{i},{2 * i}" for i in range(17)))
    lines.append("1," + ",".join(f"{i},{2 * i}" for i in range(17)))
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="match no layout"):
        read_keypoints(tmp_path / "c.csv")
    kp = read_keypoints(tmp_path / "c.csv", layout="h36m17")
    np.testing.assert_allclose(kp.xy[0, 1, 5], [5, 10])
    assert (kp.conf == 1).all()
    lines[2] = "1," + ",".join(f"{i},{2 * i}" for i in range(16)) + ",16,oops"
    (tmp_path / "c.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="column 'p16_y': 'oops' is not a number") as e:
        read_keypoints(tmp_path / "c.csv", layout="h36m17")
    assert e.value.line == 3 and "c.csv, line 3" in str(e.value)
    (tmp_path / "d.csv").write_text("track,nose_x\n")
    with pytest.raises(FormatError, match="no 'frame' column"):
        read_keypoints(tmp_path / "d.csv")


def test_npz_forms_and_errors(tmp_path):
    x = np.random.default_rng(0).uniform(0, 100, (4, 17, 2))
    np.savez(tmp_path / "one.npz", keypoints=x, layout="h36m17", width=100, height=100)
    kp = read_keypoints(tmp_path / "one.npz")
    assert kp.xy.shape == (1, 4, 17, 2) and kp.layout == "h36m17" and (kp.conf == 1).all()
    det = np.concatenate([np.random.default_rng(1).uniform(0, 100, (3, 33, 2)), np.ones((3, 33, 1))], -1)
    np.savez(tmp_path / "rows.npz", keypoints=det, frame=np.array([0, 0, 2]), track_id=np.array([1, 2, 1]))
    kp = read_keypoints(tmp_path / "rows.npz")
    assert kp.layout == "blazepose33" and kp.xy.shape == (2, 3, 33, 2)
    np.testing.assert_allclose(kp.xy[0, 2], det[2, :, :2])
    assert np.isnan(kp.xy[1, 2]).all()
    np.savez(tmp_path / "nokey.npz", poses=x)
    with pytest.raises(FormatError, match=r"no 'keypoints' array.*found \['poses'\]"):
        read_keypoints(tmp_path / "nokey.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="not a readable npz"):
        read_keypoints(tmp_path / "junk.npz")


def test_wrong_number_of_keypoints_names_file_and_expectation(tmp_path):
    np.savez(tmp_path / "k.npz", keypoints=np.zeros((3, 21, 3)))
    with pytest.raises(FormatError) as e:
        read_keypoints(tmp_path / "k.npz")
    msg = str(e.value)
    assert str(tmp_path / "k.npz") in msg and "21 keypoints" in msg and "17 (coco17)" in msg
    with pytest.raises(FormatError, match="layout 'coco17' has 17 keypoints but the file has 21"):
        read_keypoints(tmp_path / "k.npz", layout="coco")
    with pytest.raises(FormatError, match=r"unknown keypoint file type '\.txt'"):
        (tmp_path / "k.txt").write_text("1 2 3")
        read_keypoints(tmp_path / "k.txt")


# ---------------------------------------------------------------------------------------- filling

def test_fill_missing_interpolates_flags_and_never_returns_nan():
    T = 6
    x = np.stack([np.stack([np.arange(T) * 10.0 + j, np.full(T, float(j))], -1) for j in range(17)], 1)
    conf = np.ones((T, 17))
    x[2, 3] = np.nan  # NaN joint
    conf[3, 3] = 0.1  # low confidence
    x[0, 5] = np.nan  # first frame missing: nearest valid
    x[4] = np.nan  # a frame with every joint missing
    conf[:, 9] = 0.0  # never valid
    filled, flags = fill_missing(x, conf, 0.3)
    assert np.isfinite(filled).all() and flags.dtype == bool and flags.shape == (T, 17)
    np.testing.assert_allclose(filled[2, 3], [23.0, 3.0])  # linear between its valid frames 1 and 5
    np.testing.assert_allclose(filled[3, 3], [33.0, 3.0])
    np.testing.assert_allclose(filled[0, 5], filled[1, 5])
    np.testing.assert_allclose(filled[4, 0], [40.0, 0.0])  # between frames 3 and 5
    np.testing.assert_allclose(filled[:, 9], filled[:, 8])  # nearest joint along the bones (thorax)
    assert flags[2, 3] and flags[3, 3] and flags[0, 5] and flags[4].all() and flags[:, 9].all()
    assert flags.sum() == 1 + 1 + 1 + 17 + (T - 1)
    assert not flags[1, 3]


def test_fill_missing_without_any_valid_joint_raises():
    with pytest.raises(SkelgnnError, match="track 2: no joint is valid in any of its 4 frames"):
        fill_missing(np.full((4, 17, 2), np.nan), None, what="track 2")
    with pytest.raises(SkelgnnError, match=r"below 0\.5"):
        fill_missing(np.zeros((4, 17, 2)), np.full((4, 17), 0.4), 0.5)
    with pytest.raises(ShapeError):
        fill_missing(np.zeros((4, 17)), None)


@pytest.mark.parametrize("columns", [2, 3])
def test_npz_infinity_is_refused_and_nan_is_missing(tmp_path, columns):
    k = np.random.default_rng(0).uniform(100, 900, (4, 17, columns))
    if columns == 3:
        k[..., 2] = 0.9
    k[1, 5, 0] = np.nan
    path = tmp_path / "k.npz"
    np.savez(path, keypoints=k, layout="h36m17")
    kp = read_keypoints(path)
    assert kp.num_tracks == 1
    bad = k.copy()
    bad[2, 7, 1] = np.inf
    np.savez(tmp_path / "bad.npz", keypoints=bad, layout="h36m17")
    with pytest.raises(FormatError, match=r"bad\.npz.*1 infinite value.*\(2, 7, 1\)"):
        read_keypoints(tmp_path / "bad.npz")
