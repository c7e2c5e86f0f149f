"""The optional MediaPipe detector: a clear message without it; images and videos with it.

The tests that run MediaPipe are skipped when it is not installed (``pip install "skelgnn[detect]"``).
The real-photo test uses Debian's ``opencv-doc`` sample images (``apt-get install opencv-doc``) and is
skipped without them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from skelgnn.core.errors import FormatError, SkelgnnError
from skelgnn.keypoints import to_h36m
from skelgnn.lifting.detect import Detection, detect_file, detect_image, to_keypoints

SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")
PHOTO = SAMPLES / "basketball1.png"  # a man standing, whole body in view


def test_missing_mediapipe_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # makes `import mediapipe` fail
    img = tmp_path / "x.png"
    img.write_bytes(b"\x89PNG")
    with pytest.raises(SkelgnnError, match=r'pip install "skelgnn\[detect\]"'):
        detect_image(img)


def test_to_keypoints_marks_frames_without_a_person():
    k = np.random.default_rng(0).uniform(0, 100, (3, 33, 3))
    det = Detection(k, np.array([True, False, True]), 640, 480, 25.0, "v.mp4")
    kp = to_keypoints(det)
    assert kp.layout == "blazepose33" and kp.xy.shape == (1, 3, 33, 2) and (kp.width, kp.fps) == (640, 25.0)
    assert np.isnan(kp.xy[0, 1]).all() and (kp.conf[0, 1] == 0).all()
    j, _ = to_h36m(kp)
    assert np.isfinite(j[0, [0, 2]]).all()


@pytest.fixture(scope="module")
def cv2():
    pytest.importorskip("mediapipe")
    return pytest.importorskip("cv2")


def test_no_person_and_unreadable_files(cv2, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 200, np.uint8))
    with pytest.raises(SkelgnnError, match="found no person in this image"):
        detect_image(blank)
    junk = tmp_path / "junk.jpg"
    junk.write_text("not an image")
    with pytest.raises(FormatError, match="not an image OpenCV can read"):
        detect_image(junk)
    vid = tmp_path / "blank.avi"
    w = cv2.VideoWriter(str(vid), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (320, 240))
    for _ in range(3):
        w.write(np.full((240, 320, 3), 200, np.uint8))
    w.release()
    with pytest.raises(SkelgnnError, match="no person in any of the 3 frames"):
        detect_file(vid)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(FormatError):
        detect_file(empty)


def test_real_photo_and_video(cv2, tmp_path):
    if not PHOTO.is_file():
        pytest.skip(f"no sample photo at {PHOTO} (Debian: apt-get install opencv-doc)")
    det = detect_image(PHOTO)
    assert det.keypoints.shape == (1, 33, 3) and (det.width, det.height) == (640, 480)
    k = det.keypoints[0]
    assert (k[:, 0] > -50).all() and (k[:, 0] < 690).all()
    # upright: nose above shoulders above hips above knees above ankles (image v grows downwards)
    nose, sho, hip, knee, ankle = k[0, 1], k[[11, 12], 1].mean(), k[[23, 24], 1].mean(), k[[25, 26],
                                                                                           1].mean(), \
        k[[27, 28], 1].mean()
    assert nose < sho < hip < knee < ankle
    # the man stands in the left third of the picture
    assert k[[11, 12, 23, 24], 0].mean() < 220
    img = cv2.imread(str(PHOTO))
    vid = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(vid), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 480))
    for frame in (img, img, np.full_like(img, 200), img):
        w.write(frame)
    w.release()
    det = detect_file(vid)
    assert det.keypoints.shape == (4, 33, 3) and det.fps == pytest.approx(10.0)
    assert det.detected.tolist() == [True, True, False, True]
    assert np.isnan(det.keypoints[2, :, :2]).all()


def test_predict_file_on_a_photo(cv2, tmp_path):
    if not PHOTO.is_file():
        pytest.skip(f"no sample photo at {PHOTO} (Debian: apt-get install opencv-doc)")
    pytest.importorskip("torch")
    from skelgnn.core.skeleton import H36M_17
    from skelgnn.lifting.api import predict_file
    from skelgnn.lifting.checkpoint import make_checkpoint, save_checkpoint
    from skelgnn.models import build

    ckpt = tmp_path / "tiny.pt"
    save_checkpoint(ckpt, make_checkpoint("fc", {"channels": 16}, H36M_17, build("fc", H36M_17, channels=16)))
    pred = predict_file(ckpt, PHOTO, tmp_path / "o.npz")
    assert pred.joints_3d.shape == (1, 1, 17, 3) and np.isfinite(pred.joints_3d).all()
    assert (pred.width, pred.height, pred.layout) == (640, 480, "blazepose33")
