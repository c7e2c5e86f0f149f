"""Self-describing checkpoints.

A checkpoint is a plain dict that ``torch.load(path, weights_only=True)`` reads::

    {"format": 1, "package_version": str, "model": {"name": str, "kwargs": dict},
     "skeleton": Skeleton.to_dict(), "normalization": {...}, "state_dict": {...},
     "config": dict, "metrics": dict, "resume": {...} (training state, resume checkpoints only)}

:func:`load_checkpoint` rebuilds the model through the registry from the file alone. A checkpoint written by
an older skelgnn is first brought into the current form by the migrations its model registered for the
version that wrote it (``package_version``; :func:`migrate_checkpoint`, :func:`skelgnn.models.migrate`).
Writes are atomic; a truncated or corrupt file raises :class:`~skelgnn.core.errors.CheckpointError`.
:class:`CheckpointInfo` is the one place that reads the entries of a checkpoint's metadata: every other
module asks it (or :class:`skelgnn.lifting.api.Lifter`, which holds one next to the model).
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..core.errors import CheckpointError, SkelgnnError
from ..core.io import atomic_write_bytes
from ..core.skeleton import Skeleton

__all__ = ["CheckpointInfo", "FORMAT", "DEFAULT_NORMALIZATION", "make_checkpoint", "save_checkpoint",
           "read_checkpoint",
           "load_checkpoint", "migrate_checkpoint", "model_from_checkpoint", "check_normalization",
           "check_finite_weights"]

FORMAT = 1
DEFAULT_NORMALIZATION = {
    "input": "screen",  # u/w·2 − 1, v/w·2 − h/w (VideoPose3D); see skelgnn.core.cameras.normalize_screen
    "target": "camera_root_relative",
    "target_scale_mm": 1000.0,  # model outputs × this = millimetres
    "units": "mm",
}


def make_checkpoint(name: str, kwargs: dict, skeleton: Skeleton, model: nn.Module, *,
                    normalization: dict | None = None, config: dict | None = None,
                    metrics: dict | None = None, resume: dict | None = None) -> dict:
    from .. import __version__

    ckpt = {
        "format": FORMAT, "package_version": __version__,
        "model": {"name": name, "kwargs": dict(kwargs)},
        "skeleton": skeleton.to_dict(),
        "normalization": dict(normalization or DEFAULT_NORMALIZATION),
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "config": config or {}, "metrics": metrics or {},
    }
    if resume is not None:
        ckpt["resume"] = resume
    return ckpt


def save_checkpoint(path: str | Path, ckpt: dict) -> Path:
    """Serialise ``ckpt`` to memory first, then write it atomically (the old file survives a crash)."""
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    return atomic_write_bytes(path, buf.getvalue())


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint dict safely (``weights_only=True``) and check that it is one of ours."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:  # torch's text suggests unsafe loading: never pass it on
        detail = next((ln.strip() for ln in str(e).splitlines() if ln.strip() and not any(
            w in ln for w in ("weights_only", "Weights only", "trusted source", "Check the documentation"))),
                      "")
        if "GLOBAL" in detail:  # objects beyond tensors and plain containers: never unpickled
            raise CheckpointError(f"{path}: not a trusted skelgnn checkpoint: it holds Python objects that "
                                  "skelgnn checkpoints never contain (written by other code, or tampered "
                                  "with); it is not loaded") from None
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt?): "
                              f"{detail or 'unpickling failed'}") from None
    except Exception as e:  # corrupt bytes: the weights-only unpickler raises IndexError, struct.error, ...
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt?): {msg}") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("format"), int) or ckpt["format"] != FORMAT \
            or "model" not in ckpt:
        raise CheckpointError(f"{path}: not a skelgnn checkpoint (format {FORMAT} with a 'model' entry "
                              "expected)")
    for key in ("state_dict", "skeleton", "normalization"):
        if key not in ckpt:
            raise CheckpointError(f"{path}: checkpoint lacks {key!r}")
    check_normalization(ckpt["normalization"], str(path))
    if not isinstance(ckpt["state_dict"], dict):
        raise CheckpointError(f"{path}: 'state_dict' must map parameter names to tensors")
    return ckpt


def check_normalization(norm, source: str = "<checkpoint>") -> None:
    """A checkpoint's ``normalization``: a dict with ``input`` "screen"|"bbox" and a finite positive scale."""
    import math

    if not isinstance(norm, dict):
        raise CheckpointError(f"{source}: 'normalization' must be a table such as {DEFAULT_NORMALIZATION}, "
                              f"got {type(norm).__name__}")
    if norm.get("input") not in ("screen", "bbox"):
        raise CheckpointError(f"{source}: normalization.input must be 'screen' or 'bbox', got "
                              f"{norm.get('input')!r}")
    scale = norm.get("target_scale_mm")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) \
            or not 0 < scale < 1e9:
        raise CheckpointError(f"{source}: normalization.target_scale_mm must be a finite positive number of "
                              f"mm (1000 for metres), got {scale!r}")


