"""ONNX export of any registered lifter, and a numerical check of the exported file with onnxruntime.

The exported graph has one input ``joints_2d`` of shape (B, T, J, 2) and one output ``joints_3d`` of
shape (B, T - receptive_field + 1, J, 3), exactly like the model's ``forward``. The batch axis is
always dynamic; the time axis is dynamic too unless ``frames`` fixes it. The file's metadata
(``metadata_props``) records ``skelgnn.receptive_field`` and whatever the caller adds.

Two exporters can be used:

* ``"torchscript"`` (default): PyTorch's tracing exporter. It is fast (about a second per model) and
  handles every registered model; ``Tensor.unfold`` (the temporal windows of the skeletal GNN)
  is exported through a small symbolic of our own because PyTorch's needs static sizes. PyTorch
  marks this exporter deprecated.
* ``"dynamo"``: the ``torch.export``-based exporter (needs ``onnxscript``, opset >= 18, about ten
  times slower).

Requires the ``export`` extra: ``pip install 'skelgnn[export]'`` (``onnx``, ``onnxruntime``, ``onnxscript``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import nn

from ..core.errors import ShapeError, SkelgnnError
from ..core.io import atomic_write_bytes
from .api import Lifter

__all__ = ["export_onnx", "check_onnx", "onnx_metadata", "export_checkpoint", "check_export", "TOLERANCE"]

TOLERANCE = 1e-4
"""``skelgnn export --check`` fails when the ONNX output differs from PyTorch's by more than this
(float32)."""

Exporter = Literal["torchscript", "dynamo"]
INPUT_NAME = "joints_2d"
OUTPUT_NAME = "joints_3d"
_INSTALL_HINT = "pip install 'skelgnn[export]'"


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise SkelgnnError(f"{module} is not installed; {_INSTALL_HINT}") from None


def _num_joints(model: nn.Module) -> int:
    J = getattr(model, "num_joints", None)
    if not isinstance(J, int) or J < 1:
        raise SkelgnnError(f"{type(model).__name__} has no int attribute num_joints; is it a skelgnn lifter?")
    return J


def _receptive_field(model: nn.Module) -> int:
    rf = getattr(model, "receptive_field", None)
    if not isinstance(rf, int) or rf < 1:
        raise SkelgnnError(f"{type(model).__name__} has no int attribute receptive_field >= 1")
    return rf


def _unfold_symbolic(g, x, dim, size, step):
    """ONNX for ``Tensor.unfold(dim, size, step)`` that works with dynamic sizes (Gather of windows).

    ``x`` (..., L, ...) -> (..., n, ..., size) with n = (L - size) // step + 1, like PyTorch.
    """
    from torch.onnx import symbolic_helper as sh

    dim, size, step = (sh._get_const(v, "i", name) for v, name in ((dim, "dimension"), (size, "size"),
                                                                    (step, "step")))
    rank = sh._get_tensor_rank(x)
    if rank is None:
        return sh._unimplemented("unfold", "input rank not accessible", x)
    dim = dim % rank

    def const(v):
        return g.op("Constant", value_t=torch.tensor(v, dtype=torch.long))

    length = g.op("Gather", g.op("Shape", x), const(dim), axis_i=0)
    n = g.op("Add", g.op("Div", g.op("Sub", length, const(size)), const(step)), const(1))
    starts = g.op("Mul", g.op("Range", const(0), n, const(1)), const(step))  # (n,)
    index = g.op("Add", g.op("Unsqueeze", starts, const([1])), const([list(range(size))]))  # (n, size)
    windows = g.op("Gather", x, index, axis_i=dim)  # (..., n, size, ...)
    perm = list(range(dim + 1)) + list(range(dim + 2, rank + 1)) + [dim + 1]
    return g.op("Transpose", windows, perm_i=perm)


def _export_torchscript(model: nn.Module, example: torch.Tensor, opset: int, dynamic_time: bool) -> bytes:
    from torch.onnx import register_custom_op_symbolic, unregister_custom_op_symbolic

    axes = {0: "batch", 1: "frames"} if dynamic_time else {0: "batch"}
    out_axes = {0: "batch", 1: "out_frames"} if dynamic_time else {0: "batch"}
    buf = io.BytesIO()
    register_custom_op_symbolic("aten::unfold", _unfold_symbolic, opset)
    try:
        torch.onnx.export(model, (example,), buf, dynamo=False, opset_version=opset, input_names=[INPUT_NAME],
                          output_names=[OUTPUT_NAME], dynamic_axes={INPUT_NAME: axes, OUTPUT_NAME: out_axes},
                          do_constant_folding=True)
    finally:
        unregister_custom_op_symbolic("aten::unfold", opset)
    return buf.getvalue()


def _export_dynamo(model: nn.Module, example: torch.Tensor, opset: int, dynamic_time: bool) -> bytes:
    from torch.export import Dim

    _require("onnxscript")
    rf = _receptive_field(model)
    shapes = {0: Dim("batch")}
    if dynamic_time:
        shapes[1] = Dim("frames", min=rf)
    logger = logging.getLogger("torch.onnx")  # quiet "torchvision is not installed" lines
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        program = torch.onnx.export(model, (example,), dynamo=True, opset_version=opset,
                                    input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                    dynamic_shapes={INPUT_NAME: shapes},
                                    external_data=False, verbose=False)
    finally:
        logger.setLevel(level)
    return program.model_proto.SerializeToString()


MAX_FRAMES = 10_000
"""Largest fixed time axis :func:`export_onnx` accepts (a dynamic axis runs any length)."""
OPSETS = {"torchscript": (11, 20), "dynamo": (11, 23)}
"""ONNX opsets each exporter writes with the lifters' operators (inclusive ranges)."""


