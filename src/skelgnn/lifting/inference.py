"""Running a lifter: the one place where a model meets 2D joints and returns 3D joints.

Everything that predicts (evaluation, training's validation, ``predict``, the demo, the robustness
study) calls down into these functions:

* :func:`lift`: one normalised sequence through the model, one output per frame (edges padded; a
  ``windowed`` model gets one receptive-field window per output frame; a ``causal`` model is padded on
  the left only);
* :class:`CausalStream`: the same for a causal model, one frame pushed at a time (live use);
* :func:`lift_flipped`: the same with optional test-time flip (the average with the mirrored
  prediction of the mirrored input);
* :func:`predict_sequences`: every sequence of a :class:`~skelgnn.data.sequences.SequenceSet`, in mm;
* :func:`lift_keypoints`: one person's 2D joints in pixels, normalised as the checkpoint was trained;
* :func:`fit_trajectories`: the camera-frame pelvis fitted to the predictions and the 2D input.

Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..core.errors import ShapeError, SkelgnnError
from ..core.normalization import normalize_input
from ..core.skeleton import H36M_17, Skeleton, flip_joints
from ..data.sequences import SequenceSet, require_finite
from ..models.layers import sliding_windows
from .checkpoint import CheckpointInfo
from .trajectory import Intrinsics, fit_root

__all__ = ["lift", "lift_flipped", "predict_sequences", "lift_keypoints", "fit_trajectories", "is_causal",
           "CausalStream"]


def is_causal(model: nn.Module) -> bool:
    """Whether every output frame of ``model`` depends on its own and earlier input frames only: a model
    built with ``causal=True``, or any single-frame model (receptive field 1)."""
    return bool(getattr(model, "causal", False)) or int(getattr(model, "receptive_field", 1)) == 1


@torch.no_grad()
def lift(model: nn.Module, joints_2d: torch.Tensor, *, chunk: int = 4096) -> torch.Tensor:
    """Lift one sequence, one output per input frame (edges padded by repeating the end frames:
    receptive_field // 2 each side, or receptive_field − 1 copies of the first frame on the left only for a
    ``causal`` model, whose output frame t then uses input frames up to t alone).

    A model that says ``windowed`` (a Skeletal GNN with ``o_window="clip"``: not translation-equivariant in
    time) is run on one receptive-field window per output frame, the windows batched, about ``chunk``
    input frames per call; any other model slides along ``chunk`` output frames per call.

    Args:
        model: any registered lifter (eval mode is the caller's choice).
        joints_2d: (T, J, 2) normalised 2D joints.
        chunk: output frames per model call (``windowed``: input frames, at least one window).

    Returns:
        (T, J, 3) raw model outputs with the root subtracted.
    """
    if not bool(torch.isfinite(joints_2d).all()):
        raise SkelgnnError("joints_2d contains NaN or infinite values; fill or drop the missing joints first "
                           "(e.g. skelgnn.keypoints.fill_missing)")
    rf = int(model.receptive_field)
    left = rf - 1 if getattr(model, "causal", False) else rf // 2
    right = rf - 1 - left
    x = torch.cat([joints_2d[:1].expand(left, -1, -1), joints_2d, joints_2d[-1:].expand(right, -1, -1)])
    T = joints_2d.shape[0]
    windowed = bool(getattr(model, "windowed", False))
    if windowed:
        chunk = max(1, chunk // rf)
    outs = []
    for s in range(0, T, chunk):
        n = min(chunk, T - s)
        if windowed:  # (n, rf, J, 2): output frame s + i from input frames s + i .. s + i + rf - 1 alone
            outs.append(model(sliding_windows(x[s: s + n + rf - 1][None], rf))[:, 0])  # (n, J, 3)
        else:
            outs.append(model(x[s: s + n + rf - 1][None])[0])  # (n, J, 3)
    y = torch.cat(outs)
    return y - y[:, :1]


class CausalStream:
    """Lift a sequence one frame at a time with a causal model (:func:`is_causal`), batch 1.

    Keeps the last receptive_field normalised frames (at the start, the first frame repeated, as
    :func:`lift` pads a causal model) and returns the output of the newest one: frame by frame the
    same values as :func:`lift` on the whole sequence (up to float rounding). A model with a strided
    variant (``supports_strided``) is run that way: the same function, computing only the frames the
    newest output needs.

    Args:
        model: a causal lifter; put in eval mode.
        skeleton: for ``tta`` (the mirror of the joints).
        tta: average with the mirrored prediction of the mirrored window.

    Shapes:
        :meth:`push`: frame_2d (J, 2) normalised -> (J, 3) model units, root at 0.

    Raises:
        SkelgnnError: a model that is not causal.
    """

    def __init__(self, model: nn.Module, skeleton: Skeleton | None = None, *, tta: bool = False) -> None:
        if not is_causal(model):
            raise SkelgnnError(f"{type(model).__name__} (receptive field {int(model.receptive_field)}) is "
                               "not causal: streaming needs a model built with causal=True (model.kwargs = "
                               "{causal = true}) or a single-frame model")
        if tta and skeleton is None:
            raise SkelgnnError("CausalStream: tta needs the skeleton (for the mirror)")
        self.model, self.skeleton, self.tta = model.eval(), skeleton, bool(tta)
        self.rf, self.num_joints = int(model.receptive_field), int(model.num_joints)
        self.strided = (self.rf > 1 and bool(getattr(model, "supports_strided", False))
                        and not getattr(model, "windowed", False))
        self.frames = 0
        self._window: torch.Tensor | None = None  # (1, rf, J, 2)

    def reset(self) -> None:
        """Forget the frames seen so far (a new sequence starts with the next :meth:`push`)."""
        self.frames, self._window = 0, None

    def _run(self, window: torch.Tensor) -> torch.Tensor:
        if self.strided:
            return self.model(window, strided=True)[0, -1]
        return self.model(window)[0, -1]

    @torch.no_grad()
    def push(self, frame_2d: torch.Tensor) -> torch.Tensor:
        """The newest frame in, its 3D pose out (see the class doc)."""
        p = next(self.model.parameters())
        x = torch.as_tensor(frame_2d, dtype=p.dtype, device=p.device)
        if tuple(x.shape) != (self.num_joints, 2):
            raise ShapeError(f"push: frame_2d must have shape ({self.num_joints}, 2), got {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise SkelgnnError("push: frame_2d contains NaN or infinite values; fill the missing joints "
                               "first")
        if self._window is None:
            self._window = x.expand(1, self.rf, -1, -1).clone()
        else:
            self._window = torch.cat([self._window[:, 1:], x[None, None]], dim=1)
        self.frames += 1
        y = self._run(self._window)
        y = y - y[:1]
        if self.tta:  # as lift_flipped: the mean with the mirror of the mirrored window's pose
            yf = self._run(flip_joints(self._window, self.skeleton))
            y = 0.5 * (y + flip_joints(yf - yf[:1], self.skeleton))
        return y


@torch.no_grad()
def lift_flipped(model: nn.Module, joints_2d: torch.Tensor, skeleton: Skeleton, *, tta: bool,
                 chunk: int = 4096) -> torch.Tensor:
    """:func:`lift`, with ``tta`` averaged with the un-flipped prediction of the flipped input."""
    y = lift(model, joints_2d, chunk=chunk)
    if tta:
        y = 0.5 * (y + flip_joints(lift(model, flip_joints(joints_2d, skeleton), chunk=chunk), skeleton))
    return y


@torch.no_grad()
def predict_sequences(model: nn.Module, seqs: SequenceSet, skeleton: Skeleton, *, tta: bool = False,
                      scale_mm: float = 1000.0, chunk: int = 4096) -> list[np.ndarray]:
    """Predictions in millimetres, one (T, J, 3) float32 array per sequence (root at 0).

    With ``tta`` the prediction is averaged with the un-flipped prediction on the flipped input.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    preds = []
    for i, x in enumerate(seqs.inputs):
        require_finite(x, f"sequence {seqs.key(i)}: the 2D input")
        xt = torch.from_numpy(np.ascontiguousarray(x)).to(device)
        y = (lift_flipped(model, xt, skeleton, tta=tta, chunk=chunk) * scale_mm).float().cpu().numpy()
        if not np.isfinite(y).all():
            frames, reach = int((~np.isfinite(y)).any(axis=(1, 2)).sum()), float(np.abs(x).max())
            raise SkelgnnError(f"sequence {seqs.key(i)}: the model's prediction is not finite in {frames} "
                               f"frame(s) (the normalised 2D input reaches {reach:.3g}); the 2D of this "
                               "sequence is out of the range the model can lift")
        preds.append(y)
    model.train(was_training)
    return preds


def _check_skeleton(info: CheckpointInfo) -> None:
    names = tuple(info.skeleton.joint_names)
    if names != H36M_17.joint_names:
        raise SkelgnnError(f"the checkpoint's model lifts the skeleton {info.skeleton.name!r} "
                           f"({len(names)} joints); lifting user keypoints needs the 17 Human3.6M joints")


def lift_keypoints(model, meta: dict | CheckpointInfo, joints_2d_px: np.ndarray, width: int | None = None,
                   height: int | None = None, *, tta: bool = False) -> np.ndarray:
    """Lift one person's 2D joints (pixels) to 3D millimetres with a checkpoint's model.

    The input is normalised the way the checkpoint was trained (its ``normalization.input``):
    ``"screen"`` (:func:`skelgnn.core.cameras.normalize_screen` with the image width and height) or
    ``"bbox"`` (:func:`skelgnn.core.normalization.normalize_bbox`, no image size needed).

    Args:
        model: the lifter (from :func:`skelgnn.lifting.checkpoint.load_checkpoint`).
        meta: the checkpoint's metadata (same call), or its
            :class:`~skelgnn.lifting.checkpoint.CheckpointInfo`.
        joints_2d_px: (T, 17, 2) pixels, H36M-17 order, no ``NaN`` (see
            :func:`skelgnn.keypoints.fill_missing`).
        width: image width in pixels (needed for ``"screen"``).
        height: image height in pixels (needed for ``"screen"``).
        tta: average with the mirrored prediction of the mirrored input.

    Returns:
        float32 (T, 17, 3) millimetres, camera frame, pelvis at 0.
    """
    info = CheckpointInfo.from_meta(meta)
    _check_skeleton(info)
    x = np.asarray(joints_2d_px, dtype=np.float64)
    if x.ndim != 3 or x.shape[1:] != (H36M_17.num_joints, 2) or len(x) == 0:
        raise ShapeError(f"joints_2d_px must have shape (T, 17, 2) with T >= 1, got {x.shape}")
    if not np.isfinite(x).all():
        raise SkelgnnError("joints_2d_px contains NaN or infinite values; fill them first "
                           "(keypoints.fill_missing)")
    mode = info.input_norm
    if mode == "screen" and (not width or not height or width <= 0 or height <= 0):
        raise SkelgnnError("this checkpoint normalises 2D input by the image size: give the image width "
                           "and height in pixels (--width/--height)")
    xn = normalize_input(x, mode, width or 0, height or 0)
    scale = info.scale_mm
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        y = lift_flipped(model, torch.as_tensor(xn, dtype=dtype, device=device), H36M_17, tta=tta)
    finally:
        model.train(was_training)
    out = (y * scale).float().cpu().numpy()
    if not np.isfinite(out).all():
        bad = int((~np.isfinite(out).all(-1).all(-1)).sum())
        raise SkelgnnError(f"the model produced NaN or infinite joints in {bad} of {len(out)} frame(s); "
                           "nothing is written (is the checkpoint damaged, or are the keypoints absurd?)")
    return out - out[:, :1]


def fit_trajectories(preds: list[np.ndarray], seqs: SequenceSet) -> list[np.ndarray]:
    """Least-squares camera-frame pelvis per sequence (:func:`skelgnn.lifting.trajectory.fit_root`) from each
    sequence's pixels and intrinsics: a list of (T, 3) float64 mm.

    Raises:
        SkelgnnError: the sequence set has no pixels/intrinsics (``seqs.has_trajectory`` is False).
    """
    if not seqs.has_trajectory:
        raise SkelgnnError("these sequences carry no 2D pixels, camera roots and intrinsics; "
                           "the root trajectory cannot be fitted or scored")
    return [fit_root(p, uv, Intrinsics(*k), strict=False)  # NaN rows where a frame has no solution
            for p, uv, k in zip(preds, seqs.pixels, seqs.intrinsics)]