def check_finite_weights(state_dict: dict, source: str = "<checkpoint>") -> None:
    """Every floating-point tensor of ``state_dict`` must be finite (a NaN weight makes every output NaN)."""
    for key, t in state_dict.items():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            raise CheckpointError(f"{source}: weight {key!r} holds {bad} NaN or infinite value(s); the "
                                  "checkpoint is damaged (retrain, or use an earlier checkpoint)")


def migrate_checkpoint(ckpt: dict, source: str = "<checkpoint>") -> dict:
    """``ckpt`` with its model's keywords and weights in the current form (:func:`skelgnn.models.migrate`,
    keyed by the ``package_version`` that wrote it); ``ckpt`` itself when no migration applies, else a
    shallow copy. ``package_version`` stays the writer's. A checkpoint that cannot be migrated (a switch
    removed with a value other than its only remaining one) raises :class:`CheckpointError`."""
    from ..models import migrate

    model = ckpt.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str) \
            or not isinstance(model.get("kwargs", {}), dict) or not isinstance(ckpt.get("state_dict"), dict):
        return ckpt  # odd entries: model_from_checkpoint names the problem
    kwargs, state_dict = model.get("kwargs", {}), ckpt["state_dict"]
    try:
        new_kwargs, new_state = migrate(model["name"], kwargs, state_dict, ckpt.get("package_version"))
    except SkelgnnError as e:
        raise CheckpointError(f"{source}: cannot rebuild the model: {e}") from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RuntimeError) as e:  # odd values
        msg = str(e).splitlines()[0] if str(e) else ""
        raise CheckpointError(f"{source}: cannot rebuild the model: {type(e).__name__}: {msg}") from None
    if new_kwargs is kwargs and new_state is state_dict:
        return ckpt
    return {**ckpt, "model": {**model, "kwargs": new_kwargs}, "state_dict": new_state}


def model_from_checkpoint(ckpt: dict, source: str = "<checkpoint>") -> nn.Module:
    """Rebuild the model described by a checkpoint dict (migrated first, :func:`migrate_checkpoint`) and load
    its weights (eval mode)."""
    from ..models import build

    try:
        ckpt = migrate_checkpoint(ckpt, source)
        skeleton = Skeleton.from_dict(ckpt["skeleton"])
        model = build(ckpt["model"]["name"], skeleton, **ckpt["model"].get("kwargs", {}))
        check_finite_weights(ckpt["state_dict"], source)
        model.load_state_dict(ckpt["state_dict"])
    except CheckpointError:
        raise
    except SkelgnnError as e:
        raise CheckpointError(f"{source}: cannot rebuild the model: {e}") from None
    except (RuntimeError, KeyError, TypeError) as e:
        msg = str(e).splitlines()[0]
        raise CheckpointError(f"{source}: weights do not fit the model it describes: {msg}") from None
    except (ValueError, OverflowError, AttributeError, IndexError) as e:  # odd "skeleton"/"model" entries
        msg = str(e).splitlines()[0] if str(e) else ""
        raise CheckpointError(f"{source}: cannot rebuild the model: {type(e).__name__}: {msg}") from None
    return model.eval()


