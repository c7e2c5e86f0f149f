"""Live lifting: one person's 2D keypoints (pixels) in, one 3D pose (mm) out, frame by frame.

:class:`LiveStream` is what :meth:`skelgnn.Lifter.stream` returns and what ``skelgnn predict --causal``
pushes every track through. Every step uses the current and earlier frames only:

* a missing or low-confidence joint holds its last valid position (a joint never seen yet takes the
  nearest seen joint's, as :func:`skelgnn.keypoints.fill_missing` does for one frame);
* the frame is normalised on its own (``screen`` or ``bbox``, as the checkpoint says);
* a causal model (:func:`~skelgnn.lifting.inference.is_causal`) lifts it from the last receptive-field
  frames (:class:`~skelgnn.lifting.inference.CausalStream`);
* optionally the causal One-Euro filter (:class:`~skelgnn.lifting.smoothing.OneEuroStream`).

Shape letters: ``J`` = 17 joints (Human3.6M order).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..core.errors import ShapeError, SkelgnnError
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17
from ..keypoints import fill_missing
from .checkpoint import CheckpointInfo
from .inference import CausalStream, _check_skeleton
from .smoothing import OneEuroStream

__all__ = ["LiveStream"]


class LiveStream:
    """Lift one person's keypoints one frame at a time with a causal model (module docstring).

    Args:
        model: a causal lifter (built with ``causal=True``, or single-frame); put in eval mode.
        meta: its checkpoint's metadata or :class:`~skelgnn.lifting.checkpoint.CheckpointInfo`.
        width, height: the image size in pixels (needed by ``screen`` checkpoints).
        fps: frame rate (needed by ``smooth="one_euro"``).
        smooth: ``None`` or ``"one_euro"`` (:data:`~skelgnn.lifting.smoothing.DEFAULT_ONE_EURO`); the
            Savitzky–Golay filter needs future frames and is refused.
        tta: average with the mirrored prediction of the mirrored window.
        conf_threshold: joints with a lower confidence count as missing.

    Attributes:
        frames: frames pushed so far.
        last_filled: (J,) bool, the joints of the last frame that were missing and filled.
        last_filled_2d: (J, 2) float64 pixels, the last frame after filling (what was lifted).

    Shapes:
        :meth:`push`: joints_2d_px (J, 2) pixels, ``NaN`` where missing, and optional confidence (J,)
        -> float32 (J, 3) mm, camera frame, pelvis at 0.

    Raises:
        SkelgnnError: a model that is not causal, a missing image size or frame rate, ``savgol``.
    """

    def __init__(self, model: nn.Module, meta, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None, smooth: str | None = None, tta: bool = False,
                 conf_threshold: float = 0.3) -> None:
        info = CheckpointInfo.from_meta(meta)
        _check_skeleton(info)
        if info.input_norm == "screen" and (not width or not height or width <= 0 or height <= 0):
            raise SkelgnnError("this checkpoint normalises 2D input by the image size: give the image width "
                               "and height in pixels")
        if smooth == "savgol":
            raise SkelgnnError("smooth='savgol' needs future frames (a centred window); live use takes "
                               "'one_euro' (causal) or None")
        if smooth not in (None, "one_euro"):
            raise SkelgnnError(f"unknown smoothing {smooth!r} for a stream; use 'one_euro' or None")
        if smooth == "one_euro" and not fps:
            raise SkelgnnError("the One-Euro filter needs the frame rate (fps)")
        self.info, self.width, self.height, self.fps = info, width, height, fps
        self.smooth, self.conf_threshold = smooth, float(conf_threshold)
        self._lift = CausalStream(model, H36M_17, tta=tta)
        self._euro = OneEuroStream(float(fps)) if smooth == "one_euro" else None
        self._held = np.full((H36M_17.num_joints, 2), np.nan)
        self.last_filled = np.zeros(H36M_17.num_joints, dtype=bool)
        self.last_filled_2d: np.ndarray | None = None

    @property
    def frames(self) -> int:
        return self._lift.frames

    @property
    def receptive_field(self) -> int:
        return self._lift.rf

    def reset(self) -> None:
        """Forget every frame pushed so far (a new sequence starts with the next :meth:`push`)."""
        self._lift.reset()
        if self._euro is not None:
            self._euro.reset()
        self._held[:] = np.nan
        self.last_filled[:] = False
        self.last_filled_2d = None

    def fill(self, joints_2d_px, conf=None) -> tuple[np.ndarray, np.ndarray]:
        """The causal gap filling of :meth:`push` alone: ``(filled (J, 2) px, flags (J,) bool)``; updates
        the held positions."""
        J = H36M_17.num_joints
        x = np.asarray(joints_2d_px, dtype=np.float64)
        if x.shape != (J, 2):
            raise ShapeError(f"push: joints_2d_px must have shape ({J}, 2) (H36M-17 order, pixels), got "
                             f"{x.shape}")
        valid = np.isfinite(x).all(-1)
        if conf is not None:
            c = np.asarray(conf, dtype=np.float64)
            if c.shape != (J,):
                raise ShapeError(f"push: conf must have shape ({J},), got {c.shape}")
            valid &= np.nan_to_num(c, nan=-np.inf) >= self.conf_threshold
        filled = np.where(valid[:, None], x, self._held)
        seen = np.isfinite(filled).all(-1)
        if not seen.any():
            raise SkelgnnError(f"frame {self.frames + 1}: no joint is valid in it or in any earlier frame; "
                               "nothing to lift yet")
        if not seen.all():  # never seen so far: the nearest seen joint of this frame
            filled = fill_missing(filled[None], what=f"frame {self.frames + 1}")[0][0]
        self._held = np.where(valid[:, None], x, self._held)
        return filled, ~valid

    def push(self, joints_2d_px, conf=None) -> np.ndarray:
        """The newest frame in, its 3D pose out (see the class doc)."""
        filled, flags = self.fill(joints_2d_px, conf)
        xn = normalize_input(filled, self.info.input_norm, self.width or 0, self.height or 0)
        p = next(self._lift.model.parameters())
        y = self._lift.push(torch.as_tensor(xn, dtype=p.dtype, device=p.device))
        out = (y * self.info.scale_mm).float().cpu().numpy()
        if not np.isfinite(out).all():
            raise SkelgnnError(f"frame {self.frames}: the model produced NaN or infinite joints (is the "
                               "checkpoint damaged, or are the keypoints absurd?)")
        out = out - out[:1]
        if self._euro is not None:
            out = self._euro.step(out)
            out = (out - out[:1]).astype(np.float32)
        self.last_filled, self.last_filled_2d = flags, filled
        return out
