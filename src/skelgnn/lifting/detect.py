"""Optional offline 2D detection with MediaPipe Pose (``pip install "skelgnn[detect]"``).

Uses MediaPipe 0.10.21's ``solutions.pose`` with ``model_complexity=1`` (the "full" landmark model,
which ships inside the wheel, so nothing is downloaded; complexities 0 and 2 would download their
models and are never used). It finds **one person** per image or frame and returns the 33 BlazePose
landmarks (layout ``blazepose33`` in :mod:`skelgnn.keypoints`) in pixels with MediaPipe's
visibility as the confidence. On videos the tracker runs across frames; frames where no person is
found are ``NaN`` with confidence 0 and ``detected`` False, so the lifting pipeline fills and flags
them.

mediapipe and OpenCV are imported when a function is called, never at import time.

Shape letters: ``T`` frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import FormatError, SkelgnnError
from ..keypoints import Keypoints

__all__ = ["NUM_LANDMARKS", "Detection", "detect_file", "detect_image", "detect_video", "to_keypoints"]

NUM_LANDMARKS = 33
_INSTALL_HINT = ('install the detector extra: pip install "skelgnn[detect]" '
                 "(MediaPipe 0.10.21, Python 3.10–3.12)")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


@dataclass
class Detection:
    """BlazePose landmarks of one person per frame.

    Args:
        keypoints: float64 (T, 33, 3): x and y in pixels, MediaPipe visibility; ``NaN``/0 where
            no person was found.
        detected: bool (T,), whether a person was found in each frame.
        width: image width in pixels.
        height: image height in pixels.
        fps: the video's frame rate (``None`` for an image or when the file does not say).
        source: the file.
    """

    keypoints: np.ndarray
    detected: np.ndarray
    width: int
    height: int
    fps: float | None
    source: str


def _import():
    try:
        import cv2
        import mediapipe as mp
    except ImportError as e:
        raise SkelgnnError(f"2D detection needs MediaPipe and OpenCV ({e.name or e} is missing); "
                           f"{_INSTALL_HINT}") from None
    try:
        pose_module = mp.solutions.pose
    except AttributeError:
        raise SkelgnnError(f"this mediapipe ({getattr(mp, '__version__', '?')}) has no solutions.pose; "
                           f"{_INSTALL_HINT}") from None
    return cv2, pose_module


def _landmarks(result, width: int, height: int) -> np.ndarray | None:
    if result is None or result.pose_landmarks is None:
        return None
    lm = result.pose_landmarks.landmark
    out = np.array([[p.x * width, p.y * height, p.visibility] for p in lm], dtype=np.float64)
    if out.shape != (NUM_LANDMARKS, 3):  # pragma: no cover - MediaPipe always returns 33
        return None
    return out


def _pose(pose_module, static: bool):
    # model_complexity=1: the "full" model bundled in the wheel (0 and 2 download theirs)
    return pose_module.Pose(static_image_mode=static, model_complexity=1, smooth_landmarks=True,
                            enable_segmentation=False, min_detection_confidence=0.5,
                            min_tracking_confidence=0.5)


def detect_image(path: str | os.PathLike) -> Detection:
    """Detect one person in an image.

    Returns:
        a :class:`Detection` with ``keypoints`` of shape (1, 33, 3).

    Raises:
        FormatError: OpenCV cannot read the file as an image.
        SkelgnnError: no person found, or the ``detect`` extra is missing.
    """
    p = Path(path)
    if not p.is_file():
        raise SkelgnnError(f"{p}: no such image file")
    cv2, pose_module = _import()
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise FormatError(p, "not an image OpenCV can read (expected e.g. JPEG or PNG)")
    h, w = img.shape[:2]
    with _pose(pose_module, static=True) as pose:
        kp = _landmarks(pose.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)), w, h)
    if kp is None:
        raise SkelgnnError(f"{p}: MediaPipe found no person in this image")
    return Detection(kp[None], np.ones(1, dtype=bool), w, h, None, str(p))


def detect_video(path: str | os.PathLike, *, max_frames: int | None = None) -> Detection:
    """Detect one person in every frame of a video (tracked from frame to frame).

    Args:
        path: a video OpenCV can decode.
        max_frames: stop after this many frames.

    Returns:
        a :class:`Detection` with ``keypoints`` of shape (T, 33, 3); frames without a person are
        ``NaN`` with ``detected`` False.

    Raises:
        FormatError: the file has no readable frames.
        SkelgnnError: no person in any frame, or the ``detect`` extra is missing.
    """
    p = Path(path)
    if not p.is_file():
        raise SkelgnnError(f"{p}: no such video file")
    cv2, pose_module = _import()
    cap = cv2.VideoCapture(str(p))
    frames, found = [], []
    w = h = 0
    fps = None
    try:
        if not cap.isOpened():
            raise FormatError(p, "OpenCV cannot open this file as a video")
        f = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = f if np.isfinite(f) and 0 < f < 1000 else None
        with _pose(pose_module, static=False) as pose:
            while max_frames is None or len(frames) < max_frames:
                ok, img = cap.read()
                if not ok or img is None:
                    break
                h, w = img.shape[:2]
                kp = _landmarks(pose.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)), w, h)
                found.append(kp is not None)
                if kp is None:
                    kp = np.full((NUM_LANDMARKS, 3), np.nan)
                    kp[:, 2] = 0.0
                frames.append(kp)
    finally:
        cap.release()
    if not frames:
        raise FormatError(p, "the video has no readable frames (empty, or a codec OpenCV lacks)")
    if not any(found):
        raise SkelgnnError(f"{p}: MediaPipe found no person in any of the {len(frames)} frames")
    return Detection(np.stack(frames), np.asarray(found), w, h, fps, str(p))


def detect_file(path: str | os.PathLike, *, max_frames: int | None = None) -> Detection:
    """:func:`detect_image` for image suffixes (.jpg, .png, …), else :func:`detect_video`."""
    p = Path(path)
    if p.suffix.lower() in _IMAGE_SUFFIXES:
        return detect_image(p)
    return detect_video(p, max_frames=max_frames)


def to_keypoints(det: Detection):
    """A :class:`Detection` as one-track :class:`skelgnn.keypoints.Keypoints` (layout ``blazepose33``)."""
    k = det.keypoints
    xy = k[None, ..., :2].copy()
    conf = np.nan_to_num(k[None, ..., 2], nan=0.0)
    xy[~det.detected[None]] = np.nan
    conf[~det.detected[None]] = 0.0
    return Keypoints(xy, conf, "blazepose33", np.zeros(1, dtype=np.int64), np.arange(len(k)),
                     width=det.width, height=det.height, fps=det.fps, source=det.source)