def check_finite_output(model: nn.Module, num_joints: int, source: str = "<checkpoint>") -> None:
    """Run ``model`` (eval mode) on a small fixed probe batch of plausible normalised 2D poses; refuse it
    when any output is NaN or infinite (finite weights can still overflow), before any data work. The
    global random state is left alone."""
    rf = max(1, int(getattr(model, "receptive_field", 1) or 1))
    g = torch.Generator().manual_seed(0)
    probe = 0.3 * torch.randn(2, rf, num_joints, 2, generator=g)
    try:
        with torch.no_grad():
            out = model(probe)
    except (RuntimeError, ValueError, TypeError, SkelgnnError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"{source}: the model fails on a probe batch: {msg}") from None
    if isinstance(out, torch.Tensor) and out.is_floating_point() and not bool(torch.isfinite(out).all()):
        bad = int((~torch.isfinite(out)).sum())
        raise CheckpointError(f"{source}: the model gives {bad} NaN or infinite value(s) on a probe batch of "
                              "plausible 2D poses; the checkpoint is unusable (retrain, or use an earlier "
                              "checkpoint)")


def load_checkpoint(path: str | Path) -> tuple[nn.Module, dict]:
    """Read ``path`` and return ``(model in eval mode, checkpoint dict without the weights)``; the dict is in
    the current form (:func:`migrate_checkpoint`). A model whose output on a probe batch is not finite is
    refused (:func:`check_finite_output`)."""
    ckpt = migrate_checkpoint(read_checkpoint(path), str(path))
    model = model_from_checkpoint(ckpt, str(path))
    check_finite_output(model, Skeleton.from_dict(ckpt["skeleton"]).num_joints, str(path))
    meta = {k: v for k, v in ckpt.items() if k not in ("state_dict", "resume")}
    return model, meta


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint says about its model, unpacked once from its metadata (:func:`load_checkpoint`'s
    dict).

    Attributes:
        name: the registered model name; ``kwargs`` its constructor arguments.
        skeleton: the skeleton it lifts; ``skeleton_dict`` the entry as stored.
        normalization: how its 2D input is normalised and its output scaled (:data:`DEFAULT_NORMALIZATION`).
        config: the training configuration (empty when not recorded); ``metrics`` its selection metrics.
        package_version: the skelgnn version that wrote it (``""`` when not recorded).
    """

    name: str
    kwargs: dict
    skeleton: Skeleton
    skeleton_dict: dict
    normalization: dict
    config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    package_version: str = ""

    @classmethod
    def from_meta(cls, meta: dict | CheckpointInfo) -> CheckpointInfo:
        """Unpack a checkpoint dict (with or without its weights); a :class:`CheckpointInfo` is returned as
        is.

        Raises:
            CheckpointError: no model name, or an unreadable skeleton.
        """
        if isinstance(meta, CheckpointInfo):
            return meta
        model = meta.get("model") or {}
        if not isinstance(model, dict) or "name" not in model:
            raise CheckpointError("the checkpoint names no model ('model': {'name': ...} expected)")
        sk = meta.get("skeleton") or {}
        try:
            skeleton = Skeleton.from_dict(sk)
        except SkelgnnError as e:
            raise CheckpointError(f"the checkpoint's skeleton: {e}") from None
        return cls(name=str(model["name"]), kwargs=dict(model.get("kwargs") or {}), skeleton=skeleton,
                   skeleton_dict=dict(sk),
                   normalization=dict(meta.get("normalization") or DEFAULT_NORMALIZATION),
                   config=dict(meta.get("config") or {}), metrics=dict(meta.get("metrics") or {}),
                   package_version=str(meta.get("package_version") or ""))

    @property
    def input_norm(self) -> str:
        """How the 2D input is normalised: ``"screen"`` or ``"bbox"``."""
        return str(self.normalization.get("input", "screen"))

    @property
    def scale_mm(self) -> float:
        """Model outputs × this = millimetres."""
        return float(self.normalization.get("target_scale_mm", 1000.0))

    @property
    def data_config(self) -> dict:
        """The ``data`` table of the training configuration (empty when not recorded)."""
        return dict(self.config.get("data") or {})

    @property
    def train_config(self) -> dict:
        """The ``train`` table of the training configuration (empty when not recorded)."""
        return dict(self.config.get("train") or {})

    @property
    def data_kind(self) -> str:
        """``data.kind`` of the training configuration: ``"hdm05"`` (also for older checkpoints) or
        ``"h36m"``."""
        return str(self.data_config.get("kind", "hdm05"))

    @property
    def description(self) -> str:
        """``"<name> <kwargs>"``, as reports print the model."""
        return f"{self.name} {self.kwargs}"
