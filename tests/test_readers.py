"""The keypoint files other tools write: plain JSON arrays, mmpose JSON, .npy, VideoPose3D custom npz,
CSV columns by position; and the example folder, every file of which is lifted."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from skelgnn.core.errors import FormatError
from skelgnn.keypoints import read_keypoints

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _pose(T: int = 3, K: int = 17) -> np.ndarray:
    """(T, K, 3) pixels + confidence, confidence 0.05 at keypoint 9 of frame 1."""
    rng = np.random.default_rng(0)
    k = np.concatenate([rng.uniform(50, 600, (T, K, 2)), np.full((T, K, 1), 0.8)], -1).round(1)
    k[1, 9, 2] = 0.05
    return k


def test_plain_json_frames_one_person_keeps_confidence(tmp_path):
    k = _pose()
    (tmp_path / "a.json").write_text(json.dumps(k.tolist()))
    kp = read_keypoints(tmp_path / "a.json")
    assert kp.layout == "coco17" and kp.layout_guessed and kp.xy.shape == (1, 3, 17, 2)
    np.testing.assert_allclose(kp.xy[0], k[..., :2])
    assert kp.conf[0, 1, 9] == pytest.approx(0.05) and kp.conf[0, 0, 0] == pytest.approx(0.8)
    kp = read_keypoints(tmp_path / "a.json", layout="coco17")  # was: "has 17 keypoints but the file has 1"
    assert not kp.layout_guessed and kp.xy.shape == (1, 3, 17, 2)
    (tmp_path / "b.json").write_text(json.dumps(k[..., :2].tolist()))  # [x, y] rows: confidence 1
    assert (read_keypoints(tmp_path / "b.json").conf == 1).all()
    (tmp_path / "m.json").write_text(json.dumps({"width": 640, "height": 480, "fps": 25,
                                                  "frames": k.tolist()}))
    kp = read_keypoints(tmp_path / "m.json")
    assert (kp.width, kp.height, kp.fps) == (640, 480, 25.0)


def test_plain_json_frames_of_people_and_nulls(tmp_path):
    a, b = _pose(), _pose() + [300, 0, 0]
    doc = np.stack([a, b], 1).tolist()  # [T][P][K][3]
    doc[2][1][4] = None
    (tmp_path / "p.json").write_text(json.dumps(doc))
    kp = read_keypoints(tmp_path / "p.json")
    assert kp.xy.shape == (2, 3, 17, 2)
    np.testing.assert_allclose(kp.xy[1, 0], b[0, :, :2])
    assert np.isnan(kp.xy[1, 2, 4]).all() and kp.conf[1, 2, 4] == 0


def test_plain_json_errors_name_file_and_expectation(tmp_path):
    rows = _pose().tolist()
    rows[1] = rows[1][:16]
    (tmp_path / "r.json").write_text(json.dumps(rows))
    with pytest.raises(FormatError, match=r"r.json: .*not a rectangular array; expected \[T\]\[K\]\[2\|3\]"):
        read_keypoints(tmp_path / "r.json")
    (tmp_path / "k.json").write_text(json.dumps(_pose(K=25).tolist()))
    with pytest.raises(FormatError, match=r"k.json: layout 'coco17' has 17 keypoints but the file has 25 per "
                                          r"person \(25 fits --layout body25\)"):
        read_keypoints(tmp_path / "k.json", layout="coco17")
    assert read_keypoints(tmp_path / "k.json").layout == "body25"


def _mmpose_frames(k: np.ndarray, track: bool = True) -> list:
    out = []
    for t, f in enumerate(k):
        inst = {"keypoints": f[:, :2].tolist(), "keypoint_scores": f[:, 2].tolist(),
                "bbox": [[0.0, 0.0, 10.0, 10.0]], "bbox_score": 0.9}
        if track:
            inst["track_id"] = 5
        out.append({"frame_id": t + 10, "instances": [inst]})
    return out


def test_mmpose_inferencer_json_scores_and_track_ids(tmp_path):
    k = _pose()
    (tmp_path / "mm.json").write_text(json.dumps(_mmpose_frames(k)))
    kp = read_keypoints(tmp_path / "mm.json")
    assert kp.layout == "coco17" and kp.track_ids.tolist() == [5]
    np.testing.assert_array_equal(kp.frames, [10, 11, 12])
    np.testing.assert_allclose(kp.xy[0], k[..., :2])
    assert kp.conf[0, 1, 9] == pytest.approx(0.05)  # was: every confidence 1
    # one image: a bare list of instances
    (tmp_path / "img.json").write_text(json.dumps(_mmpose_frames(k[:1])[0]["instances"]))
    assert read_keypoints(tmp_path / "img.json").xy.shape == (1, 1, 17, 2)
    # the demo scripts' --save-predictions file, layout from meta_info
    demo = {"meta_info": {"dataset_name": "h36m"}, "instance_info": _mmpose_frames(k, track=False)}
    (tmp_path / "demo.json").write_text(json.dumps(demo))
    kp = read_keypoints(tmp_path / "demo.json")
    assert kp.layout == "h36m17" and not kp.layout_guessed
    bad = _mmpose_frames(k)
    bad[1]["instances"][0]["keypoint_scores"] = [0.5] * 3
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(FormatError, match=r"bad.json: \[1\].instances\[0\].keypoint_scores: expected 17 "
                                          r"scores"):
        read_keypoints(tmp_path / "bad.json")


def test_generic_person_with_keypoint_scores_beside(tmp_path):
    k = _pose()
    doc = {"frames": [{"frame": t, "people": [{"keypoints": f[:, :2].tolist(),
                                               "keypoint_scores": f[:, 2].tolist()}]}
                      for t, f in enumerate(k)]}
    (tmp_path / "g.json").write_text(json.dumps(doc))
    assert read_keypoints(tmp_path / "g.json").conf[0, 1, 9] == pytest.approx(0.05)


def test_npy_one_and_several_people(tmp_path):
    k = _pose()
    np.save(tmp_path / "one.npy", k)
    kp = read_keypoints(tmp_path / "one.npy")
    assert kp.xy.shape == (1, 3, 17, 2) and kp.conf[0, 1, 9] == pytest.approx(0.05)
    np.save(tmp_path / "two.npy", np.stack([k[..., :2], k[..., :2] + 100]))
    kp = read_keypoints(tmp_path / "two.npy", layout="h36m17")
    assert kp.xy.shape == (2, 3, 17, 2) and kp.layout == "h36m17" and (kp.conf == 1).all()
    np.save(tmp_path / "bad.npy", np.zeros((3, 17)))
    with pytest.raises(FormatError, match=r"bad.npy: expected a numeric array of shape \(T, K, 2\|3\)"):
        read_keypoints(tmp_path / "bad.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match=r"obj\.npy: holds pickled Python objects"):
        read_keypoints(tmp_path / "obj.npy")


def _vp3d(path, positions, metadata):
    def obj(v):
        a = np.empty((), dtype=object)
        a[()] = v
        return a
    np.savez_compressed(path, positions_2d=obj(positions), metadata=obj(metadata))


def test_videopose3d_custom_npz_size_and_layout(tmp_path):
    k = _pose()[..., :2].astype(np.float32)
    _vp3d(tmp_path / "c.npz", {"clip.mp4": {"custom": [k]}},
          {"layout_name": "coco", "num_joints": 17, "video_metadata": {"clip.mp4": {"w": 1280, "h": 720}}})
    kp = read_keypoints(tmp_path / "c.npz")
    assert (kp.width, kp.height) == (1280, 720) and kp.fps is None and kp.layout == "coco17"
    np.testing.assert_allclose(kp.xy[0], k, rtol=1e-6)
    _vp3d(tmp_path / "two.npz", {"a": {"custom": [k]}, "b": {"custom": [k]}}, {"layout_name": "coco"})
    with pytest.raises(FormatError, match=r"two.npz: 'positions_2d' holds 2 videos \(a, b\)"):
        read_keypoints(tmp_path / "two.npz")


class _Evil:
    def __reduce__(self):
        return (print, ("ran code",))


def test_videopose3d_custom_npz_never_runs_pickled_code(tmp_path, capsys):
    a = np.empty((), dtype=object)
    a[()] = {"x": {"custom": [_Evil()]}}
    np.savez(tmp_path / "evil.npz", positions_2d=a)
    with pytest.raises(FormatError, match=r"evil.npz: member 'positions_2d' cannot be decoded .*refused to "
                                          r"load builtins.print"):
        read_keypoints(tmp_path / "evil.npz")
    assert "ran code" not in capsys.readouterr().out
    assert pickle  # the module really pickles (np.savez of an object array)


def test_csv_columns_by_position_with_explicit_layout(tmp_path):
    k = _pose()
    header = ",".join(f"x{i},y{i},c{i}" for i in range(17))
    rows = [",".join(str(v) for v in f.reshape(-1)) for f in k]
    (tmp_path / "p.csv").write_text("\n".join([header] + rows) + "\n")  # no frame column: one row per frame
    kp = read_keypoints(tmp_path / "p.csv", layout="coco17")
    assert kp.xy.shape == (1, 3, 17, 2)
    np.testing.assert_allclose(kp.xy[0], k[..., :2])
    assert kp.conf[0, 1, 9] == pytest.approx(0.05)
    with pytest.raises(FormatError, match=r"p.csv, line 1: no '<name>_x' keypoint columns.*--layout"):
        read_keypoints(tmp_path / "p.csv")
    with pytest.raises(FormatError, match=r"p.csv, line 1: layout 'body25' has 25 keypoints: expected 75 "
                                          r"columns"):
        read_keypoints(tmp_path / "p.csv", layout="body25")
    pairs = "frame," + ",".join(f"u{i},v{i}" for i in range(17))
    (tmp_path / "q.csv").write_text(pairs + "\n7," + ",".join(str(v) for v in k[0, :, :2].reshape(-1)) + "\n")
    kp = read_keypoints(tmp_path / "q.csv", layout="coco17")
    assert kp.frames.tolist() == [7] and (kp.conf == 1).all()


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.suffix != ".md"))
def test_every_example_file_is_lifted(name, tmp_path):
    from skelgnn.lifting.api import predict_file

    layout = "coco17" if name.endswith(".csv") else None
    pred = predict_file(None, EXAMPLES / name, tmp_path / "out.npz", layout=layout)
    assert pred.joints_3d.shape[1:] == (4, 17, 3) and np.isfinite(pred.joints_3d).all()
    assert pred.layout == "coco17"
    if name.startswith("data_2d_custom"):  # VideoPose3D keeps x, y only
        assert (pred.confidence == 1).all() and (pred.width, pred.height) == (640, 720)
    else:  # the low-confidence (0.05) left wrist of frame 3 is filled, whatever the file type
        assert pred.confidence[0, 2, 13] == pytest.approx(0.05) and pred.flags[0, 2, 13]
    assert name in (EXAMPLES / "README.md").read_text(encoding="utf-8")