def export_onnx(model: nn.Module, path: str | os.PathLike, *, frames: int | None = None, opset: int = 17,
                exporter: Exporter = "torchscript", metadata: dict[str, str] | None = None) -> Path:
    """Export a lifter to an ONNX file, written atomically.

    The model is exported in eval mode (its training flag is restored afterwards).

    Args:
        model: a skelgnn lifter (``forward(joints_2d (B, T, J, 2)) -> (B, T', J, 3)``, attributes
            ``receptive_field`` and ``num_joints``).
        path: the ``.onnx`` file to write.
        frames: None: the time axis is dynamic (any T >= receptive_field; smaller T fails inside
            onnxruntime, the shape check of ``forward`` is not exported). An int: T is fixed to it.
        opset: ONNX opset (the dynamo exporter needs >= 18 and raises it to 18 with a warning).
        exporter: ``"torchscript"`` (default, fast) or ``"dynamo"`` (``torch.export``-based).
        metadata: extra string key/values stored in the file's ``metadata_props``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        SkelgnnError: ``onnx`` (or ``onnxscript`` for dynamo) is missing, or the model cannot be exported
            (the message names the exporter's complaint, usually an unsupported operator).
        ShapeError: ``frames`` is smaller than the receptive field.

    Example:
        >>> from skelgnn.models import build
        >>> from skelgnn.core.skeleton import H36M_17
        >>> export_onnx(build("semgcn", H36M_17), "semgcn.onnx")  # doctest: +SKIP
        PosixPath('semgcn.onnx')
    """
    onnx = _require("onnx")
    rf = _receptive_field(model)
    J = _num_joints(model)
    if exporter not in ("torchscript", "dynamo"):
        raise SkelgnnError(f"exporter must be 'torchscript' or 'dynamo', got {exporter!r}")
    if frames is not None and int(frames) < rf:
        raise ShapeError(f"frames={frames} is smaller than the model's receptive field {rf}")
    if frames is not None and int(frames) > MAX_FRAMES:
        raise SkelgnnError(f"frames={frames} is more than {MAX_FRAMES} (the exported example would not fit "
                           "in memory); export with a dynamic time axis (no frames) to run any length")
    low, high = OPSETS[exporter]
    if isinstance(opset, bool) or not isinstance(opset, int) or not low <= opset <= high:
        raise SkelgnnError(f"opset={opset!r}: the {exporter} exporter writes ONNX opsets {low} to {high}")
    dynamic_time = frames is None
    # T = rf + 2 when dynamic: torch.export specialises sizes 0 and 1, so a single frame would pin T
    T = rf + 2 if dynamic_time else int(frames)
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(2, T, J, 2, generator=generator)
    param = next(model.parameters(), None)
    if param is not None:
        example = example.to(dtype=param.dtype, device=param.device)
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
            if exporter == "torchscript":
                data = _export_torchscript(model, example, opset, dynamic_time)
            else:
                data = _export_dynamo(model, example, max(opset, 18), dynamic_time)
    except SkelgnnError:
        raise
    except Exception as e:  # the exporters raise many types (SymbolicValueError, TorchExportError, ...)
        lines = [s for s in str(e).splitlines() if s.strip()]
        raise SkelgnnError(f"cannot export {type(model).__name__} to ONNX "
                           f"({exporter} exporter, opset {opset}): "
                           f"{type(e).__name__}: {lines[0] if lines else ''}") from e
    finally:
        model.train(was_training)
    proto = onnx.load_from_string(data)
    props = {"skelgnn.receptive_field": str(rf), "skelgnn.num_joints": str(J), **(metadata or {})}
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    return atomic_write_bytes(path, proto.SerializeToString())


def onnx_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file as a dict (``skelgnn.receptive_field`` etc.)."""
    onnx = _require("onnx")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except FileNotFoundError:
        raise
    except Exception as e:  # protobuf DecodeError, onnx's own checker errors, ...
        raise SkelgnnError(f"{path}: not a readable ONNX file: {e}") from None
    return {p.key: p.value for p in proto.metadata_props}


def check_onnx(model: nn.Module, path: str | os.PathLike, inputs: torch.Tensor | np.ndarray) -> float:
    """Run the ONNX file with onnxruntime (CPU) and compare it with ``model`` (eval mode, no grad).

    Args:
        model: the PyTorch lifter the file was exported from.
        path: the ``.onnx`` file.
        inputs: joints_2d, shape (B, T, J, 2); converted to float32.

    Returns:
        the largest absolute difference between the two outputs (float32 arithmetic).

    Raises:
        SkelgnnError: onnxruntime is missing, or cannot load or run the file.
        ShapeError: the two outputs differ in shape.
    """
    ort = _require("onnxruntime")
    x = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
    x = np.ascontiguousarray(x, dtype=np.float32)
    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (got,) = session.run([OUTPUT_NAME], {INPUT_NAME: x})
    except Exception as e:  # onnxruntime raises its own Fail/InvalidArgument/... types
        if not Path(path).is_file():
            raise FileNotFoundError(str(path)) from None
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SkelgnnError(f"{path}: onnxruntime failed on input of shape {x.shape}: {first}") from None
    param = next(model.parameters(), None)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            t = torch.from_numpy(x)
            if param is not None:
                t = t.to(device=param.device)
            want = model(t).float().cpu().numpy()
    finally:
        model.train(was_training)
    if got.shape != want.shape:
        raise ShapeError(f"{path}: ONNX output has shape {got.shape}, the model's has {want.shape}")
    return float(np.max(np.abs(got - want))) if want.size else 0.0


def export_checkpoint(checkpoint: str | os.PathLike, path: str | os.PathLike, *, frames: int | None = None,
                      opset: int = 17, exporter: Exporter = "torchscript") -> tuple[Lifter, Path]:
    """Export a checkpoint's lifter (:func:`export_onnx`), with the checkpoint's description as metadata.

    The file's ``metadata_props`` hold ``skelgnn.model``, ``skelgnn.model_kwargs``, ``skelgnn.skeleton``,
    ``skelgnn.normalization`` and ``skelgnn.package_version`` (JSON where structured), next to
    ``skelgnn.receptive_field`` and ``skelgnn.num_joints``.

    Returns:
        ``(the loaded Lifter, path)``.
    """
    lifter = Lifter.load(checkpoint)
    info = lifter.info
    metadata = {
        "skelgnn.model": info.name,
        "skelgnn.model_kwargs": json.dumps(info.kwargs, default=str),
        "skelgnn.skeleton": json.dumps(info.skeleton_dict),
        "skelgnn.normalization": json.dumps(info.normalization, default=str),
        "skelgnn.package_version": info.package_version,
    }
    return lifter, export_onnx(lifter.model, path, frames=frames, opset=opset, exporter=exporter,
                               metadata=metadata)


def check_export(model: nn.Module, path: str | os.PathLike, *, frames: int | None = None,
                 tolerance: float = TOLERANCE, progress=None) -> float:
    """Run an exported file on random inputs of two shapes and compare with ``model`` (:func:`check_onnx`).

    The shapes are (B, T) = (1, rf) and (4, rf + 2) for a dynamic time axis, (1, frames) and
    (4, frames) for a fixed one. A file that fails (a difference above ``tolerance``, a NaN, or an
    error) is removed.

    Args:
        progress: called with one line per shape, e.g. ``"check (B=1, T=9): max |onnxruntime - torch| =
            1e-07"``.

    Returns:
        the largest difference (NaN if any was NaN).
    """
    rf = int(model.receptive_field)
    generator = torch.Generator().manual_seed(0)
    shapes = [(1, rf), (4, rf + 2)] if frames is None else [(1, frames), (4, frames)]
    path = Path(path)
    worst = 0.0
    try:
        for batch, T in shapes:
            x = torch.randn(batch, T, model.num_joints, 2, generator=generator) * 0.5
            diff = check_onnx(model, path, x)
            worst = diff if diff != diff else max(worst, diff)  # keep a NaN
            if progress is not None:
                progress(f"check (B={batch}, T={T}): max |onnxruntime - torch| = {diff:.3g}")
    except BaseException:
        path.unlink(missing_ok=True)  # a file that failed its check is not left behind
        raise
    if not worst <= tolerance:  # NaN compares false: a NaN difference fails
        path.unlink(missing_ok=True)
    return worst
